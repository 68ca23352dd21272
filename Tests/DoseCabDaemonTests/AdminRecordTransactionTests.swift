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
}
