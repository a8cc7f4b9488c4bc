#!/usr/bin/env bash
# ci/bench-images.sh — build a realistic, bootable-ish Debian image pair for
# benchmarks, as one OCI image layout holding two refs:
#
#   $WORK/images/layout:base     Debian bookworm "OS image" in 2 layers:
#                                  1. debootstrap minbase + systemd, udev, sshd, ...
#                                  2. kernel + initramfs (installed with apt on top,
#                                     moved into /usr/lib/modules/$KVER like bootc)
#   $WORK/images/layout:derived  FROM base, 3 more layers, each one RUN step of a
#                                Containerfile, doing what a platform team does:
#                                  3. apt-get install a few packages, clean apt
#                                  4. /etc edits (sshd_config, a user, sudoers,
#                                     a file that becomes a symlink)
#                                  5. /usr overrides (chmod u+s less, setcap on
#                                     rsync, edit os-release, delete a file and
#                                     a directory, replace a directory)
#   $WORK/images/base.tar, derived.tar   the same two images as oci-archives,
#       named localhost/oslayer-bench/{base,derived}:latest (for diffoci,
#       which can only load archives; see ci/build-diffoci.sh)
#
# Layers are gzip-compressed (buildah's default for the oci: transport).
#
# Needs: root, debootstrap, buildah, skopeo, and a Debian mirror. Uses a private
# buildah store under $WORK (vfs driver, chroot isolation), so it runs without
# Docker/podman, without overlayfs and without touching the system's store.
#
# Idempotent: every step leaves a stamp file and is skipped when its stamp is
# there; when $WORK/images/.complete exists the script exits at once. Delete
# $WORK (or just $WORK/images) to rebuild. The debootstrap rootfs and the .deb
# downloads are kept in $WORK/cache so a rebuild of the images is quick.
# Disk: about 4.5 GB under $WORK (3.5 GB of it the vfs store). Time: about
# 3.5 min on 2 idle cores with a fast mirror, downloads included.
#
# Manifest annotations, as buildah 1.28 writes them (not changed here, so the
# pair looks like real buildah output): both manifests carry
# org.opencontainers.image.base.name/.base.digest, but they name the image's
# immediate parent in buildah's store, not the base in the layout. For
# "derived" (built with --layers) base.digest is the storage manifest digest of
# the intermediate 4-layer image and base.name is "localhost/<layout path>:latest";
# for "base" they name the local stage-1 image.
#
# Environment:
#   BENCH_WORK      work/cache directory      (default /var/tmp/oslayer-bench)
#   DEBIAN_MIRROR   Debian mirror             (default http://deb.debian.org/debian)
#   DEBIAN_SUITE    Debian suite              (default bookworm)
#   BENCH_ARCHIVES  also write oci-archives   (default 1; 0 to skip)
set -euo pipefail

WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${DEBIAN_SUITE:-bookworm}
ARCHIVES=${BENCH_ARCHIVES:-1}

IMAGES=$WORK/images
LAYOUT=$IMAGES/layout
CACHE=$WORK/cache
ROOTFS=$CACHE/rootfs
TIMINGS=$WORK/timings.txt

BASE_STAGE1=localhost/oslayer-bench-base-stage1
BASE_IMAGE=localhost/oslayer-bench-base
DERIVED_IMAGE=localhost/oslayer-bench-derived
ARCHIVE_NAME=localhost/oslayer-bench # + /base:latest, /derived:latest

# Packages of base layer 1 (debootstrap): a small server OS, with podman as
# bootc images have it. netavark is named because debootstrap cannot resolve
# the virtual package container-network-stack that podman needs. The kernel
# comes in layer 2. Together they make an uncompressed rootfs of about 800 MB.
BASE_PACKAGES=systemd,systemd-sysv,dbus,udev,kmod,iproute2,openssh-server,ca-certificates,sudo,less,vim-tiny,locales,man-db,python3,podman,netavark,aardvark-dns,chrony,cron,logrotate,rsync,procps,zstd,bash-completion,libcap2-bin
KERNEL_PACKAGES="linux-image-amd64 initramfs-tools"

# apt inside a chroot: no /dev/pts, no prompts.
APT_OPTS="-o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false -y -q"
APT_CLEAN="apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log"

# buildah with a private store: vfs works everywhere (no overlayfs needed).
buildah_() {
	buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run" "$@"
}

