# rig: summary gpioset drives an output that the player reads; the player drives inputs that gpioget and gpiomon see
# rig: timeout 60
# Proves the two directions the daemon scenarios rely on, through the real kernel uAPI:
#  - output: `gpioset` holding the lock line at 1 reads 1 through gpio-sim's value file
#    (`player get lock`), and once released it returns to its pull (0): gpio-sim's
#    behaviour that the kill -9 scenario must keep in mind (ARCHITECTURE.md section 7);
#  - input: `player set door 1|0` is read back by `gpioget`, and `gpiomon` reports the
#    rising then the falling edge, each with a kernel timestamp, in order.
# A daemon installed by an earlier run of this cached image holds the lines: the smoke
# tests use the bare chip, so stop it first, and start what ran again at the end: the next
# scenario (20) checks that the install left the units running, in this same boot.
running=$(systemctl is-active dosecabd.socket dosecabd.service 2>/dev/null | paste -sd' ' || true)
trap '[[ $running == "active active" ]] && systemctl start dosecabd.socket dosecabd.service' EXIT
systemctl stop dosecabd.service dosecabd.socket 2>/dev/null || true
lock=$(line_for lock); door=$(line_for door)
read -r lchip loff < <(gpio_of "$lock")
read -r dchip doff < <(gpio_of "$door")

expect_eq "$("$PLAYER" get "$lock")" 0 "lock before anything drives it"
gpioset --mode=signal "$lchip" "$loff=1" &
setter=$!
wait_until 5 line_used_by "$lock" gpioset || fail "gpioset never requested the lock line"
"$PLAYER" wait "$lock" 1 2000 || fail "lock driven to 1 by gpioset does not read 1"
kill "$setter"; wait "$setter" || true
"$PLAYER" wait "$lock" 0 2000 || fail "lock released by gpioset does not return to 0"

"$PLAYER" set "$door" 1
expect_eq "$(gpioget "$dchip" "$doff")" 1 "gpioget door after player set door 1"
"$PLAYER" set "$door" 0
expect_eq "$(gpioget "$dchip" "$doff")" 0 "gpioget door after player set door 0"

out=$(mktemp)
gpiomon --num-events=2 --format='%e %o %s.%n' "$dchip" "$doff" >"$out" &
mon=$!
wait_until 5 line_used_by "$door" gpiomon || fail "gpiomon never requested the door line"
"$PLAYER" set "$door" 1
"$PLAYER" set "$door" 0
wait_until 5 bash -c "! kill -0 $mon" || { kill "$mon"; fail "gpiomon saw $(wc -l <"$out") of 2 edges: $(cat "$out")"; }
cat "$out"
mapfile -t ev <"$out"
expect_eq "${#ev[@]}" 2 "door edges seen by gpiomon"
read -r e1 o1 t1 <<<"${ev[0]}"; read -r e2 o2 t2 <<<"${ev[1]}"
expect_eq "$e1 $o1" "1 $doff" "first door edge (type offset)"
expect_eq "$e2 $o2" "0 $doff" "second door edge (type offset)"
expect_match "$t1" '^[0-9]+\.[0-9]+$' "kernel timestamp"
awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b > a && a > 0) }' || fail "edge timestamps not increasing: $t1 then $t2"
