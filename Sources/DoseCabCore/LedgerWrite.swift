/// Everything the cabinet writes to its record of truth. Each write is committed by the store in
/// one transaction together with exactly one audit record (`auditEvent`), so the ledger and the
/// audit chain can never disagree, and the journal mirrors that record.
public enum LedgerWrite: Hashable, Sendable {
    /// Write-ahead: committed (fsync) before the lock may be energised (I1).
    case releaseIntent(ReleaseID, ReleasePlan)
    /// The release ended: door closed and bolt confirmed (or the window lapsed unused).
    case releaseCompleted(ReleaseID, patient: PatientID, unitsIssued: Int, unitsExpected: Int, outcome: String, at: Moment)
    /// Found committed but never completed at start: accounted for, units stay open (recovery).
    case releaseInterrupted(ReleaseID, patient: PatientID, reason: String, at: Moment)
    /// A unit taken out during an open release and scanned: leaves stock, opens its close-out.
    case issue(IssuedUnit)
    case unitReturned(UnitSerial, release: ReleaseID, patient: PatientID, at: Moment)
    case unitConsumed(UnitSerial, release: ReleaseID, patient: PatientID, witness: StaffID, at: Moment)
    /// A unit not closed out by its deadline.
    case unitIncident(UnitSerial, release: ReleaseID, patient: PatientID, reason: String, at: Moment)
    /// A scan that could not be booked normally (unknown serial, seen before, another patient's...).
    case anomaly(LedgerAnomaly, serial: UnitSerial, patient: PatientID?, detail: String, at: Moment)
    case refusal(patient: PatientID?, staff: StaffID?, refusals: [Refusal], at: Moment)
    case hold(PatientID, reason: String, at: Moment)
    case holdCleared(PatientID, by: StaffID, reason: String, at: Moment)
    /// Staff ended the patient's post-dose observation (after `release`) before its time ran out.
    case observationCleared(PatientID, by: StaffID, reason: String, release: ReleaseID?, at: Moment)
    /// A clinician or admin re-authorised the patient after `missedDays` days without a dose.
    case reauthorised(PatientID, by: StaffID, reason: String, missedDays: Int, at: Moment)
    case lockdown(on: Bool, reason: String, by: String, at: Moment)
    case alarm(AlarmKind, detail: String, at: Moment)
    /// The last open unit of a release was closed out (returned, or an incident) while the
    /// release still owes residue. Nothing is refused (a return is physical reality, I5) and the
    /// patient is not held (the waste is the staff's duty): the record makes it visible.
    case residueOutstanding(ResidueAccount, lastUnit: UnitSerial, at: Moment)
    /// Residue or a unit destroyed, with a witness.
    case waste(release: ReleaseID?, serial: UnitSerial?, mg: Int, by: StaffID, witness: StaffID, reason: String, at: Moment)
    case stockReceived([StockUnit], by: StaffID, witness: StaffID, at: Moment)
    /// Any other administrative action (enrolment, import, configuration), with the actor.
    case admin(action: String, detail: String, actor: String, at: Moment)
    case startup(version: String, at: Moment)
    case recovery(summary: String, at: Moment)
    /// Two staff members started a blind count of these kinds.
    case countStarted(CountSheet)
    /// The two counters entered their figures; a line that does not match comes with its
    /// `.discrepancyOpened` in the same transaction.
    case countEntered(countID: String, lines: [CountLine], by: StaffID, witness: StaffID, at: Moment)
    /// Two staff members cancelled an open count nobody will finish.
    case countCancelled(countID: String, reason: String, by: StaffID, witness: StaffID, at: Moment)
    /// A count due at `dueWall` was not entered within its grace (one warning per due time).
    case countOverdue(dueWall: Int64, at: Moment)
    case discrepancyOpened(Discrepancy)
    /// Two people resolved a discrepancy; a loss or suspected theft writes the named units off.
    case discrepancyResolved(id: String, resolution: DiscrepancyResolution, note: String, by: StaffID, witness: StaffID,
                             writtenOff: [UnitSerial], at: Moment)
    /// Still open at the end of the next business day: alert, alarm output, report mark.
    case discrepancyEscalated(id: String, kind: StockKind, at: Moment)
    case overrideOpened(Override)
    /// Closed by `by`, or its window ended (`by` nil).
    case overrideClosed(id: String, reason: String, by: StaffID?, at: Moment)
    case overrideReviewed(id: String, by: StaffID, note: String, at: Moment)
    /// A dose given during a mechanical-key downtime, entered late from the paper register by two
    /// staff members: its release, units and their close-out booked at once (`Downtime.swift`).
    case lateEntry(LateEntry)
    /// Two staff members closed a downtime: everything taken has been entered.
    case downtimeClosed(alarmSeq: Int64, note: String, by: StaffID, witness: StaffID, at: Moment)
    /// Two staff members revoked prescriber key `keyID` (`actor`: who asked, e.g. the socket caller).
    case prescriberKeyRevoked(keyID: String, reason: String, by: StaffID, witness: StaffID, actor: String, at: Moment)

