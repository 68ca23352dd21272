#!/usr/bin/env bash
# `make check`: every tier, the README's test command and CI's (.ci/run).
#  1. make test         unit, component and process tests (debug build, then one serial run)
#  2. make release      the static-stdlib release binaries the system tests install
#  3. make system-test  the qemu guest (docs/system-tests.md), and beside it
#     make fuzz-smoke   every fuzz target with ASan for a few seconds (docs/reliability.md).
# Order on a 2-core machine: the release build (in .build-release) starts beside the debug
# build, so the guest, the longest tier, starts as soon as its binaries exist; then the guest
# (one core) runs beside the serial test run and the fuzz build and smoke. Everything is
# CPU-bound, so the order only decides what waits: the guest waiting for a core is what
# lengthens the whole. The guest's clock counts instructions, so load beside it slows the run
# but cannot change what the guest sees; the tests themselves are written to pass under load.
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

export RELEASE_SCRATCH=.build-release

# What the builds need, installed once before two of them run side by side (two apt-gets
# would race for dpkg's lock).
bash .ci/setup test || { echo "[check] setup failed"; exit 1; }

# The release build, beside the debug build and then the test run.
release_t0=$SECONDS
( make --no-print-directory release >"$logs/release.log" 2>&1; echo $? >"$logs/release.rc"; echo $SECONDS >"$logs/release.end" ) &
release_pid=$!
trap 'kill "$release_pid" ${test_pid:-} ${fuzz_pid:-} 2>/dev/null' EXIT
say "release build started beside the debug build (log: $logs/release.log)"

t0=$SECONDS t0_build=$SECONDS
make test-build 2>&1 | tee "$logs/test-build.log"
build_rc=${PIPESTATUS[0]}
if ((build_rc != 0)); then
    tier "make test" "build FAILED" $((SECONDS - t0))
    failed+=("make test")
    # Nothing after it runs: the release build is stopped rather than waited for.
    pkill -P "$release_pid" 2>/dev/null; kill "$release_pid" 2>/dev/null; wait "$release_pid" 2>/dev/null
    tier "make release" "not run (the debug build failed)" 0
    tier "system-test" "not run" 0
    tier "fuzz-smoke" "not run" 0
else
    # The serial test run, beside the release build and then the system tests.
    test_t0=$SECONDS
    ( swift test --skip-build --no-parallel >"$logs/test.log" 2>&1; echo $? >"$logs/test.rc"; echo $SECONDS >"$logs/test.end" ) &
    test_pid=$!
    say "tests started (log: $logs/test.log)"

    wait "$release_pid"
    release_rc=$(cat "$logs/release.rc" 2>/dev/null || echo 1)
    if ((release_rc != 0)); then cat "$logs/release.log"; else grep -E 'Build complete|warning: ' "$logs/release.log" | tail -n 3; fi
    tier "make release" "$( ((release_rc == 0)) && echo "built" || echo "FAILED")" \
        $(( $(cat "$logs/release.end" 2>/dev/null || echo $SECONDS) - release_t0 ))
    if ((release_rc != 0)); then
        failed+=("make release")
    else
        fuzz_log="$logs/fuzz-smoke.log"
        fuzz_t0=$SECONDS
        ( make --no-print-directory fuzz-smoke >"$fuzz_log" 2>&1; echo $? >"$logs/fuzz.rc"; echo $SECONDS >"$logs/fuzz.end" ) &
        fuzz_pid=$!
        say "fuzz smoke started beside the system tests (log: $fuzz_log)"

        t0=$SECONDS
        make --no-print-directory system-test 2>&1 | tee "$logs/system.log"
        system_rc=${PIPESTATUS[0]}
        counts=$(grep -oE '^system-test: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$logs/system.log" | tail -1 | sed 's/^system-test: //')
        ((system_rc == 0)) || counts="FAILED (exit $system_rc): ${counts:-did not finish}"
        tier "system-test" "${counts:-did not finish}" $((SECONDS - t0))
        say "system tests finished (exit $system_rc); waiting for the fuzz smoke"
        wait "$fuzz_pid"
        fuzz_rc=$(cat "$logs/fuzz.rc" 2>/dev/null || echo 1)
        if ((fuzz_rc != 0)); then cat "$fuzz_log"; else tail -n 15 "$fuzz_log"; fi
        # One line per target in the fuzz run's closing summary.
        ok=$(sed -n '/^== summary/,$p' "$fuzz_log" | grep -cE '^fuzz-[^ ]+ +ok ')
        bad=$(sed -n '/^== summary/,$p' "$fuzz_log" | grep -cE '^fuzz-[^ ]+ +FAIL ')
        fuzz_counts="$ok passed, $bad failed, 0 skipped (targets)"
        ((fuzz_rc == 0)) || fuzz_counts="FAILED (exit $fuzz_rc): $fuzz_counts"
        tier "fuzz-smoke" "$fuzz_counts" \
            $(($(cat "$logs/fuzz.end" 2>/dev/null || echo $SECONDS) - fuzz_t0))
        ((system_rc == 0)) || failed+=("make system-test")
        ((fuzz_rc == 0)) || failed+=("make fuzz-smoke")
    fi

    wait "$test_pid"
    trap - EXIT
    test_rc=$(cat "$logs/test.rc" 2>/dev/null || echo 1)
    # The test log in full when it failed; its failures and closing lines otherwise.
    if ((test_rc != 0)); then cat "$logs/test.log"; else grep -E '✘|Test run with' "$logs/test.log" | tail -n 5; fi
    # First in the summary, as it is first in the run.
    test_counts=$(swift_counts "$logs/test.log")
    ((test_rc == 0)) || test_counts="FAILED (exit $test_rc): $test_counts"
    tier "make test" "$test_counts" \
        $(( $(cat "$logs/test.end" 2>/dev/null || echo $SECONDS) - t0_build ))
    summary=("${summary[-1]}" "${summary[@]:0:${#summary[@]}-1}")
    ((test_rc == 0)) || failed=("make test" "${failed[@]}")
fi

echo
echo "== make check summary (logs: $logs) =="
printf '%s\n' "${summary[@]}"
printf '%-16s %-44s %5d s\n' "total" "$( ((${#failed[@]})) && echo "FAILED: ${failed[*]}" || echo "every tier passed")" $((SECONDS - start))
((${#failed[@]} == 0))
