import DoseCabCore
@testable import DoseCabStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The store in a real child process, killed with SIGKILL after every step of a release and a
/// return, and at random points. The child is this test binary itself, re-run with
/// `DOSECAB_CRASH_CHILD` set so that only `CrashChild.run` acts (see `Child`).
@Suite struct CrashTests {
    /// The script both processes agree on: per release, intent, two issue scans, completion and
    /// two returns, at fixed times (so every audit event is predictable).
    static func script(_ f: Fixture, releases: Int) -> [LedgerWrite] {
        var writes: [LedgerWrite] = []
        for i in 0..<releases {
            let r = ReleaseID("R-\(i + 1)")
            let t = f.at(minutes: Int64(10 + 6 * i))
            let a = f.ampoule(2 * i + 1), b = f.ampoule(2 * i + 2)
            writes += [
                .releaseIntent(r, f.plan(at: t)),
                .issue(f.unit(a, release: r, at: t.advanced(byMillis: 60_000))),
                .issue(f.unit(b, release: r, at: t.advanced(byMillis: 60_000))),
                .releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "door closed, bolt engaged",
                                  at: t.advanced(byMillis: 120_000)),
                .unitReturned(a, release: r, patient: f.patient, at: t.advanced(byMillis: 180_000)),
                .unitReturned(b, release: r, patient: f.patient, at: t.advanced(byMillis: 240_000)),
            ]
        }
        return writes
    }

    @Test func killedAfterEveryStepOfAReleaseAndItsReturns() throws {
        let steps = Self.script(try Fixture(), releases: 1).count
        for killAfter in 0...steps {
            let f = try Fixture()
            try f.seed()
            let setup = try f.store.chainHead()
            let child = try Child(directory: f.directory, mode: "pause", releases: 1)
            defer { child.kill() }
            for step in 0...killAfter {
                try #require(child.waitFor(step == 0 ? "READY" : "STEP \(step)"), "child did not reach step \(step): \(child.lines)")
                if step < killAfter { child.proceed() }
            }
            child.kill()
            try verifyAfterCrash(f, setup: setup, releases: 1, committedAtLeast: killAfter, committedAtMost: killAfter)
        }
    }

    @Test func killedAtRandomPoints() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10 {
            let f = try Fixture()
            try f.seed()
            let setup = try f.store.chainHead()
            let child = try Child(directory: f.directory, mode: "run", releases: 4)
            defer { child.kill() }
            try #require(child.waitFor("READY"), "child did not start: \(child.lines)")
            usleep(UInt32.random(in: 0..<150_000, using: &rng))
            child.kill()
            let printed = child.lastStep
            try verifyAfterCrash(f, setup: setup, releases: 4, committedAtLeast: printed, committedAtMost: printed + 1)
        }
    }

    /// After reopening and recovery: the chain verifies, what was committed is there and nothing
    /// else, the ledger balances, and an interrupted release keeps its units open.
    func verifyAfterCrash(_ f: Fixture, setup: AuditChain, releases: Int, committedAtLeast: Int, committedAtMost: Int,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        try f.reopen()
        let now = Moment(wallMillis: f.at(minutes: 300).wallMillis, bootMillis: 10_000, bootID: "boot-b")
        let report = try f.store.recover(now: now)
        let verification = try f.store.verifyAudit()
        #expect(verification.description.hasPrefix("audit chain intact"), "\(verification)", sourceLocation: sourceLocation)

        // The records after the seed are exactly a prefix of the script, then recovery's.
        let script = Self.script(f, releases: releases)
        let records = try f.store.auditRecords(fromSeq: setup.lastSeq + 1)
        let committed = records.count - report.records.count
        #expect((committedAtLeast...committedAtMost).contains(committed),
                "\(committed) steps committed, child printed \(committedAtLeast)", sourceLocation: sourceLocation)
        for (record, write) in zip(records.prefix(committed), script) {
            #expect(record.event == write.auditEvent, sourceLocation: sourceLocation)
        }
        #expect(Array(records.suffix(report.records.count)) == report.records, sourceLocation: sourceLocation)

        // The model: the same prefix booked on the core's ledger.
        var model = UnitLedger(calendar: f.calendar)
        var states: [ReleaseID: ReleaseState] = [:]
        for write in script.prefix(committed) {
            switch write {
            case .releaseIntent(let r, _): states[r] = .intent
            case .releaseCompleted(let r, _, _, _, _, _): states[r] = .completed
            case .issue(let u): #expect(model.issue(u) == nil)
            case .unitReturned(let s, _, _, let at): _ = model.bookReturn(s, at: at)
            default: break
            }
        }
        let inFlight = states.filter { $0.value == .intent }.map(\.key).sorted()
        #expect(report.interrupted.map(\.id) == inFlight, sourceLocation: sourceLocation)
        for (r, state) in states {
            #expect(try f.store.release(id: r)?.state == (state == .intent ? .interrupted : state), sourceLocation: sourceLocation)
        }
        #expect(Set(report.openUnits.map(\.serial)) == Set(model.openUnits.map(\.serial)), sourceLocation: sourceLocation)
        #expect(Set(try f.store.openUnits().map(\.serial)) == Set(model.openUnits.map(\.serial)), sourceLocation: sourceLocation)
        let ledger = try f.store.unitLedger(now: now)
        #expect(ledger.isConsistent, sourceLocation: sourceLocation)
        let line = try f.store.reconciliation(day: f.day)[.diacetylmorphine] ?? Reconciliation()
        #expect(line.balances, sourceLocation: sourceLocation)
        #expect(line == model.reconcile(day: f.day, drug: .diacetylmorphine), sourceLocation: sourceLocation)
        let issued = model.units.count
        #expect(try f.store.stockLevels().first { $0.drug == .diacetylmorphine }?.count == 10 - issued, sourceLocation: sourceLocation)
        // Recovery is done once: a second start finds nothing in flight.
        #expect(try f.store.recover(now: now.advanced(byMillis: 1000)).interrupted.isEmpty, sourceLocation: sourceLocation)
    }

    /// A state directory mounted read-only: opening fails with a clear error and no release is
    /// written. Needs root (a private mount namespace), which this machine and CI have.
    @Test func aReadOnlyStateDirectoryGivesAClearErrorAndNoRelease() throws {
        let f = try Fixture()
        try f.seed()
        let child = try Child(directory: f.directory, mode: "release", releases: 1, readOnlyMount: true)
        defer { child.kill() }
        child.waitForExit()
        let error = child.lines.first { $0.hasPrefix("ERROR ") }
        #expect(error?.hasPrefix("ERROR store: cannot open \(f.directory)/dosecab.sqlite:") == true, "child said: \(child.lines)")
        #expect(error?.contains("(SQLITE_READONLY)") == true, "child said: \(child.lines)")
        #expect(!child.lines.contains("COMMITTED"))
        try f.reopen()
        #expect(try f.store.release(id: ReleaseID("R-ro")) == nil)
    }
}

