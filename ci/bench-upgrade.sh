#!/usr/bin/env bash
# ci/bench-upgrade.sh — two releases of a derived image on the bench base, and what
# `oslayer lint --previous` says about upgrading from one to the other (issue 15).
#
#   release N    FROM the bench base: /var/lib/app/data (v1), /etc/app.conf (level=1),
#                a unit app.service, user and group app with id 990, kargs.d app.debug=1
#   release N+1  the same with /var/lib/app/data v2 and a new /var/lib/app/cache.db,
#                /etc/app.conf level=2, a preset that enables app.service, app with id
#                991, app.debug=1 dropped, and a real package upgraded from
#                bookworm-security (openssl and libssl3)
#   machine      N's /etc, copied, with app.conf modified as an administrator would
#
# Both are built with buildah from the base in the private store of bench-images.sh and
# read from that store directly (containers-storage:[vfs@...]). Prints the upgrade
# findings, the download, and the changelog of the upgraded package when diff knows
# --changelogs. Results in $WORK/upgrade.
#
# Needs root, buildah, python3, Go, network to the Debian security mirror, and what
# bench-images.sh needs (it runs first and exits at once when the images exist).
# Environment: BENCH_WORK (default /var/tmp/oslayer-bench), DEBIAN_SECURITY_MIRROR,
# DEBIAN_SUITE, OSLAYER (a binary to use instead of building one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_WORK:-/var/tmp/oslayer-bench}
export BENCH_WORK=$WORK
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=${DEBIAN_SUITE:-bookworm}
UP=$WORK/upgrade
BASE_IMAGE=localhost/oslayer-bench-base
APT_OPTS="-o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false -y -q"
APT_CLEAN="apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log"

buildah_() { buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run" "$@"; }
log() { printf '==> %s\n' "$*" >&2; }

"$here/bench-images.sh" >&2
mkdir -p "$UP"
OSL=${OSLAYER:-$UP/oslayer}
if [[ -z ${OSLAYER:-} ]]; then
	(cd "$here/.." && CGO_ENABLED=0 go build -o "$OSL" ./cmd/oslayer)
fi
STORE="containers-storage:[vfs@$WORK/storage+$WORK/run]"

# release NAME STEPS: a Containerfile FROM the base with STEPS, built as localhost/app:NAME.
release() {
	local dir=$UP/$1
	mkdir -p "$dir"
	printf 'FROM %s\n%s\n' "$BASE_IMAGE" "$2" >"$dir/Containerfile"
	buildah_ bud --isolation chroot --network host --layers -q -t "localhost/app:$1" "$dir" >/dev/null
}

UNIT='[Unit]\nDescription=app\n[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n'
log "release N"
release n "RUN mkdir -p /var/lib/app /usr/lib/bootc/kargs.d && echo v1 > /var/lib/app/data \\
 && echo level=1 > /etc/app.conf && printf '$UNIT' > /usr/lib/systemd/system/app.service \\
 && groupadd -g 990 app && useradd -u 990 -g 990 -M -d /var/lib/app -s /usr/sbin/nologin app \\
 && printf 'kargs = [\"app.debug=1\"]\n' > /usr/lib/bootc/kargs.d/50-app.toml"
log "release N+1 (openssl from $SUITE-security)"
release next "RUN mkdir -p /var/lib/app /usr/lib/bootc/kargs.d && echo v2 > /var/lib/app/data && echo db > /var/lib/app/cache.db \\
 && echo level=2 > /etc/app.conf && printf '$UNIT' > /usr/lib/systemd/system/app.service \\
 && printf 'enable app.service\n' > /usr/lib/systemd/system-preset/80-app.preset \\
 && groupadd -g 991 app && useradd -u 991 -g 991 -M -d /var/lib/app -s /usr/sbin/nologin app \\
 && printf 'kargs = []\n' > /usr/lib/bootc/kargs.d/50-app.toml \\
 && echo 'deb $SECURITY_MIRROR $SUITE-security main' > /etc/apt/sources.list.d/security.list \\
 && apt-get $APT_OPTS update && apt-get $APT_OPTS install --only-upgrade openssl libssl3 \\
 && rm /etc/apt/sources.list.d/security.list && $APT_CLEAN"

log "a machine's /etc: release N's, app.conf modified"
ctr=$(buildah_ from --pull-never -q localhost/app:n)
mnt=$(buildah_ mount "$ctr")
rm -rf "$UP/machine-etc"
cp -a "$mnt/etc" "$UP/machine-etc"
buildah_ umount "$ctr" >/dev/null
buildah_ rm "$ctr" >/dev/null
echo "local=yes" >>"$UP/machine-etc/app.conf"

log "oslayer lint --previous"
set +e
/usr/bin/time -f "%e s %M KB" -o "$UP/time.txt" "$OSL" lint --format json --previous "${STORE}localhost/app:n" \
	--etc "$UP/machine-etc" "${STORE}localhost/app:next" >"$UP/lint.json"
code=$?
set -e
echo "lint exit $code in $(cat "$UP/time.txt")"
python3 - "$UP/lint.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
upgrade = {"var-update-lost", "etc-merge", "preset-update-lost", "account-changed", "kernel-args-removed"}
for f in r["findings"]:
    if f["rule"] in upgrade:
        print(f"  {f['rule']:20} {f['level']:7} {f.get('path', '')}: {f['message'][:150]}")
d = (r.get("update") or {}).get("download") or {}
if d:
    print(f"  download: {d['download_bytes']} of {d['total_bytes']} bytes, {d['new_layers']} of {len(d['layers'])} layers new")
PY
if "$OSL" diff --help | grep -q -- --changelogs; then
	log "oslayer diff --changelogs"
	"$OSL" diff --changelogs=3 "${STORE}localhost/app:n" "${STORE}localhost/app:next" | sed -n '/^Packages/,/^Files/p'
fi
