# rig: summary the bolt not engaging after the door closes: lock-fault alarm and lockdown, lock safe
# rig: timeout 180
# P-0005's release: lock 1, the bolt retracts, the door opens (lock 0), ampoule 700005 is
# issued. While the door is open the bolt stays retracted: no alarm (it cannot engage while
# open). The door closes and the player WITHHOLDS the bolt: after bolt-confirm-seconds (3)
# an alarm entry with DOSECAB_REASON=lock-fault (PRIORITY 1), a lockdown entry, a
# release-completed entry whose DOSECAB_REASON is "lock fault"; status alarm true, lockdown
# naming lock-fault; the lock line reads 0 from the door opening on. Then the bolt engages,
# lockdown off clears it.
dc_setup
P=P-0005 U=700005
lock=$(line_for lock)
cur=$(journal_mark)
counter_release "$P"
"$PLAYER" wait "$lock" 1 10000 >/dev/null || fail "no release for $P: $(ctl status | jq -c .counter)"
rid=$(jf "$(dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P")" DOSECAB_RELEASE_ID)
open_cabinet
"$PLAYER" wait "$lock" 0 2000 >/dev/null || fail "the lock stayed energised with the door open"
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
issue_scan "$U"
sleep 4   # longer than bolt-confirm-seconds, door open, bolt retracted
[[ -z $(dc_events "$cur" alarm) ]] || fail "an alarm while the door is open with the bolt retracted: $(dc_events "$cur" alarm | jq -r .MESSAGE)"
door_close   # ...and the bolt is withheld
al=$(dc_wait_event 10 "$cur" alarm)
echo "$al"
expect_entry "$al" alarm
expect_eq "$(jf "$al" DOSECAB_REASON)" lock-fault "alarm DOSECAB_REASON"
expect_eq "$(jf "$al" PRIORITY)" 1 "alarm PRIORITY"
dc_wait_lockdown 10 "$cur" on >/dev/null
rc=$(dc_wait_event 10 "$cur" release-completed "DOSECAB_RELEASE_ID=$rid")
expect_eq "$(jf "$rc" DOSECAB_REASON)" "lock fault" "release-completed DOSECAB_REASON"
st=$(ctl status)
expect_eq "$(jq -r .alarm <<<"$st")" true "status alarm"
expect_match "$(jq -r .lockdown <<<"$st")" lock-fault "status lockdown"
expect_eq "$(lock_value)" 0 "lock line after the lock fault"
kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1 after the door opened: $(cat /tmp/lock-watch.out)"
bolt_engage
ctl lockdown off --reason "rig: strike adjusted, bolt sensor checked" --staff S-03 --pin 3456 >/dev/null
expect_eq "$(status_of lockdown)" null "status lockdown after lockdown off"
