# rig: summary the player's 26-bit Wiegand frame arrives as 26 falling edges, in order, with Wiegand timing
# rig: timeout 90
# Proves the player is a usable Wiegand reader for the daemon's decoder: an H10301 frame
# (facility 123, card 4567, parities computed here) played on counter-d0/counter-d1 is
# seen by gpiomon (libgpiod, the kernel's v1 uAPI) as exactly 26 falling edges with
# kernel timestamps; in timestamp order they spell the frame (D0 = 0, D1 = 1); no gap
# between bits reaches 25 ms (the decoder's default frame-end timeout: a longer gap would
# split the frame); the player's every low pulse ended before the next bit was due (it
# exits 1 otherwise). Bit periods (kernel) and pulse widths (player) are logged. The same
# for the return scanner.
# A daemon installed by an earlier run of this cached image holds the lines: the smoke
# tests use the bare chip, so stop it first, and start what ran again at the end: the next
# scenario (20) checks that the install left the units running, in this same boot.
running=$(systemctl is-active dosecabd.socket dosecabd.service 2>/dev/null | paste -sd' ' || true)
trap '[[ $running == "active active" ]] && systemctl start dosecabd.socket dosecabd.service' EXIT
systemctl stop dosecabd.service dosecabd.socket 2>/dev/null || true
fc=123 card=4567
data=""
for ((i = 7; i >= 0; i--)); do data+=$(( (fc >> i) & 1 )); done
for ((i = 15; i >= 0; i--)); do data+=$(( (card >> i) & 1 )); done
ones() { local s=${1//0/}; echo ${#s}; }
pe=$(( $(ones "${data:0:12}") % 2 ))          # even parity over the first 12 data bits
po=$(( 1 - $(ones "${data:12:12}") % 2 ))     # odd parity over the last 12
frame="$pe$data$po"
log "frame $frame"

play_and_check() {   # READER
    local reader=$1 d0 d1 chip off0 off1 chip1 out
    d0=$(line_for "$reader-d0"); d1=$(line_for "$reader-d1")
    read -r chip off0 < <(gpio_of "$d0"); read -r chip1 off1 < <(gpio_of "$d1")
    [[ $chip == "$chip1" ]] || fail "$d0 and $d1 are on different chips; gpiomon needs one"
    out=$(mktemp)
    # Falling edges only, as the daemon must request them: with both edges, the v1 uAPI
    # names each edge by reading the line in its IRQ thread, after an 80 us pulse is over.
    gpiomon --falling-edge --num-events=26 --line-buffered --format='%o %e %s %n' \
        "$chip" "$off0" "$off1" >"$out" &
    local mon=$!
    wait_until 5 line_used_by "$d1" gpiomon || fail "gpiomon never requested $d1"
    "$PLAYER" wiegand "$reader" 26 "$frame" 2>"$out.player" || { cat "$out.player"; fail "$reader: $(cat "$out.player")"; }
    cat "$out.player"
    wait_until 10 bash -c "! kill -0 $mon" || kill "$mon"
    # offset, type (0 falling), kernel timestamp in ns; in time order
    sort -k3,3n -k4,4n "$out" | awk '{ printf "%s %s %d%09d\n", $1, $2, $3, $4 }' >"$out.sorted"
    local falls bits pmin pmax span
    falls=$(awk '$2 == 0' "$out.sorted" | wc -l)
    bits=$(awk -v o1="$off1" '$2 == 0 { printf "%s", ($1 == o1) ? 1 : 0 }' "$out.sorted")
    read -r pmin pmax span < <(awk '
        { if (NR > 1) { p = ($3 - last) / 1e3; if (NR == 2 || p < pmin) pmin = p; if (p > pmax) pmax = p } else first = $3; last = $3 }
        END { printf "%d %d %d\n", pmin, pmax, (last - first) / 1e3 }' "$out.sorted")
    log "$reader: $falls falling edges, bit period $pmin..$pmax us, frame $span us (kernel timestamps)"
    expect_eq "$falls" 26 "$reader: falling edges (one per bit)"
    expect_eq "$bits" "$frame" "$reader: bits spelled by the falling edges in timestamp order"
    ((pmax < 25000)) || fail "$reader: a gap of $pmax us between bits: the decoder would end the frame there"
}
play_and_check counter
play_and_check return
