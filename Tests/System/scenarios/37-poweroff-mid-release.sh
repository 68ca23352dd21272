# rig: summary a power cut mid-release: after reboot the store, the journal and the audit chain agree
# rig: timeout 300
# Phase 1: P-0007's release, lock 1, bolt retracted, door open, ampoule 700007 issued; 8 s
# later (the daemon has handed everything to journald by then) the power is cut (sysrq b:
# no sync, like a real power cut; the door stays open through it).
# Phase 2 (next boot; dosecabd started by systemd as enabled, before the runner):
#  - the lock line reads 0; the daemon is active; `dosecabctl --json audit verify` intact;
#  - the release is interrupted (`releases`), a recovery entry of this boot names it, 700007
#    is outstanding for P-0007, P-0007 has exactly one release (nothing counted twice);
#  - the door found open belongs to the interrupted release: no alarm, no lockdown;
#  - store and journal agree: every audit record in the store (seq, hash) is in the journal
#    of some boot with the same DOSECAB_AUDIT_HASH. journald loses what it had not synced
#    (docs/system-tests.md), so this holds only if the daemon replays what the journal lost.
P=P-0007 U=700007
lock=$(line_for lock)
case $PHASE in
1)
    dc_setup
    cur=$(journal_mark)
    counter_release "$P"
    "$PLAYER" wait "$lock" 1 10000 >/dev/null || fail "no release for $P: $(ctl status | jq -c .counter)"
    rid=$(jf "$(dc_wait_event 10 "$cur" release "DOSECAB_PATIENT=$P")" DOSECAB_RELEASE_ID)
    open_cabinet
    issue_scan "$U"
    dc_wait_event 10 "$cur" issue "DOSECAB_AMPOULE=$U" >/dev/null
    last=$(ctl audit verify | jq -r .last_seq)
    echo "$rid $last $(tr -d '-' </proc/sys/kernel/random/boot_id)" >/var/lib/dosecab-rig/poweroff.txt
    sync /var/lib/dosecab-rig/poweroff.txt
    log "release $rid, store at seq $last; cutting the power in 8 s"
    sleep 8
    rig_hard_reset 2
    ;;
2)
    read -r rid last oldboot </var/lib/dosecab-rig/poweroff.txt
    expect_eq "$(lock_value)" 0 "lock line after the power cut"
    dc_wait_active 60
    "$PLAYER" clock-synced
    # The door found open first: the daemon times it from its start (door-held-open, 120 s of
    # guest time), and the checks below read the whole journal from a cold disk, where every
    # I/O request moves the guest's clock on by milliseconds (docs/system-tests.md): closed
    # after them, the door could outlast its limit on a slow host.
    st=$(ctl status)
    expect_eq "$(jq -r .lockdown <<<"$st")" null "lockdown after the reboot (door open belongs to the interrupted release)"
    expect_eq "$(jq -r .door <<<"$st")" open "door as the daemon found it"
    close_cabinet
    expect_eq "$(ctl audit verify | jq -r .intact)" true "audit verify after the power cut"
    (( $(ctl audit verify | jq -r .last_seq) >= last )) || fail "the store lost records: last seq $(ctl audit verify | jq -r .last_seq) < $last"
    expect_eq "$(ctl releases | jq -r --arg r "$rid" '.releases[] | select(.id == $r) | .state')" interrupted "state of $rid"
    expect_eq "$(ctl releases | jq -r --arg p "$P" '[.releases[] | select(.patient == $p)] | length')" 1 "releases of $P"
    expect_eq "$(ctl outstanding | jq -r --arg u "$U" '.units[] | select(.unit == $u) | "\(.patient) \(.state)"')" "$P open" "outstanding $U"
    rec=$(journal_wait 20 -b 0 SYSLOG_IDENTIFIER=dosecabd DOSECAB_EVENT=recovery "DOSECAB_RELEASE_ID=$rid")
    expect_entry "$rec" recovery
    # Store vs journal, record by record.
    sleep 6   # one replay tick of the daemon's main loop
    ctl audit list --from 1 --limit 1000 | jq -r '.records[] | "\(.seq) \(.hash)"' | sort -n >/tmp/store.seq
    journalctl --no-pager -o json SYSLOG_IDENTIFIER=dosecabd --output-fields=DOSECAB_AUDIT_SEQ,DOSECAB_AUDIT_HASH \
        | jq -r 'select(.DOSECAB_AUDIT_SEQ) | "\(.DOSECAB_AUDIT_SEQ) \(.DOSECAB_AUDIT_HASH)"' | sort -n | uniq >/tmp/journal.seq
    missing=$(awk 'NR == FNR { j[$1] = 1; next } !($1 in j) { print $1 }' /tmp/journal.seq /tmp/store.seq | paste -sd' ')
    log "store: $(wc -l </tmp/store.seq) records, journal: $(wc -l </tmp/journal.seq) distinct; missing from the journal: ${missing:-none}"
    bad=$(awk 'NR == FNR { h[$1] = $2; next } ($1 in h) && h[$1] != $2 { print $1 }' /tmp/store.seq /tmp/journal.seq | head -n3 | paste -sd' ')
    [[ -z $bad ]] || fail "journal hashes differ from the store's: $bad"
    if [[ -n $missing ]]; then
        journalctl --list-boots --no-pager
        what=""
        for q in $missing; do
            r=$(audit_record "$q" | jq -r '"seq \(.seq) \(.event): \(.message)"' | cut -c1-100)
            log "missing from the journal: $r"
            what+="${what:+; }$r"
        done
        known_issue F3 "store records missing from the journal of every boot after the power cut: $what"
    fi
    sleep 4
    expect_eq "$(status_of lockdown)" null "lockdown after closing the cabinet"
    ;;
esac
