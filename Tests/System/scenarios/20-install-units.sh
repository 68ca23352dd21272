# rig: summary the repository's units, users, tmpfiles, udev rule and catalog are installed and in force
# rig: pending needs systemd/ (issue 4) and docs/install.md
# rig: timeout 60
# Will assert, after install-dosecab.sh ran on boot 1:
#  - `systemd-analyze verify dosecabd.service dosecabd.socket` prints nothing and exits 0;
#  - users/groups from sysusers.d exist: `getent passwd dosecab`, `getent group dosecab`,
#    `getent group dosecab-gpio` whose only member is the service user;
#  - every /dev/gpiochipN of the sim chip is root:dosecab-gpio 0660 (the udev rule), and
#    a process in group `dosecab` only (the read-only CLI group) cannot open it (EACCES);
#  - tmpfiles made /run/dosecab and /var/lib/dosecab with the modes of tmpfiles.d;
#  - dosecabd.socket is enabled and listening on /run/dosecab/control.sock, mode 0660,
#    group dosecab (`stat -c '%a %G'`);
#  - `systemd-analyze security --offline=yes --threshold=<the unit's documented score>
#    dosecabd.service` exits 0.
