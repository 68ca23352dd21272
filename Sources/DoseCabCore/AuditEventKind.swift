/// Every kind of event that goes to the audit chain and to the journal (ARCHITECTURE §4 I3).
/// The raw value is the journal's `DOSECAB_EVENT` field.
public enum AuditEventKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// A dose was released: the lock was about to be energised.
    case release
    /// A unit was taken out during an open release and scanned (issue scan).
    case issue
    /// An empty unit came back through the return scanner and the chute beam.
    case `return`
    /// A witness confirmed a unit was consumed on the spot (witnessed close-out).
    case consumed
    /// A request was refused; `reason` lists every failed rule.
    case refusal
    /// A patient was put on hold.
    case hold
    /// A hold was cleared by a clinician or admin.
    case holdCleared = "hold-cleared"
    /// An accounting incident: a unit not closed out in time, an unknown or repeated serial.
    case incident
    /// A physical alarm: forced door, tamper, bolt disagreement, lock fault.
    case alarm
    /// Lockdown switched on or off.
    case lockdown
    /// An administrative action (enrolment, stock, prescription import, override).
    case admin
    /// A release was completed: door closed, bolt engaged, units counted.
    case releaseCompleted = "release-completed"
    /// Residue of a dose or a unit destroyed, witnessed.
    case waste
    /// The daemon started.
    case startup
    /// The daemon recovered state left by an earlier run.
    case recovery
    /// Units loaded into the cabinet by two staff members, with batch and expiry.
    case receipt
    /// A blind count was started or entered.
    case count
    /// A count due at a scheduled time was not entered within its grace.
    case countOverdue = "count-overdue"
    /// A blind count did not match the ledger: releases of the drug (or all) are frozen.
    case discrepancy
    /// Two staff members resolved a discrepancy with a reason.
    case discrepancyResolved = "discrepancy-resolved"
    /// A discrepancy was still open at the end of the next business day after its discovery.
    case escalation
    /// A break-glass override was opened.
    case override
    /// A break-glass override was closed, or its window ended.
    case overrideClosed = "override-closed"
    /// A second admin reviewed and signed off a break-glass override.
    case overrideReviewed = "override-reviewed"
    /// Every unit of a release was closed out (returned, or an incident) while residue of it was
    /// still not wasted with a witness: the staff's duty, visible until the waste is recorded.
    case residueOutstanding = "residue-outstanding"
    /// A dose given during a mechanical-key downtime was entered late from the paper register by
    /// two staff members (`state` entry), or the downtime's late entry was closed (`state` closed).
    case lateEntry = "late-entry"
    /// Staff (a nurse, clinician or admin) ended a patient's post-dose observation early, with
    /// badge + PIN and a reason. An observation that runs its time ends by itself, unrecorded.
    case observationEnded = "observation-ended"
    /// A clinician or admin re-authorised a patient after missed doses, with badge + PIN and a reason.
    case reauthorised
    /// Two staff members revoked a prescriber's key, with a reason: it signs nothing more, and
    /// what it signed is no longer in force (issue 18.13).
    case keyRevoked = "key-revoked"
}
