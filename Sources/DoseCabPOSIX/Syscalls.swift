import CPOSIX
import Glibc
import SystemPackage

// One thin wrapper per C call the daemon and the CLI make outside libgpiod and libsystemd.
// EINTR is retried here and nowhere else; every failure comes back as a typed `Errno`, except
// EBADF and EFAULT: only a bug passes a closed descriptor or a bad pointer, and carrying on
// after one could read, write or close a descriptor some other part of the process now owns
// (the rule swift-nio's `syscall` wrapper follows).

/// The syscall wrappers (swift-system's `Internals/Syscalls.swift` is the model).
public enum Sys {
    /// `SO_PEERGROUPS` (Linux 4.13+); the Glibc module does not export it.
    public static let soPeerGroups: Int32 = 59
    /// `SO_PEERCRED`.
    public static let soPeerCred: Int32 = 17
    /// Bytes in `sockaddr_un.sun_path`, the terminating NUL included.
    public static let sunPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// `SOCK_STREAM` as the socket calls take it.
    public static let streamType = Int32(SOCK_STREAM.rawValue)
    static let cloexecFlag = Int32(SOCK_CLOEXEC.rawValue)

    /// `errno` of a failed `function` as a typed error. EBADF and EFAULT stop the process:
    /// they are programmer errors, never conditions to handle.
    @inline(__always)
    static func failure(_ function: StaticString, _ code: Int32 = errno) -> Errno {
        if code == EBADF || code == EFAULT {
            preconditionFailure("\(function) failed with \(code == EBADF ? "EBADF" : "EFAULT"): a programmer error (a closed descriptor or a bad pointer)")
        }
        return Errno(rawValue: code)
    }

