import DoseCabControl
import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Issue 18.11 (second half): an action and its admin record are one transaction. A crash (or
/// a failed commit) between the action and the record of who did it used to leave the action
/// on the record without its caller.
extension InsiderTests {
    /// Makes every insert of an `admin` audit record fail, as a full disk or a kill between the
    /// two writes would leave it: only the admin record cannot be written.
    static func failAdminRecords(_ store: Store) throws {
        try store.pool.write { db in
            try db.execute(sql: """
                CREATE TEMP TRIGGER fail_admin_record BEFORE INSERT ON main.audit WHEN NEW.kind = 'admin'
                BEGIN SELECT RAISE(ABORT, 'injected: the admin record cannot be written'); END;
                """)
        }
    }

    @Test func countStartAndItsAdminRecordCommitTogether() async throws {
        let s = try await Socket()
        let reply = await s.call("count.start", ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234"])
        #expect(reply.isSuccess, "\(reply)")
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000)
        let count = try #require(records.last { $0.event.kind == .count })
        let admin = try #require(records.last { $0.event.kind == .admin })
        #expect(admin.seq == count.seq + 1, "the caller's admin record is the next link after the count it started")
        #expect(admin.event.fields["action"] == "count.start" || admin.event.message.contains("count.start"), "\(admin.event)")
    }

    @Test func aCountStartWhoseAdminRecordFailsIsNotStartedEither() async throws {
        let s = try await Socket()
        try Self.failAdminRecords(s.rig.store)
        let before = try s.auditCount()
        let reply = await s.call("count.start", ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234"])
        #expect(!reply.isSuccess, "the action cannot be recorded without its caller: \(reply)")
        #expect(try s.rig.store.openCount() == nil, "the count did not land without its admin record")
        #expect(try s.auditCount() == before, "nothing was written")
        #expect(await s.rig.driver.unrecordedCount == 0, "nothing is held in memory either")
    }

    /// A hold clear goes through the cabinet's state machine and its commit; the admin record of
    /// the caller used to follow as a commit of its own, so a hold could be cleared in the
    /// store with no record of which Unix account asked.
    @Test func aHoldClearWhoseAdminRecordFailsLeavesTheHoldInTheStore() async throws {
        let patient = PatientID("P-0001")
        let s = try await Socket(seed: { rig in
            try rig.store.commit(.hold(patient, reason: "unit 700001 not returned (test)", at: rig.clock.now()))  // store-write-ok: an earlier run's hold
        })
        try Self.failAdminRecords(s.rig.store)
        let reply = await s.call("hold.clear", ["patient": "P-0001", "reason": "returned late", "staff": "S-02", "pin": "2345"])
        #expect(!reply.isSuccess, "the clear cannot be recorded without its caller: \(reply)")
        #expect(try s.rig.store.holds().contains { $0.patient == patient }, "the hold stays in the store")
        #expect(!(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).contains { $0.event.kind == .holdCleared }))
        // The clear and its admin record wait in memory together (the cabinet is locked down
        // meanwhile) and land together once the store takes admin records again.
        try await s.rig.store.pool.write { db in try db.execute(sql: "DROP TRIGGER temp.fail_admin_record") }
        await s.rig.driver.retryUnrecorded()
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000)
        let cleared = try #require(records.last { $0.event.kind == .holdCleared })
        let admin = try #require(records.last { $0.event.kind == .admin })
        #expect(admin.seq == cleared.seq + 1, "the caller's admin record is the next link after the clear")
        #expect(admin.event.message.contains("hold.clear") || admin.event.fields["action"] == "hold.clear", "\(admin.event)")
        #expect(try !s.rig.store.holds().contains { $0.patient == patient })
    }

    /// The admin record that rides in an action's transaction reaches the journal like every
    /// other record. Actions that commit straight to the store (late entries, clinical
    /// decisions, waste) mirrored only their own records, so the caller's admin record was in
    /// the store and in no journal entry, and the mirror cursor moved past it.
    @Test func theAdminRecordInAnActionsTransactionReachesTheJournal() async throws {
        let journalPath = NSTemporaryDirectory() + "dosecab-admin-\(UUID().uuidString.prefix(8)).journal"
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        // The cabinet was opened with the mechanical key while the daemon was down: a downtime
        // that two staff close (nothing was taken).
        let s = try await Socket(journalPath: journalPath, seed: { rig in try rig.lines.drive(.door, active: false) })
        #expect(try s.rig.store.openDowntimes().first != nil)
        let reply = await s.call("late.close", ["note": "paper register checked, nothing taken", "staff": "S-01", "pin": "1234",
                                                "witness_staff": "S-02", "witness_pin": "2345"])
        #expect(reply.isSuccess, "\(reply)")
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000)
        let closed = try #require(records.last { $0.event.fields["state"] == "closed" })
        let admin = try #require(records.last { $0.event.kind == .admin })
        #expect(admin.seq == closed.seq + 1, "one transaction")
        #expect(s.rig.journal.flush(timeout: .seconds(10)))
        let journal = try String(contentsOfFile: journalPath, encoding: .utf8)
        #expect(journal.contains("DOSECAB_AUDIT_SEQ=\(closed.seq) "))
        #expect(journal.contains("DOSECAB_AUDIT_SEQ=\(admin.seq) "), "the admin record \(admin.seq) is in no journal entry")
    }
}

