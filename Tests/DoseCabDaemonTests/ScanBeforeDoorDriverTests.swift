import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18.6 through the daemon's actor and a real store: a unit scanned while the lock is
/// energised but before the door opens is refused and stays in stock; the release that the
/// unlock window then ends records no units, and no unit is left open on it.
@Suite struct ScanBeforeDoorDriverTests {
    @Test func aUnitScannedBeforeTheDoorOpensStaysInStockWhenTheUnlockWindowExpires() async throws {
        let (rig, inFlight) = try await DriverTests.Rig.releaseUnderWay(doorOpened: false)
        let release = inFlight.id
        let serial = UnitSerial("700001")
        let stock = try #require(try rig.store.stockUnit(serial: serial)).unit
        await rig.driver.handle(.issueScan(serial, stock: stock, at: rig.clock.now()))
        await rig.driver.handle(.timer(.unlockWindow(release), at: rig.clock.now()))
        #expect(rig.lines.output(.lock) == false)
        #expect(try rig.store.issuedUnit(serial: serial) == nil, "the unit was never bound to the release")
        #expect(try rig.store.stockUnit(serial: serial)?.state == .inStock, "the unit is still in stock")
        let row = try #require(try rig.store.release(id: release))
        #expect(row.unitsIssued == 0)
        let anomaly = try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.fields["reason"] == "scan-before-door-open" }
        #expect(anomaly?.event.fields["patient"] != nil && anomaly?.event.fields["unit"] == "700001")
    }
}
