import DoseCabCore
@testable import DoseCabSystemd
import Foundation
import Testing

@Suite struct AuditJournalEventTests {
    /// The MESSAGE_IDs are fixed forever: saved queries and the catalog use them.
    static let expectedIDs: [AuditEventKind: String] = [
        .release: "47686d4e4a2240219b94b7cb1daca31f",
        .issue: "9dcfbdf9d9f142c38babe177270ae1da",
        .return: "f6f083325a6a40c68756867ba340d7eb",
        .consumed: "66e8f7000e0646f891dbe5e6ade4f89e",
        .refusal: "22052c28f7a746309675442d96ae5755",
        .hold: "391722fb6ac342df8319f85be05f5a99",
        .holdCleared: "8afc5d58220a49758002f38f007c5087",
        .incident: "a593d65385df448db9f9cd7bbeea1e18",
        .alarm: "f0798ba04e914517ab0b3ad6c4250ce5",
        .lockdown: "a754c0e824bb4189afa3085f4f547e87",
        .admin: "988b4b5196c8491ca18a78abb65e4cf7",
        .releaseCompleted: "0b910aa1368443aeb302269b81bee6da",
        .waste: "945307fadb3a452dad12a2b1a1cbe8f5",
        .startup: "5527b09df02747d3b7defb0e0ec658f2",
        .recovery: "6251d2c8ab5641eb9a76e7611d8627c4",
        .receipt: "1fcff7f8bb13430caadad2abbbd30c5b",
        .count: "a4bc241b346e4e50ad36a5bf500fe691",
        .countOverdue: "72c7f80ec6a94061a162b0329eaab199",
        .discrepancy: "d3519d1c4edf41e3b04baa488388ac69",
        .discrepancyResolved: "59ae1cecaa9742a1b1aeacac59ccccda",
        .escalation: "d63a64f87fd447cdb9b337589fad5086",
        .override: "034ac2b66a6c4006a1e0715b0ff67607",
        .overrideClosed: "4d7e9ebd17c14ec08d546eab092f462a",
        .overrideReviewed: "24e1331c71e14def8826c46134727d18",
        .residueOutstanding: "2dee52d961144a7f9adceee1cd0c9664",
        .lateEntry: "72de2aee713f40d883158b06dab50c3f",
        .observationEnded: "0b33ee900d5842f3aa75281e94655752",
        .reauthorised: "aa5aa1ea7a944a58b6ab066b3e3a0de1",
        .keyRevoked: "8003f083da014e328af2b56011ae642e",
    ]

    @Test func messageIDsAreFixedUniqueAndWellFormed() {
        #expect(Set(AuditEventKind.allCases) == Set(Self.expectedIDs.keys))
        for kind in AuditEventKind.allCases {
            #expect(JournalMessageID.forKind(kind) == Self.expectedIDs[kind], "\(kind)")
        }
        #expect(JournalMessageID.safeState == "36a00af633564a06859e0a9fccbb9ca2")
        let ids = JournalMessageID.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
        }
    }

    @Test func everyMessageIDHasACatalogEntryAndTheCatalogNoOthers() throws {
        let text = try String(contentsOfFile: TestSupport.repoRoot + "/systemd/dosecab.catalog", encoding: .utf8)
        let catalogIDs = text.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)) }
        #expect(Set(catalogIDs) == Set(JournalMessageID.all.map(\.id)))
        #expect(catalogIDs.count == JournalMessageID.all.count)
    }

    @Test func priorityFitsEachKind() {
        let expected: [AuditEventKind: JournalPriority] = [
            .release: .notice, .issue: .info, .return: .info, .consumed: .info, .releaseCompleted: .info,
            .refusal: .notice, .hold: .error, .holdCleared: .notice, .incident: .error, .alarm: .alert,
            .lockdown: .warning, .admin: .notice, .waste: .notice, .startup: .notice, .recovery: .warning,
            .receipt: .notice, .count: .notice, .countOverdue: .warning, .discrepancy: .error, .discrepancyResolved: .notice,
            .escalation: .alert, .override: .alert, .overrideClosed: .notice, .overrideReviewed: .notice, .residueOutstanding: .warning,
            .lateEntry: .warning, .observationEnded: .notice, .reauthorised: .notice,
            .keyRevoked: .warning,
        ]
        for kind in AuditEventKind.allCases {
            #expect(kind.journalPriority == expected[kind], "\(kind)")
            let e = AuditJournalEvent(kind: kind, message: "m").journalEntry()
            #expect(e[.priority] == String(expected[kind]!.rawValue))
        }
        let overridden = AuditJournalEvent(kind: .lockdown, message: "m", priority: .alert).journalEntry()
        #expect(overridden[.priority] == "1")
    }

    @Test func releaseEntryHasEveryFieldInOrder() {
        let e = SampleEvents.release.journalEntry()
        #expect(e.fields.map(\.name.name) == [
            "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "DOSECAB_EVENT", "DOSECAB_RELEASE_ID",
            "DOSECAB_PATIENT", "DOSECAB_STAFF", "DOSECAB_DRUG", "DOSECAB_ROUTE", "DOSECAB_DOSE_MG",
            "DOSECAB_AMPOULE", "DOSECAB_PRESCRIPTION", "DOSECAB_REASON", "DOSECAB_AUDIT_SEQ", "DOSECAB_AUDIT_HASH",
        ])
        #expect(e[.messageID] == "47686d4e4a2240219b94b7cb1daca31f")
        #expect(e[.syslogIdentifier] == "dosecabd")
        #expect(e[.event] == "release")
        #expect(e[.doseMg] == "200")
        #expect(e[.ampoule] == "AMP-123456")
        #expect(e[.auditSeq] == "41")
        #expect(e.auditSeq == 41)
    }

    @Test func absentFieldsAreLeftOutAndExtraFieldsAppended() throws {
        let refusal = AuditJournalEvent(
            kind: .refusal, message: "refused", patient: "P-1", doseMg: 12.5, reason: "interval; ceiling",
            extra: [(try JournalField("DOSECAB_RULES_FAILED"), "2")]
        ).journalEntry()
        #expect(refusal[.releaseID] == nil)
        #expect(refusal[.ampoule] == nil)
        #expect(refusal[.doseMg] == "12.5")
        #expect(refusal.fields.last?.name.name == "DOSECAB_RULES_FAILED")
        #expect(refusal[.event] == "refusal")
        #expect(refusal[.messageID] == "22052c28f7a746309675442d96ae5755")
    }

    @Test func readableLineIsOneLineWithTheFields() {
        let line = SampleEvents.release.journalEntry().readableLine()
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("dosecabd <notice> release: Released 200 mg DAM (injectable) to patient P-0042 |"))
        #expect(line.contains(" DOSECAB_PATIENT=P-0042 "))
        #expect(line.contains(" DOSECAB_REASON=\"all rules passed\\nwitness: S-007 (sober)\" "))
        #expect(line.contains(" MESSAGE_ID=47686d4e4a2240219b94b7cb1daca31f "))
    }

    @Test func docsListEveryMessageIDAndField() throws {
        let doc = try String(contentsOfFile: TestSupport.repoRoot + "/docs/journal.md", encoding: .utf8)
        for (name, id) in JournalMessageID.all { #expect(doc.contains(id), "docs/journal.md lacks \(name)") }
        for kind in AuditEventKind.allCases { #expect(doc.contains("`\(kind.rawValue)`"), "\(kind)") }
        for field in JournalField.dosecabFields { #expect(doc.contains("`\(field.name)`"), "\(field)") }
    }
}
