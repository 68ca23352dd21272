import DoseCabCore
import DoseCabDaemon
import DoseCabStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// dosecab-bench [--json PATH] [--daemon PATH] [--only 1,2,...] [--releases N] [--large-rows N]
//               [--year-records N] [--idle-seconds N] [--frames N] [--memory-patients N]
//               [--executor daemon|dispatch] [--wiegand-case N]
// In-process figures (1, 2, 5) run the driver on dosecabd's own executor, as the daemon does,
// unless `--executor dispatch` (Swift's default, for comparison).
let options: [String: String] = {
    var o: [String: String] = [:]
    var args = CommandLine.arguments.dropFirst()
    while let a = args.popFirst() {
        guard a.hasPrefix("--"), let v = args.popFirst() else { fatalError("usage: see Tests/Benchmarks/run.sh") }
        o[String(a.dropFirst(2))] = v
    }
    return o
}()
@MainActor func int(_ k: String, _ d: Int) -> Int { options[k].flatMap { Int($0) } ?? d }
if options["executor"] ?? "daemon" != "dispatch" { Daemon.installExecutor() }
let only = Set((options["only"] ?? "1,2,3,4,5,6,7").split(separator: ",").compactMap { Int($0) })
let jsonPath = options["json"] ?? NSTemporaryDirectory() + "bench-results.json"
let daemon = options["daemon"]
let report = Report()
let started = Date()

if only.contains(6) { benchWiegand(report, frames: int("frames", 200_000), only: options["wiegand-case"].flatMap { Int($0) }) }
if only.contains(1) { try await benchLatency(report, releases: int("releases", 1000)) }
if only.contains(2) { try await benchDecision(report, sizes: [1000, int("large-rows", 1_000_000)], iterations: int("decisions", 300)) }

if !only.isDisjoint(with: [3, 4, 7]) {
    // A year of history: ~200 000 audit records over 365 days for 200 patients, then 50 ampoules
    // issued today and not yet returned; and beside it a store with the demo clinic only. The
    // history is dispensed through the counter on the simulated clock, from today on: a daemon
    // started on it later (figure 3) finds records up to a year ahead of its own clock.
    let records = int("year-records", 200_000)
    print("preparing a year store (\(records) records + 50 open ampoules)"); fflush(nil)
    let yearDir = tempDir("year")
    let emptyDir = tempDir("empty")
    defer { try? FileManager.default.removeItem(atPath: yearDir); try? FileManager.default.removeItem(atPath: emptyDir) }
    do {
        let t0 = nowNanos()
        let year = try Clinic(dir: yearDir)
        let fill = try await DriverRig(clinic: year, quiet: true)
        let patients = try await fill.enrolPatients(prefix: "Y", facility: 60, count: 200)
        try await fill.history(records: records, days: 365, patients: patients, open: 50)
        await fill.stop()
        print("   built in \(fmt(Double(nowNanos() - t0) / 1e9, 1)) s; chain has \(try year.store.chainHead().lastSeq) records, \(try year.store.openUnits().count) units open")
        _ = try Clinic(dir: emptyDir)
        if only.contains(7) { try benchAudit(report, store: year.store, runs: 3) }
    }
    if let daemon {
        if only.contains(3) {
            benchStartup(report, binary: daemon, stores: [("demo clinic only", emptyDir), ("year: \(records / 1000)k records + 50 open", yearDir)],
                         runs: int("start-runs", 5))
            benchFirstStart(report, binary: daemon)
        }
        if only.contains(4) { benchIdle(report, binary: daemon, stateDir: emptyDir, seconds: int("idle-seconds", 60)) }
    } else if !only.isDisjoint(with: [3, 4]) {
        print("(3 and 4 need --daemon PATH to dosecabd)")
    }
}
if only.contains(5) { try await benchMemory(report, patientsCount: int("memory-patients", 200), sessions: 3) }

var uts = utsname()
uname(&uts)
let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
let cpu = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n")
    .first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "?"
report.set("machine", ["arch": machine, "cpu": cpu, "cores": ProcessInfo.processInfo.activeProcessorCount,
                       "memoryMiB": ProcessInfo.processInfo.physicalMemory / 1_048_576])
report.set("date", ISO8601DateFormatter().string(from: started))
report.set("options", options)
report.set("executor", options["executor"] ?? "daemon")
print("\n" + report.table())
let data = try JSONSerialization.data(withJSONObject: report.json, options: [.prettyPrinted, .sortedKeys])
try data.write(to: URL(fileURLWithPath: jsonPath))
print("JSON: \(jsonPath)")
