# rig: summary refusals leave the lock at 0 and are journaled with every failed rule
# rig: timeout 300
# A watcher (`player wait lock 1`) runs through the whole scenario and must never see the
# lock line at 1. For each case, one refusal entry (MESSAGE_ID, PRIORITY 5, DOSECAB_REASON
# naming the rule, DOSECAB_PATIENT where a patient was identified, seq/hash) and the same
# reason in the store's record (`dosecabctl --json audit list`, by DOSECAB_AUDIT_SEQ):
#  - a patient card with no staff session: no-staff-witness;
#  - an unknown card: unknown-card;
#  - a wrong PIN twice, then a third time: wrong-pin, wrong-pin, pin-lockout;
#  - an expired prescription (P-0009) and a cancelled one (P-0010): no-valid-prescription;
#  - the kernel clock marked unsynchronised (`player clock-unsynced`): clock-unsynchronised;
#  - the witness keys 0# (intoxicated): no-intoxication-attestation;
#  - a 25-bit frame and a 26-bit frame with bad parity on the counter reader: rejected with
#    a "Wiegand frame rejected" log line, no audit entry, no change (status unchanged).
dc_setup
dc_restart   # no staff session left open by an earlier scenario (it lives in memory only)
lock=$(line_for lock)
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT

# expect_refusal CURSOR REASON [PATIENT]: the refusal entry after CURSOR, field by field.
expect_refusal() {
    local cur=$1 reason=$2 patient=${3:-} e seq rec
    e=$(dc_wait_event 15 "$cur" refusal ${patient:+"DOSECAB_PATIENT=$patient"})
    echo "$e"
    expect_eq "$(wc -l <<<"$e")" 1 "refusal entries for '$reason'"
    expect_entry "$e" refusal
    expect_eq "$(jf "$e" PRIORITY)" 5 "refusal PRIORITY"
    [[ ,$(jf "$e" DOSECAB_REASON), == *",$reason,"* ]] || fail "DOSECAB_REASON '$(jf "$e" DOSECAB_REASON)' does not name $reason"
    [[ -z $patient ]] || expect_eq "$(jf "$e" DOSECAB_PATIENT)" "$patient" "refusal DOSECAB_PATIENT"
    seq=$(jf "$e" DOSECAB_AUDIT_SEQ)
    rec=$(audit_record "$seq")
    expect_eq "$(jq -r .event <<<"$rec")" refusal "store record $seq"
    expect_eq "$(jq -r .fields.reason <<<"$rec")" "$(jf "$e" DOSECAB_REASON)" "store reason of record $seq"
    expect_eq "$(lock_value)" 0 "lock line after the '$reason' refusal"
}

cur=$(journal_mark); patient_card P-0002
expect_refusal "$cur" no-staff-witness P-0002

cur=$(journal_mark); card 99 4242
expect_refusal "$cur" unknown-card

nurse_in
cur=$(journal_mark); patient_card P-0002; keys 0000#
expect_refusal "$cur" wrong-pin P-0002
cur=$(journal_mark); patient_card P-0002; keys 0001#
expect_refusal "$cur" wrong-pin P-0002
cur=$(journal_mark); patient_card P-0002; keys 0002#
expect_refusal "$cur" pin-lockout P-0002
cur=$(journal_mark); patient_in P-0002   # the right PIN, but the card is locked out now
expect_refusal "$cur" pin-lockout P-0002

cur=$(journal_mark); patient_in P-0009; keys 1#
expect_refusal "$cur" no-valid-prescription P-0009
cur=$(journal_mark); patient_in P-0010; keys 1#
expect_refusal "$cur" no-valid-prescription P-0010

"$PLAYER" clock-unsynced
cur=$(journal_mark); patient_in P-0004; keys 1#
expect_refusal "$cur" clock-unsynchronised P-0004
"$PLAYER" clock-synced

cur=$(journal_mark); patient_in P-0004; keys 0#
expect_refusal "$cur" no-intoxication-attestation P-0004

before=$(ctl status | jq -c '{lock, lockdown, open_release, alarm}')
cur=$(journal_mark)
play counter 1010101010101010101010101                      # 25 bits
good=$(h10301 20 2004); bad=${good:0:25}$(( 1 - ${good:25:1} ))  # 26 bits, last parity flipped
play counter "$bad"
sleep 0.5
wait_until 10 bash -c '[[ $(journalctl --no-pager -o cat --cursor "$1" SYSLOG_IDENTIFIER=dosecabd | grep -c "Wiegand frame rejected") -ge 2 ]]' _ "$cur" \
    || fail "two rejected frames are not both logged: $(journalctl --no-pager -o cat --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd)"
journalctl --no-pager -o cat --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd | grep "Wiegand frame rejected"
[[ -z $(journalctl --no-pager -o json --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd DOSECAB_EVENT=refusal) ]] \
    || fail "a malformed frame produced a refusal (it must be harmless, I6)"
expect_eq "$(ctl status | jq -c '{lock, lockdown, open_release, alarm}')" "$before" "status after malformed frames"

kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1 during the refusals: $(cat /tmp/lock-watch.out)"
