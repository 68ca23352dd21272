import DoseCabCore

/// The fixed `MESSAGE_ID` of each kind of dosecab journal entry (32 lower-case hex
/// digits, as `systemd-id128 new` prints). They never change: auditors' saved queries and
/// `systemd/dosecab.catalog` depend on them. docs/journal.md lists them.
public enum JournalMessageID {
    /// The `MESSAGE_ID` of an audit event kind.
    public static func forKind(_ kind: AuditEventKind) -> String {
        switch kind {
        case .release: "47686d4e4a2240219b94b7cb1daca31f"
        case .issue: "9dcfbdf9d9f142c38babe177270ae1da"
        case .return: "f6f083325a6a40c68756867ba340d7eb"
        case .consumed: "66e8f7000e0646f891dbe5e6ade4f89e"
        case .refusal: "22052c28f7a746309675442d96ae5755"
        case .hold: "391722fb6ac342df8319f85be05f5a99"
        case .holdCleared: "8afc5d58220a49758002f38f007c5087"
        case .incident: "a593d65385df448db9f9cd7bbeea1e18"
        case .alarm: "f0798ba04e914517ab0b3ad6c4250ce5"
        case .lockdown: "a754c0e824bb4189afa3085f4f547e87"
        case .admin: "988b4b5196c8491ca18a78abb65e4cf7"
        case .releaseCompleted: "0b910aa1368443aeb302269b81bee6da"
        case .waste: "945307fadb3a452dad12a2b1a1cbe8f5"
        case .startup: "5527b09df02747d3b7defb0e0ec658f2"
        case .recovery: "6251d2c8ab5641eb9a76e7611d8627c4"
        case .receipt: "1fcff7f8bb13430caadad2abbbd30c5b"
        case .count: "a4bc241b346e4e50ad36a5bf500fe691"
        case .countOverdue: "72c7f80ec6a94061a162b0329eaab199"
        case .discrepancy: "d3519d1c4edf41e3b04baa488388ac69"
        case .discrepancyResolved: "59ae1cecaa9742a1b1aeacac59ccccda"
        case .escalation: "d63a64f87fd447cdb9b337589fad5086"
        case .override: "034ac2b66a6c4006a1e0715b0ff67607"
        case .overrideClosed: "4d7e9ebd17c14ec08d546eab092f462a"
        case .overrideReviewed: "24e1331c71e14def8826c46134727d18"
        case .residueOutstanding: "2dee52d961144a7f9adceee1cd0c9664"
        case .lateEntry: "72de2aee713f40d883158b06dab50c3f"
        case .observationEnded: "0b33ee900d5842f3aa75281e94655752"
        case .reauthorised: "aa5aa1ea7a944a58b6ab066b3e3a0de1"
        case .keyRevoked: "8003f083da014e328af2b56011ae642e"
        }
    }

    /// `dosecabd --safe-state` (the unit's `ExecStopPost=`) de-energised the lock. Not an
    /// audit event (it runs without the store), but the crash test looks for it.
    public static let safeState = "36a00af633564a06859e0a9fccbb9ca2"

    /// Every dosecab `MESSAGE_ID` with a short name, for the catalog check and docs.
    public static var all: [(name: String, id: String)] {
        AuditEventKind.allCases.map { ($0.rawValue, forKind($0)) } + [("safe-state", safeState)]
    }
}

extension AuditEventKind {
    /// The priority this kind is journaled at unless the event overrides it.
    /// A release is notice; routine accounting is info; an incident or hold is err (a unit
    /// may be outside the clinic); a physical alarm is alert (forced door, tamper).
    public var journalPriority: JournalPriority {
        switch self {
        case .release: .notice
        case .issue, .return, .consumed, .releaseCompleted: .info
        case .refusal, .holdCleared, .admin, .waste, .startup: .notice
        // Clinical decisions, like clearing a hold: on the record, nothing wrong.
        case .observationEnded, .reauthorised: .notice
        case .hold, .incident: .error
        case .alarm: .alert
        case .lockdown, .recovery, .countOverdue: .warning
        // A prescriber's key revoked: every prescription it signed stops at once.
        case .keyRevoked: .warning
        // Residue not wasted when a release's units are all closed out: the staff's duty left
        // undone, a register gap rather than a unit outside the clinic.
        case .residueOutstanding: .warning
        // A dose booked after the fact, from paper: an auditor looks at every one.
        case .lateEntry: .warning
        // Stock control (issue #11): a discrepancy is err like an incident; an escalation (a
        // possible theft to report within one business day) and a break-glass override are alert.
        case .receipt, .count, .discrepancyResolved, .overrideClosed, .overrideReviewed: .notice
        case .discrepancy: .error
        case .escalation, .override: .alert
        }
    }
}
