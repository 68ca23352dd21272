#!/usr/bin/env bash
# Fuzzes the bare toml++ of TOMLKit 0.6.0 (no Swift, no guard) to find the assertion sites
# malformed text reaches, then checks that TOMLGuard refuses every crashing input found.
# Usage: Tests/Fuzz/tomlpp/run.sh [seconds]   (default 300; nice it, it uses one core)
# Needs Tests/Fuzz/.build/checkouts/TOMLKit (any fuzz build) or the root .build's checkout.
set -uo pipefail
seconds="${1:-300}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
hpp=""
for d in "$root/Tests/Fuzz/.build" "$root/.build"; do
    [[ -f "$d/checkouts/TOMLKit/Sources/CTOML/Sources/toml.hpp" ]] && { hpp="$d/checkouts/TOMLKit/Sources/CTOML/Sources"; break; }
done
[[ -n "$hpp" ]] || { echo "tomlpp: no TOMLKit checkout; run swift build first" >&2; exit 2; }
work="$root/Tests/Fuzz/.build/tomlpp"
mkdir -p "$work/corpus" "$work/artifacts"
clang++ -std=c++17 -O1 -g -w -I "$hpp" -fsanitize=fuzzer,address -o "$work/fuzz-tomlpp" "$here/fuzz-tomlpp.cpp" || exit 1
clang++ -std=c++17 -O1 -w -I "$hpp" -DTOMLPP_REPLAY -o "$work/replay" "$here/fuzz-tomlpp.cpp" || exit 1
swiftc -O -o "$work/guard" "$root/Sources/DoseCabHardware/TOMLGuard.swift" "$here/main.swift" || exit 1
ASAN_OPTIONS=detect_leaks=0 "$work/fuzz-tomlpp" "$work/corpus" "$root/Tests/Fuzz/corpus/pinmap" "$root/Tests/Fuzz/corpus/config" \
    -fork=1 -ignore_crashes=1 -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" \
    -dict="$root/Tests/Fuzz/dict/config.dict" >"$work/fuzz.log" 2>&1
grep -oE '^#[0-9]+: cov: [0-9]+ ft: [0-9]+' "$work/fuzz.log" | tail -1
shopt -s nullglob
crashes=("$work"/artifacts/crash-*)
echo "crashing inputs: ${#crashes[@]}; assertion sites (toml.hpp line: count):"
for f in "${crashes[@]}"; do ( "$work/replay" "$f" 2>&1 ) 2>/dev/null | grep -oE 'toml.hpp:[0-9]+: [^(]*' | head -1; done 2>/dev/null | sort | uniq -c
((${#crashes[@]})) || exit 0
"$work/guard" "${crashes[@]}" | head -20
[[ -z "$("$work/guard" "${crashes[@]}" 2>/dev/null)" ]]
