#!/bin/bash
# Installs dosecab into the running guest exactly as docs/install.md tells an installer:
# step 2 ran on the host (`make install DESTDIR=payload/root`, see run.sh); here the tree is
# copied into / (existing directories keep their owner and mode, as `make install` without
# DESTDIR would leave them), then step 3's activation commands run as written, including
# `systemctl enable --now`. Steps 4 and 6 (prescriber key, enrolment, stock, bundle, clock)
# belong to the daemon scenarios (guest/dosecab.sh, dc_setup).
# Usage: install-dosecab.sh PAYLOAD_DIR   (prints "installed PATH" and each command run)
set -euo pipefail
P="${1:?payload dir}"
[[ -d $P/root ]] || { echo "no $P/root: run.sh did not run make install DESTDIR=" >&2; exit 1; }
(cd "$P/root" && find . ! -type d | sed 's|^\.|installed |')
tar -C "$P/root" -cf - . | tar -C / -xf - --no-overwrite-dir
run() { echo "+ $*"; "$@"; }
# docs/install.md step 3, one command at a time.
run systemd-sysusers
run systemd-tmpfiles --create
run udevadm control --reload
run udevadm trigger --subsystem-match=gpio
run udevadm settle --timeout=10   # (not in the doc: the rig waits for the trigger to be applied)
run journalctl --update-catalog
run systemctl daemon-reload
run systemctl enable --now dosecabd.socket dosecabd.service \
    || echo "dosecabd did not start after enable --now (20-install-units says why)"
sync
