import CAllocCounter
import Crypto
import DoseCabCore
import DoseCabDaemon
import DoseCabHardware
import DoseCabStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// MARK: Numbers

/// Exact percentiles over all samples (the sample counts here are small enough to sort).
struct Summary: Sendable {
    let count: Int, p50: Double, p99: Double, max: Double, min: Double, mean: Double
    init(_ samples: [Double]) {
        let s = samples.sorted()
        count = s.count
        func pct(_ p: Double) -> Double { s.isEmpty ? .nan : s[Swift.min(s.count - 1, Int((p * Double(s.count)).rounded(.up)) - 1)] }
        p50 = pct(0.50); p99 = pct(0.99); max = s.last ?? .nan; min = s.first ?? .nan
        mean = s.isEmpty ? .nan : s.reduce(0, +) / Double(s.count)
    }
    var json: [String: Any] { ["count": count, "p50": p50, "p99": p99, "max": max, "min": min, "mean": mean] }
}

func nowNanos() -> UInt64 { MonotonicClock.now() }
func ms(_ nanos: UInt64) -> Double { Double(nanos) / 1e6 }
func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
func allocations() -> UInt { UInt(dosecab_alloc_count()) }

/// One printed row of the final table and its JSON figures.
final class Report: @unchecked Sendable {
    var rows: [(section: String, name: String, value: String)] = []
    var json: [String: Any] = [:]
    func row(_ section: String, _ name: String, _ value: String) {
        rows.append((section, name, value))
        print("  [\(section)] \(name): \(value)")
        fflush(nil)
    }
    func set(_ section: String, _ value: Any) { json[section] = value }
    func table() -> String {
        let w0 = max(7, rows.map(\.section.count).max() ?? 0), w1 = rows.map(\.name.count).max() ?? 0
        var s = "| " + "section".padding(toLength: w0, withPad: " ", startingAt: 0) + " | " + "figure".padding(toLength: w1, withPad: " ", startingAt: 0) + " | value |\n"
        s += "|" + String(repeating: "-", count: w0 + 2) + "|" + String(repeating: "-", count: w1 + 2) + "|-------|\n"
        for r in rows {
            s += "| " + r.section.padding(toLength: w0, withPad: " ", startingAt: 0) + " | " + r.name.padding(toLength: w1, withPad: " ", startingAt: 0) + " | \(r.value) |\n"
        }
        return s
    }
}

// MARK: /proc

enum Proc {
    /// A field of /proc/PID/status in kB (VmRSS, VmHWM) or a counter.
    static func status(_ pid: pid_t, _ key: String, task: pid_t? = nil) -> Int? {
        let path = task.map { "/proc/\(pid)/task/\($0)/status" } ?? "/proc/\(pid)/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
    /// utime + stime in clock ticks from /proc/PID/stat (or one task's).
    static func cpuTicks(_ pid: pid_t, task: pid_t? = nil) -> Int? {
        let path = task.map { "/proc/\(pid)/task/\($0)/stat" } ?? "/proc/\(pid)/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let f = text[text.index(after: close)...].split(separator: " ")
        // After the comm: state is f[0]; utime is field 14 overall → f[11], stime f[12].
        guard f.count > 12, let u = Int(f[11]), let s = Int(f[12]) else { return nil }
        return u + s
    }
    static func tasks(_ pid: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).compactMap { pid_t($0) }.sorted()
    }
    static func comm(_ pid: pid_t, task: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }
    static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }
}

// MARK: The physical floor

/// One bare 4 KiB `pwrite` + `fsync` at a time, in `dir` (the store's file system): sampled
/// between releases, so it sees the same disk contention as the releases it is compared with.
final class FsyncProbe {
    let path: String
    let fd: Int32
    var samples: [Double] = []
    private let block = [UInt8](repeating: 0xA5, count: 4096)
    init(dir: String) {
        path = dir + "/fsync-probe-interleaved"
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot open \(path)")
    }
    func sample() {
        let i = samples.count
        let t0 = nowNanos()
        _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t((i % 64) * 4096)) }
        fsync(fd)
        samples.append(ms(nowNanos() - t0))
    }
    deinit { close(fd); unlink(path) }
}

// MARK: A clinic in a temp dir

func tempDir(_ name: String) -> String {
    let base = ProcessInfo.processInfo.environment["DOSECAB_BENCH_TMP"] ?? NSTemporaryDirectory()
    let dir = (base as NSString).appendingPathComponent("dosecab-bench-\(name)-\(UUID().uuidString.prefix(6))")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A clinic in a temp dir as `dosecabd --simulate` makes it: the demo clinic, seeded by the
/// daemon's own code. Everything the benchmarks add (patients, prescriptions, stock, a history of
/// dispenses) goes through the daemon's interfaces on a running driver (`DriverRig`): the control
/// methods, called in process as the socket calls them, and the counter's events (issue 17.5).
/// Nothing is written into the store behind the daemon's back: every record is one it wrote.
final class Clinic: @unchecked Sendable {
    let dir: String
    let store: Store
    let config: DaemonConfig
    let clock = DaemonClock()
    let pins = ScryptPINs(rounds: 16)
    /// The demo prescriber's signing key, which the seed keeps beside the state for `--simulate`
    /// (docs/prescriptions.md): the benchmark's prescriptions are signed with it.
    let key: Curve25519.Signing.PrivateKey
    static let keyID = DemoClinic.prescriberKeyID
    static let nurse = CardID(format: .h10301, facility: 10, number: 1001)
    var nextSerial = 900_000

    init(dir: String) throws {
        self.dir = dir
        config = DaemonConfig.simulated(stateDirectory: dir)
        store = try Store(directory: dir, calendar: config.policy.calendar)
        try DemoClinic.seed(store: store, directory: dir, pins: pins, now: clock.now(), calendar: config.policy.calendar)
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: Data(contentsOf: URL(fileURLWithPath: dir + "/demo-prescriber.key")))
    }

    /// `n` new units of 200 mg injectable heroin (numeric serials: the return scanner's tag number).
    func stock(_ n: Int) -> [StockUnit] {
        defer { nextSerial += n }
        return (nextSerial..<(nextSerial + n)).map { StockUnit(serial: UnitSerial(String($0)), drug: .diacetylmorphine, route: .injectable,
                                                               strengthMg: 200, batch: "BENCH-1", expiry: "2099-12-31") }
    }
}
