# rig: summary journalctl -x explains each dosecabd MESSAGE_ID from systemd/dosecab.catalog
# rig: pending needs systemd/dosecab.catalog (issue 4) and dosecabd (issue 6)
# rig: timeout 60
# Will assert: for every MESSAGE_ID in systemd/dosecab.catalog, the entries the scenarios
# above produced show the catalog's Subject and text under `journalctl -x MESSAGE_ID=...`
# (the mechanism itself is proved by 14-smoke-journal-catalog.sh).
