# rig: summary a hard reset of the guest (no sync) comes back with the persistent journal, the disk and the chip
# rig: timeout 120
# Proves the mechanism of the power-off scenario: phase 1 writes a journal entry and a
# file (fsync'ed), syncs the journal and the disks, then waits for the next power cut (sysrq b:
# no sync, no unmount, no unit stops): the power-off scenario's, or the runner's at the end
# when that one is not run (rig_await_reset: one boot fewer). The runner of the next boot
# resumes at phase 2, which finds: a new boot id, the entry
# in the previous boot's persistent journal (journalctl -b -1), the file, and the chip
# set up again with its line names.
marker=/var/lib/dosecab-rig-reset
case $PHASE in
1)
    token=$(tr -d '-' </proc/sys/kernel/random/uuid)
    echo "$token $(tr -d '-' </proc/sys/kernel/random/boot_id)" >"$marker.tmp"
    sync "$marker.tmp"; mv "$marker.tmp" "$marker"; sync /var/lib
    logger --journald <<ENTRY
MESSAGE=dosecab rig: before the power cut
SYSLOG_IDENTIFIER=dosecab-rig
DOSECAB_RIG_TOKEN=$token
ENTRY
    journal_wait 10 "DOSECAB_RIG_TOKEN=$token" >/dev/null
    # journald writes through mmap and syncs every SyncIntervalSec (5 min) or at once for
    # priorities crit and above only; `journalctl --sync` fsyncs in a background thread.
    # Without the global sync, every entry since the early-boot flush was lost to the reset
    # (seen here). The daemon's entries get no such help: the power-off scenario must expect
    # the store, not the journal, to hold the last records, and check their replay.
    journalctl --sync
    sync
    rig_await_reset 2
    ;;
2)
    [[ -f $marker ]] || fail "the fsync'ed marker file is gone after the reset"
    read -r token oldboot <"$marker"
    now=$(tr -d '-' </proc/sys/kernel/random/boot_id)
    [[ $now != "$oldboot" ]] || fail "same boot id after the reset: the guest did not reboot"
    journalctl --list-boots --no-pager
    entry=$(journalctl --no-pager -o json "_BOOT_ID=$oldboot" "DOSECAB_RIG_TOKEN=$token")
    [[ -n $entry ]] || fail "the entry written before the reset is not in the persistent journal"
    previous=$(journalctl --list-boots --no-pager | awk '$1 == "-1" { print $2 }')
    expect_eq "$previous" "$oldboot" "the boot journalctl calls -1 (the power-off scenario will use -b -1)"
    gpiofind "$(line_for lock)" >/dev/null || fail "the chip was not set up again after the reset"
    ;;
esac
