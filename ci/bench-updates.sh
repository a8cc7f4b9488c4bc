#!/usr/bin/env bash
# ci/bench-updates.sh — two REAL updates of the benchmark base image, for
# `oslayer chunk`, in the layout ci/bench-images.sh builds:
#
#   $WORK/images/layout:update-a   base + 1 layer: `apt-get upgrade` with
#       bookworm-security added to /etc/apt/sources.list. apt-get upgrade keeps
#       back packages that need new packages, so the kernel stays: a dozen or two
#       libraries and tools (openssl, python3.11, perl-base, tzdata, ...).
#   $WORK/images/layout:update-b   base + 1 layer: `apt-get full-upgrade` with
#       the same sources (a new kernel ABI package comes in), the old
#       linux-image-<kver> purged, the new vmlinuz and initramfs moved into
#       /usr/lib/modules/$NEWKVER/ as ci/bench-images.sh does (bootc layout),
#       exactly one /usr/lib/modules/<kver> left.
#   $WORK/images/update-{a,b}.tar  the same as oci-archives (BENCH_ARCHIVES=0 skips)
#
# Both are built from the base in the private buildah store of bench-images.sh
# (vfs, chroot isolation) and pushed with the oci: transport; the script checks
# that the first two layers of each update are the base's blobs, byte for byte.
# Apt lists, caches and logs are cleaned in the same layer, as bench-images.sh
# does, so the layer holds the upgrade and the sources.list line only.
#
# Then the "ideal download" of each update: the compressed size of exactly the
# files that changed. `oslayer diff --format json base update-X` lists the
# changes; every added, modified or typechange path that is a regular file or a
# symlink is taken from the update's new layer (every changed path must be in
# it: the lower layers are the base's), tarred in sorted order with
# --numeric-owner, and compressed with gzip -6 and with zstd -3. Results, in
# $WORK/updates:
#
#   ideal-{a,b}.txt     gzip BYTES / zstd BYTES / files N / uncompressed BYTES
#                       (the tar's size), then content BYTES (sum of the
#                       regular files' sizes, hardlinked ones once)
#   ideal-{a,b}.files   the paths, one a line
#   diff-{a,b}.json     oslayer's diff
#   packages-{a,b}.txt  dpkg-query before/after: "name old new" (- for none)
#   apt-history-{a,b}.log, apt-{a,b}.log   apt's history and output of the build
#   security-release.txt  the Date: of the bookworm-security Release file used
#   report-{a,b}.txt    what is printed at the end
#
# The updates depend on the day they are built: bookworm-security moves on
# (snapshot.debian.org, which could pin it, is not reachable from here). The
# Date: of the security Release file is recorded; the package lists say what
# the updates hold. Rebuilding the base (ci/bench-images.sh) invalidates them:
# when the base digest differs from the one recorded, $WORK/updates starts over.
#
# Needs root, buildah, skopeo, python3, gzip, zstd, Go, and what bench-images.sh
# needs; runs bench-images.sh first (exits at once when the images exist).
# Idempotent like bench-images.sh: every step leaves a stamp in $WORK/updates;
# delete $WORK/updates to redo everything. Time: about 2.5 min on 2 cores
# (update-b's build, with the kernel download and initramfs, and its gzip of
# 470 MB of changed files dominate). Disk: about 3 GB more (1.5 GB of it the
# vfs store, 0.8 GB the archives).
#
# Environment:
#   BENCH_WORK              work directory (default /var/tmp/oslayer-bench)
#   DEBIAN_SECURITY_MIRROR  (default http://deb.debian.org/debian-security)
#   DEBIAN_SUITE            (default bookworm)
#   BENCH_ARCHIVES          also write oci-archives (default 1; 0 to skip)
#   OSLAYER                 an oslayer binary to use instead of building one
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=${DEBIAN_SUITE:-bookworm}
ARCHIVES=${BENCH_ARCHIVES:-1}

IMAGES=$WORK/images
LAYOUT=$IMAGES/layout
BLOBS=$LAYOUT/blobs/sha256
UPD=$WORK/updates
TIMINGS=$WORK/timings.txt

