# rig: summary an ampoule not returned by its deadline becomes an incident and a hold, in real (guest) time
# rig: timeout 300
# With a drop-in `[close-out.injectable] deadline-minutes = 1` (daemon restarted to read it)
# and no simulated time: P-0003 gets a release, ampoule 700003 is issued and never returned.
# Asserts: before the deadline no incident; after it, an incident entry (PRIORITY 3,
# DOSECAB_AMPOULE, DOSECAB_RELEASE_ID, DOSECAB_PATIENT) and a hold entry (PRIORITY 3) for
# P-0003; `dosecabctl --json holds` lists P-0003 and `outstanding` shows 700003 as
# incident; a new counter dialogue for P-0003 is refused with reason "hold" (lock stays 0);
# `hold clear` by the nurse fails (exit 1), by the clinician S-02 with badge + PIN it works:
# a hold-cleared entry with DOSECAB_STAFF=S-02 and an admin entry for the call.
dc_setup
dc_dropin 50-rig-deadline '[close-out.injectable]
deadline-minutes = 1'
trap 'dc_dropin_rm 50-rig-deadline; systemctl restart dosecabd.service || true' EXIT
dc_restart
P=P-0003 U=700003
lock=$(line_for lock)
cur=$(journal_mark)
counter_release "$P"
"$PLAYER" wait "$lock" 1 10000 >/dev/null || fail "no release for $P: $(ctl status | jq -c .counter)"
rid=$(jf "$(dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P")" DOSECAB_RELEASE_ID)
open_cabinet; issue_scan "$U"; close_cabinet
dc_wait_event 10 "$cur" release-completed "DOSECAB_RELEASE_ID=$rid" >/dev/null
t_issue=$(cut -d' ' -f1 /proc/uptime)
sleep 30
[[ -z $(dc_events "$cur" incident) ]] || fail "an incident before the 1-minute deadline"
inc=$(dc_wait_event 60 "$cur" incident "DOSECAB_AMPOULE=$U")
log "incident $(awk -v a="$t_issue" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }') s after the issue"
echo "$inc"
expect_entry "$inc" incident
expect_eq "$(jf "$inc" PRIORITY)" 3 "incident PRIORITY"
expect_eq "$(jf "$inc" DOSECAB_RELEASE_ID)" "$rid" "incident DOSECAB_RELEASE_ID"
expect_eq "$(jf "$inc" DOSECAB_PATIENT)" "$P" "incident DOSECAB_PATIENT"
hold=$(dc_wait_event 10 "$cur" hold "DOSECAB_PATIENT=$P")
expect_entry "$hold" hold
expect_eq "$(jf "$hold" PRIORITY)" 3 "hold PRIORITY"
expect_eq "$(ctl holds | jq -r --arg p "$P" '[.holds[] | select(.patient == $p)] | length')" 1 "holds listing $P"
expect_eq "$(ctl outstanding | jq -r --arg u "$U" '[.units[] | select(.unit == $u)] | length')" 0 "700003 no longer outstanding as open"

cur=$(journal_mark)
counter_release "$P"
ref=$(dc_wait_event 15 "$cur" refusal "DOSECAB_PATIENT=$P")
[[ ,$(jf "$ref" DOSECAB_REASON), == *,hold,* ]] || fail "the refusal of a patient on hold does not name 'hold': $(jf "$ref" DOSECAB_REASON)"
expect_eq "$(lock_value)" 0 "lock line for a patient on hold"

if dosecabctl hold clear "$P" --reason "rig: nurse tries" --staff S-01 --pin 1234 --json; then fail "a nurse cleared a hold"; fi
ctl hold clear "$P" --reason "rig: ampoule found broken in the chute" --staff S-02 --pin 2345 >/dev/null
hc=$(dc_wait_event 10 "$cur" hold-cleared "DOSECAB_PATIENT=$P")
expect_entry "$hc" hold-cleared
expect_eq "$(jf "$hc" DOSECAB_STAFF)" S-02 "hold-cleared DOSECAB_STAFF"
dc_wait_event 10 "$cur" admin | grep -q hold.clear || fail "no admin entry for the hold.clear call"
expect_eq "$(ctl holds | jq -r --arg p "$P" '[.holds[] | select(.patient == $p)] | length')" 0 "holds for $P after clearing"
