# rig: summary an upgrade from the old service user `dosecab` with docs/install.md's own commands: the store, its configuration and the read-only technicians carry over to dosecabd and dosecab
# rig: timeout 180
# Puts the set-up cabinet into the layout of a release before the renaming (issue 18, ARCHITECTURE
# §4a): the service user and group `dosecab` own /var/lib/dosecab (the store), /run/dosecab and
# the rig's 0640 drop-ins and key; the read-only technician `oldtech` is in `dosecab-read`;
# there is no dosecabd. Then runs the shell block of docs/install.md, "Upgrading from the
# dosecab service user", as the installed package carries it (/usr/share/doc/dosecab), in the
# payload folder that holds dosecab_*.deb, and asserts what follows. Two words of the block
# change: USER1 USER2 become the members `getent group dosecab-read` lists, and its `apt
# install ./dosecab_*.deb` runs with --reinstall, because the rig installed that very package
# at boot (apt would otherwise do nothing). A reinstall is an upgrade to the same version: dpkg
# unpacks the package again and its postinst runs sysusers, tmpfiles and the udev reload on
# the old layout, and try-restarts the units (stopped here, so they stay stopped until the
# block starts them). What no rig run shows: a first package installed over a `make install`
# tree of an older release (dpkg then takes over files it does not own).
#  - the daemon runs as dosecabd:dosecabd on the same store: its chain verifies and goes on
#    from the last record before the upgrade;
#  - /var/lib/dosecab is dosecabd:dosecabd 0700 and the store's files 0600; nothing in
#    /etc/dosecab still has the old group's number;
#  - no user dosecab, no group dosecab-read; dosecabd has no members; dosecab-gpio only dosecabd;
#  - `oldtech`, now in dosecab, reads `status`, is refused an admin verb (77) and the store (EACCES).
dc_setup
section="Upgrading from the dosecab service user"
block=$(awk -v h="## $section" '$0 == h { s = 1; next } s && /^## / { exit } s && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b' \
    /usr/share/doc/dosecab/install.md)
[[ $block == *userdel* ]] || fail "no shell block under '$section' in docs/install.md"
seq_before=$(ctl audit verify | jq -r '.last_seq')

# The old layout.
systemctl stop dosecabd.socket dosecabd.service
id oldtech >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin oldtech
mapfile -t service_files < <(find /etc/dosecab -group dosecabd)   # the rig's drop-ins and key, 0640
(( ${#service_files[@]} > 0 )) || fail "no file of group dosecabd in /etc/dosecab to carry over: $(ls -lnR /etc/dosecab)"
groupdel dosecab                     # the technicians' group of this release: not there yet
userdel dosecabd
! getent group dosecabd >/dev/null || groupdel dosecabd
useradd --system --user-group --home-dir /var/lib/dosecab --no-create-home --shell /usr/sbin/nologin dosecab
gpasswd -a dosecab dosecab-gpio >/dev/null
groupadd --system dosecab-read
gpasswd -a oldtech dosecab-read >/dev/null
chown -R dosecab:dosecab /var/lib/dosecab /run/dosecab
chgrp dosecab "${service_files[@]}"
log "old layout: $(id dosecab); dosecab-read: $(getent group dosecab-read)"

# docs/install.md, as written.
readers=$(getent group dosecab-read | cut -d: -f4)
[[ $block == *$'\n'"apt install ./dosecab_*.deb "* ]] || fail "no 'apt install ./dosecab_*.deb' line under '$section' in docs/install.md"
script=$(sed -e 's|^apt install \./dosecab_\*\.deb |apt install --reinstall ./dosecab_*.deb |' -e "s/USER1 USER2/${readers//,/ }/" <<<"$block")
configured() { grep -c ' configure dosecab:' /var/log/dpkg.log || true; }
n_configured=$(configured)
rig_tick_start   # the daemon is stopped while dpkg works (guest/ticking.sh)
(cd "$DC_PAYLOAD" && DEBIAN_FRONTEND=noninteractive bash -euo pipefail -c "$script") || fail "the upgrade commands of docs/install.md failed"
rig_tick_stop
# The reinstall really ran the package's scripts (not apt's "already the newest version").
(( $(configured) == n_configured + 1 )) || fail "apt install --reinstall did not configure dosecab once more (dpkg.log: $(tail -n 5 /var/log/dpkg.log))"
dc_wait_active 60

# The result.
expect_eq "$(stat -c %U:%G "/proc/$(main_pid)")" dosecabd:dosecabd "user and group of the daemon process"
! getent passwd dosecab >/dev/null || fail "the old service user dosecab is still there"
! getent group dosecab-read >/dev/null || fail "dosecab-read is still there"
expect_eq "$(getent group dosecabd | cut -d: -f4)" "" "members of the service's own group"
expect_eq "$(getent group dosecab-gpio | cut -d: -f4)" dosecabd "members of dosecab-gpio"
expect_eq "$(getent group dosecab | cut -d: -f4)" oldtech "members of dosecab (the read-only technicians)"
expect_eq "$(stat -c '%U:%G %a' /var/lib/dosecab)" "dosecabd:dosecabd 700" "/var/lib/dosecab"
for f in /var/lib/dosecab/dosecab.sqlite /var/lib/dosecab/dosecab.sqlite-wal /var/lib/dosecab/dosecab.sqlite-shm; do
    expect_eq "$(stat -c '%U:%G %a' "$f")" "dosecabd:dosecabd 600" "owner and mode of $f"
done
# The new group dosecab may have the old one's number: a file left behind would be the technicians'.
expect_eq "$(find /etc/dosecab /var/lib/dosecab /run/dosecab -nouser -o -nogroup -o -user dosecabd -a ! -group dosecabd -o -group dosecab)" "" \
    "files left with the old service user's or group's number"
verify=$(ctl audit verify)
[[ $(jq -r .intact <<<"$verify") == true ]] || fail "audit verify after the upgrade: $verify"
(( $(jq -r '.last_seq' <<<"$verify") >= seq_before )) || fail "the chain is shorter after the upgrade: $verify (was $seq_before)"

as() { local who=$1; shift; setpriv --reuid="$who" --regid="$who" --init-groups "$@"; }
as oldtech dosecabctl status --json | jq -e '.lock' >/dev/null || fail "a technician moved to dosecab cannot read the status"
rc=0; out=$(as oldtech dosecabctl lockdown on --reason "rig: upgraded reader tries" --json 2>&1) || rc=$?
expect_eq "$rc" 77 "exit of an admin verb for the moved technician ($out)"
if err=$(as oldtech dd if=/var/lib/dosecab/dosecab.sqlite of=/dev/null bs=1 count=1 2>&1); then fail "the moved technician could open the store"; fi
[[ $err == *"Permission denied"* ]] || fail "opening the store as the moved technician: expected EACCES, got: $err"
