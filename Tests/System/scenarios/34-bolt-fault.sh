# rig: summary the bolt disagreeing with the commanded lock state: lock fault, alarm, lock safe
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 120
# Will assert: during a release, door closed, and the lock de-energised, keeping the bolt
# line "not engaged" (`player set bolt ...`) gives a "lock-fault" alarm entry and lockdown;
# the lock line reads 0 throughout (de-energising never waits for the journal); with the
# door open, the same bolt state is NOT a fault (the bolt cannot engage while open).
