# rig: summary the gpio-sim chip exists with the pin map's label and line names, in gpioinfo
# rig: timeout 60
# Proves: dosecab-gpio-sim.service built the chip at boot; for every line of the pin map,
# libgpiod finds it by name (gpiofind) on a chip with the pin map's label, at the offset
# the rig gave it, gpioinfo lists it, and its gpio-sim sysfs folder exists (the player
# drives and reads it). Then dumps gpioinfo to the log.
systemctl is-active --quiet dosecab-gpio-sim.service \
    || fail "dosecab-gpio-sim.service is not active: $(systemctl status --no-pager dosecab-gpio-sim.service 2>&1 | tail -n 5)"
info=$(gpioinfo)
echo "$info"
chips=$(gpiodetect)   # "gpiochipN [label] (K lines)"; gpioinfo 1.6 shows no label
echo "$chips"
label=""
while read -r kind a b c d; do
    case "$kind" in
        bank) label=$a
              grep -qF "[$label]" <<<"$chips" || fail "no chip labelled '$label' in gpiodetect" ;;
        line) read -r chip off < <(gpiofind "$b") || fail "gpiofind does not find line '$b' (role $c)"
              chiplabel=$(awk -v c="$chip" '$1 == c { print $2 }' <<<"$chips" | tr -d '[]')
              expect_eq "$chiplabel" "$label" "chip label of line $b"
              expect_eq "$off" "$a" "offset of line $b"
              grep -qE "^[[:space:]]+line[[:space:]]+$a:[[:space:]]+\"$b\"" <<<"$info" || fail "gpioinfo does not show line $a as \"$b\""
              dir=$("$PLAYER" where "$b")
              [[ -r $dir/value && -w $dir/pull ]] || fail "no gpio-sim value/pull files for $b in $dir" ;;
    esac
done <"$LINES_CONF"
log "$(grep -c '^line' "$LINES_CONF") lines found by name"
