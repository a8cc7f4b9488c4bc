#!/usr/bin/env bash
# ci/bench-chunk.sh — measure `oslayer chunk` on the realistic bootable image of
# ci/bench-images.sh (Debian bookworm with systemd and a kernel, ~755 MiB
# uncompressed, 2 gzip layers) and on the two real updates of
# ci/bench-updates.sh, in one run:
#
#   1. speed: oslayer chunk base, gzip (the default) and --compression zstd,
#      BENCH_RUNS (3) runs each under GNU time: median wall time, median CPU%
#      (2 cores: well above 100% when both are busy), max peak RSS. Every run
#      writes a fresh oci: layout under $WORK/chunk/runs, deleted after it; its
#      --tmpdir (the spool of the source layers, the layers being written) is
#      $WORK/chunk/tmp, on the same disk as the output. `sync` before every run,
#      so no run pays for the previous one's writeback. One more, untimed run of
#      each writes the copy kept in oci:$WORK/chunk/out (:base-gzip, :base-zstd).
#   2. baselines, BENCH_RUNS runs each, median: the base's layer blobs (from its
#      manifest) decompressed and recompressed, to /dev/null — what any tool
#      rewriting the layers must at least do:
#          zcat BLOBS | gzip -6          zcat BLOBS | zstd -T2 -3
#      and the ratio oslayer / baseline.
#   3. the runs of 1 again with --tmpdir and the destination in /dev/shm
#      (tmpfs): without this VM's slow disk (~300 MB/s buffered writes), what
#      is left is CPU. Medians and ratios, labelled "tmpfs".
#   4. determinism: one gzip run with GOMAXPROCS=1 (timed too) must give the
#      manifest digest of the default runs. The digest is the one the summary
#      line prints, checked against the sha256 of the manifest (skopeo inspect
#      --raw) of every run; all runs of one compression (disk, tmpfs, the kept
#      copy) must agree as well.
#   5. updates: update-a and update-b chunked (gzip) with --prior
#      oci:$WORK/chunk/out:base-gzip into :update-a, :update-b, and without
#      --prior into :update-a-noprior, :update-b-noprior (one timed run each).
#      For each, what updating from the chunked base downloads: the layers of
#      the new image whose digests the old one lacks (bytes and count), from
#      `oslayer diff --layers --format json` and cross-checked with the two
#      manifests; the ideal download (the changed files tarred and gzip -6'd,
#      "gzip" in $WORK/updates/ideal-X.txt) and the ratio download / ideal; the
#      whole chunked image (sum of its layer sizes) and the share of bytes
#      reused, 1 - download / whole. For comparison, the same for the unchunked
#      pair in the source layout (buildah's one new layer). The downloaded
#      layers of every chunked update, with size and ostree.components
#      annotation, are in $WORK/chunk/downloaded-X[-noprior].txt; the report
#      lists them for --prior updates over the target.
#   6. sanity: `oslayer diff --no-cache --format json` between each source
#      image (base, update-a, update-b) and its chunked version must list no
#      change (mtimes aside: chunk sets them to 0 and diff ignores mtime-only
#      changes without --include-mtime). Also: --tmpdir must be empty after
#      every chunk run.
#
# Targets (issue 4): chunk <= 1.3x its baseline, peak RSS <= 150 MB, CPU% well
# above 100%; an update downloads <= 1.5x the ideal.
#
# The report is printed at the end and saved to $WORK/chunk/report.txt; the
# raw numbers (NAME.times: "wall-s cpu% peak-RSS-KiB other-load%" per run;
# NAME.digests: "summary-line-digest manifest-sha256" per chunk run), the
# manifests and diffs are in $WORK/chunk/res. Everything under $WORK/chunk and
# /dev/shm/oslayer-bench-chunk is redone on every run.
#
# Needs root and what ci/bench-updates.sh needs (buildah, skopeo, python3,
# gzip, zstd, GNU time, Go); runs ci/bench-images.sh and ci/bench-updates.sh
# first (they return at once when their images exist). Time: about 4.5 min on
# 2 idle cores once the images exist (the gzip -6 baseline is half a minute a
# run). Disk: about 0.7 GB in $WORK/chunk; about 1.3 GB of RAM in /dev/shm
# during 3. Timings are only worth something on an otherwise idle machine:
# the report flags runs during which other processes used the CPU.
# Environment: BENCH_WORK (default /var/tmp/oslayer-bench), BENCH_RUNS
# (default 3), plus what ci/bench-images.sh and ci/bench-updates.sh take.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
RUNS=${BENCH_RUNS:-3}
LAYOUT=$WORK/images/layout
BLOBS=$LAYOUT/blobs/sha256
CH=$WORK/chunk
RES=$CH/res
OUT=$CH/out
DISK_RUNS=$CH/runs
DISK_TMP=$CH/tmp
SHM=/dev/shm/oslayer-bench-chunk

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'bench-chunk.sh: %s\n' "$*" >&2
	exit 1
}

