# rig: summary door opened without a release: alarm and lockdown
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 120
# Will assert: with no open release, `player set door <open>` gives an "alarm" journal
# entry (DOSECAB_REASON=door-forced, PRIORITY<=2) and `dosecabctl --json status` shows
# lockdown; a following valid dispense attempt is refused with reason "lockdown" and the
# lock line stays 0; `dosecabctl lockdown off` by an admin clears it (journaled). Also the
# tamper line: `player set tamper 1` → alarm + lockdown the same way.
