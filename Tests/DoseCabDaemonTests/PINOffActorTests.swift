import DoseCabControl
import DoseCabCore
@testable import DoseCabDaemon
import DoseCabHardware
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 19.7: the scrypt PIN check runs off the cabinet's actor. Door, bolt and tamper edges and
/// timers are handled while a check is running; the counter reader's own frames wait for it, in
/// the order they were typed. No test here measures time: a check is held open by `GatedPINs`
/// until the test lets it go.
@Suite struct PINOffActorTests {
    /// A verifier that says when a check starts and holds each one until the test releases it.
    final class GatedPINs: PINVerifier, @unchecked Sendable {
        let inner = ScryptPINs(rounds: 16)
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)

        func verify(pin: String, against hash: PINHash) -> Bool {
            started.signal()
            gate.wait()
            return inner.verify(pin: pin, against: hash)
        }

        /// Whether a check started within `seconds` (waited for on a Dispatch thread, not on
        /// the cooperative pool the actor needs).
        func nextCheckStarted(within seconds: Double = 10) async -> Bool {
            await withCheckedContinuation { c in
                DispatchQueue.global().async { c.resume(returning: self.started.wait(timeout: .now() + seconds) == .success) }
            }
        }

        func release() { gate.signal() }
    }

    /// Runs `operation`; false when it has not finished within `seconds`. The bound only turns a
    /// blocked actor into a failure instead of a hung test; nothing is timed by it.
    static func finishes(within seconds: Double, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        final class Once: @unchecked Sendable {
            let lock = NSLock()
            var done = false
            func claim() -> Bool { lock.withLock { defer { done = true }; return !done } }
        }
        let once = Once()
        return await withCheckedContinuation { c in
            Task {
                await operation()
                if once.claim() { c.resume(returning: true) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                if once.claim() { c.resume(returning: false) }
            }
        }
    }

    /// The journal's sink: one descriptor for the whole run, never closed.
    static let devNull = open("/dev/null", O_WRONLY)

    static func rig(_ gated: GatedPINs) throws -> DriverTests.Rig {
        try DriverTests.Rig(journalSink: .fileDescriptor(devNull), verifier: gated)
    }

    @Test func aDoorEdgeIsHandledWhileAPINIsBeingChecked() async throws {
        let gated = GatedPINs()
        let rig = try Self.rig(gated)
        _ = try await rig.driver.start()
        await rig.driver.handle(.card(DriverTests.Rig.nurse, at: rig.clock.now()))
        let pin = Task { await rig.driver.handle(.keys("1234#", at: rig.clock.now())) }
        #expect(await gated.nextCheckStarted(), "the PIN check never started")
        // The door is forced open while the nurse's PIN is being checked: the alarm must not wait.
        let handled = await Self.finishes(within: 5) {
            await rig.driver.handle(.door(open: true, at: rig.clock.now()))
        }
        #expect(handled, "the door edge waited behind the PIN check")
        gated.release()
        #expect(await Self.finishes(within: 10) { await pin.value }, "the PIN entry was never handled")
        #expect(await rig.driver.snapshot.lockdown != nil, "a door opened without a release is an alarm")
        #expect(await rig.driver.snapshot.staffSession?.staff.id == StaffID("S-01"), "the PIN still counts once checked")
    }

    /// Frames from the counter reader, as the Wiegand decoder hands them over, one per call.
    static func type(_ rig: DriverTests.Rig, card: CardID? = nil, keys: String = "") async {
        if let card { await rig.driver.deliver([.card(card)], from: .counter, at: 0) }
        for key in keys { await rig.driver.deliver([.keys(String(key))], from: .counter, at: 0) }
    }

    static func isStaffPIN(_ step: CounterStep) -> Bool { if case .staffPIN = step { true } else { false } }
    static func isPatientPIN(_ step: CounterStep) -> Bool { if case .patientPIN = step { true } else { false } }

    @Test func aCardItsPINAndTheChoiceKeyAreTakenInTheOrderTyped() async throws {
        let gated = GatedPINs()
        let rig = try Self.rig(gated)
        _ = try await rig.driver.start()
        // Typed quickly, all before the first PIN check has finished.
        await Self.type(rig, card: DriverTests.Rig.nurse, keys: "1234#")
        await Self.type(rig, card: DriverTests.Rig.patient, keys: "1111#")
        await Self.type(rig, keys: "1#")
        #expect(await gated.nextCheckStarted(), "the nurse's PIN check never started")
        // The patient's card waits behind the nurse's PIN (had it gone first: "a staff member
        // must badge in before the patient"), and the door is not held up meanwhile.
        #expect(Self.isStaffPIN(await rig.driver.snapshot.step))
        #expect(await Self.finishes(within: 5) { await rig.driver.handle(.bolt(engaged: true, at: rig.clock.now())) })
        gated.release()
        #expect(await gated.nextCheckStarted(), "the patient's PIN check never started")
        #expect(Self.isPatientPIN(await rig.driver.snapshot.step))
        #expect(await rig.driver.snapshot.staffSession?.staff.id == StaffID("S-01"))
        gated.release()
        #expect(await Self.finishes(within: 10) { await rig.driver.counterSettled() })
        #expect(rig.lines.output(.lock) == true, "the choice key, taken last, released the dose")
        #expect(try !rig.auditKinds().contains(.refusal))
        #expect(try rig.auditKinds().contains(.release))
    }

    @Test func aVerdictForAStepThatTimedOutMeanwhileCountsNothing() async throws {
        let gated = GatedPINs()
        let rig = try Self.rig(gated)
        _ = try await rig.driver.start()
        await rig.driver.handle(.card(DriverTests.Rig.nurse, at: rig.clock.now()))
        let pin = Task { await rig.driver.handle(.keys("0000#", at: rig.clock.now())) }
        #expect(await gated.nextCheckStarted())
        // The PIN entry's timer fires while its check runs: timers are not held up either.
        let fired = await Self.finishes(within: 5) {
            await rig.driver.advance(millis: Int64(rig.driver.config.policy.pinEntrySeconds) * 1000 + 1)
        }
        #expect(fired, "the timer waited behind the PIN check")
        gated.release()
        #expect(await Self.finishes(within: 10) { await pin.value }, "the PIN entry was never handled")
        let cabinet = await rig.driver.snapshot
        #expect(cabinet.step == .idle && cabinet.staffSession == nil)
        #expect(cabinet.pinFailures.isEmpty, "the stale wrong PIN is not counted")
        #expect(try !rig.auditKinds().contains(.refusal))
    }

    @Test func aSocketPINIsCheckedOffTheActorAndCountedOnIt() async throws {
        let gated = GatedPINs()
        let rig = try Self.rig(gated)
        _ = try await rig.driver.start()
        let nurse = try #require(try rig.store.staff(id: StaffID("S-01")))
        let check = Task { try await rig.driver.checkSocketPIN(nurse, pin: "0000", action: "a test", account: 1001) }
        #expect(await gated.nextCheckStarted())
        #expect(await Self.finishes(within: 5) { await rig.driver.handle(.tamper(at: rig.clock.now())) },
                "the tamper edge waited behind the socket's PIN check")
        gated.release()
        #expect(try await check.value?.reason == .wrongPIN)
        #expect(await rig.driver.snapshot.pinFailures[DriverTests.Rig.nurse]?.count == 1)
    }

    // MARK: Review of issue 19.7

    /// A verifier that holds every check of the PIN entries in `held` until the test releases
    /// that entry (once per check), and lets every other check through; checks of different
    /// entries can be held and released independently, whichever queue they run on.
    final class HeldPINs: PINVerifier, @unchecked Sendable {
        let inner = ScryptPINs(rounds: 16)
        let held: Set<String>
        let condition = NSCondition()
        var started: [String: Int] = [:]
        var released: [String: Int] = [:]

        init(holding held: Set<String>) { self.held = held }

        func verify(pin: String, against hash: PINHash) -> Bool {
            condition.lock()
            started[pin, default: 0] += 1
            let mine = started[pin]!
            condition.broadcast()
            if held.contains(pin) {
                while released[pin, default: 0] < mine { condition.wait() }
            }
            condition.unlock()
            return inner.verify(pin: pin, against: hash)
        }

        /// Lets `count` more held checks of `pin` finish.
        func release(_ pin: String, count: Int = 1) {
            condition.lock()
            released[pin, default: 0] += count
            condition.broadcast()
            condition.unlock()
        }

        /// Whether `count` checks of `pin` have started within `seconds` (waited for on a
        /// Dispatch thread, not on the cooperative pool the actor needs).
        func started(_ pin: String, count: Int = 1, within seconds: Double = 10) async -> Bool {
            await withCheckedContinuation { c in
                DispatchQueue.global().async {
                    let deadline = Date().addingTimeInterval(seconds)
                    self.condition.lock()
                    while self.started[pin, default: 0] < count, self.condition.wait(until: deadline) {}
                    let ok = self.started[pin, default: 0] >= count
                    self.condition.unlock()
                    c.resume(returning: ok)
                }
            }
        }
    }

    /// The driver rig with `verifier`, started, and the control methods on it.
    static func socket(_ verifier: any PINVerifier) async throws -> (DriverTests.Rig, ControlMethods) {
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devNull), verifier: verifier)
        _ = try await rig.driver.start()
        return (rig, ControlMethods(driver: rig.driver, store: rig.store, journal: rig.journal, simLines: rig.lines, pins: rig.pins))
    }

    /// Holds what a bounded operation produced, for `result(within:_:)`.
    final class Box<T>: @unchecked Sendable {
        let lock = NSLock()
        var stored: T?
        var value: T? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
        init() {}
    }

    /// `operation`'s result, or nil when it has not finished within `seconds`.
    static func result<T: Sendable>(within seconds: Double = 10, _ operation: @escaping @Sendable () async -> T) async -> T? {
        let box = Box<T>()
        guard await finishes(within: seconds, { box.value = await operation() }) else { return nil }
        return box.value
    }

    /// Review finding a: the staff record was read before the wait. S-04 (admin) asks to lift
    /// a lockdown; while the PIN is checked, S-04 is re-enrolled as a nurse. The verdict must be
    /// taken on the record as it stands when it lands, not on the admin read before.
    @Test func aStaffMemberDemotedWhileTheirPINIsCheckedIsRefused() async throws {
        let held = HeldPINs(holding: ["4567"])
        let (rig, methods) = try await Self.socket(held)
        let on = await methods.handle(ControlRequest(method: "lockdown", parameters: ["state": "on", "reason": "test"]), InsiderTests.root)
        #expect(on.isSuccess, "\(on)")
        let lift = Task {
            await methods.handle(ControlRequest(method: "lockdown", parameters: ["state": "off", "reason": "case closed",
                                                                               "staff": "S-04", "pin": "4567"]), InsiderTests.root)
        }
        #expect(await held.started("4567"), "S-04's PIN check never started")
        // The change lands while S-04's check holds the socket's PIN queue, so it cannot come
        // through the socket (its own two PIN checks would wait behind the held one): it is the
        // store write `enroll` makes, approved by S-05 and S-01, then the roster reload.
        let admin = try #require(try rig.store.staff(id: StaffID("S-04")))
        var nurse = admin
        nurse.role = .nurse
        try rig.store.enroll(nurse, approvedBy: StaffID("S-05"), StaffID("S-01"), replace: true, actor: "test", at: rig.clock.now())  // store-write-ok: the change must land while the socket's PIN check is held
        try await rig.driver.reloadRoster()
        held.release("4567")
        let reply = try #require(await Self.result { await lift.value }, "the lockdown request never answered")
        #expect(reply.error?.contains("was changed, withdrawn or unreadable") == true, "a demoted admin lifted the lockdown: \(reply)")
        #expect(await rig.driver.snapshot.lockdown != nil, "the lockdown stays")
    }

    /// Review finding b: a PIN check still running at shutdown went on to the counter frames
    /// queued behind it (the choice key `1#`) after `shutdown()` had made the lock safe, and the
    /// release energised the lock again (I2). After shutdown nothing queued reaches the cabinet.
    @Test func nothingQueuedReachesTheCabinetAfterShutdown() async throws {
        let held = HeldPINs(holding: ["1111"])
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(Self.devNull), verifier: held)
        _ = try await rig.driver.start()
        await Self.type(rig, card: DriverTests.Rig.nurse, keys: "1234#")
        #expect(await Self.finishes(within: 10) { await rig.driver.counterSettled() })
        #expect(await rig.driver.snapshot.staffSession?.staff.id == StaffID("S-01"))
        await Self.type(rig, card: DriverTests.Rig.patient, keys: "1111#1#")
        #expect(await held.started("1111"), "the patient's PIN check never started")
        await rig.driver.shutdown()
        held.release("1111")
        #expect(await Self.finishes(within: 10) { await rig.driver.counterSettled() }, "the counter's queue never settled")
        #expect(rig.lines.output(.lock) == false, "a frame queued before shutdown energised the lock after it")
        #expect(try !rig.auditKinds().contains(.release))
        #expect(Self.isPatientPIN(await rig.driver.snapshot.step), "the verdict was not applied after shutdown")
    }

    /// Review finding d: one serial queue served the socket and the counter, so a socket check
    /// held the counter's. A counter PIN is checked while a socket check is running.
    @Test func theCounterIsCheckedWhileASocketCheckRuns() async throws {
        let held = HeldPINs(holding: ["4567"])
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(Self.devNull), verifier: held)
        _ = try await rig.driver.start()
        let admin = try #require(try rig.store.staff(id: StaffID("S-04")))
        let socket = Task { try await rig.driver.checkSocketPIN(admin, pin: "4567", action: "a test", account: 1001) }
        #expect(await held.started("4567"))
        await Self.type(rig, card: DriverTests.Rig.nurse, keys: "1234#")
        #expect(await held.started("1234"), "the counter's check waited behind the socket's")
        #expect(await Self.finishes(within: 10) { await rig.driver.counterSettled() })
        #expect(await rig.driver.snapshot.staffSession?.staff.id == StaffID("S-01"))
        held.release("4567")
        #expect(await Self.finishes(within: 10) { _ = try? await socket.value }, "the socket's check never ended")
        #expect(await rig.driver.snapshot.pinFailures.isEmpty)
    }

    /// Review finding d: a local user could queue socket PIN checks without bound. Beyond the
    /// cap, a request is answered `busy` at once and nothing is checked, counted or changed.
    @Test func socketChecksBeyondTheCapAreRefusedBusy() async throws {
        let held = HeldPINs(holding: ["4567"])
        let (rig, methods) = try await Self.socket(held)
        let flood = 20
        final class Replies: @unchecked Sendable {
            let lock = NSLock()
            var all: [ControlReply] = []
            func add(_ r: ControlReply) { lock.withLock { all.append(r) } }
            var count: Int { lock.withLock { all.count } }
        }
        let replies = Replies()
        var started: [Task<Void, Never>] = []
        for _ in 0..<flood {
            started.append(Task {
                replies.add(await methods.handle(ControlRequest(method: "lockdown", parameters: ["state": "off", "reason": "r",
                                                                                                "staff": "S-04", "pin": "4567"]),
                                                 InsiderTests.root))
            })
        }
        // Every request beyond the cap answers while the admitted ones are still held.
        let limit = PINChecker.socketLimit
        let answered = await Self.finishes(within: 10) {
            while replies.count < flood - limit { try? await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(answered, "requests beyond the cap waited behind the held check")
        #expect(replies.all.allSatisfy { $0.error?.hasPrefix("busy:") == true }, "\(replies.all)")
        held.release("4567", count: flood)
        let tasks = started
        #expect(await Self.finishes(within: 30) { for t in tasks { await t.value } })
        #expect(replies.all.filter(\.isSuccess).count == limit)
        #expect(await rig.driver.snapshot.pinFailures.isEmpty, "a busy answer counts nothing")
    }

    /// A verifier that says every PIN is right: what a forged verdict would claim.
    struct AnyPINIsRight: PINVerifier {
        func verify(pin: String, against hash: PINHash) -> Bool { true }
    }

    /// Review (minor): `handle(.checkedKeys)` is public, so a verdict made anywhere (here by a
    /// verifier that says yes to anything) was taken as the counter's. Only the driver's own
    /// counter queue feeds verdicts, from its `PINChecker`.
    @Test func aVerdictHandedInFromOutsideIsIgnored() async throws {
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(Self.devNull))
        _ = try await rig.driver.start()
        await rig.driver.handle(.card(DriverTests.Rig.nurse, at: rig.clock.now()))
        let forged = try #require(await rig.driver.snapshot.pinCheck(forKeys: "0000#", at: rig.clock.now())).run(AnyPINIsRight())
        #expect(forged.matches)
        await rig.driver.handle(.checkedKeys("0000#", forged, at: rig.clock.now()))
        #expect(await rig.driver.snapshot.staffSession == nil, "a forged verdict opened a staff session")
    }

    /// Review (minor): a verdict was applied at the time its keys were typed, though the cabinet
    /// acts when it lands (records written meanwhile carry later times). The session opened by a
    /// PIN whose check took a while runs from when it opened.
    @Test func aVerdictIsAppliedAtTheTimeItLands() async throws {
        let held = HeldPINs(holding: ["1234"])
        let rig = try DriverTests.Rig(journalSink: .fileDescriptor(Self.devNull), verifier: held)
        _ = try await rig.driver.start()
        await Self.type(rig, card: DriverTests.Rig.nurse, keys: "1234#")
        #expect(await held.started("1234"))
        // The check takes 10 s (of the simulated clock), well inside the PIN entry's 30 s.
        await rig.driver.advance(millis: 10_000)
        let landed = rig.clock.now()
        held.release("1234")
        #expect(await Self.finishes(within: 10) { await rig.driver.counterSettled() })
        let session = try #require(await rig.driver.snapshot.staffSession)
        let sessionMillis = Int64(await rig.driver.config.policy.staffSessionSeconds) * 1000
        #expect(session.expires >= landed.bootMillis + sessionMillis, "the session was opened at the time the PIN was typed")
    }
}
