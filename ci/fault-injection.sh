#!/usr/bin/env bash
# ci/fault-injection.sh — oslayer under faults, with real tools (issue 12). Prints one table
# row per case: what was done, whether oslayer behaved (the right exit code, a message saying
# what and where, destinations intact, nothing left behind), wall time and peak RSS.
#
#   kill       SIGKILL, SIGINT and SIGTERM at random points of `oslayer chunk` into an OCI
#              layout that holds an image: the layout's index is unchanged, the old image reads
#              the same, --tmpdir is empty; then one write collects what the kills left
#   disk-full  --tmpdir, then DEST, on a 64 MiB tmpfs: exit 2 saying so, nothing left there
#   registry   ci/faultproxy.py in front of a real docker-registry truncates, stalls, corrupts
#              and fails (503) layer blobs: exit 2 naming the blob, or success after retries
#   cache      the content store edited under its names: the same result, one warning
#   sparse     a 10 KiB layer holding a 20 GiB sparse file: diff and chunk finish; --max-expand
#              refuses
#   many       a layer of 1,000,000 empty files (ci/bench-many-files.sh's): diff finishes
#
# Needs root (tmpfs), what ci/bench-images.sh needs, docker-registry, skopeo, umoci, GNU tar,
# GNU time, python3 and Go. Environment: BENCH_WORK (default /var/tmp/oslayer-bench),
# FAULT_KILLS (default 12).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
F=$WORK/faults
KILLS=${FAULT_KILLS:-12}
"$here/bench-images.sh" >&2
rm -rf "$F"
mkdir -p "$F"
(cd "$here/.." && CGO_ENABLED=0 go build -o "$F/oslayer" ./cmd/oslayer)
OSL=$F/oslayer
SRC=oci:$WORK/images/layout:base
export XDG_CACHE_HOME=$F/cache XDG_CONFIG_HOME=$F/config

tried=0 passed=0
row() { # row CASE OK DETAIL
	tried=$((tried + 1))
	local verdict=FAIL
	if [[ $2 == ok ]]; then verdict=pass passed=$((passed + 1)); fi
	read -r wall rss < <(tail -n 1 "$F/time.out" 2>/dev/null || echo "0 0")
	printf '  %-34s %-5s %7.2f s %6d MiB  %s\n' "$1" "$verdict" "$wall" $((rss / 1024)) "$3"
}
timed() { /usr/bin/time -f "%e %M" -o "$F/time.out" "$@"; }
# index_sum LAYOUT: what the layout's images are.
index_sum() { sha256sum "$1/index.json" | cut -c1-16; }
leftovers() { find "$1" -name '.oslayer-tmp-*' | wc -l; }
orphans() { # blobs of LAYOUT no manifest references
	python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]; blobs = os.path.join(d, "blobs", "sha256"); keep = set()
for m in json.load(open(os.path.join(d, "index.json")))["manifests"]:
    h = m["digest"].split(":")[1]; keep.add(h)
    man = json.load(open(os.path.join(blobs, h)))
    keep.add(man["config"]["digest"].split(":")[1]); keep.update(l["digest"].split(":")[1] for l in man["layers"])
print(sum(1 for b in os.listdir(blobs) if len(b) == 64 and b not in keep))
PY
}

echo "== oslayer under faults ($(nproc) cores)"
printf '  %-34s %-5s %9s %10s  %s\n' case result wall "peak RSS" detail

