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

/// One bare `write` of 4 KiB + `fsync`, in `dir` (the store's file system), `n` times.
func fsyncFloor(dir: String, n: Int) -> Summary {
    let path = dir + "/fsync-probe"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot open \(path)")
    defer { close(fd); unlink(path) }
    let block = [UInt8](repeating: 0xA5, count: 4096)
    var samples: [Double] = []
    for i in 0..<n {
        let t0 = nowNanos()
        _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t((i % 64) * 4096)) }
        fsync(fd)
        samples.append(ms(nowNanos() - t0))
    }
    return Summary(samples)
}

// MARK: A clinic in a temp dir

func tempDir(_ name: String) -> String {
    let base = ProcessInfo.processInfo.environment["DOSECAB_BENCH_TMP"] ?? NSTemporaryDirectory()
    let dir = (base as NSString).appendingPathComponent("dosecab-bench-\(name)-\(UUID().uuidString.prefix(6))")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A store seeded like `dosecabd --simulate` (the demo clinic), plus the benchmark's own
/// prescriber key, patients with signed prescriptions, stock and history, all through the
/// store's public calls (so every row has its audit record and the chain is valid).
final class Clinic: @unchecked Sendable {
    let dir: String
    let store: Store
    let config: DaemonConfig
    let clock = DaemonClock()
    let pins = ScryptPINs(rounds: 16)
    let key = Curve25519.Signing.PrivateKey()
    static let keyID = "bench-prescriber"
    static let nurse = CardID(format: .h10301, facility: 10, number: 1001)
    var nextSerial = 900_000

    init(dir: String) throws {
        self.dir = dir
        config = DaemonConfig.simulated(stateDirectory: dir)
        store = try Store(directory: dir, calendar: config.policy.calendar)
        try DemoClinic.seed(store: store, directory: dir, pins: pins, now: clock.now(), calendar: config.policy.calendar)
        _ = try store.installPrescriberKey(PrescriberKey(keyID: Self.keyID, publicKey: Array(key.publicKey.rawRepresentation)),
                                           by: "bench", at: clock.now())
    }

    /// Patients `P-<prefix>NNNN` with card facility `facility`, number `1...count`, PIN 1111, each
    /// with a heroin prescription (200 mg injectable, 3 sessions a day) valid for a year.
    func enroll(prefix: String, facility: UInt32, count: Int) throws -> [(id: PatientID, card: CardID)] {
        let now = clock.now()
        let cal = config.policy.calendar
        let today = cal.day(of: now)
        let pin = pins.hash(pin: "1111")
        var out: [(PatientID, CardID)] = []
        var entries: [SignedPrescriptionEntry] = []
        for i in 1...count {
            let id = PatientID(String(format: "P-%@%05d", prefix, i))
            let card = CardID(format: .h10301, facility: facility, number: UInt64(i))
            _ = try store.enroll(Patient(id: id, card: card, pin: pin), by: "bench", at: now)
            let rx = Prescription(id: "RX-\(id.rawValue)", version: 1, patient: id, drug: .diacetylmorphine, route: .injectable,
                                  doseMg: 200, maxSessionsPerDay: 3, validFrom: cal.dateString(day: today - 400),
                                  validUntil: cal.dateString(day: today + 30), prescriber: Self.keyID)
            entries.append(try SignedPrescriptionEntry.sign(.prescription(rx), keyID: Self.keyID, with: key))
            out.append((id, card))
        }
        _ = try store.importBundle(try PrescriptionBundle.encode(entries), policy: config.policy, now: now, actor: "bench")
        return out
    }

    func stock(_ n: Int, at: Moment) -> [StockUnit] {
        defer { nextSerial += n }
        return (nextSerial..<(nextSerial + n)).map { StockUnit(serial: UnitSerial(String($0)), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                                                                       batch: "BENCH-1", expiry: "2099-12-31") }
    }

    func receive(_ n: Int) throws {
        _ = try store.commit(.stockReceived(stock(n, at: clock.now()), by: StaffID("S-03"), witness: StaffID("S-01"), at: clock.now()))
    }

    /// About `records` audit records of past dispenses spread evenly over `days` before now, five
    /// per dispense (stock received, release intent, issue, completed, returned), round-robin over
    /// `patients`; then `open` dispenses today whose unit is still out (not yet returned).
    /// Committed in batches of ~`batch` writes per transaction (one fsync per batch).
    func history(records: Int, days: Int, patients: [PatientID], open: Int, endingDaysAgo: Int = 0, batch: Int = 5000) throws {
        let dispenses = max(0, records / 5)
        let now = clock.now()
        let span = Int64(days) * 86_400_000
        let step = dispenses > 0 ? max(1, span / Int64(dispenses)) : 1
        let closeOut = config.policy.closeOutPolicy(for: .injectable)
        let nurse = StaffID("S-01"), pharmacist = StaffID("S-03")
        var writes: [LedgerWrite] = []
        writes.reserveCapacity(batch + 5)
        func flush() throws {
            if !writes.isEmpty { _ = try store.commitAll(writes) }
            writes.removeAll(keepingCapacity: true)
        }
        func dispense(_ k: Int, at: Moment, returned: Bool) {
            let patient = patients[k % patients.count]
            let unit = stock(1, at: at)[0]
            let id = ReleaseID("R-H\(k)-\(returned ? "r" : "o")")
            let plan = ReleasePlan(at: at, patient: patient, identityMethod: "card+pin", prescriptionID: "RX-\(patient.rawValue)",
                                   prescriptionVersion: 1, prescriber: Self.keyID, drug: .diacetylmorphine, route: .injectable,
                                   doseMg: 200, unitStrengthMg: 200, unitCount: 1, residueMg: 0, staff: nurse, witness: nurse,
                                   closeOut: closeOut)
            let t1 = at.advanced(byMillis: 20_000)
            let issued = IssuedUnit(serial: unit.serial, release: id, patient: patient, drug: .diacetylmorphine, route: .injectable,
                                    strengthMg: 200, rule: closeOut.rule, issuedAt: t1,
                                    deadline: t1.advanced(byMillis: Int64(closeOut.deadlineMinutes) * 60_000))
            writes.append(.stockReceived([unit], by: pharmacist, witness: nurse, at: at))
            writes.append(.releaseIntent(id, plan))
            writes.append(.issue(issued))
            writes.append(.releaseCompleted(id, patient: patient, unitsIssued: 1, unitsExpected: 1, outcome: "complete", at: at.advanced(byMillis: 40_000)))
            if returned { writes.append(.unitReturned(unit.serial, release: id, patient: patient, at: at.advanced(byMillis: 600_000))) }
        }
        for k in 0..<dispenses {
            let wall = now.wallMillis - span + Int64(k) * step - 3_600_000 - Int64(endingDaysAgo) * 86_400_000
            dispense(k, at: Moment(wallMillis: wall, bootMillis: wall - 1_000_000_000_000, bootID: "bench-history-boot"), returned: true)
            if writes.count >= batch { try flush() }
        }
        try flush()
        for k in 0..<open {
            dispense(dispenses + k, at: now.advanced(byMillis: -Int64(open - k) * 60_000), returned: false)
        }
        try flush()
        // The journal already has all of this (as a year-old clinic's would): no replay at start.
        try store.markMirrored(upTo: try store.chainHead().lastSeq)
    }
}