if [[ $(id -u) -ne 0 ]]; then
	die "must run as root (ci/bench-images.sh and ci/bench-updates.sh need it)"
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number, not '$RUNS'"

mkdir -p "$WORK/bin"
(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
export OSLAYER=$WORK/bin/oslayer # bench-updates.sh uses it instead of building its own
"$here/bench-images.sh" >&2
"$here/bench-updates.sh" >&2
for x in a b; do
	[[ -s $WORK/updates/ideal-$x.txt ]] || die "$WORK/updates/ideal-$x.txt missing: ci/bench-updates.sh did not finish"
done

# A private cache for the diffs (chunk runs take --no-cache), as the other benchmarks.
export XDG_CACHE_HOME=$WORK/oslayer-cache
trap 'rm -rf "$SHM"' EXIT
rm -rf "$CH" "$SHM"
mkdir -p "$RES" "$OUT" "$DISK_RUNS" "$DISK_TMP" "$SHM/runs" "$SHM/tmp"

# layer_digests REF: the layer digests (hex) of REF, in order.
layer_digests() {
	skopeo inspect --raw "$1" |
		python3 -c 'import json,sys; [print(l["digest"].split(":")[1]) for l in json.load(sys.stdin)["layers"]]'
}

# busy_ticks: CPU time (user, nice, system, irq, softirq) all cores spent, in ticks.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
HZ=$(getconf CLK_TCK)

# timed NAME CMD...: run CMD under GNU time after a sync; its stdout and stderr
# go to $RES/NAME.out, .err (the last run's); appends "wall cpu% rss-KiB
# other%" to $RES/NAME.times and prints it. other% is the CPU the rest of the
# machine used meanwhile (all cores' busy time from /proc/stat minus CMD's
# user+system), in % of one core: anything but a few % means the numbers are
# not this command's alone. Stops the benchmark when CMD fails.
timed() {
	local name=$1 rc=0 t0 t1 wall cpu rss user sys other
	shift
	sync
	t0=$(busy_ticks)
	/usr/bin/time -f "%e %P %M %U %S" -o "$RES/time.out" "$@" >"$RES/$name.out" 2>"$RES/$name.err" || rc=$?
	t1=$(busy_ticks)
	if [[ $rc -ne 0 ]]; then
		tail -n 20 "$RES/$name.err" >&2
		die "$name: exit status $rc: $*"
	fi
	read -r wall cpu rss user sys < <(tail -n 1 "$RES/time.out")
	other=$(python3 -c "print(max(0, round((($t1 - $t0) / $HZ - $user - $sys) / max($wall, 0.01) * 100)))")
	echo "$wall ${cpu%\%} $rss $other" >>"$RES/$name.times"
	printf '  %-22s run %d: %7.2f s  cpu %5s  peak RSS %4d MiB  other load %3d%%\n' "$name" \
		"$(wc -l <"$RES/$name.times")" "$wall" "$cpu" $((rss / 1024)) "$other" >&2
}

# chunk_timed NAME TMPDIR DEST_LAYOUT DEST_TAG [FLAGS...] SRC: one timed
# `oslayer chunk` (env may carry GOMAXPROCS). Appends "summary-digest
# manifest-sha256" to $RES/NAME.digests, checks TMPDIR is left empty.
chunk_timed() {
	local name=$1 tmp=$2 dir=$3 tag=$4 sum man
	shift 4
	timed "$name" "$OSLAYER" chunk --no-cache --tmpdir "$tmp" "$@" "oci:$dir:$tag"
	sum=$(grep -oE 'sha256:[0-9a-f]{64}' "$RES/$name.err" | tail -n 1 || echo none)
	man=sha256:$(skopeo inspect --raw "oci:$dir:$tag" | sha256sum | cut -d' ' -f1)
	echo "$sum $man" >>"$RES/$name.digests"
	if [[ -n $(find "$tmp" -mindepth 1 -maxdepth 1) ]]; then
		echo "$name: left in --tmpdir $tmp: $(find "$tmp" -mindepth 1 -maxdepth 1 -printf '%f ' | head -c 300)" >>"$RES/tmpdir-leftovers.txt"
		rm -rf "${tmp:?}"/*
	fi
}

# chunk_runs NAME WHERE(disk|tmpfs) [FLAGS...]: BENCH_RUNS timed chunks of the
# base, each into a fresh layout deleted afterwards.
chunk_runs() {
	local name=$1 where=$2 runs tmp i
	shift 2
	case $where in
	disk) runs=$DISK_RUNS tmp=$DISK_TMP ;;
	tmpfs) runs=$SHM/runs tmp=$SHM/tmp ;;
	esac
	for ((i = 1; i <= RUNS; i++)); do
		rm -rf "${runs:?}/$name"
		chunk_timed "$name" "$tmp" "$runs/$name" base "$@" "oci:$LAYOUT:base"
		rm -rf "${runs:?}/$name"
	done
}

# Source blobs in the page cache: every run reads them from memory.
for ref in base update-a update-b; do
	for d in $(layer_digests "oci:$LAYOUT:$ref"); do cat "$BLOBS/$d" >/dev/null; done
done
mapfile -t base_blobs < <(layer_digests "oci:$LAYOUT:base")
base_blobs=("${base_blobs[@]/#/$BLOBS/}")

{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cores $(nproc)"
	# Read-only git: no index refresh (another engineer may be working in the tree).
	echo "oslayer $(git --no-optional-locks -C "$here/.." log -1 --format='%h (%<(50,trunc)%s)' 2>/dev/null | sed 's/ *)$/)/' || echo unknown)$(
		[[ -z $(git --no-optional-locks -C "$here/.." status --porcelain --untracked-files=no -- '*.go' go.mod go.sum 2>/dev/null) ]] || echo ' + uncommitted Go changes')"
	echo "disk $(df -P "$CH" | awk 'NR == 2 { print $1 }')"
	echo "runs $RUNS"
} >"$RES/meta.txt"

log "1. chunk base on disk (--tmpdir $DISK_TMP), $RUNS runs each"
chunk_runs disk-gzip disk
chunk_runs disk-zstd disk --compression zstd

log "2. baselines, $RUNS runs each"
for ((i = 1; i <= RUNS; i++)); do
	# shellcheck disable=SC2016 # $@ expands in the inner shell
	timed base-gzip sh -c 'zcat "$@" | gzip -6 >/dev/null' sh "${base_blobs[@]}"
	# shellcheck disable=SC2016
	timed base-zstd sh -c 'zcat "$@" | zstd -q -T2 -3 >/dev/null' sh "${base_blobs[@]}"
done

log "3. chunk base in tmpfs ($SHM), $RUNS runs each"
chunk_runs tmpfs-gzip tmpfs
chunk_runs tmpfs-zstd tmpfs --compression zstd
rm -rf "$SHM"

log "4. determinism: GOMAXPROCS=1"
rm -rf "${DISK_RUNS:?}/gomaxprocs1"
GOMAXPROCS=1 chunk_timed gomaxprocs1 "$DISK_TMP" "$DISK_RUNS/gomaxprocs1" base "oci:$LAYOUT:base"
rm -rf "${DISK_RUNS:?}/gomaxprocs1"

log "5. the copies kept in $OUT, and the updates"
chunk_timed keep-gzip "$DISK_TMP" "$OUT" base-gzip "oci:$LAYOUT:base"
chunk_timed keep-zstd "$DISK_TMP" "$OUT" base-zstd --compression zstd "oci:$LAYOUT:base"
for x in a b; do
	chunk_timed "update-$x-prior" "$DISK_TMP" "$OUT" "update-$x" --prior "oci:$OUT:base-gzip" "oci:$LAYOUT:update-$x"
	chunk_timed "update-$x-noprior" "$DISK_TMP" "$OUT" "update-$x-noprior" "oci:$LAYOUT:update-$x"
done
for ref in "$LAYOUT:base" "$LAYOUT:update-a" "$LAYOUT:update-b" "$OUT:base-gzip" \
	"$OUT:update-a" "$OUT:update-b" "$OUT:update-a-noprior" "$OUT:update-b-noprior"; do
	skopeo inspect --raw "oci:$ref" >"$RES/manifest-${ref##*/}.json" # layout:base, out:update-a, ...
done
for x in a b; do
	"$OSLAYER" diff --layers --format json "oci:$LAYOUT:base" "oci:$LAYOUT:update-$x" >"$RES/layers-$x-unchunked.json"
	"$OSLAYER" diff --layers --format json "oci:$OUT:base-gzip" "oci:$OUT:update-$x" >"$RES/layers-$x-prior.json"
	"$OSLAYER" diff --layers --format json "oci:$OUT:base-gzip" "oci:$OUT:update-$x-noprior" >"$RES/layers-$x-noprior.json"
done

log "6. sanity: source vs chunked, oslayer diff --no-cache"
"$OSLAYER" diff --no-cache --format json "oci:$LAYOUT:base" "oci:$OUT:base-gzip" >"$RES/sanity-base.json"
for x in a b; do
	"$OSLAYER" diff --no-cache --format json "oci:$LAYOUT:update-$x" "oci:$OUT:update-$x" >"$RES/sanity-update-$x.json"
done

# --- the report ---------------------------------------------------------------
python3 - "$RES" "$WORK/updates" "$CH" "$LAYOUT" "$OUT" <<'EOF' | tee "$CH/report.txt"
import json, os, statistics, sys

res, upd, ch, layout, out = sys.argv[1:6]
meta = dict(l.rstrip("\n").split(" ", 1) for l in open(f"{res}/meta.txt"))
MiB = 2**20
fails = []


def times(name):
    """NAME's runs: (wall s, cpu %, peak RSS KiB, other load %)"""
    return [tuple(float(v) for v in l.split()[:4]) for l in open(f"{res}/{name}.times")]


def med(name):
    """median wall, median cpu%, max peak RSS (bytes) of NAME's runs"""
    t = times(name)
    return statistics.median(x[0] for x in t), statistics.median(x[1] for x in t), max(x[2] for x in t) * 1024


def other(name):
    """median CPU the rest of the machine used during NAME's runs, % of a core"""
    return statistics.median(x[3] for x in times(name))


busy = []  # (name, other load) of groups measured on a busy machine


def noisy(name):
    o = other(name)
    if o > 15:
        busy.append((name, o))
        return f"{o:4.0f}%!"
    return f"{o:4.0f}% "


def digests(name):
    return [l.split() for l in open(f"{res}/{name}.digests")]


def manifest(name):
    return json.load(open(f"{res}/manifest-{name}.json"))


def flag(ok):
    return "ok" if ok else "OVER TARGET"


print(f"oslayer chunk benchmark, {meta['date']}: {meta['cores']} cores, oslayer {meta['oslayer']}")
src = manifest("layout:base")["layers"]
print(f"source oci:{layout}:base: {len(src)} gzip layers, {sum(l['size'] for l in src) / MiB:.1f} MiB")
summary = open(f"{res}/disk-gzip.err").read().strip().splitlines()[-1]
print(f"  {summary}")
print(f"  (zstd: {open(f'{res}/disk-zstd.err').read().strip().splitlines()[-1]})")

print()
print(f"== 1-3. chunk the base: median of {meta['runs']} runs (wall, CPU), max peak RSS")
print(f"   disk = --tmpdir and output on {meta['disk']} under {ch}; tmpfs = both in /dev/shm")
print(f"   baseline = zcat of the {len(src)} layer blobs | compressor > /dev/null")
print("   other = CPU the rest of the machine used meanwhile (median, % of a core; ! when > 15%: timings not clean)")
print(f"   {'':32} {'wall':>7} {'CPU':>5} {'peak RSS':>8} {'other':>6} {'/ baseline':>10}")
rows = [("gzip", "base-gzip", "zcat | gzip -6"), ("zstd", "base-zstd", "zcat | zstd -T2 -3")]
for comp, base, label in rows:
    bw, bc, br = med(base)
    print(f"   {comp}")
    for where in ("disk", "tmpfs"):
        w, c, r = med(f"{where}-{comp}")
        ratio = w / bw
        print(f"     oslayer chunk, {where:<14} {w:6.2f}s {c:4.0f}% {r / 1e6:5.0f} MB {noisy(f'{where}-{comp}')} {ratio:9.2f}x"
              f"   ratio {flag(ratio <= 1.3)}, RSS {flag(r <= 150e6)}")
        if ratio > 1.3:
            fails.append(f"chunk {comp} on {where}: {ratio:.2f}x its baseline (target <= 1.3x)")
        if r > 150e6:
            fails.append(f"chunk {comp} on {where}: peak RSS {r / 1e6:.0f} MB (target <= 150 MB)")
    print(f"     baseline: {label:<19} {bw:6.2f}s {bc:4.0f}% {br / 1e6:5.0f} MB {noisy(base)}")
    dw, tw = med(f"disk-{comp}")[0], med(f"tmpfs-{comp}")[0]
    print(f"     disk / tmpfs: {dw / tw:.2f}x ({dw - tw:+.2f} s of disk)")
print("   every run (wall s / other load %):")
for name in ("disk-gzip", "tmpfs-gzip", "base-gzip", "disk-zstd", "tmpfs-zstd", "base-zstd"):
    print(f"     {name:<11} " + "  ".join(f"{x[0]:6.2f}/{x[3]:<3.0f}" for x in times(name)))

print()
print("== 4. determinism")
ref = digests("disk-gzip")[0][0]
g1 = digests("gomaxprocs1")[0][0]
w, c, r = med("gomaxprocs1")
ok = g1 == ref
print(f"   default:      {ref}")
print(f"   GOMAXPROCS=1: {g1}  {'PASS' if ok else 'FAIL'}")
print(f"     ({w:.2f} s, CPU {c:.0f}%, {r / 1e6:.0f} MB, other load {noisy('gomaxprocs1').strip()})")
if not ok:
    fails.append("GOMAXPROCS=1 gives another manifest digest")
for comp in ("gzip", "zstd"):
    names = [f"disk-{comp}", f"tmpfs-{comp}", f"keep-{comp}"] + (["gomaxprocs1"] if comp == "gzip" else [])
    ds = [d for n in names for d in digests(n)]
    same = len({s for s, _ in ds}) == 1
    match = all(s == m for s, m in ds)
    print(f"   {comp}: {len(ds)} runs (disk, tmpfs, kept copy{', GOMAXPROCS=1' if comp == 'gzip' else ''}): "
          f"{'one digest' if same else 'DIFFERENT DIGESTS: ' + ' '.join(sorted({s[7:19] for s, _ in ds}))}; "
          f"summary line = sha256(manifest): {'yes' if match else 'NO'}   {'PASS' if same and match else 'FAIL'}")
    if not (same and match):
        fails.append(f"{comp}: runs disagree on the digest, or the summary line on the manifest")

print()
print("== 5. updates (gzip): what updating from the base downloads")
print("   download = layers of the new image whose digest the old one lacks; reused = 1 - download / whole;")
print("   ideal = the changed files tarred, gzip -6 (ci/bench-updates.sh); target download / ideal <= 1.5")
for x in "ab":
    ideal = dict(l.split() for l in open(f"{upd}/ideal-{x}.txt"))
    igz = int(ideal["gzip"])
    print(f"   update-{x}: ideal {igz / MiB:.1f} MiB ({igz:,} B; {ideal['files']} files, "
          f"{int(ideal['content']) / MiB:.1f} MiB of content)")
    print(f"     {'':29} {'download':>11} {'layers':>9} {'whole image':>12} {'reused':>6} {'/ ideal':>8} {'chunk time':>10}")
    variants = [("unchunked (buildah)", "unchunked", "layout:base", f"layout:update-{x}", None),
                ("chunked, --prior", "prior", "out:base-gzip", f"out:update-{x}", f"update-{x}-prior"),
                ("chunked, no --prior", "noprior", "out:base-gzip", f"out:update-{x}-noprior", f"update-{x}-noprior")]
    for label, v, old, new, tname in variants:
        om, nm = manifest(old), manifest(new)
        have = {l["digest"] for l in om["layers"]}
        got, seen = [], set()
        for l in nm["layers"]:
            if l["digest"] not in have and l["digest"] not in seen:
                got.append(l)
                seen.add(l["digest"])
        down = sum(l["size"] for l in got)
        whole = sum(l["size"] for l in nm["layers"])
        lj = json.load(open(f"{res}/layers-{x}-{v}.json"))["layers"]
        check = "" if (lj["download_bytes"], lj["new_layers"]) == (down, len(got)) else \
            f"  (oslayer diff --layers says {lj['download_bytes']:,} B in {lj['new_layers']} layers!)"
        ratio = down / igz
        t = f"  {med(tname)[0]:8.2f}s{'!' if tname and noisy(tname).endswith('!') else ''}" if tname else ""
        mark = "" if v == "unchunked" else "   " + flag(ratio <= 1.5)
        if v == "noprior" and nm == manifest(f"out:update-{x}"):
            mark += " (same manifest as --prior)"
        print(f"     {label:<29} {down / MiB:7.1f} MiB {len(got):>3} of {len(nm['layers']):<3} {whole / MiB:8.1f} MiB "
              f"{1 - down / whole:6.1%} {ratio:7.2f}x{t}{mark}{check}")
        if check:
            fails.append(f"update-{x} {label}: oslayer diff --layers disagrees with the manifests")
        if v != "unchunked":
            suffix = "" if v == "prior" else "-noprior"
            with open(f"{ch}/downloaded-{x}{suffix}.txt", "w") as f:
                f.write(f"# layers of oci:{out}:update-{x}{suffix} not in oci:{out}:base-gzip: size, index, ostree.components\n")
                for l in sorted(got, key=lambda l: -l["size"]):
                    comps = l.get("annotations", {}).get("ostree.components", "")
                    f.write(f"{l['size']:>12,} {nm['layers'].index(l) + 1:>3} {comps}\n")
            if ratio > 1.5:
                if v == "prior":
                    fails.append(f"update-{x} chunked with --prior: downloads {ratio:.2f}x the ideal (target <= 1.5x)")
                    print(f"       downloaded layers (size, index in the image, ostree.components):")
                    for l in sorted(got, key=lambda l: -l["size"]):
                        comps = l.get("annotations", {}).get("ostree.components", "")
                        if len(comps) > 90:
                            comps = comps[:87] + "..."
                        print(f"         {l['size'] / MiB:7.2f} MiB #{nm['layers'].index(l) + 1:<3} {comps}")

print()
print("== 6. sanity: oslayer diff --no-cache SOURCE CHUNKED lists no change (mtimes aside)")
for name, a, b in [("base", f"oci:{layout}:base", f"oci:{out}:base-gzip"),
                   ("update-a", f"oci:{layout}:update-a", f"oci:{out}:update-a"),
                   ("update-b", f"oci:{layout}:update-b", f"oci:{out}:update-b")]:
    d = json.load(open(f"{res}/sanity-{name}.json"))
    n, p = len(d.get("changes") or []), len(d.get("packages") or [])
    ok = n == 0 and p == 0
    print(f"   {name:<9} {n} file changes, {p} package changes ({d.get('comparison')} comparison)   {'PASS' if ok else 'FAIL'}")
    if not ok:
        fails.append(f"{name}: chunked image differs from its source ({n} changes; {res}/sanity-{name}.json)")
left = f"{res}/tmpdir-leftovers.txt"
if os.path.exists(left):
    print("   --tmpdir not empty after a run: FAIL")
    for l in open(left):
        print(f"     {l.rstrip()}")
    fails.append("chunk left files in --tmpdir")
else:
    print("   --tmpdir empty after every chunk run   PASS")

print()
if busy:
    print("== WARNING: the machine was busy with other work during " + ", ".join(f"{n} ({o:.0f}% of a core)" for n, o in busy))
    print("   those timings and ratios are not clean; run again on an idle machine")
if fails:
    print(f"== {len(fails)} target(s) missed or check(s) failed:")
    for f in fails:
        print(f"   - {f}")
else:
    print("== all targets met, all checks passed")
print(f"   report: {ch}/report.txt; raw numbers: {res}; images: oci:{out}:<tag>")
EOF