    /// Retries `body` while it fails with EINTR; `-1` plus errno is failure.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ function: StaticString, _ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw failure(function, code)
        }
    }

    /// `socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)`.
    public static func unixStreamSocket() throws(Errno) -> Int32 {
        try retrying("socket") { socket(AF_UNIX, streamType | cloexecFlag, 0) }
    }

    /// Builds a `sockaddr_un` for `path` and passes it to `body`. The caller has checked
    /// the length against ``sunPathCapacity``.
    static func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < sunPathCapacity, "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                body(sockaddrPointer, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// `bind(2)` to a filesystem path.
    public static func bind(_ fd: Int32, path: String) throws(Errno) {
        _ = try retrying("bind") { withUnixAddress(path) { Glibc.bind(fd, $0, $1) } }
    }

    /// `connect(2)` to a filesystem path.
    public static func connect(_ fd: Int32, path: String) throws(Errno) {
        _ = try retrying("connect") { withUnixAddress(path) { Glibc.connect(fd, $0, $1) } }
    }

    /// `listen(2)`.
    public static func listen(_ fd: Int32, backlog: Int32) throws(Errno) {
        _ = try retrying("listen") { Glibc.listen(fd, backlog) }
    }

    /// `accept(2)`, then `FD_CLOEXEC` (the Glibc module hides `accept4`; the daemon does
    /// not exec, so the gap between the two calls leaks nothing). The new socket is blocking.
    public static func accept(_ fd: Int32) throws(Errno) -> Int32 {
        let client = try retrying("accept") { Glibc.accept(fd, nil, nil) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return client
    }

    /// `close(2)`. EINTR is not retried: on Linux the descriptor is gone either way.
    public static func close(_ fd: Int32) {
        if Glibc.close(fd) != 0 { _ = failure("close") }
    }

    /// `shutdown(2)`; failures (already disconnected) do not matter to callers.
    public static func shutdown(_ fd: Int32, _ how: Int32) {
        if Glibc.shutdown(fd, how) != 0 { _ = failure("shutdown") }
    }

    /// `recv(2)` into `buffer`; returns the count received, 0 at end of stream.
    public static func recv(_ fd: Int32, into buffer: inout [UInt8], flags: Int32 = 0) throws(Errno) -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) -> Int in try retrying("recv") { Glibc.recv(fd, raw.baseAddress, raw.count, flags) } }
        }.get()
    }

    /// `send(2)` of all of `bytes` with `MSG_NOSIGNAL` (a vanished peer is EPIPE, not SIGPIPE).
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8], flags: Int32 = 0) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) -> Int in
                    try retrying("send") { Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | flags) }
                }
            }.get()
        }
    }

    /// `read(2)` into `buffer`; returns the count read, 0 at end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `write(2)` of `bytes`; returns the count written.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) -> Int {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(Errno) -> Int in try retrying("write") { Glibc.write(fd, raw.baseAddress, raw.count) } }
        }.get()
    }

    /// `pipe2(2)`: (read end, write end), `O_CLOEXEC` unless told otherwise (add `O_NONBLOCK`
    /// for a pipe the writer must never block on).
    public static func pipe(flags: Int32 = O_CLOEXEC) throws(Errno) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try retrying("pipe2") { dosecab_pipe2(&fds, flags) }
        return (fds[0], fds[1])
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC` on `fd` (`fcntl(2)`, read then write, for each).
    public static func setNonBlockingCloexec(_ fd: Int32) throws(Errno) {
        let flags = try retrying("fcntl") { fcntl(fd, F_GETFL) }
        _ = try retrying("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        let fdFlags = try retrying("fcntl") { fcntl(fd, F_GETFD) }
        _ = try retrying("fcntl") { fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC) }
    }

    /// `setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)`.
    public static func setTimeout(_ fd: Int32, option: Int32, _ duration: Duration) throws(Errno) {
        let (seconds, attoseconds) = duration.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // 0 would mean "forever"
        _ = try retrying("setsockopt") { setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) }
    }

    /// `getsockopt` of one `Int32` socket option.
    public static func intOption(_ fd: Int32, _ option: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retrying("getsockopt") { getsockopt(fd, SOL_SOCKET, option, &value, &length) }
        return value
    }

    /// The peer's pid, uid and gid, as `struct ucred` carries them.
    public typealias PeerCredentials = (pid: pid_t, uid: uid_t, gid: gid_t)

    /// `getsockopt(SO_PEERCRED)`: the peer's pid, uid and gid when it connected.
    public static func peerCredentials(_ fd: Int32) throws(Errno) -> PeerCredentials {
        // struct ucred is three 32-bit fields: pid, uid, gid.
        var raw: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        _ = try retrying("getsockopt") { getsockopt(fd, SOL_SOCKET, soPeerCred, &raw, &length) }
        return (raw.0, raw.1, raw.2)
    }

    /// `getsockopt(SO_PEERGROUPS)`: the peer's supplementary groups when it connected.
    /// ERANGE reports the size needed; the call is repeated with that size.
    public static func peerGroups(_ fd: Int32) throws(Errno) -> [gid_t] {
        var capacity = 64
        while true {
            var groups = [gid_t](repeating: 0, count: capacity)
            var length = socklen_t(capacity * MemoryLayout<gid_t>.size)
            let rc = groups.withUnsafeMutableBytes { raw in
                getsockopt(fd, SOL_SOCKET, soPeerGroups, raw.baseAddress, &length)
            }
            if rc == 0 {
                return Array(groups.prefix(Int(length) / MemoryLayout<gid_t>.size))
            }
            let code = errno
            if code == EINTR { continue }
            if code == ERANGE, Int(length) / MemoryLayout<gid_t>.size > capacity {
                capacity = Int(length) / MemoryLayout<gid_t>.size
                continue
            }
            throw failure("getsockopt", code)
        }
    }

    /// `poll(2)` for readability of `fds`, waiting at most `timeout` (`nil`: forever).
    /// Returns which descriptors are readable (or hung up / in error).
    public static func pollReadable(_ fds: [Int32], timeout: Duration?) throws(Errno) -> [Bool] {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let milliseconds: Int32
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let total = max(0, seconds) * 1000 + (attoseconds > 0 ? (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 : 0)
            milliseconds = Int32(clamping: total)
        } else {
            milliseconds = -1
        }
        _ = try retrying("poll") { poll(&entries, nfds_t(entries.count), milliseconds) }
        return entries.map { $0.revents != 0 }
    }

    /// `lstat(2)`: the file type bits, `nil` if nothing is there.
    public static func fileType(atPath path: String) throws(Errno) -> mode_t? {
        var info = stat()
        if lstat(path, &info) == 0 { return info.st_mode & S_IFMT }
        let code = errno
        if code == ENOENT { return nil }
        throw failure("lstat", code)
    }

    /// `lstat(2)`: device and inode of the socket at `path`, to recognise our own socket file
    /// later; `nil` when there is none.
    public static func identity(atPath path: String) -> (dev_t, ino_t)? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return nil }
        return (info.st_dev, info.st_ino)
    }

    /// `chmod(2)`.
    public static func chmod(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try retrying("chmod") { Glibc.chmod(path, mode) }
    }

    /// `chown(2)` (`uid_t.max` or `gid_t.max` leaves that owner as it is).
    public static func chown(_ path: String, _ uid: uid_t, _ gid: gid_t) throws(Errno) {
        _ = try retrying("chown") { Glibc.chown(path, uid, gid) }
    }

    /// `unlink(2)`.
    public static func unlink(_ path: String) throws(Errno) {
        _ = try retrying("unlink") { Glibc.unlink(path) }
    }

    /// `timerfd_create(2)`.
    public static func timerfdCreate(_ clock: clockid_t, flags: Int32) throws(Errno) -> Int32 {
        try retrying("timerfd_create") { timerfd_create(clock, flags) }
    }

    /// `timerfd_settime(2)`, the old value not wanted.
    public static func timerfdSetTime(_ fd: Int32, flags: Int32, _ value: itimerspec) throws(Errno) {
        var value = value
        _ = try retrying("timerfd_settime") { timerfd_settime(fd, flags, &value, nil) }
    }

    /// `clock_gettime(2)`. It cannot fail for the clocks Linux has, so a failure (EINVAL: no
    /// such clock) is a programmer error too.
    public static func clockGetTime(_ clock: clockid_t) -> timespec {
        var ts = timespec()
        let rc = clock_gettime(clock, &ts)
        if rc != 0 {
            let code = errno
            preconditionFailure("clock_gettime(\(clock)) failed with errno \(code)")
        }
        return ts
    }
}
