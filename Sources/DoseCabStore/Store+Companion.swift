import DoseCabCore

/// The admin record of a control-socket action, committed in the action's own transaction
/// (issue 18.11): a crash or a failed commit can never leave the action on the record without
/// the record of who did it, nor the reverse.
///
/// Bound for a task with `Store.$companion.withValue(_:operation:)` around the one store write
/// of the action. The first write transaction of that task takes it, whether it then commits
/// or not; later transactions run without it. Applied after the action's own writes, so its
/// audit record is the next link after the action's.
public final class CompanionRecord: Sendable {
    /// The admin record to write.
    public let write: LedgerWrite
    private let state: Locked<(taken: Bool, record: AuditRecord?)>

    public init(_ write: LedgerWrite) {
        self.write = write
        state = Locked((false, nil))
    }

    /// The record, once the transaction that carried it committed; nil until then (or when no
    /// transaction took it, and the caller must record it another way).
    public var record: AuditRecord? { state.withLock { $0.record } }

    /// Whether a transaction has taken the record (committed or, when `record` is nil, rolled
    /// back with the action it carried).
    public var isTaken: Bool { state.withLock { $0.taken } }

    /// Takes the record for a caller that commits it with its own write (the daemon's commit,
    /// which may hold both in memory and retry them together); nil when already taken.
    public func claim() -> LedgerWrite? { take() }

    func take() -> LedgerWrite? {
        state.withLock { s in
            defer { s.taken = true }
            return s.taken ? nil : write
        }
    }

    func committed(_ record: AuditRecord) {
        state.withLock { $0.record = record }
    }
}

extension Store {
    /// See ``CompanionRecord``.
    @TaskLocal public static var companion: CompanionRecord?
}
