#!/usr/bin/env bash
# ci/bench-ostree.sh — `oslayer diff` and `oslayer lint` on the ostree-encapsulated form of
# the ci/bench-images.sh pair against the plain pair (issue 11: cold runs on the encapsulated
# form within 1.2x of the plain form's).
#
#   $WORK/ostree/layout:base     the plain base's content as an ostree commit, exported as
#                                ostree-ext does: an ostree layer and 48 chunk layers of
#                                dpkg packages, every path a hardlink into the object store
#   $WORK/ostree/layout:derived  that base plus the plain derived image's three layers
#
# The encapsulated pair is written by TestEncapsulateBenchImages (fixtures/), from the base
# unpacked with umoci. Each run is cold (empty cache); medians of BENCH_RUNS (default 3).
# Needs what ci/bench-images.sh needs, plus umoci, GNU time, python3 and Go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
RUNS=${BENCH_RUNS:-3}
PLAIN=$WORK/images/layout
OST=$WORK/ostree

"$here/bench-images.sh" >&2
if [[ ! -e $OST/.complete ]]; then
	rm -rf "$OST"
	mkdir -p "$OST"
	umoci unpack --image "$PLAIN:base" "$OST/unpack" >&2
	(cd "$here/.." && OSLAYER_BENCH_ENCAPSULATE="$OST/unpack/rootfs $PLAIN $OST/layout" \
		go test ./fixtures -run TestEncapsulateBenchImages -count=1 -timeout 30m >&2)
	rm -rf "$OST/unpack"
	touch "$OST/.complete"
fi
(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
OSLAYER=$WORK/bin/oslayer
export XDG_CACHE_HOME=$WORK/oslayer-cache-ostree

# median NAME CMD...: RUNS cold runs of CMD; prints and records the median wall time.
median() {
	local name=$1
	shift
	local walls=() rss=()
	for _ in $(seq "$RUNS"); do
		rm -rf "$XDG_CACHE_HOME"
		/usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/$name.stderr" || true
		read -r w m < <(tail -n 1 "$WORK/time.out")
		walls+=("$w")
		rss+=("$m")
	done
	local med
	med=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
	printf '  %-16s median %6.2f s of %s   peak RSS %4d MiB\n' "$name" "$med" "${walls[*]}" $(($(printf '%s\n' "${rss[@]}" | sort -n | tail -1) / 1024))
	echo "$med" >"$WORK/$name.wall"
}
ratio() { python3 -c "print(f'{float(open(\"$WORK/$1.wall\").read())/float(open(\"$WORK/$2.wall\").read()):.2f}')"; }

for ref in base derived; do
	n=$(skopeo inspect --raw "oci:$OST/layout:$ref" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')
	echo "  ostree $ref: $n layers"
done
echo "== cold runs ($(nproc) cores)"
median diff-plain "$OSLAYER" diff "oci:$PLAIN:base" "oci:$PLAIN:derived"
median diff-ostree "$OSLAYER" diff "oci:$OST/layout:base" "oci:$OST/layout:derived"
median lint-plain "$OSLAYER" lint "oci:$PLAIN:derived" --base "oci:$PLAIN:base"
median lint-ostree "$OSLAYER" lint "oci:$OST/layout:derived" --base "oci:$OST/layout:base"
echo "  diff ostree / plain: $(ratio diff-ostree diff-plain)x, lint ostree / plain: $(ratio lint-ostree lint-plain)x (target <= 1.2)"

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
