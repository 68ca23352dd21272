import DoseCabCore
import DoseCabSystemd

/// One event of every kind, the release with every field, values that stress the
/// encoding (a newline, `=`, non-ASCII). The journald test sends them and compares field
/// by field; the unit tests pin the literal fields.
enum SampleEvents {
    static let release = AuditJournalEvent(
        kind: .release, message: "Released 200 mg DAM (injectable) to patient P-0042",
        releaseID: "R-2026-0001", patient: "P-0042", staff: "S-007", drug: "diacetylmorphine",
        route: "injectable", doseMg: 200, unit: "AMP-123456", prescription: "RX-88",
        reason: "all rules passed\nwitness: S-007 (sober)", auditSeq: 41,
        auditHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )

    static var all: [AuditJournalEvent] {
        var events = [release]
        var seq: UInt64 = 42
        for kind in AuditEventKind.allCases where kind != .release {
            events.append(AuditJournalEvent(
                kind: kind, message: "sample \(kind.rawValue) event, größe=12.5 mg",
                releaseID: "R-2026-0001", patient: "P-0042", staff: "S-007",
                doseMg: 12.5, unit: "AMP-123456", reason: "reason for \(kind.rawValue)",
                auditSeq: seq, auditHash: String(repeating: "ab", count: 32)
            ))
            seq += 1
        }
        return events
    }
}
