# rig: summary journalctl -x explains each dosecabd MESSAGE_ID from the installed dosecab.catalog
# rig: timeout 90
# Asserts: `journalctl --list-catalog` lists every MESSAGE_ID of the installed
# /usr/lib/systemd/catalog/dosecab.catalog; for each of them that has an entry in the
# journal (the scenarios before produced most; dc_setup at least startup, recovery, admin),
# `journalctl -x MESSAGE_ID=... -n 1` shows the catalog's Subject with its @FIELD@s
# filled from that entry (no @ left) and the first line of its text. At least the startup,
# recovery and admin ids must be checked, and release when 30 ran.
dc_setup
cat=/usr/lib/systemd/catalog/dosecab.catalog
[[ -r $cat ]] || fail "no $cat (the package puts it there)"
ids=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$cat")
listed=$(journalctl --list-catalog --no-pager)
checked=()
for id in $ids; do
    grep -q "^$id " <<<"$listed" || fail "journalctl --list-catalog does not list $id"
    [[ -n $(journalctl --no-pager -o json -n 1 "MESSAGE_ID=$id") ]] || { log "$id: no entry in the journal to explain"; continue; }
    subject=$(awk -v id="$id" '$0 == "-- " id { f = 1; next } f && /^Subject: / { sub(/^Subject: /, ""); print; exit }' "$cat")
    text=$(journalctl --no-pager -x -n 1 "MESSAGE_ID=$id")
    shown=$(grep -m1 -E '^[[:space:]]*(░░ )?Subject: ' <<<"$text" | sed -E 's/^[[:space:]]*(░░ )?Subject: //')
    [[ -n $shown ]] || fail "journalctl -x shows no Subject for $id: $text"
    [[ $shown != *@*@* ]] || fail "journalctl -x left a field unfilled for $id: $shown"
    # The subject's fixed words (before its first @FIELD@) must be there.
    prefix=${subject%%@*}
    [[ $shown == "$prefix"* ]] || fail "$id: journalctl -x shows '$shown', the catalog says '$subject'"
    log "$id: $shown"
    checked+=("$id")
done
for must in "${MSGID[startup]}" "${MSGID[recovery]}" "${MSGID[admin]}"; do
    [[ " ${checked[*]} " == *" $must "* ]] || fail "catalog text for $must was not checked"
done
if [[ -n $(journalctl --no-pager -o json -n 1 "MESSAGE_ID=${MSGID[release]}") ]]; then
    [[ " ${checked[*]} " == *" ${MSGID[release]} "* ]] || fail "release entry not explained"
fi
log "${#checked[@]} of $(wc -w <<<"$ids") catalog ids explained by journalctl -x"