BASE_IMAGE=localhost/oslayer-bench-base # in the private store (bench-images.sh)
UPDATE_IMAGE=localhost/oslayer-bench-update # + -a, -b
ARCHIVE_NAME=localhost/oslayer-bench        # + /update-a:latest, /update-b:latest

# As in bench-images.sh: apt inside a chroot, no /dev/pts, no prompts; what an
# image must not ship afterwards.
APT_OPTS="-o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false -y -q"
APT_CLEAN="apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log"
SOURCES_LINE="deb $SECURITY_MIRROR $SUITE-security main"

# Shell (run in the container) putting kernels where bootc wants them, as
# bench-images.sh does: /boot/vmlinuz-V and /boot/initrd.img-V become
# /usr/lib/modules/V/vmlinuz and initramfs.img; the /vmlinuz, /initrd.img
# symlinks go. Also catches an initramfs that an initramfs-tools trigger
# rebuilt in /boot for the base's kernel.
# shellcheck disable=SC2016 # expands in the container's shell
BOOTC_KERNEL='
	for k in /boot/vmlinuz-*; do
		[ -e "$k" ] || continue
		v=${k#/boot/vmlinuz-}
		mv "$k" /usr/lib/modules/$v/vmlinuz
	done
	for i in /boot/initrd.img-*; do
		[ -e "$i" ] || continue
		v=${i#/boot/initrd.img-}
		mv "$i" /usr/lib/modules/$v/initramfs.img
	done
	rm -f /vmlinuz /vmlinuz.old /initrd.img /initrd.img.old'

buildah_() {
	buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run" "$@"
}

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'bench-updates.sh: %s\n' "$*" >&2
	exit 1
}

# step NAME CMD...: as in bench-images.sh, stamps in $UPD.
step() {
	local name=$1
	shift
	if [[ -e $UPD/.$name.done ]]; then
		log "$name: done already ($UPD/.$name.done)"
		return 0
	fi
	log "$name: start"
	local t0=$SECONDS
	"$@"
	printf '%-16s %5ds\n' "$name" $((SECONDS - t0)) | tee -a "$TIMINGS" >&2
	touch "$UPD/.$name.done"
}

manifest() { skopeo inspect --raw "oci:$LAYOUT:$1"; }

# layers REF: "digest-hex size" per layer of REF, in order.
layers() {
	manifest "$1" | python3 -c 'import json,sys
for l in json.load(sys.stdin)["layers"]: print(l["digest"].split(":")[1], l["size"])'
}

# dpkg_list CTR: "name:arch version" of every installed package, sorted.
dpkg_list() {
	# shellcheck disable=SC2016 # dpkg-query's format, not shell
	buildah_ run --isolation chroot "$1" -- \
		dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture} ${Version}\n' |
		awk '$1 ~ /^.i/ { print $2, $3 }' | LC_ALL=C sort
}

# --- building ---------------------------------------------------------------

