import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging
import Testing

/// Tier 2: the daemon's actor on simulated lines with a real store in a temp dir and a real
/// journal writer; events fed directly, so each invariant is checked at the point it matters.
@Suite struct DriverTests {
    final class Rig: @unchecked Sendable {
        let dir: String
        var store: Store
        let lines = SimulatedLines()
        let journal: JournalWriter
        let driver: CabinetDriver
        let clock = DaemonClock()
        let pins = ScryptPINs(rounds: 16)
        static let nurse = CardID(format: .h10301, facility: 10, number: 1001)
        static let patient = CardID(format: .h10301, facility: 20, number: 2001)

        init(journalSink: JournalWriter.Sink, fullDisk: Bool = false) throws {
            dir = NSTemporaryDirectory() + "dosecab-driver-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var config = DaemonConfig.simulated(stateDirectory: dir)
            config.journalMaxUnsentSeconds = 1
            store = try Store(directory: dir, calendar: config.policy.calendar)
            var limits = JournalWriter.Limits(maxUnsentAge: .milliseconds(200))
            limits.retryInterval = .milliseconds(20)
            journal = JournalWriter(sink: journalSink, limits: limits)
            let now = clock.now()
            try DemoClinic.seed(store: store, directory: dir, pins: pins, now: now, calendar: config.policy.calendar)
            if fullDisk {
                // The disk fills up: reopen with the file capped at its size and use up the last page.
                let pages = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") } ?? 0
                store = try Store(directory: dir, calendar: config.policy.calendar, maxPageCount: pages)
                var size = 2000
                while size >= 20 {
                    do { _ = try store.commit(.admin(action: "filler", detail: String(repeating: "x", count: size), actor: "test", at: now)) }
                    catch { size /= 2 }
                }
            }
            driver = try CabinetDriver(config: config, store: store, journal: journal, lines: lines, clock: clock, pins: pins,
                                       logger: Logger(label: "test"), simulate: true, version: "test", pinMap: lines.pinMap)
        }

        deinit {
            _ = journal.shutdown(timeout: .seconds(1))
            try? FileManager.default.removeItem(atPath: dir)
        }

        func ask() async {
            await driver.handle(.card(Self.nurse, at: clock.now()))
            await driver.handle(.keys("1234#", at: clock.now()))
            await driver.handle(.card(Self.patient, at: clock.now()))
            await driver.handle(.keys("1111#", at: clock.now()))
            await driver.handle(.keys("1#", at: clock.now()))
        }

        func auditKinds() throws -> [AuditEventKind] { try store.auditRecords(fromSeq: 1, limit: 1000).map(\.event.kind) }
    }

    @Test func journalUnavailableMeansNoRelease() async throws {
        // journald's socket does not exist: the writer keeps entries and reports degraded health.
        let rig = try Rig(journalSink: .journald(socketPath: "/nonexistent/journal/socket"))
        _ = try await rig.driver.start()
        try await Task.sleep(for: .milliseconds(300))
        #expect(!rig.journal.health().isHealthy)
        await rig.ask()
        #expect(rig.lines.output(.lock) == false, "the lock must not be energised without the journal")
        let refusal = try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.kind == .refusal }
        #expect(refusal?.event.fields["reason"]?.contains("journal-unavailable") == true, "\(String(describing: refusal))")
        #expect(try rig.store.releasesInFlight().isEmpty)
    }

    @Test func releaseIsStoredBeforeTheLockIsEnergised() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull))
        _ = try await rig.driver.start()
        await rig.ask()
        #expect(rig.lines.output(.lock) == true)
        // What energised the lock is on disk: a fresh store on the same file sees the intent.
        let second = try Store(directory: rig.dir, calendar: ClinicCalendar())
        let inFlight = try second.releasesInFlight()
        #expect(inFlight.count == 1 && inFlight.first?.plan.patient == PatientID("P-0001"))
        #expect(try rig.auditKinds().contains(.release))
        // Door opens: the lock goes safe at once.
        try rig.lines.drive(.door, active: false)
        try await Task.sleep(for: .milliseconds(10))
        await rig.driver.handle(.door(open: true, at: rig.clock.now()))
        #expect(rig.lines.output(.lock) == false)
    }

    @Test func aStoreThatCannotCommitMeansNoRelease() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull), fullDisk: true)
        try? await { _ = try await rig.driver.start() }()
        await rig.ask()
        #expect(rig.lines.output(.lock) == false)
        #expect(await rig.driver.storeHealth != nil)
    }
}
