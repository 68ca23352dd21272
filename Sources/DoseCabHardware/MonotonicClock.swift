import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CLOCK_MONOTONIC in nanoseconds: the clock of the kernel's GPIO event timestamps (v1 uAPI,
/// Linux ≥ 5.7), so deadlines from the decoder, chute and debouncer compare with it.
public enum MonotonicClock {
    /// Now, in nanoseconds of CLOCK_MONOTONIC.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// A clock that only moves when told to: inject `{ clock.now() }` into `SimulatedLines` and
/// drive time explicitly in tests.
public final class ManualClock: Sendable {
    private let nanos: Mutex<UInt64>

    public init(startNanos: UInt64 = 1_000_000_000) {
        nanos = Mutex(startNanos)
    }

    /// The current time.
    public func now() -> UInt64 { nanos.withLock { $0 } }

    /// Moves time forward and returns the new time.
    @discardableResult
    public func advance(by delta: UInt64) -> UInt64 {
        nanos.withLock { $0 += delta; return $0 }
    }
}
