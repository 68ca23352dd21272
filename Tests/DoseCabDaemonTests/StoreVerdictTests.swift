import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
import DoseCabStore
import Foundation
import Testing

/// The store's verdict reaches the state machine (issue 19.4): a write the store refuses is fed
/// back to the cabinet as an event, so the two never hold different accounts of a unit.
@Suite struct StoreVerdictTests {
    /// The store re-checks an issue scan against its stock register in the transaction. Before,
    /// when it refused one the cabinet had accepted, the driver wrote an anomaly while the
    /// cabinet kept the unit open with its close-out timer; at the deadline the cabinet put the
    /// patient on hold for a unit the register never issued.
    @Test func anIssueTheStoreRefusesIsNotBookedByTheCabinet() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devnull))
        _ = try await rig.driver.start()
        await rig.ask()
        #expect(rig.lines.output(.lock) == true, "a release is under way")
        try rig.lines.drive(.door, active: false)
        await rig.driver.handle(.door(open: true, at: rig.clock.now()))

        // The register holds a methadone cup under this serial; the scan claims a 200 mg
        // heroin ampoule, which is what the release takes, so the cabinet's own check passes.
        let serial = UnitSerial("800001")
        let registered = try #require(try rig.store.stockUnit(serial: serial)).unit
        #expect(registered.drug == .methadone)
        let claimed = StockUnit(serial: serial, drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                                batch: registered.batch, expiry: registered.expiry)
        await rig.driver.handle(.issueScan(serial, stock: claimed, at: rig.clock.now()))

        let cabinet = await rig.driver.snapshot
        #expect(cabinet.ledger.unit(serial) == nil, "the cabinet books no unit the store refused")
        #expect(cabinet.release?.issued.isEmpty == true, "the release has no unit")
        #expect(try rig.store.stockUnit(serial: serial)?.unit.drug == .methadone, "the register is unchanged")
        #expect(try !rig.auditKinds().contains(.issue))
        let anomaly = try #require(try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.kind == .incident },
                                   "the refusal is on the record as an anomaly")
        #expect(anomaly.event.fields["patient"] == "P-0001" && anomaly.event.fields["detail"]?.contains("release R-") == true,
                "the anomaly names the patient and the release: \(anomaly.event.fields)")
        // Staff are told to put the unit back, after (not before) the scan's acceptance, and no
        // close-out timer is left for it.
        let shown = await rig.driver.feedback
        #expect(shown.last?.hasPrefix("REFUSED: unit 800001 was not issued") == true, "\(shown)")
        #expect(await rig.driver.timers[.closeOut(serial)] == nil)

        // Long past the unit's deadline: no incident for it and no hold for the patient.
        let later = rig.clock.now().advanced(byMillis: 3 * 3_600_000)
        await rig.driver.handle(.timer(.closeOut(serial), at: later))
        #expect(await rig.driver.snapshot.holds.isEmpty, "nobody is held for a unit that was never issued")
    }

    /// A control request's outcome is the cabinet's answer to its own event, as a value; the
    /// counter's feedback list, which requests used to read back, also holds other events'.
    @Test func aRequestGetsTheAnswerToItsOwnEvent() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devnull))
        _ = try await rig.driver.start()
        let notHeld = await rig.driver.answer(.clearHold(PatientID("P-0001"), by: StaffID("S-02"), reason: "x", at: rig.clock.now()))
        #expect(notHeld == [.refused("patient P-0001 is not on hold")])
        // An answer holds nothing of events before it, and nothing stays collected after it.
        await rig.driver.handle(.card(DriverTests.Rig.strangerCard, at: rig.clock.now()))
        #expect(await rig.driver.feedback.last != "REFUSED: patient P-0001 is not on hold")
        let unknownUnit = await rig.driver.answer(.confirmConsumed(UnitSerial("999999"), witness: StaffID("S-02"), at: rig.clock.now()))
        #expect(unknownUnit.contains { if case .refused = $0 { true } else { false } }, "\(unknownUnit)")
        #expect(!unknownUnit.contains(.refused("patient P-0001 is not on hold")))
    }
}
