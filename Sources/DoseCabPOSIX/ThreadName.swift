import Glibc

/// Names the calling thread as `ps` and /proc/PID/task/TID/comm show it (at most 15 bytes).
/// (Glibc's `pthread_setname_np` is not visible to Swift here; the kernel's file does the same.)
/// Best effort: a thread whose name cannot be set keeps running under its old one.
public func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
