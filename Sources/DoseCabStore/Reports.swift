import DoseCabCore
import Foundation
import GRDB

/// One line of the controlled-drug register: what happened, to whom, with what, by whom.
public struct RegisterEntry: Hashable, Sendable, Codable {
    /// Wall-clock time (epoch millis) and its clinic-local rendering.
    public var wallMillis: Int64
    public var time: String
    /// release, release-completed, release-interrupted, issue, return, consumed, incident, anomaly, alarm, waste;
    /// receipt, count-*, discrepancy*, ESCALATION, OVERRIDE, override-*; refusal, hold, hold-cleared,
    /// lockdown-on, lockdown-off, observation-ended, reauthorised (docs/store.md lists them).
    public var event: String
    public var release: String?
    public var patient: String?
    public var drug: String?
    public var route: String?
    /// Dose of the release, or milligrams wasted.
    public var doseMg: Int?
    public var unit: String?
    public var unitStrengthMg: Int?
    public var staff: String?
    public var witness: String?
    public var detail: String
    /// The audit record behind the line.
    public var auditSeq: Int64
    /// A refusal's reason codes (`RefusalReason` raw values, comma-separated); nil otherwise.
    public var reason: String?
}

/// One kind's stock balance in the daily register.
public struct StockBalanceLine: Hashable, Sendable, Codable {
    public var kind: StockKind
    public var balance: StockBalance
    public var balances: Bool

    public init(kind: StockKind, balance: StockBalance) {
        self.kind = kind
        self.balance = balance
        balances = balance.balances
    }
}

/// One drug's reconciliation line of a day: issued = returned + consumed + open + incidents (I5).
public struct ReconciliationLine: Hashable, Sendable, Codable {
    public var drug: Drug
    public var issued: Int
    public var returned: Int
    public var consumed: Int
    public var open: Int
    public var incidents: Int
    public var balances: Bool

    init(drug: Drug, _ r: Reconciliation) {
        self.drug = drug
        issued = r.issued
        returned = r.returned
        consumed = r.consumed
        open = r.open
        incidents = r.incidents
        balances = r.balances
    }
}

/// The reconciliation of one clinic day, per drug, over the units issued that day.
public struct ReconciliationReport: Hashable, Sendable, Codable {
    public var day: Int64
    public var date: String
    public var lines: [ReconciliationLine]

    public var balances: Bool { lines.allSatisfy(\.balances) }
}

/// The daily register: every release, issue, return, witnessed consumption, incident and waste of
/// a clinic day, its refusals, holds, lockdowns, overrides, observation clearances and
/// re-authorisations, the day's reconciliation, and the chain heads an auditor compares with the
/// off-box copy of the audit (ARCHITECTURE §4a "One box is not an archive").
public struct DailyRegister: Hashable, Sendable, Codable {
    public var day: Int64
    public var date: String
    public var entries: [RegisterEntry]
    public var reconciliation: ReconciliationReport
    /// The last audit record of the day (nil when the chain had no record by then).
    public var chainHeadAtEndOfDay: AuditChain?
    /// The chain head when the register was printed.
    public var chainHead: AuditChain
    /// Stock control (issue #11), as of printing: the balance per kind, the discrepancies still
    /// open (escalated ones marked) and the overrides no second admin has signed off yet.
    public var stockBalance: [StockBalanceLine]
    public var openDiscrepancies: [Discrepancy]
    public var overridesAwaitingReview: [Override]
    /// Releases whose residue (units drawn beyond the dose) is still to be wasted with a witness,
    /// as of printing, whatever day they were made: an open residue is never silent (§4a).
    public var openResidue: [ResidueAccount]
    /// Mechanical-key openings whose witnessed late entry is still owed, as of printing (§4a).
    public var openDowntimes: [Downtime]
    /// The clinic's time zone (tz name, or `UTC+01:00` for a fixed offset) the times are shown in.
    public var timeZone: String

    /// Every kind's stock balances.
    public var stockBalances: Bool { stockBalance.allSatisfy(\.balances) }
}

extension Store {
    /// Per drug, over the units issued on `day`: issued = returned + consumed + open + incidents.
    public func reconciliation(day: Int64) throws(StoreError) -> [Drug: Reconciliation] {
        try read { db in try Store.reconciliation(db, day: day) }
    }

