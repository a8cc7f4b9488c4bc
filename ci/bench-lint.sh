#!/usr/bin/env bash
# ci/bench-lint.sh — measure `oslayer lint` on the realistic image pair of ci/bench-images.sh
# (Debian bookworm with systemd and a kernel, ~800 MB; a derived image 3 layers on top):
#
#   image mode   oslayer lint derived --base base
#                  cold       empty cache: every layer decompressed and indexed
#                  warm-base  cache holds the base's layers: only the derived layers are read
#                against zcat of every layer blob (the floor for reading all layers)
#   rootfs mode  oslayer lint --rootfs of the derived image unpacked with umoci: verifies every
#                package file against dpkg's md5sums; against sha256sum (and md5sum) over the
#                same files
#
# Targets (issue 3): image cold <= 1.3x zcat; warm proportional to the derived layers;
# rootfs lint < 2x sha256sum over the same files.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
LAYOUT=$WORK/images/layout
BLOBS=$LAYOUT/blobs/sha256

"$here/bench-images.sh" >&2
(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
OSLAYER=$WORK/bin/oslayer

timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %P %M" -o "$WORK/time.out" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" || true
	read -r wall cpu rss < <(tail -n 1 "$WORK/time.out")
	printf '  %-24s %7.2f s  cpu %5s  peak RSS %4d MiB\n' "$name" "$wall" "$cpu" $((rss / 1024))
	echo "$wall" >"$WORK/$name.wall"
}
ratio() { python3 -c "print(f'{float(open(\"$WORK/$1.wall\").read())/float(open(\"$WORK/$2.wall\").read()):.2f}')"; }

layer_digests() {
	skopeo inspect --raw "oci:$LAYOUT:$1" |
		python3 -c 'import json,sys; [print(l["digest"].split(":")[1]) for l in json.load(sys.stdin)["layers"]]'
}
mapfile -t all < <( (layer_digests base; layer_digests derived) | sort -u)
for d in "${all[@]}"; do cat "$BLOBS/$d" >/dev/null; done

echo "== image mode"
# shellcheck disable=SC2016 # $b expands in the inner shell
timed zcat-all-layers sh -c 'for b; do zcat "$b" >/dev/null; done' sh "${all[@]/#/$BLOBS/}"
export XDG_CACHE_HOME=$WORK/oslayer-cache
rm -rf "$XDG_CACHE_HOME"
timed lint-image-cold "$OSLAYER" lint "oci:$LAYOUT:derived" --base "oci:$LAYOUT:base"
rm -rf "$XDG_CACHE_HOME"
"$OSLAYER" diff "oci:$LAYOUT:base" "oci:$LAYOUT:base" >/dev/null
timed lint-image-warm-base "$OSLAYER" lint "oci:$LAYOUT:derived" --base "oci:$LAYOUT:base"
timed lint-image-warm-all "$OSLAYER" lint "oci:$LAYOUT:derived" --base "oci:$LAYOUT:base"
echo "  cold / zcat: $(ratio lint-image-cold zcat-all-layers)x (target <= 1.3); warm-base / cold: $(ratio lint-image-warm-base lint-image-cold)x"

echo "== rootfs mode"
UNPACK=$WORK/unpacked
if [[ ! -e $UNPACK/.complete ]]; then
	rm -rf "$UNPACK"
	umoci unpack --image "$LAYOUT:derived" "$UNPACK" >&2
	touch "$UNPACK/.complete"
fi
ROOT=$UNPACK/rootfs
# The files lint verifies: every path dpkg's md5sums record (under /usr and /etc).
(cd "$ROOT" && cat var/lib/dpkg/info/*.md5sums | awk '{print $2}' | grep -E '^(usr|etc)/' |
	while read -r p; do [[ -f $p && ! -L $p ]] && echo "$p"; done | sort -u) >"$WORK/pkgfiles.txt"
count=$(wc -l <"$WORK/pkgfiles.txt")
bytes=$(cd "$ROOT" && tr '\n' '\0' <"$WORK/pkgfiles.txt" | du -cb --files0-from=- | tail -1 | cut -f1)
echo "  $count package files, $((bytes >> 20)) MiB"
(cd "$ROOT" && tr '\n' '\0' <"$WORK/pkgfiles.txt" | xargs -0 cat >/dev/null)
timed sha256sum-pkgfiles sh -c "cd '$ROOT' && tr '\n' '\0' <'$WORK/pkgfiles.txt' | xargs -0 sha256sum >/dev/null"
timed md5sum-pkgfiles sh -c "cd '$ROOT' && tr '\n' '\0' <'$WORK/pkgfiles.txt' | xargs -0 md5sum >/dev/null"
timed lint-rootfs "$OSLAYER" lint --rootfs "$ROOT"
echo "  lint-rootfs / sha256sum: $(ratio lint-rootfs sha256sum-pkgfiles)x (target < 2)"
echo "== lint's verdicts"
tail -n 4 "$WORK/lint-image-cold.stdout" | sed 's/^/  image:  /'
tail -n 4 "$WORK/lint-rootfs.stdout" | sed 's/^/  rootfs: /'
