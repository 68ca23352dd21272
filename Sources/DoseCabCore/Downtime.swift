/// Downtime (ARCHITECTURE §4a): the cabinet was opened with the mechanical key while the daemon
/// was down. The next start finds the door open with no release in flight, raises the
/// `mechanical-key` alarm and a lockdown, and from then on a witnessed **late entry** of what was
/// taken is owed: each dose given from the cabinet during the downtime, entered from the paper
/// register by two staff members, and then the downtime closed by the same two-person rule
/// ("nothing more was taken"). The lockdown is not lifted while a late entry is owed.
///
/// A late entry books exactly what a release would have (release, units issued, their close-out
/// or incident), so the register, the unit reconciliation (I5), the stock balance and the
/// patient's history (interval, daily ceiling) all see the dose; it is one audit record
/// (`late-entry`) made at the time of entry, naming the time the paper register gives.
/// Pure rules here; the store checks again inside its transaction.

/// A mechanical-key opening that still owes its late entry (or was closed).
public struct Downtime: Hashable, Sendable, Codable {
    /// Audit sequence of the `mechanical-key` alarm: the downtime's identity.
    public var alarmSeq: Int64
    /// When the door was found open (the alarm's wall time): the downtime ended before it.
    public var foundWall: Int64
    /// Wall time of the last record of the run before the start that found the door open (the
    /// store's last record when this run opened it): the daemon was last known up then, so
    /// nothing was taken with the key before it. Nil: there was no earlier run.
    public var sinceWall: Int64?
    /// Set once two staff members closed the downtime.
    public var closedWall: Int64?

    public init(alarmSeq: Int64, foundWall: Int64, sinceWall: Int64?, closedWall: Int64? = nil) {
        self.alarmSeq = alarmSeq
        self.foundWall = foundWall
        self.sinceWall = sinceWall
        self.closedWall = closedWall
    }

    public var isOpen: Bool { closedWall == nil }

    /// Whether a dose given at `wall` falls inside the downtime. A paper register gives minutes:
    /// a dose written down as 09:14 may have been given at 09:14:50 though the daemon's last
    /// record was at 09:14:10, so the start counts from the beginning of its minute.
    public func contains(wall: Int64) -> Bool {
        wall <= foundWall && (sinceWall.map { wall >= $0 - floorMod($0, 60_000) } ?? true)
    }
}

/// What the paper register says became of the units of a dose given during the downtime.
public enum LateOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// The empty units came back and both staff members saw them.
    case returned
    /// The witness saw the dose consumed (only for a route whose close-out rule is `witnessed`).
    case consumed
    /// Not returned: an incident per unit and a hold on the patient, as after a missed deadline.
    case missing
}

/// A dose given from the cabinet during a downtime, entered late by two staff members.
public struct LateEntry: Hashable, Sendable, Codable {
    /// The release the entry books (the register's row for the dose).
    public var release: ReleaseID
    public var patient: PatientID
    public var prescription: Prescription
    /// The units taken, as the stock register knows them (all of one drug, route and strength).
    public var units: [StockUnit]
    /// When the dose was given (from the paper register), on this boot's clocks.
    public var givenAt: Moment
    public var outcome: LateOutcome
    public var closeOut: CloseOutPolicy
    /// Who enters the late entry and the second staff member who checks it against the paper.
    public var by: StaffID
    public var witness: StaffID
    /// Where the paper record is (page, book), and anything the two want on the record.
    public var note: String
    /// The downtime (mechanical-key alarm) the entry belongs to.
    public var downtimeSeq: Int64
    /// When the entry was made: the audit record's time.
    public var enteredAt: Moment

    public init(release: ReleaseID, patient: PatientID, prescription: Prescription, units: [StockUnit], givenAt: Moment,
                outcome: LateOutcome, closeOut: CloseOutPolicy, by: StaffID, witness: StaffID, note: String,
                downtimeSeq: Int64, enteredAt: Moment) {
        self.release = release
        self.patient = patient
        self.prescription = prescription
        self.units = units
        self.givenAt = givenAt
        self.outcome = outcome
        self.closeOut = closeOut
        self.by = by
        self.witness = witness
        self.note = note
        self.downtimeSeq = downtimeSeq
        self.enteredAt = enteredAt
    }

    public var doseMg: Int { units.reduce(0) { $0 + $1.strengthMg } }

    /// The release as a plan, for the register: staff, witness and prescription as on paper.
    public var plan: ReleasePlan {
        ReleasePlan(at: givenAt, patient: patient, identityMethod: "late entry from the paper register (\(note))",
                    prescriptionID: prescription.id, prescriptionVersion: prescription.version,
                    prescriber: prescription.prescriber, drug: prescription.drug, route: prescription.route,
                    doseMg: doseMg, unitStrengthMg: units.first?.strengthMg ?? 0, unitCount: units.count, residueMg: 0,
                    staff: by, witness: witness, closeOut: closeOut)
    }

    /// The units as booked: issued at `givenAt` and already closed out as the paper says.
    public var issuedUnits: [IssuedUnit] {
        let deadline = givenAt.advanced(byMillis: Int64(closeOut.deadlineMinutes) * 60_000)
        return units.map { u in
            var unit = IssuedUnit(serial: u.serial, release: release, patient: patient, drug: u.drug, route: u.route,
                                  strengthMg: u.strengthMg, rule: closeOut.rule, issuedAt: givenAt, deadline: deadline)
            switch outcome {
            case .returned: unit.state = .returned
            case .consumed: unit.state = .consumed
            case .missing: unit.state = .incident
            }
            unit.closedAt = outcome == .missing ? enteredAt : givenAt
            return unit
        }
    }

