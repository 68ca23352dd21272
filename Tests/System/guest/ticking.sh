# rig_tick_start / rig_tick_stop: a guest timer every 20 ms while package operations run
# (sourced by lib.sh and install-dosecab.sh).
# Under -icount shift=0,sleep=off (run.sh, "Time in the guest") an idle guest's clock jumps
# straight to its next timer whenever it waits for I/O. While the daemon runs, that timer is
# never far off; with the daemon stopped or purged the next one can be minutes away: in one
# run a single `apt install` of the package (139 MB read over 9p, written with dpkg's fsyncs)
# moved the guest's clock on by 770 s, most of scenario 23's timeout, where another run of the
# same steps took 45 s. The ticker bounds each such jump to 20 ms. It is a bash loop of
# `read -t` on a FIFO that nobody writes (no process per tick), and it ends by itself when the
# shell that started it is gone.
rig_tick_start() {
    [[ -z ${RIG_TICKER:-} ]] || return 0
    local owner=$BASHPID fifo=/run/rig-tick.$BASHPID
    rm -f "$fifo"
    mkfifo "$fifo"
    (
        exec 9<>"$fifo" </dev/null >/dev/null 2>&1
        rm -f "$fifo"
        while kill -0 "$owner" 2>/dev/null; do read -r -t 0.02 -u 9 _ || :; done
    ) &
    RIG_TICKER=$!
}
rig_tick_stop() {
    [[ -n ${RIG_TICKER:-} ]] || return 0
    kill "$RIG_TICKER" 2>/dev/null || :
    wait "$RIG_TICKER" 2>/dev/null || :
    RIG_TICKER=""
}
