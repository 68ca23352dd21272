import DoseCabCore

/// Pairs return-scanner frames with beam breaks in the return chute. Pure: scans and beam
/// breaks with timestamps in, verdicts out; the caller arms a timer for `nextDeadline` and
/// calls `expire(now:)`.
///
/// A scan and a beam break less than `windowNanos` apart, in either order, are a return. A scan
/// whose window passes without a beam is an issue scan (an ampoule scanned on its way out of
/// the cabinet). A beam whose window passes without a scan is reported too: something went into
/// the chute unscanned. Pairing is first-in, first-out. The scanner reading the same tag again
/// while the first read is still waiting counts once.
public struct ReturnChute: Sendable {
    /// What the chute saw.
    public enum Output: Sendable, Hashable, CustomStringConvertible {
        /// The unit was scanned and went into the chute.
        case returned(UnitSerial)
        /// The unit was scanned and did not go into the chute within the window.
        case issueScan(UnitSerial)
        /// The beam broke and no scan came within the window.
        case beamWithoutScan

        public var description: String {
            switch self {
            case .returned(let s): "returned \(s)"
            case .issueScan(let s): "issue scan \(s)"
            case .beamWithoutScan: "beam without scan"
            }
        }
    }

    /// How far apart a scan and a beam break may be (default 2 s).
    public let windowNanos: UInt64
    private var scans: [(serial: UnitSerial, at: UInt64)] = []
    private var beams: [UInt64] = []

    public init(windowNanos: UInt64 = 2_000_000_000) {
        self.windowNanos = windowNanos
    }

    /// The serial a return-scanner card frame carries: its number in decimal.
    public static func serial(of card: CardID) -> UnitSerial {
        UnitSerial(String(card.number))
    }

    /// When the oldest waiting scan or beam expires; `nil` when nothing waits.
    public var nextDeadline: UInt64? {
        let oldest = [scans.first?.at, beams.first].compactMap { $0 }.min()
        return oldest.map { $0.saturatingAdd(windowNanos) }
    }

    /// A frame from the return scanner.
    public mutating func scan(_ card: CardID, at t: UInt64) -> [Output] {
        scan(Self.serial(of: card), at: t)
    }

    /// A unit serial read by the return scanner at `t`.
    public mutating func scan(_ serial: UnitSerial, at t: UInt64) -> [Output] {
        var out = expire(now: t)
        if !beams.isEmpty {
            beams.removeFirst()
            out.append(.returned(serial))
        } else if !scans.contains(where: { $0.serial == serial }) {
            scans.append((serial, t))
        }
        return out
    }

    /// The beam broke at `t` (the debounced edge to active).
    public mutating func beam(at t: UInt64) -> [Output] {
        var out = expire(now: t)
        if !scans.isEmpty {
            out.append(.returned(scans.removeFirst().serial))
        } else {
            beams.append(t)
        }
        return out
    }

    /// Reports every scan and beam whose window has passed by `now`, oldest first.
    public mutating func expire(now: UInt64) -> [Output] {
        var expired: [(at: UInt64, output: Output)] = []
        while let s = scans.first, now >= s.at.saturatingAdd(windowNanos) {
            expired.append((s.at, .issueScan(s.serial)))
            scans.removeFirst()
        }
        while let b = beams.first, now >= b.saturatingAdd(windowNanos) {
            expired.append((b, .beamWithoutScan))
            beams.removeFirst()
        }
        return expired.sorted { $0.at < $1.at }.map(\.output)
    }
}
