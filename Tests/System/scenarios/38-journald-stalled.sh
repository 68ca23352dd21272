# rig: summary journald stalled with SIGSTOP: releases refused journal-unavailable, entries replayed when it is back
# rig: timeout 240
# With a drop-in `[journal] max-unsent-seconds = 3` (daemon restarted): journald's main
# process gets SIGSTOP (never `systemctl stop`: the socket would stay and prove nothing) and
# the rig fills its native socket's queue (`player journal-fill`), as a journald that stopped
# reading a while ago would have it; the nurse's badge makes the daemon write. Asserts:
#  - within a few seconds `dosecabctl --json status` reports the journal degraded (the control
#    socket keeps answering);
#  - P-0008's counter dialogue is refused: the store's last refusal record (audit list) names
#    journal-unavailable, for P-0008; the lock line never reads 1;
#  - after SIGCONT the journal turns healthy again and every audit record written meanwhile
#    (the refusal included) is in the journal with the store's hash, in sequence order;
#  - then P-0008 gets a release (lock 1), left to expire its unlock window.
dc_setup
dc_dropin 50-rig-journal '[journal]
max-unsent-seconds = 3'
jpid=$(systemctl show -p MainPID --value systemd-journald.service)
trap 'kill -CONT '"$jpid"' 2>/dev/null || true; dc_dropin_rm 50-rig-journal; systemctl restart dosecabd.service || true' EXIT
dc_restart
P=P-0008
lock=$(line_for lock)
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
first=$(( $(ctl audit verify | jq -r .last_seq) + 1 ))
cur=$(journal_mark)
kill -STOP "$jpid"
n=$("$PLAYER" journal-fill)
log "journald $jpid stopped; its socket queue took $n datagrams"
nurse_in
wait_until 20 bash -c '[[ $(dosecabctl status --json | jq -r .journal) == degraded* ]]' \
    || fail "the daemon did not report the journal degraded: $(status_of journal)"
log "status journal: $(status_of journal)"
patient_in "$P"; keys 1#
wait_until 20 bash -c 'dosecabctl audit list --from '"$first"' --limit 1000 --json | jq -e ".records[] | select(.event == \"refusal\" and .fields.patient == \"'"$P"'\")" >/dev/null' \
    || fail "no refusal for $P in the store while journald is stopped: $(dosecabctl status --json | jq -c .counter)"
ref=$(ctl audit list --from "$first" --limit 1000 | jq -c '[.records[] | select(.event == "refusal" and .fields.patient == "'"$P"'")] | last')
echo "$ref"
[[ ,$(jq -r .fields.reason <<<"$ref"), == *,journal-unavailable,* ]] || fail "the refusal does not name journal-unavailable: $(jq -r .fields.reason <<<"$ref")"
kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1 while journald was stopped"
kill -CONT "$jpid"
log "journald continued"
wait_until 60 bash -c '[[ $(dosecabctl status --json | jq -r .journal) == healthy ]]' || fail "the journal did not turn healthy: $(status_of journal)"
sleep 6   # one replay tick
last=$(ctl audit verify | jq -r .last_seq)
ctl audit list --from "$first" --limit 1000 | jq -r '.records[] | "\(.seq) \(.hash)"' >/tmp/store.seq
journalctl --no-pager -o json --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd --output-fields=DOSECAB_AUDIT_SEQ,DOSECAB_AUDIT_HASH \
    | jq -r 'select(.DOSECAB_AUDIT_SEQ) | "\(.DOSECAB_AUDIT_SEQ) \(.DOSECAB_AUDIT_HASH)"' >/tmp/journal.seq
missing=$(awk 'NR == FNR { j[$1 " " $2] = 1; next } !(($1 " " $2) in j) { print $1 }' /tmp/journal.seq /tmp/store.seq | paste -sd' ')
[[ -z $missing ]] || fail "records $first..$last missing from the journal after journald came back: $missing"
awk '!seen[$1]++ { print $1 }' /tmp/journal.seq | sort -n -c || fail "the journal has the records out of sequence order: $(paste -sd' ' /tmp/journal.seq)"
seq=$(jq -r .seq <<<"$ref")
e=$(journal_json --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd "DOSECAB_AUDIT_SEQ=$seq" | tail -n1)
expect_entry "$e" refusal
expect_eq "$(jf "$e" DOSECAB_PATIENT)" "$P" "replayed refusal DOSECAB_PATIENT"
log "records $first..$last all in the journal, in order"
kill "$watcher" 2>/dev/null || true
cur=$(journal_mark)
counter_release "$P"
"$PLAYER" wait "$lock" 1 10000 >/dev/null || fail "no release for $P after journald came back: $(ctl status | jq -c .counter)"
dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P" >/dev/null
"$PLAYER" wait "$lock" 0 30000 >/dev/null || fail "the unlock window did not end"
