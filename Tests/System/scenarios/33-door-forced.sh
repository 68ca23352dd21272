# rig: summary door opened without a release, and the tamper switch: alarm and lockdown
# rig: timeout 180
# Asserts: with no open release, the door line going open gives an alarm entry
# (DOSECAB_REASON=forced-door, PRIORITY 1) and a lockdown entry (state on; F4);
# `dosecabctl --json status` shows alarm true and the lockdown reason; the lock line stays
# 0; with the door shut again, a valid counter dialogue (P-0004) is refused with reason
# "lockdown"; `dosecabctl lockdown off` (root, with admin S-03's badge + PIN) clears it (lockdown entry,
# state off, status alarm false). Then the same for the tamper line (case opened):
# alarm DOSECAB_REASON=tamper and lockdown, cleared the same way.
dc_setup
lock=$(line_for lock)
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT

cur=$(journal_mark)
door_open
al=$(dc_wait_event 10 "$cur" alarm)
echo "$al"
expect_entry "$al" alarm
expect_eq "$(jf "$al" DOSECAB_REASON)" forced-door "alarm DOSECAB_REASON"
expect_eq "$(jf "$al" PRIORITY)" 1 "alarm PRIORITY"
ld=$(dc_wait_lockdown 10 "$cur" on)
expect_entry "$ld" lockdown
st=$(ctl status)
expect_eq "$(jq -r .alarm <<<"$st")" true "status alarm"
expect_match "$(jq -r .lockdown <<<"$st")" forced-door "status lockdown"
door_close
cur=$(journal_mark)
counter_release P-0004
ref=$(dc_wait_event 15 "$cur" refusal DOSECAB_PATIENT=P-0004)
[[ ,$(jf "$ref" DOSECAB_REASON), == *,lockdown,* ]] || fail "refusal during lockdown does not name 'lockdown': $(jf "$ref" DOSECAB_REASON)"
cur=$(journal_mark)
ctl lockdown off --reason "rig: door inspected, no loss" --staff S-03 --pin 3456 >/dev/null
off=$(dc_wait_lockdown 10 "$cur" off)
expect_entry "$off" lockdown
expect_eq "$(status_of lockdown)" null "status lockdown after lockdown off"
expect_eq "$(status_of alarm)" false "status alarm after lockdown off"

cur=$(journal_mark)
"$PLAYER" set "$(line_for tamper)" 1
al=$(dc_wait_event 10 "$cur" alarm)
expect_entry "$al" alarm
expect_eq "$(jf "$al" DOSECAB_REASON)" tamper "tamper alarm DOSECAB_REASON"
dc_wait_lockdown 10 "$cur" on >/dev/null
expect_match "$(status_of lockdown)" tamper "status lockdown after tamper"
"$PLAYER" set "$(line_for tamper)" 0
ctl lockdown off --reason "rig: case closed again" --staff S-03 --pin 3456 >/dev/null
expect_eq "$(status_of lockdown)" null "status lockdown after the tamper lockdown off"
kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1 during the scenario: $(cat /tmp/lock-watch.out)"
