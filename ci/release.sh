#!/usr/bin/env bash
# ci/release.sh VERSION [OUTDIR]
#
# Builds an oslayer release into OUTDIR (default dist/VERSION), the files the
# integrations in ci/integrations download:
#
#   oslayer-linux-amd64        static binaries (CGO_ENABLED=0), VERSION stamped
#   oslayer-linux-arm64          (-ldflags "-X main.version=VERSION")
#   oslayer-VERSION-man.tar.gz the man pages `oslayer man DIR` writes
#   oslayer-VERSION.oci.tar    the image of ./Containerfile for every architecture:
#                              an OCI archive holding one index, tagged VERSION
#                              (skopeo copy --all oci-archive:FILE:VERSION docker://...)
#   SHA256SUMS                 sha256sum of the files above
#
# The image needs no emulator: FROM scratch and COPY run nothing, so
# buildah bud --arch builds the arm64 image on any machine.
#
# Needs go, buildah (as root, or rootless buildah), GNU tar, gzip, sha256sum.
# Environment:
#   OSLAYER_ARCHES     the architectures (default "amd64 arm64")
#   SOURCE_DATE_EPOCH  the time of the images and the archives
#                      (default: the last commit's time): the same commit
#                      gives the same files, byte for byte
#   RELEASE_GOFLAGS    go build flags (default -trimpath)
#   STORAGE_DRIVER     buildah's storage driver for its private storage (default vfs)
# Exit codes: 0 built, 2 usage error or a step that failed (named on stderr).
set -euo pipefail

die() {
	echo "release.sh: $*" >&2
	exit 2
}
trap 'die "failed (exit $?): $BASH_COMMAND"' ERR

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: ci/release.sh VERSION [OUTDIR]"; fi
version=$1
# The version names files and the image's tag.
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] ||
	die "version \"$version\": want letters, digits, '.', '_' and '-' (e.g. v1.2.3)"

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$repo/dist/$version}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -z "$(ls -A "$out")" ] || die "$out is not empty: give a new or empty directory"

arches=${OSLAYER_ARCHES:-amd64 arm64}
for arch in $arches; do
	case $arch in
	amd64 | arm64) ;;
	*) die "OSLAYER_ARCHES: $arch: want amd64 and/or arm64" ;;
	esac
done
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null) ||
		die "SOURCE_DATE_EPOCH is not set and $repo is not a git checkout"
fi
[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH \"$SOURCE_DATE_EPOCH\": want seconds since 1970"
export SOURCE_DATE_EPOCH
goflags=${RELEASE_GOFLAGS--trimpath}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oslayer-release.XXXXXX")
storage=$tmp/storage
bh() {
	buildah --root "$storage/root" --runroot "$storage/run" --storage-driver "${STORAGE_DRIVER:-vfs}" "$@"
}
cleanup() {
	if [ -d "$storage" ]; then bh rmi --all --force >/dev/null 2>&1 || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Binaries.
files=()
host=
hostarch=$(go env GOHOSTARCH)
for arch in $arches; do
	bin=oslayer-linux-$arch
	echo "release.sh: building $bin $version" >&2
	# shellcheck disable=SC2086 # RELEASE_GOFLAGS is a list of flags
	(cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build $goflags \
		-ldflags "-X main.version=$version" -o "$out/$bin" ./cmd/oslayer)
	info=$(go version -m "$out/$bin")
	for want in "CGO_ENABLED=0" "GOARCH=$arch"; do
		grep -qF -- "$want" <<<"$info" || die "$out/$bin: built without $want:"$'\n'"$info"
	done
	# (-trimpath keeps -ldflags out of the build information.)
	grep -qaF -- "$version" "$out/$bin" || die "$out/$bin does not hold its version $version"
	if [ "$arch" = "$hostarch" ]; then
		host=$out/$bin
		got=$("$host" version)
		[[ $got == "oslayer $version "* ]] || die "$host version says \"$got\", want oslayer $version"
	fi
	files+=("$bin")
done
if [ -z "$host" ]; then
	# The man pages come from a binary this machine runs.
	host=$tmp/oslayer
	(cd "$repo" && CGO_ENABLED=0 go build -ldflags "-X main.version=$version" -o "$host" ./cmd/oslayer)
fi

# Man pages, once `oslayer man DIR` exists.
if help=$("$host" man --help 2>&1); then
	echo "release.sh: writing the man pages" >&2
	mkdir "$tmp/man"
	"$host" man "$tmp/man" || die "oslayer man $tmp/man failed"
	[ -n "$(find "$tmp/man" -type f)" ] || die "oslayer man wrote nothing into $tmp/man"
	man=oslayer-$version-man.tar.gz
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
		--mode=u+rw,go+r,go-w -C "$tmp" -cf - man | gzip -9n >"$out/$man"
	files+=("$man")
elif grep -qF 'unknown command "man"' <<<"$help"; then
	echo "release.sh: warning: this oslayer has no 'man' command yet: the release has no man pages" >&2
else
	die "oslayer man --help failed:"$'\n'"$help"
fi

# The image, one per architecture, in one index.
tag=localhost/oslayer:$version
for arch in $arches; do
	echo "release.sh: building the image for linux/$arch" >&2
	ctx=$tmp/context-$arch
	mkdir "$ctx"
	cp "$out/oslayer-linux-$arch" "$ctx/oslayer"
	cp "$repo/.containerignore" "$ctx/"
	bh bud --quiet --arch "$arch" --os linux --timestamp "$SOURCE_DATE_EPOCH" \
		--build-arg VERSION="$version" --manifest "$tag" -f "$repo/Containerfile" "$ctx" >/dev/null
done
# Into a layout first, then one archive with the same bytes every time.
image=oslayer-$version.oci.tar
bh manifest push --quiet --all "$tag" "oci:$tmp/layout:$version"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	-C "$tmp/layout" -cf "$out/$image" oci-layout index.json blobs
files+=("$image")

(cd "$out" && sha256sum -- "${files[@]}" >SHA256SUMS)
echo "release.sh: oslayer $version in $out:" >&2
(cd "$out" && ls -l -- "${files[@]}" SHA256SUMS) >&2
