import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Issue 18.5: deleting the last records of the chain is found, at start (the journal mirrors
/// every record's seq and hash: a store behind the journal was truncated) and while the daemon
/// runs (the tick checks the chain incrementally from the head it last verified). Either is an
/// alarm naming the first deleted sequence number, and a lockdown.
extension DriverTests {
    static func intruder(_ store: Store, _ sql: String) throws {
        let db = try DatabaseQueue(path: store.path)
        try db.write { db in try db.execute(sql: sql) }
    }

    @Test func truncatedChainIsAnAlarmAndLockdown() async throws {
        let path = NSTemporaryDirectory() + "dosecab-truncated-\(UUID().uuidString.prefix(8)).log"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var journaled: [Int64: Set<String>] = [:]
        var head: Int64 = 0
        let rig = try Rig(journalSink: .fileDescriptor(fd), beforeRestart: { store in
            // The earlier run journaled every record; then the insider deleted the last two and
            // wound the mirror cursor back, so that the store alone looks whole.
            head = try store.chainHead().lastSeq
            for r in try store.auditRecords(fromSeq: 1, limit: 1000) { journaled[r.seq] = [r.hash] }
            try Self.intruder(store, "DELETE FROM audit WHERE seq > \(head - 2); UPDATE audit_mirror SET upto_seq = \(head - 2)")
        })
        #expect(head >= 8)
        _ = try await rig.driver.start()
        let plan = try #require(await rig.driver.journalReadBackPlan())
        var seen = journaled
        for (seq, hash) in plan.probe { seen[seq, default: []].insert(hash) }
        #expect(rig.journal.flush(timeout: .seconds(2)))
        _ = await rig.driver.finishJournalReadBack(seen: seen)
        let after = try rig.store.auditRecords(fromSeq: head - 1, limit: 1000)
        let alarm = try #require(after.first { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" },
                                 "a truncated chain is an alarm: \(after.map(\.event.message))")
        let detail = alarm.event.fields["detail"] ?? ""
        #expect(detail.contains("truncated") && detail.contains("seq \(head - 1)") && detail.contains("seq \(head)"),
                "the alarm names the first deleted record and the journal's last: \(detail)")
        #expect(try rig.store.isLockedDown().on, "a shortened chain is a lockdown")
        #expect(rig.lines.output(.lock) == false)
    }

    @Test func truncatedChainWhileRunningIsFoundByTheTick() async throws {
        let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)))
        _ = try await rig.driver.start()
        _ = await rig.driver.tick()
        #expect(try !rig.store.isLockedDown().on)
        let head = try rig.store.chainHead().lastSeq
        try Self.intruder(rig.store, "DELETE FROM audit WHERE seq >= \(head - 1)")
        _ = await rig.driver.tick()
        let records = try rig.store.auditRecords(fromSeq: 1, limit: 1000)
        let alarms = records.filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
        #expect(alarms.count == 1, "\(records.map(\.event.message))")
        #expect(alarms.first?.event.fields["detail"]?.contains("seq \(head - 1)") == true, "\(alarms.map(\.event.message))")
        #expect(try rig.store.isLockedDown().on)
        _ = await rig.driver.tick()
        #expect(try rig.store.auditRecords(fromSeq: 1, limit: 1000)
            .filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }.count == 1, "raised once")
    }

    /// An edit in the middle of the chain that leaves the stored hash as it was: only a full
    /// walk recomputing each hash finds it. At start the daemon walked nothing (it trusted the
    /// head), so the edited record stood until someone ran `audit verify`.
    @Test func anEditedRecordIsAnAlarmAtStart() async throws {
        let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)), beforeRestart: { store in
            #expect(try store.chainHead().lastSeq >= 5)
            try Self.intruder(store, "UPDATE audit SET message = message || ' (edited)' WHERE seq = 3")
        })
        _ = try await rig.driver.start()
        let alarms = try rig.store.auditRecords(fromSeq: 1, limit: 1000)
            .filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
        #expect(alarms.count == 1 && alarms.first?.event.fields["detail"]?.contains("seq 3 was edited") == true, "\(alarms.map(\.event.message))")
        #expect(try rig.store.isLockedDown().on, "an edited chain is a lockdown")
        #expect(rig.lines.output(.lock) == false)
    }

    /// While running, the tick compared the stored hash of the head it had verified and walked
    /// only the records after it: an edit of any older record, or of that record's content with
    /// its hash column left alone, went unseen. The tick now recomputes the head's hash and
    /// sweeps the whole chain in slices.
    @Test func anEditedRecordWhileRunningIsFoundByTheTick() async throws {
        for edited in ["3", "(SELECT max(seq) FROM audit)"] {
            let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)))
            _ = try await rig.driver.start()
            _ = await rig.driver.tick()
            #expect(try !rig.store.isLockedDown().on)
            try Self.intruder(rig.store, "UPDATE audit SET message = message || ' (edited)' WHERE seq = \(edited)")
            // A slice of the sweep per tick: a handful of ticks cover this small chain.
            for _ in 0..<5 { _ = await rig.driver.tick() }
            let alarms = try rig.store.auditRecords(fromSeq: 1, limit: 1000)
                .filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
            #expect(alarms.count == 1 && alarms.first?.event.fields["detail"]?.contains("was edited") == true,
                    "seq \(edited): \(alarms.map(\.event.message))")
            #expect(try rig.store.isLockedDown().on)
        }
    }

    /// After one alarm the checks go on: an old record edited (an alarm, the lockdown lifted by
    /// an admin), then the newest records deleted, is a second alarm; the sweep finding the
    /// first break again is not.
    @Test func aSecondBreakAfterTheFirstIsItsOwnAlarm() async throws {
        let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)))
        _ = try await rig.driver.start()
        _ = await rig.driver.tick()
        try Self.intruder(rig.store, "UPDATE audit SET message = message || ' (edited)' WHERE seq = 3")
        for _ in 0..<3 { _ = await rig.driver.tick() }
        func alarms() throws -> [AuditRecord] {
            try rig.store.auditRecords(fromSeq: 1, limit: 1000).filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
        }
        let first = try alarms()
        #expect(first.count == 1, "\(first.map(\.event.message))")
        // The cabinet goes on recording (an admin's actions); then its newest records are deleted.
        for _ in 0..<3 { await rig.driver.recordAdmin(action: "note", detail: "after the first alarm", actor: "test") }
        let head = try rig.store.chainHead().lastSeq
        try Self.intruder(rig.store, "DELETE FROM audit WHERE seq >= \(head - 1)")
        for _ in 0..<3 { _ = await rig.driver.tick() }
        let all = try alarms()
        #expect(all.count == 2 && all.last?.event.fields["detail"]?.contains("seq \(head - 1) was deleted") == true, "\(all.map(\.event.message))")
    }

    /// The sweep goes on past a break: two old records edited are two alarms. Before, it stopped
    /// at the first break every tick, and the second was found only by `audit verify`.
    @Test func theSweepGoesOnPastABreak() async throws {
        let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)), beforeRestart: { store in
            #expect(try store.chainHead().lastSeq >= 8)
            try Self.intruder(store, "UPDATE audit SET message = message || ' (edited)' WHERE seq IN (3, 6)")
        })
        _ = try await rig.driver.start()
        for _ in 0..<4 { _ = await rig.driver.tick() }
        let alarms = try rig.store.auditRecords(fromSeq: 1, limit: 1000)
            .filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
        let details = alarms.compactMap { $0.event.fields["detail"] }
        #expect(details.count == 2 && details.contains { $0.contains("seq 3 was edited") } && details.contains { $0.contains("seq 6 was edited") },
                "\(details)")
    }

    /// A chain longer than one slice of the sweep: the sweep carries on slice after slice, from
    /// where the last one ended, and finds an edit in a later slice, then starts over.
    @Test func theSweepCoversAChainOfManySlices() async throws {
        let rig = try Rig(journalSink: .fileDescriptor(open("/dev/null", O_WRONLY)))
        _ = try await rig.driver.start()
        await rig.driver.setSweepSlice(3)
        for _ in 0..<12 { await rig.driver.recordAdmin(action: "note", detail: "a record", actor: "test") }
        let head = try rig.store.chainHead().lastSeq
        #expect(head >= 20)
        // A whole pass of the sweep over the untouched chain: no alarm.
        for _ in 0..<Int(head / 3 + 2) { _ = await rig.driver.tick() }
        func alarms() throws -> [String] {
            try rig.store.auditRecords(fromSeq: 1, limit: 1000)
                .filter { $0.event.kind == .alarm && $0.event.fields["reason"] == "audit-chain-broken" }
                .compactMap { $0.event.fields["detail"] }
        }
        #expect(try alarms().isEmpty)
        // An old record in a later slice than the first, edited with its hash column left alone.
        let edited = head - 4
        try Self.intruder(rig.store, "UPDATE audit SET message = message || ' (edited)' WHERE seq = \(edited)")
        for _ in 0..<Int(head / 3 + 2) { _ = await rig.driver.tick() }
        let found = try alarms()
        #expect(found.count == 1 && found.first?.contains("seq \(edited) was edited") == true, "\(found)")
    }
}
