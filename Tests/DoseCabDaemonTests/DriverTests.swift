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
        let lines: SimulatedLines
        let journal: JournalWriter
        /// The daemon under test; `earlierRun` replaces it with a fresh start on the same store.
        var driver: CabinetDriver
        let clock = DaemonClock()
        let pins = ScryptPINs(rounds: 16)
        static let nurse = CardID(format: .h10301, facility: 10, number: 1001)
        static let patient = CardID(format: .h10301, facility: 20, number: 2001)

        init(journalSink: JournalWriter.Sink, fullDisk: Bool = false, lines: SimulatedLines = SimulatedLines(),
             driverLines: (any CabinetLines)? = nil, busySeconds: Double = 5, journalLimits: JournalWriter.Limits? = nil,
             inputClock: any InputClock = MonotonicInputClock(), demo: Bool = true, verifier: (any PINVerifier)? = nil,
             beforeRestart: ((Store) throws -> Void)? = nil, configure: (inout DaemonConfig) -> Void = { _ in }) throws {
            self.lines = lines
            dir = NSTemporaryDirectory() + "dosecab-driver-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var config = DaemonConfig.simulated(stateDirectory: dir)
            config.journalMaxUnsentSeconds = 1
            configure(&config)
            store = try Store(directory: dir, calendar: config.policy.calendar, maxPageCount: nil, busySeconds: busySeconds)
            var limits = JournalWriter.Limits(maxUnsentAge: .milliseconds(200))
            limits.retryInterval = .milliseconds(20)
            journal = JournalWriter(sink: journalSink, limits: journalLimits ?? limits)
            let now = clock.now()
            if demo { try DemoClinic.seed(store: store, directory: dir, pins: pins, now: now, calendar: config.policy.calendar) }
            if fullDisk {
                // The disk is nearly full: reopen with the file capped at its size. The daemon's
                // own records use up what is left (`fillTheDisk`), none is written behind its back.
                let pages = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") } ?? 0
                store = try Store(directory: dir, calendar: config.policy.calendar, maxPageCount: pages)
            }
            if let beforeRestart {
                // What an earlier run left, then changed while the daemon was down: a new Store, as at a restart.
                try beforeRestart(store)
                store = try Store(directory: dir, calendar: config.policy.calendar, maxPageCount: nil, busySeconds: busySeconds)
            }
            driver = try CabinetDriver(config: config, store: store, journal: journal, lines: driverLines ?? lines, clock: clock,
                                       pins: verifier ?? pins, logger: Logger(label: "test"), simulate: true, version: "test",
                                       pinMap: lines.pinMap, inputClock: inputClock)
        }

        /// A card nobody enrolled, at the counter: the daemon records one refusal per swipe. The
        /// cheapest record a test can make the daemon write through its interface.
        static let strangerCard = CardID(format: .h10301, facility: 99, number: 9999)

        /// An earlier run of the daemon on this store: a driver started with its own journal
        /// (`journalSink`), fed `events`, stopped; when `mirrored`, the journal took every record
        /// and the mirror cursor says so, marked by the daemon itself (`replayJournal`, as at a
        /// main-loop tick). Then `driver` is a fresh daemon on the same store, not yet started.
        func earlierRun(journalSink: JournalWriter.Sink, mirrored: Bool, events: Int = 0) async throws {
            let config = await driver.config
            let earlier = JournalWriter(sink: journalSink, limits: JournalWriter.Limits())
            let sim = SimulatedLines()
            let run = try CabinetDriver(config: config, store: store, journal: earlier, lines: sim, clock: clock, pins: pins,
                                        logger: Logger(label: "test-earlier"), simulate: true, version: "test", pinMap: sim.pinMap)
            _ = try await run.start()
            for _ in 0..<events { await run.handle(.card(Self.strangerCard, at: clock.now())) }
            await run.shutdown()
            if mirrored {
                #expect(earlier.flush(timeout: .seconds(5)))
                await run.replayJournal()
                #expect(try store.mirrorCursor() == store.chainHead().lastSeq, "the earlier run's journal took every record")
            }
            _ = earlier.shutdown(timeout: .milliseconds(200))
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
        // The writer finds the socket missing on its own thread: wait for its verdict (up to
        // 10 s, the machine may be busy) rather than a fixed time that a slow run can outlast.
        var waited = 0
        while rig.journal.health().isHealthy, waited < 1000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
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

    /// F6: a frame's last bits reach the daemon more than a frame gap after its first ones
    /// (the event thread was not scheduled in time), stamped by the kernel when they happened.
    /// The frame must still decode whole: its end is judged on the lines' quiet answer, not on
    /// the daemon's clock. The source's clock (a manual one) stands still while the bits are
    /// "in flight", as the kernel's queue would hold them; every key and card arrives this way.
    @Test func aFrameWhoseLastBitsArriveLateIsNotCutInTwo() async throws {
        let source = ManualClock(startNanos: MonotonicClock.now())
        let lines = SimulatedLines(clock: { source.now() })
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull), lines: lines)
        _ = try await rig.driver.start()
        let inputs = Task { await rig.driver.runInputs() }
        defer { inputs.cancel() }
        let gap = UInt64(await rig.driver.config.wiegandFrameGapMillis) * 1_000_000
        func playLate(_ bits: [Bool]) async throws {
            let half = bits.count / 2
            let start = source.now()
            try lines.playWiegand(reader: .counter, bits: Array(bits[..<half]), startNanos: start)
            // The daemon's timer for this frame's end comes and goes while the rest is held up.
            try await Task.sleep(for: .nanoseconds(Int64(3 * gap)))
            try lines.playWiegand(reader: .counter, bits: Array(bits[half...]), startNanos: start + UInt64(half) * 2_000_000)
            source.advance(by: UInt64(bits.count) * 2_000_000 + gap + 1_000_000)
            try await Task.sleep(for: .nanoseconds(Int64(3 * gap)))
            source.advance(by: 80_000_000)   // the pause before the next frame
        }
        func keys(_ text: String) async throws {
            for key in text { try await playLate(WiegandDecoder.encodeKey(key)!) }
        }
        try await playLate(WiegandDecoder.encode(Rig.nurse))
        try await keys("1234#")
        try await playLate(WiegandDecoder.encode(Rig.patient))
        try await keys("1111#")
        try await keys("1#")
        var waited = 0
        while !rig.lines.output(.lock), waited < 1000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(await rig.driver.rejectedFrames == 0, "a frame was cut where its bits were late")
        #expect(rig.lines.output(.lock) == true, "the release keyed with late bits went through")
        #expect(try rig.auditKinds().contains(.release))
    }

    /// The stock tick runs at every watchdog tick; with nothing new it must leave the sleeping
    /// timer task alone (a new task per tick was 2.5x an idle tick's wake-ups), while a new
    /// cabinet deadline still re-arms it and moving the clock still fires what is due.
    @Test func aTickWithNothingNewLeavesTheTimerTaskAlone() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        // One count a day, six hours from now: the stock deadline is hours away whatever the time
        // of day, so the PIN timeout below is always the nearer one. (With the default shift
        // counts the test failed when it ran in the minute before a count fell overdue.)
        let rig = try Rig(journalSink: .fileDescriptor(devnull), configure: { config in
            let minute = config.policy.calendar.minuteOfDay(DaemonClock().now())
            config.policy.countTimes = [(minute + 360) % 1440]
        })
        _ = try await rig.driver.start()
        let armed = await rig.driver.timerTask
        #expect(armed != nil, "the clinic has a count schedule, so a stock deadline is armed")
        for _ in 0..<5 { await rig.driver.stockTick() }
        #expect(await rig.driver.timerTask == armed, "a tick with the same deadline started a new timer task")
        // A staff session opens: its timeout is a nearer deadline and gets a task of its own.
        await rig.driver.handle(.card(Rig.nurse, at: rig.clock.now()))
        let dialogue = await rig.driver.timerTask
        #expect(dialogue != armed)
        #expect(await rig.driver.armedTimers[.pinEntry] != nil)
        // Moving the clock past the PIN timeout fires it at once, as before.
        await rig.driver.advance(millis: 10 * 60_000)
        #expect(await rig.driver.armedTimers[.pinEntry] == nil)
        let feedback = await rig.driver.feedback
        #expect(feedback.last?.contains("PIN") == true, "\(feedback)")
    }

    /// After an outage the store holds thousands of records the journal never got. They are
    /// replayed as fast as the journal takes them, not 256 per main-loop tick (there is no main
    /// loop here at all), and releases work again as soon as the mirror has caught up.
    @Test func aLongBacklogCatchesUpWithoutWaitingForTicks() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull))
        // The outage: the daemon ran with journald gone and recorded 800 refusals (more than
        // three catch-up batches of 256), none of which reached the journal.
        try await rig.earlierRun(journalSink: .journald(socketPath: "/nonexistent/journal/socket"), mirrored: false, events: 800)
        #expect(try rig.store.unmirrored(limit: 10_000).count >= 800)
        _ = try await rig.driver.start()
        #expect(await rig.driver.journalMirrorBehind, "start replays only the first 256")
        var waited = 0
        while await rig.driver.journalMirrorBehind, waited < 500 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(await !rig.driver.journalMirrorBehind, "still behind after 10 s")
        await rig.ask()
        #expect(rig.lines.output(.lock) == true, "a release after the catch-up")
    }

    /// Simulated lines whose event stream the test can end, as a failed GPIO event thread ends it.
    final class SeverableLines: CabinetLines {
        let sim: SimulatedLines
        let events: AsyncStream<LineInput>
        private let continuation: AsyncStream<LineInput>.Continuation
        init(_ sim: SimulatedLines) {
            self.sim = sim
            (events, continuation) = AsyncStream.makeStream(of: LineInput.self)
        }
        func set(_ role: LineRole, active: Bool) throws(LineError) { try sim.set(role, active: active) }
        func read(_ role: LineRole) throws(LineError) -> Bool { try sim.read(role) }
        func requestQuiet() { continuation.yield(.quiet(throughNanos: MonotonicClock.now())) }
        func makeSafe() { sim.makeSafe() }
        func close() { sim.close() }
        func sever() { continuation.finish() }
    }

    /// The GPIO event thread dies: door, bolt, tamper and readers go unseen. The lock must go
    /// safe at once, the fault be recorded with a lockdown, and the health check (which feeds
    /// the watchdog) fail from then on. Shutdown's cancellation of the inputs is no fault.
    @Test func lostLineEventsAreAHardwareFaultThatStopsTheWatchdog() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let sim = SimulatedLines()
        let severable = SeverableLines(sim)
        let rig = try Rig(journalSink: .fileDescriptor(devnull), lines: sim, driverLines: severable)
        _ = try await rig.driver.start()
        let inputs = Task { await rig.driver.runInputs() }
        await rig.ask()
        #expect(sim.output(.lock) == true, "a release is under way")
        #expect(await rig.driver.linesHealthy())
        severable.sever()
        await inputs.value
        #expect(sim.output(.lock) == false, "the lock went safe")
        #expect(await !rig.driver.linesHealthy(), "the watchdog must not be fed any more")
        #expect(await rig.driver.snapshot.lockdown?.contains("GPIO inputs lost") == true)
        let alarm = try rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.kind == .alarm }
        #expect(alarm?.event.message.contains("GPIO inputs lost") == true, "\(String(describing: alarm))")

        // Cancelled, as at shutdown: no fault.
        let calm = try Rig(journalSink: .fileDescriptor(devnull))
        _ = try await calm.driver.start()
        let calmInputs = Task { await calm.driver.runInputs() }
        try await Task.sleep(for: .milliseconds(20))
        calmInputs.cancel()
        await calmInputs.value
        #expect(await calm.driver.linesHealthy())
        #expect(await calm.driver.snapshot.lockdown == nil)
    }

    /// The return scanner takes only H10302 ampoule tags: a badge held to it is a rejected
    /// frame, never the serial of the same number (which could book that unit as returned).
    @Test func theReturnScannerTakesOnlyAmpouleTags() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        // The edges and the driver's frame-end timer on one manual clock: a frame ends when the
        // test moves time past its gap, however slowly the run goes.
        let source = ManualClock(startNanos: 1_000_000_000)
        let lines = SimulatedLines(clock: { source.now() })
        let rig = try Rig(journalSink: .fileDescriptor(devnull), lines: lines, inputClock: source)
        _ = try await rig.driver.start()
        let inputs = Task { await rig.driver.runInputs() }
        defer { inputs.cancel() }
        let gap = UInt64(await rig.driver.config.wiegandFrameGapMillis) * 1_000_000
        // Plays the frame, moves time past its end, and waits until the frame that started at
        // `start` has been decoded, accepted or not. Time goes on 1 ms at each look: the driver
        // may arm its timer only after the test's first move. The real wait only lets the driver's
        // tasks run; no outcome depends on its length.
        func play(_ reader: Reader, _ card: CardID) async throws {
            let start = source.now()
            let bits = WiegandDecoder.encode(card)
            try rig.lines.playWiegand(reader: reader, bits: bits, startNanos: start)
            source.advance(by: UInt64(bits.count) * 2_000_000 + gap)
            for _ in 0..<10_000 {
                let last = reader == .counter ? await rig.driver.counterDecoder.lastFrame : await rig.driver.returnDecoder.lastFrame
                if last?.start == start { return }
                source.advance(by: 1_000_000)
                try await Task.sleep(for: .milliseconds(1))   // the driver's turn: at least 10 s in all
            }
            Issue.record("the \(reader) frame was never decoded")
        }
        try await play(.returnScanner, Rig.patient)
        #expect(await rig.driver.rejectedFrames == 1, "a 26-bit badge on the return scanner")
        try await play(.returnScanner, CardID(format: .h10302, facility: 0, number: 2001))
        #expect(await rig.driver.rejectedFrames == 1, "an ampoule tag is taken")
        // The counter still takes badges.
        try await play(.counter, Rig.nurse)
        #expect(await rig.driver.rejectedFrames == 1)
        #expect(await rig.driver.armedTimers[.pinEntry] != nil, "the nurse's badge opened PIN entry")
    }

    /// A cabinet loaded after a count time owes no count for that time: counts are owed from
    /// the first receipt (before the first count). The demo clinic is seeded now, so at start
    /// no count is overdue; without the rule one was, whenever the start came more than the
    /// grace after a count time (21 hours of the day). The schedule still runs from there.
    @Test func noCountIsOwedForATimeBeforeTheCabinetWasLoaded() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull))
        _ = try await rig.driver.start()
        #expect(try !rig.auditKinds().contains(.countOverdue), "a count time before the first receipt was reported overdue")
        // A full day later every count time has passed with no count: overdue now.
        await rig.driver.advance(millis: 24 * 3_600_000)
        await rig.driver.stockTick()
        #expect(try rig.auditKinds().contains(.countOverdue))
    }

    @Test func aStoreThatCannotCommitMeansNoRelease() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(devnull), fullDisk: true)
        try? await { _ = try await rig.driver.start() }()
        // The daemon's own records fill what is left of the disk.
        var swipes = 0
        while await rig.driver.storeHealth == nil, swipes < 2000 {
            await rig.driver.handle(.card(Rig.strangerCard, at: rig.clock.now()))
            swipes += 1
        }
        #expect(await rig.driver.storeHealth != nil, "\(swipes) refusals and the capped store still took them")
        await rig.ask()
        #expect(rig.lines.output(.lock) == false)
        #expect(await rig.driver.storeHealth != nil)
    }

    // MARK: Read-back of the journal at start (F3: journald loses unsynced entries in a power cut)

    /// A rig whose earlier run handed every record to journald (the store's mirror cursor says
    /// so, as that run marked it), with this run's journal entries written to a file the test reads.
    static func readBackRig() async throws -> (Rig, String, Int64) {
        let path = NSTemporaryDirectory() + "dosecab-readback-\(UUID().uuidString.prefix(8)).log"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let devnull = open("/dev/null", O_WRONLY)
        let rig = try Rig(journalSink: .fileDescriptor(fd))
        try await rig.earlierRun(journalSink: .fileDescriptor(devnull), mirrored: true)
        close(devnull)
        let head = try rig.store.chainHead().lastSeq
        return (rig, path, head)
    }

    static func sentSeqs(_ path: String) throws -> [Int64] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: "DOSECAB_AUDIT_SEQ=") else { return nil }
            return Int64(line[r.upperBound...].prefix { $0.isNumber })
        }
    }

    @Test func readBackResendsWhatTheJournalLostAndNothingElse() async throws {
        let (rig, path, head) = try await Self.readBackRig()
        defer { unlink(path) }
        #expect(head >= 8, "the demo seed gives enough records to lose some")
        _ = try await rig.driver.start()
        let plan = try #require(await rig.driver.journalReadBackPlan(), "a cursor > 0 and records of this run: a read-back is due")
        #expect(plan.window.map(\.seq) == Array(1...head), "every claimed-mirrored record of the last 15 minutes is checked")
        #expect(!plan.probe.isEmpty && plan.probe.keys.allSatisfy { $0 > head }, "the probe is this run's own records")
        #expect(rig.journal.flush(timeout: .seconds(2)))
        let beforeReadBack = try Self.sentSeqs(path)
        #expect(beforeReadBack.allSatisfy { $0 > head }, "the start sends only its own records")

        // The journal after the power cut: seq 3 and 5 lost, this run's records present. (A
        // record there with another hash is not a loss: JournalReadBackTests, issue 18.9.)
        var found: [Int64: String] = [:]
        for r in plan.window where r.seq != 3 && r.seq != 5 { found[r.seq] = r.hash }
        for (seq, hash) in plan.probe { found[seq] = hash }
        #expect(await rig.driver.finishJournalReadBack(found: found) == .replayed([3, 5]))
        #expect(await rig.driver.journalReadBackPlan() == nil, "done once")
        #expect(await rig.driver.finishJournalReadBack(found: found) == .notNeeded)
        #expect(rig.journal.flush(timeout: .seconds(2)))
        let resent = try Self.sentSeqs(path).filter { $0 <= head }
        #expect(resent == [3, 5], "exactly the lost records, in chain order, once")
    }

    @Test func readBackWaitsUntilItSeesThisRunsOwnEntries() async throws {
        let (rig, path, head) = try await Self.readBackRig()
        defer { unlink(path) }
        _ = try await rig.driver.start()
        let plan = try #require(await rig.driver.journalReadBackPlan())
        // A reader that sees none of this run's entries (journald has not written them yet, or
        // the reader looks at another journal): an empty answer is no evidence of loss.
        #expect(await rig.driver.finishJournalReadBack(found: [:]) == .notYet)
        var withoutProbe: [Int64: String] = [:]
        for r in plan.window.dropFirst() { withoutProbe[r.seq] = r.hash }
        #expect(await rig.driver.finishJournalReadBack(found: withoutProbe) == .notYet)
        #expect(rig.journal.flush(timeout: .seconds(2)))
        #expect(try Self.sentSeqs(path).allSatisfy { $0 > head }, "nothing re-sent without proof")
        // Everything there: checked, nothing sent.
        var all: [Int64: String] = plan.probe
        for r in plan.window { all[r.seq] = r.hash }
        #expect(await rig.driver.finishJournalReadBack(found: all) == .complete(checked: plan.window.count))
        #expect(rig.journal.flush(timeout: .seconds(2)))
        #expect(try Self.sentSeqs(path).allSatisfy { $0 > head })
    }

    @Test func noReSendWithoutAMirrorCursorOrWhenTurnedOff() async throws {
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        // A store whose records were never handed to journald (the cursor is 0): nothing to
        // re-send, but what the journal holds is still compared with the store (issue 18.9: a
        // cursor set back must not turn the check off).
        let fresh = try Rig(journalSink: .fileDescriptor(devnull))
        _ = try await fresh.driver.start()
        #expect(await fresh.driver.journalReadBackPlan()?.window == [])
        // The window set to 0 in the configuration turns the read-back off.
        let (rig, path, _) = try await Self.readBackRig()
        defer { unlink(path) }
        _ = try await rig.driver.start()
        #expect(await rig.driver.journalReadBackPlan() != nil, "the same store with the default window: due")
        var config = await rig.driver.config
        config.journalReadBackSeconds = 0
        let off = try CabinetDriver(config: config, store: rig.store, journal: rig.journal, lines: rig.lines, clock: rig.clock,
                                    pins: rig.pins, logger: Logger(label: "test"), simulate: true, version: "test",
                                    pinMap: rig.lines.pinMap)
        _ = try await off.start()
        #expect(await off.journalReadBackPlan()?.window == [], "no re-send; the comparison with the store stays")
    }
}
