import DoseCabCore
import Foundation
import GRDB

/// How a report is printed.
public enum ReportFormat: String, Hashable, Sendable, CaseIterable {
    case text, json, csv
}

/// One line of the controlled-drug register: what happened, to whom, with what, by whom.
public struct RegisterEntry: Hashable, Sendable, Codable {
    /// Wall-clock time (epoch millis) and its clinic-local rendering.
    public var wallMillis: Int64
    public var time: String
    /// release, release-completed, release-interrupted, issue, return, consumed, incident, anomaly, alarm, waste.
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

    public func render(format: ReportFormat) -> String {
        switch format {
        case .json: return ReportText.json(self)
        case .csv:
            return ReportText.csv([["date", "drug", "issued", "returned", "consumed", "open", "incidents", "balances"]]
                + lines.map { [date, $0.drug.rawValue, "\($0.issued)", "\($0.returned)", "\($0.consumed)", "\($0.open)",
                               "\($0.incidents)", $0.balances ? "yes" : "NO"] })
        case .text:
            var out = "Reconciliation \(date): issued = returned + consumed + open + incidents\n"
            for l in lines {
                out += "  \(l.drug.rawValue): \(l.issued) = \(l.returned) + \(l.consumed) + \(l.open) + \(l.incidents)"
                out += l.balances ? "  ok\n" : "  DOES NOT BALANCE\n"
            }
            return out
        }
    }
}

/// The daily register: every release, issue, return, witnessed consumption, incident and waste of
/// a clinic day, the day's reconciliation, and the chain heads an auditor compares with the
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

    public func render(format: ReportFormat) -> String {
        switch format {
        case .json: return ReportText.json(self)
        case .csv:
            let header = ["date", "time", "event", "release", "patient", "drug", "route", "dose_mg", "unit",
                          "unit_strength_mg", "staff", "witness", "detail", "audit_seq"]
            var rows = [header]
            for e in entries {
                rows.append([date, e.time, e.event, e.release ?? "", e.patient ?? "", e.drug ?? "", e.route ?? "",
                             e.doseMg.map(String.init) ?? "", e.unit ?? "", e.unitStrengthMg.map(String.init) ?? "",
                             e.staff ?? "", e.witness ?? "", e.detail, String(e.auditSeq)])
            }
            if let h = chainHeadAtEndOfDay {
                rows.append([date, "", "chain-head-end-of-day", "", "", "", "", "", "", "", "", "", h.lastHash, String(h.lastSeq)])
            }
            rows.append([date, "", "chain-head", "", "", "", "", "", "", "", "", "", chainHead.lastHash, String(chainHead.lastSeq)])
            return ReportText.csv(rows)
        case .text:
            var out = "Controlled-drug register, \(date) (clinic day \(day)): \(entries.count) entries\n"
            for e in entries {
                var parts = [e.time, e.event.padding(toLength: 19, withPad: " ", startingAt: 0)]
                if let r = e.release { parts.append("release \(r)") }
                if let p = e.patient { parts.append(p) }
                if let d = e.drug { parts.append(d + (e.route.map { " (\($0))" } ?? "")) }
                if let mg = e.doseMg { parts.append("\(mg) mg") }
                if let u = e.unit { parts.append("unit \(u)" + (e.unitStrengthMg.map { " \($0) mg" } ?? "")) }
                if let s = e.staff { parts.append("staff \(s)") }
                if let w = e.witness { parts.append("witness \(w)") }
                if !e.detail.isEmpty { parts.append(e.detail) }
                parts.append("[audit \(e.auditSeq)]")
                out += parts.joined(separator: "  ") + "\n"
            }
            out += reconciliation.render(format: .text)
            if let h = chainHeadAtEndOfDay {
                out += "Audit chain at end of day: seq \(h.lastSeq) hash \(h.lastHash)\n"
            }
            out += "Audit chain head now: seq \(chainHead.lastSeq) hash \(chainHead.lastHash)\n"
            out += "Compare these with the off-box copy of the audit.\n"
            return out
        }
    }
}

enum ReportText {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }  // plain value types always encode
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func csv(_ rows: [[String]]) -> String {
        rows.map { row in
            row.map { field in
                field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
            }.joined(separator: ",")
        }.joined(separator: "\r\n") + "\r\n"
    }
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
            func time(_ wall: Int64) -> String {
                let c = CivilTime(wallMillis: wall, utcOffsetMinutes: cal.utcOffsetMinutes)
                return String(c.iso8601.dropFirst(11).prefix(8))
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
            for r in try Row.fetchAll(db, sql: "SELECT * FROM waste WHERE day = ?", arguments: [day]) {
                var e = entry(r["wall"], "waste", r["audit_seq"], detail: r["reason"])
                e.release = r["release_id"]; e.unit = r["serial"]; e.doseMg = r["mg"]; e.staff = r["staff"]; e.witness = r["witness"]
                out.append(e)
            }
            return out.sorted { ($0.wallMillis, $0.auditSeq) < ($1.wallMillis, $1.auditSeq) }
        }
        let endOfDay = (day + 1) * 86_400_000 - Int64(cal.utcOffsetMinutes) * 60_000
        let headAtEnd = try read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit WHERE wall < ? ORDER BY wall DESC, seq DESC LIMIT 1",
                             arguments: [endOfDay]).map { AuditChain(lastSeq: $0["seq"], lastHash: $0["hash"]) }
        }
        return DailyRegister(day: day, date: cal.dateString(day: day), entries: entries,
                             reconciliation: try reconciliationReport(day: day), chainHeadAtEndOfDay: headAtEnd, chainHead: head)
    }
}
