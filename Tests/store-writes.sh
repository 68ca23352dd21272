#!/usr/bin/env bash
# Issue 17.5: tests and benchmarks drive the cabinet through its interfaces (the counter's
# events, the control socket's methods, `sim` verbs); they never write into the store what the
# daemon itself should have written (audit, release, issue, return, clearance, hold, stock,
# enrolment, prescription rows, the journal mirror cursor). Fails listing every call of a
# writing `Store` method in a test or benchmark file that can reach the store, except the
# store's own tests (Tests/DoseCabStoreTests: they test those methods) and lines marked
# `store-write-ok:` with the reason. `make test` runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
writes='\.(commit|commitAll|enroll|installPrescriberKey|revokePrescriberKey|importBundle|savePINFailures|startCount|enterCount|cancelCount|resolveDiscrepancy|markMirrored|recover)\('
# Only files that import the store can call it; the daemon's own calls (`driver.…`) are its interface.
files=$(grep -rlE '^(@testable )?import DoseCabStore' Tests --include='*.swift' --exclude-dir=.build | grep -v '^Tests/DoseCabStoreTests/' || true)
[[ -z "$files" ]] && exit 0
hits=$(grep -nE "$writes" $files | grep -vE 'driver\.|store-write-ok:' || true)
if [[ -n "$hits" ]]; then
    echo "$hits"
    echo "error: a test or benchmark writes into the store behind the daemon's back (Tests/store-writes.sh; issue 17.5)"
    exit 1
fi
