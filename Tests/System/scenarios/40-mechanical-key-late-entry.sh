# rig: summary the door found open at start (mechanical key): alarm, lockdown, witnessed late entry, close, lockdown off
# rig: timeout 240
# ARCHITECTURE §4a "Downtime". The daemon is stopped, the door line goes open (the cabinet
# opened with the mechanical key) and the daemon is started again. Asserts:
#  - an alarm entry DOSECAB_REASON=mechanical-key and a lockdown; status shows
#    late_entry_owed and the lockdown; the lock line stays 0 throughout;
#  - `dosecabctl lockdown off` is refused (late-entry-owed) while the late entry is owed;
#  - `dosecabctl late-entry add` (two staff, the minute the door was found open, unit
#    700020 for P-0005, returned) gives a late-entry journal entry (MESSAGE_ID, state entry,
#    patient, unit, outcome) and the release is listed; `late-entry close` gives the closed
#    entry; then lockdown off is accepted and the cabinet closes without an alarm.
dc_setup
P=P-0005 U=700020
lock=$(line_for lock)
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT

systemctl stop dosecabd.service
open_cabinet
cur=$(journal_mark)
systemctl start dosecabd.service
dc_wait_active 60
al=$(dc_wait_event 20 "$cur" alarm DOSECAB_REASON=mechanical-key)
expect_entry "$al" alarm
dc_wait_lockdown 10 "$cur" on >/dev/null
st=$(ctl status)
expect_match "$(jq -r .lockdown <<<"$st")" mechanical-key "status lockdown"
expect_match "$(jq -r .late_entry_owed <<<"$st")" "mechanical-key opening" "status late_entry_owed"
if out=$(ctl lockdown off --reason "rig: too early" --staff S-03 --pin 3456 2>&1); then fail "lockdown off accepted while the late entry is owed: $out"; fi
expect_match "$out" late-entry-owed "lockdown off refusal"

found=$(ctl late-entry list | jq -r '.downtimes[0].found')
expect_match "$found" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$' "downtime found"
ctl late-entry add --patient "$P" --drug diacetylmorphine --route injectable --given-at "$found" --outcome returned \
    --note "rig: downtime sheet 1, line 1" --serials "$U" --staff S-01 --pin 1234 --witness S-02 --witness-pin 2345 >/dev/null
le=$(dc_wait_event 20 "$cur" late-entry DOSECAB_STATE=entry)
echo "$le"
expect_entry "$le" late-entry
expect_eq "$(jf "$le" DOSECAB_PATIENT)" "$P" "late-entry DOSECAB_PATIENT"
expect_eq "$(jf "$le" DOSECAB_UNITS)" "$U" "late-entry DOSECAB_UNITS"
expect_eq "$(jf "$le" DOSECAB_OUTCOME)" returned "late-entry DOSECAB_OUTCOME"
expect_eq "$(ctl late-entry list | jq -r '.entries[0].units[0].state')" returned "listed unit state"

ctl late-entry close --note "rig: paper register checked, nothing more taken" --staff S-01 --pin 1234 --witness S-02 --witness-pin 2345 >/dev/null
dc_wait_event 20 "$cur" late-entry DOSECAB_STATE=closed >/dev/null
expect_eq "$(status_of late_entry_owed)" null "status late_entry_owed after the close"
ctl lockdown off --reason "rig: downtime entered and closed" --staff S-03 --pin 3456 >/dev/null
expect_eq "$(status_of lockdown)" null "status lockdown after lockdown off"
close_cabinet
sleep 4   # past bolt-confirm-seconds
expect_eq "$(status_of lockdown)" null "lockdown after closing the cabinet"
kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1 during the scenario: $(cat /tmp/lock-watch.out)"