log() { printf '==> %s\n' "$*" >&2; }

# step STAMPDIR NAME CMD...: run CMD unless STAMPDIR/NAME exists, then create
# it; append the wall time to $TIMINGS. The rootfs steps keep their stamps in
# $CACHE, the image steps in $IMAGES, so deleting $IMAGES rebuilds the images
# from the cached rootfs.
step() {
	local stamps=$1 name=$2
	shift 2
	if [[ -e $stamps/.$name.done ]]; then
		log "$name: done already ($stamps/.$name.done)"
		return 0
	fi
	log "$name: start"
	local t0=$SECONDS
	"$@"
	printf '%-16s %5ds\n' "$name" $((SECONDS - t0)) | tee -a "$TIMINGS" >&2
	mkdir -p "$stamps"
	touch "$stamps/.$name.done"
}

# --- steps ------------------------------------------------------------------

debootstrap_rootfs() {
	rm -rf "$ROOTFS"
	mkdir -p "$ROOTFS" "$CACHE/debs"
	debootstrap --variant=minbase --arch=amd64 --components=main \
		--cache-dir="$CACHE/debs" --include="$BASE_PACKAGES" \
		"$SUITE" "$ROOTFS" "$MIRROR"

	# What an OS image ships: no apt caches or lists, no logs of the build,
	# an empty machine-id (systemd fills it on first boot), a generic hostname,
	# no copy of the build host's resolv.conf.
	rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
		"$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/apt/* \
		"$ROOTFS"/var/log/dpkg.log "$ROOTFS"/var/log/bootstrap.log \
		"$ROOTFS"/var/cache/ldconfig/aux-cache
	mkdir -p "$ROOTFS"/var/lib/apt/lists/partial
	: >"$ROOTFS/etc/machine-id"
	rm -f "$ROOTFS/etc/resolv.conf"
	install -m 0644 /dev/null "$ROOTFS/etc/resolv.conf"
	echo localhost >"$ROOTFS/etc/hostname"
	du -sh --apparent-size "$ROOTFS" | tee "$WORK/rootfs-stage1.size" >&2
}

# Base layer 1: the debootstrap tree, copied into an empty container with
# owners, modes, hard links, ACLs and xattrs (file capabilities) intact.
base_layer1() {
	# Start from an empty private store: a rebuild must not pile up old layers.
	rm -rf "$WORK/storage" "$WORK/run"
	local ctr mnt
	ctr=$(buildah_ from --name oslayer-bench-stage1 scratch)
	mnt=$(buildah_ mount "$ctr")
	tar -C "$ROOTFS" --numeric-owner --xattrs --xattrs-include='*' --acls -cf - . |
		tar -C "$mnt" --numeric-owner --xattrs --xattrs-include='*' --acls -xpf -
	buildah_ umount "$ctr" >/dev/null
	buildah_ config \
		--os linux --arch amd64 \
		--label containers.bootc=1 \
		--label ostree.bootable=1 \
		--label org.opencontainers.image.title=oslayer-bench-base \
		--label "org.opencontainers.image.version=debian-$SUITE" \
		--env container=oci \
		--cmd /sbin/init \
		--created-by "debootstrap --variant=minbase $SUITE" \
		"$ctr"
	buildah_ commit --rm "$ctr" "$BASE_STAGE1"
}

