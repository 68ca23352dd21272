/// Stock control the way a pharmacist runs it (issue #11): witnessed receipt and waste, blind
/// counts, discrepancies that freeze releases and escalate, and the break-glass override.
/// Pure rules: every check returns *every* failed rule as values; the daemon and the store act.

/// Every failed rule of a refused stock action (never just the first).
public struct StockRefused: Error, Hashable, Sendable, CustomStringConvertible {
    public var refusals: [Refusal]

    public init(_ refusals: [Refusal]) { self.refusals = refusals }

    public var description: String { refusals.map(\.description).joined(separator: "; ") }
}

/// Days of the week, for business days.
public enum Weekday: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case mon, tue, wed, thu, fri, sat, sun

    /// The weekday of a clinic day number (1970-01-01 was a Thursday).
    public init(day: Int64) {
        self = Weekday.allCases[Int(floorMod(day + 3, 7))]
    }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What an open discrepancy freezes.
public enum FreezeScope: String, Hashable, Sendable, Codable, CaseIterable {
    /// Releases of the discrepancy's drug (every route and strength of it).
    case drug
    /// Every release from the cabinet.
    case cabinet
}

// MARK: - Receipt, release, waste

public enum StockRules {
    /// Loading: every unit with a serial, a positive strength, a batch and an expiry date that has
    /// not passed (`today` in clinic days). All or nothing.
    public static func receipt(_ units: [StockUnit], today: Int64) -> [Refusal] {
        var out: [Refusal] = []
        if units.isEmpty { out.append(Refusal(.badUnit, "a receipt needs at least one unit")) }
        var seen = Set<UnitSerial>()
        for u in units {
            if u.serial.rawValue.isEmpty || u.serial.rawValue.count > 64 { out.append(Refusal(.badUnit, "a serial must be 1-64 characters")) }
            if !seen.insert(u.serial).inserted { out.append(Refusal(.badUnit, "serial \(u.serial) appears twice")) }
            if u.strengthMg <= 0 { out.append(Refusal(.badUnit, "unit \(u.serial): strength must be positive")) }
            if let why = Formulary.problem(u.drug, u.route) { out.append(Refusal(.badUnit, "unit \(u.serial): \(why)")) }
            guard let batch = u.batch, !batch.isEmpty, batch.count <= 64 else {
                out.append(Refusal(.missingBatch, "unit \(u.serial): a batch (1-64 characters) is required"))
                continue
            }
            guard let expiry = u.expiry, let day = parseDay(expiry) else {
                out.append(Refusal(.badExpiry, "unit \(u.serial): expiry must be a date YYYY-MM-DD"))
                continue
            }
            if day < today { out.append(Refusal(.expired, "unit \(u.serial) of batch \(batch) expired on \(expiry)")) }
        }
        return out
    }

    /// Whether a unit in stock may leave on a release `today`: an expired or unknown-batch unit
    /// never does.
    public static func releasable(_ unit: StockUnit, today: Int64) -> LedgerAnomaly? {
        guard let batch = unit.batch, !batch.isEmpty else { return .unknownBatch }
        guard let expiry = unit.expiry, let day = parseDay(expiry), day >= today else { return .expired }
        return nil
    }
}

/// Why a unit or a dose was destroyed.
public enum WasteReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// A unit broken in the cabinet or while handling it.
    case broken
    /// A unit past its expiry date, destroyed from stock.
    case expired
    /// A dose drawn for a release but not given.
    case notGiven = "not-given"
    /// What is left when the units drawn exceed the dose.
    case residue
    case other

    /// Whether this waste belongs to a release (the unit already left stock on it).
    public var needsRelease: Bool { self == .notGiven || self == .residue }

    /// The category of a register reason (`WasteRequest.reasonText`, "category: note").
    public init?(reasonText: String) {
        self.init(rawValue: String(reasonText.prefix { $0 != ":" }))
    }
}

/// A witnessed waste before it is written: who, witness, what, how much and why.
public struct WasteRequest: Hashable, Sendable {
    public var serial: UnitSerial?
    public var release: ReleaseID?
    public var mg: Int
    public var reason: WasteReason
    public var note: String
    public var by: StaffID
    public var witness: StaffID

