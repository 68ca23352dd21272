// libsystemd: journal, notify, listen fds. Variadic calls are not reachable from Swift,
// so only the vector forms (sd_journal_sendv) and non-variadic calls are used.
#ifndef DOSECAB_CSYSTEMD_SHIM_H
#define DOSECAB_CSYSTEMD_SHIM_H
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#endif
