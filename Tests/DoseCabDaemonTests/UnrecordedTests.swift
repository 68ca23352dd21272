import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Issue 18, path 1: a member of the technicians' group could hold SQLite's write lock; every
/// commit then failed after the busy timeout, the driver logged "NOT RECORDED" and dropped the
/// record: the issue scan, the completion and the alarm vanished and the ampoule read as in stock.
@Suite struct UnrecordedTests {
    @Test func aStoreThatRefusesCommitsLosesNoRecord() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devnull), busySeconds: 0.1)
        _ = try await rig.driver.start()
        await rig.ask()
        #expect(rig.lines.output(.lock) == true, "a release is under way")
        try rig.lines.drive(.door, active: false)
        await rig.driver.handle(.door(open: true, at: rig.clock.now()))

        // Someone else takes the write lock and keeps it.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true   // the transaction stays open between accesses
        let blocker = try DatabaseQueue(path: rig.store.path, configuration: holding)
        try await blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let serial = UnitSerial("700001")
        let stock = try #require(try rig.store.stockUnit(serial: serial)).unit
        await rig.driver.handle(.issueScan(serial, stock: stock, at: rig.clock.now()))
        #expect(await rig.driver.unrecordedCount >= 2, "the issue and the lockdown it caused wait in memory")
        #expect(await rig.driver.snapshot.lockdown?.contains("could not record") == true)
        #expect(rig.lines.output(.lock) == false, "safe while the store does not record")
        try rig.lines.drive(.door, active: true)
        await rig.driver.handle(.door(open: false, at: rig.clock.now()))
        await rig.driver.handle(.bolt(engaged: true, at: rig.clock.now()))
        await rig.driver.handle(.returned(serial, at: rig.clock.now()))
        await rig.driver.handle(.tamper(at: rig.clock.now()))
        let held = await rig.driver.unrecordedCount
        #expect(held >= 5, "issue, lockdown, completion, return, alarm")
        // Control-socket writes that go to the store directly wait too: nothing lands ahead.
        do {
            _ = try await rig.driver.stockWrite { _, _ in ((), []) }
            Issue.record("a control-socket write went ahead of the records held in memory")
        } catch {
            #expect("\(error)".contains("store-not-recording"))
        }
        let stuck = await rig.driver.tick()
        #expect(stuck.heldInMemory == held, "a failed retry keeps every record")
        #expect(try rig.store.issuedUnit(serial: serial) == nil, "nothing reached the store yet")

        // The lock is released: the records reach the store in the order they happened.
        try await blocker.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        let after = await rig.driver.tick()
        #expect(after.heldInMemory == 0 && after.storeProblem == nil)
        let kinds = try rig.auditKinds()
        let tail = Array(kinds.suffix(held))
        #expect(tail.first == .issue && tail.contains(.lockdown) && tail.contains(.releaseCompleted)
                && tail.contains(.return) && tail.last == .alarm, "\(tail)")
        #expect(try rig.store.issuedUnit(serial: serial)?.state == .returned)
        #expect(try rig.store.stockUnit(serial: serial)?.state != .inStock, "the ampoule is not releasable again")
        #expect(try rig.store.isLockedDown().on, "the lockdown is on the record and survives a restart")
        if case .broken(let position, let seq, let problem) = try rig.store.verifyAudit() {
            Issue.record("chain broken at \(position) (seq \(seq)): \(problem)")
        }
    }
}
