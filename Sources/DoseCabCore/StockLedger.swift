/// Where a unit of the stock register stands. Exactly one state at a time.
public enum StockUnitState: String, Hashable, Sendable, Codable, CaseIterable {
    /// In the cabinet.
    case inStock = "in-stock"
    /// Left on a release (its close-out is the unit ledger's business, I5).
    case issued
    /// Destroyed from stock under witness.
    case wasted
    /// Written off when a discrepancy was resolved as a loss or suspected theft.
    case lost
}

/// The stock balance of one kind (issue #11):
/// loaded = in cabinet + issued − returned to stock + wasted + resolved as loss, at every instant.
public struct StockBalance: Hashable, Sendable, Codable {
    public var loaded = 0
    public var inCabinet = 0
    public var issued = 0
    /// Issued units put back into stock. No event does this yet, so it stays 0; it is kept so
    /// the balance is the pharmacist's formula as written.
    public var returnedToStock = 0
    public var wasted = 0
    public var lost = 0

    public init() {}

    public init(loaded: Int, inCabinet: Int, issued: Int, returnedToStock: Int, wasted: Int, lost: Int) {
        self.loaded = loaded
        self.inCabinet = inCabinet
        self.issued = issued
        self.returnedToStock = returnedToStock
        self.wasted = wasted
        self.lost = lost
    }

    public var balances: Bool { loaded == inCabinet + issued - returnedToStock + wasted + lost }
}

/// The stock register in memory: every unit loaded, in exactly one state, with counters per kind
/// kept as events happen and checked against the unit states (the I5 pattern of `UnitLedger`).
public struct StockLedger: Hashable, Sendable {
    public private(set) var units: [UnitSerial: StockUnit] = [:]
    public private(set) var states: [UnitSerial: StockUnitState] = [:]
    /// Kept incrementally, event by event; `recount()` derives the same from the states.
    public private(set) var balances: [StockKind: StockBalance] = [:]

    public init() {}

    /// Loads units; all or nothing (a serial loaded before refuses the whole receipt).
    public mutating func receive(_ received: [StockUnit]) -> StockRefusal? {
        var seen = Set<UnitSerial>()
        for u in received where units[u.serial] != nil || !seen.insert(u.serial).inserted {
            return StockRefusal(.badUnit, "serial \(u.serial) was loaded before")
        }
        for u in received {
            units[u.serial] = u
            states[u.serial] = .inStock
            balances[u.kind, default: StockBalance()].loaded += 1
            balances[u.kind, default: StockBalance()].inCabinet += 1
        }
        return nil
    }

    /// A unit leaves on a release.
    public mutating func issue(_ serial: UnitSerial) -> LedgerAnomaly? {
        guard let u = units[serial] else { return .unknownSerial }
        guard states[serial] == .inStock else { return states[serial] == .issued ? .alreadyIssued : .alreadyClosed }
        states[serial] = .issued
        balances[u.kind]!.inCabinet -= 1
        balances[u.kind]!.issued += 1
        return nil
    }

    /// A unit destroyed from stock.
    public mutating func waste(_ serial: UnitSerial) -> LedgerAnomaly? {
        guard let u = units[serial] else { return .unknownSerial }
        guard states[serial] == .inStock else { return states[serial] == .issued ? .alreadyIssued : .alreadyClosed }
        states[serial] = .wasted
        balances[u.kind]!.inCabinet -= 1
        balances[u.kind]!.wasted += 1
        return nil
    }

    /// Units written off by a discrepancy's resolution; all or nothing.
    public mutating func writeOff(_ serials: [UnitSerial]) -> LedgerAnomaly? {
        guard Set(serials).count == serials.count else { return .alreadyClosed }
        for s in serials {
            guard units[s] != nil else { return .unknownSerial }
            guard states[s] == .inStock else { return .alreadyClosed }
        }
        for s in serials {
            let kind = units[s]!.kind
            states[s] = .lost
            balances[kind]!.inCabinet -= 1
            balances[kind]!.lost += 1
        }
        return nil
    }

    /// What should be in the cabinet, per kind: the figures a blind count is compared with.
    public var expected: [StockKind: Int] { balances.mapValues(\.inCabinet) }

    /// Every kind ever loaded: what a blind count counts.
    public var kinds: Set<StockKind> { Set(balances.keys) }

    /// Serials in the cabinet.
    public var inStock: Set<UnitSerial> { Set(states.filter { $0.value == .inStock }.keys) }

    /// The balance per kind derived from the unit states alone.
    public func recount() -> [StockKind: StockBalance] {
        var out: [StockKind: StockBalance] = [:]
        for (serial, unit) in units {
            var b = out[unit.kind] ?? StockBalance()
            b.loaded += 1
            switch states[serial]! {
            case .inStock: b.inCabinet += 1
            case .issued: b.issued += 1
            case .wasted: b.wasted += 1
            case .lost: b.lost += 1
            }
            out[unit.kind] = b
        }
        return out
    }

    /// Every kind balances and the incremental counters agree with the unit states.
    public var isConsistent: Bool { balances.values.allSatisfy(\.balances) && balances == recount() }
}
