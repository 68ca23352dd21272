# rig: summary the role groups on the installed service: a read-group member reads but cannot reach the store or change anything; an admin-only member uses the CLI; a stranger is turned away
# rig: timeout 120
# Issue 18.1 and 18.2, as the production unit runs (its users, groups, modes and umask):
#  - `tech` (only in dosecab, the read-only technicians' group): `dosecabctl status` works; an admin verb (`lockdown on`) is
#    refused with permission-denied (exit 77) and changes nothing; the store's database, -wal
#    and -shm cannot be opened (EACCES: the folder is 0700), so it can neither hold SQLite's
#    write lock nor read PIN hashes; `dosecabctl people` names no staff or patient card number.
#  - `boss` (only in dosecab-admin, not in dosecab): reads, and switches lockdown on (an
#    admin verb: its lockdown record names the caller's uid); the rig lifts it again with S-03's
#    badge + PIN.
#  - `stranger` (in neither group): refused as it connects (exit 77), nothing recorded.
#  - nobody is a member of the service's own group `dosecabd` (ARCHITECTURE §4a), and the
#    read member is not in it either: it reaches the daemon only through the socket.
dc_setup
as() { local who=$1; shift; setpriv --reuid="$who" --regid="$who" --init-groups "$@"; }
for u in tech boss stranger; do id "$u" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$u"; done
usermod -a -G dosecab tech
usermod -a -G dosecab-admin boss
expect_eq "$(getent group dosecabd | cut -d: -f4)" "" "members of the service's own group"
[[ " $(id -nG tech) " != *" dosecabd "* ]] || fail "tech is in the service's own group: $(id -nG tech)"

# The read group: looks, cannot change, cannot reach the files.
as tech dosecabctl status --json | jq -e '.lock' >/dev/null || fail "a dosecab member cannot read the status"
seq_before=$(ctl audit verify | jq -r '.last_seq')
rc=0; out=$(as tech dosecabctl lockdown on --reason "rig: read member tries" --json 2>&1) || rc=$?
expect_eq "$rc" 77 "exit of an admin verb for a dosecab member ($out)"
[[ $out == *permission* ]] || fail "the refusal does not say permission denied: $out"
expect_eq "$(status_of lockdown)" null "lockdown after the read member's attempt"
for f in /var/lib/dosecab/dosecab.sqlite /var/lib/dosecab/dosecab.sqlite-wal /var/lib/dosecab/dosecab.sqlite-shm; do
    if err=$(as tech dd if="$f" of=/dev/null bs=1 count=1 2>&1); then fail "a dosecab member could open $f"; fi
    [[ $err == *"Permission denied"* ]] || fail "opening $f as a dosecab member: expected EACCES, got: $err"
    if err=$(as tech dd if=/dev/zero of="$f" bs=1 count=0 conv=notrunc 2>&1); then fail "a dosecab member could open $f for writing"; fi
done
people=$(as tech dosecabctl people --json)
for card in 1001 1002 1003 2001 2002; do
    if grep -qw "$card" <<<"$people"; then fail "people list shows card number $card to a dosecab member: $people"; fi
done

# Nothing the read member tried reached the record.
expect_eq "$(ctl audit list --from "$((seq_before + 1))" --limit 100 | jq '[.records[] | select(.event == "admin" or .event == "lockdown")] | length')" 0 \
    "admin or lockdown records after the read member's attempts"

# The admin group alone reaches the socket (its folder and mode let it in) and may administer.
as boss dosecabctl status --json | jq -e '.lock' >/dev/null || fail "a member of dosecab-admin only cannot use the CLI"
as boss dosecabctl lockdown on --reason "rig: admin-only member" --json >/dev/null || fail "a member of dosecab-admin only cannot switch lockdown on"
[[ $(status_of lockdown) != null ]] || fail "lockdown is not on after the admin-only member switched it on"
# The lockdown record carries its caller (uid, pid, groups) itself.
ctl audit list --from "$((seq_before + 1))" --limit 100 | jq -e --arg uid "uid=$(id -u boss) " \
    '[.records[] | select(.event == "lockdown" and ((.fields | tostring) | contains($uid)))] | length > 0' >/dev/null \
    || fail "no lockdown record names the admin-only member's uid: $(ctl audit list --from "$((seq_before + 1))" --limit 100 | jq -c '.records[] | {event, fields}')"
ctl lockdown off --reason "rig: scenario 21 done" --staff S-03 --pin 3456 >/dev/null
expect_eq "$(status_of lockdown)" null "lockdown after S-03 lifted it"
seq_before=$(ctl audit verify | jq -r '.last_seq')

# A stranger is turned away as it connects.
rc=0; out=$(as stranger dosecabctl status --json 2>&1) || rc=$?
expect_eq "$rc" 77 "exit of dosecabctl status for a user in neither group ($out)"
[[ $out == *"dosecab or dosecab-admin"* ]] || fail "the stranger's refusal does not name the groups: $out"
expect_eq "$(ctl audit list --from "$((seq_before + 1))" --limit 100 | jq '[.records[] | select(.event == "admin" or .event == "lockdown")] | length')" 0 \
    "admin or lockdown records after the stranger's attempt"
