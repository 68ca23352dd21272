import DoseCabCore
import Foundation
import GRDB

/// One write transaction with the chain head: applies ledger writes and appends their records.
/// Every check happens inside the transaction, so a refused write leaves nothing behind.
struct Transaction {
    let db: Database
    var chain: AuditChain
    let calendar: ClinicCalendar
    /// The store's last audit sequence when it was opened (`Store.lastSeqAtOpen`).
    var lastSeqAtOpen: Int64 = 0

    // MARK: SQL with typed errors

    func exec(_ sql: String, _ arguments: StatementArguments = []) throws(StoreError) {
        do { try db.execute(sql: sql, arguments: arguments) } catch {
            throw .cannotCommit(StoreError.sqliteDetail(error))
        }
    }

    func row(_ sql: String, _ arguments: StatementArguments = []) throws(StoreError) -> Row? {
        do { return try Row.fetchOne(db, sql: sql, arguments: arguments) } catch {
            throw .cannotCommit(StoreError.sqliteDetail(error))
        }
    }

    func rows(_ sql: String, _ arguments: StatementArguments = []) throws(StoreError) -> [Row] {
        do { return try Row.fetchAll(db, sql: sql, arguments: arguments) } catch {
            throw .cannotCommit(StoreError.sqliteDetail(error))
        }
    }

    func count(_ sql: String, _ arguments: StatementArguments = []) throws(StoreError) -> Int {
        do { return try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 } catch {
            throw .cannotCommit(StoreError.sqliteDetail(error))
        }
    }

    var changes: Int { db.changesCount }

    func day(_ m: Moment) -> Int64 { calendar.day(of: m) }

    // MARK: The chain

