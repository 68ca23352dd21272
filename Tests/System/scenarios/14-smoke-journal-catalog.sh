# rig: summary a catalog file installed as an installer would makes journalctl -x explain a MESSAGE_ID
# rig: timeout 60
# Proves the catalog mechanism that systemd/dosecab.catalog will use: a catalog entry for
# a MESSAGE_ID, copied to /usr/lib/systemd/catalog/ and compiled with
# `journalctl --update-catalog`, is shown by `journalctl -x` under an entry with that id,
# with its fields substituted.
msgid=5e1f0c3a9b7d4c2e8f6a1b3c5d7e9f01
token=$(tr -d '-' </proc/sys/kernel/random/uuid)
cat >/usr/lib/systemd/catalog/dosecab-rig.catalog <<CAT
-- $msgid
Subject: dosecab rig catalog check
Defined-By: dosecab system tests

The rig wrote this entry with token @DOSECAB_RIG_TOKEN@ to check journalctl -x.
CAT
journalctl --update-catalog
logger --journald <<ENTRY
MESSAGE_ID=$msgid
MESSAGE=dosecab rig: catalog check
SYSLOG_IDENTIFIER=dosecab-rig
DOSECAB_RIG_TOKEN=$token
ENTRY
journal_wait 10 "DOSECAB_RIG_TOKEN=$token" >/dev/null
text=$(journalctl --no-pager -x "DOSECAB_RIG_TOKEN=$token")
echo "$text"
grep -q "Subject: dosecab rig catalog check" <<<"$text" || fail "journalctl -x does not show the catalog subject"
grep -q "with token $token to check" <<<"$text" || fail "journalctl -x does not substitute @DOSECAB_RIG_TOKEN@"
rm -f /usr/lib/systemd/catalog/dosecab-rig.catalog
journalctl --update-catalog