# --- kills -----------------------------------------------------------------------------------
DEST=$F/dest
"$OSL" chunk "$SRC" "oci:$DEST:old" 2>/dev/null
before=$(index_sum "$DEST")
sigs=(KILL INT TERM)
for i in $(seq "$KILLS"); do
	sig=${sigs[$((i % 3))]}
	delay=$(python3 -c "import random; print(round(random.uniform(0.3, 8), 2))")
	mkdir -p "$F/tmp"
	had=$(leftovers "$DEST") # a SIGKILL's leftovers stay until a write succeeds
	/usr/bin/time -f "%e %M" -o "$F/time.out" "$OSL" chunk --level 9 --tmpdir "$F/tmp" "$SRC" "oci:$DEST:new" 2>"$F/kill.err" &
	tpid=$!
	sleep "$delay"
	pkill "-$sig" -P "$tpid" -f "oslayer chunk" || true
	wait "$tpid" || true
	ok=ok detail="at ${delay}s"
	if [[ $(index_sum "$DEST") != "$before" ]] && ! grep -q '"new"' "$DEST/index.json"; then ok=no detail+=": index changed"; fi
	if [[ $sig != KILL ]]; then
		grep -q "oslayer: interrupted\|oslayer chunk:" "$F/kill.err" || { ok=no; detail+=": $(tail -1 "$F/kill.err")"; }
		[[ -z $(ls -A "$F/tmp") ]] || { ok=no; detail+=": --tmpdir not empty"; }
		[[ $(leftovers "$DEST") == "$had" ]] || { ok=no; detail+=": temporary files left in DEST"; }
	fi
	"$OSL" diff --no-cache "$SRC" "oci:$DEST:old" 2>/dev/null | grep -q "^Files: 0 changes" || { ok=no; detail+=": the old image changed"; }
	row "kill SIG$sig during chunk" "$ok" "$detail"
	rm -rf "$F/tmp"
	# A kill after the index was written is a finished run: start over from the old image.
	if grep -q '"new"' "$DEST/index.json"; then rm -rf "$DEST" && "$OSL" chunk "$SRC" "oci:$DEST:old" 2>/dev/null && before=$(index_sum "$DEST"); fi
done
left_tmp=$(leftovers "$DEST") left_blobs=$(orphans "$DEST")
timed "$OSL" chunk --compression zstd "$SRC" "oci:$DEST:after" 2>/dev/null
ok=ok
[[ $(leftovers "$DEST") == 0 && $(orphans "$DEST") == 0 ]] || ok=no
row "next write collects leftovers" "$ok" "$left_tmp temporary files and $left_blobs orphan blobs before, $(leftovers "$DEST") and $(orphans "$DEST") after"

# --- disk full -------------------------------------------------------------------------------
SMALL=$F/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=64m tmpfs "$SMALL"
trap 'umount "$SMALL" 2>/dev/null || true' EXIT
mkdir -p "$SMALL/tmp"
timed "$OSL" chunk --tmpdir "$SMALL/tmp" "$SRC" "oci:$DEST:full" 2>"$F/full.err" && code=0 || code=$?
ok=ok
[[ $code == 2 ]] && grep -q "no space left" "$F/full.err" && [[ -z $(ls -A "$SMALL/tmp") ]] || ok=no
row "--tmpdir on a full disk" "$ok" "exit $code: $(tail -c 120 "$F/full.err")"
mkdir -p "$SMALL/dest"
cp -r "$here/../examples/layout" "$SMALL/dest/layout"
before=$(index_sum "$SMALL/dest/layout")
timed "$OSL" chunk "$SRC" "oci:$SMALL/dest/layout:full" 2>"$F/full.err" && code=0 || code=$?
ok=ok
[[ $code == 2 && $(index_sum "$SMALL/dest/layout") == "$before" && $(leftovers "$SMALL/dest") == 0 && $(orphans "$SMALL/dest/layout") == 0 ]] || ok=no
row "DEST on a full disk" "$ok" "exit $code: $(tail -c 100 "$F/full.err")"
umount "$SMALL"
trap - EXIT

