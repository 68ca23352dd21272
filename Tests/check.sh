#!/usr/bin/env bash
# `make check`: every tier, the README's test command and CI's (.ci/run).
#  1. make test         unit, component and process tests (debug build)
#  2. make release      the static-stdlib release binaries the system tests install
#  3. make system-test  the qemu guest (docs/system-tests.md), and beside it
#     make fuzz-smoke   every fuzz target with ASan for a few seconds (docs/reliability.md).
# The guest's emulation runs on one core and its clock counts instructions, so the fuzz
# build on the other core slows the run but cannot change what the guest sees. Fails, naming
# the tier, if any tier fails; the fuzz output is printed in full when it fails.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
say() { printf '[check] %s (%d s)\n' "$*" $((SECONDS - start)); }

make test || { say "FAILED: make test"; exit 1; }
say "make test passed"
make release || { say "FAILED: make release"; exit 1; }
say "release binaries built"

fuzz_log=$(mktemp /tmp/dosecab-fuzz-smoke.XXXXXX.log)
make --no-print-directory fuzz-smoke >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$fuzz_pid" 2>/dev/null' EXIT
say "fuzz smoke started beside the system tests (log: $fuzz_log)"

make --no-print-directory system-test
system_rc=$?
say "system tests finished (exit $system_rc); waiting for the fuzz smoke"
wait "$fuzz_pid"
fuzz_rc=$?
trap - EXIT
if ((fuzz_rc != 0)); then
    cat "$fuzz_log"
else
    tail -n 15 "$fuzz_log"
fi
say "fuzz smoke finished (exit $fuzz_rc)"

failed=()
((system_rc == 0)) || failed+=("make system-test")
((fuzz_rc == 0)) || failed+=("make fuzz-smoke")
if ((${#failed[@]})); then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "every tier passed"