    public init(serial: UnitSerial?, release: ReleaseID?, mg: Int, reason: WasteReason, note: String, by: StaffID, witness: StaffID) {
        self.serial = serial
        self.release = release
        self.mg = mg
        self.reason = reason
        self.note = note
        self.by = by
        self.witness = witness
    }

    /// The shape of the request: a unit from stock (broken, expired, other) names its serial and
    /// no release; a dose drawn but not given, or residue, names its release.
    public func problems() -> [Refusal] {
        var out: [Refusal] = []
        if mg <= 0 || mg > 100_000 { out.append(Refusal(.badQuantity, "mg must be 1-100000")) }
        if reason.needsRelease && release == nil {
            out.append(Refusal(.wasteShape, "\(reason.rawValue) waste names the release the dose was drawn for"))
        }
        if !reason.needsRelease && release != nil {
            out.append(Refusal(.wasteShape, "\(reason.rawValue) waste is of a unit in stock; do not name a release"))
        }
        if !reason.needsRelease && serial == nil {
            out.append(Refusal(.wasteShape, "\(reason.rawValue) waste names the unit destroyed"))
        }
        if by == witness { out.append(Refusal(.samePerson, "waste needs a witness other than \(by)")) }
        if reason == .other && note.isEmpty { out.append(Refusal(.noReason, "waste for 'other' reasons needs a note")) }
        return out
    }

    /// The register's reason text: category, then the note.
    public var reasonText: String { note.isEmpty ? reason.rawValue : "\(reason.rawValue): \(note)" }
}

// MARK: - Blind counts

/// A blind count in progress: which kinds to count, never the expected figures.
public struct CountSheet: Hashable, Sendable, Codable {
    public var id: String
    public var kinds: [StockKind]
    public var by: StaffID
    public var witness: StaffID
    public var startedAt: Moment

    public init(id: String, kinds: [StockKind], by: StaffID, witness: StaffID, startedAt: Moment) {
        self.id = id
        self.kinds = kinds
        self.by = by
        self.witness = witness
        self.startedAt = startedAt
    }
}

/// One kind's expected and counted figures, after the count was entered.
public struct CountLine: Hashable, Sendable, Codable {
    public var kind: StockKind
    public var expected: Int
    public var counted: Int

    public init(kind: StockKind, expected: Int, counted: Int) {
        self.kind = kind
        self.expected = expected
        self.counted = counted
    }

    public var matches: Bool { expected == counted }
}

public enum BlindCount {
    /// Starts a count by two staff members over every kind the cabinet ever held (a kind expected
    /// to be empty is counted too: the counters must not learn which figure is expected), except
    /// the kinds with an open discrepancy (`unresolved`): counting those again would open a
    /// second discrepancy for the same shortfall, which could then be written off twice. They
    /// are counted again once the discrepancy is resolved.
    /// A count does not start while a release is open (`releaseOpen`): its units may still leave.
    public static func start(id: String, kinds: Set<StockKind>, unresolved: Set<StockKind> = [], releaseOpen: String? = nil,
                             by: Staff, witness: Staff, at: Moment) -> Result<CountSheet, StockRefused> {
        var out = TwoPerson.check(by, witness, action: "a blind count")
        if let releaseOpen {
            out.append(Refusal(.releaseOpen, "release \(releaseOpen) is open: count once it is complete (its units may still leave)"))
        }
        let countable = kinds.subtracting(unresolved)
        if kinds.isEmpty {
            out.append(Refusal(.unknownKind, "the cabinet has never held stock: nothing to count"))
        } else if countable.isEmpty {
            out.append(Refusal(.discrepancyOpen, "every kind has an open discrepancy (\(unresolved.sorted().map(\.key).joined(separator: ", "))): resolve it before counting again"))
        }
        guard out.isEmpty else { return .failure(StockRefused(out)) }
        return .success(CountSheet(id: id, kinds: countable.sorted(), by: by.id, witness: witness.id, startedAt: at))
    }

