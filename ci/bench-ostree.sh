#!/usr/bin/env bash
# ci/bench-ostree.sh — `oslayer diff` and `oslayer lint` on the ostree-encapsulated form of
# the ci/bench-images.sh pair against the plain pair (issue 11: cold runs on the encapsulated
# form within 1.2x of the plain form's).
#
#   $WORK/ostree/layout:base     the plain base's content as an ostree commit, exported as
#                                ostree-ext does: an ostree layer and 48 chunk layers of
#                                dpkg packages, every path a hardlink into the object store
#   $WORK/ostree/layout:derived  that base plus the plain derived image's three layers
#   $WORK/ostree/layout:plain-base, plain-derived   the same content in the plain form, in two
#                                layers, written by the same compressor as the encapsulated pair
#
# The encapsulated pair is written by TestEncapsulateBenchImages (fixtures/), from the base
# unpacked with umoci. Each run is cold (empty cache); the two forms' runs are interleaved so
# both see the same machine; medians of BENCH_RUNS (default 7).
# Needs what ci/bench-images.sh needs, plus umoci, GNU time, python3 and Go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
RUNS=${BENCH_RUNS:-7}
PLAIN=$WORK/images/layout
OST=$WORK/ostree

"$here/bench-images.sh" >&2
if [[ ! -e $OST/.complete-v2 ]]; then
	rm -rf "$OST"
	mkdir -p "$OST"
	umoci unpack --image "$PLAIN:base" "$OST/unpack" >&2
	(cd "$here/.." && OSLAYER_BENCH_ENCAPSULATE="$OST/unpack/rootfs $PLAIN $OST/layout" \
		go test ./fixtures -run TestEncapsulateBenchImages -count=1 -timeout 30m >&2)
	rm -rf "$OST/unpack"
	touch "$OST/.complete-v2"
fi
(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
OSLAYER=$WORK/bin/oslayer
export XDG_CACHE_HOME=$WORK/oslayer-cache-ostree

# cold NAME CMD...: one cold run of CMD (empty cache); appends wall and CPU seconds to NAME's list.
cold() {
	local name=$1
	shift
	rm -rf "$XDG_CACHE_HOME"
	/usr/bin/time -f "%e %U %S %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/$name.stderr" || true
	read -r w u s m < <(tail -n 1 "$WORK/time.out")
	echo "$w $(python3 -c "print($u+$s)") $m" >>"$WORK/$name.runs"
}
# report NAME: median wall and CPU seconds and the peak RSS of NAME's runs.
report() {
	python3 - "$WORK/$1.runs" "$1" <<'PY'
import statistics, sys
runs = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
w = statistics.median(r[0] for r in runs); c = statistics.median(r[1] for r in runs)
print(f"  {sys.argv[2]:<12} wall median {w:5.2f} s (min {min(r[0] for r in runs):5.2f})  cpu median {c:5.2f} s  peak RSS {max(r[2] for r in runs)/1024:4.0f} MiB")
open(sys.argv[1] + ".median", "w").write(f"{w} {c}\n")
PY
}
ratio() {
	python3 - "$WORK/$1.runs" "$WORK/$2.runs" <<'PY'
import statistics, sys
a = [list(map(float, l.split())) for l in open(sys.argv[1])]
b = [list(map(float, l.split())) for l in open(sys.argv[2])]
print(f"wall {statistics.median(x[0] for x in a) / statistics.median(x[0] for x in b):.2f}x, "
      f"cpu {statistics.median(x[1] for x in a) / statistics.median(x[1] for x in b):.2f}x, "
      f"median of the paired wall ratios {statistics.median(x[0] / y[0] for x, y in zip(a, b)):.2f}x")
PY
}

for ref in base derived; do
	n=$(skopeo inspect --raw "oci:$OST/layout:$ref" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')
	echo "  ostree $ref: $n layers"
done
echo "== cold runs, plain and encapsulated interleaved, $RUNS each ($(nproc) cores)"
rm -f "$WORK"/{diff,lint}-{plain,ostree}.runs
rm -f "$WORK"/{zcat,diff,lint}-{plain,same,ostree}.runs
# zcat-NAME: decompressing every blob of the derived image, the floor for reading it.
blobs() {
	skopeo inspect --raw "oci:$1:$2" | python3 -c 'import json,sys; [print(l["digest"].split(":")[1]) for l in json.load(sys.stdin)["layers"]]' |
		sed "s|^|$1/blobs/sha256/|"
}
blobs "$PLAIN" derived >"$WORK/blobs-plain"
blobs "$OST/layout" plain-derived >"$WORK/blobs-same"
blobs "$OST/layout" derived >"$WORK/blobs-ostree"
for _ in $(seq "$RUNS"); do
	for form in plain same ostree; do
		# shellcheck disable=SC2016 # $f expands in the inner shell
		cold "zcat-$form" sh -c 'while read -r f; do zcat "$f"; done <"$1"' sh "$WORK/blobs-$form"
	done
	cold diff-plain "$OSLAYER" diff "oci:$PLAIN:base" "oci:$PLAIN:derived"
	cold diff-same "$OSLAYER" diff "oci:$OST/layout:plain-base" "oci:$OST/layout:plain-derived"
	cold diff-ostree "$OSLAYER" diff "oci:$OST/layout:base" "oci:$OST/layout:derived"
	cold lint-plain "$OSLAYER" lint "oci:$PLAIN:derived" --base "oci:$PLAIN:base"
	cold lint-same "$OSLAYER" lint "oci:$OST/layout:plain-derived" --base "oci:$OST/layout:plain-base"
	cold lint-ostree "$OSLAYER" lint "oci:$OST/layout:derived" --base "oci:$OST/layout:base"
done
echo "  plain: the bench pair as buildah wrote it; same: its content in two layers written by the"
echo "  compressor that wrote the encapsulated pair; ostree: the encapsulated pair"
for n in zcat-plain zcat-same zcat-ostree diff-plain diff-same diff-ostree lint-plain lint-same lint-ostree; do report $n; done
echo "  zcat ostree / same: $(ratio zcat-ostree zcat-same); ostree / plain: $(ratio zcat-ostree zcat-plain)"
echo "  diff ostree / same: $(ratio diff-ostree diff-same); ostree / plain: $(ratio diff-ostree diff-plain)"
echo "  lint ostree / same: $(ratio lint-ostree lint-same); ostree / plain: $(ratio lint-ostree lint-plain)   (target <= 1.2)"

# The same changes either way: the object store is storage, not content.
"$OSLAYER" diff --format json "oci:$PLAIN:base" "oci:$PLAIN:derived" | python3 -c 'import json,sys; print("\n".join(sorted(c["path"]+" "+c["kind"] for c in json.load(sys.stdin)["changes"])))' >"$WORK/changes-plain"
"$OSLAYER" diff --format json "oci:$OST/layout:base" "oci:$OST/layout:derived" | python3 -c 'import json,sys; print("\n".join(sorted(c["path"]+" "+c["kind"] for c in json.load(sys.stdin)["changes"])))' >"$WORK/changes-ostree"
if cmp -s "$WORK/changes-plain" "$WORK/changes-ostree"; then
	echo "  changes: the same $(wc -l <"$WORK/changes-plain") on both forms"
else
	echo "  changes differ between the forms:"
	diff "$WORK/changes-plain" "$WORK/changes-ostree" | head -20
fi
rm -rf "$XDG_CACHE_HOME"
