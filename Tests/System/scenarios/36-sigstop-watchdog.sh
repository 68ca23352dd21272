# rig: summary a hung daemon (SIGSTOP) is killed by the systemd watchdog and restarted
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 180
# Will assert: `kill -STOP <MainPID>`; within WatchdogSec (+ slack) systemd logs the
# watchdog timeout for dosecabd.service (journal: UNIT=dosecabd.service, "Watchdog timeout"),
# kills it with SIGABRT, ExecStopPost's safe-state entry appears, NRestarts goes up, the
# new daemon sends READY=1 (unit active) and the lock line reads 0 throughout.
