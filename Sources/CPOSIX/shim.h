// The few Linux calls Swift's Glibc module leaves out, for DoseCabPOSIX only: no library to
// link, just declarations glibc exports anyway.
#ifndef DOSECAB_CPOSIX_SHIM_H
#define DOSECAB_CPOSIX_SHIM_H
#include <fcntl.h>
#include <unistd.h>
// The daemon's executor sleeps on a CLOCK_BOOTTIME timerfd (DoseCabPOSIX/DaemonExecutor.swift).
#include <sys/timerfd.h>

// pipe2 is declared only under _GNU_SOURCE, which Swift's Glibc module does not set; glibc
// exports it regardless.
int pipe2(int pipefd[2], int flags);

/// pipe2(2): fds[0] read end, fds[1] write end. Returns 0 or -1 with errno.
static inline int dosecab_pipe2(int fds[2], int flags) {
    return pipe2(fds, flags);
}
#endif
