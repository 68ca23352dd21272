import DoseCabCore
import DoseCabHardware
import DoseCabStore
import Foundation

/// Stock control in the daemon (issue #11): what happens with time (override expiry,
/// discrepancy escalation, overdue counts), the alarm output it drives, and stock writes made
/// on behalf of the control socket, on this actor so their records reach the journal in order.
extension CabinetDriver {
    /// Runs a store write for the control socket and mirrors its records in chain order.
    /// `admin`: the caller's admin record, committed in the write's first transaction (18.11).
    public func stockWrite<T: Sendable>(admin: CompanionRecord? = nil,
                                        _ body: @Sendable (Store, Moment) throws -> (T, [AuditRecord])) throws -> T {
        try refuseWhileUnrecorded()
        let now = clock.now()
        let (value, records) = try Store.$companion.withValue(admin) { try body(store, now) }
        for record in (records + (admin?.record.map { [$0] } ?? [])).sorted(by: { $0.seq < $1.seq }) { mirror(record) }
        stockTick()
        return value
    }

    /// Records a witnessed waste for the control socket. The store refuses a `residue` waste
    /// above what the release owes; one it accepts settles the cabinet's account of the release
    /// in the same turn of this actor, so the close-outs it was holding back may follow at once.
    public func recordWaste(_ request: WasteRequest) throws(StoreError) -> AuditRecord {
        let now = clock.now()
        let record = try commitForRequest([.waste(release: request.release, serial: request.serial, mg: request.mg, by: request.by,
                                                  witness: request.witness, reason: request.reasonText, at: now)])[0]
        if request.reason == .residue, let release = request.release {
            apply(.residueWasted(release, mg: request.mg, at: now))
        }
        stockTick()
        return record
    }

    /// Ends overrides whose window is over, escalates discrepancies unresolved at the end of the
    /// next business day, warns once per count that is overdue, then sets the alarm output and
    /// arms the next of these deadlines. Rules from the core; idempotent.
    public func stockTick() {
        let now = clock.now()
        let policy = config.policy
        do {
            for o in try store.overrides() where o.state == .open && o.windowOver(at: now) {
                let what = o.usedBy.map { "released on \($0)" } ?? "nothing released"
                commit(.overrideClosed(id: o.id, reason: "window ended at \(o.expiresAt) (\(what))", by: nil, at: now))
            }
            for d in DiscrepancyRules.dueForEscalation(try store.discrepancies(), now: now) {
                commit(.discrepancyEscalated(id: d.id, kind: d.kind, at: now))
            }
            if let since = try store.countsOwedSinceWall(),
               let due = CountSchedule.overdue(now: now, lastCountWall: since, policy: policy),
               !(try store.countOverdueReported(dueWall: due)) {
                commit(.countOverdue(dueWall: due, at: now))
            }
            let overrides = try store.overrides().filter { $0.state == .open }
            let open = try store.discrepancies()
            stockAlarm = !overrides.isEmpty || open.contains { $0.escalatedAtWall != nil }
            // The next deadline, moved onto this boot's clock.
            let walls = overrides.map(\.expiresAt.wallMillis) + open.filter { $0.escalatedAtWall == nil }.map(\.escalateAtWall)
                + [CountSchedule.nextCheck(after: now, policy: policy)].compactMap { $0 }
            stockDeadlineBoot = walls.min().map { now.bootMillis + max(0, $0 - now.wallMillis) }
        } catch {
            storeProblem = error.description
            logger.error("stock control check failed: \(error)")
        }
        applyAlarmOutput()
        rearmTimers()
    }

    /// Buzzer and fault LED: a physical alarm, an open override or an escalated discrepancy.
    func applyAlarmOutput() {
        let on = cabinet.alarmActive || stockAlarm
        try? lines.set(.buzzer, active: on)
        try? lines.set(.ledFault, active: on)
    }

    /// What the dispense policy needs from stock control for `patient`.
    func stockContext(for patient: PatientID, now: Moment) throws(StoreError) -> (discrepancies: [Discrepancy], override: Override?) {
        (try store.discrepancies(), try store.usableOverride(for: patient, now: now))
    }

    /// A new identifier: prefix, clinic date, random suffix (randomness stays out of the core).
    func newStockID(_ prefix: String, _ now: Moment) -> String {
        let date = config.policy.calendar.civilTime(wallMillis: now.wallMillis).date
        return "\(prefix)-\(date.replacingOccurrences(of: "-", with: ""))-\(UUID().uuidString.prefix(6).lowercased())"
    }

    public func newID(_ prefix: String) -> String { newStockID(prefix, clock.now()) }

    /// Whether the alarm output (buzzer, fault LED) is on: a physical alarm or stock control.
    public var alarmOutputOn: Bool { cabinet.alarmActive || stockAlarm }
}
