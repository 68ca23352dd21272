#!/bin/bash
# Creates the cabinet's simulated GPIO chip(s) through gpio-sim's configfs interface, one
# bank per chip label of lines.conf (made on the host from hardware/pinmap.toml), each
# line named as in the pin map, then sets each input's idle pull (Wiegand data lines high).
# Run by dosecab-gpio-sim.service at every boot, before dosecabd.service.
# Usage: chip-setup.sh LINES_CONF
set -euo pipefail
conf="${1:-/mnt/rig/lines.conf}"
CFG=/sys/kernel/config
modprobe gpio-sim   # pulls in configfs (a module in Debian's kernel)
mountpoint -q "$CFG" || mount -t configfs none "$CFG"
dev="$CFG/gpio-sim/dosecab"
[[ -d $dev ]] && { echo "chip-setup: $dev exists already" >&2; exit 1; }
mkdir "$dev"

declare -A nlines
bank_of=""
nb=-1
while read -r kind a b c d; do
    case "$kind" in
        bank)
            nb=$((nb + 1)); bank_of="$dev/bank$nb"
            mkdir "$bank_of"; echo "$a" >"$bank_of/label"; nlines[$nb]=0 ;;
        line)
            mkdir "$bank_of/line$a"; echo "$b" >"$bank_of/line$a/name"
            ((a + 1 > nlines[$nb])) && nlines[$nb]=$((a + 1)) ;;
        ''|'#'*) ;;
        *) echo "chip-setup: bad record '$kind' in $conf" >&2; exit 1 ;;
    esac
done <"$conf"
for ((i = 0; i <= nb; i++)); do echo "${nlines[$i]}" >"$dev/bank$i/num_lines"; done
echo 1 >"$dev/live"

devname=$(cat "$dev/dev_name")
nb=-1
while read -r kind a b c d; do
    case "$kind" in
        bank) nb=$((nb + 1)); chip=$(cat "$dev/bank$nb/chip_name") ;;
        line) echo "$d" >"/sys/devices/platform/$devname/$chip/sim_gpio$a/pull" ;;
    esac
done <"$conf"
# A power cut does not move the door: a scenario that cuts the power saves the rig's line
# levels in /var/lib/rig-lines-persist first (rig_hard_reset); they are the world at boot.
if [[ -d /var/lib/rig-lines-persist ]]; then
    for f in /var/lib/rig-lines-persist/*; do
        [[ -f $f ]] || continue
        name=$(basename "$f")
        dir=$(awk -v n="$name" '$1 == "line" && $3 == n { print $2 }' "$conf")
        [[ -n $dir ]] || continue
        chip=$(cat "$dev/bank0/chip_name")
        if [[ $(cat "$f") == 1 ]]; then p=pull-up; else p=pull-down; fi
        echo "$p" >"/sys/devices/platform/$devname/$chip/sim_gpio$dir/pull"
        echo "chip-setup: $name restored to $p (as it was before the power cut)"
    done
    rm -rf /var/lib/rig-lines-persist
fi
# udev applies the repository's gpiochip rule to the new chip(s); wait for it to be done.
udevadm settle --timeout=10 || true
# The physical world of the non-Wiegand inputs (door closed, bolt engaged, case closed, beam
# clear: all low, as set above) is held by the player's keeper: a request with a bias moves
# gpio-sim's pull, which a real switch closed to ground would have overridden.
kept=()
while read -r kind a b c d; do
    [[ $kind == line ]] || continue
    case "$c" in door|bolt|tamper|return-beam) kept+=("$b") ;; esac
done <"$conf"
player="$(dirname "$conf")/bin/player"
if ((${#kept[@]})) && [[ -x $player ]]; then
    rm -rf /run/rig-lines
    setsid "$player" keeper "${kept[@]}" </dev/null >>/run/rig-keeper.log 2>&1 &
    for _ in $(seq 50); do grep -q watching /run/rig-keeper.log 2>/dev/null && break; sleep 0.1; done
    grep -q watching /run/rig-keeper.log || { echo "chip-setup: the line keeper did not start: $(cat /run/rig-keeper.log)" >&2; exit 1; }
    echo "chip-setup: keeper holds ${kept[*]}"
fi
for ((i = 0; i <= nb; i++)); do
    echo "chip-setup: $(cat "$dev/bank$i/label") is $(cat "$dev/bank$i/chip_name") ($devname), $(cat "$dev/bank$i/num_lines") lines"
done
