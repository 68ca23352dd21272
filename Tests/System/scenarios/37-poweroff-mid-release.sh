# rig: summary a power cut mid-release: after reboot the store, the journal and the audit chain agree
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 300
# Will assert, using rig_hard_reset (see 15-smoke-hard-reset.sh, which proves the mechanism):
# phase 1: start a release, wait until the lock reads 1, cut the power (sysrq b);
# phase 2 (next boot, dosecabd started by systemd as enabled): the lock reads 0 from boot
# on; `dosecabctl --json audit verify` is ok; every release id in the store has its
# journal entry in `journalctl -b -1` or a replay entry in this boot; the interrupted
# release is recovered (units open, door found open attached to it, not "forced"); no
# release was counted twice.
