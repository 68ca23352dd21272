/// Software debounce of one slow mechanical input (door, bolt, tamper, return beam). Pure:
/// edges in, settled changes out; the caller arms a timer for `nextDeadline` and calls
/// `expire(now:)`.
///
/// A new level is reported once it has held for the interval, stamped with the time of its
/// first edge (when the contact really moved). Bounces back to the settled level within the
/// interval are swallowed. An interval of zero reports every change at once.
public struct Debouncer: Sendable {
    /// The line debounced.
    public let role: LineRole
    /// How long a new level must hold.
    public let intervalNanos: UInt64
    /// The settled (reported) level.
    public private(set) var level: Bool
    private var pending: (level: Bool, since: UInt64)?

    /// - Parameters:
    ///   - initial: the level read when the line was opened.
    public init(role: LineRole, intervalNanos: UInt64, initial: Bool) {
        self.role = role
        self.intervalNanos = intervalNanos
        self.level = initial
    }

    /// When a pending change settles if no further edge comes; `nil` when settled.
    public var nextDeadline: UInt64? {
        pending.map { $0.since.saturatingAdd(intervalNanos) }
    }

    /// Feeds one edge of this line (edges of other lines are ignored). Returns the settled
    /// changes it reveals: a pending change whose interval had already passed, and, with a
    /// zero interval, this edge itself.
    public mutating func feed(_ edge: LineEvent) -> [LineEvent] {
        guard edge.role == role else { return [] }
        var out = expire(now: edge.timestampNanos).map { [$0] } ?? []
        if edge.level == level {
            pending = nil
        } else if intervalNanos == 0 {
            level = edge.level
            out.append(LineEvent(role: role, level: level, timestampNanos: edge.timestampNanos))
        } else if pending?.level != edge.level {
            pending = (edge.level, edge.timestampNanos)
        }
        return out
    }

    /// Reports the pending change if it has held for the interval by `now`.
    public mutating func expire(now: UInt64) -> LineEvent? {
        guard let p = pending, now >= p.since.saturatingAdd(intervalNanos) else { return nil }
        pending = nil
        level = p.level
        return LineEvent(role: role, level: p.level, timestampNanos: p.since)
    }
}
