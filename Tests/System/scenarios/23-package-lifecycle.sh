# rig: summary the package's life on a cabinet in use: an upgrade keeps the edited configuration and the store and restarts the daemon; apt remove stops it safely and keeps both; apt purge removes the conffiles, keeps the audit store and says so; installing again opens the store as it was
# rig: timeout 900
# rig: needs upgrade-package
# With the cabinet set up (dc_setup: staff, patients, stock, prescriptions, so an audit chain
# of many records), /etc/dosecab/dosecab.toml edited by the administrator and the daemon
# running, asserts (docs/install.md, "Upgrading, removing, purging the package"; the decisions
# in docs/packaging.md):
#  1. `apt install ./dosecab_VERSION+systest1_*.deb` (payload/upgrade: the same programs, a
#     higher package version, run.sh) upgrades the package: dpkg says the new version; the
#     edited dosecab.toml is byte for byte the edited one, with no .dpkg-dist/.dpkg-new beside
#     it; the daemon runs again (a new main process, not the old one on a deleted binary:
#     its /proc/PID/exe is /usr/sbin/dosecabd) and logged a startup; `audit verify --expect`
#     the head taken before is intact and the people and stock lists are unchanged;
#  2. `apt remove dosecab`: the service and the socket are inactive, the unit's ExecStopPost
#     (`dosecabd --safe-state`) logged its safe-state entry after the stop (so prerm stopped it
#     while the binary was there), the lock line reads 0, the programs are gone; dpkg keeps
#     the package as config-files; the edited dosecab.toml, pinmap.toml and the store are there;
#  3. `apt purge dosecab` prints the "purge KEPT the audit store /var/lib/dosecab" lines and the
#     one about the administrator's files; dosecab.toml and pinmap.toml are gone; the rig's
#     prescriber key and drop-ins, the store's files (owned by dosecabd, which still exists)
#     stay; dpkg no longer knows the package;
#  4. `apt install ./dosecab_VERSION_*.deb` again (the payload's package, which the later
#     scenarios run against): the units are disabled and inactive (a fresh installation, even
#     over a kept store), the conffiles are the shipped ones; after `systemctl enable --now`
#     the daemon opens the kept store: `audit verify --expect` the head taken after the upgrade
#     is intact, people, stock and setup_needed as before the upgrade.
dc_setup
# The daemon is stopped or gone for much of this: keep the guest's clock from jumping minutes
# while dpkg waits for I/O (guest/ticking.sh). It stops with this scenario's shell.
rig_tick_start
export DEBIAN_FRONTEND=noninteractive
shopt -s nullglob
base=("$DC_PAYLOAD"/dosecab_*.deb)
upgrade=("$DC_PAYLOAD"/upgrade/dosecab_*+systest1_*.deb)
((${#base[@]} == 1 && ${#upgrade[@]} == 1)) || fail "expected one package in payload/ and one +systest1 package in payload/upgrade/ (run.sh builds them): ${base[*]} ${upgrade[*]}"
base_version=$(dpkg-deb -f "${base[0]}" Version)
up_version=$(dpkg-deb -f "${upgrade[0]}" Version)
dpkg --compare-versions "$up_version" gt "$base_version" || fail "the upgrade package's version $up_version is not above $base_version"
installed_version() { dpkg-query -W -f='${Version}' dosecab 2>/dev/null; }
expect_eq "$(installed_version)" "$base_version" "installed version before the upgrade"

# The cabinet in use: its chain head, its people and stock, an edited configuration.
head_of() { ctl audit verify | jq -r '"\(.last_seq):\(.head)"'; }
people_of() { ctl people | jq -S -c .; }
stock_of() { ctl stock list | jq -S -c .levels; }
setup_of() { ctl status | jq -c .setup_needed; }
head0=$(head_of) people0=$(people_of) stock0=$(stock_of) setup0=$(setup_of)
(( ${head0%%:*} > 20 )) || fail "expected the set-up cabinet's chain (enrolments, stock, bundle), got head $head0"
[[ $people0 == *P-0001* && $stock0 == *diacetylmorphine* ]] || fail "the cabinet is not set up: people $people0, stock $stock0"
read -r token </proc/sys/kernel/random/uuid
printf '\n# Edited by the clinic (rig 23, %s): the package must keep this file.\n' "$token" >>/etc/dosecab/dosecab.toml
sed -i 's|^time-zone = .*|time-zone = "Europe/Amsterdam"   # checked against the board, rig 23|' /etc/dosecab/dosecab.toml
edited=$(sha256sum </etc/dosecab/dosecab.toml)
grep -q "rig 23" /etc/dosecab/dosecab.toml && grep -q "$token" /etc/dosecab/dosecab.toml || fail "the edit did not take"
dc_restart   # the daemon runs on the edited file (an edit that stopped it would show here)
pid0=$(main_pid)

# 1. Upgrade.
log "upgrade $base_version -> $up_version"
cur=$(journal_mark)
(cd "$DC_PAYLOAD/upgrade" && apt install ./dosecab_*+systest1_*.deb) >/tmp/apt-upgrade.log 2>&1 \
    || fail "apt install of the upgrade failed: $(tail -n 5 /tmp/apt-upgrade.log)"
expect_eq "$(installed_version)" "$up_version" "installed version after the upgrade"
expect_eq "$(sha256sum </etc/dosecab/dosecab.toml)" "$edited" "the edited dosecab.toml after the upgrade"
leftovers=(/etc/dosecab/*.dpkg-*)
((${#leftovers[@]} == 0)) || fail "dpkg left ${leftovers[*]} beside the configuration"
dc_wait_active 60
pid1=$(main_pid)
[[ $pid1 != "$pid0" ]] || fail "the daemon was not restarted by the upgrade (main pid still $pid0)"
expect_eq "$(readlink "/proc/$pid1/exe")" /usr/sbin/dosecabd "the running daemon's program"
journal_wait 30 --cursor "$cur" SYSLOG_IDENTIFIER=dosecabd DOSECAB_EVENT=startup >/dev/null
verify=$(ctl audit verify --expect "$head0") || fail "audit verify --expect $head0 after the upgrade: $verify"
expect_eq "$(jq -r .intact <<<"$verify")" true "audit verify --expect after the upgrade"
expect_eq "$(people_of)" "$people0" "people after the upgrade"
expect_eq "$(stock_of)" "$stock0" "stock after the upgrade"
head1=$(head_of)

# 2. Remove.
cur=$(journal_mark)
apt remove dosecab >/tmp/apt-remove.log 2>&1 || fail "apt remove failed: $(tail -n 5 /tmp/apt-remove.log)"
expect_eq "$(systemctl is-active dosecabd.service || true)" inactive "dosecabd.service after apt remove"
expect_eq "$(systemctl is-active dosecabd.socket || true)" inactive "dosecabd.socket after apt remove"
safe=$(journal_wait 10 --cursor "$cur" MESSAGE_ID=$SAFE_STATE_ID)
expect_eq "$(jf "$safe" SYSLOG_IDENTIFIER)" dosecabd "SYSLOG_IDENTIFIER of the safe-state entry at removal"
expect_eq "$(jf "$safe" _SYSTEMD_UNIT)" dosecabd.service "unit of the safe-state entry at removal"
[[ $(jf "$safe" _PID) != "$pid1" ]] || fail "the safe-state entry at removal came from the daemon itself, not the unit's ExecStopPost"
expect_eq "$(lock_value)" 0 "lock line after apt remove"
[[ ! -e /usr/sbin/dosecabd && ! -e /usr/bin/dosecabctl ]] || fail "the programs are still there after apt remove"
expect_eq "$(dpkg-query -W -f='${db:Status-Abbrev}' dosecab)" "rc " "dpkg status after apt remove"
expect_eq "$(sha256sum </etc/dosecab/dosecab.toml)" "$edited" "the edited dosecab.toml after apt remove"
[[ -s /etc/dosecab/pinmap.toml ]] || fail "apt remove took pinmap.toml"
# (The daemon's clean stop checkpointed and removed the -wal file: the database is the store.)
[[ -s /var/lib/dosecab/dosecab.sqlite ]] || fail "apt remove took the store /var/lib/dosecab/dosecab.sqlite: $(ls -la /var/lib/dosecab)"

# 3. Purge.
apt purge dosecab >/tmp/apt-purge.log 2>&1 || fail "apt purge failed: $(tail -n 5 /tmp/apt-purge.log)"
log "apt purge said: $(grep -i 'dosecab:' /tmp/apt-purge.log | paste -sd'|')"
grep -qF 'dosecab: purge KEPT the audit store /var/lib/dosecab (the controlled-drug record).' /tmp/apt-purge.log \
    || fail "apt purge did not say it kept the audit store: $(cat /tmp/apt-purge.log)"
grep -qF 'rm -r /var/lib/dosecab' /tmp/apt-purge.log || fail "apt purge did not say how to delete the store by hand"
grep -qF "dosecab: purge KEPT the administrator's files in /etc/dosecab" /tmp/apt-purge.log \
    || fail "apt purge did not say it kept the prescriber key and drop-ins: $(cat /tmp/apt-purge.log)"
[[ ! -e /etc/dosecab/dosecab.toml && ! -e /etc/dosecab/pinmap.toml ]] || fail "apt purge left the conffiles: $(ls -l /etc/dosecab)"
[[ -s /etc/dosecab/prescribers/rig-prescriber.pub ]] || fail "apt purge took the administrator's prescriber key"
[[ -s $DC_DROPINS/10-rig.toml ]] || fail "apt purge took the administrator's drop-in"
[[ -d /var/lib/dosecab && -s /var/lib/dosecab/dosecab.sqlite ]] \
    || fail "apt purge took the audit store: $(ls -la /var/lib/dosecab 2>&1 || true)"
expect_eq "$(stat -c '%U:%G %a' /var/lib/dosecab)" "dosecabd:dosecabd 700" "/var/lib/dosecab after apt purge"
expect_eq "$(stat -c '%U:%G %a' /var/lib/dosecab/dosecab.sqlite)" "dosecabd:dosecabd 600" "the store's database after apt purge"
status=$(dpkg-query -W -f='${db:Status-Abbrev}' dosecab 2>/dev/null || echo gone)
[[ $status == gone || $status == ?n* ]] || fail "dpkg's status of dosecab after apt purge: '$status' (not-installed expected)"

# 4. Install again, as on a new board that finds the kept store.
(cd "$DC_PAYLOAD" && apt install ./dosecab_*.deb) >/tmp/apt-install.log 2>&1 \
    || fail "apt install after the purge failed: $(tail -n 5 /tmp/apt-install.log)"
expect_eq "$(installed_version)" "$base_version" "installed version after installing again"
for u in dosecabd.service dosecabd.socket; do
    expect_eq "$(systemctl is-enabled "$u" 2>&1 || true) $(systemctl is-active "$u" 2>&1 || true)" "disabled inactive" "$u after installing again"
done
! grep -q "rig 23" /etc/dosecab/dosecab.toml || fail "the purged dosecab.toml came back"
systemctl enable --now dosecabd.socket dosecabd.service
dc_wait_active 60
verify=$(ctl audit verify --expect "$head1") || fail "audit verify --expect $head1 on the kept store: $verify"
expect_eq "$(jq -r .intact <<<"$verify")" true "audit verify --expect on the kept store"
expect_eq "$(people_of)" "$people0" "people on the kept store"
expect_eq "$(stock_of)" "$stock0" "stock on the kept store"
expect_eq "$(setup_of)" "$setup0" "setup_needed on the kept store (as before the upgrade)"
