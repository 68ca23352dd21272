/// Whether the journal mirror keeps up (ARCHITECTURE §4a). The daemon refuses new releases
/// while it is degraded and replays from the store's audit log when it is healthy again.
public enum JournalHealth: Sendable, Equatable, CustomStringConvertible {
    /// Entries are being written within the limits.
    case healthy
    /// Something is wrong; every reason found, most telling first.
    case degraded([Reason])

    /// One reason the journal is degraded.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// journald's socket is not there (journald absent or not started).
        case socketMissing(path: String)
        /// The oldest entry not yet written has waited longer than the limit.
        case oldestUnsentTooOld(age: Duration, limit: Duration)
        /// The queue holds at least `limit` entries.
        case queueTooFull(count: Int, limit: Int)
        /// Entries were refused because the queue was full: the journal misses them until
        /// the daemon replays them from the store.
        case entriesRefused(count: UInt64)
        /// The last attempt to write failed.
        case lastWriteFailed(String)
        /// The writer thread was shut down.
        case stopped

        public var description: String {
            switch self {
            case .socketMissing(let path): "journal socket \(path) is missing"
            case .oldestUnsentTooOld(let age, let limit): "oldest unsent journal entry is \(age) old (limit \(limit))"
            case .queueTooFull(let count, let limit): "journal queue holds \(count) entries (limit \(limit))"
            case .entriesRefused(let count): "\(count) journal entries refused since the queue was full; replay needed"
            case .lastWriteFailed(let why): "last journal write failed: \(why)"
            case .stopped: "journal writer stopped"
            }
        }
    }

    /// True for `.healthy`.
    public var isHealthy: Bool { self == .healthy }

    /// The reasons, empty when healthy.
    public var reasons: [Reason] {
        if case .degraded(let r) = self { return r }
        return []
    }

    /// "healthy" or "degraded: reason; reason".
    public var description: String {
        switch self {
        case .healthy: "healthy"
        case .degraded(let reasons): "degraded: " + reasons.map(\.description).joined(separator: "; ")
        }
    }
}