    /// The hold a `missing` outcome puts on the patient (nil otherwise).
    public var holdReason: String? {
        guard outcome == .missing else { return nil }
        return "\(units.count) unit(s) given during the downtime not returned (late entry, release \(release))"
    }

    /// Every write the entry books, in one transaction: the entry, and a hold when units are missing.
    public var writes: [LedgerWrite] {
        var out: [LedgerWrite] = [.lateEntry(self)]
        if let holdReason { out.append(.hold(patient, reason: holdReason, at: enteredAt)) }
        return out
    }
}

public enum DowntimeRules {
    /// Every failed rule of a late entry (never just the first). `inStock` holds the named units
    /// the stock register has in stock; `prescriptions` the patient's verified prescriptions;
    /// `by`/`witness` the two identified staff members.
    public static func lateEntryProblems(downtime: Downtime?, patient: PatientID, serials: [UnitSerial], inStock: [StockUnit],
                                         drug: Drug, route: Route, givenWall: Int64, outcome: LateOutcome,
                                         prescriptions: [Prescription], policy: ClinicPolicy, by: Staff, witness: Staff,
                                         note: String, countOpen: Bool) -> [Refusal] {
        var out: [Refusal] = []
        if let d = downtime, d.isOpen {
            if !d.contains(wall: givenWall) {
                let since = d.sinceWall.map { policy.calendar.civilTime(wallMillis: $0).localMinute } ?? "the first record"
                let found = policy.calendar.civilTime(wallMillis: d.foundWall).localMinute
                out.append(Refusal(.outsideDowntime, "the dose must have been given between \(since) (the daemon last up) and \(found) (door found open), local time"))
            }
        } else {
            out.append(Refusal(.noDowntime, "no mechanical-key opening awaits a late entry"))
        }
        if serials.isEmpty { out.append(Refusal(.noUnits, "name the units taken (serials from the paper register)")) }
        if Set(serials).count != serials.count { out.append(Refusal(.noUnits, "a serial is named twice")) }
        let stocked = Dictionary(inStock.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        for serial in serials where stocked[serial] == nil {
            out.append(Refusal(.unitNotInStock, "unit \(serial) is not in stock (unknown, issued, wasted or lost)"))
        }
        let units = serials.compactMap { stocked[$0] }
        for u in units {
            let problems = UnitMatch.problems(u.kind, wanted: StockKind(drug: drug, route: route, strengthMg: u.strengthMg))
            if !problems.isEmpty { out.append(Refusal(.unitMismatch, "unit \(u.serial): \(problems.joined(separator: "; "))")) }
        }
        if Set(units.map(\.strengthMg)).count > 1 {
            out.append(Refusal(.unitMismatch, "the units are of different strengths; enter each strength as its own late entry"))
        }
        let day = policy.calendar.day(ofWallMillis: givenWall)
        let date = policy.calendar.dateString(day: day)
        if !prescriptions.contains(where: { $0.patient == patient && $0.drug == drug && $0.route == route && $0.validFrom <= date && date <= $0.validUntil }) {
            out.append(Refusal(.noValidPrescription, "\(patient) has no prescription of \(drug.rawValue) (\(route.rawValue)) valid on \(date): a dose given without one goes to the clinical lead, and its units to a blind count"))
        }
        if outcome == .consumed && policy.closeOutPolicy(for: route).rule != .witnessed {
            out.append(Refusal(.wrongCloseOut, "\(route.rawValue) units close out by return; enter them as returned or missing"))
        }
        out += TwoPerson.check(by, witness, action: "a late entry", patient: patient)
        if !note.contains(where: { !$0.isWhitespace }) || note.count > 500 {
            out.append(Refusal(.noNote, "say where the paper record is (1-500 characters), e.g. \"downtime sheet 3, line 2\""))
        }
        if countOpen { out.append(Refusal(.countInProgress, "a blind count is open: stock does not move until it is entered or cancelled")) }
        return out
    }

    /// Closing a downtime: one is open, two different people, neither the patient, a note.
    public static func closeProblems(downtime: Downtime?, by: Staff, witness: Staff, note: String) -> [Refusal] {
        var out: [Refusal] = []
        if !(downtime?.isOpen ?? false) { out.append(Refusal(.noDowntime, "no mechanical-key opening awaits a late entry")) }
        out += TwoPerson.check(by, witness, action: "closing a late entry")
        if !note.contains(where: { !$0.isWhitespace }) || note.count > 500 {
            out.append(Refusal(.noNote, "say what was checked (1-500 characters), e.g. \"paper register checked: nothing more taken\""))
        }
        return out
    }

    /// The lockdown of a mechanical-key opening is lifted only once its late entry is closed.
    public static func lockdownLiftProblems(open: Downtime?, calendar: ClinicCalendar) -> [Refusal] {
        guard let d = open, d.isOpen else { return [] }
        let found = calendar.civilTime(wallMillis: d.foundWall).localMinute
        return [Refusal(.lateEntryOwed, "the cabinet was found opened with the mechanical key at \(found) (local): enter what was taken (dosecabctl late-entry add) and close the late entry (dosecabctl late-entry close) first")]
    }
}
