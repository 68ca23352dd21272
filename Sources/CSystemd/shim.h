// libsystemd: journal, notify, listen fds. Variadic calls are not reachable from Swift,
// so only the vector form (sd_journal_sendv) and non-variadic calls are used.
#ifndef DOSECAB_CSYSTEMD_SHIM_H
#define DOSECAB_CSYSTEMD_SHIM_H
// Without this, sd-journal.h turns sd_journal_sendv into a macro that adds CODE_FILE/
// CODE_LINE of the C header itself; our log handler sets those fields from Swift.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/timex.h>

// Whether the kernel's clock discipline says the clock is synchronised (what systemd's
// timedatectl reports as "System clock synchronized"). adjtimex is not variadic, but
// struct timex has bitfields Swift cannot zero-initialise cleanly, hence the shim.
#include <errno.h>
// Returns 1 synchronised, 0 not, -errno when the state cannot be read (e.g. seccomp EPERM).
static inline int dosecab_clock_synchronised(void) {
    struct timex tx = {0};
    int state = adjtimex(&tx);
    if (state == -1) return errno > 0 ? -errno : -1;
    return state != TIME_ERROR;
}
#endif
