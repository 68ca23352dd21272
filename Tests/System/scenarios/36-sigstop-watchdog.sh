# rig: summary a hung daemon (SIGSTOP) is killed by the systemd watchdog (WatchdogSec=10s) and restarted
# rig: timeout 180
# Asserts: after `kill -STOP <MainPID>`, systemd (PID 1) logs "Watchdog timeout" for
# dosecabd.service within 10 s (+3 s slack) of the stop and no sooner than 4 s (the daemon
# pings every 5 s); the safe-state entry follows; NRestarts goes up by one; a new MainPID
# is active and answering (READY=1); the lock line never reads 1.
dc_setup
lock=$(line_for lock)
"$PLAYER" wait "$lock" 1 3600000 >/tmp/lock-watch.out 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
cur=$(journal_mark)
old=$(main_pid) r0=$(n_restarts)
t_stop=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
kill -STOP "$old"
wdq() { journalctl --no-pager -o json --cursor "$cur" _PID=1 UNIT=dosecabd.service | jq -c 'select(.MESSAGE | test("[Ww]atchdog timeout"))' | head -n1; }
wait_until 30 bash -c '[[ -n $(journalctl --no-pager -o json --cursor "$1" _PID=1 UNIT=dosecabd.service | jq -c "select(.MESSAGE | test(\"[Ww]atchdog timeout\"))") ]]' _ "$cur" || true
wd=$(wdq)
[[ -n $wd ]] || fail "systemd logged no watchdog timeout: $(journalctl --no-pager -o cat --cursor "$cur" _PID=1 UNIT=dosecabd.service | tail -n 5)"
jf "$wd" MESSAGE
m_wd=$(jf "$wd" __MONOTONIC_TIMESTAMP)
dt=$(( (m_wd - t_stop) / 1000 ))
log "watchdog timeout ${dt} ms after SIGSTOP"
((dt >= 4000 && dt <= 13000)) || fail "watchdog fired ${dt} ms after the stop (expected 4-13 s with WatchdogSec=10s)"
wait_until 40 bash -c '[[ $(systemctl show -p MainPID --value dosecabd.service) != 0 && $(systemctl show -p MainPID --value dosecabd.service) != '"$old"' ]]' \
    || fail "no new dosecabd after the watchdog"
dc_wait_active 30
expect_eq "$(n_restarts)" $((r0 + 1)) "NRestarts"
safe=$(journal_wait 10 --cursor "$cur" MESSAGE_ID=$SAFE_STATE_ID)
expect_eq "$(jf "$safe" DOSECAB_REASON)" outputs-safe "safe-state DOSECAB_REASON"
(( $(jf "$safe" __MONOTONIC_TIMESTAMP) > m_wd )) || fail "safe-state entry before the watchdog timeout"
dc_wait_event 10 "$cur" startup >/dev/null
kill -0 "$watcher" 2>/dev/null || fail "the lock line read 1: $(cat /tmp/lock-watch.out)"