# build_update X APT_COMMAND EXTRA_SHELL: a container from the base, the
# security line added, apt-get update + APT_COMMAND, then EXTRA_SHELL and the
# kernel move, apt cleaned; committed as $UPDATE_IMAGE-X.
build_update() {
	local x=$1 apt_cmd=$2 extra=$3 ctr
	# A rebuild must not pile up old images in the vfs store (a full copy of
	# the root file system per layer).
	buildah_ rm "oslayer-bench-update-$x" >/dev/null 2>&1 || true
	buildah_ rmi "$UPDATE_IMAGE-$x" >/dev/null 2>&1 || true
	buildah_ inspect --type image "$BASE_IMAGE" >/dev/null 2>&1 ||
		die "$BASE_IMAGE is not in $WORK/storage: rebuild with rm -rf $IMAGES && ci/bench-images.sh"
	ctr=$(buildah_ from --name "oslayer-bench-update-$x" --pull=never "$BASE_IMAGE")
	dpkg_list "$ctr" >"$UPD/dpkg-before-$x.txt"
	buildah_ run --isolation chroot --env DEBIAN_FRONTEND=noninteractive "$ctr" -- sh -euc "
		echo '$SOURCES_LINE' >> /etc/apt/sources.list
		apt-get $APT_OPTS update
		grep -h '^Date:' /var/lib/apt/lists/*_dists_$SUITE-security_InRelease >&2 || true
		apt-get $APT_OPTS $apt_cmd
		$extra
		$BOOTC_KERNEL" 2>&1 | tee "$UPD/apt-$x.log" >&2
	grep -m1 '^Date:' "$UPD/apt-$x.log" >"$UPD/security-release-$x.txt" || true
	buildah_ run --isolation chroot "$ctr" -- cat /var/log/apt/history.log >"$UPD/apt-history-$x.log"
	dpkg_list "$ctr" >"$UPD/dpkg-after-$x.txt"
	buildah_ run --isolation chroot "$ctr" -- sh -euc "
		$APT_CLEAN
		n=\$(ls /usr/lib/modules | wc -l)
		[ \"\$n\" -eq 1 ] || { echo \"expected one kernel in /usr/lib/modules, found: \$(ls /usr/lib/modules)\" >&2; exit 1; }
		v=\$(ls /usr/lib/modules)
		[ -f /usr/lib/modules/\$v/vmlinuz ] && [ -f /usr/lib/modules/\$v/initramfs.img ] ||
			{ echo \"kernel \$v: vmlinuz or initramfs.img missing in /usr/lib/modules/\$v\" >&2; exit 1; }
		echo \"kernel: \$v\" >&2"
	# packages-X.txt: name old new, "-" where a side has none.
	LC_ALL=C join -a1 -a2 -e - -o 0,1.2,2.2 "$UPD/dpkg-before-$x.txt" "$UPD/dpkg-after-$x.txt" |
		awk '$2 != $3' >"$UPD/packages-$x.txt"
	buildah_ config --created-by "apt-get $apt_cmd ($SUITE-security)" \
		--label "org.opencontainers.image.version=debian-$SUITE-update-$x" "$ctr"
	buildah_ commit --rm "$ctr" "$UPDATE_IMAGE-$x" >&2
}

build_update_a() {
	build_update a upgrade ''
}

# full-upgrade pulls in the new kernel ABI package (linux-image-amd64 depends on
# it); the old linux-image-<kver> is purged. Its /usr/lib/modules/<kver> keeps
# the vmlinuz and initramfs.img bench-images.sh put there (no package owns
# them), so it is removed whole. If bookworm-security has no newer kernel than
# the base, nothing is purged and update-b is update-a plus what upgrade kept
# back; the build log says so.
build_update_b() {
	# shellcheck disable=SC2016 # expands in the container's shell
	local extra='
		new=$(ls /boot | sed -n "s/^vmlinuz-//p")
		old=""
		for d in /usr/lib/modules/*; do
			v=${d#/usr/lib/modules/}
			[ "$v" = "$new" ] || old="$old $v"
		done
		if [ -z "$new" ]; then
			echo "bench-updates: NO NEW KERNEL in the security archive; keeping$old" >&2
		else
			echo "bench-updates: new kernel $new, purging$old" >&2
			for v in $old; do
				if dpkg-query -W "linux-image-$v" >/dev/null 2>&1; then
					apt-get '"$APT_OPTS"' purge "linux-image-$v"
				fi
				rm -rf "/usr/lib/modules/$v"
			done
		fi'
	build_update b full-upgrade "$extra"
}

# push_update X: into the layout, then check the update is base + 1 layer.
push_update() {
	local x=$1
	buildah_ push "$UPDATE_IMAGE-$x" "oci:$LAYOUT:update-$x"
	local base upd
	base=$(layers base | cut -d' ' -f1)
	upd=$(layers "update-$x" | cut -d' ' -f1)
	if [[ $(head -n "$(wc -l <<<"$base")" <<<"$upd") != "$base" || $(wc -l <<<"$upd") -ne $(($(wc -l <<<"$base") + 1)) ]]; then
		die "update-$x is not base + 1 layer (base layers: $(echo "$base" | tr '\n' ' '); update-$x: $(echo "$upd" | tr '\n' ' '))"
	fi
}

write_archive() {
	local x=$1
	rm -f "$IMAGES/update-$x.tar"
	skopeo copy --quiet "oci:$LAYOUT:update-$x" "oci-archive:$IMAGES/update-$x.tar:$ARCHIVE_NAME/update-$x:latest"
}

# --- the ideal download -----------------------------------------------------

OSLAYER_BUILT=
oslayer_bin() {
	if [[ -n ${OSLAYER:-} ]]; then
		return 0
	fi
	if [[ -z $OSLAYER_BUILT ]]; then
		log "building oslayer into $WORK/bin"
		(cd "$here/.." && CGO_ENABLED=0 go build -o "$WORK/bin/oslayer" ./cmd/oslayer)
		OSLAYER_BUILT=1
	fi
	OSLAYER=$WORK/bin/oslayer
}

# ideal X: the changed files of update-X, tarred and compressed.
ideal() {
	local x=$1 top scratch tarf
	oslayer_bin
	XDG_CACHE_HOME=$WORK/oslayer-cache \
		"$OSLAYER" diff --format json "oci:$LAYOUT:base" "oci:$LAYOUT:update-$x" >"$UPD/diff-$x.json"

	# The paths, relative, NUL-separated and sorted (bytewise). Also checks that
	# oslayer compared layers, not full trees.
	python3 - "$UPD/diff-$x.json" "$UPD/ideal-$x.list0" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("comparison") != "layers":
    sys.exit(f"oslayer diff compared {d.get('comparison')!r}, expected 'layers'")
paths = sorted({c["path"].lstrip("/").encode() for c in d["changes"]
                if c["kind"] in ("added", "modified", "typechange")
                and c["type"] in ("file", "symlink")})
with open(sys.argv[2], "wb") as f:
    for p in paths:
        f.write(p + b"\0")
EOF
	tr '\0' '\n' <"$UPD/ideal-$x.list0" | sed 's|^|/|' >"$UPD/ideal-$x.files"

	# Every changed path was written by the update's one new layer.
	top=$(layers "update-$x" | tail -n 1 | cut -d' ' -f1)
	scratch=$UPD/scratch-$x
	tarf=$UPD/ideal-$x.tar
	rm -rf "$scratch"
	mkdir -p "$scratch"
	tar -C "$scratch" --numeric-owner --xattrs --xattrs-include='*' -xzpf "$BLOBS/$top"
	python3 - "$scratch" "$UPD/ideal-$x.list0" <<'EOF'
import os, sys
root = sys.argv[1]
missing = [p for p in open(sys.argv[2], "rb").read().split(b"\0") if p
           and not os.path.lexists(os.path.join(root.encode(), p))]
if missing:
    sys.exit(f"{len(missing)} changed paths not in the new layer, e.g. {missing[:5]}")
EOF
	tar -C "$scratch" --numeric-owner --no-recursion --null --verbatim-files-from \
		-T "$UPD/ideal-$x.list0" -cf "$tarf"

	local files content unc gz zs
	files=$(tr -cd '\0' <"$UPD/ideal-$x.list0" | wc -c)
	# content: bytes of the regular files, a hardlinked file's once (as tar
	# stores it).
	content=$(cd "$scratch" && tr '\0' '\n' <"$UPD/ideal-$x.list0" | xargs -d '\n' -r stat -c '%d:%i %s %F' |
		awk '$3 == "regular" && !seen[$1]++ { s += $2 } END { print s + 0 }')
	unc=$(stat -c %s "$tarf")
	gz=$(gzip -6 -n -c "$tarf" | wc -c)
	zs=$(zstd -3 -q -c "$tarf" | wc -c)
	printf 'gzip %d\nzstd %d\nfiles %d\nuncompressed %d\ncontent %d\n' \
		"$gz" "$zs" "$files" "$unc" "$content" >"$UPD/ideal-$x.txt"
	rm -rf "$scratch" "$tarf"
	report "$x"
}

# report X: everything about update-X, to $UPD/report-X.txt.
report() {
	local x=$1 top top_size top_unc top_zstd img_c=0 img_u=0 n=0 d s
	while read -r d s; do
		img_c=$((img_c + s))
		img_u=$((img_u + $(zcat "$BLOBS/$d" | wc -c)))
		n=$((n + 1))
		top=$d top_size=$s
	done < <(layers "update-$x")
	top_unc=$(zcat "$BLOBS/$top" | wc -c)
	top_zstd=$(zcat "$BLOBS/$top" | zstd -3 -q -c | wc -c)
	{
		echo "== update-$x: $(python3 -c 'import json,sys; print(json.load(sys.stdin).get("history", [{}])[-1].get("created_by", ""))' \
			< <(skopeo inspect --config "oci:$LAYOUT:update-$x"))"
		echo "  security archive: $(cat "$UPD/security-release-$x.txt" 2>/dev/null || echo unknown)"
		python3 - "$UPD/diff-$x.json" "$UPD/packages-$x.txt" "$UPD/ideal-$x.txt" \
			"$top_size" "$top_unc" "$top_zstd" "$n" "$img_c" "$img_u" <<'EOF'
import collections, json, sys
d = json.load(open(sys.argv[1]))
pk = [l.split() for l in open(sys.argv[2]) if l.strip()]
ideal = dict(l.split() for l in open(sys.argv[3]))
top_c, top_u, top_z, n, img_c, img_u = map(int, sys.argv[4:10])
mib = lambda b: f"{int(b):>11,} B {int(b) / 2**20:8.1f} MiB"
kinds = collections.Counter((p[1] == "-" and "added") or (p[2] == "-" and "removed") or "upgraded" for p in pk)
print(f"  packages changed: {len(pk)} ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}); "
      f"oslayer diff: {len(d.get('packages', []))}")
for name, old, new in pk:
    print(f"    {name:36} {old:28} -> {new}")
ck = collections.Counter(c["kind"] for c in d["changes"])
sel = [c for c in d["changes"] if c["kind"] in ("added", "modified", "typechange") and c["type"] in ("file", "symlink")]
st = collections.Counter(f'{c["kind"]} {c["type"]}' for c in sel)
print(f"  changes (oslayer diff): {len(d['changes'])} paths: " + ", ".join(f"{v} {k}" for k, v in sorted(ck.items())))
print(f"  changed files (ideal): {ideal['files']}: " + ", ".join(f"{v} {k}" for k, v in sorted(st.items())))
print(f"  ideal  content      {mib(ideal['content'])}")
print(f"         tar          {mib(ideal['uncompressed'])}")
print(f"         gzip -6      {mib(ideal['gzip'])}")
print(f"         zstd -3      {mib(ideal['zstd'])}")
print(f"  new layer (buildah) {mib(top_c)} gzip, {top_u / 2**20:.1f} MiB uncompressed, {top_z / 2**20:.1f} MiB as zstd -3")
print(f"  whole image         {mib(img_c)} gzip, {img_u / 2**20:.1f} MiB uncompressed, {n} layers")
print(f"  new layer / ideal:  {top_c / int(ideal['gzip']):.2f}x (gzip)")
EOF
	} >"$UPD/report-$x.txt"
}

# --- main -------------------------------------------------------------------

if [[ $(id -u) -ne 0 ]]; then
	die "must run as root (buildah with a private store, chroot isolation)"
fi
"$here/bench-images.sh" >&2
mkdir -p "$UPD"

# The updates belong to one base: start over when it was rebuilt.
base_digest=$(skopeo inspect --format '{{.Digest}}' "oci:$LAYOUT:base")
if [[ -e $UPD/base.digest && $(cat "$UPD/base.digest") != "$base_digest" ]]; then
	log "base changed ($(cat "$UPD/base.digest") -> $base_digest): rebuilding the updates"
	rm -rf "$UPD"
	mkdir -p "$UPD"
fi
echo "$base_digest" >"$UPD/base.digest"
# A layout that lost a ref (rebuilt by hand) gets it pushed again.
for x in a b; do
	if [[ -e $UPD/.update-$x-push.done ]] && ! manifest "update-$x" >/dev/null 2>&1; then
		rm -f "$UPD/.update-$x-push.done"
	fi
done

step update-a-build build_update_a
step update-a-push push_update a
step update-b-build build_update_b
step update-b-push push_update b
if [[ $ARCHIVES == 1 ]]; then
	step update-a-archive write_archive a
	step update-b-archive write_archive b
fi
step update-a-ideal ideal a
step update-b-ideal ideal b
touch "$UPD/.complete"

cat "$UPD/report-a.txt" "$UPD/report-b.txt"
log "images: oci:$LAYOUT:update-a, oci:$LAYOUT:update-b; numbers in $UPD/ideal-{a,b}.txt"
