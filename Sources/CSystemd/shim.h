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
static inline int dosecab_clock_synchronised(void) {
    struct timex tx = {0};
    return adjtimex(&tx) != TIME_ERROR;
}
#endif
