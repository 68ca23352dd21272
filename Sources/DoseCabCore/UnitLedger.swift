/// Where one released unit stands. Exactly one state at a time, so
/// issued = returned + consumed + open + incidents holds by construction and is checked anyway.
public enum UnitState: String, Hashable, Sendable, Codable {
    case open
    /// Came back through the return scanner and the chute beam.
    case returned
    /// A witness confirmed it was consumed on the spot.
    case consumed
    /// Not closed out by its deadline (or otherwise unaccounted for): an incident.
    case incident
}

/// A unit handed out by a release and bound to it by its issue scan.
public struct IssuedUnit: Hashable, Sendable, Codable {
    public var serial: UnitSerial
    public var release: ReleaseID
    public var patient: PatientID
    public var drug: Drug
    public var route: Route
    public var strengthMg: Int
    public var rule: CloseOutRule
    public var issuedAt: Moment
    /// Boot-clock deadline for close-out (wall deadline kept for the register).
    public var deadline: Moment
    public var state: UnitState
    public var closedAt: Moment?

    public init(serial: UnitSerial, release: ReleaseID, patient: PatientID, drug: Drug, route: Route, strengthMg: Int,
                rule: CloseOutRule, issuedAt: Moment, deadline: Moment, state: UnitState = .open, closedAt: Moment? = nil) {
        self.serial = serial
        self.release = release
        self.patient = patient
        self.drug = drug
        self.route = route
        self.strengthMg = strengthMg
        self.rule = rule
        self.issuedAt = issuedAt
        self.deadline = deadline
        self.state = state
        self.closedAt = closedAt
    }
}

/// Counts of one day and drug: the reconciliation line.
public struct Reconciliation: Hashable, Sendable, Codable {
    public var issued = 0
    public var returned = 0
    public var consumed = 0
    public var open = 0
    public var incidents = 0

    public init() {}

    /// I5: issued = returned + witnessed + open + incidents.
    public var balances: Bool { issued == returned + consumed + open + incidents }
}

/// Why a scan or close-out could not be booked normally.
public enum LedgerAnomaly: String, Error, Hashable, Sendable, Codable {
    case unknownSerial = "unknown-serial"
    case alreadyClosed = "already-closed"
    case alreadyIssued = "already-issued"
    case wrongCloseOutRule = "wrong-close-out-rule"
    case anotherPatientsUnit = "another-patients-unit"
    case lateReturn = "late-return"
    /// An issue scan of a unit whose drug, route or strength does not match the release, or
    /// one unit more than the release's count.
    case unitMismatch = "unit-mismatch"
    /// An issue scan of a unit past its expiry date: it stays in stock, to be wasted (issue #11).
    case expired
    /// An issue scan of a unit whose batch was never recorded (issue #11).
    case unknownBatch = "unknown-batch"
    /// An issue scan while the lock is energised but the door has not opened yet: refused, the
    /// unit cannot have come out of the cabinet for this release (issue 18.6).
    case scanBeforeDoorOpen = "scan-before-door-open"
    /// A return-scanner read the daemon did not live to decide (issue 18.12) that recovery
    /// could not book as an issue on a release in flight: for the pharmacist to account for.
    case scanUndecidedAtRestart = "scan-undecided-at-restart"
}

/// The unit ledger: every unit from issue to close-out.
public struct UnitLedger: Hashable, Sendable, Codable {
    public private(set) var units: [UnitSerial: IssuedUnit] = [:]
    /// Incrementally kept counters per (clinic day of issue, drug); must agree with `units`.
    public private(set) var counters: [LedgerKey: Reconciliation] = [:]
    public var calendar: ClinicCalendar

    public struct LedgerKey: Hashable, Sendable, Codable, Comparable {
        public var day: Int64
        public var drug: Drug
        public init(day: Int64, drug: Drug) { self.day = day; self.drug = drug }
        public static func < (a: Self, b: Self) -> Bool { (a.day, a.drug.rawValue) < (b.day, b.drug.rawValue) }
    }

    public init(calendar: ClinicCalendar = ClinicCalendar()) { self.calendar = calendar }

    /// Rebuilds a ledger from stored units (recovery): open units resume their deadlines.
    public init(units: [IssuedUnit], calendar: ClinicCalendar) {
        self.calendar = calendar
        for unit in units {
            self.units[unit.serial] = unit
            bump(unit, unit.state, +1)
            counters[key(unit), default: Reconciliation()].issued += 1
        }
    }

    private func key(_ unit: IssuedUnit) -> LedgerKey { LedgerKey(day: calendar.day(of: unit.issuedAt), drug: unit.drug) }

    private mutating func bump(_ unit: IssuedUnit, _ state: UnitState, _ delta: Int) {
        let k = key(unit)
        var r = counters[k] ?? Reconciliation()
        switch state {
        case .open: r.open += delta
        case .returned: r.returned += delta
        case .consumed: r.consumed += delta
        case .incident: r.incidents += delta
        }
        counters[k] = r
    }

