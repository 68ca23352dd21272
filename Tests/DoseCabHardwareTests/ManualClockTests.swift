import DoseCabHardware
import Testing

/// The manual clock the driver tests hand to the driver's input deadlines: a sleep on it ends
/// when the test moves time to its deadline, never by itself, and a cancelled one ends at once.
@Suite struct ManualClockTests {
    @Test func aSleepEndsWhenTimeReachesItsDeadlineAndNotBefore() async throws {
        let clock = ManualClock(startNanos: 1_000)
        let woke = Task { try await clock.sleep(until: 5_000); return clock.now() }
        clock.advance(by: 3_000)
        // Not due yet: the sleeper is still waiting after any number of turns.
        for _ in 0..<50 { await Task.yield() }
        clock.advance(by: 1_000)
        #expect(try await woke.value == 5_000)
        // A deadline already passed returns at once.
        try await clock.sleep(until: 2_000)
    }

    @Test func aCancelledSleepThrowsWithoutTimeMoving() async throws {
        let clock = ManualClock(startNanos: 0)
        let sleeper = Task { try await clock.sleep(until: 1_000_000) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.now() == 0)
    }
}
