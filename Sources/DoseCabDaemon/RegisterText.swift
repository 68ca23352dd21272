import DoseCabCore
import DoseCabStore
import Foundation

// The controlled-drug register as text, CSV and JSON (issue 19.8): the store answers with
// values (`DailyRegister`, `ReconciliationReport`); how they read is decided here, at the edge
// that hands them out, with the clinic's calendar for the times it writes.

/// How a report is printed.
public enum ReportFormat: String, Hashable, Sendable, CaseIterable {
    case text, json, csv
}

extension StockBalanceLine {
    var text: String {
        let b = balance
        return "\(b.loaded) = \(b.inCabinet) + \(b.issued) - \(b.returnedToStock) + \(b.wasted) + \(b.lost)" + (balances ? "  ok" : "  DOES NOT BALANCE")
    }
}

extension ReconciliationReport {
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

extension DailyRegister {
    static func owedText(_ d: Downtime, calendar: ClinicCalendar) -> String {
        let since = d.sinceWall.map { calendar.civilTime(wallMillis: $0).localMinute } ?? "the first record"
        return "door found open \(calendar.civilTime(wallMillis: d.foundWall).localMinute), daemon last up \(since) (local): "
            + "dosecabctl late-entry add (each dose given), then late-entry close (two staff members)"
    }

    public func render(format: ReportFormat, calendar: ClinicCalendar) -> String {
        switch format {
        case .json: return ReportText.json(self)
        case .csv:
            // `reason` last, so the columns before it stay where readers of older registers find them.
            let header = ["date", "time", "event", "release", "patient", "drug", "route", "dose_mg", "unit",
                          "unit_strength_mg", "staff", "witness", "detail", "audit_seq", "reason"]
            var rows = [header]
            for e in entries {
                rows.append([date, e.time, e.event, e.release ?? "", e.patient ?? "", e.drug ?? "", e.route ?? "",
                             e.doseMg.map(String.init) ?? "", e.unit ?? "", e.unitStrengthMg.map(String.init) ?? "",
                             e.staff ?? "", e.witness ?? "", e.detail, String(e.auditSeq), e.reason ?? ""])
            }
            if let h = chainHeadAtEndOfDay {
                rows.append([date, "", "chain-head-end-of-day", "", "", "", "", "", "", "", "", "", h.lastHash, String(h.lastSeq)])
            }
            rows.append([date, "", "chain-head", "", "", "", "", "", "", "", "", "", chainHead.lastHash, String(chainHead.lastSeq)])
            for b in stockBalance {
                rows.append([date, "", "stock-balance", "", "", b.kind.drug.rawValue, b.kind.route.rawValue, "", "", String(b.kind.strengthMg),
                             "", "", b.text, ""])
            }
            for d in openDiscrepancies {
                rows.append([date, "", d.escalatedAtWall == nil ? "discrepancy-open" : "discrepancy-ESCALATED", "", "", d.kind.drug.rawValue,
                             d.kind.route.rawValue, "", "", String(d.kind.strengthMg), "", "",
                             "\(d.id): expected \(d.expected), counted \(d.counted)", ""])
            }
            for a in openResidue {
                rows.append([date, "", "residue-owed", a.release.rawValue, a.patient.rawValue, a.drug.rawValue, "", String(a.owedMg),
                             "", String(a.unitStrengthMg), "", "", "residue \(a.residueMg) mg, wasted \(a.wastedMg) mg: \(a.instruction)", ""])
            }
            for d in openDowntimes {
                let note = Self.owedText(d, calendar: calendar)
                rows.append([date, "", "late-entry-owed", "", "", "", "", "", "", "", "", "", note, String(d.alarmSeq)])
            }
            for o in overridesAwaitingReview {
                rows.append([date, "", "override-unreviewed", "", o.patient.rawValue, o.drug.rawValue, o.route.rawValue, String(o.doseMg),
                             "", "", o.openedBy.rawValue, o.secondBy.rawValue, "\(o.id) (\(o.state.rawValue)): \(o.reason)", ""])
            }
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
                if let r = e.reason { parts.append("[\(r)]") }
                if !e.detail.isEmpty { parts.append(e.detail) }
                parts.append("[audit \(e.auditSeq)]")
                out += parts.joined(separator: "  ") + "\n"
            }
            out += reconciliation.render(format: .text)
            out += "Stock balance now: loaded = in cabinet + issued - returned to stock + wasted + lost\n"
            for b in stockBalance { out += "  \(b.kind.key): \(b.text)\n" }
            if !openDiscrepancies.isEmpty {
                out += "OPEN DISCREPANCIES (releases frozen until two staff members resolve them):\n"
                for d in openDiscrepancies {
                    let mark = d.escalatedAtWall == nil ? "open" : "ESCALATED: report a theft or significant loss"
                    out += "  \(d.id)  \(d.kind.key)  expected \(d.expected), counted \(d.counted)  [\(mark)]\n"
                }
            }
            if !overridesAwaitingReview.isEmpty {
                out += "BREAK-GLASS OVERRIDES OPEN UNTIL A SECOND ADMIN REVIEWS THEM:\n"
                for o in overridesAwaitingReview {
                    out += "  \(o.id)  \(o.state.rawValue)  \(o.patient)  \(o.doseMg) mg \(o.drug.rawValue) (\(o.route.rawValue))  by \(o.openedBy)+\(o.secondBy)"
                    out += (o.usedBy.map { "  used by release \($0)" } ?? "  not used") + ": \(o.reason)\n"
                }
            }
            if !openResidue.isEmpty {
                out += "RESIDUE NOT YET WASTED (witnessed close-outs of these releases wait for it):\n"
                for a in openResidue {
                    out += "  release \(a.release)  \(a.patient)  \(a.drug.rawValue)  \(a.owedMg) mg owed (residue \(a.residueMg) mg, wasted \(a.wastedMg) mg): \(a.instruction)\n"
                }
            }
            if !openDowntimes.isEmpty {
                out += "LATE ENTRY OWED (the cabinet was opened with the mechanical key; lockdown stays until it is entered and closed):\n"
                for d in openDowntimes { out += "  \(Self.owedText(d, calendar: calendar))  [audit \(d.alarmSeq)]\n" }
            }
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

    /// RFC 4180 rows (short rows are padded to the first row's width). A field that a spreadsheet
    /// would run as a formula (leading `=`, `+`, `-`, `@`, tab or carriage return: reasons and notes
    /// are typed by staff) gets a leading `'`; a plain integer is left as it is.
    static func csv(_ rows: [[String]]) -> String {
        let width = rows.first?.count ?? 0
        return rows.map { row in
            (row + Array(repeating: "", count: max(0, width - row.count))).map { raw in
                let field = raw.first.map { "=+-@\t\r".contains($0) } == true && Int(raw) == nil ? "'" + raw : raw
                return field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
            }.joined(separator: ",")
        }.joined(separator: "\r\n") + "\r\n"
    }
}
