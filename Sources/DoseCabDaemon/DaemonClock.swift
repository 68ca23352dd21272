import DoseCabCore
import DoseCabPOSIX
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads the two clocks the core needs (wall and CLOCK_BOOTTIME) and the kernel's boot id.
/// In `--simulate`, `sim advance` moves both forward so deadlines can be exercised at once;
/// the offset only ever grows, so simulated time never runs backwards either.
public final class DaemonClock: Sendable {
    private let offsetMillis = Mutex<Int64>(0)
    public let bootID: String

    public init() {
        let id = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        bootID = (id?.isEmpty == false ? id : nil) ?? "unknown-boot"
    }

    public func now() -> Moment {
        let offset = offsetMillis.withLock { $0 }
        return Moment(wallMillis: Self.read(CLOCK_REALTIME) + offset, bootMillis: Self.read(CLOCK_BOOTTIME) + offset, bootID: bootID)
    }

    /// Simulation only: moves both clocks forward.
    public func advance(millis: Int64) {
        offsetMillis.withLock { $0 += max(0, millis) }
    }

    public var simulatedOffsetMillis: Int64 { offsetMillis.withLock { $0 } }

    static func read(_ clock: clockid_t) -> Int64 {
        let ts = Sys.clockGetTime(clock)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
