#!/usr/bin/env bash
# ci/bench-diff.sh — measure `oslayer diff` on a realistic bootable image pair, in one run:
#
#   1. sizes of the pair ci/bench-images.sh builds (Debian bookworm with systemd and a
#      kernel, ~800 MB uncompressed; a derived image 3 layers on top)
#   2. bare decompress: zcat every distinct layer blob to /dev/null (page cache warm) —
#      the floor for any tool that reads all layers
#   3. oslayer diff base derived, each with /usr/bin/time (wall, CPU, peak RSS):
#        cold       empty cache: every layer decompressed and indexed
#        warm-base  cache holds the base's layers only: only the derived layers are read
#        warm-all   everything cached
#   4. diffoci diff --semantic on the same pair (built by ci/build-diffoci.sh)
#
# Targets (issue 2): cold <= 1.3x bare decompress, warm-base proportional to the
# derived layers, peak RSS <= 200 MB, faster than diffoci.
#
# Needs root, debootstrap, buildah, skopeo, GNU time, python3 and Go; the first run
# builds the images (~4 min) and diffoci (~1 min). Environment: BENCH_WORK
# (default /var/tmp/oslayer-bench), plus what ci/bench-images.sh takes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
LAYOUT=$WORK/images/layout
BLOBS=$LAYOUT/blobs/sha256

"$here/bench-images.sh" >&2
"$here/build-diffoci.sh" >&2
(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
OSLAYER=$WORK/bin/oslayer

# layer_digests REF: the layer digests (hex) of REF, in order.
layer_digests() {
	skopeo inspect --raw "oci:$LAYOUT:$1" |
		python3 -c 'import json,sys; [print(l["digest"].split(":")[1]) for l in json.load(sys.stdin)["layers"]]'
}

# timed NAME CMD...: run CMD with GNU time, print "NAME  wall s  cpu%  RSS MiB".
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %P %M" -o "$WORK/time.out" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" || true
	# GNU time adds a "Command exited with non-zero status" line first (diffoci exits 1 on differences).
	read -r wall cpu rss < <(tail -n 1 "$WORK/time.out")
	printf '  %-22s %7.2f s  cpu %5s  peak RSS %4d MiB\n' "$name" "$wall" "$cpu" $((rss / 1024))
	echo "$wall" >"$WORK/$name.wall"
}

echo "== image pair"
mapfile -t all < <( (layer_digests base; layer_digests derived) | sort -u)
for ref in base derived; do
	n=0 comp=0 raw=0
	for d in $(layer_digests "$ref"); do
		comp=$((comp + $(stat -c %s "$BLOBS/$d")))
		raw=$((raw + $(zcat "$BLOBS/$d" | wc -c)))
		n=$((n + 1))
	done
	printf '  %-8s %d layers, %d MiB compressed, %d MiB uncompressed\n' "$ref" "$n" $((comp >> 20)) $((raw >> 20))
done

echo "== times (2 cores: $(nproc))"
for d in "${all[@]}"; do cat "$BLOBS/$d" >/dev/null; done
# shellcheck disable=SC2016 # $b expands in the inner shell
timed zcat-all-layers sh -c 'for b; do zcat "$b" >/dev/null; done' sh "${all[@]/#/$BLOBS/}"

export XDG_CACHE_HOME=$WORK/oslayer-cache
rm -rf "$XDG_CACHE_HOME"
timed oslayer-cold "$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
rm -rf "$XDG_CACHE_HOME"
"$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:base" >/dev/null
timed oslayer-warm-base "$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
timed oslayer-warm-all "$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:derived"
timed oslayer-no-cache "$OSLAYER" diff --no-cache "oci:$LAYOUT:base" "oci:$LAYOUT:derived"

D=("$WORK/bin/diffoci" --backend=local --local-cache="$WORK/diffoci-cache")
rm -rf "$WORK/diffoci-cache"
for ref in base derived; do
	"${D[@]}" load --input "$WORK/images/$ref.tar" >/dev/null 2>&1
done
timed diffoci-semantic "${D[@]}" diff --semantic --pull=never \
	localhost/oslayer-bench/base:latest localhost/oslayer-bench/derived:latest

echo "== ratios"
ratio() { python3 -c "print(f'{float(open(\"$WORK/$1.wall\").read())/float(open(\"$WORK/$2.wall\").read()):.2f}')"; }
echo "  oslayer cold / zcat:         $(ratio oslayer-cold zcat-all-layers)x   (target <= 1.3)"
echo "  oslayer warm-base / cold:    $(ratio oslayer-warm-base oslayer-cold)x"
echo "  diffoci / oslayer cold:      $(ratio diffoci-semantic oslayer-cold)x"
echo "== oslayer's report"
sed -n '1,4p;/^Summary/,/^  total/p' "$WORK/oslayer-cold.stdout"
cmp -s "$WORK/oslayer-cold.stdout" "$WORK/oslayer-warm-all.stdout" && echo "  (cold and warm outputs identical)"
