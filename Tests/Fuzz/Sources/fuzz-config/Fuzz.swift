// Fuzz target: the daemon's configuration (`DaemonConfig.apply(toml:file:)` and
// `DaemonConfig.load(path:)` with `dosecab.toml.d/*.toml` drop-ins).
// Input: up to four TOML documents separated by NUL bytes: the main file, then drop-ins
// (written as 00.toml, 10.toml, …, so they apply in that order); byte 0 picks the base
// (defaults or `--simulate`'s).
// Properties:
//   - `load` from files equals applying the documents in order in memory, and fails exactly
//     when one of them is refused or the result breaks a policy rule;
//   - a refused document changes nothing (the configuration it was applied to is unchanged);
//   - applying a document twice is the same as once;
//   - an accepted configuration satisfies every documented range and the policy's own
//     validation (no empty path or group, dosing windows in the day and not overlapping);
//   - a refusal is one line naming the file;
//   - a document `TOMLGuard` refuses (text that would abort toml++, finding F1) is refused as a
//     syntax error at the guard's line and column, and toml++ only ever sees the rest: the
//     target runs the daemon's own in-process path, so a gap in the guard is a crash here.
import DoseCabCore
import DoseCabDaemon
import DoseCabHardware
import Foundation
import FuzzSupport

let directory: String = {
    var template = Array("/tmp/dosecab-fuzz-config-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    return String(cString: p)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let base = first & 1 == 0 ? DaemonConfig() : DaemonConfig.simulated(stateDirectory: "/tmp/sim")
    let docs = bytes.dropFirst().split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let main = directory + "/dosecab.toml"
    let dropins = main + ".d"

    // In memory, document by document.
    var config = base
    var refused: ConfigError?
    for (i, text) in docs.enumerated() {
        let file = i == 0 ? main : dropins + "/\(i)0.toml"
        let before = config
        do {
            try config.apply(toml: text, file: file)
        } catch {
            check(config == before, "a refused document changes nothing", "\(error)")
            config = before
            check(error.file == file, "a refusal names its file")
            check(!error.description.contains("\n") && !error.description.contains("\r"), "a refusal is one line", error.description)
            if let problem = TOMLGuard.check(text) {
                check(error.key == nil && error.problem.hasPrefix("TOML syntax error at line \(problem.line), column \(problem.column): "),
                      "a text the guard refuses is that syntax error", "\(error) vs \(problem)")
            }
            refused = error
            break
        }
        check(TOMLGuard.check(text) == nil, "apply accepts only what the guard accepts")
        var twice = config
        do { try twice.apply(toml: text, file: file) } catch {
            violated("a document accepted once is accepted again", "\(error)")
        }
        check(twice == config, "applying a document twice is the same as once")
    }
    let policyProblems = config.policy.validationErrors()

    // From files, through load: always when every document was accepted (the case that
    // matters), else for one refusal in eight (file I/O is most of this target's cost).
    if refused != nil, bytes.reduce(UInt8(0), &+) & 7 != 0 { return 0 }
    try? FileManager.default.removeItem(atPath: dropins)
    try? FileManager.default.createDirectory(atPath: dropins, withIntermediateDirectories: true)
    for (i, text) in docs.enumerated() {
        let file = i == 0 ? main : dropins + "/\(i)0.toml"
        FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
    }
    let loaded: DaemonConfig
    do {
        loaded = try DaemonConfig.load(path: main, base: base)
    } catch {
        check(refused != nil || !policyProblems.isEmpty, "load refuses only what apply or the policy refuses",
              "\(error)")
        if let refused { check(error == refused, "load reports the same refusal", "\(error) vs \(refused)") }
        return 0
    }
    check(refused == nil && policyProblems.isEmpty, "load accepts only what apply and the policy accept")
    check(loaded == config, "load equals applying the documents in order")

    // Documented ranges (docs/configuration.md) of what was accepted.
    for s in [loaded.stateDirectory, loaded.socketPath, loaded.pinMapPath, loaded.prescribersDirectory,
              loaded.readGroup, loaded.adminGroup] {
        check(!s.isEmpty, "no empty path or group")
    }
    check((5...200).contains(loaded.wiegandFrameGapMillis), "frame gap 5…200 ms")
    check((100...30_000).contains(loaded.returnWindowMillis), "return window 100…30000 ms")
    check((1...600).contains(loaded.journalMaxUnsentSeconds), "journal max-unsent 1…600 s")
    check((64...1_000_000).contains(loaded.journalCapacity), "journal capacity 64…1e6")
    let cal = loaded.policy.calendar
    check(([cal.baseOffsetMinutes] + cal.transitions.map(\.offsetMinutes)).allSatisfy { (-1440...1440).contains($0) }, "UTC offsets within a day")
    check(Route.allCases.allSatisfy { loaded.policy.routes[$0] != nil }, "every route has its row")
    let p = loaded.policy
    check(!p.windows.isEmpty, "at least one dosing window")
    let sorted = p.windows.sorted { $0.startMinute < $1.startMinute }
    for w in sorted { check(0 <= w.startMinute && w.startMinute < w.endMinute && w.endMinute <= 1440, "a window is inside the day") }
    for (a, b) in zip(sorted, sorted.dropFirst()) { check(a.endMinute <= b.startMinute, "windows do not overlap") }
    for (_, mg) in p.dailyCeilingMg { check(mg > 0, "ceilings are positive") }
    for (_, row) in p.routes { check(row.deadlineMinutes >= 1, "close-out deadlines ≥ 1 min") }
    check(p.missedDaysReauthorise >= 1 && p.missedDaysRetitrate >= p.missedDaysReauthorise, "missed-day rule")
    return 0
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
