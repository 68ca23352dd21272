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

    static func rig(_ gated: GatedPINs) throws -> DriverTests.Rig {
        try DriverTests.Rig(journalSink: .fileDescriptor(FileHandle.nullDevice.fileDescriptor), verifier: gated)
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
        await pin.value
        #expect(await rig.driver.snapshot.lockdown != nil, "a door opened without a release is an alarm")
        #expect(await rig.driver.snapshot.staffSession?.staff.id == StaffID("S-01"), "the PIN still counts once checked")
    }
}
