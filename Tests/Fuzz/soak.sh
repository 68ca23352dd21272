#!/usr/bin/env bash
# Socket-abuse soak (issue 10, point 4): starts `dosecabd --simulate` in a temporary state
# folder (its control socket is a Unix socket there: nothing leaves the machine), runs the
# hostile clients of soak.py against it while probing `dosecabctl status`, prints the
# figures, stops the daemon. Takes about a minute; exits non-zero when a check fails.
# Usage: Tests/Fuzz/soak.sh   (needs .build/debug/dosecabd and dosecabctl: `swift build`)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${DOSECAB_BIN_DIR:-$root/.build/debug}"
for b in dosecabd dosecabctl; do
    [[ -x "$bin/$b" ]] || { echo "soak: $bin/$b not found; run swift build first" >&2; exit 2; }
done
state="$(mktemp -d /tmp/dosecab-soak-XXXXXX)"
chmod 0710 "$state"   # the prober runs as another uid in this group (soak.py: as_other_uid)
log="$state/dosecabd.log"
"$bin/dosecabd" --simulate --state-dir "$state" >"$log" 2>&1 &
daemon=$!
cleanup() {
    kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$state"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
    [[ -S "$state/control.sock" ]] && "$bin/dosecabctl" status --socket "$state/control.sock" >/dev/null 2>&1 && break
    kill -0 "$daemon" 2>/dev/null || { echo "soak: dosecabd exited early:"; tail -20 "$log"; exit 2; }
    sleep 0.1
done
[[ -S "$state/control.sock" ]] || { echo "soak: no control socket after 30 s"; tail -20 "$log"; exit 2; }
echo "== soak against dosecabd pid $daemon ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD)) =="
timeout 600 python3 "$here/soak.py" "$state/control.sock" "$bin/dosecabctl" "$daemon"
rc=$?
kill -0 "$daemon" 2>/dev/null || { echo "soak: dosecabd died during the soak"; tail -20 "$log"; rc=1; }
echo "daemon log: $(wc -l <"$log") lines; refusals logged: $(grep -ciE 'refused|too many|timed out|too large|rate' "$log")"
exit $rc