    /// Cancelling a count nobody will finish: two staff members (any two, the counters or not)
    /// and a reason. Nothing is compared; stock may move again and a new count may start.
    public static func cancel(_ sheet: CountSheet?, id: String, reason: String, by: Staff, witness: Staff) -> [Refusal] {
        var out = TwoPerson.check(by, witness, action: "cancelling a blind count")
        if sheet?.id != id { out.append(Refusal(.countNotOpen, "no open count \(id)")) }
        if reason.isEmpty { out.append(Refusal(.noReason, "cancelling a count needs a reason")) }
        return out
    }

    /// A count open longer than the count grace: somebody walked away from it.
    public static func abandoned(_ sheet: CountSheet, now: Moment, policy: ClinicPolicy) -> Bool {
        now.millisSince(sheet.startedAt) >= Int64(policy.countGraceMinutes) * 60_000
    }

    /// What an open count refuses: stock does not move while it is counted (receipt, waste
    /// from stock, loss write-off), so the figure the ledger expects cannot change under the
    /// counters' hands. Releases wait too (`RefusalReason.countInProgress`).
    public static func frozenByCount(_ sheet: CountSheet?, action: String) -> [Refusal] {
        guard let sheet else { return [] }
        return [Refusal(.countInProgress, "blind count \(sheet.id) is open (started by \(sheet.by) and \(sheet.witness)): \(action) waits until it is entered or cancelled")]
    }

    /// Compares what the two counters entered with the ledger. The same two people who started
    /// the count enter it, with a figure for every kind on the sheet and no other.
    public static func compare(_ sheet: CountSheet, entered: [StockKind: Int], expected: [StockKind: Int],
                               by: StaffID, witness: StaffID) -> Result<[CountLine], StockRefused> {
        var out: [Refusal] = []
        if Set([by, witness]) != Set([sheet.by, sheet.witness]) || by == witness {
            out.append(Refusal(.notTheCounters, "count \(sheet.id) was started by \(sheet.by) and \(sheet.witness); they enter it"))
        }
        let missing = sheet.kinds.filter { entered[$0] == nil }
        if !missing.isEmpty {
            out.append(Refusal(.countIncomplete, "no figure for \(missing.map(\.key).joined(separator: ", "))"))
        }
        let unknown = entered.keys.filter { !sheet.kinds.contains($0) }.sorted()
        if !unknown.isEmpty {
            out.append(Refusal(.unknownKind, "\(unknown.map(\.key).joined(separator: ", ")) not on the count sheet"))
        }
        for (kind, n) in entered.sorted(by: { $0.key < $1.key }) where n < 0 || n > 100_000 {
            out.append(Refusal(.badQuantity, "\(kind.key): a count must be 0-100000"))
        }
        guard out.isEmpty else { return .failure(StockRefused(out)) }
        return .success(sheet.kinds.map { CountLine(kind: $0, expected: expected[$0] ?? 0, counted: entered[$0]!) })
    }
}

/// When blind counts are due: at each configured time (default each shift change).
public enum CountSchedule {
    /// Wall time of the latest scheduled count at or before `now` (looking back two days).
    public static func lastDue(now: Moment, policy: ClinicPolicy) -> Int64? {
        let cal = policy.calendar
        let today = cal.day(of: now)
        var best: Int64?
        for day in [today, today - 1, today - 2] {
            for minute in policy.countTimes {
                let wall = cal.wallMillis(day: day, minute: minute)
                if wall <= now.wallMillis, best.map({ wall > $0 }) ?? true { best = wall }
            }
        }
        return best
    }

    /// The due time of a count that is overdue: the latest due time whose grace has passed, if no
    /// count was entered since it. Not just the latest due time: within the grace of the 23:00
    /// count, the 15:00 count that nobody made is still overdue (a daemon that was down, or a
    /// clock moved on, must not see "nothing overdue" then).
    public static func overdue(now: Moment, lastCountWall: Int64?, policy: ClinicPolicy) -> Int64? {
        let grace = Int64(policy.countGraceMinutes) * 60_000
        guard let due = lastDue(now: now.advanced(byMillis: -grace), policy: policy) else { return nil }
        if let last = lastCountWall, last >= due { return nil }
        return due
    }

