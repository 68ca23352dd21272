import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18.12: a scan on the return scanner is durable when it is seen (a pending scan), and
/// a restart decides what the chute's window could not.
@Suite struct PendingScanDriverTests {
    /// 18.12: a unit scanned on the return scanner, and the daemon dies inside the chute's
    /// window (before it decides issue or return). After the restart the unit is issued against
    /// the interrupted release, out of stock, open for its patient.
    @Test func aUnitScannedJustBeforeACrashIsIssuedAgainstTheInterruptedRelease() async throws {
        let (rig, release) = try await DriverTests.Rig.releaseUnderWay(doorOpened: true)
        let serial = UnitSerial("700001")
        #expect(try rig.store.stockUnit(serial: serial)?.state == .inStock)
        // The scan reaches the chute; its window never closes in this run.
        let tag = CardID(format: .h10302, facility: 0, number: 700001)
        await rig.driver.deliver([.card(tag)], from: .returnScanner, at: MonotonicClock.now())
        #expect(try rig.store.issuedUnit(serial: serial) == nil, "not decided yet: the window is open")

        let next = try await rig.restarted()
        _ = try await next.start()
        let unit = try #require(try rig.store.issuedUnit(serial: serial), "the scan was lost in the crash")
        #expect(unit.release == release.id)
        #expect(unit.patient == release.plan.patient)
        #expect(unit.state == .open)
        #expect(try rig.store.stockUnit(serial: serial)?.state != .inStock, "the unit is out, not releasable again")
        #expect(await next.snapshot.ledger.unit(serial)?.state == .open, "the cabinet's ledger knows it too")
        #expect(try rig.store.pendingScans().isEmpty, "recovery decided every pending scan")
    }

    /// 18.12: a pending scan with no release in flight is not booked: an anomaly for the
    /// pharmacist names it, and the unit stays where the register has it.
    @Test func aPendingScanWithNoReleaseIsAnAnomalyForThePharmacist() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devnull))
        _ = try await rig.driver.start()
        let tag = CardID(format: .h10302, facility: 0, number: 700001)
        await rig.driver.deliver([.card(tag)], from: .returnScanner, at: MonotonicClock.now())

        let next = try await rig.restarted()
        _ = try await next.start()
        #expect(try rig.store.issuedUnit(serial: UnitSerial("700001")) == nil)
        let anomaly = try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.fields["unit"] == "700001" }
        #expect(anomaly?.event.fields["reason"] == LedgerAnomaly.scanUndecidedAtRestart.rawValue)
        #expect(try rig.store.pendingScans().isEmpty)
    }
}