# Base layer 2: kernel and initramfs installed with apt, then moved where
# bootc expects them (/usr/lib/modules/$KVER/{vmlinuz,initramfs.img}).
base_layer2() {
	buildah_ rm oslayer-bench-stage2 >/dev/null 2>&1 || true
	local ctr
	ctr=$(buildah_ from --name oslayer-bench-stage2 --pull=never "$BASE_STAGE1")
	buildah_ run --isolation chroot --env DEBIAN_FRONTEND=noninteractive "$ctr" -- sh -euc "
		apt-get $APT_OPTS update
		apt-get $APT_OPTS install $KERNEL_PACKAGES
		for k in /boot/vmlinuz-*; do
			v=\${k#/boot/vmlinuz-}
			mv \"\$k\" /usr/lib/modules/\$v/vmlinuz
			mv /boot/initrd.img-\$v /usr/lib/modules/\$v/initramfs.img
		done
		rm -f /vmlinuz /vmlinuz.old /initrd.img /initrd.img.old
		$APT_CLEAN"
	buildah_ config --created-by "apt-get install $KERNEL_PACKAGES" "$ctr"
	buildah_ commit --rm "$ctr" "$BASE_IMAGE"
}

push_base() {
	buildah_ push "$BASE_IMAGE" "oci:$LAYOUT:base"
}

# The derived image: a Containerfile FROM the pushed base, built with one layer
# per RUN (--layers; without it buildah squashes all RUN steps into a single
# layer). Written here so the script is self-contained.
write_containerfile() {
	mkdir -p "$WORK/derived"
	cat >"$WORK/derived/Containerfile" <<EOF
ARG BASE
FROM \${BASE}
LABEL org.opencontainers.image.title=oslayer-bench-derived

# layer: packages a platform team adds; apt lists and caches cleaned.
# iputils-ping's postinst gives /usr/bin/ping a file capability (an xattr).
RUN export DEBIAN_FRONTEND=noninteractive \\
 && apt-get $APT_OPTS update \\
 && apt-get $APT_OPTS install nginx-light htop tmux jq curl iputils-ping \\
 && $APT_CLEAN

# layer: /etc configuration
RUN printf '\n# platform policy\nPermitRootLogin no\nPasswordAuthentication no\n' >> /etc/ssh/sshd_config \\
 && useradd --system --no-create-home --shell /usr/sbin/nologin ops \\
 && echo 'ops ALL=(ALL) NOPASSWD: /usr/bin/systemctl' > /etc/sudoers.d/ops \\
 && chmod 0440 /etc/sudoers.d/ops \\
 && rm /etc/motd && ln -s ../usr/share/doc/platform/motd /etc/motd \\
 && mkdir -p /usr/share/doc/platform && echo 'Welcome to the platform image' > /usr/share/doc/platform/motd

# layer: /usr overrides of base content (what "oslayer lint" flags)
RUN chmod u+s /usr/bin/less \\
 && setcap cap_net_bind_service=+ep /usr/bin/rsync \\
 && echo 'VARIANT_ID=oslayer-bench' >> /usr/lib/os-release \\
 && rm /usr/share/man/man1/less.1.gz \\
 && rm -r /usr/share/doc/vim-tiny \\
 && rm -rf /usr/share/doc/sudo && mkdir /usr/share/doc/sudo && echo replaced > /usr/share/doc/sudo/README
EOF
}

build_derived() {
	write_containerfile
	buildah_ bud --isolation chroot --layers \
		--build-arg "BASE=oci:$LAYOUT:base" \
		-t "$DERIVED_IMAGE" -f "$WORK/derived/Containerfile" "$WORK/derived"
}

push_derived() {
	buildah_ push "$DERIVED_IMAGE" "oci:$LAYOUT:derived"
}

# oci-archives for diffoci. The ref name inside must be a fully qualified
# image name: `diffoci load` keeps such a name as is, but files a bare "base"
# as "unused:base", which `diffoci diff` then cannot find (it normalizes every
# name it is given to docker.io/library/...).
write_archives() {
	rm -f "$IMAGES/base.tar" "$IMAGES/derived.tar"
	skopeo copy --quiet "oci:$LAYOUT:base" "oci-archive:$IMAGES/base.tar:$ARCHIVE_NAME/base:latest"
	skopeo copy --quiet "oci:$LAYOUT:derived" "oci-archive:$IMAGES/derived.tar:$ARCHIVE_NAME/derived:latest"
}

# --- main -------------------------------------------------------------------

if [[ -e $IMAGES/.complete ]]; then
	log "images ready in $IMAGES (delete $IMAGES to rebuild them, $WORK for everything)"
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "bench-images.sh: must run as root (debootstrap, buildah mount)" >&2
	exit 1
fi
mkdir -p "$WORK" "$CACHE" "$IMAGES"

step "$CACHE" debootstrap debootstrap_rootfs
step "$IMAGES" base-layer1 base_layer1
step "$IMAGES" base-layer2 base_layer2
step "$IMAGES" push-base push_base
step "$IMAGES" build-derived build_derived
step "$IMAGES" push-derived push_derived
if [[ $ARCHIVES == 1 ]]; then
	step "$IMAGES" oci-archives write_archives
fi

touch "$IMAGES/.complete"
log "done: oci:$LAYOUT:base and oci:$LAYOUT:derived"
log "step timings (seconds) in $TIMINGS"
