import DoseCabPOSIX
import Synchronization

/// CLOCK_MONOTONIC in nanoseconds: the clock of the kernel's GPIO event timestamps (v1 uAPI,
/// Linux ≥ 5.7), so deadlines from the decoder, chute and debouncer compare with it.
public enum MonotonicClock {
    /// Now, in nanoseconds of CLOCK_MONOTONIC.
    public static func now() -> UInt64 {
        POSIXClocks.monotonicNanos()
    }
}

/// The clock the driver's input deadlines (frame ends, debounces, the chute's window) run on:
/// the clock of the lines' edge timestamps, and a sleep on that same clock. Production uses
/// CLOCK_MONOTONIC; tests hand the driver the `ManualClock` that stamps their simulated
/// edges, so a deadline passes when the test moves time on, never by how long a run takes.
public protocol InputClock: Sendable {
    /// Now, in nanoseconds.
    func now() -> UInt64
    /// Returns once `now() >= deadline`; throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: UInt64) async throws
}

/// CLOCK_MONOTONIC, the clock of the kernel's GPIO event timestamps.
public struct MonotonicInputClock: InputClock {
    public init() {}
    public func now() -> UInt64 { MonotonicClock.now() }
    public func sleep(until deadline: UInt64) async throws {
        let now = MonotonicClock.now()
        if deadline > now { try await Task.sleep(for: .nanoseconds(Int64(deadline - now))) }
    }
}

/// A clock that only moves when told to: inject `{ clock.now() }` into `SimulatedLines` and
/// the clock itself into the driver, and drive time explicitly in tests. A sleep on it ends
/// when `advance` reaches its deadline.
public final class ManualClock: InputClock {
    private struct State {
        var nanos: UInt64
        var sleepers: [UInt64: (deadline: UInt64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        /// Sleeps cancelled before they were registered (the cancellation handler ran first).
        var cancelled: Set<UInt64> = []
        var nextSleeper: UInt64 = 0
    }
    private let state: Mutex<State>

    public init(startNanos: UInt64 = 1_000_000_000) {
        state = Mutex(State(nanos: startNanos))
    }

    /// The current time.
    public func now() -> UInt64 { state.withLock { $0.nanos } }

    /// Moves time forward, wakes every sleep whose deadline it reached, and returns the new time.
    @discardableResult
    public func advance(by delta: UInt64) -> UInt64 {
        let (now, due) = state.withLock { s in
            s.nanos += delta
            let now = s.nanos
            let ids = s.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return (now, ids.compactMap { s.sleepers.removeValue(forKey: $0)?.continuation })
        }
        for continuation in due { continuation.resume() }
        return now
    }

    public func sleep(until deadline: UInt64) async throws {
        let id = state.withLock { s in s.nextSleeper += 1; return s.nextSleeper }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Verdict { case due, cancelled, waiting }
                let verdict: Verdict = state.withLock { s in
                    if s.cancelled.remove(id) != nil { return .cancelled }
                    if s.nanos >= deadline { return .due }
                    s.sleepers[id] = (deadline, continuation)
                    return .waiting
                }
                switch verdict {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let continuation = state.withLock { s in
                if let sleeper = s.sleepers.removeValue(forKey: id) { return Optional(sleeper.continuation) }
                s.cancelled.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