    private mutating func move(_ serial: UnitSerial, to state: UnitState, at: Moment) {
        guard var unit = units[serial] else { return }
        bump(unit, unit.state, -1)
        unit.state = state
        unit.closedAt = at
        bump(unit, state, +1)
        units[serial] = unit
    }

    public func unit(_ serial: UnitSerial) -> IssuedUnit? { units[serial] }

    public var openUnits: [IssuedUnit] {
        units.values.filter { $0.state == .open }.sorted { ($0.deadline.bootMillis, $0.serial) < ($1.deadline.bootMillis, $1.serial) }
    }

    public func openUnits(of patient: PatientID) -> [IssuedUnit] { openUnits.filter { $0.patient == patient } }

    /// Whether any unit of `release` is still open.
    public func hasOpenUnits(of release: ReleaseID) -> Bool {
        units.values.contains { $0.release == release && $0.state == .open }
    }

    /// Books an issue scan. A serial seen before is an anomaly (ARCHITECTURE §4a).
    public mutating func issue(_ unit: IssuedUnit) -> LedgerAnomaly? {
        if units[unit.serial] != nil { return .alreadyIssued }
        var u = unit
        u.state = .open
        u.closedAt = nil
        units[u.serial] = u
        counters[key(u), default: Reconciliation()].issued += 1
        bump(u, .open, +1)
        return nil
    }

    /// Takes back the issue of an open unit that the store refused to record (issue 19.4): the
    /// ledger follows the register, which never issued it. Nil when the unit is not open here.
    public mutating func withdrawIssue(_ serial: UnitSerial) -> IssuedUnit? {
        guard let unit = units[serial], unit.state == .open else { return nil }
        bump(unit, .open, -1)
        counters[key(unit), default: Reconciliation()].issued -= 1
        units[serial] = nil
        return unit
    }

    /// Books a unit entered late (a downtime's late entry) in the state the paper register gives,
    /// open or already closed. A serial seen before is an anomaly, as for an issue scan.
    public mutating func bookLate(_ unit: IssuedUnit) -> LedgerAnomaly? {
        if units[unit.serial] != nil { return .alreadyIssued }
        units[unit.serial] = unit
        counters[key(unit), default: Reconciliation()].issued += 1
        bump(unit, unit.state, +1)
        return nil
    }

    /// Books a return through scanner and beam.
    public mutating func bookReturn(_ serial: UnitSerial, at: Moment) -> Result<IssuedUnit, LedgerAnomaly> {
        guard let unit = units[serial] else { return .failure(.unknownSerial) }
        switch unit.state {
        case .open:
            move(serial, to: .returned, at: at)
            return .success(units[serial]!)
        case .incident: return .failure(.lateReturn)
        case .returned, .consumed: return .failure(.alreadyClosed)
        }
    }

    /// Books a witnessed consumption.
    public mutating func bookConsumed(_ serial: UnitSerial, at: Moment) -> Result<IssuedUnit, LedgerAnomaly> {
        guard let unit = units[serial] else { return .failure(.unknownSerial) }
        guard unit.state == .open else { return .failure(unit.state == .incident ? .lateReturn : .alreadyClosed) }
        guard unit.rule == .witnessed else { return .failure(.wrongCloseOutRule) }
        move(serial, to: .consumed, at: at)
        return .success(units[serial]!)
    }

    /// Units whose deadline has passed become incidents. Returns them.
    public mutating func expire(now: Moment) -> [IssuedUnit] {
        let due = openUnits.filter { isPast($0.deadline, now) }
        for unit in due { move(unit.serial, to: .incident, at: now) }
        return due.map { units[$0.serial]! }
    }

    /// Deadline check on the boot clock within a boot, on the wall clock across boots.
    func isPast(_ deadline: Moment, _ now: Moment) -> Bool {
        deadline.bootID == now.bootID ? now.bootMillis >= deadline.bootMillis : now.wallMillis >= deadline.wallMillis
    }

    /// Reconciliation of one day and drug, recomputed from the unit states.
    public func reconcile(day: Int64, drug: Drug) -> Reconciliation {
        var r = Reconciliation()
        for unit in units.values where unit.drug == drug && calendar.day(of: unit.issuedAt) == day {
            r.issued += 1
            switch unit.state {
            case .open: r.open += 1
            case .returned: r.returned += 1
            case .consumed: r.consumed += 1
            case .incident: r.incidents += 1
            }
        }
        return r
    }

    /// True when the incremental counters agree with the unit states and every line balances.
    public var isConsistent: Bool {
        counters.allSatisfy { key, r in r.balances && r == reconcile(day: key.day, drug: key.drug) }
    }
}