    /// Appends `event` to the chain and stores the record.
    mutating func append(_ event: AuditEvent) throws(StoreError) -> AuditRecord {
        let record = chain.append(event)
        try exec("""
            INSERT INTO audit (seq, wall, kind, message, fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [record.seq, event.wallMillis, event.kind.rawValue, event.message,
                  AuditCodec.encodeFields(event.fields), record.previousHash, record.hash])
        return record
    }

    // MARK: Ledger writes

    /// Checks `write` against the stored state, applies it and appends its audit record.
    mutating func apply(_ write: LedgerWrite) throws(StoreError) -> AuditRecord {
        try check(write)
        let record = try append(write.auditEvent)
        try effect(write, seq: record.seq)
        return record
    }

    /// Refuses a write the stored state does not allow (before anything is written).
    func check(_ write: LedgerWrite) throws(StoreError) {
        switch write {
        case .releaseIntent(let id, let plan):
            if try row("SELECT 1 FROM dose_release WHERE id = ?", [id.rawValue]) != nil {
                throw .conflict("release \(id) already exists")
            }
            if try row("SELECT 1 FROM patient WHERE id = ?", [plan.patient.rawValue]) == nil {
                throw .conflict("release \(id): patient \(plan.patient) is not enrolled")
            }
            if plan.unitCount < 1 || plan.unitStrengthMg < 1 || plan.doseMg < 1 {
                throw .invalidInput("release \(id): dose, unit strength and unit count must be positive")
            }
            if let o = plan.overrideID {
                guard let r = try row("SELECT * FROM override WHERE id = ?", [o]) else { throw .conflict("release \(id): unknown override \(o)") }
                let state: String = r["state"], used: String? = r["used_release"]
                if state != OverrideState.open.rawValue || used != nil {
                    throw .conflict("release \(id): override \(o) is \(used.map { "used by \($0)" } ?? state)")
                }
                if (r["patient"] as String) != plan.patient.rawValue || (r["drug"] as String) != plan.drug.rawValue
                    || (r["route"] as String) != plan.route.rawValue || (r["dose_mg"] as Int) != plan.doseMg {
                    throw .conflict("release \(id) is not what override \(o) names")
                }
                if plan.at.wallMillis >= (r["expires_wall"] as Int64) { throw .conflict("release \(id): override \(o) has expired") }
            }
        case .releaseCompleted(let id, let patient, _, _, _, _), .releaseInterrupted(let id, let patient, _, _):
            let release = try releaseRow(id)
            if release.patient != patient {
                throw .conflict("release \(id) is for \(release.patient), not \(patient)")
            }
            if release.state != "intent" {
                throw .conflict("release \(id) is \(release.state), not in progress")
            }
        case .issue(let unit):
            try checkIssue(unit)
        case .unitReturned(let serial, let release, let patient, _):
            _ = try openUnit(serial, release: release, patient: patient)
        case .unitConsumed(let serial, let release, let patient, _, _):
            let unit = try openUnit(serial, release: release, patient: patient)
            if unit.rule != CloseOutRule.witnessed.rawValue {
                throw .unitRefused(serial: serial, anomaly: .wrongCloseOutRule,
                                   detail: "closes out by \(unit.rule), not by a witness")
            }
        case .unitIncident(let serial, let release, let patient, _, _):
            _ = try openUnit(serial, release: release, patient: patient)
        case .waste(let release, let serial, let mg, _, _, let reason, _):
            if mg < 0 { throw .invalidInput("waste must not be negative") }
            if let release { _ = try releaseRow(release) }
            if WasteReason(reasonText: reason) == .residue {
                // Never more than the release owes (§4a), checked against the figures in this
                // transaction; `not-given` waste is not residue and is not counted here.
                guard let release else { throw .invalidInput("residue waste names the release the dose was drawn for") }
                guard let account = try residueAccount(release) else { throw .conflict("unknown release \(release)") }
                let problems = account.wasteProblems(mg: mg)
                if !problems.isEmpty { throw .stockRefused(StockRefused(problems)) }
            }
            if let serial {
                if let release {
                    guard let unit = try row("SELECT release_id FROM issued_unit WHERE serial = ?", [serial.rawValue]),
                          (unit["release_id"] as String) == release.rawValue else {
                        throw .unitRefused(serial: serial, anomaly: .unknownSerial,
                                           detail: "waste names release \(release), which did not issue this unit")
                    }
                } else {
                    try notDuringCount("waste from stock")
                    guard let stock = try row("SELECT state FROM stock_unit WHERE serial = ?", [serial.rawValue]) else {
                        throw .unitRefused(serial: serial, anomaly: .unknownSerial, detail: "not in the stock register")
                    }
                    let state: String = stock["state"]
                    if state != StockState.inStock.rawValue {
                        throw .unitRefused(serial: serial, anomaly: state == "issued" ? .alreadyIssued : .alreadyClosed,
                                           detail: "cannot be destroyed from stock: it is \(state)")
                    }
                }
            }
        case .stockReceived(let units, _, _, _):
            try notDuringCount("a receipt")
            if units.isEmpty { throw .invalidInput("stock receipt without units") }
            var seen = Set<UnitSerial>()
            let problems = StockRules.receipt(units, today: day(write.at)).filter { $0.reason != .badUnit }
            if !problems.isEmpty { throw .invalidInput(problems.map(\.description).joined(separator: "; ")) }
            for unit in units {
                if unit.serial.rawValue.isEmpty { throw .invalidInput("a unit without a serial") }
                if unit.strengthMg <= 0 { throw .invalidInput("unit \(unit.serial): strength must be positive") }
                if !seen.insert(unit.serial).inserted { throw .conflict("serial \(unit.serial) appears twice in the receipt") }
                if try row("SELECT 1 FROM stock_unit WHERE serial = ?", [unit.serial.rawValue]) != nil {
                    throw .conflict("serial \(unit.serial) was received before")
                }
            }
        case .holdCleared(let patient, _, _, _):
            if try row("SELECT 1 FROM hold WHERE patient = ? AND cleared_wall IS NULL", [patient.rawValue]) == nil {
                throw .conflict("\(patient) has no open hold")
            }
        case .countStarted(let sheet):
            if try row("SELECT id FROM stock_count WHERE state = 'open'") != nil { throw .conflict("a blind count is already open") }
            if try row("SELECT 1 FROM stock_count WHERE id = ?", [sheet.id]) != nil { throw .conflict("count \(sheet.id) exists") }
            if sheet.by == sheet.witness { throw .invalidInput("a blind count needs two different staff members") }
            if let r = try row("SELECT id FROM dose_release WHERE state = 'intent' LIMIT 1") {
                throw .conflict("release \(r["id"] as String) is open: a count starts once it is complete")
            }
        case .countEntered(let id, _, _, _, _), .countCancelled(let id, _, _, _, _):
            guard let r = try row("SELECT state FROM stock_count WHERE id = ?", [id]) else { throw .conflict("unknown count \(id)") }
            if (r["state"] as String) != "open" { throw .conflict("count \(id) is \(r["state"] as String) already") }
        case .countOverdue(let due, _):
            if try row("SELECT 1 FROM count_overdue WHERE due_wall = ?", [due]) != nil {
                throw .conflict("the count due at \(due) was already reported overdue")
            }
        case .discrepancyOpened(let d):
            if try row("SELECT 1 FROM discrepancy WHERE id = ?", [d.id]) != nil { throw .conflict("discrepancy \(d.id) exists") }
            if try row("SELECT 1 FROM stock_count WHERE id = ?", [d.countID]) == nil { throw .conflict("unknown count \(d.countID)") }
        case .discrepancyResolved(let id, let resolution, _, let by, let witness, let off, _):
            let d = try discrepancyRow(id)
            if d.state != .open { throw .conflict("discrepancy \(id) is already resolved") }
            if by == witness { throw .invalidInput("resolving a discrepancy needs two different staff members") }
            if resolution.writesOff {
                try notDuringCount("a write-off")
                if off.count != d.shortfall || Set(off).count != off.count {
                    throw .conflict("discrepancy \(id) is \(d.shortfall) unit(s) short; \(off.count) named")
                }
                for serial in off {
                    guard let u = try row("SELECT drug, route, strength_mg, state FROM stock_unit WHERE serial = ?", [serial.rawValue]),
                          (u["state"] as String) == StockState.inStock.rawValue, (u["drug"] as String) == d.kind.drug.rawValue,
                          (u["route"] as String) == d.kind.route.rawValue, (u["strength_mg"] as Int) == d.kind.strengthMg else {
                        throw .conflict("unit \(serial) is not a \(d.kind.key) unit in stock")
                    }
                }
            } else if !off.isEmpty {
                throw .invalidInput("only a loss or suspected theft writes units off")
            }
        case .discrepancyEscalated(let id, _, _):
            let d = try discrepancyRow(id)
            if d.state != .open || d.escalatedAtWall != nil { throw .conflict("discrepancy \(id) is resolved or escalated already") }
        case .overrideOpened(let o):
            if try row("SELECT 1 FROM override WHERE id = ?", [o.id]) != nil { throw .conflict("override \(o.id) exists") }
            if o.openedBy == o.secondBy { throw .invalidInput("an override needs two different staff members") }
        case .overrideClosed(let id, _, _, _):
            let o = try overrideRow(id)
            if o.state != .open { throw .conflict("override \(id) is already \(o.state.rawValue)") }
        case .overrideReviewed(let id, let by, _, _):
            let o = try overrideRow(id)
            if o.state == .open { throw .conflict("override \(id) is still open") }
            if let r = o.reviewedBy { throw .conflict("override \(id) was reviewed by \(r)") }
            if by == o.openedBy || by == o.secondBy { throw .conflict("\(by) opened override \(id); a second admin reviews it") }
        case .residueOutstanding(let account, _, _):
            _ = try releaseRow(account.release)
        case .lateEntry(let e):
            try checkLateEntry(e)
        case .downtimeClosed(let alarmSeq, _, let by, let witness, _):
            guard let d = try downtime(alarmSeq), d.isOpen else { throw .conflict("no open downtime \(alarmSeq)") }
            if by == witness { throw .invalidInput("closing a late entry needs two different staff members") }
        case .prescriberKeyRevoked(let key, _, let by, let witness, _, _):
            guard let existing = try row("SELECT revoked_wall FROM prescriber_key WHERE key_id = ?", [key]) else {
                throw .conflict("no prescriber key '\(key)' is installed")
            }
            if (existing["revoked_wall"] as Int64?) != nil { throw .conflict("key '\(key)' is already revoked") }
            if by == witness { throw .invalidInput("revoking a prescriber key takes two different staff members") }
        case .anomaly, .refusal, .hold, .observationCleared, .reauthorised, .lockdown, .alarm, .admin, .startup, .recovery:
            break
        }
    }

    /// Stock does not move while a blind count is open (`BlindCount.frozenByCount`).
    func notDuringCount(_ action: String) throws(StoreError) {
        guard let r = try row("SELECT * FROM stock_count WHERE state = 'open'") else { return }
        throw .stockRefused(StockRefused(BlindCount.frozenByCount(Store.sheet(r), action: action)))
    }

    func discrepancyRow(_ id: String) throws(StoreError) -> Discrepancy {
        guard let r = try row("SELECT * FROM discrepancy WHERE id = ?", [id]) else { throw .conflict("unknown discrepancy \(id)") }
        do { return try r.discrepancy() } catch { throw error as? StoreError ?? .corrupt("\(error)") }
    }

    func overrideRow(_ id: String) throws(StoreError) -> Override {
        guard let r = try row("SELECT * FROM override WHERE id = ?", [id]) else { throw .conflict("unknown override \(id)") }
        do { return try r.override() } catch { throw error as? StoreError ?? .corrupt("\(error)") }
    }

    struct ReleaseRef {
        var patient: PatientID
        var state: String
        var drug: String
        var route: String
        var unitStrengthMg: Int
        var unitCount: Int
    }

    /// The residue account of release `id` as this transaction sees it (nil: no such release).
    func residueAccount(_ id: ReleaseID) throws(StoreError) -> ResidueAccount? {
        guard let r = try row("SELECT \(Store.residueColumns) FROM dose_release WHERE id = ?", [id.rawValue]) else { return nil }
        do { return try r.residueAccount() } catch { throw .corrupt("release \(id): \(error)") }
    }

    func releaseRow(_ id: ReleaseID) throws(StoreError) -> ReleaseRef {
        guard let r = try row("""
            SELECT patient, state, drug, route, unit_strength_mg, unit_count FROM dose_release WHERE id = ?
            """, [id.rawValue]) else { throw .conflict("unknown release \(id)") }
        return ReleaseRef(patient: PatientID(r["patient"]), state: r["state"], drug: r["drug"], route: r["route"],
                          unitStrengthMg: r["unit_strength_mg"], unitCount: r["unit_count"])
    }

    func checkIssue(_ unit: IssuedUnit) throws(StoreError) {
        let serial = unit.serial
        let release = try releaseRow(unit.release)
        if release.state == "completed" {
            throw .unitRefused(serial: serial, anomaly: nil, detail: "release \(unit.release) is already completed")
        }
        if release.patient != unit.patient {
            throw .unitRefused(serial: serial, anomaly: nil, detail: "release \(unit.release) is for \(release.patient), not \(unit.patient)")
        }
        guard let stock = try row("SELECT drug, route, strength_mg, state, batch, expiry FROM stock_unit WHERE serial = ?", [serial.rawValue]) else {
            throw .unitRefused(serial: serial, anomaly: .unknownSerial, detail: "not in the stock register")
        }
        let state: String = stock["state"]
        if state == StockState.issued.rawValue {
            throw .unitRefused(serial: serial, anomaly: .alreadyIssued, detail: "issued before")
        }
        if state != StockState.inStock.rawValue {
            throw .unitRefused(serial: serial, anomaly: .alreadyClosed, detail: "not in stock (\(state))")
        }
        let drug: String = stock["drug"], route: String = stock["route"], strength: Int = stock["strength_mg"]
        let inStock = StockUnit(serial: serial, drug: unit.drug, route: unit.route, strengthMg: strength,
                                batch: stock["batch"], expiry: stock["expiry"])
        if let anomaly = StockRules.releasable(inStock, today: day(unit.issuedAt)) {
            throw .unitRefused(serial: serial, anomaly: anomaly,
                               detail: anomaly == .expired ? "expired (\(inStock.expiry ?? "no date"))" : "its batch is not recorded")
        }
        // The core's rule on the rows read: the stock register's unit is what the scan said,
        // and what the release takes, within its count.
        guard let inRegister = StockKind(drug: drug, route: route, strengthMg: strength),
              let wanted = StockKind(drug: release.drug, route: release.route, strengthMg: release.unitStrengthMg) else {
            throw .unitRefused(serial: serial, anomaly: .unitMismatch,
                               detail: "the stock register or release \(unit.release) names a drug or route the cabinet does not know")
        }
        let claimed = StockKind(drug: unit.drug, route: unit.route, strengthMg: unit.strengthMg)
        let already = try count("SELECT count(*) FROM issued_unit WHERE release_id = ?", [unit.release.rawValue])
        let problems = UnitMatch.problems(inRegister, wanted: claimed)
            + UnitMatch.problems(inRegister, wanted: wanted, taken: already, planned: release.unitCount)
        if !problems.isEmpty {
            throw .unitRefused(serial: serial, anomaly: .unitMismatch,
                detail: "the unit in the stock register is \(inRegister), for release \(unit.release): \(problems.joined(separator: "; "))")
        }
    }

    struct UnitRef { var rule: String }

    /// The unit must exist, belong to this release and patient, and be open.
    func openUnit(_ serial: UnitSerial, release: ReleaseID, patient: PatientID) throws(StoreError) -> UnitRef {
        guard let u = try row("SELECT release_id, patient, state, rule FROM issued_unit WHERE serial = ?", [serial.rawValue]) else {
            throw .unitRefused(serial: serial, anomaly: .unknownSerial, detail: "never issued")
        }
        let r: String = u["release_id"], p: String = u["patient"], state: String = u["state"]
        if r != release.rawValue || p != patient.rawValue {
            throw .unitRefused(serial: serial, anomaly: .anotherPatientsUnit,
                               detail: "issued on release \(r) to \(p), not on \(release) to \(patient)")
        }
        switch state {
        case UnitState.open.rawValue: return UnitRef(rule: u["rule"])
        case UnitState.incident.rawValue:
            throw .unitRefused(serial: serial, anomaly: .lateReturn, detail: "already booked as an incident")
        default:
            throw .unitRefused(serial: serial, anomaly: .alreadyClosed, detail: "already \(state)")
        }
    }

    /// Writes the rows of an already checked write.
    func effect(_ write: LedgerWrite, seq: Int64) throws(StoreError) {
        switch write {
        case .releaseIntent(let id, let p):
            try exec("""
                INSERT INTO dose_release (id, patient, state, at_wall, at_boot, at_boot_id, day, identity_method,
                    prescription_id, prescription_version, prescriber, drug, route, dose_mg, unit_strength_mg, unit_count,
                    residue_mg, staff, witness, close_out_rule, close_out_minutes, intent_seq, override_id)
                VALUES (?, ?, 'intent', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id.rawValue, p.patient.rawValue, p.at.wallMillis, p.at.bootMillis, p.at.bootID, day(p.at),
                      p.identityMethod, p.prescriptionID, p.prescriptionVersion, p.prescriber, p.drug.rawValue,
                      p.route.rawValue, p.doseMg, p.unitStrengthMg, p.unitCount, p.residueMg, p.staff.rawValue,
                      p.witness.rawValue, p.closeOut.rule.rawValue, p.closeOut.deadlineMinutes, seq, p.overrideID])
            if let o = p.overrideID {
                try exec("UPDATE override SET used_release = ? WHERE id = ? AND used_release IS NULL", [id.rawValue, o])
            }
        case .releaseCompleted(let id, _, let issued, _, let outcome, let at):
            try endRelease(id, state: "completed", unitsIssued: issued, outcome: outcome, at: at, seq: seq)
        case .releaseInterrupted(let id, _, let reason, let at):
            let issued = try count("SELECT count(*) FROM issued_unit WHERE release_id = ?", [id.rawValue])
            try endRelease(id, state: "interrupted", unitsIssued: issued, outcome: reason, at: at, seq: seq)
        case .issue(let u):
            try exec("UPDATE stock_unit SET state = 'issued', state_wall = ? WHERE serial = ?",
                     [u.issuedAt.wallMillis, u.serial.rawValue])
            try exec("""
                INSERT INTO issued_unit (serial, release_id, patient, drug, route, strength_mg, rule,
                    issued_wall, issued_boot, issued_boot_id, day, deadline_wall, deadline_boot, deadline_boot_id,
                    state, issue_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
                """, [u.serial.rawValue, u.release.rawValue, u.patient.rawValue, u.drug.rawValue, u.route.rawValue,
                      u.strengthMg, u.rule.rawValue, u.issuedAt.wallMillis, u.issuedAt.bootMillis, u.issuedAt.bootID,
                      day(u.issuedAt), u.deadline.wallMillis, u.deadline.bootMillis, u.deadline.bootID, seq])
        case .unitReturned(let s, _, _, let at):
            try closeUnit(s, state: .returned, by: nil, reason: nil, at: at, seq: seq)
        case .unitConsumed(let s, _, _, let witness, let at):
            try closeUnit(s, state: .consumed, by: witness.rawValue, reason: nil, at: at, seq: seq)
        case .unitIncident(let s, _, _, let reason, let at):
            try closeUnit(s, state: .incident, by: nil, reason: reason, at: at, seq: seq)
        case .anomaly(let kind, let serial, let patient, let detail, let at):
            try incident("anomaly", reason: kind.rawValue, serial: serial.rawValue, patient: patient?.rawValue,
                         detail: detail, at: at, seq: seq)
        case .alarm(let kind, let detail, let at):
            try incident("alarm", reason: kind.rawValue, serial: nil, patient: nil, detail: detail, at: at, seq: seq)
            if kind == .mechanicalKey {
                // The downtime began after the newest record of the run before this one: the last
                // one the store held when it was opened, before this start wrote anything
                // (recovery, startup, a prescriber key installed at start, the demo's seeding).
                let since = try row("SELECT wall FROM audit WHERE seq <= ? ORDER BY seq DESC LIMIT 1", [lastSeqAtOpen])
                try exec("INSERT INTO downtime (alarm_seq, found_wall, since_wall) VALUES (?, ?, ?)",
                         [seq, at.wallMillis, since.map { $0["wall"] as Int64 }])
            }
        case .lateEntry(let e):
            try effect(.releaseIntent(e.release, e.plan), seq: seq)
            try exec("UPDATE dose_release SET downtime_seq = ? WHERE id = ?", [e.downtimeSeq, e.release.rawValue])
            for unit in e.issuedUnits {
                var issued = unit
                issued.state = .open
                try effect(.issue(issued), seq: seq)
                try closeUnit(unit.serial, state: unit.state, by: unit.state == .incident ? nil : e.witness.rawValue,
                              reason: unit.state == .incident ? "not returned during the downtime (late entry)" : nil,
                              at: unit.closedAt ?? e.enteredAt, seq: seq)
            }
            try endRelease(e.release, state: "completed", unitsIssued: e.units.count, outcome: "late entry (\(e.outcome.rawValue))",
                           at: e.enteredAt, seq: seq)
        case .downtimeClosed(let alarmSeq, let note, let by, let witness, let at):
            try exec("""
                UPDATE downtime SET closed_wall = ?, closed_by = ?, witness = ?, note = ?, close_seq = ?
                WHERE alarm_seq = ? AND closed_wall IS NULL
                """, [at.wallMillis, by.rawValue, witness.rawValue, note, seq, alarmSeq])
        case .refusal(let patient, let staff, let refusals, let at):
            try exec("""
                INSERT INTO refusal (patient, staff, reasons, detail, wall, day, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [patient?.rawValue, staff?.rawValue, refusals.map(\.reason.rawValue).joined(separator: ","),
                      refusals.map(\.description).joined(separator: "; "), at.wallMillis, day(at), seq])
        case .hold(let patient, let reason, let at):
            try exec("""
                INSERT INTO hold (patient, reason, since_wall, since_boot, since_boot_id, hold_seq) VALUES (?, ?, ?, ?, ?, ?)
                """, [patient.rawValue, reason, at.wallMillis, at.bootMillis, at.bootID, seq])
        case .holdCleared(let patient, let by, let reason, let at):
            try exec("""
                UPDATE hold SET cleared_wall = ?, cleared_by = ?, cleared_reason = ?, clear_seq = ?
                WHERE patient = ? AND cleared_wall IS NULL
                """, [at.wallMillis, by.rawValue, reason, seq, patient.rawValue])
        // The reason (and the release, the days missed) are in the audit record `seq` names.
        case .observationCleared(let patient, let by, _, _, let at):
            try decision(patient, "observation-cleared", by: by, at: at, seq: seq)
        case .reauthorised(let patient, let by, _, _, let at):
            try decision(patient, "reauthorised", by: by, at: at, seq: seq)
        case .lockdown(let on, let reason, let by, let at):
            try exec("""
                INSERT INTO lockdown_state (id, active, reason, actor, since_wall, audit_seq) VALUES (1, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET active = excluded.active, reason = excluded.reason,
                    actor = excluded.actor, since_wall = excluded.since_wall, audit_seq = excluded.audit_seq
                """, [on, reason, by, at.wallMillis, seq])
        case .waste(let release, let serial, let mg, let by, let witness, let reason, let at):
            try exec("""
                INSERT INTO waste (release_id, serial, mg, staff, witness, reason, wall, day, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [release?.rawValue, serial?.rawValue, mg, by.rawValue, witness.rawValue, reason, at.wallMillis, day(at), seq])
            if let serial, release == nil {
                try exec("UPDATE stock_unit SET state = 'wasted', state_wall = ? WHERE serial = ?", [at.wallMillis, serial.rawValue])
            }
            if let release, WasteReason(reasonText: reason) == .residue {
                try exec("UPDATE dose_release SET residue_wasted_mg = residue_wasted_mg + ? WHERE id = ?", [mg, release.rawValue])
            }
        case .stockReceived(let units, let by, let witness, let at):
            for u in units {
                try exec("""
                    INSERT INTO stock_unit (serial, drug, route, strength_mg, batch, expiry, received_wall, received_by, witness,
                        state, state_wall, audit_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'in-stock', ?, ?)
                    """, [u.serial.rawValue, u.drug.rawValue, u.route.rawValue, u.strengthMg, u.batch, u.expiry, at.wallMillis,
                          by.rawValue, witness.rawValue, at.wallMillis, seq])
            }
        case .admin(let action, let detail, let actor, let at):
            try exec("""
                INSERT INTO admin_action (action, detail, actor, wall, day, audit_seq) VALUES (?, ?, ?, ?, ?, ?)
                """, [action, detail, actor, at.wallMillis, day(at), seq])
        case .prescriberKeyRevoked(let key, _, _, _, _, let at):
            try exec("UPDATE prescriber_key SET revoked_wall = ? WHERE key_id = ?", [at.wallMillis, key])
        case .startup, .recovery, .residueOutstanding:
            break  // the audit record is the whole of it (the owed residue is computed, Store+Residue)
        case .countStarted(let c):
            try exec("""
                INSERT INTO stock_count (id, state, kinds, started_by, witness, started_wall, started_boot, started_boot_id, start_seq)
                VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?)
                """, [c.id, c.kinds.map(\.key).joined(separator: ","), c.by.rawValue, c.witness.rawValue,
                      c.startedAt.wallMillis, c.startedAt.bootMillis, c.startedAt.bootID, seq])
        case .countEntered(let id, let lines, _, _, let at):
            let text = lines.map { "\($0.kind.key)=\($0.counted)/\($0.expected)" }.joined(separator: ",")
            try exec("""
                UPDATE stock_count SET state = 'entered', entered_wall = ?, entered_day = ?, matched = ?, lines = ?, enter_seq = ?
                WHERE id = ? AND state = 'open'
                """, [at.wallMillis, day(at), lines.allSatisfy(\.matches), text, seq, id])
        case .countCancelled(let id, let reason, let by, let witness, let at):
            try exec("""
                UPDATE stock_count SET state = 'cancelled', cancelled_wall = ?, cancel_reason = ?, cancelled_by = ?, cancel_witness = ?,
                    cancel_seq = ? WHERE id = ? AND state = 'open'
                """, [at.wallMillis, reason, by.rawValue, witness.rawValue, seq, id])
        case .countOverdue(let due, let at):
            try exec("INSERT INTO count_overdue (due_wall, wall, day, audit_seq) VALUES (?, ?, ?, ?)", [due, at.wallMillis, day(at), seq])
        case .discrepancyOpened(let d):
            try exec("""
                INSERT INTO discrepancy (id, count_id, drug, route, strength_mg, expected, counted, opened_wall, opened_boot,
                    opened_boot_id, day, escalate_wall, state, open_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
                """, [d.id, d.countID, d.kind.drug.rawValue, d.kind.route.rawValue, d.kind.strengthMg, d.expected, d.counted,
                      d.openedAt.wallMillis, d.openedAt.bootMillis, d.openedAt.bootID, day(d.openedAt), d.escalateAtWall, seq])
        case .discrepancyResolved(let id, let resolution, let note, let by, let witness, let off, let at):
            try exec("""
                UPDATE discrepancy SET state = 'resolved', resolution = ?, note = ?, resolved_by = ?, resolved_witness = ?,
                    resolved_wall = ?, resolved_day = ?, resolve_seq = ?
                WHERE id = ? AND state = 'open'
                """, [resolution.rawValue, note, by.rawValue, witness.rawValue, at.wallMillis, day(at), seq, id])
            for serial in off {
                try exec("UPDATE stock_unit SET state = 'lost', state_wall = ? WHERE serial = ? AND state = 'in-stock'",
                         [at.wallMillis, serial.rawValue])
                try exec("""
                    INSERT INTO stock_loss (serial, discrepancy_id, resolution, wall, day, audit_seq) VALUES (?, ?, ?, ?, ?, ?)
                    """, [serial.rawValue, id, resolution.rawValue, at.wallMillis, day(at), seq])
            }
        case .discrepancyEscalated(let id, _, let at):
            try exec("UPDATE discrepancy SET escalated_wall = ?, escalated_day = ?, escalate_seq = ? WHERE id = ?",
                     [at.wallMillis, day(at), seq, id])
        case .overrideOpened(let o):
            try exec("""
                INSERT INTO override (id, patient, drug, route, dose_mg, reason, opened_by, second_by, opened_wall, opened_boot,
                    opened_boot_id, day, expires_wall, expires_boot, expires_boot_id, state, open_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
                """, [o.id, o.patient.rawValue, o.drug.rawValue, o.route.rawValue, o.doseMg, o.reason, o.openedBy.rawValue,
                      o.secondBy.rawValue, o.openedAt.wallMillis, o.openedAt.bootMillis, o.openedAt.bootID, day(o.openedAt),
                      o.expiresAt.wallMillis, o.expiresAt.bootMillis, o.expiresAt.bootID, seq])
        case .overrideClosed(let id, let reason, let by, let at):
            try exec("""
                UPDATE override SET state = ?, closed_wall = ?, closed_day = ?, closed_by = ?, close_reason = ?, close_seq = ?
                WHERE id = ? AND state = 'open'
                """, [by == nil ? "expired" : "closed", at.wallMillis, day(at), by?.rawValue, reason, seq, id])
        case .overrideReviewed(let id, let by, let note, let at):
            try exec("UPDATE override SET reviewed_by = ?, reviewed_wall = ?, reviewed_day = ?, review_note = ?, review_seq = ? WHERE id = ?",
                     [by.rawValue, at.wallMillis, day(at), note, seq, id])
        }
    }

    func downtime(_ alarmSeq: Int64) throws(StoreError) -> Downtime? {
        try row("SELECT * FROM downtime WHERE alarm_seq = ?", [alarmSeq]).map(Store.downtime)
    }

    /// Everything `DowntimeRules.lateEntryProblems` checked, again against the rows of this
    /// transaction: the downtime is open and holds the time given, the units are in stock and
    /// are what the entry says, the release is new.
    func checkLateEntry(_ e: LateEntry) throws(StoreError) {
        guard let d = try downtime(e.downtimeSeq), d.isOpen else { throw .conflict("no open downtime \(e.downtimeSeq)") }
        if !d.contains(wall: e.givenAt.wallMillis) {
            throw .conflict("late entry: \(e.givenAt) is not inside downtime \(e.downtimeSeq)")
        }
        try notDuringCount("a late entry")
        if e.units.isEmpty || Set(e.units.map(\.serial)).count != e.units.count {
            throw .invalidInput("late entry: name each unit once")
        }
        if e.by == e.witness { throw .invalidInput("a late entry needs two different staff members") }
        for person in [e.by, e.witness] {
            let staff = try row("SELECT also_patient FROM staff WHERE id = ?", [person.rawValue])
            let also: String? = staff?["also_patient"]
            if also == e.patient.rawValue {
                throw .invalidInput("\(person) cannot enter or check a late entry of their own dose")
            }
        }
        if e.prescription.patient != e.patient {
            throw .invalidInput("late entry: prescription \(e.prescription.id) is not \(e.patient)'s")
        }
        if e.outcome == .consumed && e.closeOut.rule != .witnessed {
            throw .invalidInput("late entry: \(e.prescription.route.rawValue) units close out by return, not consumed")
        }
        if try row("SELECT 1 FROM dose_release WHERE id = ?", [e.release.rawValue]) != nil {
            throw .conflict("release \(e.release) already exists")
        }
        if try row("SELECT 1 FROM patient WHERE id = ?", [e.patient.rawValue]) == nil {
            throw .conflict("late entry: patient \(e.patient) is not enrolled")
        }
        for u in e.units {
            guard let stock = try row("SELECT drug, route, strength_mg, state FROM stock_unit WHERE serial = ?", [u.serial.rawValue]),
                  (stock["state"] as String) == StockState.inStock.rawValue else {
                throw .unitRefused(serial: u.serial, anomaly: .unknownSerial, detail: "not in stock")
            }
            let wanted = StockKind(drug: e.prescription.drug, route: e.prescription.route, strengthMg: e.units[0].strengthMg)
            let inRegister = StockKind(drug: stock["drug"], route: stock["route"], strengthMg: stock["strength_mg"])
            let problems = (inRegister.map { UnitMatch.problems($0, wanted: wanted) } ?? ["a drug or route the cabinet does not know"])
                + (u.strengthMg == e.units[0].strengthMg ? [] : ["\(u.strengthMg) mg, the late entry's units are \(e.units[0].strengthMg) mg"])
            if !problems.isEmpty {
                throw .unitRefused(serial: u.serial, anomaly: .unitMismatch,
                                   detail: "not a unit of the late entry's drug, route and strength: \(problems.joined(separator: "; "))")
            }
        }
    }

    func endRelease(_ id: ReleaseID, state: String, unitsIssued: Int, outcome: String, at: Moment, seq: Int64) throws(StoreError) {
        try exec("""
            UPDATE dose_release SET state = ?, ended_wall = ?, ended_boot = ?, ended_boot_id = ?, ended_day = ?,
                units_issued = ?, outcome = ?, end_seq = ?
            WHERE id = ? AND state = 'intent'
            """, [state, at.wallMillis, at.bootMillis, at.bootID, day(at), unitsIssued, outcome, seq, id.rawValue])
    }

    func closeUnit(_ serial: UnitSerial, state: UnitState, by: String?, reason: String?, at: Moment, seq: Int64) throws(StoreError) {
        try exec("""
            UPDATE issued_unit SET state = ?, closed_wall = ?, closed_boot = ?, closed_boot_id = ?, closed_day = ?,
                closed_by = ?, close_reason = ?, close_seq = ?
            WHERE serial = ? AND state = 'open'
            """, [state.rawValue, at.wallMillis, at.bootMillis, at.bootID, day(at), by, reason, seq, serial.rawValue])
    }

    func incident(_ kind: String, reason: String, serial: String?, patient: String?, detail: String, at: Moment, seq: Int64) throws(StoreError) {
        try exec("""
            INSERT INTO incident (kind, reason, serial, patient, detail, wall, boot, boot_id, day, audit_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [kind, reason, serial, patient, detail, at.wallMillis, at.bootMillis, at.bootID, day(at), seq])
    }

    func decision(_ patient: PatientID, _ kind: String, by: StaffID, at: Moment, seq: Int64) throws(StoreError) {
        try exec("""
            INSERT INTO clinical_decision (patient, kind, staff, wall, boot, boot_id, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [patient.rawValue, kind, by.rawValue, at.wallMillis, at.bootMillis, at.bootID, seq])
    }
}

/// Where a unit in the stock register stands.
public enum StockState: String, Hashable, Sendable, Codable {
    case inStock = "in-stock"
    case issued
    /// Destroyed from stock, witnessed.
    case wasted
    /// Written off by a discrepancy resolved as a loss or suspected theft.
    case lost
}

/// Stored form of an audit record's fields: JSON with sorted keys (the hash is over the
/// event itself, so the stored form only has to read back exactly).
enum AuditCodec {
    static func encodeFields(_ fields: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(fields) else { return "{}" }  // [String: String] always encodes
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeFields(_ text: String) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    /// Reads a record back without trusting the row: a value of the wrong type (the file was
    /// edited) gives nil, never a crash.
    static func record(_ row: Row) -> AuditRecord? {
        func value<T: DatabaseValueConvertible>(_ column: String, _: T.Type) -> T? {
            let v: DatabaseValue = row[column]
            return T.fromDatabaseValue(v)
        }
        guard let seq = value("seq", Int64.self), let wall = value("wall", Int64.self),
              let kindName = value("kind", String.self), let kind = AuditEventKind(rawValue: kindName),
              let message = value("message", String.self), let fieldsText = value("fields", String.self),
              let fields = decodeFields(fieldsText), let previous = value("prev_hash", String.self),
              let hash = value("hash", String.self)
        else { return nil }
        let event = AuditEvent(kind: kind, wallMillis: wall, message: message, fields: fields)
        return AuditRecord(seq: seq, event: event, previousHash: previous, hash: hash)
    }
}