    /// The next wall time at which a count may become overdue (for the daemon's timer).
    public static func nextCheck(after now: Moment, policy: ClinicPolicy) -> Int64? {
        let cal = policy.calendar
        let today = cal.day(of: now)
        let grace = Int64(policy.countGraceMinutes) * 60_000
        return [today - 1, today, today + 1].flatMap { day in policy.countTimes.map { cal.wallMillis(day: day, minute: $0) + grace } }
            .filter { $0 > now.wallMillis }.min()
    }
}

// MARK: - Discrepancies

/// How two people resolve a discrepancy.
public enum DiscrepancyResolution: String, Hashable, Sendable, Codable, CaseIterable {
    /// The count was wrong; a recount agrees with the ledger.
    case miscount
    /// The difference is a waste already on the record.
    case documentedWaste = "documented-waste"
    /// The missing units were found.
    case found
    /// The units are gone: written off.
    case loss
    /// The units are gone and theft is suspected: written off, and to be reported.
    case suspectedTheft = "suspected-theft"

    /// Whether the named missing units leave the stock register as lost.
    public var writesOff: Bool { self == .loss || self == .suspectedTheft }
}

public enum DiscrepancyState: String, Hashable, Sendable, Codable {
    case open, resolved
}

/// A blind count that did not match the ledger for one kind.
public struct Discrepancy: Hashable, Sendable, Codable {
    public var id: String
    public var countID: String
    public var kind: StockKind
    public var expected: Int
    public var counted: Int
    public var openedAt: Moment
    /// End of the next business day after discovery (wall clock): escalation is due then.
    public var escalateAtWall: Int64
    public var escalatedAtWall: Int64?
    public var state: DiscrepancyState
    public var resolution: DiscrepancyResolution?

    public init(id: String, countID: String, kind: StockKind, expected: Int, counted: Int, openedAt: Moment,
                escalateAtWall: Int64, escalatedAtWall: Int64? = nil, state: DiscrepancyState = .open,
                resolution: DiscrepancyResolution? = nil) {
        self.id = id
        self.countID = countID
        self.kind = kind
        self.expected = expected
        self.counted = counted
        self.openedAt = openedAt
        self.escalateAtWall = escalateAtWall
        self.escalatedAtWall = escalatedAtWall
        self.state = state
        self.resolution = resolution
    }

    /// Units missing (negative: more counted than expected).
    public var shortfall: Int { expected - counted }
}

public enum DiscrepancyRules {
    /// One discrepancy per kind whose count did not match; ids come in as values.
    public static func open(_ lines: [CountLine], countID: String, at: Moment, policy: ClinicPolicy,
                            id: (Int) -> String) -> [Discrepancy] {
        let deadline = escalationDeadline(discoveredAt: at, policy: policy)
        return lines.filter { !$0.matches }.enumerated().map { i, line in
            Discrepancy(id: id(i + 1), countID: countID, kind: line.kind, expected: line.expected, counted: line.counted,
                        openedAt: at, escalateAtWall: deadline)
        }
    }

    /// End (local midnight) of the first business day after the day of discovery.
    public static func escalationDeadline(discoveredAt: Moment, policy: ClinicPolicy) -> Int64 {
        let cal = policy.calendar
        var day = cal.day(of: discoveredAt) + 1
        // `validationErrors` guarantees a business day; the bound keeps a bad policy from looping.
        for _ in 0..<7 where !policy.businessDays.contains(Weekday(day: day)) { day += 1 }
        return cal.wallMillis(day: day + 1, minute: 0)
    }

