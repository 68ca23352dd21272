import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Someone with write access to the database edits, deletes or reorders audit rows behind the
/// store's back; `verifyAudit` must name the first broken record.
@Suite struct AuditTamperTests {
    /// A store with 8 records: the seed (6), a release and an issue.
    func chain() throws -> Fixture {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.releaseIntent(ReleaseID("R-1"), f.plan(at: f.at(minutes: 1))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: ReleaseID("R-1"), at: f.at(minutes: 2))))
        #expect(try f.store.chainHead().lastSeq == 8)
        guard case .intact(8, _) = try f.store.verifyAudit() else { throw Failure("chain not intact before tampering") }
        return f
    }

    struct Failure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    /// Raw SQL on a connection of its own, as an intruder would do.
    func tamper(_ f: Fixture, _ sql: String) throws {
        let intruder = try DatabaseQueue(path: f.store.path)
        try intruder.write { db in try db.execute(sql: sql) }
    }

    @Test func anEditedRecordIsReported() throws {
        let f = try chain()
        try tamper(f, "UPDATE audit SET message = replace(message, '200 mg', '20 mg') WHERE seq = 7")
        #expect(try f.store.verifyAudit() == .broken(position: 6, seq: 7, problem: .edited))
    }

    @Test func anEditedFieldIsReported() throws {
        let f = try chain()
        try tamper(f, "UPDATE audit SET fields = replace(fields, 'A-101', 'A-999') WHERE seq = 8")
        #expect(try f.store.verifyAudit() == .broken(position: 7, seq: 8, problem: .edited))
    }

    /// The deleted record's own sequence number, not its successor's (issue 18.5).
    @Test func aDeletedRecordIsReportedUnderItsOwnSequence() throws {
        let f = try chain()
        try tamper(f, "DELETE FROM audit WHERE seq = 4")
        #expect(try f.store.verifyAudit() == .broken(position: 3, seq: 4, problem: .missing))
        try tamper(f, "DELETE FROM audit WHERE seq = 5")
        #expect(try f.store.verifyAudit() == .broken(position: 3, seq: 4, problem: .missing))
    }

    @Test func reorderedRecordsAreReported() throws {
        let f = try chain()
        // Swap the stored positions of records 4 and 5, contents untouched.
        try tamper(f, """
            UPDATE audit SET pos = -4 WHERE seq = 4;
            UPDATE audit SET pos = -5 WHERE seq = 5;
            UPDATE audit SET pos = 4 WHERE seq = 5;
            UPDATE audit SET pos = 5 WHERE seq = 4;
            """)
        #expect(try f.store.verifyAudit() == .broken(position: 3, seq: 5, problem: .reordered))
    }

    @Test func theLastRecordDeletedIsReportedByTheMirrorCursor() throws {
        let f = try chain()
        try f.store.markMirrored(upTo: 8)
        #expect(try f.store.unmirrored().isEmpty)
        try tamper(f, "DELETE FROM audit WHERE seq = 8")
        // A freshly started store has only the journal's cursor to go by.
        try f.reopen()
        #expect(try f.store.verifyAudit() == .broken(position: 7, seq: 8, problem: .missing))
    }

    @Test func anEditOfTheFileBytesIsReported() throws {
        let f = try chain()
        try f.store.commit(.admin(action: "note", detail: "TOKEN-ABCDEF", actor: "test", at: f.at(minutes: 3)))
        try f.store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        var bytes = try #require(FileManager.default.contents(atPath: f.store.path))
        let needle = Array("TOKEN-ABCDEF".utf8)
        var patched = 0
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
                bytes[i + needle.count - 1] = UInt8(ascii: "G")
                patched += 1
            }
            i += 1
        }
        #expect(patched >= 1)
        try bytes.write(to: URL(fileURLWithPath: f.store.path))
        try f.reopen()
        #expect(try f.store.verifyAudit() == .broken(position: 8, seq: 9, problem: .edited))
    }

    /// The limit: whoever can write the file can recompute the chain. The head kept elsewhere
    /// (journal, off-box copy, printed register) still catches it.
    @Test func aRecomputedChainPassesAloneButNotAgainstAHeadKeptElsewhere() throws {
        let f = try chain()
        let headSeenByAuditor = try f.store.chainHead()
        let records = try f.store.auditRecords()
        var forged = AuditChain(lastSeq: records[5].seq, lastHash: records[5].hash)
        var statements = ""
        for var r in records[6...] {
            if r.seq == 7 { r.event.message = r.event.message.replacingOccurrences(of: "200 mg", with: "20 mg") }
            let new = forged.append(r.event)
            statements += "UPDATE audit SET message = '\(r.event.message)', prev_hash = '\(new.previousHash)', hash = '\(new.hash)' WHERE seq = \(r.seq);\n"
        }
        try tamper(f, statements)
        try f.reopen()
        #expect(try f.store.verifyAudit().description.hasPrefix("audit chain intact"))
        #expect(try f.store.verifyAudit(expecting: headSeenByAuditor) == .broken(position: 7, seq: 8, problem: .edited))
    }
}
