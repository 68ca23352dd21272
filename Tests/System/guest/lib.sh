# Helpers sourced by every scenario (guest side). A scenario is a bash script that exits 0
# when everything it checks holds; `fail MESSAGE` (or any failing command) ends it, and the
# runner reports the last "FAIL: ..." line as the reason.
set -Eeuo pipefail
trap 'rc=$?; echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $rc" >&2' ERR

RIG_DIR=${RIG_DIR:-/mnt/rig}
LINES_CONF=$RIG_DIR/lines.conf
PLAYER=$RIG_DIR/bin/player
PHASE=${RIG_PHASE:-1}

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() { trap - ERR; echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"; }
expect_match() { [[ "$1" =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"; }

# wait_until SECONDS COMMAND...: retries COMMAND until it succeeds, first after 0.05 s, then
# backing off to every 0.5 s. Each try forks (journalctl, dosecabctl: a static Swift binary)
# and under emulation a fork and exec cost tens of guest milliseconds, so a fixed 0.1 s poll
# kept the guest busy through every wait. Under -icount sleep=off a sleep costs no host time
# at all, so a longer pause only delays what the scenario sees by guest time.
wait_until() {
    local limit=$1; shift
    local now=${EPOCHREALTIME/./} pause=0.05
    local end=$(( now + limit * 1000000 ))
    until "$@" >/dev/null 2>&1; do
        (( ${EPOCHREALTIME/./} < end )) || return 1
        sleep "$pause"
        case $pause in 0.05) pause=0.1 ;; 0.1) pause=0.2 ;; 0.2) pause=0.3 ;; *) pause=0.5 ;; esac
    done
}

# line_for ROLE: the line name the pin map gives ROLE (column 3 of lines.conf).
line_for() { awk -v r="$1" '$1 == "line" && $4 == r { print $3; exit }' "$LINES_CONF"; }
# every line record: OFFSET NAME ROLE IDLE
all_lines() { awk '$1 == "line" { print $2, $3, $4, $5 }' "$LINES_CONF"; }
# gpio_of NAME: "gpiochipN OFFSET" as libgpiod finds the line by its name.
gpio_of() { gpiofind "$1"; }
# line_consumer NAME: the consumer libgpiod reports for the line ("" when unused).
line_consumer() {
    local chip off
    read -r chip off < <(gpiofind "$1")
    gpioinfo "$chip" | awk -v o="$off" '$1 == "line" && $2 == o":" { if ($4 ~ /^"/) print $4; exit }' | tr -d '"'
}
line_used_by() { [[ $(line_consumer "$1") == "$2" ]]; }

# journal_json MATCHES...: the journal entries matching, as JSON lines.
journal_json() { journalctl --no-pager -o json "$@"; }
# journal_has MATCHES...: at least one entry matches (a function, so a wait forks no bash).
journal_has() { [[ -n $(journalctl --no-pager -o json "$@" 2>/dev/null) ]]; }
# journal_wait SECONDS MATCHES...: waits until at least one entry matches (journald
# stores asynchronously); prints the matching entries as JSON lines.
journal_wait() {
    local limit=$1; shift
    wait_until "$limit" journal_has "$@" \
        || fail "no journal entry matching $* within ${limit}s"
    journal_json "$@"
}

# rig_hard_reset NEXT_PHASE: cuts the guest's power (sysrq b: no sync, no unmount, no
# unit stops); the runner of the next boot runs this scenario again with PHASE=NEXT_PHASE.
rig_hard_reset() {
    log "hard reset; resuming at phase ${1:?next phase}"
    # This phase's log is on tmpfs (see rig-boot.sh): save it before the power goes.
    cat "$RIG_DIR/logs/$RIG_SCENARIO.log" >>"$RIG_RESULTS/logs/$RIG_SCENARIO.log"
    # The door and bolt stay where they are through a power cut (chip-setup.sh restores them).
    if [[ -d /run/rig-lines ]]; then
        rm -rf /var/lib/rig-lines-persist; cp -r /run/rig-lines /var/lib/rig-lines-persist; sync /var/lib/rig-lines-persist/*
    fi
    # A known issue seen in this phase must survive the reset.
    [[ -s ${RIG_KNOWN_FILE:-/dev/null} ]] && cat "$RIG_KNOWN_FILE" >>"$RIG_RESULTS/known-$RIG_SCENARIO"
    echo "$RIG_SCENARIO $1" >"$RIG_RESULTS/resume"
    echo b >/proc/sysrq-trigger
    sleep 60
    fail "the guest did not reset"
}

# rig_await_reset NEXT_PHASE: this scenario's next phase runs after the guest's next power cut
# rather than one of its own: a boot costs about a minute of host time under TCG, and the
# power-off scenario cuts the power anyway. The runner resumes every waiting scenario at its
# phase on the next boot, and cuts the power itself at the end if no later scenario did.
rig_await_reset() {
    log "phase done; resuming at phase ${1:?next phase} after the next power cut"
    echo "$RIG_SCENARIO $1" >>"$RIG_RESULTS/await-reset"
    exit 0
}

# A timer that keeps the guest's clock from jumping minutes while apt waits for I/O.
source "$RIG_DIR/guest/ticking.sh"

# The daemon scenarios' helpers (dosecabctl, Wiegand frames, the rig's clinic).
[[ -r $RIG_DIR/guest/dosecab.sh ]] && source "$RIG_DIR/guest/dosecab.sh"