    /// Two people resolve with a reason; a loss or suspected theft names exactly the missing
    /// units (`writeOff`, as the stock register has them), which must be of the kind and in stock.
    public static func resolve(_ d: Discrepancy, resolution: DiscrepancyResolution, note: String, by: Staff, witness: Staff,
                               writeOff: [StockUnit], inStock: Set<UnitSerial>) -> [Refusal] {
        var out = TwoPerson.check(by, witness, action: "resolving a discrepancy")
        if d.state != .open { out.append(Refusal(.discrepancyNotOpen, "discrepancy \(d.id) is already resolved")) }
        if note.isEmpty { out.append(Refusal(.noReason, "a resolution needs a note saying what was found")) }
        if resolution.writesOff {
            if d.shortfall <= 0 {
                out.append(Refusal(.writeOffMismatch, "\(d.id) counted \(d.counted), expected \(d.expected): nothing is missing to write off"))
            } else if writeOff.count != d.shortfall {
                out.append(Refusal(.writeOffMismatch, "\(d.id) is \(d.shortfall) unit(s) short: name exactly \(d.shortfall) missing serial(s), not \(writeOff.count)"))
            }
            if Set(writeOff.map(\.serial)).count != writeOff.count {
                out.append(Refusal(.writeOffMismatch, "a serial is named twice"))
            }
            for u in writeOff where u.kind != d.kind || !inStock.contains(u.serial) {
                out.append(Refusal(.writeOffMismatch, "unit \(u.serial) is not a \(d.kind.key) unit in stock"))
            }
        } else if !writeOff.isEmpty {
            out.append(Refusal(.writeOffMismatch, "only a loss or suspected theft writes units off"))
        }
        return out
    }

    /// The discrepancies whose escalation is due now.
    public static func dueForEscalation(_ open: [Discrepancy], now: Moment) -> [Discrepancy] {
        open.filter { $0.state == .open && $0.escalatedAtWall == nil && now.wallMillis >= $0.escalateAtWall }
    }

    /// The freeze an open discrepancy puts on a release of `drug` (nil `drug`: before the drug is known).
    public static func freeze(drug: Drug?, open: [Discrepancy], scope: FreezeScope) -> Refusal? {
        let relevant = open.filter { $0.state == .open && (scope == .cabinet || $0.kind.drug == drug) }
        guard let first = relevant.first, scope == .cabinet || drug != nil else { return nil }
        let ids = relevant.map(\.id).joined(separator: ", ")
        let what = scope == .cabinet ? "the whole cabinet" : "\(first.kind.drug.rawValue)"
        return Refusal(.discrepancyFreeze, "releases of \(what) are frozen until discrepancy \(ids) is resolved by two staff members")
    }
}

// MARK: - Break-glass override

public enum OverrideState: String, Hashable, Sendable, Codable {
    /// Within its window: may release what it names (once), alarm output on.
    case open
    /// Closed by staff before its window ended.
    case closed
    /// Its window ended.
    case expired
}

/// A break-glass override: two staff members, one an admin, stand in for the prescription check
/// for one named dose, for a bounded window (ARCHITECTURE §4a: every other rule still applies).
public struct Override: Hashable, Sendable, Codable {
    public var id: String
    public var patient: PatientID
    public var drug: Drug
    public var route: Route
    public var doseMg: Int
    public var reason: String
    public var openedBy: StaffID
    public var secondBy: StaffID
    public var openedAt: Moment
    public var expiresAt: Moment
    public var state: OverrideState
    /// The release made under it (it releases what it names once).
    public var usedBy: ReleaseID?
    public var reviewedBy: StaffID?

    public init(id: String, patient: PatientID, drug: Drug, route: Route, doseMg: Int, reason: String, openedBy: StaffID,
                secondBy: StaffID, openedAt: Moment, expiresAt: Moment, state: OverrideState = .open,
                usedBy: ReleaseID? = nil, reviewedBy: StaffID? = nil) {
        self.id = id
        self.patient = patient
        self.drug = drug
        self.route = route
        self.doseMg = doseMg
        self.reason = reason
        self.openedBy = openedBy
        self.secondBy = secondBy
        self.openedAt = openedAt
        self.expiresAt = expiresAt
        self.state = state
        self.usedBy = usedBy
        self.reviewedBy = reviewedBy
    }

    /// The window has ended (boot clock within a boot, wall clock across boots).
    public func windowOver(at now: Moment) -> Bool {
        expiresAt.bootID == now.bootID ? now.bootMillis >= expiresAt.bootMillis : now.wallMillis >= expiresAt.wallMillis
    }

    /// May release its dose now.
    public func usable(at now: Moment) -> Bool { state == .open && usedBy == nil && !windowOver(at: now) }
}

