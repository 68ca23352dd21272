import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import DoseCabSystemd
import Foundation
import Testing

/// Issue 18.13: the journal queue refuses the mirror of a release intent the store has already
/// committed. The lock is not energised; the release must not stay `intent` in the store (it
/// counts as a dose in progress for the patient's interval until a restart, and recovery would
/// call it interrupted): it is closed in the store, with its own audit record.
extension DriverTests {
    @Test func aReleaseIntentWhoseJournalMirrorIsRefusedIsClosedInTheStore() async throws {
        // journald "stalls": the writer's fd is a pipe that nobody reads and that is already full,
        // so every entry stays queued. The queue is healthy (young, below maxQueued) until it is
        // full, which it is exactly when the intent's mirror arrives.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        let chunk = [UInt8](repeating: 0x2e, count: 4096)
        while write(fds[1], chunk, chunk.count) > 0 {}
        let capacity = 64
        let limits = JournalWriter.Limits(capacity: capacity, maxUnsentAge: .seconds(60), maxQueued: capacity + 1,
                                          retryInterval: .milliseconds(20))
        let rig = try Rig(journalSink: .fileDescriptor(fds[1]), journalLimits: limits)
        _ = try await rig.driver.start()
        await rig.driver.handle(.card(Rig.nurse, at: rig.clock.now()))
        await rig.driver.handle(.keys("1234#", at: rig.clock.now()))
        await rig.driver.handle(.card(Rig.patient, at: rig.clock.now()))
        await rig.driver.handle(.keys("1111#", at: rig.clock.now()))
        let filler = JournalEntry([(.message, "filler"), (.syslogIdentifier, "test")])
        while rig.journal.stats.unsent < capacity { #expect(rig.journal.enqueue(filler)) }
        #expect(rig.journal.health().isHealthy, "\(rig.journal.health())")
        await rig.driver.handle(.keys("1#", at: rig.clock.now()))

        #expect(rig.lines.output(.lock) == false, "no unlock without the journal mirror (I1)")
        let kinds = try rig.auditKinds()
        #expect(kinds.contains(.release), "the intent was committed before the queue refused its mirror")
        #expect(try rig.store.releasesInFlight().isEmpty, "the refused release is not left in progress")
        let release = try #require(try rig.store.releases(since: 0).first)
        #expect(release.state != .intent)
        #expect(release.unitsIssued == 0)
        #expect(release.outcome?.contains("journal") == true, "\(String(describing: release.outcome))")
        #expect(release.endSeq != nil, "its end has an audit record")
    }
}
