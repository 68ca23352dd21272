#!/usr/bin/env bash
# Runs all seven benchmarks of issue 8, prints the table, writes JSON.
#   bash Tests/Benchmarks/run.sh [RESULTS.json] [extra dosecab-bench options, e.g. --idle-seconds 10]
# Builds the root's dosecabd (release) and the benchmark package (release, its own build dir).
set -euo pipefail
export PATH=/opt/swift/usr/bin:$PATH
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$(mktemp -d)/bench-results.json}"
shift || true
cd "$root"
swift build -c release --product dosecabd
# The nested package's build plan does not notice source files added to the root since it was
# made ("cannot find X in scope"); dropping the plan makes SwiftPM re-plan (cheap, no rebuild).
rm -f "$here/.build/release.yaml"
swift build -c release --package-path "$here" --build-path "$here/.build"
"$here/.build/release/dosecab-bench" --json "$out" --daemon "$root/.build/release/dosecabd" "$@"
