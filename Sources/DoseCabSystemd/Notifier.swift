/// `sd_notify` for the daemon: READY, STATUS, WATCHDOG, STOPPING. Each call returns true
/// when the message was sent, false when there is no notify socket (not under systemd).
public struct Notifier: Sendable {
    /// Creates a notifier. It reads `NOTIFY_SOCKET` at every call and leaves it set;
    /// the unit's `NotifyAccess=main` makes systemd ignore messages from any child.
    public init() {}

    /// True when the service manager gave this process a notify socket.
    public var hasNotifySocket: Bool {
        if let s = getenvString("NOTIFY_SOCKET") { return !s.isEmpty }
        return false
    }

    /// `READY=1`: start-up finished (pin map, lines, store and control socket all up).
    @discardableResult
    public func ready() throws(SystemdError) -> Bool { try send("READY=1") }

    /// `STATUS=…`: a one-line human summary (newlines become spaces).
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        let oneLine = String(text.map { $0.isNewline ? " " : $0 })
        return try send("STATUS=\(oneLine)")
    }

    /// `WATCHDOG=1`. Prefer `WatchdogGate`, which only pings after a fresh health check.
    @discardableResult
    public func watchdog() throws(SystemdError) -> Bool { try send("WATCHDOG=1") }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping() throws(SystemdError) -> Bool { try send("STOPPING=1") }

    /// `WATCHDOG=trigger`: ask systemd to treat the service as hung now (a health check
    /// found the lines or the store broken beyond repair).
    @discardableResult
    public func watchdogTrigger() throws(SystemdError) -> Bool { try send("WATCHDOG=trigger") }

    /// The watchdog interval systemd expects pings within (`WatchdogSec=`), or nil.
    /// Ping at half this interval.
    public func watchdogInterval() throws(SystemdError) -> Duration? {
        try LibSystemd.watchdogEnabled().map { Duration.microseconds(Int64(clamping: $0)) }
    }

    /// Sends any `sd_notify` state string.
    @discardableResult
    public func send(_ state: String) throws(SystemdError) -> Bool {
        try LibSystemd.notify(state)
    }
}

import Glibc

func getenvString(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
