# rig: summary kill -9 during an open release: ExecStopPost's safe-state entry, systemd restarts, the release is accounted for
# rig: timeout 180
# P-0006's release is open (lock energised, then the door open and ampoule 700006 issued)
# when the daemon gets SIGKILL. Asserts:
#  - systemd restarts it: NRestarts + 1, a new MainPID, the unit active and answering;
#  - the journal has the safe-state entry (MESSAGE_ID 36a00af6..., DOSECAB_REASON
#    outputs-safe, PRIORITY 5) from another process than the killed one, after the kill and
#    BEFORE the new daemon's startup entry (by __MONOTONIC_TIMESTAMP): gpio-sim drops a
#    released output to its pull anyway, so the lock reading 0 proves nothing by itself;
#  - the new daemon's recovery entry names the release (DOSECAB_RELEASE_ID), `releases`
#    shows it interrupted, `outstanding` lists 700006 open for P-0006;
#  - the door found open belongs to the interrupted release: no alarm, no lockdown; the lock
#    reads 0; closing the door and engaging the bolt raises nothing.
dc_setup
P=P-0006 U=700006
lock=$(line_for lock)
cur=$(journal_mark)
counter_release "$P"
"$PLAYER" wait "$lock" 1 10000 >/dev/null || fail "no release for $P: $(ctl status | jq -c .counter)"
rid=$(jf "$(dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P")" DOSECAB_RELEASE_ID)
open_cabinet
issue_scan "$U"
dc_wait_event 10 "$cur" issue "DOSECAB_AMPOULE=$U" >/dev/null
old=$(main_pid) r0=$(n_restarts)
t_kill=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
kill -9 "$old"
log "killed $old"
wait_until 30 bash -c '[[ $(systemctl show -p MainPID --value dosecabd.service) != 0 && $(systemctl show -p MainPID --value dosecabd.service) != '"$old"' ]]' \
    || fail "systemd did not start a new dosecabd after kill -9"
dc_wait_active 30
new=$(main_pid)
expect_eq "$(n_restarts)" $((r0 + 1)) "NRestarts"
expect_eq "$(lock_value)" 0 "lock line after the restart"

safe=$(journal_wait 10 --cursor "$cur" MESSAGE_ID=$SAFE_STATE_ID)
echo "$safe"
expect_eq "$(wc -l <<<"$safe")" 1 "safe-state entries"
expect_eq "$(jf "$safe" DOSECAB_REASON)" outputs-safe "safe-state DOSECAB_REASON"
expect_eq "$(jf "$safe" PRIORITY)" 5 "safe-state PRIORITY"
[[ $(jf "$safe" _PID) != "$old" && $(jf "$safe" _PID) != "$new" ]] || fail "the safe-state entry came from the daemon itself (pid $(jf "$safe" _PID))"
start=$(dc_wait_event 10 "$cur" startup)
expect_entry "$start" startup
expect_eq "$(jf "$start" _PID)" "$new" "startup entry _PID"
m_safe=$(jf "$safe" __MONOTONIC_TIMESTAMP) m_start=$(jf "$start" __MONOTONIC_TIMESTAMP)
log "kill at ~$t_kill us, safe-state at $m_safe us, startup at $m_start us"
((t_kill <= m_safe && m_safe < m_start)) || fail "order: kill ($t_kill) < safe-state ($m_safe) < startup ($m_start) does not hold"

rec=$(dc_wait_event 10 "$cur" recovery "DOSECAB_RELEASE_ID=$rid")
expect_entry "$rec" recovery
expect_eq "$(jf "$rec" DOSECAB_PATIENT)" "$P" "recovery DOSECAB_PATIENT"
expect_eq "$(ctl releases | jq -r --arg r "$rid" '.releases[] | select(.id == $r) | .state')" interrupted "state of $rid"
expect_eq "$(ctl outstanding | jq -r --arg u "$U" '.units[] | select(.unit == $u) | "\(.patient) \(.state)"')" "$P open" "outstanding $U"
st=$(ctl status)
expect_eq "$(jq -r .lockdown <<<"$st")" null "lockdown after restart with the door open (it belongs to the interrupted release)"
expect_eq "$(jq -r .alarm <<<"$st")" false "alarm after restart"
close_cabinet
sleep 4   # past bolt-confirm-seconds
expect_eq "$(status_of lockdown)" null "lockdown after closing the cabinet"
[[ -z $(dc_events "$cur" alarm) ]] || fail "alarm after the restart: $(dc_events "$cur" alarm | jq -r .MESSAGE)"
