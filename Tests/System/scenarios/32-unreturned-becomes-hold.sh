# rig: summary an ampoule not returned by its deadline becomes an incident and a hold, in real time
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 240
# Will assert, with the close-out deadline set short in the guest's config (e.g. 30 s)
# and no `sim` verbs (real time passes on CLOCK_BOOTTIME): after a dispense whose ampoule
# is not returned, once the deadline passes an "incident" entry at PRIORITY<=4 names the
# serial and release; `dosecabctl --json holds` lists the patient; a new release for that
# patient is refused with reason "open hold" (lock stays 0); `dosecabctl hold clear` by a
# clinician badge + PIN with a reason clears it and is journaled as an admin action.
