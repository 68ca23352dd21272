# rig: summary a full dispense and return on the real kernel, systemd and journald
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 180
# Will assert, after `player clock-synced` and importing the demo clinic's signed
# prescription and enrolled cards with dosecabctl:
#  - staff badge + PIN, then patient card + PIN played on the counter reader with
#    `player wiegand counter 26 <bits>` (PIN digits as 4-bit keypad bursts);
#  - the lock line reads 1 (`player wait lock 1 5000`) only AFTER the journal holds the
#    release entry (MESSAGE_ID of "release", DOSECAB_RELEASE_ID, DOSECAB_PATIENT (the
#    pseudonymous number, never a name), DOSECAB_DRUG, DOSECAB_DOSE_MG, staff, witness,
#    DOSECAB_AUDIT_SEQ, DOSECAB_CHAIN_HASH): its __MONOTONIC_TIMESTAMP precedes the lock's
#    rising edge seen by gpiomon (write-ahead, invariant I1);
#  - ampoule issue scans on `player wiegand return ...` without the beam are bound to the
#    release (journal entry per unit); `player set door ...` open/close; `player set bolt 1`
#    follows; the lock reads 0 again within the unlock window;
#  - the return: the ampoule's scan then `player pulse return-beam 1 50` within the window
#    gives a "returned" entry with the same serial and release id;
#  - `dosecabctl --json status` / `outstanding` / `releases` show the release closed, no
#    open units; `dosecabctl --json audit verify` is ok; issued = returned + witnessed +
#    open + incidents for the day (I5).