    public var at: Moment {
        switch self {
        case .releaseIntent(_, let p): p.at
        case .releaseCompleted(_, _, _, _, _, let at), .releaseInterrupted(_, _, _, let at),
             .unitReturned(_, _, _, let at), .unitConsumed(_, _, _, _, let at), .unitIncident(_, _, _, _, let at),
             .anomaly(_, _, _, _, let at), .refusal(_, _, _, let at), .hold(_, _, let at), .holdCleared(_, _, _, let at),
             .observationCleared(_, _, _, _, let at), .reauthorised(_, _, _, _, let at), .lockdown(_, _, _, let at),
             .alarm(_, _, let at), .waste(_, _, _, _, _, _, let at), .stockReceived(_, _, _, let at),
             .admin(_, _, _, let at), .startup(_, let at), .recovery(_, let at),
             .countEntered(_, _, _, _, let at), .countOverdue(_, let at), .countCancelled(_, _, _, _, let at), .discrepancyResolved(_, _, _, _, _, _, let at),
             .discrepancyEscalated(_, _, let at), .overrideClosed(_, _, _, let at), .overrideReviewed(_, _, _, let at),
             .residueOutstanding(_, _, let at), .downtimeClosed(_, _, _, _, let at),
             .prescriberKeyRevoked(_, _, _, _, _, let at): at
        case .lateEntry(let e): e.enteredAt
        case .issue(let u): u.issuedAt
        case .countStarted(let sheet): sheet.startedAt
        case .discrepancyOpened(let d): d.openedAt
        case .overrideOpened(let o): o.openedAt
        }
    }

