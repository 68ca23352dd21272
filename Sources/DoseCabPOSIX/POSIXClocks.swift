import Glibc

/// The kernel's clocks in nanoseconds, each one `clock_gettime` (``Sys/clockGetTime(_:)``).
/// Which clock a value is on stays in its name: they do not compare with each other.
public enum POSIXClocks {
    /// CLOCK_MONOTONIC: the clock of the kernel's GPIO event timestamps; stops in suspend.
    public static func monotonicNanos() -> UInt64 {
        nanos(Sys.clockGetTime(CLOCK_MONOTONIC))
    }

    /// CLOCK_BOOTTIME: monotonic and counting through suspend, so a deadline on it is a
    /// deadline in real elapsed time, and setting the wall clock moves nothing.
    public static func bootTimeNanos() -> UInt64 {
        nanos(Sys.clockGetTime(CLOCK_BOOTTIME))
    }

    /// CLOCK_REALTIME: the wall clock, since the Unix epoch (it can be set, and jump).
    public static func realtimeNanos() -> Int64 {
        let ts = Sys.clockGetTime(CLOCK_REALTIME)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    private static func nanos(_ ts: timespec) -> UInt64 {
        UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
