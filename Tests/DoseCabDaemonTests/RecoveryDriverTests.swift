import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import Foundation
import Logging
import Testing

/// Issue 18.7 and 18.12 through the daemon's actor and a real store: a release driven through
/// the driver, then the driver is dropped without completing it (a crash or a power cut) and a
/// new driver starts on the same store and lines, as systemd's restart would.
extension DriverTests.Rig {
    /// /dev/null, opened once for the test process: a journal sink for tests that read the
    /// store, not the journal.
    static let devNull: Int32 = open("/dev/null", O_WRONLY)

    /// A started rig in which the patient at the counter has been released a dose: the lock
    /// energised, the release's intent committed, and (with `doorOpened`) its door just
    /// opened. Where the crash and scan tests begin.
    static func releaseUnderWay(doorOpened: Bool) async throws -> (rig: DriverTests.Rig, release: ReleaseRow) {
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devNull))
        _ = try await rig.driver.start()
        await rig.ask()
        #expect(rig.lines.output(.lock) == true, "a release is under way")
        let release = try #require(try rig.store.releasesInFlight().first)
        if doorOpened {
            try rig.lines.drive(.door, active: false)   // door active = closed
            await rig.driver.handle(.door(open: true, at: rig.clock.now()))
        }
        return (rig, release)
    }

    /// A new driver on this rig's store, lines and journal: the daemon after a restart.
    func restarted() async throws -> CabinetDriver {
        try CabinetDriver(config: await driver.config, store: store, journal: journal, lines: lines, clock: clock, pins: pins,
                          logger: Logger(label: "test-restarted"), simulate: true, version: "test", pinMap: lines.pinMap)
    }
}

@Suite struct RecoveryDriverTests {
    /// 18.7: the door is open, no unit was scanned, and the daemon dies. After the restart the
    /// patient is on hold (fewer units scanned than planned, as a count mismatch), and the door
    /// found open is timed: when it stays open past the limit, alarm and lockdown.
    @Test func aCrashMidReleaseHoldsThePatientAndTimesTheDoorFoundOpen() async throws {
        let (rig, release) = try await DriverTests.Rig.releaseUnderWay(doorOpened: true)
        #expect(release.plan.unitCount > 0)

        // The daemon dies here: no scan, no door close, no completion.
        let next = try await rig.restarted()
        _ = try await next.start()
        #expect(try rig.store.release(id: release.id)?.state == .interrupted)
        let hold = try rig.store.holds().first { $0.patient == release.plan.patient }
        #expect(hold != nil, "0 of \(release.plan.unitCount) units scanned on an interrupted release: the patient is on hold")
        #expect(hold?.reason.contains(release.id.rawValue) == true, "\(String(describing: hold?.reason))")
        #expect(try rig.store.isLockedDown().on == false, "the door found open belongs to the interrupted release")
        let armed = await next.armedTimers[.doorHeldOpen(release.id)]
        #expect(armed != nil, "the door found open is timed like a door held open")

        await next.handle(.timer(.doorHeldOpen(release.id), at: rig.clock.now()))
        let alarm = try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.kind == .alarm }
        #expect(alarm?.event.fields["reason"] == AlarmKind.doorHeldOpen.rawValue)
        #expect(try rig.store.isLockedDown().on == true, "a door held open is an alarm and a lockdown")
        #expect(rig.lines.output(.lock) == false)
    }

    /// 18.7: a door found open and closed within the limit raises nothing; the timer is gone.
    @Test func aDoorFoundOpenAndClosedInTimeRaisesNothing() async throws {
        let (rig, release) = try await DriverTests.Rig.releaseUnderWay(doorOpened: true)

        let next = try await rig.restarted()
        _ = try await next.start()
        await next.handle(.door(open: false, at: rig.clock.now()))
        #expect(await next.armedTimers[.doorHeldOpen(release.id)] == nil)
        await next.handle(.timer(.doorHeldOpen(release.id), at: rig.clock.now()))
        #expect(!(try rig.auditKinds().contains(.alarm)))
    }
}