# --- registry faults -------------------------------------------------------------------------
regport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$F/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $F/registry}}
http: {addr: 127.0.0.1:$regport}
EOF
docker-registry serve "$F/registry.yml" >/dev/null 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$regport/v2/" >/dev/null && break; sleep 0.1; done
skopeo copy --quiet --dest-tls-verify=false "$SRC" "docker://127.0.0.1:$regport/bench/base:1"
for mode in pass fail2 truncate corrupt stall; do
	pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	python3 "$here/faultproxy.py" "$pport" "127.0.0.1:$regport" "$mode" &
	ppid=$!
	for _ in $(seq 50); do curl -s "http://127.0.0.1:$pport/v2/" >/dev/null && break; sleep 0.1; done
	# The example's base against the bench base: every layer of the latter comes through the proxy.
	timed "$OSL" diff --no-cache --tls-verify=false --timeout 5s --retry-times 3 "oci:$here/../examples/layout:base" "docker://127.0.0.1:$pport/bench/base:1" >/dev/null 2>"$F/reg.err" && code=0 || code=$?
	kill "$ppid" 2>/dev/null || true
	ok=no
	case $mode in
	pass | fail2) [[ $code == 0 ]] && ok=ok ;;
	truncate) [[ $code == 2 ]] && grep -q "blobs/sha256:\|layer [0-9]*/[0-9]* sha256:" "$F/reg.err" && ok=ok ;;
	corrupt) [[ $code == 2 ]] && grep -q 'digest mismatch\|gzip\|flate\|want "sha256:' "$F/reg.err" && ok=ok ;;
	stall) [[ $code == 2 ]] && grep -q "sent nothing for 5s while sending" "$F/reg.err" && ok=ok ;;
	esac
	row "registry: $mode" "$ok" "exit $code: $(tail -c 140 "$F/reg.err" | tr '\n' ' ')"
done
kill "$regpid" 2>/dev/null || true
trap - EXIT

# --- cache tampering -------------------------------------------------------------------------
"$OSL" diff --format json "oci:$WORK/images/layout:base" "oci:$WORK/images/layout:derived" >"$F/cold.json" 2>/dev/null || true
grep -l "Version: " "$XDG_CACHE_HOME"/oslayer/content/* | while read -r f; do sed -i 's/^Version: /Version: 99:/' "$f"; done
timed "$OSL" diff --format json "oci:$WORK/images/layout:base" "oci:$WORK/images/layout:derived" >"$F/warm.json" 2>"$F/cache.err" || true
ok=ok
cmp -s "$F/cold.json" "$F/warm.json" && [[ $(grep -c "oslayer: warning:" "$F/cache.err") == 1 ]] || ok=no
row "cache edited under its names" "$ok" "$(grep -o 'do not verify' "$F/cache.err" | head -1)"

# --- hostile sizes ---------------------------------------------------------------------------
S=$F/sparse
mkdir -p "$S/root/usr"
truncate -s 20G "$S/root/usr/big" && echo data >>"$S/root/usr/big"
tar --sparse -C "$S/root" -cf "$S/layer.tar" usr
rm -rf "$S/root"
umoci init --layout "$S/layout" && umoci new --image "$S/layout:base" && umoci new --image "$S/layout:d"
umoci raw add-layer --image "$S/layout:d" "$S/layer.tar"
timed "$OSL" diff --no-cache "oci:$S/layout:base" "oci:$S/layout:d" >/dev/null 2>&1 && code=0 || code=$?
ok=no; [[ $code == 0 ]] && ok=ok
row "20 GiB sparse file in a 10 KiB layer" "$ok" "diff exit $code (its data hashed, not its holes)"
timed "$OSL" chunk --compression zstd --tmpdir "$S" "oci:$S/layout:d" "oci:$S/out:z" >/dev/null 2>&1 && code=0 || code=$?
ok=no; [[ $code == 0 && $(find "$S" -maxdepth 1 -name '.oslayer-tmp-*' | wc -l) == 0 ]] && ok=ok
row "chunk of it, zstd" "$ok" "exit $code (written whole: 20 GiB of zeros hashed and compressed)"
timed "$OSL" diff --no-cache --max-expand 10GiB "oci:$S/layout:base" "oci:$S/layout:d" >/dev/null 2>"$F/sparse.err" && code=0 || code=$?
ok=no; [[ $code == 2 ]] && grep -q "max-expand" "$F/sparse.err" && ok=ok
row "the same with --max-expand 10GiB" "$ok" "exit $code"
BENCH_WORK=/var/tmp/oslayer-many "$here/bench-many-files.sh" >/dev/null
M=/var/tmp/oslayer-many/layout-1000000
timed "$OSL" diff --no-cache "oci:$M:base" "oci:$M:derived" >/dev/null 2>&1 && code=0 || code=$?
ok=no; [[ $code == 0 ]] && ok=ok
row "a layer of 1,000,000 empty files" "$ok" "diff exit $code"

echo "== $passed of $tried cases passed"
[[ $passed == "$tried" ]]
