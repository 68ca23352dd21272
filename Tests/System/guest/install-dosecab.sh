#!/bin/bash
# Installs dosecab into the running guest as docs/install.md tells a clinic: the package built
# on the host (run.sh, debian/build-deb.sh) with `apt install ./dosecab_*.deb`, then the
# first-boot checklist's start (step 4): `systemctl enable --now dosecabd.socket
# dosecabd.service`. The checklist's other steps belong to the daemon scenarios
# (guest/dosecab.sh, dc_setup: prescriber key, enrolment, stock, bundle, clock); the rig keeps
# the shipped pin map and configuration (steps 1 and 2: they are the rig's wiring) and adds
# its own settings as drop-ins.
# The guest has no network: every Depends of the package is in the image already (run.sh,
# GUEST_PACKAGES), so apt resolves nothing more.
# Usage: install-dosecab.sh PAYLOAD_DIR   (prints each command run and its output)
set -euo pipefail
P="${1:?payload dir}"
shopt -s nullglob
debs=("$P"/dosecab_*.deb)
((${#debs[@]} == 1)) || { echo "expected one dosecab_*.deb in $P, found ${#debs[@]}: run.sh builds it" >&2; exit 1; }
run() { echo "+ $*"; "$@"; }
# The daemon is not running yet: without a timer of the rig's, the guest's clock would jump
# far ahead while dpkg waits for its reads and fsyncs (guest/ticking.sh).
source "$(dirname "${BASH_SOURCE[0]}")/ticking.sh"
rig_tick_start
trap rig_tick_stop EXIT
# The administrator's "yes" to apt's questions; nothing else about apt is changed.
printf 'APT::Get::Assume-Yes "true";\n' >/etc/apt/apt.conf.d/90dosecab-rig
export DEBIAN_FRONTEND=noninteractive
cd "$P"
run apt install ./dosecab_*.deb
# What the package left: installed, not enabled, not started (20-install-units checks these).
for u in dosecabd.service dosecabd.socket; do
    echo "after-apt-install: $u $(systemctl is-enabled "$u" 2>&1 || true) $(systemctl is-active "$u" 2>&1 || true)"
done
run udevadm settle --timeout=10   # (not in the doc: the rig waits for the postinst's udev trigger)
# docs/install.md, first-boot checklist, step 4.
run systemctl enable --now dosecabd.socket dosecabd.service \
    || echo "dosecabd did not start after enable --now (20-install-units says why)"
sync
