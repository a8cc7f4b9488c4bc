#!/usr/bin/env bash
# ci/build-diffoci.sh — build diffoci (github.com/reproducible-containers/diffoci),
# the reference tool the benchmarks compare oslayer against, into
# $WORK/bin/diffoci.
#
# It is built in a throw-away Go module so that oslayer's own go.mod never sees
# diffoci or its (containerd-sized) dependency tree. The version is pinned: the
# module proxy reachable here refuses @latest look-ups, and a pin keeps the
# benchmark comparable over time.
#
# Using it without any daemon (no containerd, docker or podman): diffoci keeps a
# containerd-style content store of its own ("--backend=local", under
# --local-cache, default /var/cache/diffoci for root) and reads images only
# from there (or pulls from a registry, or runs `docker save`/`podman save` for
# docker:// and podman:// names). `diffoci load` imports an oci-archive or
# docker-archive into that store under the archive's ref name. So, with the
# archives ci/bench-images.sh writes:
#
#   D="$WORK/bin/diffoci --backend=local --local-cache=$WORK/diffoci-cache"
#   $D load --input $WORK/images/base.tar
#   $D load --input $WORK/images/derived.tar
#   $D diff --semantic --pull=never \
#       localhost/oslayer-bench/base:latest localhost/oslayer-bench/derived:latest
#
# The ref name in an archive must be fully qualified (localhost/x/y:tag): a
# bare "base" is stored as "unused:base", which `diffoci diff` cannot find
# because it normalizes names to docker.io/library/... . `diffoci diff` exits
# 1 when the images differ. ci/bench-diff.sh runs exactly this.
#
# Environment:
#   BENCH_WORK       work/cache directory   (default /var/tmp/oslayer-bench)
#   DIFFOCI_VERSION  version to build       (default v0.1.7)
set -euo pipefail

WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
VERSION=${DIFFOCI_VERSION:-v0.1.7}
BIN=$WORK/bin/diffoci
STAMP=$WORK/bin/.diffoci-$VERSION

if [[ -x $BIN && -e $STAMP ]]; then
	echo "diffoci $VERSION already built: $BIN" >&2
	exit 0
fi

mkdir -p "$WORK/bin"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

cd "$SCRATCH"
go mod init scratch >/dev/null 2>&1
# GOSUMDB=off: the checksum database is not reachable from CI machines; the
# module proxy alone serves the modules. -mod=mod lets `go get` fill go.sum.
GOSUMDB=off GOFLAGS=-mod=mod go get "github.com/reproducible-containers/diffoci@$VERSION"
GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
	go build -trimpath -o "$BIN" github.com/reproducible-containers/diffoci/cmd/diffoci

rm -f "$WORK"/bin/.diffoci-*
touch "$STAMP"
echo "built $BIN ($("$BIN" --version 2>/dev/null || echo "diffoci $VERSION"))" >&2
