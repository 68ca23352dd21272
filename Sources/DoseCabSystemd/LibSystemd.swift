import CSystemd
import Glibc

/// One thin wrapper per libsystemd call, each named after the C function it wraps.
/// libsystemd reports failure as a negative errno; every wrapper turns that into a
/// `SystemdError` naming the function, so callers never compare return codes.
package enum LibSystemd {
    /// `sd_journal_sendv(3)`. Returns normally when the datagram was handed to the kernel,
    /// and also when journald's socket is absent (libsystemd swallows ENOENT): callers
    /// must check for the socket themselves (`JournalWriter` does).
    package static func journalSendv(_ iov: UnsafeBufferPointer<iovec>) throws(SystemdError) {
        let r = sd_journal_sendv(iov.baseAddress, Int32(iov.count))
        if r < 0 { throw SystemdError(function: "sd_journal_sendv", errno: r) }
    }

    /// `sd_notify(3)`. Returns true when the message was sent, false when there is no
    /// `NOTIFY_SOCKET` (not started by systemd, or `Type=` is not notify).
    package static func notify(_ state: String, unsetEnvironment: Bool = false) throws(SystemdError) -> Bool {
        let r = sd_notify(unsetEnvironment ? 1 : 0, state)
        if r < 0 { throw SystemdError(function: "sd_notify", errno: r) }
        return r > 0
    }

    /// `sd_watchdog_enabled(3)`: the watchdog interval in microseconds, or nil when the
    /// service manager expects no keep-alive pings from this process.
    package static func watchdogEnabled(unsetEnvironment: Bool = false) throws(SystemdError) -> UInt64? {
        var usec: UInt64 = 0
        let r = sd_watchdog_enabled(unsetEnvironment ? 1 : 0, &usec)
        if r < 0 { throw SystemdError(function: "sd_watchdog_enabled", errno: r) }
        return r > 0 ? usec : nil
    }

    /// `sd_listen_fds(3)`: how many fds, starting at `SD_LISTEN_FDS_START` (3), were passed.
    package static func listenFDs(unsetEnvironment: Bool = false) throws(SystemdError) -> Int32 {
        let r = sd_listen_fds(unsetEnvironment ? 1 : 0)
        if r < 0 { throw SystemdError(function: "sd_listen_fds", errno: r) }
        return r
    }

    /// `sd_is_socket_unix(3)` with no path check: is `fd` an AF_UNIX socket of `type`,
    /// listening (`listening` 1), not listening (0), or either (-1)?
    package static func isSocketUnix(_ fd: Int32, type: Int32, listening: Int32) throws(SystemdError) -> Bool {
        let r = sd_is_socket_unix(fd, type, listening, nil, 0)
        if r < 0 { throw SystemdError(function: "sd_is_socket_unix", errno: r) }
        return r > 0
    }

    /// `sd_journal_open(3)` on the local machine's journals.
    package static func journalOpen(flags: Int32) throws(SystemdError) -> OpaquePointer {
        var j: OpaquePointer?
        let r = sd_journal_open(&j, flags)
        guard r >= 0, let j else { throw SystemdError(function: "sd_journal_open", errno: r < 0 ? r : EINVAL) }
        return j
    }

    /// `sd_journal_open_directory(3)`: the journal files in one directory.
    package static func journalOpenDirectory(_ path: String, flags: Int32) throws(SystemdError) -> OpaquePointer {
        var j: OpaquePointer?
        let r = sd_journal_open_directory(&j, path, flags)
        guard r >= 0, let j else {
            throw SystemdError(function: "sd_journal_open_directory", errno: r < 0 ? r : EINVAL)
        }
        return j
    }

    /// `sd_journal_close(3)`.
    package static func journalClose(_ j: OpaquePointer) {
        sd_journal_close(j)
    }

    /// `sd_journal_add_match(3)` with a `FIELD=value` string.
    package static func journalAddMatch(_ j: OpaquePointer, _ match: [UInt8]) throws(SystemdError) {
        let r = match.withUnsafeBytes { sd_journal_add_match(j, $0.baseAddress, $0.count) }
        if r < 0 { throw SystemdError(function: "sd_journal_add_match", errno: r) }
    }

    /// `sd_journal_add_conjunction(3)`: AND between the match groups before and after.
    package static func journalAddConjunction(_ j: OpaquePointer) throws(SystemdError) {
        let r = sd_journal_add_conjunction(j)
        if r < 0 { throw SystemdError(function: "sd_journal_add_conjunction", errno: r) }
    }

    /// `sd_journal_seek_head(3)`.
    package static func journalSeekHead(_ j: OpaquePointer) throws(SystemdError) {
        let r = sd_journal_seek_head(j)
        if r < 0 { throw SystemdError(function: "sd_journal_seek_head", errno: r) }
    }

    /// `sd_journal_seek_realtime_usec(3)`.
    package static func journalSeekRealtimeUsec(_ j: OpaquePointer, _ usec: UInt64) throws(SystemdError) {
        let r = sd_journal_seek_realtime_usec(j, usec)
        if r < 0 { throw SystemdError(function: "sd_journal_seek_realtime_usec", errno: r) }
    }

    /// `sd_journal_next(3)`: true when it moved to a next entry, false at the end.
    package static func journalNext(_ j: OpaquePointer) throws(SystemdError) -> Bool {
        let r = sd_journal_next(j)
        if r < 0 { throw SystemdError(function: "sd_journal_next", errno: r) }
        return r > 0
    }

    /// `sd_journal_get_realtime_usec(3)` of the current entry.
    package static func journalGetRealtimeUsec(_ j: OpaquePointer) throws(SystemdError) -> UInt64 {
        var usec: UInt64 = 0
        let r = sd_journal_get_realtime_usec(j, &usec)
        if r < 0 { throw SystemdError(function: "sd_journal_get_realtime_usec", errno: r) }
        return usec
    }

    /// `sd_journal_get_cursor(3)` of the current entry.
    package static func journalGetCursor(_ j: OpaquePointer) throws(SystemdError) -> String {
        var cursor: UnsafeMutablePointer<CChar>?
        let r = sd_journal_get_cursor(j, &cursor)
        guard r >= 0, let cursor else {
            throw SystemdError(function: "sd_journal_get_cursor", errno: r < 0 ? r : EINVAL)
        }
        defer { free(cursor) }
        return String(cString: cursor)
    }

    /// `sd_journal_get_data(3)`: the value of one field of the current entry, or nil when
    /// the entry does not have it.
    package static func journalGetData(_ j: OpaquePointer, field: String) throws(SystemdError) -> [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        let r = sd_journal_get_data(j, field, &data, &length)
        if r == -ENOENT { return nil }
        if r < 0 { throw SystemdError(function: "sd_journal_get_data", errno: r) }
        guard let data else { return nil }
        let all = UnsafeRawBufferPointer(start: data, count: length)
        // The data is "FIELD=value".
        return Array(all.dropFirst(field.utf8.count + 1))
    }

    /// `sd_journal_restart_data(3)` then `sd_journal_enumerate_available_data(3)` until the
    /// end: every `FIELD=value` of the current entry, in stored order. Fields that cannot
    /// be read (compressed with an algorithm this build lacks) are skipped, as journalctl does.
    package static func journalEnumerateData(_ j: OpaquePointer) throws(SystemdError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        sd_journal_restart_data(j)
        while true {
            var data: UnsafeRawPointer?
            var length = 0
            let r = sd_journal_enumerate_available_data(j, &data, &length)
            if r < 0 { throw SystemdError(function: "sd_journal_enumerate_available_data", errno: r) }
            if r == 0 { return out }
            if let data { out.append(Array(UnsafeRawBufferPointer(start: data, count: length))) }
        }
    }
}
