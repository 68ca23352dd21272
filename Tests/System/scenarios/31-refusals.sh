# rig: summary refusals leave the lock at 0 and are journaled with every failed rule
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 180
# Will assert, for each case, that the lock line never reads 1 (gpiomon on the lock line
# sees no edge during the attempt), `dosecabctl --json` reports the refusal with its
# reasons, and one "refused" journal entry lists the same DOSECAB_REASON values:
#  - unknown card; wrong PIN (and lockout after the configured number of failures);
#  - no staff witness / patient badge used as witness of their own release;
#  - minimum interval not elapsed; daily ceiling reached; prescription expired/cancelled;
#  - a malformed Wiegand frame (bad parity, 25-bit) is rejected with a reason, no change;
#  - clock not synchronised (before `player clock-synced`): release refused.