/// The child half: runs only in the re-executed test binary.
@Suite struct CrashChild {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["DOSECAB_CRASH_CHILD"] != nil, "runs only as the crash tests' child process"))
    func run() throws {
        let env = Self.environment
        let directory = env["DOSECAB_CRASH_CHILD"]!
        let mode = env["DOSECAB_CRASH_MODE"] ?? "pause"
        let releases = Int(env["DOSECAB_CRASH_RELEASES"] ?? "1") ?? 1
        func say(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        }
        let f: Fixture
        do { f = try Fixture(directory: directory) } catch {
            say("ERROR \(error)")
            return
        }
        if mode == "release" {
            do {
                try f.store.commit(.releaseIntent(ReleaseID("R-ro"), f.plan(at: f.at(minutes: 1))))
                say("COMMITTED")
            } catch { say("ERROR \(error)") }
            return
        }
        say("READY")
        if mode == "pause" { _ = readLine() }
        for (i, write) in CrashTests.script(f, releases: releases).enumerated() {
            try f.store.commit(write)
            say("STEP \(i + 1)")
            if mode == "pause" && readLine() == nil { return }
        }
        say("DONE")
    }
}

/// A child process running `CrashChild.run`, with its stdout read line by line.
final class Child {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    private(set) var lines: [String] = []
    private var pending = ""
    private var exited = false

    init(directory: String, mode: String, releases: Int, readOnlyMount: Bool = false) throws {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let testArguments = ["--testing-library", "swift-testing", "--filter", "CrashChild"]
        if readOnlyMount {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-m", "sh", "-c", "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"", directory, exe] + testArguments
        } else {
            process.executableURL = URL(fileURLWithPath: exe)
            process.arguments = testArguments
        }
        var env = ProcessInfo.processInfo.environment
        env["DOSECAB_CRASH_CHILD"] = directory
        env["DOSECAB_CRASH_MODE"] = mode
        env["DOSECAB_CRASH_RELEASES"] = String(releases)
        env["NO_COLOR"] = "1"
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A hung child must not hang the suite.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { _ = Glibc.kill(pid, SIGKILL) }
    }

    /// Reads until a line equal to `line`, or end of output.
    func waitFor(_ line: String) -> Bool {
        while true {
            if lines.contains(line) { return true }
            if !readMore() { return false }
        }
    }

    /// Lets a paused child take its next step.
    func proceed() { input.fileHandleForWriting.write(Data("\n".utf8)) }

    /// SIGKILL, then collect what it printed before dying.
    func kill() {
        guard !exited else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        waitForExit()
    }

    func waitForExit() {
        guard !exited else { return }
        while readMore() {}
        process.waitUntilExit()
        exited = true
    }

    /// The highest "STEP n" the child printed: steps it had committed.
    var lastStep: Int {
        lines.compactMap { $0.hasPrefix("STEP ") ? Int($0.dropFirst(5)) : nil }.max() ?? 0
    }

    private func readMore() -> Bool {
        let data = output.fileHandleForReading.availableData
        if data.isEmpty { return false }
        pending += String(decoding: data, as: UTF8.self)
        while let newline = pending.firstIndex(of: "\n") {
            lines.append(String(pending[..<newline]))
            pending = String(pending[pending.index(after: newline)...])
        }
        return true
    }
}
