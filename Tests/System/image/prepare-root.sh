#!/usr/bin/env bash
# Turns a debootstrapped root (plus kernel modules) into the system-test guest's root:
# fstab with the shared folder, a persistent journal, no getty on the serial console, no
# timers that would wake during a test, and the rig's two units enabled.
# Usage: prepare-root.sh ROOT_DIR   (runs on the host, as root, before mkfs.ext4 -d)
set -euo pipefail
r="${1:?root dir}"
here=$(cd "$(dirname "$0")" && pwd)

echo dosecab-guest >"$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdosecab-guest\n' >"$r/etc/hosts"
cat >"$r/etc/fstab" <<'FSTAB'
/dev/vda   /         ext4  rw,errors=remount-ro                                   0 1
rig        /mnt/rig  9p    trans=virtio,version=9p2000.L,msize=262144,cache=none,nofail  0 0
FSTAB
mkdir -p "$r/mnt/rig" "$r/var/log/journal"
# The 9p transport is a module; load it before local-fs so the fstab mount cannot race it.
printf '9pnet_virtio\n9p\n' >"$r/etc/modules-load.d/dosecab-rig.conf"
# A fixed machine id: the persistent journal of one run stays one machine across reboots.
tr -d '-' </proc/sys/kernel/random/uuid >"$r/etc/machine-id"

mask() { ln -sf /dev/null "$r/etc/systemd/system/$1"; }
# agetty's hangup of ttyS0 would silently cut off everything the runner writes there.
mask serial-getty@ttyS0.service
mask getty@tty1.service
for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do mask "$t"; done

install -m 0644 "$here/dosecab-rig.service" "$here/dosecab-gpio-sim.service" "$r/etc/systemd/system/"
install -D -m 0755 "$here/dosecab-rig" "$r/usr/local/sbin/dosecab-rig"
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -sf ../dosecab-rig.service "$r/etc/systemd/system/multi-user.target.wants/dosecab-rig.service"
ln -sf ../dosecab-gpio-sim.service "$r/etc/systemd/system/multi-user.target.wants/dosecab-gpio-sim.service"
# The daemon needs the chip: order it after the rig's chip setup (a no-op until it exists).
mkdir -p "$r/etc/systemd/system/dosecabd.service.d"
cat >"$r/etc/systemd/system/dosecabd.service.d/10-rig-gpio-sim.conf" <<'DROPIN'
[Unit]
Requires=dosecab-gpio-sim.service
After=dosecab-gpio-sim.service
DROPIN