    /// The one audit event this write produces (its fields are the register's columns).
    public var auditEvent: AuditEvent {
        let t = at.wallMillis
        switch self {
        case .releaseIntent(let id, let p):
            return AuditEvent(kind: .release, wallMillis: t,
                message: "release \(id): \(p.doseMg) mg \(p.drug.rawValue) (\(p.route.rawValue)) for \(p.patient), \(p.unitCount) x \(p.unitStrengthMg) mg, witness \(p.witness)",
                fields: ["release": id.rawValue, "patient": p.patient.rawValue, "staff": p.staff.rawValue,
                         "witness": p.witness.rawValue, "drug": p.drug.rawValue, "route": p.route.rawValue,
                         "dose_mg": String(p.doseMg), "unit_strength_mg": String(p.unitStrengthMg),
                         "unit_count": String(p.unitCount), "residue_mg": String(p.residueMg),
                         "prescription": "\(p.prescriptionID)@\(p.prescriptionVersion)", "prescriber": p.prescriber,
                         "identity": p.identityMethod, "close_out": p.closeOut.rule.rawValue]
                    .merging(p.overrideID.map { ["override": $0] } ?? [:]) { a, _ in a }
                    .merging(p.observationMinutes.map { ["observation_minutes": String($0)] } ?? [:]) { a, _ in a })
        case .releaseCompleted(let id, let patient, let issued, let expected, let outcome, _):
            return AuditEvent(kind: .releaseCompleted, wallMillis: t,
                message: "release \(id) completed: \(issued) of \(expected) units issued (\(outcome))",
                fields: ["release": id.rawValue, "patient": patient.rawValue, "units_issued": String(issued),
                         "units_expected": String(expected), "reason": outcome])
        case .releaseInterrupted(let id, let patient, let reason, _):
            return AuditEvent(kind: .recovery, wallMillis: t, message: "release \(id) interrupted: \(reason)",
                fields: ["release": id.rawValue, "patient": patient.rawValue, "reason": reason])
        case .issue(let u):
            return AuditEvent(kind: .issue, wallMillis: t,
                message: "unit \(u.serial) (\(u.strengthMg) mg \(u.drug.rawValue)) issued on release \(u.release) to \(u.patient); close-out by \(u.rule.rawValue)",
                fields: ["release": u.release.rawValue, "patient": u.patient.rawValue, "unit": u.serial.rawValue,
                         "drug": u.drug.rawValue, "route": u.route.rawValue, "strength_mg": String(u.strengthMg),
                         "close_out": u.rule.rawValue, "deadline": String(u.deadline.wallMillis)])
        case .unitReturned(let s, let r, let p, _):
            return AuditEvent(kind: .return, wallMillis: t, message: "unit \(s) returned (release \(r), patient \(p))",
                fields: ["unit": s.rawValue, "release": r.rawValue, "patient": p.rawValue])
        case .unitConsumed(let s, let r, let p, let w, _):
            return AuditEvent(kind: .consumed, wallMillis: t, message: "unit \(s) consumed, witnessed by \(w) (release \(r), patient \(p))",
                fields: ["unit": s.rawValue, "release": r.rawValue, "patient": p.rawValue, "witness": w.rawValue, "staff": w.rawValue])
        case .unitIncident(let s, let r, let p, let reason, _):
            return AuditEvent(kind: .incident, wallMillis: t, message: "unit \(s) not closed out: \(reason) (release \(r), patient \(p))",
                fields: ["unit": s.rawValue, "release": r.rawValue, "patient": p.rawValue, "reason": reason])
        case .anomaly(let kind, let s, let p, let detail, _):
            var f = ["unit": s.rawValue, "reason": kind.rawValue, "detail": detail]
            if let p { f["patient"] = p.rawValue }
            return AuditEvent(kind: .incident, wallMillis: t, message: "unit \(s): \(kind.rawValue): \(detail)", fields: f)
        case .refusal(let p, let s, let refusals, _):
            var f = ["reason": refusals.map(\.reason.rawValue).joined(separator: ","),
                     "detail": refusals.map(\.description).joined(separator: "; ")]
            if let p { f["patient"] = p.rawValue }
            if let s { f["staff"] = s.rawValue }
            return AuditEvent(kind: .refusal, wallMillis: t,
                message: "refused\(p.map { " \($0)" } ?? ""): \(refusals.map(\.description).joined(separator: "; "))", fields: f)
        case .hold(let p, let reason, _):
            return AuditEvent(kind: .hold, wallMillis: t, message: "patient \(p) on hold: \(reason)",
                fields: ["patient": p.rawValue, "reason": reason])
        case .holdCleared(let p, let by, let reason, _):
            return AuditEvent(kind: .holdCleared, wallMillis: t, message: "hold on \(p) cleared by \(by): \(reason)",
                fields: ["patient": p.rawValue, "staff": by.rawValue, "reason": reason])
        case .observationCleared(let p, let by, let reason, let release, _):
            var f = ["patient": p.rawValue, "staff": by.rawValue, "reason": reason]
            if let release { f["release"] = release.rawValue }
            return AuditEvent(kind: .observationEnded, wallMillis: t,
                message: "observation of \(p)\(release.map { " after release \($0)" } ?? "") ended early by \(by): \(reason)", fields: f)
        case .reauthorised(let p, let by, let reason, let missed, _):
            return AuditEvent(kind: .reauthorised, wallMillis: t,
                message: "\(p) re-authorised after \(missed) day(s) without a dose by \(by): \(reason)",
                fields: ["patient": p.rawValue, "staff": by.rawValue, "reason": reason, "missed_days": String(missed)])
        case .lockdown(let on, let reason, let by, _):
            return AuditEvent(kind: .lockdown, wallMillis: t, message: "lockdown \(on ? "on" : "off") by \(by): \(reason)",
                fields: ["state": on ? "on" : "off", "reason": reason, "actor": by])
        case .alarm(let kind, let detail, _):
            return AuditEvent(kind: .alarm, wallMillis: t, message: "ALARM \(kind.rawValue): \(detail)",
                fields: ["reason": kind.rawValue, "detail": detail])
        case .waste(let r, let s, let mg, let by, let w, let reason, _):
            var f = ["dose_mg": String(mg), "staff": by.rawValue, "witness": w.rawValue, "reason": reason]
            if let r { f["release"] = r.rawValue }
            if let s { f["unit"] = s.rawValue }
            return AuditEvent(kind: .waste, wallMillis: t, message: "\(mg) mg wasted by \(by), witness \(w): \(reason)", fields: f)
        case .residueOutstanding(let a, let last, _):
            return AuditEvent(kind: .residueOutstanding, wallMillis: t,
                message: "release \(a.release) closed out (last unit \(last)) with \(a.owedMg) mg \(a.drug.rawValue) residue not wasted with a witness (patient \(a.patient)): "
                    + "dosecabctl stock waste --release \(a.release) --mg \(a.owedMg) --reason residue",
                fields: ["release": a.release.rawValue, "patient": a.patient.rawValue, "drug": a.drug.rawValue, "unit": last.rawValue,
                         "residue_mg": String(a.owedMg), "reason": RefusalReason.residueNotWasted.rawValue])
        case .stockReceived(let units, let by, let w, _):
            let kinds = Set(units.map(\.kind)).sorted().map(\.key).joined(separator: ",")
            let batches = Set(units.map { "\($0.batch ?? "?") exp \($0.expiry ?? "?")" }).sorted().joined(separator: ", ")
            return AuditEvent(kind: .receipt, wallMillis: t, message: "\(units.count) units of \(kinds) (batch \(batches)) loaded by \(by), witness \(w)",
                fields: ["action": "stock-received", "staff": by.rawValue, "witness": w.rawValue, "kind": kinds,
                         "batch": batches, "units": units.map(\.serial.rawValue).joined(separator: ",")])
        case .countStarted(let sheet):
            return AuditEvent(kind: .count, wallMillis: t,
                message: "blind count \(sheet.id) started by \(sheet.by) and \(sheet.witness): \(sheet.kinds.count) kind(s) to count",
                fields: ["count": sheet.id, "staff": sheet.by.rawValue, "witness": sheet.witness.rawValue, "state": "started",
                         "kind": sheet.kinds.map(\.key).joined(separator: ",")])
        case .countEntered(let id, let lines, let by, let w, _):
            let bad = lines.filter { !$0.matches }
            let figures = lines.map { "\($0.kind.key) expected \($0.expected) counted \($0.counted)" }.joined(separator: "; ")
            return AuditEvent(kind: .count, wallMillis: t,
                message: "blind count \(id) by \(by) and \(w): " + (bad.isEmpty ? "matches the ledger" : "\(bad.count) kind(s) do not match"),
                fields: ["count": id, "staff": by.rawValue, "witness": w.rawValue, "state": bad.isEmpty ? "matched" : "mismatch",
                         "detail": figures])
        case .countCancelled(let id, let reason, let by, let w, _):
            return AuditEvent(kind: .count, wallMillis: t, message: "blind count \(id) cancelled by \(by) and \(w): \(reason)",
                fields: ["count": id, "staff": by.rawValue, "witness": w.rawValue, "state": "cancelled", "reason": reason])
        case .countOverdue(let due, _):
            return AuditEvent(kind: .countOverdue, wallMillis: t,
                message: "blind count due at \(CivilTime(wallMillis: due, utcOffsetMinutes: 0).iso8601) was not done",
                fields: ["due": String(due), "reason": "count-overdue"])
        case .discrepancyOpened(let d):
            return AuditEvent(kind: .discrepancy, wallMillis: t,
                message: "discrepancy \(d.id): \(d.kind.key) counted \(d.counted), ledger says \(d.expected) (count \(d.countID))",
                fields: ["discrepancy": d.id, "count": d.countID, "drug": d.kind.drug.rawValue, "route": d.kind.route.rawValue,
                         "strength_mg": String(d.kind.strengthMg), "expected": String(d.expected), "counted": String(d.counted),
                         "escalate_at": String(d.escalateAtWall), "reason": "count-mismatch"])
        case .discrepancyResolved(let id, let resolution, let note, let by, let w, let off, _):
            var f = ["discrepancy": id, "resolution": resolution.rawValue, "staff": by.rawValue, "witness": w.rawValue,
                     "reason": "\(resolution.rawValue): \(note)"]
            if !off.isEmpty { f["units"] = off.map(\.rawValue).joined(separator: ",") }
            return AuditEvent(kind: .discrepancyResolved, wallMillis: t,
                message: "discrepancy \(id) resolved as \(resolution.rawValue) by \(by), witness \(w): \(note)"
                    + (off.isEmpty ? "" : "; \(off.count) unit(s) written off"), fields: f)
        case .discrepancyEscalated(let id, let kind, _):
            return AuditEvent(kind: .escalation, wallMillis: t,
                message: "discrepancy \(id) (\(kind.key)) unresolved at the end of the next business day: report a theft or significant loss now",
                fields: ["discrepancy": id, "drug": kind.drug.rawValue, "reason": "unresolved-discrepancy"])
        case .overrideOpened(let o):
            return AuditEvent(kind: .override, wallMillis: t,
                message: "BREAK-GLASS override \(o.id) opened by \(o.openedBy) and \(o.secondBy): \(o.doseMg) mg \(o.drug.rawValue) (\(o.route.rawValue)) for \(o.patient) until \(o.expiresAt): \(o.reason)",
                fields: ["override": o.id, "patient": o.patient.rawValue, "drug": o.drug.rawValue, "route": o.route.rawValue,
                         "dose_mg": String(o.doseMg), "staff": o.openedBy.rawValue, "witness": o.secondBy.rawValue,
                         "expires": String(o.expiresAt.wallMillis), "reason": o.reason])
        case .overrideClosed(let id, let reason, let by, _):
            var f = ["override": id, "reason": reason]
            if let by { f["staff"] = by.rawValue }
            return AuditEvent(kind: .overrideClosed, wallMillis: t,
                message: "override \(id) \(by.map { "closed by \($0)" } ?? "expired"): \(reason)", fields: f)
        case .overrideReviewed(let id, let by, let note, _):
            return AuditEvent(kind: .overrideReviewed, wallMillis: t, message: "override \(id) reviewed and signed off by \(by): \(note)",
                fields: ["override": id, "staff": by.rawValue, "reason": note])
        case .lateEntry(let e):
            let given = CivilTime(wallMillis: e.givenAt.wallMillis, utcOffsetMinutes: 0).iso8601
            return AuditEvent(kind: .lateEntry, wallMillis: t,
                message: "LATE ENTRY for the mechanical-key downtime (alarm \(e.downtimeSeq)): \(e.doseMg) mg \(e.prescription.drug.rawValue) (\(e.prescription.route.rawValue)) given to \(e.patient) at \(given), \(e.units.count) unit(s) \(e.outcome.rawValue); entered by \(e.by), checked by \(e.witness): \(e.note)",
                fields: ["state": "entry", "release": e.release.rawValue, "patient": e.patient.rawValue, "staff": e.by.rawValue,
                         "witness": e.witness.rawValue, "drug": e.prescription.drug.rawValue, "route": e.prescription.route.rawValue,
                         "dose_mg": String(e.doseMg), "units": e.units.map(\.serial.rawValue).joined(separator: ","),
                         "unit_strength_mg": String(e.units.first?.strengthMg ?? 0), "outcome": e.outcome.rawValue,
                         "given": String(e.givenAt.wallMillis), "downtime": String(e.downtimeSeq),
                         "prescription": "\(e.prescription.id)@\(e.prescription.version)", "prescriber": e.prescription.prescriber,
                         "close_out": e.closeOut.rule.rawValue, "reason": e.note])
        case .downtimeClosed(let seq, let note, let by, let w, _):
            return AuditEvent(kind: .lateEntry, wallMillis: t,
                message: "late entry for the mechanical-key downtime (alarm \(seq)) closed by \(by), witness \(w): \(note)",
                fields: ["state": "closed", "downtime": String(seq), "staff": by.rawValue, "witness": w.rawValue, "reason": note])
        case .prescriberKeyRevoked(let key, let reason, let by, let w, let actor, _):
            return AuditEvent(kind: .keyRevoked, wallMillis: t,
                message: "prescriber key \(key) revoked by \(by), witness \(w): \(reason); what it signed is no longer in force",
                fields: ["key": key, "staff": by.rawValue, "witness": w.rawValue, "reason": reason, "actor": actor])
        case .admin(let action, let detail, let actor, _):
            return AuditEvent(kind: .admin, wallMillis: t, message: "\(action) by \(actor): \(detail)",
                fields: ["action": action, "detail": detail, "actor": actor])
        case .startup(let version, _):
            return AuditEvent(kind: .startup, wallMillis: t, message: "dosecabd \(version) started", fields: ["version": version])
        case .recovery(let summary, _):
            return AuditEvent(kind: .recovery, wallMillis: t, message: "recovery: \(summary)", fields: ["detail": summary])
        }
    }
}

/// Physical alarms (I2).
public enum AlarmKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// The door opened without an open release.
    case forcedDoor = "forced-door"
    case tamper
    /// The bolt disagrees with the commanded lock state while the door is closed.
    case boltDisagreement = "bolt-disagreement"
    /// The bolt did not re-engage after the door closed.
    case lockFault = "lock-fault"
    /// The door stayed open too long during a release.
    case doorHeldOpen = "door-held-open"
    /// A line could not be read or written.
    case hardwareFault = "hardware-fault"
    /// The cabinet was opened with the mechanical key while the daemon was down.
    case mechanicalKey = "mechanical-key"
    /// The journal holds an audit record of this store's chain with another hash than the store
    /// has for its sequence number, or one the store no longer has: the store was changed after
    /// the record was journaled (found by the start-up read-back, issue 18.9).
    case journalMismatch = "journal-mismatch"
    /// The store's audit chain is broken or shorter than it was: records were deleted at its end
    /// (found at start from the journal and the mirror cursor) or deleted or edited while the
    /// daemon ran (the tick's incremental check), issue 18.5.
    case chainBroken = "audit-chain-broken"
}