    /// The reconciliation of `day` as a printable report.
    public func reconciliationReport(day: Int64) throws(StoreError) -> ReconciliationReport {
        let lines = try reconciliation(day: day)
        return ReconciliationReport(day: day, date: calendar.dateString(day: day),
                                    lines: Drug.allCases.map { ReconciliationLine(drug: $0, lines[$0] ?? Reconciliation()) })
    }

    static func reconciliation(_ db: Database, day: Int64) throws -> [Drug: Reconciliation] {
        var out: [Drug: Reconciliation] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT drug, state, count(*) AS n FROM issued_unit WHERE day = ? GROUP BY drug, state",
                                    arguments: [day]) {
            let drug = try row.decode("drug", as: Drug.self), n: Int = row["n"]
            var r = out[drug] ?? Reconciliation()
            r.issued += n
            switch try row.decode("state", as: UnitState.self) {
            case .open: r.open += n
            case .returned: r.returned += n
            case .consumed: r.consumed += n
            case .incident: r.incidents += n
            }
            out[drug] = r
        }
        return out
    }

    /// The register of clinic day `day` (days since 1970-01-01 in the store's calendar).
    public func dailyRegister(day: Int64) throws(StoreError) -> DailyRegister {
        let head = try chainHead()
        let cal = calendar
        let entries = try read { db -> [RegisterEntry] in
            // On the days the clocks change, a local time can be shown twice: each time carries its offset.
            let changes = cal.offsetChanges(day: day)
            func time(_ wall: Int64) -> String {
                let c = cal.civilTime(wallMillis: wall)
                return String(c.iso8601.dropFirst(11).prefix(8)) + (changes ? " " + c.offset : "")
            }
            func entry(_ wall: Int64, _ event: String, _ seq: Int64, detail: String = "") -> RegisterEntry {
                RegisterEntry(wallMillis: wall, time: time(wall), event: event, detail: detail, auditSeq: seq)
            }
            var out: [RegisterEntry] = []
            for r in try Row.fetchAll(db, sql: "SELECT * FROM dose_release WHERE day = ?", arguments: [day]) {
                let row = try r.releaseRow()
                var e = entry(row.plan.at.wallMillis, "release", row.intentSeq,
                              detail: "\(row.plan.unitCount) x \(row.plan.unitStrengthMg) mg, prescription \(row.plan.prescriptionID)@\(row.plan.prescriptionVersion) by \(row.plan.prescriber), identity \(row.plan.identityMethod)")
                e.release = row.id.rawValue; e.patient = row.plan.patient.rawValue; e.drug = row.plan.drug.rawValue
                e.route = row.plan.route.rawValue; e.doseMg = row.plan.doseMg; e.staff = row.plan.staff.rawValue
                e.witness = row.plan.witness.rawValue
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM dose_release WHERE ended_day = ?", arguments: [day]) {
                let row = try r.releaseRow()
                guard let ended = row.endedAt, let seq = row.endSeq else { continue }
                var e = entry(ended.wallMillis, "release-\(row.state.rawValue)", seq,
                              detail: "\(row.unitsIssued ?? 0) of \(row.plan.unitCount) unit(s) issued: \(row.outcome ?? "")")
                e.release = row.id.rawValue; e.patient = row.plan.patient.rawValue; e.drug = row.plan.drug.rawValue
                out.append(e)
            }
            let unitColumns = "u.*, r.dose_mg AS r_dose, r.staff AS r_staff, r.witness AS r_witness"
            for r in try Row.fetchAll(db, sql: """
                SELECT \(unitColumns) FROM issued_unit u JOIN dose_release r ON r.id = u.release_id WHERE u.day = ?
                """, arguments: [day]) {
                let u = try r.issuedUnit()
                var e = entry(u.issuedAt.wallMillis, "issue", r["issue_seq"], detail: "close-out by \(u.rule.rawValue)")
                e.release = u.release.rawValue; e.patient = u.patient.rawValue; e.drug = u.drug.rawValue
                e.route = u.route.rawValue; e.doseMg = r["r_dose"]; e.unit = u.serial.rawValue; e.unitStrengthMg = u.strengthMg
                e.staff = r["r_staff"]; e.witness = r["r_witness"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: """
                SELECT \(unitColumns) FROM issued_unit u JOIN dose_release r ON r.id = u.release_id WHERE u.closed_day = ?
                """, arguments: [day]) {
                let u = try r.issuedUnit()
                guard let closed = u.closedAt, let seq: Int64 = r["close_seq"] else { continue }
                var e = entry(closed.wallMillis, u.state.rawValue, seq, detail: r["close_reason"] ?? "")
                e.release = u.release.rawValue; e.patient = u.patient.rawValue; e.drug = u.drug.rawValue
                e.route = u.route.rawValue; e.unit = u.serial.rawValue; e.unitStrengthMg = u.strengthMg
                e.witness = r["closed_by"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM incident WHERE day = ?", arguments: [day]) {
                var e = entry(r["wall"], r["kind"], r["audit_seq"], detail: "\(r["reason"] as String): \(r["detail"] as String)")
                e.unit = r["serial"]; e.patient = r["patient"]
                out.append(e)
            }
            // Stock control (issue #11).
            let dayRange = cal.wallRange(day: day)
            for r in try Row.fetchAll(db, sql: """
                SELECT audit_seq, min(received_wall) AS wall, count(*) AS n, drug, route, strength_mg, batch, expiry, received_by, witness
                FROM stock_unit WHERE received_wall >= ? AND received_wall < ? GROUP BY audit_seq, drug, route, strength_mg, batch, expiry
                """, arguments: [dayRange.lowerBound, dayRange.upperBound]) {
                var e = entry(r["wall"], "receipt", r["audit_seq"],
                              detail: "\(r["n"] as Int) unit(s), batch \(r["batch"] as String? ?? "unknown"), expiry \(r["expiry"] as String? ?? "unknown")")
                e.drug = r["drug"]; e.route = r["route"]; e.unitStrengthMg = r["strength_mg"]; e.staff = r["received_by"]; e.witness = r["witness"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM stock_count WHERE entered_day = ?", arguments: [day]) {
                var e = entry(r["entered_wall"], (r["matched"] as Bool) ? "count-matched" : "count-mismatch", r["enter_seq"],
                              detail: "\(r["id"] as String): \(r["lines"] as String? ?? "") (counted/expected)")
                e.staff = r["started_by"]; e.witness = r["witness"]
                out.append(e)
            }
            // A cancelled count is on the register of the day it was cancelled: an auditor sees
            // who gave up which count and why (no figures: none were entered).
            for r in try Row.fetchAll(db, sql: """
                SELECT * FROM stock_count WHERE state = 'cancelled' AND cancelled_wall >= ? AND cancelled_wall < ?
                """, arguments: [dayRange.lowerBound, dayRange.upperBound]) {
                var e = entry(r["cancelled_wall"], "count-cancelled", r["cancel_seq"],
                              detail: "\(r["id"] as String): \(r["cancel_reason"] as String? ?? "") (started \(time(r["started_wall"])) by \(r["started_by"] as String) and \(r["witness"] as String))")
                e.staff = r["cancelled_by"]; e.witness = r["cancel_witness"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM count_overdue WHERE day = ?", arguments: [day]) {
                out.append(entry(r["wall"], "count-overdue", r["audit_seq"],
                                 detail: "count due at \(time(r["due_wall"])) not done"))
            }
            func discrepancyEntry(_ r: Row, _ wall: Int64, _ event: String, _ seq: Int64, _ detail: String) -> RegisterEntry {
                var e = entry(wall, event, seq, detail: "\(r["id"] as String): " + detail)
                e.drug = r["drug"]; e.route = r["route"]; e.unitStrengthMg = r["strength_mg"]
                return e
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM discrepancy WHERE day = ?", arguments: [day]) {
                out.append(discrepancyEntry(r, r["opened_wall"], "discrepancy", r["open_seq"],
                                            "expected \(r["expected"] as Int), counted \(r["counted"] as Int)"))
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM discrepancy WHERE escalated_day = ?", arguments: [day]) {
                out.append(discrepancyEntry(r, r["escalated_wall"], "ESCALATION", r["escalate_seq"], "unresolved at the end of the next business day"))
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM discrepancy WHERE resolved_day = ?", arguments: [day]) {
                let lost = try String.fetchAll(db, sql: "SELECT serial FROM stock_loss WHERE discrepancy_id = ? ORDER BY serial",
                                               arguments: [r["id"] as String])
                var e = discrepancyEntry(r, r["resolved_wall"], "discrepancy-resolved", r["resolve_seq"],
                                         "\(r["resolution"] as String? ?? ""): \(r["note"] as String? ?? "")"
                                            + (lost.isEmpty ? "" : "; written off: \(lost.joined(separator: ","))"))
                e.staff = r["resolved_by"]; e.witness = r["resolved_witness"]
                out.append(e)
            }
            func overrideEntry(_ r: Row, _ wall: Int64, _ event: String, _ seq: Int64, _ detail: String) -> RegisterEntry {
                var e = entry(wall, event, seq, detail: "\(r["id"] as String): " + detail)
                e.patient = r["patient"]; e.drug = r["drug"]; e.route = r["route"]
                return e
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM override WHERE day = ?", arguments: [day]) {
                var e = overrideEntry(r, r["opened_wall"], "OVERRIDE", r["open_seq"], "break-glass until \(time(r["expires_wall"])): \(r["reason"] as String)")
                e.doseMg = r["dose_mg"]; e.staff = r["opened_by"]; e.witness = r["second_by"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM override WHERE closed_day = ?", arguments: [day]) {
                var e = overrideEntry(r, r["closed_wall"], "override-\(r["state"] as String)", r["close_seq"], r["close_reason"] ?? "")
                e.release = r["used_release"]; e.staff = r["closed_by"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM override WHERE reviewed_day = ?", arguments: [day]) {
                var e = overrideEntry(r, r["reviewed_wall"], "override-reviewed", r["review_seq"], r["review_note"] ?? "")
                e.staff = r["reviewed_by"]
                out.append(e)
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM waste WHERE day = ?", arguments: [day]) {
                var e = entry(r["wall"], "waste", r["audit_seq"], detail: r["reason"])
                e.release = r["release_id"]; e.unit = r["serial"]; e.doseMg = r["mg"]; e.staff = r["staff"]; e.witness = r["witness"]
                out.append(e)
            }
            out += try Store.decisionEntries(db, from: dayRange.lowerBound, to: dayRange.upperBound, entry: entry)
            return out.sorted { ($0.wallMillis, $0.auditSeq) < ($1.wallMillis, $1.auditSeq) }
        }
        let endOfDay = cal.startOfDay(day + 1)
        let downtimes = try openDowntimes()
        let headAtEnd = try read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit WHERE wall < ? ORDER BY wall DESC, seq DESC LIMIT 1",
                             arguments: [endOfDay]).map { AuditChain(lastSeq: $0["seq"], lastHash: $0["hash"]) }
        }
        let balance = try stockBalance().sorted { $0.key < $1.key }.map { StockBalanceLine(kind: $0.key, balance: $0.value) }
        return DailyRegister(day: day, date: cal.dateString(day: day), entries: entries,
                             reconciliation: try reconciliationReport(day: day), chainHeadAtEndOfDay: headAtEnd, chainHead: head,
                             stockBalance: balance, openDiscrepancies: try discrepancies(),
                             overridesAwaitingReview: try overrides(), openResidue: try residueOwed(),
                             openDowntimes: downtimes,
                             timeZone: cal.zoneName)
    }
}

extension Store {
    /// The day's decisions at the counter and by clinicians, from the audit records themselves
    /// (the chain is the record of truth): refusals (reason codes, patient, staff), holds placed
    /// and cleared, lockdown on and off, observation clearances and re-authorisations.
    static func decisionEntries(_ db: Database, from start: Int64, to end: Int64,
                                entry: (Int64, String, Int64, String) -> RegisterEntry) throws -> [RegisterEntry] {
        let kinds: [AuditEventKind] = [.refusal, .hold, .holdCleared, .lockdown, .observationEnded, .reauthorised]
        var out: [RegisterEntry] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT * FROM audit WHERE wall >= ? AND wall < ? AND kind IN (\(kinds.map { "'\($0.rawValue)'" }.joined(separator: ","))) ORDER BY seq
            """, arguments: [start, end]) {
            let record = try decodeRecord(row)
            let f = record.event.fields
            let event: String
            switch record.event.kind {
            case .refusal, .hold, .holdCleared, .observationEnded, .reauthorised: event = record.event.kind.rawValue
            case .lockdown: event = "lockdown-\(f["state"] ?? "?")"
            default: continue
            }
            let detail: String
            switch record.event.kind {
            case .refusal: detail = f["detail"] ?? ""
            case .lockdown: detail = "\(f["reason"] ?? "") (by \(f["actor"] ?? "?"))"
            case .reauthorised: detail = "\(f["reason"] ?? "") (\(f["missed_days"] ?? "?") day(s) missed)"
            default: detail = f["reason"] ?? ""
            }
            var e = entry(record.event.wallMillis, event, record.seq, detail)
            e.patient = f["patient"]
            e.staff = f["staff"]
            if record.event.kind == .refusal { e.reason = f["reason"] }
            out.append(e)
        }
        return out
    }
}
