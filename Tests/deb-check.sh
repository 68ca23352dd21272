#!/usr/bin/env bash
# Issue 21.2: checks a built dosecab .deb without installing it; builds nothing. The files a
# clinic's administrator expects where Debian puts them, exactly the two conffiles, the
# Depends dh_shlibdeps must have found, every Documentation= and catalog link resolving inside
# the package, the units not started on installation, the audit store never removed, stripped
# binaries that still run, and lintian: 0 errors (warnings are printed; docs/packaging.md lists
# each with its reason). Fails listing every failed check. `make deb-check`; not in `make check`.
# Usage: Tests/deb-check.sh [PATH/TO/dosecab_VERSION_ARCH.deb]   (default: the newest here)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
deb="${1:-$(ls -t dosecab_*.deb 2>/dev/null | head -1)}"
[[ -n "$deb" && -f "$deb" ]] || { echo "deb-check: no dosecab_*.deb (run make deb, or give its path)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"
fails=()
fail() { fails+=("$1"); }
pass=0
ok() { pass=$((pass + 1)); }

# Files. /lib/systemd/system and /lib/udev are where debhelper 13.11 (bookworm) puts them;
# either /lib or /usr/lib passes, so a later debhelper moving them does not fail the check.
expect_file() { # path relative to the root, one or more alternatives
    local p
    for p in "$@"; do [[ -f "$work/root/$p" ]] && { ok; return; }; done
    fail "missing file: $1"
}
expect_file usr/sbin/dosecabd
expect_file usr/bin/dosecabctl
expect_file lib/systemd/system/dosecabd.service usr/lib/systemd/system/dosecabd.service
expect_file lib/systemd/system/dosecabd.socket usr/lib/systemd/system/dosecabd.socket
expect_file usr/lib/sysusers.d/dosecab.conf
expect_file usr/lib/tmpfiles.d/dosecab.conf
expect_file lib/udev/rules.d/60-dosecab-gpio.rules usr/lib/udev/rules.d/60-dosecab-gpio.rules
expect_file usr/lib/systemd/catalog/dosecab.catalog
expect_file usr/share/man/man8/dosecabd.8.gz
expect_file usr/share/man/man1/dosecabctl.1.gz
expect_file usr/share/bash-completion/completions/dosecabctl
expect_file usr/share/zsh/vendor-completions/_dosecabctl
expect_file usr/share/fish/vendor_completions.d/dosecabctl.fish
expect_file usr/share/doc/dosecab/copyright
expect_file usr/share/doc/dosecab/README.Debian
expect_file usr/share/doc/dosecab/install.md
expect_file etc/dosecab/dosecab.toml
expect_file etc/dosecab/pinmap.toml
[[ -d "$work/root/etc/dosecab/prescribers" ]] && ok || fail "missing directory: /etc/dosecab/prescribers"
[[ ! -e "$work/root/usr/bin/dosecabd" ]] && ok || fail "dosecabd is in /usr/bin as well as /usr/sbin"
[[ ! -e "$work/root/var/lib/dosecab" ]] && ok || fail "the package ships /var/lib/dosecab: dpkg would own (and purge) the store's folder"
if head -1 "$work/root/usr/share/bash-completion/completions/dosecabctl" | grep -q '^#!'; then
    fail "the bash completion starts with #! (it is sourced)"; else ok; fi

# Conffiles: exactly the configuration and the pin map.
want=$'/etc/dosecab/dosecab.toml\n/etc/dosecab/pinmap.toml'
got="$(sort "$work/control/conffiles" 2>/dev/null || true)"
[[ "$got" == "$want" ]] && ok || fail "conffiles are [$(echo $got)], expected [$(echo $want)]"

# Depends: the libraries the daemon links, from dh_shlibdeps, and what the scripts call.
depends="$(dpkg-deb -f "$deb" Depends)"
names="$(tr ',|' '\n\n' <<<"$depends" | awk '{print $1}')"
for d in libgpiod2 libsqlite3-0 libsystemd0 libc6 'libstdc++6' tzdata systemd-sysusers; do
    grep -qxF "$d" <<<"$names" && ok || fail "Depends lacks $d: $depends"
done

# Links: every file:///usr/share/doc/… and man:NAME(N) in the units and the catalog is in the package.
units=("$work"/root/{,usr/}lib/systemd/system/dosecabd.{service,socket})
linked=()
for f in "${units[@]}" "$work/root/usr/lib/systemd/catalog/dosecab.catalog"; do
    [[ -f "$f" ]] && linked+=("$f")
done
while read -r url; do
    [[ -f "$work/root${url#file://}" ]] && ok || fail "links to ${url} which the package does not have (compressed?)"
done < <(grep -ho 'file:///[^ ]*' "${linked[@]}" | sort -u)
while read -r page; do
    name="${page#man:}"; name="${name%(*}"; sec="${page##*(}"; sec="${sec%)}"
    [[ -f "$work/root/usr/share/man/man$sec/$name.$sec.gz" ]] && ok || fail "links to $page which the package does not have"
done < <(grep -ho 'man:[a-z.-]*([0-9])' "${linked[@]}" | sort -u)
# Every program the units run is in the package.
while read -r prog; do
    [[ -x "$work/root$prog" ]] && ok || fail "a unit runs $prog which the package does not have"
done < <(grep -hoE '^Exec[A-Za-z]*=[-@:+!]*/[^ ]+' "${linked[@]}" | sed -E 's/^[^=]*=[-@:+!]*//' | sort -u)

# Maintainer scripts: nothing enabled or started on installation; upgrades only try-restart;
# removal stops the daemon; nothing removes the audit store.
grep -qE 'deb-systemd-invoke (start|restart) ' "$work/control/postinst" \
    && fail "postinst starts or restarts a unit (only try-restart on upgrade is intended)" || ok
grep -q 'deb-systemd-invoke try-restart' "$work/control/postinst" && ok || fail "postinst does not try-restart the units on upgrade"
if grep -qE '^[^#]*deb-systemd-helper enable' "$work/control/postinst" \
    && ! grep -q 'deb-systemd-helper --quiet was-enabled' "$work/control/postinst"; then
    fail "postinst enables a unit on a fresh installation"; else ok; fi
if [[ -f "$work/control/preinst" ]] && grep -q 'deb-systemd-invoke stop' "$work/control/preinst"; then
    fail "preinst stops the daemon on upgrade (and nothing starts it again)"; else ok; fi
grep -qE 'remove.*' "$work/control/prerm" 2>/dev/null && grep -q 'deb-systemd-invoke stop' "$work/control/prerm" \
    && ok || fail "prerm does not stop the daemon on removal"
if cat "$work"/control/{preinst,postinst,prerm,postrm} 2>/dev/null | grep -vE '^\s*#' | grep -qE 'rm [^|;]*/var/lib/dosecab'; then
    fail "a maintainer script removes /var/lib/dosecab (the audit store)"; else ok; fi
grep -q 'KEPT the audit store' "$work/control/postrm" && ok || fail "postrm does not say that purge keeps the audit store"

# Binaries: stripped (symbols in the -dbgsym package), and they still run.
for b in usr/sbin/dosecabd usr/bin/dosecabctl; do
    if readelf -S "$work/root/$b" | grep -q '\.debug_info'; then fail "$b is not stripped"; else ok; fi
    v="$("$work/root/$b" --version 2>&1)" && [[ "$v" == "$(dpkg-deb -f "$deb" Version | sed 's/[-+~].*//')" ]] \
        && ok || fail "$b --version gave: $v"
done
# Man pages: generated with a SYNOPSIS.
for m in usr/share/man/man8/dosecabd.8.gz usr/share/man/man1/dosecabctl.1.gz; do
    zcat "$work/root/$m" 2>/dev/null | grep -q '^\.Sh SYNOPSIS' && ok || fail "$m has no SYNOPSIS"
done

# lintian: 0 errors. Everything it says is printed for the record.
lint="$(lintian --display-info --pedantic "$deb" 2>&1 | grep -v 'running with root privileges' || true)"
[[ -n "$lint" ]] && echo "$lint"
errors="$(grep -c '^E:' <<<"$lint" || true)"
[[ "$errors" == 0 ]] && ok || fail "lintian: $errors error(s)"
echo "lintian: $errors errors, $(grep -c '^W:' <<<"$lint" || true) warnings, $(grep -c '^I:' <<<"$lint" || true) info, $(grep -c '^P:' <<<"$lint" || true) pedantic"

if ((${#fails[@]})); then
    printf 'FAIL: %s\n' "${fails[@]}"
    echo "deb-check: $deb: ${#fails[@]} failed, $pass passed"
    exit 1
fi
echo "deb-check: $deb: $pass passed"
