// The only C this project reaches for the GPIO side: Debian 12's libgpiod 1.6 (v1 API).
#ifndef DOSECAB_CGPIOD_SHIM_H
#define DOSECAB_CGPIOD_SHIM_H
#include <gpiod.h>
#include <fcntl.h>
#include <unistd.h>

// pipe2 is declared only under _GNU_SOURCE, which Swift's Glibc module does not set; glibc
// exports it regardless. The GPIO event thread's stop pipe must not leak into children.
int pipe2(int pipefd[2], int flags);

/// A close-on-exec pipe: fds[0] read end, fds[1] write end. Returns 0 or -1 with errno.
static inline int dosecab_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

/// The same, both ends non-blocking: the quiet-request pipe, written from the daemon's actor,
/// which must never block on a full pipe (a full pipe already holds a request).
static inline int dosecab_pipe_nonblocking_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
}
#endif
