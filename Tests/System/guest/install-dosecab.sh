#!/bin/bash
# Installs what the repository provides into the running guest, the way an installer on a
# clinic's board would: binaries, units, sysusers.d, tmpfiles.d, the udev rule, the journal
# catalog and the pin map; then lets systemd, udev and journald pick them up.
# Kinds the repository does not have yet are listed as "skipped", never silently ignored.
# TODO(issue 7): once docs/install.md exists, follow it step by step here.
# Usage: install-dosecab.sh PAYLOAD_DIR   (prints "installed SRC -> DEST" / "skipped KIND: why")
set -euo pipefail
P="${1:?payload dir}"
S="$P/systemd"
did() { echo "installed $1 -> $2"; }
skip() { echo "skipped $1: $2"; }
files() { [[ -d $S ]] && find "$S" -type f "$@" | sort || true; }

# Binaries go where the service's ExecStart says (else /usr/local/bin).
bindir=/usr/local/bin
if [[ -f $S/dosecabd.service ]]; then
    exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$S/dosecabd.service" | head -n1)
    [[ $exe == /* ]] && bindir=$(dirname "$exe")
fi
for b in dosecabd dosecabctl; do
    if [[ -x $P/bin/$b ]]; then install -D -m 0755 "$P/bin/$b" "$bindir/$b"; did "bin/$b" "$bindir/$b"
    else skip "$b" "no binary in the payload"; fi
done

if [[ -f $P/hardware/pinmap.toml ]]; then
    install -D -m 0644 "$P/hardware/pinmap.toml" /etc/dosecab/pinmap.toml; did hardware/pinmap.toml /etc/dosecab/pinmap.toml
else skip "pin map" "no hardware/pinmap.toml in the repository"; fi

n=0
while read -r f; do
    install -D -m 0644 "$f" "/usr/lib/sysusers.d/$(basename "$f")"; did "${f#$P/}" "/usr/lib/sysusers.d/"; n=$((n + 1))
done < <(files -path '*sysusers*' -name '*.conf')
if ((n)); then systemd-sysusers; else skip sysusers.d "no systemd/*sysusers*/*.conf"; fi

n=0
while read -r f; do
    install -D -m 0644 "$f" "/usr/lib/tmpfiles.d/$(basename "$f")"; did "${f#$P/}" "/usr/lib/tmpfiles.d/"; n=$((n + 1))
done < <(files -path '*tmpfiles*' -name '*.conf')
if ((n)); then systemd-tmpfiles --create; else skip tmpfiles.d "no systemd/*tmpfiles*/*.conf"; fi

n=0
while read -r f; do
    install -D -m 0644 "$f" "/etc/udev/rules.d/$(basename "$f")"; did "${f#$P/}" /etc/udev/rules.d/; n=$((n + 1))
done < <(files -name '*.rules')
if ((n)); then
    udevadm control --reload
    udevadm trigger --action=add --subsystem-match=gpio
    udevadm settle --timeout=10
else skip "udev rule" "no systemd/*.rules"; fi

n=0
while read -r f; do
    install -D -m 0644 "$f" "/usr/lib/systemd/catalog/$(basename "$f")"; did "${f#$P/}" /usr/lib/systemd/catalog/; n=$((n + 1))
done < <(files -name '*.catalog')
if ((n)); then journalctl --update-catalog; else skip catalog "no systemd/*.catalog"; fi

units=()
while read -r f; do
    install -D -m 0644 "$f" "/etc/systemd/system/$(basename "$f")"; did "${f#$P/}" /etc/systemd/system/
    units+=("$(basename "$f")")
done < <(files \( -name '*.service' -o -name '*.socket' -o -name '*.timer' -o -name '*.path' \))
if ((${#units[@]})); then
    systemctl daemon-reload
    for u in "${units[@]}"; do
        # Enabled, not started: scenarios start the daemon themselves; after a power cut
        # it comes up by itself, as on the board.
        grep -q '^\[Install\]' "/etc/systemd/system/$u" && systemctl enable "$u"
    done
else skip "systemd units" "no systemd/*.service|*.socket"; fi
sync
