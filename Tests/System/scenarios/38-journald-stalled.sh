# rig: summary journald stalled with SIGSTOP: releases refused, entries replayed when it is back
# rig: pending needs dosecabd and dosecabctl (issue 6)
# rig: timeout 180
# Will assert: `kill -STOP $(systemctl show -p MainPID --value systemd-journald)` (never
# `systemctl stop`: the socket stays and would prove nothing); the daemon turns degraded
# within its journal-health limit (`dosecabctl --json status`), a dispense attempt is
# refused (lock stays 0; the refusal is in the store's audit log); the lock/control socket
# keep answering; after `kill -CONT`, the refusal and every entry written meanwhile appear
# in the journal (replayed from the store, in audit-sequence order, none missing), and the
# daemon is healthy again.
