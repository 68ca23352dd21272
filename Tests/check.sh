#!/usr/bin/env bash
# `make check`: every tier, the README's test command and CI's (.ci/run).
#  1. make test         unit, component and process tests (debug build)
#  2. make release      the static-stdlib release binaries the system tests install
#  3. make system-test  the qemu guest (docs/system-tests.md), and beside it
#     make fuzz-smoke   every fuzz target with ASan for a few seconds (docs/reliability.md).
# The guest's emulation runs on one core and its clock counts instructions, so the fuzz
# build on the other core slows the run but cannot change what the guest sees.
# Ends with one summary: each tier, its counts in the `N passed, N failed` form any CI reads,
# and its time; fails naming the tier if any tier fails.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
say() { printf '[check] %s (%d s)\n' "$*" $((SECONDS - start)); }
logs=$(mktemp -d /tmp/dosecab-check.XXXXXX)
summary=()
failed=()

# One summary line: tier, counts, time.
tier() { summary+=("$(printf '%-16s %-44s %5d s' "$1" "$2" "$3")"); }

# Counts of a `swift test` log: Swift Testing's closing line gives the number of tests; a
# failed test prints "✘ Test name() failed after …", a skipped one "➜ Test name() skipped".
swift_counts() {
    local log=$1 total fails skips
    total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -oE '[0-9]+')
    if [[ -z $total ]]; then
        echo "did not finish (no closing line)"
        return
    fi
    fails=$(grep -cE '^[^ ]+ Test .*\) failed after' "$log")
    skips=$(grep -cE '^[^ ]+ Test .*\) skipped' "$log")
    echo "$((total - fails - skips)) passed, $fails failed, $skips skipped"
}

t0=$SECONDS
make test 2>&1 | tee "$logs/test.log"
test_rc=${PIPESTATUS[0]}
tier "make test" "$(swift_counts "$logs/test.log")" $((SECONDS - t0))
if ((test_rc != 0)); then
    failed+=("make test")
else
    t0=$SECONDS
    make release 2>&1 | tee "$logs/release.log"
    release_rc=${PIPESTATUS[0]}
    tier "make release" "$( ((release_rc == 0)) && echo "built" || echo "FAILED")" $((SECONDS - t0))
    ((release_rc == 0)) || failed+=("make release")
fi

if ((${#failed[@]} == 0)); then
    fuzz_log="$logs/fuzz-smoke.log"
    fuzz_t0=$SECONDS
    ( make --no-print-directory fuzz-smoke >"$fuzz_log" 2>&1; echo $? >"$logs/fuzz.rc"; echo $SECONDS >"$logs/fuzz.end" ) &
    fuzz_pid=$!
    trap 'kill "$fuzz_pid" 2>/dev/null' EXIT
    say "fuzz smoke started beside the system tests (log: $fuzz_log)"

    t0=$SECONDS
    make --no-print-directory system-test 2>&1 | tee "$logs/system.log"
    system_rc=${PIPESTATUS[0]}
    counts=$(grep -oE '^system-test: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$logs/system.log" | tail -1 | sed 's/^system-test: //')
    tier "system-test" "${counts:-did not finish}" $((SECONDS - t0))
    say "system tests finished (exit $system_rc); waiting for the fuzz smoke"
    wait "$fuzz_pid"
    trap - EXIT
    fuzz_rc=$(cat "$logs/fuzz.rc" 2>/dev/null || echo 1)
    if ((fuzz_rc != 0)); then cat "$fuzz_log"; else tail -n 15 "$fuzz_log"; fi
    # One line per target in the fuzz run's closing summary.
    ok=$(sed -n '/^== summary/,$p' "$fuzz_log" | grep -cE '^fuzz-[^ ]+ +ok ')
    bad=$(sed -n '/^== summary/,$p' "$fuzz_log" | grep -cE '^fuzz-[^ ]+ +FAIL ')
    tier "fuzz-smoke" "$ok passed, $bad failed, 0 skipped (targets)" \
        $(($(cat "$logs/fuzz.end" 2>/dev/null || echo $SECONDS) - fuzz_t0))
    ((system_rc == 0)) || failed+=("make system-test")
    ((fuzz_rc == 0)) || failed+=("make fuzz-smoke")
fi

echo
echo "== make check summary (logs: $logs) =="
printf '%s\n' "${summary[@]}"
printf '%-16s %-44s %5d s\n' "total" "$( ((${#failed[@]})) && echo "FAILED: ${failed[*]}" || echo "every tier passed")" $((SECONDS - start))
((${#failed[@]} == 0))