public enum OverrideRules {
    /// Opening: two different staff members, one of them an admin, a reason, a window within
    /// the clinic's limit, and a dose the clinic ceiling allows.
    public static func open(id: String, patient: PatientID, drug: Drug, route: Route, doseMg: Int, minutes: Int, reason: String,
                            by: Staff, second: Staff, at: Moment, policy: ClinicPolicy) -> Result<Override, StockRefused> {
        var out = TwoPerson.check(by, second, action: "a break-glass override", needsAdmin: true)
        if reason.isEmpty { out.append(Refusal(.noReason, "an override needs a reason")) }
        if !(1...policy.overrideMaxMinutes).contains(minutes) {
            out.append(Refusal(.overrideWindow, "the window must be 1-\(policy.overrideMaxMinutes) minutes"))
        }
        if doseMg <= 0 || doseMg > policy.ceiling(for: drug) {
            out.append(Refusal(.badQuantity, "dose must be 1-\(policy.ceiling(for: drug)) mg \(drug.rawValue)"))
        }
        if let why = Formulary.problem(drug, route) { out.append(Refusal(.overrideShape, why)) }
        if patient.rawValue.isEmpty { out.append(Refusal(.overrideShape, "an override names its patient")) }
        if PeopleRules.isPatient(by, patient) || PeopleRules.isPatient(second, patient) {
            out.append(Refusal(.overrideShape, "nobody opens an override for themselves"))
        }
        guard out.isEmpty else { return .failure(StockRefused(out)) }
        return .success(Override(id: id, patient: patient, drug: drug, route: route, doseMg: doseMg, reason: reason,
                                 openedBy: by.id, secondBy: second.id, openedAt: at,
                                 expiresAt: at.advanced(byMillis: Int64(minutes) * 60_000)))
    }

    /// Closing early: any staff member with badge + PIN (closing is always safe).
    public static func close(_ o: Override) -> [Refusal] {
        o.state == .open ? [] : [Refusal(.overrideNotOpen, "override \(o.id) is already \(o.state.rawValue)")]
    }

    /// Sign-off by a second admin: an admin who did not open it, once it is no longer open.
    public static func review(_ o: Override, by: Staff) -> [Refusal] {
        var out: [Refusal] = []
        if by.role != .admin { out.append(Refusal(.needsAdmin, "an override is reviewed by an admin; \(by.id) is \(by.role.rawValue)")) }
        if by.id == o.openedBy || by.id == o.secondBy {
            out.append(Refusal(.reviewerOpened, "\(by.id) opened override \(o.id); a second admin reviews it"))
        }
        if o.state == .open { out.append(Refusal(.overrideStillOpen, "override \(o.id) is still open: close it or let it expire first")) }
        if let r = o.reviewedBy { out.append(Refusal(.alreadyReviewed, "override \(o.id) was reviewed by \(r)")) }
        return out
    }

    /// The patient's newest prescription for the override's drug, valid or not: the override
    /// replaces only the check that a valid prescription exists, so its other terms still bind.
    public static func basis(_ o: Override, among prescriptions: [Prescription]) -> Prescription? {
        prescriptions.filter { $0.patient == o.patient && $0.drug == o.drug }
            .max { a, b in
                let fa = a.validDays?.lowerBound ?? .min, fb = b.validDays?.lowerBound ?? .min
                return fa != fb ? fa < fb : a.version < b.version
            }
    }

    /// The prescription the override stands in for: the dose, route and validity it names; the
    /// titration flag, interval and session cap of the patient's newest prescription for the drug
    /// (`basis`), or with none the strictest: titrating, the clinic's interval, one session per
    /// dosing window.
    public static func prescription(_ o: Override, basis: Prescription?, policy: ClinicPolicy) -> Prescription {
        let cal = policy.calendar
        return Prescription(id: o.id, version: 1, patient: o.patient, drug: o.drug, route: o.route, doseMg: o.doseMg,
                            maxSessionsPerDay: basis?.maxSessionsPerDay ?? max(1, min(6, policy.windows.count)),
                            minIntervalMinutes: basis?.minIntervalMinutes ?? policy.minIntervalMinutes,
                            validFrom: cal.dateString(day: cal.day(of: o.openedAt)),
                            validUntil: cal.dateString(day: cal.day(of: o.expiresAt)),
                            prescriber: "override:\(o.openedBy)+\(o.secondBy)", titrating: basis?.titrating ?? true)
    }
}
