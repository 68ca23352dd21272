import CSystemd

/// The kernel's view of the system clock (ARCHITECTURE §4a "Time": no release unless the
/// clock is synchronised).
public enum KernelClock {
    /// Wraps `adjtimex(2)` through `dosecab_clock_synchronised` (shim.h): false when the kernel
    /// reports TIME_ERROR (no NTP daemon has disciplined the clock) and also when the state
    /// cannot be read at all: an unknown clock is treated as unsynchronised (fail-secure).
    public static func isSynchronised() -> Bool { dosecab_clock_synchronised() == 1 }

    /// Why the clock counts as unsynchronised, for the log: nil when it is synchronised.
    public static func problem() -> String? {
        let r = dosecab_clock_synchronised()
        switch r {
        case 1: return nil
        case 0: return "the kernel reports the clock unsynchronised (TIME_ERROR)"
        default: return "adjtimex failed: \(String(cString: strerror(-r))) (errno \(-r)); treated as unsynchronised"
        }
    }
}
