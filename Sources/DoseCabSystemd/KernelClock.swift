import CSystemd

/// The kernel's view of the system clock (ARCHITECTURE §4a "Time": no release unless the
/// clock is synchronised).
public enum KernelClock {
    /// Wraps `adjtimex(2)` through `dosecab_clock_synchronised` (shim.h): false when the kernel
    /// reports TIME_ERROR (no NTP daemon has disciplined the clock) and also when the state
    /// cannot be read at all: an unknown clock is treated as unsynchronised (fail-secure).
    public static func isSynchronised() -> Bool { dosecab_clock_synchronised() == 1 }
}
