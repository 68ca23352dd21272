import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import Foundation
import Testing

/// Downtime through the daemon's actor (ARCHITECTURE §4a): a start that finds the door open with
/// nothing in flight owes a witnessed late entry; the lockdown waits for its close; the dose
/// entered counts for the patient like any other.
extension DriverTests {
    @Test func aMechanicalKeyOpeningOwesALateEntryBeforeTheLockdownLifts() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull))
        // The cabinet was opened with the key while the daemon was down: the door is open at start.
        try rig.lines.drive(.door, active: false)
        _ = try await rig.driver.start()
        #expect(await rig.driver.snapshot.lockdown?.contains("mechanical-key") == true)
        let downtime = try #require(try rig.store.openDowntimes().first)
        #expect(try await rig.driver.lockdownLiftProblems().map(\.reason) == [.lateEntryOwed])

        let nurse = try #require(try rig.store.staff(id: StaffID("S-01")))
        let clinician = try #require(try rig.store.staff(id: StaffID("S-02")))
        func request(given: Int64, serials: [String] = ["700001"]) -> LateEntryRequest {
            LateEntryRequest(patient: PatientID("P-0001"), drug: .diacetylmorphine, route: .injectable,
                             serials: serials.map(UnitSerial.init), givenWall: given, outcome: .returned,
                             note: "downtime sheet 1, line 1", by: nurse, witness: clinician)
        }
        // After the door was found open: refused with the rule, nothing written.
        let before = try rig.store.auditRecords(fromSeq: 1, limit: 10_000).count
        do {
            _ = try await rig.driver.recordLateEntry(request(given: downtime.foundWall + 60_000))
            Issue.record("a dose given after the door was found open was entered")
        } catch let refused as DowntimeRefused {
            #expect(refused.refusals.map(\.reason) == [.outsideDowntime])
        }
        #expect(try rig.store.auditRecords(fromSeq: 1, limit: 10_000).count == before)
        // Closing before anything was entered is allowed (nothing may have been taken), but here
        // the paper register has one dose: enter it first.
        let (entry, records) = try await rig.driver.recordLateEntry(request(given: downtime.foundWall))
        #expect(records.map(\.event.kind) == [.lateEntry])
        #expect(await rig.driver.snapshot.ledger.unit(UnitSerial("700001"))?.state == .returned)
        #expect(try rig.store.release(id: entry.release)?.state == .completed)

        // The close: two people, then the lockdown may be lifted.
        do {
            _ = try await rig.driver.closeDowntimes(note: "checked", by: nurse, witness: nurse)
            Issue.record("one person closed a late entry")
        } catch let refused as DowntimeRefused {
            #expect(refused.refusals.map(\.reason) == [.samePerson])
        }
        let closed = try await rig.driver.closeDowntimes(note: "paper register checked, nothing more taken", by: nurse, witness: clinician)
        #expect(closed.map(\.event.fields["state"]) == ["closed"])
        #expect(try await rig.driver.lockdownLiftProblems().isEmpty)
        await rig.driver.handle(.lockdown(on: false, reason: "late entry closed", by: "test", at: rig.clock.now()))
        try rig.lines.drive(.door, active: true)
        try rig.lines.drive(.bolt, active: true)
        try await Task.sleep(for: .milliseconds(200))
        await rig.driver.handle(.door(open: false, at: rig.clock.now()))
        await rig.driver.handle(.bolt(engaged: true, at: rig.clock.now()))
        #expect(await rig.driver.snapshot.lockdown == nil)

        // The dose given during the downtime counts: the patient's next release is too soon.
        await rig.ask()
        #expect(rig.lines.output(.lock) == false)
        let refusal = try rig.store.auditRecords(fromSeq: 1, limit: 10_000).last { $0.event.kind == .refusal }
        #expect(refusal?.event.fields["reason"]?.contains(RefusalReason.tooSoon.rawValue) == true, "\(String(describing: refusal))")
    }
}
