# rig: summary a full dispense and return on the real kernel, systemd and journald
# rig: timeout 240
# Plays, with the rig's clinic (guest/dosecab.sh) and P-0001: nurse badge + PIN, patient card
# + PIN, attestation 1# on the counter reader (real Wiegand frames through gpio-sim), then
# asserts:
#  - the lock line reads 1, and the journal's release entry (MESSAGE_ID, DOSECAB_PATIENT,
#    DOSECAB_DRUG, DOSECAB_ROUTE, DOSECAB_DOSE_MG, DOSECAB_STAFF, DOSECAB_PRESCRIPTION,
#    DOSECAB_RELEASE_ID, DOSECAB_AUDIT_SEQ/HASH) was received by journald no later than the
#    moment the lock was seen at 1 (write-ahead, I1); its seq and hash are the store's;
#  - opening the door (bolt retracted first) de-energises the lock at once;
#  - an issue scan (tag 700001, no beam) gives an issue entry bound to the release;
#  - door closed + bolt engaged: a release-completed entry; `releases` says complete;
#    `outstanding` lists 700001 for P-0001;
#  - the return (tag + beam): a return entry with the serial and release id, nothing
#    outstanding, status locked with no open release, no lockdown, no alarm, lock line 0,
#    `audit verify` intact.
dc_setup
P=P-0001 U=700001
lock=$(line_for lock)
cur=$(journal_mark)
counter_release "$P"
t_lock=$("$PLAYER" wait "$lock" 1 10000) || fail "the lock never read 1 after a valid counter dialogue: $(ctl status | jq -c .counter)"
rel=$(dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P")
echo "$rel"
expect_eq "$(wc -l <<<"$rel")" 1 "release entries for $P"
expect_entry "$rel" release
expect_eq "$(jf "$rel" PRIORITY)" 5 "release PRIORITY"
expect_eq "$(jf "$rel" DOSECAB_DRUG)" diacetylmorphine DOSECAB_DRUG
expect_eq "$(jf "$rel" DOSECAB_ROUTE)" injectable DOSECAB_ROUTE
expect_match "$(jf "$rel" DOSECAB_DOSE_MG)" '^200(\.0+)?$' DOSECAB_DOSE_MG
expect_eq "$(jf "$rel" DOSECAB_STAFF)" S-01 DOSECAB_STAFF
expect_match "$(jf "$rel" DOSECAB_PRESCRIPTION)" '^RX-0001' DOSECAB_PRESCRIPTION
rid=$(jf "$rel" DOSECAB_RELEASE_ID)
expect_match "$rid" '^R-[0-9]{8}-' DOSECAB_RELEASE_ID
mono=$(jf "$rel" __MONOTONIC_TIMESTAMP)
log "release entry at ${mono} us, lock seen at 1 at ${t_lock} us"
((mono <= t_lock)) || fail "the lock was energised (seen at $t_lock us) before journald had the release entry ($mono us): write-ahead (I1)"
seq=$(jf "$rel" DOSECAB_AUDIT_SEQ)
rec=$(audit_record "$seq")
expect_eq "$(jq -r .event <<<"$rec")" release "store record $seq"
expect_eq "$(jq -r .hash <<<"$rec")" "$(jf "$rel" DOSECAB_AUDIT_HASH)" "store hash of record $seq = journal DOSECAB_AUDIT_HASH"
st=$(ctl status)
expect_eq "$(jq -r .lock <<<"$st")" energised "status lock during the release"
expect_eq "$(jq -r .open_release.id <<<"$st")" "$rid" "status open_release.id"

open_cabinet
"$PLAYER" wait "$lock" 0 2000 >/dev/null || fail "the lock stayed energised after the door opened"
issue_scan "$U"
iss=$(dc_wait_event 10 "$cur" issue "DOSECAB_AMPOULE=$U")
expect_entry "$iss" issue
expect_eq "$(jf "$iss" DOSECAB_RELEASE_ID)" "$rid" "issue DOSECAB_RELEASE_ID"
expect_eq "$(jf "$iss" DOSECAB_PATIENT)" "$P" "issue DOSECAB_PATIENT"
close_cabinet
done_=$(dc_wait_event 10 "$cur" release-completed "DOSECAB_RELEASE_ID=$rid")
expect_entry "$done_" release-completed
expect_eq "$(ctl releases | jq -r --arg r "$rid" '.releases[] | select(.id == $r) | .outcome')" complete "releases: outcome of $rid"
out=$(ctl outstanding)
expect_eq "$(jq -r '[.units[] | select(.unit == "'$U'")] | length' <<<"$out")" 1 "outstanding units $U"
expect_eq "$(jq -r '.units[] | select(.unit == "'$U'") | .patient' <<<"$out")" "$P" "patient of outstanding $U"

return_unit "$U"
ret=$(dc_wait_event 10 "$cur" return "DOSECAB_AMPOULE=$U")
expect_entry "$ret" return
expect_eq "$(jf "$ret" DOSECAB_RELEASE_ID)" "$rid" "return DOSECAB_RELEASE_ID"
expect_eq "$(ctl outstanding | jq -r '[.units[] | select(.unit == "'$U'")] | length')" 0 "outstanding $U after the return"
st=$(ctl status)
expect_eq "$(jq -r .lock <<<"$st")" locked "status lock after"
expect_eq "$(jq -r .open_release <<<"$st")" null "status open_release after"
expect_eq "$(jq -r .lockdown <<<"$st")" null "status lockdown after"
expect_eq "$(jq -r .alarm <<<"$st")" false "status alarm after"
expect_eq "$(lock_value)" 0 "lock line after"
expect_eq "$(ctl audit verify | jq -r .intact)" true "audit verify"
# The journal holds the register, not the runtime's noise: libdispatch's "Failed to set thread
# priority" (setpriority blocked by the unit's syscall filter) flooded it on every start.
noise=$(journalctl -b --no-pager -o cat _SYSTEMD_UNIT=dosecabd.service | grep -c "Failed to set thread priority" || true)
expect_eq "$noise" 0 "libdispatch thread-priority errors from dosecabd.service in this boot"
