import DoseCabCore
import DoseCabStore

/// What two staff members say about a dose given during a mechanical-key downtime.
public struct LateEntryRequest: Sendable {
    public var patient: PatientID
    public var drug: Drug
    public var route: Route
    public var serials: [UnitSerial]
    /// When the dose was given, from the paper register (wall millis).
    public var givenWall: Int64
    public var outcome: LateOutcome
    public var note: String
    public var by: Staff
    public var witness: Staff
}

/// Every failed rule of a refused late entry or downtime close.
public struct DowntimeRefused: Error, Sendable, CustomStringConvertible {
    public var refusals: [Refusal]
    public var description: String { "refused: " + refusals.map(\.description).joined(separator: "; ") }
}

/// Downtime in the daemon (ARCHITECTURE §4a): late entries and the close, on this actor, so the
/// rules see the same store the write does and the records reach the journal in chain order.
extension CabinetDriver {
    /// Books a late entry: the core's rules, then one store transaction (release, units and their
    /// close-out, and a hold when units are missing), then the cabinet's ledger and holds.
    public func recordLateEntry(_ r: LateEntryRequest) throws -> (LateEntry, [AuditRecord]) {
        let now = clock.now()
        let policy = config.policy
        let open = try store.openDowntimes()
        // The downtime whose window holds the time given; else the oldest, for the refusal.
        let downtime = open.last { $0.contains(wall: r.givenWall) } ?? open.first
        let inStock = try r.serials.compactMap { try store.stockUnit(serial: $0) }.filter { $0.state == .inStock }.map(\.unit)
        // The prescription in force when the dose was given (one cancelled or replaced since counts).
        // The paper gives a minute: anything imported by the end of that minute was in force.
        let prescriptions = try store.prescriptionsInForce(for: r.patient, atWall: r.givenWall + 59_999)
        let problems = DowntimeRules.lateEntryProblems(
            downtime: downtime, patient: r.patient, serials: r.serials, inStock: inStock, drug: r.drug, route: r.route,
            givenWall: r.givenWall, outcome: r.outcome, prescriptions: prescriptions, policy: policy, by: r.by,
            witness: r.witness, note: r.note, countOpen: try store.openCount() != nil)
        guard problems.isEmpty, let downtime else { throw DowntimeRefused(refusals: problems) }
        let date = policy.calendar.dateString(day: policy.calendar.day(ofWallMillis: r.givenWall))
        // The newest version valid that day (the rules above made sure there is one).
        let prescription = prescriptions.filter { $0.drug == r.drug && $0.route == r.route && $0.validFrom <= date && date <= $0.validUntil }
            .max { ($0.version, $0.id) < ($1.version, $1.id) }!
        let byStock = Dictionary(inStock.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        // The time given, on this boot's clocks: wall time from paper, the boot clock moved back
        // by the same amount (so intervals to it are measured as for any other release).
        let givenAt = Moment(wallMillis: r.givenWall, bootMillis: now.bootMillis - (now.wallMillis - r.givenWall), bootID: now.bootID)
        let entry = LateEntry(release: newReleaseID(givenAt), patient: r.patient, prescription: prescription,
                              units: r.serials.map { byStock[$0]! }, givenAt: givenAt, outcome: r.outcome,
                              closeOut: policy.closeOutPolicy(for: r.route), by: r.by.id, witness: r.witness.id, note: r.note,
                              downtimeSeq: downtime.alarmSeq, enteredAt: now)
        let records = try commitForRequest(entry.writes)
        apply(.lateEntryBooked(entry))
        stockTick()
        return (entry, records)
    }

    /// Closes every open downtime: the two staff members have entered everything taken.
    public func closeDowntimes(note: String, by: Staff, witness: Staff) throws -> [AuditRecord] {
        let now = clock.now()
        let open = try store.openDowntimes()
        let problems = DowntimeRules.closeProblems(downtime: open.first, by: by, witness: witness, note: note)
        guard problems.isEmpty else { throw DowntimeRefused(refusals: problems) }
        return try commitForRequest(open.map {
            .downtimeClosed(alarmSeq: $0.alarmSeq, note: note, by: by.id, witness: witness.id, at: now)
        })
    }

    /// Refusals for lifting the lockdown: none unless a late entry is still owed.
    public func lockdownLiftProblems() throws -> [Refusal] {
        DowntimeRules.lockdownLiftProblems(open: try store.openDowntimes().first,
                                           calendar: config.policy.calendar)
    }

    /// Switches lockdown on or off for the control socket; off is checked against an owed late
    /// entry in the same turn of this actor that lifts it.
    public func setLockdown(on: Bool, reason: String, by: String) throws {
        if !on {
            let owed = try lockdownLiftProblems()
            guard owed.isEmpty else { throw DowntimeRefused(refusals: owed) }
        }
        apply(.lockdown(on: on, reason: reason, by: by, at: clock.now()))
    }
}
