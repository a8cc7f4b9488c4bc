#!/usr/bin/env bash
# ci/bench-many-files.sh — memory and time of `oslayer diff` and `oslayer lint` on a
# layer of many empty files (issue 11: at most 600 bytes per entry, so 1,000,000
# empty files diff in at most 700 MB peak RSS, and no slower than before).
#
#   $WORK/layout:base      one small layer
#   $WORK/layout:derived   base + one uncompressed layer of N empty files in
#                          N/1000 directories (N = BENCH_FILES, default 1000000)
#
# Prints wall time, CPU and peak RSS (GNU time) of diff --no-cache, diff with a
# cold and a warm cache, and lint --no-cache, with the per-entry figure.
# Needs python3, umoci, GNU time and Go. Environment: BENCH_WORK (default
# /var/tmp/oslayer-many), BENCH_FILES, OSLAYER (a binary to measure instead of
# building one from this checkout).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-many}
N=${BENCH_FILES:-1000000}
LAYOUT=$WORK/layout-$N
mkdir -p "$WORK"

if [ ! -e "$LAYOUT/.complete" ]; then
	rm -rf "$LAYOUT"
	python3 - "$WORK/base.tar" "$WORK/many.tar" "$N" <<'PY'
import sys, tarfile, io
base, many, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def entry(name, typ=tarfile.REGTYPE, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime = typ, mode, 1704067200
    return ti
with tarfile.open(base, "w", format=tarfile.PAX_FORMAT) as t:
    for d in ("usr", "usr/bin", "etc", "var", "tmp", "sysroot"):
        t.addfile(entry(d, tarfile.DIRTYPE, 0o755))
    data = b"#!/bin/sh\n"
    ti = entry("usr/bin/sh", mode=0o755); ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open(many, "w", format=tarfile.PAX_FORMAT) as t:
    t.addfile(entry("usr", tarfile.DIRTYPE, 0o755))
    t.addfile(entry("usr/share", tarfile.DIRTYPE, 0o755))
    per = 1000
    for d in range((n + per - 1) // per):
        t.addfile(entry("usr/share/d%04d" % d, tarfile.DIRTYPE, 0o755))
        for f in range(min(per, n - d * per)):
            t.addfile(entry("usr/share/d%04d/file-%06d" % (d, f)))
PY
	umoci init --layout "$LAYOUT"
	umoci new --image "$LAYOUT:base"
	umoci raw add-layer --image "$LAYOUT:base" "$WORK/base.tar"
	umoci new --image "$LAYOUT:derived"
	umoci raw add-layer --image "$LAYOUT:derived" "$WORK/base.tar"
	umoci raw add-layer --image "$LAYOUT:derived" "$WORK/many.tar"
	rm -f "$WORK/base.tar" "$WORK/many.tar"
	touch "$LAYOUT/.complete"
fi

if [ -z "${OSLAYER:-}" ]; then
	(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/oslayer" ./cmd/oslayer)
	OSLAYER=$WORK/oslayer
fi

# timed NAME CMD...: run CMD with GNU time; print wall, CPU, peak RSS and bytes per entry.
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %P %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/$name.stderr" || true
	read -r wall cpu rss < <(tail -n 1 "$WORK/time.out")
	printf '  %-16s %7.2f s  cpu %5s  peak RSS %5d MiB  %4d B/entry\n' "$name" "$wall" "$cpu" $((rss / 1024)) $((rss * 1024 / N))
}

echo "== $N empty files in one layer ($(nproc) cores)"
export XDG_CACHE_HOME=$WORK/cache
timed diff-no-cache "$OSLAYER" diff --no-cache "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
rm -rf "$XDG_CACHE_HOME"
timed diff-cold "$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
timed diff-warm "$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
timed diff-json "$OSLAYER" diff --format json "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
timed lint-no-cache "$OSLAYER" lint --no-cache "oci:$LAYOUT:derived" --base "oci:$LAYOUT:base"
rm -rf "$XDG_CACHE_HOME"
