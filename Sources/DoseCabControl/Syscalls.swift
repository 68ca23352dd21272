import Glibc
import SystemPackage

// One thin wrapper per C call the control socket needs. EINTR is retried here and nowhere
// else; every failure comes back as a typed `Errno`.

enum Sys {
    /// `SO_PEERGROUPS` (Linux 4.13+); the Glibc module does not export it.
    static let soPeerGroups: Int32 = 59
    /// `SO_PEERCRED`.
    static let soPeerCred: Int32 = 17
    static let sunPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let cloexecFlag = Int32(SOCK_CLOEXEC.rawValue)

    /// Retries `body` while it fails with EINTR; `-1` plus errno is failure.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw Errno(rawValue: code)
        }
    }

    /// `socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)`.
    static func unixStreamSocket() throws(Errno) -> Int32 {
        try retrying { socket(AF_UNIX, streamType | cloexecFlag, 0) }
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
    static func bind(_ fd: Int32, path: String) throws(Errno) {
        _ = try retrying { withUnixAddress(path) { Glibc.bind(fd, $0, $1) } }
    }

    /// `connect(2)` to a filesystem path.
    static func connect(_ fd: Int32, path: String) throws(Errno) {
        _ = try retrying { withUnixAddress(path) { Glibc.connect(fd, $0, $1) } }
    }

    /// `listen(2)`.
    static func listen(_ fd: Int32, backlog: Int32) throws(Errno) {
        _ = try retrying { Glibc.listen(fd, backlog) }
    }

    /// `accept(2)`, then `FD_CLOEXEC` (the Glibc module hides `accept4`; the daemon does
    /// not exec, so the gap between the two calls leaks nothing). The new socket is blocking.
    static func accept(_ fd: Int32) throws(Errno) -> Int32 {
        let client = try retrying { Glibc.accept(fd, nil, nil) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return client
    }

    /// `close(2)`. EINTR is not retried: on Linux the descriptor is gone either way.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `shutdown(2)`; failures (already disconnected) do not matter to callers.
    static func shutdown(_ fd: Int32, _ how: Int32) {
        _ = Glibc.shutdown(fd, how)
    }

    /// `recv(2)` into `buffer`; returns the count received, 0 at end of stream.
    static func recv(_ fd: Int32, into buffer: inout [UInt8], flags: Int32 = 0) throws(Errno) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.recv(fd, raw.baseAddress, raw.count, flags)
            }
            if count >= 0 { return count }
            let code = errno
            if code != EINTR { throw Errno(rawValue: code) }
        }
    }

    /// `send(2)` of all of `bytes` with `MSG_NOSIGNAL` (a vanished peer is EPIPE, not SIGPIPE).
    static func sendAll(_ fd: Int32, _ bytes: [UInt8], flags: Int32 = 0) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | flags)
            }
            if sent >= 0 { offset += sent; continue }
            let code = errno
            if code != EINTR { throw Errno(rawValue: code) }
        }
    }

    /// `pipe(2)` with `FD_CLOEXEC` on both ends: (read end, write end).
    static func pipe() throws(Errno) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try retrying { Glibc.pipe(&fds) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC` on `fd`.
    static func setNonBlockingCloexec(_ fd: Int32) throws(Errno) {
        let flags = try retrying { fcntl(fd, F_GETFL) }
        _ = try retrying { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        let fdFlags = try retrying { fcntl(fd, F_GETFD) }
        _ = try retrying { fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC) }
    }

    /// `setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)`.
    static func setTimeout(_ fd: Int32, option: Int32, _ duration: Duration) throws(Errno) {
        let (seconds, attoseconds) = duration.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // 0 would mean "forever"
        _ = try retrying { setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) }
    }

    /// `getsockopt` of one `Int32` socket option.
    static func intOption(_ fd: Int32, _ option: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retrying { getsockopt(fd, SOL_SOCKET, option, &value, &length) }
        return value
    }

    /// The peer's pid, uid and gid, as `struct ucred` carries them.
    typealias PeerCredentials = (pid: pid_t, uid: uid_t, gid: gid_t)

    /// `getsockopt(SO_PEERCRED)`: the peer's pid, uid and gid when it connected.
    static func peerCredentials(_ fd: Int32) throws(Errno) -> PeerCredentials {
        // struct ucred is three 32-bit fields: pid, uid, gid.
        var raw: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        _ = try retrying { getsockopt(fd, SOL_SOCKET, soPeerCred, &raw, &length) }
        return (raw.0, raw.1, raw.2)
    }

    /// `getsockopt(SO_PEERGROUPS)`: the peer's supplementary groups when it connected.
    /// ERANGE reports the size needed; the call is repeated with that size.
    static func peerGroups(_ fd: Int32) throws(Errno) -> [gid_t] {
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
            throw Errno(rawValue: code)
        }
    }

    /// `poll(2)` for readability of `fds`, waiting at most `timeout` (`nil`: forever).
    /// Returns which descriptors are readable (or hung up / in error).
    static func pollReadable(_ fds: [Int32], timeout: Duration?) throws(Errno) -> [Bool] {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let milliseconds: Int32
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let total = max(0, seconds) * 1000 + (attoseconds > 0 ? (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 : 0)
            milliseconds = Int32(clamping: total)
        } else {
            milliseconds = -1
        }
        _ = try retrying { poll(&entries, nfds_t(entries.count), milliseconds) }
        return entries.map { $0.revents != 0 }
    }

    /// `lstat(2)`: the file type bits, `nil` if nothing is there.
    static func fileType(atPath path: String) throws(Errno) -> mode_t? {
        var info = stat()
        if lstat(path, &info) == 0 { return info.st_mode & S_IFMT }
        let code = errno
        if code == ENOENT { return nil }
        throw Errno(rawValue: code)
    }

    /// `lstat(2)`: device and inode, to recognise our own socket file later.
    static func identity(atPath path: String) -> (dev_t, ino_t)? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return nil }
        return (info.st_dev, info.st_ino)
    }
}
