/// The result of one health check of the lines and the store, made by the daemon's main
/// loop. Only a result like this can feed the watchdog.
public struct HealthCheckResult: Sendable, Equatable {
    /// When the check ran (CLOCK_BOOTTIME nanoseconds, as `JournalWriter.bootTimeNanos`).
    public let checkedAtNanos: UInt64
    /// Whether the lines and the store answered correctly.
    public let healthy: Bool
    /// What was checked or what failed, for STATUS and logs.
    public let detail: String

    /// A result of a check made at `checkedAtNanos`.
    public init(checkedAtNanos: UInt64, healthy: Bool, detail: String = "") {
        self.checkedAtNanos = checkedAtNanos
        self.healthy = healthy
        self.detail = detail
    }
}

/// Feeds systemd's watchdog only from the main loop: `WATCHDOG=1` is sent for a healthy,
/// fresh health-check result that has not fed the watchdog before. A stalled loop makes
/// no new results, so the pings stop and systemd restarts the daemon; a free-running
/// timer re-offering an old result is refused.
public struct WatchdogGate: Sendable {
    /// What `offer` did.
    public enum Decision: Sendable, Hashable {
        /// `WATCHDOG=1` was sent.
        case pinged
        /// A ping was sent less than `minimumSpacing` ago; nothing sent.
        case notDue
        /// The result is older than `maxResultAge`; nothing sent.
        case stale
        /// This result (or an older one) already fed the watchdog; nothing sent.
        case reused
        /// The check failed; nothing sent, so systemd will act if it stays so.
        case unhealthy
        /// There is no notify socket (not under systemd with `WatchdogSec=`).
        case noWatchdog
    }

    /// A result must be at most this old when offered.
    public let maxResultAge: Duration
    /// Pings closer together than this are skipped (systemd advises half the interval;
    /// this defaults to a quarter, so a ping is never late by the spacing alone).
    public let minimumSpacing: Duration
    private let send: @Sendable () throws(SystemdError) -> Bool
    private var lastFedCheck: UInt64?
    private var lastPing: UInt64?

    /// A gate for a watchdog of `interval` (from `Notifier.watchdogInterval()`).
    public init(interval: Duration, notifier: Notifier = Notifier()) {
        self.init(interval: interval, send: { () throws(SystemdError) -> Bool in try notifier.watchdog() })
    }

    /// A gate with an explicit sender (tests count calls).
    public init(interval: Duration, send: @escaping @Sendable () throws(SystemdError) -> Bool) {
        self.maxResultAge = interval / 2
        self.minimumSpacing = interval / 4
        self.send = send
    }

    /// Offers a health-check result at `nowNanos` (same clock as the result).
    public mutating func offer(_ result: HealthCheckResult, nowNanos: UInt64) throws(SystemdError) -> Decision {
        guard result.healthy else { return .unhealthy }
        if let last = lastFedCheck, result.checkedAtNanos <= last { return .reused }
        guard result.checkedAtNanos <= nowNanos,
              Duration.nanoseconds(Int64(nowNanos - result.checkedAtNanos)) <= maxResultAge
        else { return .stale }
        if let last = lastPing, Duration.nanoseconds(Int64(nowNanos &- last)) < minimumSpacing {
            return .notDue
        }
        guard try send() else { return .noWatchdog }
        lastFedCheck = result.checkedAtNanos
        lastPing = nowNanos
        return .pinged
    }
}
