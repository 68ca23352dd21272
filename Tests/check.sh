#!/usr/bin/env bash
# `make check`: every tier, the README's test command and CI's (.ci/run).
#  1. make test         unit, component and process tests (debug build, then one serial run)
#  2. make release      the static-stdlib release binaries the system tests install
#  3. make system-test  the qemu guest (docs/system-tests.md), and beside it
#     make fuzz-smoke   every fuzz target with ASan for a few seconds (docs/reliability.md).
# Everything is CPU-bound on a 2-core machine, so the order and the priorities decide what
# waits. The guest is the longest tier and runs on one thread (icount needs one vCPU), so the
# whole run can end no earlier than the release build plus the guest: that chain runs at normal
# priority, and the rest fills the other core around it at a lower one (nice 5 for the debug
# build and the test run, nice 10 for the fuzz smoke, which has no timing to keep). Given the
# same priority, the guest used to start after both builds, at half speed, and then ran alone
# for the last seven minutes with one core idle. The guest's clock counts instructions, so load
# beside it slows the run but cannot change what the guest sees; the tests themselves are
# written to pass under load.
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

# A background tier and everything it started (swift build's compilers, qemu): Ctrl-C or a
# failure stops them all, not only the shell that waits for them.
stop_tree() {
    # The parent first, so it starts nothing new; then what it had started.
    local pid=$1 child children
    children=$(pgrep -P "$pid" 2>/dev/null)
    kill "$pid" 2>/dev/null
    for child in $children; do stop_tree "$child"; done
}
bg_pids=()
trap 'for p in "${bg_pids[@]}"; do stop_tree "$p"; done' EXIT
trap 'exit 130' INT TERM

export RELEASE_SCRATCH=.build-release

# What the builds need, installed once before two of them run side by side (two apt-gets
# would race for dpkg's lock).
bash .ci/setup test || { echo "[check] setup failed"; exit 1; }

# The release build, at normal priority: the guest waits for it.
release_t0=$SECONDS
( make --no-print-directory release >"$logs/release.log" 2>&1; echo $? >"$logs/release.rc"; echo $SECONDS >"$logs/release.end" ) &
bg_pids+=($!); release_pid=$!
say "release build started (log: $logs/release.log)"

# The debug build and then the serial test run, beside it at a lower priority.
test_t0=$SECONDS
( nice -n 5 make --no-print-directory test-build >"$logs/test-build.log" 2>&1
  rc=$?; echo $rc >"$logs/test-build.rc"
  if ((rc == 0)); then
      nice -n 5 swift test --skip-build --no-parallel >"$logs/test.log" 2>&1; echo $? >"$logs/test.rc"
  fi
  echo $SECONDS >"$logs/test.end" ) &
bg_pids+=($!); test_pid=$!
say "debug build and tests started beside it (logs: $logs/test-build.log, $logs/test.log)"

wait "$release_pid"
release_rc=$(cat "$logs/release.rc" 2>/dev/null || echo 1)
if ((release_rc != 0)); then cat "$logs/release.log"; else grep -E 'Build complete|warning: ' "$logs/release.log" | tail -n 3; fi
tier "make release" "$( ((release_rc == 0)) && echo "built" || echo "FAILED")" \
    $(( $(cat "$logs/release.end" 2>/dev/null || echo $SECONDS) - release_t0 ))
if ((release_rc != 0)); then
    failed+=("make release")
    tier "system-test" "not run (the release build failed)" 0
    tier "fuzz-smoke" "not run (the release build failed)" 0
else
    fuzz_log="$logs/fuzz-smoke.log"
    fuzz_t0=$SECONDS
    ( nice -n 10 make --no-print-directory fuzz-smoke >"$fuzz_log" 2>&1; echo $? >"$logs/fuzz.rc"; echo $SECONDS >"$logs/fuzz.end" ) &
    bg_pids+=($!); fuzz_pid=$!
    say "release build done; the system tests start, the fuzz smoke beside them (log: $fuzz_log)"

    t0=$SECONDS
    # In the background and waited for, so that TERM or Ctrl-C reaches the trap at once and
    # stops the guest too (a foreground pipeline would be waited out first).
    ( make --no-print-directory system-test 2>&1 | tee "$logs/system.log"; echo "${PIPESTATUS[0]}" >"$logs/system.rc" ) &
    bg_pids+=($!)
    wait $!
    system_rc=$(cat "$logs/system.rc" 2>/dev/null || echo 1)
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

say "waiting for the test run"
wait "$test_pid"
trap - EXIT
build_rc=$(cat "$logs/test-build.rc" 2>/dev/null || echo 1)
if ((build_rc != 0)); then
    # The compiler's errors and warnings, or the store-writes check, in full.
    cat "$logs/test-build.log"
    test_counts="build FAILED"
    test_rc=1
else
    tail -n 2 "$logs/test-build.log"
    test_rc=$(cat "$logs/test.rc" 2>/dev/null || echo 1)
    # The test log in full when it failed; its failures and closing lines otherwise.
    if ((test_rc != 0)); then cat "$logs/test.log"; else grep -E '✘|Test run with' "$logs/test.log" | tail -n 5; fi
    test_counts=$(swift_counts "$logs/test.log")
    ((test_rc == 0)) || test_counts="FAILED (exit $test_rc): $test_counts"
fi
# First in the summary, as it is first in the run.
tier "make test" "$test_counts" $(( $(cat "$logs/test.end" 2>/dev/null || echo $SECONDS) - test_t0 ))
summary=("${summary[-1]}" "${summary[@]:0:${#summary[@]}-1}")
((test_rc == 0)) || failed=("make test" "${failed[@]}")

echo
echo "== make check summary (logs: $logs) =="
printf '%s\n' "${summary[@]}"
printf '%-16s %-44s %5d s\n' "total" "$( ((${#failed[@]})) && echo "FAILED: ${failed[*]}" || echo "every tier passed")" $((SECONDS - start))
((${#failed[@]} == 0))
