#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer + AddressSanitizer and runs each for a while.
# Usage: Tests/Fuzz/run.sh [seconds-per-target]   (default 30)
#   TARGETS="fuzz-wiegand fuzz-control"  run only these
#   FUZZ_MUTE=id,id                       skip known, reported property failures (none open
#                                         today; docs/reliability.md); for campaigns only
#   FUZZ_ARGS="-runs=2000000"             more libFuzzer flags
#   FUZZ_CONFIG=debug                     build unoptimised (make fuzz-smoke: the smoke replays the
#                                         seeds and explores for seconds, where a build half as
#                                         costly matters more than executions per second)
# Exits non-zero if any target crashes, leaks memory out of bounds, times out, or breaks a
# property. Crashing inputs land in Tests/Fuzz/.build/artifacts/; the corpus each run grows
# stays in Tests/Fuzz/.build/corpus/ (the seeds in Tests/Fuzz/corpus/ are only read).
set -uo pipefail
seconds="${1:-30}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
all=(fuzz-wiegand fuzz-control fuzz-prescription fuzz-pinmap fuzz-config fuzz-journal)
read -r -a targets <<< "${TARGETS:-${all[*]}}"
scratch="$here/.build"
config="${FUZZ_CONFIG:-release}"

echo "== building fuzz targets ($config, -sanitize=fuzzer,address) =="
# libFuzzer's coverage instrumentation for the Swift code (ours and the dependencies'), and
# for C/C++ too (toml++ inside TOMLKit, BoringSSL inside swift-crypto, SQLite's shim), so the
# fuzzer sees branches in the TOML parser it drives.
build_log="$scratch/build.log"
mkdir -p "$scratch"
if ! swift build -c "$config" --package-path "$here" --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address \
    >"$build_log" 2>&1; then
    grep -E "error:" "$build_log" | head -40
    echo "fuzz build failed; full log: $build_log"
    exit 1
fi
bin="$(swift build -c "$config" --package-path "$here" --scratch-path "$scratch" --show-bin-path 2>/dev/null)"

# A leak check would flag the Swift runtime's metadata caches; ASan still checks every access.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
# Swift's own crash backtracer reads foreign memory and trips ASan after the real report.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
status=0
summary=()
for t in "${targets[@]}"; do
    seeds="$here/corpus/${t#fuzz-}"
    work="$scratch/corpus/${t#fuzz-}"
    artifacts="$scratch/artifacts"
    mkdir -p "$work" "$artifacts"
    dict=()
    [[ -f "$here/dict/${t#fuzz-}.dict" ]] && dict=(-dict="$here/dict/${t#fuzz-}.dict")
    log="$scratch/$t.log"
    echo "== $t: ${seconds}s =="
    "$bin/$t" "$work" "$seeds" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -artifact_prefix="$artifacts/$t-" \
        "${dict[@]}" ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    # -fork mode (campaigns with -ignore_crashes=1) prints "#N: cov: …" lines instead.
    [[ -z "$runs" ]] && runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    crashes=$(grep -oE 'oom/timeout/crash: [0-9/]+' "$log" | tail -1)
    rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    cov=$(grep -oE '(cov|ft): [0-9]+' "$log" | tail -2 | tr '\n' ' ')
    units=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
    if [[ $rc -ne 0 ]]; then
        status=1
        echo "!! $t FAILED (exit $rc); log: $log"
        grep -E "PROPERTY VIOLATED|ERROR: AddressSanitizer|Fatal error|SUMMARY|Test unit written|deadly signal|Base64:" "$log" | head -12
    fi
    line=$(printf '%-18s %s  runs=%s  exec/s=%s  %s %s' "$t" "$([[ $rc -eq 0 ]] && echo ok || echo FAIL)" \
        "${runs:-?}" "${rate:-?}" "$cov" "$units${crashes:+  $crashes}")
    echo "$line"
    summary+=("$line")
done
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')) =="
printf '%s\n' "${summary[@]}"
exit $status
