# rig: summary kill -9 during an open release: ExecStopPost makes the lock safe, systemd restarts, the release is accounted for
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 180
# Will assert: with the lock energised by an open release, `kill -9 $(systemctl show -p
# MainPID --value dosecabd)`; then
#  - the journal has the safe-state command's own entry (its MESSAGE_ID, from the
#    ExecStopPost process: _PID differs from the old MainPID) AFTER the kill and BEFORE the
#    new daemon's "started" entry (order by __MONOTONIC_TIMESTAMP): gpio-sim returns a
#    released output to its pull, so the lock reading 0 alone proves nothing
#    (ARCHITECTURE.md section 7);
#  - `systemctl show -p NRestarts dosecabd` went up by one and the unit is active again;
#  - the restarted daemon reports the interrupted release (recovery entry with the same
#    DOSECAB_RELEASE_ID) and `dosecabctl --json outstanding` lists its units as open;
#  - the lock line reads 0 and stays 0 until a new valid dispense.
