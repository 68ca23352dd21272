import DoseCabCore
import GRDB

/// A unit serial the return scanner read, kept until the chute's window decides whether it was
/// an issue or a return (issue 18.12): a kill inside that window no longer loses the scan.
public struct PendingScan: Sendable, Hashable {
    public var serial: UnitSerial
    public var seenAt: Moment

    public init(serial: UnitSerial, seenAt: Moment) {
        self.serial = serial
        self.seenAt = seenAt
    }
}

extension Store {
    /// Makes a scan durable when it is seen, before the chute decides: one small row in one
    /// commit, no audit record (the decision is the record; recovery records what it decides
    /// for a scan the daemon did not live to decide). A serial already waiting keeps its time.
    public func recordPendingScan(_ serial: UnitSerial, at: Moment) throws(StoreError) {
        try transaction(carriesCompanion: false) { tx throws(StoreError) in
            try tx.exec("""
                INSERT OR IGNORE INTO pending_scan (serial, seen_wall, seen_boot, seen_boot_id) VALUES (?, ?, ?, ?)
                """, [serial.rawValue, at.wallMillis, at.bootMillis, at.bootID])
        }
    }

    /// The chute decided the scan (issue, return or a refusal, each with its own record).
    public func clearPendingScan(_ serial: UnitSerial) throws(StoreError) {
        try transaction(carriesCompanion: false) { tx throws(StoreError) in
            try tx.exec("DELETE FROM pending_scan WHERE serial = ?", [serial.rawValue])
        }
    }

    /// Scans still waiting for a decision, oldest first.
    public func pendingScans() throws(StoreError) -> [PendingScan] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pending_scan ORDER BY seen_wall, serial").map(Self.pendingScan)
        }
    }

    static func pendingScan(_ row: Row) -> PendingScan {
        PendingScan(serial: UnitSerial(row["serial"]), seenAt: row.moment("seen")!)
    }
}

extension Transaction {
    /// Recovery's decision for the scans the last run saw and never decided (issue 18.12),
    /// oldest first. Each is booked as an issue on `release` (the release in flight when the
    /// daemon stopped) through the store's one issue check, so the unit is out of stock and
    /// accounted; a scan that cannot be booked so (no release in flight, the unit not in stock,
    /// not matching the release) is an anomaly for the pharmacist. A scan whose decision was
    /// committed after it was seen (the daemon stopped before clearing the row) is left alone.
    mutating func decidePendingScans(release: ReleaseRow?, at now: Moment) throws(StoreError) -> (booked: [IssuedUnit], records: [AuditRecord]) {
        var booked: [IssuedUnit] = [], records: [AuditRecord] = []
        for scan in try rows("SELECT * FROM pending_scan ORDER BY seen_wall, serial").map(Store.pendingScan) {
            let serial = scan.serial
            let issued = try row("SELECT state, issued_wall, closed_wall FROM issued_unit WHERE serial = ?", [serial.rawValue])
            if let issued, (issued["issued_wall"] as Int64) >= scan.seenAt.wallMillis
                || ((issued["closed_wall"] as Int64?) ?? .min) >= scan.seenAt.wallMillis {
                continue   // decided and recorded; only the clearing was lost
            }
            var why: String
            if let release {
                let strength = try row("SELECT strength_mg FROM stock_unit WHERE serial = ?", [serial.rawValue])
                    .map { $0["strength_mg"] as Int } ?? release.plan.unitStrengthMg
                let plan = release.plan
                let unit = IssuedUnit(serial: serial, release: release.id, patient: plan.patient, drug: plan.drug, route: plan.route,
                                      strengthMg: strength, rule: plan.closeOut.rule, issuedAt: scan.seenAt,
                                      deadline: scan.seenAt.advanced(byMillis: Int64(plan.closeOut.deadlineMinutes) * 60_000))
                do {
                    records.append(try apply(.issue(unit)))
                    booked.append(unit)
                    continue
                } catch {
                    guard case .unitRefused(_, _, let detail) = error else { throw error }
                    why = "not booked on release \(release.id): \(detail)"
                }
            } else {
                why = "no release was in flight"
            }
            if let issued, (issued["state"] as String) == UnitState.open.rawValue {
                why += "; the unit is open on an earlier release (a return the chute did not see through?)"
            }
            records.append(try apply(.anomaly(.scanUndecidedAtRestart, serial: serial, patient: release?.plan.patient,
                detail: "scanned at \(scan.seenAt) just before the daemon stopped, issue or return undecided: \(why); count it", at: now)))
        }
        try exec("DELETE FROM pending_scan")
        return (booked, records)
    }
}
