#!/usr/bin/env bash
# Writes docs/man/dosecabctl.1 and dosecabd.1 from the programs' own --help, so the manual
# never drifts from the code. (swift-argument-parser's generate-manual plugin hangs on a help
# dump larger than a pipe buffer, which dosecabctl's is.) Usage: docs/man/generate.sh [BIN_DIR]
set -euo pipefail
bin="${1:-.build/debug}"
out="$(dirname "$0")"
date="$(date -u +%Y-%m-%d)"
esc() { sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }

page() { # name, section title, command...
    local name="$1"; shift
    {
        echo ".TH $(echo "$name" | tr a-z A-Z) 1 \"$date\" \"dosecab\" \"dosecab manual\""
        echo ".SH NAME"
        echo "$name \\- $("$@" --help | head -1 | sed 's/^OVERVIEW: //' | esc)"
        echo ".SH DESCRIPTION"
        echo ".nf"
        "$@" --help | esc
        echo ".fi"
    } 
}

{
    page dosecabd "$bin/dosecabd"
    cat <<'ROFF'
.SH FILES
/etc/dosecab/dosecab.toml, /etc/dosecab/dosecab.toml.d/*.toml, /etc/dosecab/pinmap.toml,
/etc/dosecab/prescribers/*.pub, /var/lib/dosecab/dosecab.sqlite, /run/dosecab/control.sock
.SH SEE ALSO
dosecabctl(1), systemd.service(5), journalctl(1); docs/configuration.md, docs/operations.md
ROFF
} > "$out/dosecabd.1"

{
    page dosecabctl "$bin/dosecabctl"
    for verb in status outstanding releases holds "hold clear" "observation end" reauthorise confirm "rx import" "rx list" "stock receive" "stock waste" "stock list" \
                "count start" "count enter" "count cancel" "count status" "discrepancy list" "discrepancy resolve" \
                "override open" "override close" "override review" "override list" \
                enroll lockdown "audit verify" "audit list" "report daily" log people "people link" "people unlink" \
                "sim card" "sim keys" "sim scan" "sim return" "sim door" "sim line" "sim advance"; do
        echo ".SH \"$(echo "dosecabctl $verb" | tr a-z A-Z)\""
        echo ".nf"
        # shellcheck disable=SC2086
        "$bin/dosecabctl" help $verb | esc
        echo ".fi"
    done
    cat <<'ROFF'
.SH SECURITY
A PIN given as a value (--pin 1234, --witness-pin, --new-pin) is in the command line, which every
local user can read with ps(1): for the demo and tests only. Give --pin - instead: dosecabctl asks
for the PIN on the terminal without echo, or reads PINs from stdin, one a line, in the order
--new-pin, --second-new-pin, --pin, --witness-pin. Wrong PINs count towards the badge's lockout at the counter
(3 wrong, then 15 min), and each is an audit record.
.PP
Staff are enrolled, re-enrolled (--replace) and linked to a patient number (people link) only
with the badges and PINs of two other staff members; a new cabinet's first admin and a second
person come from enroll staff --bootstrap, accepted once. Card numbers are shown to the admin
group only; everything else names a card by its fingerprint.
.SH ENVIRONMENT
DOSECAB_SOCKET chooses the daemon's control socket; NO_COLOR turns colour off.
.SH EXIT STATUS
0 ok, 1 refused or failed, 64 usage, 69 daemon unreachable, 77 permission denied.
.SH SEE ALSO
dosecabd(1); docs/control-protocol.md, docs/operations.md
ROFF
} > "$out/dosecabctl.1"

"$bin/dosecabctl" --generate-completion-script bash > "$out/dosecabctl.bash"
"$bin/dosecabctl" --generate-completion-script zsh > "$out/_dosecabctl"
"$bin/dosecabctl" --generate-completion-script fish > "$out/dosecabctl.fish"
echo "wrote $out/dosecabd.1 $out/dosecabctl.1 and completions"
