import DoseCabCore
import DoseCabStore

/// Every failed rule of a refused clinical decision (docs/policy.md, "Observation and
/// re-authorisation").
public struct ClinicalRefused: Error, Sendable, CustomStringConvertible {
    public var refusals: [ClinicalRefusal]
    public var description: String { "refused: " + refusals.map(\.description).joined(separator: "; ") }
}

/// Clinical decisions in the daemon (ARCHITECTURE §3 step 3, §4a "People and roles"): ending a
/// post-dose observation early and re-authorising after missed doses. The staff member was
/// identified by badge + PIN (with the counter's lockout) before this; the core's rules decide
/// from the same store the write goes to, on this actor, so the record reaches the journal in
/// chain order and the next decision at the counter sees it.
extension CabinetDriver {
    /// Ends `patient`'s running observation early: `observation-ended` record and journal entry.
    public func endObservation(_ patient: PatientID, by staff: Staff, reason: String) throws -> (RunningObservation, AuditRecord) {
        let now = clock.now()
        let policy = config.policy
        let history = try store.patientHistory(patient, now: now, policy: policy)
        let running = ClinicalRules.runningObservation(history, now: now, policy: policy)
        let problems = ClinicalRules.endObservationProblems(patient: patient, running: running, staff: staff, reason: reason, now: now)
        guard problems.isEmpty, let running else { throw ClinicalRefused(refusals: problems) }
        let record = try commitForRequest([.observationCleared(patient, by: staff.id, reason: reason, release: running.release, at: now)])[0]
        return (running, record)
    }

    /// Re-authorises `patient` after missed doses: `reauthorised` record and journal entry.
    public func reauthorise(_ patient: PatientID, by staff: Staff, reason: String) throws -> (missedDays: Int64, record: AuditRecord) {
        let now = clock.now()
        let policy = config.policy
        let history = try store.patientHistory(patient, now: now, policy: policy)
        let problems = ClinicalRules.reauthoriseProblems(patient: patient, history: history, staff: staff, reason: reason,
                                                         now: now, policy: policy)
        guard problems.isEmpty, let missed = ClinicalRules.missedDays(history, now: now, policy: policy) else {
            throw ClinicalRefused(refusals: problems)
        }
        let record = try commitForRequest([.reauthorised(patient, by: staff.id, reason: reason, missedDays: Int(missed), at: now)])[0]
        return (missed, record)
    }

    /// A clinical step keyed at the counter (`CounterClinicalStep`): the same calls as the control
    /// socket's `observation.end` and `reauthorise`, so the rules, the record and the journal
    /// event are the same; only the staff member was identified at the counter (their badge's
    /// session and their PIN keyed again).
    func counterClinicalDecision(_ request: ClinicalRequest) -> ClinicalOutcome {
        do {
            switch request.step {
            case .endObservation:
                let (running, record) = try endObservation(request.patient, by: request.staff, reason: request.reason)
                let after = running.release.map { " after release \($0)" } ?? ""
                return .recorded("observation of \(request.patient)\(after) ended early by \(request.staff.id) (audit \(record.seq))")
            case .reauthorise:
                let (missed, record) = try reauthorise(request.patient, by: request.staff, reason: request.reason)
                return .recorded("\(request.patient) re-authorised by \(request.staff.id) after \(missed) missed day(s) (audit \(record.seq))")
            }
        } catch let refused as ClinicalRefused {
            return .refused(refused.refusals)
        } catch {
            // As over the socket: nothing recorded, the counter says why.
            return .failed("\(error)")
        }
    }
}
