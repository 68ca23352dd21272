# rig: summary journald stores custom fields (logger --journald, systemd-cat) and journalctl -o json shows them
# rig: timeout 60
# Proves the journal side the daemon scenarios assert on: an entry with a MESSAGE_ID,
# SYSLOG_IDENTIFIER, PRIORITY and custom DOSECAB_* fields sent over journald's native
# protocol comes back field for field from `journalctl -o json` (filtered by a match on
# the custom field), with the boot id and a realtime timestamp; and `systemd-cat -t -p`
# gives an entry with the tag and priority. jq reads the JSON (as daemon scenarios will).
token=$(tr -d '-' </proc/sys/kernel/random/uuid)
msgid=3b6a2d7c0f4e4e0b9a6f1c2d3e4f5a6b
logger --journald <<ENTRY
MESSAGE_ID=$msgid
MESSAGE=dosecab rig: journal field check
SYSLOG_IDENTIFIER=dosecab-rig
PRIORITY=5
DOSECAB_EVENT=rig-check
DOSECAB_RIG_TOKEN=$token
DOSECAB_DOSE_MG=120
ENTRY
entry=$(journal_wait 10 "DOSECAB_RIG_TOKEN=$token")
echo "$entry"
expect_eq "$(wc -l <<<"$entry")" 1 "entries with the token"
field() { jq -r --arg f "$1" '.[$f]' <<<"$entry"; }
expect_eq "$(field MESSAGE_ID)" "$msgid" MESSAGE_ID
expect_eq "$(field SYSLOG_IDENTIFIER)" dosecab-rig SYSLOG_IDENTIFIER
expect_eq "$(field PRIORITY)" 5 PRIORITY
expect_eq "$(field DOSECAB_EVENT)" rig-check DOSECAB_EVENT
expect_eq "$(field DOSECAB_DOSE_MG)" 120 DOSECAB_DOSE_MG
expect_eq "$(field _BOOT_ID)" "$(tr -d '-' </proc/sys/kernel/random/boot_id)" _BOOT_ID
expect_match "$(field __REALTIME_TIMESTAMP)" '^[0-9]{16}$' __REALTIME_TIMESTAMP

echo "systemd-cat check $token" | systemd-cat -t dosecab-rig-cat -p warning
entry=$(journal_wait 10 SYSLOG_IDENTIFIER=dosecab-rig-cat)
expect_eq "$(jq -r .MESSAGE <<<"$entry" | tail -n1)" "systemd-cat check $token" "systemd-cat MESSAGE"
expect_eq "$(jq -r .PRIORITY <<<"$entry" | tail -n1)" 4 "systemd-cat PRIORITY"
