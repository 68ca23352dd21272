import DoseCabCore
import DoseCabDaemon
import DoseCabHardware
import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SimulatedLines with a timestamp of the moment the lock line is driven active.
final class RecordingLines: CabinetLines {
    let sim: SimulatedLines
    let lockOnAt = Mutex<UInt64?>(nil)
    init(_ sim: SimulatedLines) { self.sim = sim }
    func set(_ role: LineRole, active: Bool) throws(LineError) {
        try sim.set(role, active: active)
        if role == .lock && active {
            let t = nowNanos()
            lockOnAt.withLock { $0 = t }
        }
    }
    func read(_ role: LineRole) throws(LineError) -> Bool { try sim.read(role) }
    var events: AsyncStream<LineInput> { sim.events }
    func requestQuiet() { sim.requestQuiet() }
    func makeSafe() { sim.makeSafe() }
    func close() { sim.close() }
}

/// The daemon's own actor on simulated lines, with the real store, the real journal writer (to
/// /dev/null) and the daemon's journal log handler, as `Daemon.run` wires them.
struct DriverRig {
    let clinic: Clinic
    let sim = SimulatedLines()
    let lines: RecordingLines
    let journal: JournalWriter
    let driver: CabinetDriver
    let inputs: Task<Void, Never>

    init(clinic: Clinic) async throws {
        self.clinic = clinic
        // The setup's records (enrolments, prescriptions) count as already in the journal, as a
        // running clinic's would. Otherwise the driver starts behind the journal, replays only
        // 256 records at start (the daemon's main loop, absent here, replays the rest on its
        // ticks) and refuses every release with "journal queue full" once setup wrote more.
        try clinic.store.markMirrored(upTo: try clinic.store.chainHead().lastSeq)
        lines = RecordingLines(sim)
        let devnull = open("/dev/null", O_WRONLY)
        let journal = JournalWriter(sink: .fileDescriptor(devnull), limits: JournalWriter.Limits())
        self.journal = journal
        var h = JournalLogHandler(label: "bench", writer: journal)
        h.logLevel = .info
        let logger = Logger(label: "bench", factory: { _ in h })
        driver = try CabinetDriver(config: clinic.config, store: clinic.store, journal: journal, lines: lines, clock: clinic.clock,
                                   pins: clinic.pins, logger: logger, simulate: true, version: "bench", pinMap: sim.pinMap)
        _ = try await driver.start()
        let d = driver
        inputs = Task { await d.runInputs() }
    }

    func now() -> Moment { clinic.clock.now() }

    /// Nurse badge + PIN, patient card + PIN, witness types "1" (the "#" that ends it is played
    /// as a Wiegand frame by the caller).
    func dialogue(_ patient: CardID) async {
        await driver.handle(.card(Clinic.nurse, at: now()))
        await driver.handle(.keys("1234#", at: now()))
        await driver.handle(.card(patient, at: now()))
        await driver.handle(.keys("1111#", at: now()))
        await driver.handle(.keys("1", at: now()))
    }

    func waitUntil(timeoutMillis: Int = 2000, _ condition: () async -> Bool) async -> Bool {
        let deadline = nowNanos() + UInt64(timeoutMillis) * 1_000_000
        while nowNanos() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .microseconds(200))
        }
        return await condition()
    }
}

// MARK: 1. Card-to-unlock

func benchLatency(_ report: Report, releases: Int) async throws {
    print("1. card-to-unlock latency (\(releases) releases)"); fflush(nil)
    let dir = tempDir("latency")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let clinic = try Clinic(dir: dir)
    let warmup = 20
    let patients = try clinic.enroll(prefix: "L", facility: 30, count: releases + warmup)
    let rig = try await DriverRig(clinic: clinic)
    let hash = WiegandDecoder.encodeKey("#")!
    let boltDebounce = rig.sim.pinMap.lines[.bolt]?.debounceMillis ?? 0
    var samples: [Double] = []
    var failures = 0, lockdowns = 0
    let probe = FsyncProbe(dir: dir)
    for (i, p) in patients.enumerated() {
        await rig.dialogue(p.card)
        rig.lines.lockOnAt.withLock { $0 = nil }
        // The "#" frame, laid out so its last edge is now: 4 bits, 2 ms apart, 50 µs pulses.
        let start = nowNanos() - UInt64(hash.count - 1) * 2_000_000 - 50_000
        let lastEdge = try rig.sim.playWiegand(reader: .counter, bits: hash, startNanos: start)
        let ok = await rig.waitUntil { rig.lines.lockOnAt.withLock { $0 } != nil }
        if ok, let on = rig.lines.lockOnAt.withLock({ $0 }) {
            if i >= warmup { samples.append(ms(on - lastEdge)) }
        } else {
            failures += 1
            if failures <= 3 { print("   no unlock for \(p.id): \(await rig.driver.feedback.suffix(3))"); fflush(nil) }
        }
        // A lockdown (an alarm on a loaded machine: see the bolt below) is reported and cleared,
        // as a technician would, so one alarm does not void the rest of the run.
        if let reason = await rig.driver.snapshot.lockdown {
            lockdowns += 1
            print("   lockdown after release \(i): \(reason)"); fflush(nil)
            await rig.driver.handle(.lockdown(on: false, reason: "bench", by: "bench", at: rig.now()))
        }
        // Reset: the unlock window lapses unused (nothing issued, stock untouched); let the
        // bolt's debounced edges settle so they do not overlap the next measurement.
        // Then let the bolt's debounce interval pass twice, so the driver has settled whatever
        // the bolt did (a release that lapses within the debounce interval is a glitch the
        // debouncer swallows): otherwise the next `advance` can fire the bolt-confirm timer
        // while a disengaged bolt is still being debounced, which is a lock fault (lockdown).
        await rig.driver.advance(millis: Int64(clinic.config.policy.unlockWindowSeconds) * 1000 + 1000)
        _ = await rig.waitUntil { await !rig.driver.snapshot.lockEnergised && rig.sim.output(.bolt) }
        try? await Task.sleep(for: .milliseconds(Int64(2 * boltDebounce + 10)))
        if i >= warmup { probe.sample() }  // the physical floor, under the same load as this release
        _ = await rig.waitUntil { await rig.driver.snapshot.boltEngaged }
    }
    let fs = Summary(probe.samples)
    rig.inputs.cancel()
    _ = rig.journal.shutdown(timeout: .seconds(2))
    let s = Summary(samples)
    let gap = Double(clinic.config.wiegandFrameGapMillis)
    report.row("1 unlock", "last edge → lock, p50/p99/max (ms, n=\(s.count))", "\(fmt(s.p50)) / \(fmt(s.p99)) / \(fmt(s.max))")
    report.row("1 unlock", "frame-end timeout (ms)", fmt(gap, 0))
    report.row("1 unlock", "p50 minus frame gap (ms)", fmt(s.p50 - gap))
    report.row("1 unlock", "bare 4 KiB write+fsync between releases, p50/p99 (ms, n=\(fs.count))", "\(fmt(fs.p50, 3)) / \(fmt(fs.p99, 3))")
    report.row("1 unlock", "(p50 − gap) / fsync p50", fmt((s.p50 - gap) / fs.p50, 1) + "x")
    report.row("1 unlock", "p50 / frame gap", fmt(s.p50 / gap, 2) + "x")
    if failures > 0 { report.row("1 unlock", "releases that did not unlock", "\(failures)") }
    if lockdowns > 0 { report.row("1 unlock", "lockdowns raised (and cleared) during the run", "\(lockdowns)") }
    report.set("latency", ["ms": s.json, "frameGapMs": gap, "fsync4kMs": fs.json, "failures": failures, "lockdowns": lockdowns,
                           "ratioP50MinusGapToFsync": (s.p50 - gap) / fs.p50, "ratioP50ToGap": s.p50 / gap])
}

// MARK: 2. Decision + commit vs history

func benchDecision(_ report: Report, sizes: [Int], iterations: Int) throws {
    var results: [Int: (decide: Summary, commit: Summary, total: Summary)] = [:]
    for rows in sizes {
        print("2. decision + commit with \(rows) history records"); fflush(nil)
        let dir = tempDir("decision-\(rows)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clinic = try Clinic(dir: dir)
        let patients = try clinic.enroll(prefix: "H", facility: 40, count: 200)
        let t0 = nowNanos()
        // About three dispenses per patient per clinic day, so every patient was dosed yesterday.
        let days = min(365, max(1, rows / 5 / (patients.count * 3)))
        try clinic.history(records: rows, days: days, patients: patients.map(\.id), open: 0, endingDaysAgo: 1)
        let fill = Double(nowNanos() - t0) / 1e9
        let total = try clinic.store.chainHead().lastSeq
        print("   filled \(rows) records in \(fmt(fill, 1)) s (chain has \(total))"); fflush(nil)
        let store = clinic.store, policy = clinic.config.policy
        var d: [Double] = [], c: [Double] = [], t: [Double] = []
        for i in 0..<(iterations + 10) {
            let p = patients[i % patients.count].id
            let a = nowNanos()
            let now = clinic.clock.now()
            // What CabinetDriver.decide builds, in the same order, then DispensePolicy.decide.
            let context = DispenseContext(
                now: now, policy: policy, prescriptions: try store.activePrescriptions(for: p),
                history: try store.patientHistory(p, now: now, policy: policy), stock: try store.stockLevels(),
                lockdown: false, clockSynchronised: true, newestLedgerWallMillis: try store.newestLedgerWallMillis(),
                journalHealthy: true, storeHealthy: true)
            let request = DispenseRequest(patient: p, identity: IdentityCheck(cardPresented: true, pinVerified: true),
                                          witness: StaffID("S-01"), notIntoxicatedAttested: true)
            let decision = DispensePolicy.decide(request, context)
            let b = nowNanos()
            guard case .release(let plan) = decision else { fatalError("refused: \(decision.refusals)") }
            let id = ReleaseID("R-D\(i)")
            _ = try store.commit(.releaseIntent(id, plan))
            let e = nowNanos()
            // Lapsed unused: a release with no unit issued does not count in the history.
            _ = try store.commit(.releaseCompleted(id, patient: p, unitsIssued: 0, unitsExpected: plan.unitCount,
                                                   outcome: "unlock window expired, door not opened", at: clinic.clock.now()))
            if i >= 10 { d.append(ms(b - a)); c.append(ms(e - b)); t.append(ms(e - a)) }
        }
        results[rows] = (Summary(d), Summary(c), Summary(t))
        report.row("2 decide", "\(rows) rows: decision p50 / commit p50 / total p50, p99 (ms)",
                   "\(fmt(Summary(d).p50, 3)) / \(fmt(Summary(c).p50, 3)) / \(fmt(Summary(t).p50, 3)), \(fmt(Summary(t).p99, 3))")
    }
    var json: [String: Any] = [:]
    for (rows, r) in results { json["\(rows)"] = ["decideMs": r.decide.json, "commitMs": r.commit.json, "totalMs": r.total.json] }
    if let lo = sizes.first, let hi = sizes.last, lo != hi, let a = results[lo], let b = results[hi] {
        let ratio = b.total.p50 / a.total.p50, dratio = b.decide.p50 / a.decide.p50
        report.row("2 decide", "ratio \(hi)/\(lo): total p50 (decision alone)", "\(fmt(ratio)) (\(fmt(dratio)))")
        json["ratioTotalP50"] = ratio
        json["ratioDecisionP50"] = dratio
    }
    report.set("decision", json)
}

// MARK: 5. Memory after a clinic day

func benchMemory(_ report: Report, patientsCount: Int, sessions: Int) async throws {
    print("5. memory: \(patientsCount) patients x \(sessions) sessions"); fflush(nil)
    let dir = tempDir("memory")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let clinic = try Clinic(dir: dir)
    let patients = try clinic.enroll(prefix: "M", facility: 50, count: patientsCount)
    var units = clinic.stock(patientsCount * sessions + 10, at: clinic.clock.now())
    _ = try clinic.store.commit(.stockReceived(units, by: StaffID("S-03"), witness: StaffID("S-01"), at: clinic.clock.now()))
    let rig = try await DriverRig(clinic: clinic)
    let me = getpid()
    let before = Proc.status(me, "VmRSS") ?? 0
    // Reset the peak so it covers the day, not the setup.
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    var done = 0, problems = 0
    let t0 = nowNanos()
    for round in 0..<sessions {
        if round > 0 { await rig.driver.advance(millis: 8 * 3_600_000) }  // next dosing window: each observation has ended by itself
        for p in patients {
            await rig.dialogue(p.card)
            await rig.driver.handle(.keys("#", at: rig.now()))
            guard await rig.driver.snapshot.lockEnergised else {
                problems += 1
                if problems <= 3 { print("   refused \(p.id): \(await rig.driver.feedback.suffix(2))"); fflush(nil) }
                continue
            }
            try rig.sim.drive(.door, active: false)  // door opens (debounced like the real line)
            _ = await rig.waitUntil { await rig.driver.snapshot.doorOpen }
            let unit = units.removeLast()
            await rig.driver.handle(.issueScan(unit.serial, stock: unit, at: rig.now()))
            try rig.sim.drive(.door, active: true)   // closes; the bolt follows the lock
            _ = await rig.waitUntil { let c = await rig.driver.snapshot; return !c.doorOpen && c.release == nil }
            await rig.driver.handle(.returned(unit.serial, at: rig.now()))
            done += 1
        }
    }
    let seconds = Double(nowNanos() - t0) / 1e9
    let peak = Proc.status(me, "VmHWM") ?? 0
    let after = Proc.status(me, "VmRSS") ?? 0
    try? await Task.sleep(for: .seconds(3))
    let steady = Proc.status(me, "VmRSS") ?? 0
    let open = await rig.driver.snapshot.ledger.openUnits.count
    rig.inputs.cancel()
    _ = rig.journal.shutdown(timeout: .seconds(2))
    report.row("5 memory", "sessions completed (refused) in s", "\(done) (\(problems)) in \(fmt(seconds, 1)) s; units still open: \(open)")
    report.row("5 memory", "RSS before day / peak during / after / steady +3 s (MiB)",
               "\(fmt(Double(before) / 1024, 1)) / \(fmt(Double(peak) / 1024, 1)) / \(fmt(Double(after) / 1024, 1)) / \(fmt(Double(steady) / 1024, 1))")
    report.set("memory", ["sessions": done, "refused": problems, "rssBeforeKiB": before, "peakKiB": peak, "afterKiB": after,
                          "steadyKiB": steady, "seconds": seconds])
}

// MARK: 6. Wiegand decoding

func benchWiegand(_ report: Report, frames: Int, only: Int? = nil) {
    print("6. Wiegand decoding (\(frames) frames per format)"); fflush(nil)
    let all: [(String, [Bool], CardFormat)] = [
        ("26-bit H10301", WiegandDecoder.encode(CardID(format: .h10301, facility: 123, number: 45678)), .h10304),
        ("34-bit H10306", WiegandDecoder.encode(CardID(format: .h10306, facility: 1234, number: 5678)), .h10304),
        ("35-bit C1000", WiegandDecoder.encode(CardID(format: .c1000, facility: 1234, number: 567890)), .h10304),
        ("37-bit H10302", WiegandDecoder.encode(CardID(format: .h10302, facility: 0, number: 12_345_678_901)), .h10302),
        ("37-bit H10304", WiegandDecoder.encode(CardID(format: .h10304, facility: 1234, number: 123_456)), .h10304),
        ("keypad 4-bit", WiegandDecoder.encodeKey("5", width: .four)!, .h10304),
        ("keypad 8-bit", WiegandDecoder.encodeKey("5", width: .eight)!, .h10304),
    ]
    // `--wiegand-case N` (1-based) runs one format alone: for callgrind, whose instruction
    // counts of two runs with different `--frames` give instructions per frame.
    let cases = only.map { all.indices.contains($0 - 1) ? [all[$0 - 1]] : [] } ?? all
    var json: [String: Any] = [:]
    for (name, bits, fmt37) in cases {
        var config = WiegandDecoder.Configuration()
        config.thirtySevenBit = fmt37
        var decoder = WiegandDecoder(reader: .counter, configuration: config)
        // Relative edges of one frame: D0/D1 falls at 2 ms per bit, rises 50 µs later.
        var rel: [(LineRole, Bool, UInt64)] = []
        for (i, b) in bits.enumerated() {
            let role: LineRole = b ? .counterD1 : .counterD0
            rel.append((role, false, UInt64(i) * 2_000_000))
            rel.append((role, true, UInt64(i) * 2_000_000 + 50_000))
        }
        let period = UInt64(bits.count) * 2_000_000 + 30_000_000
        var good = 0, other = 0
        func run(_ n: Int, base: UInt64) -> UInt64 {
            var t = base
            for _ in 0..<n {
                for (role, level, dt) in rel {
                    for out in decoder.feed(LineEvent(role: role, level: level, timestampNanos: t + dt)) {
                        if case .rejected = out { other += 1 } else { good += 1 }
                    }
                }
                t += period
            }
            return t
        }
        var base = run(1000, base: 1_000_000_000)  // warm-up
        good = 0; other = 0
        let a0 = allocations()
        let t0 = nowNanos()
        base = run(frames, base: base)
        let t1 = nowNanos()
        let a1 = allocations()
        for out in decoder.frameEnd(now: base + 1_000_000_000) { if case .rejected = out { other += 1 } else { good += 1 } }
        let perSecond = Double(frames) / (Double(t1 - t0) / 1e9)
        let allocs = Double(a1 - a0) / Double(frames)
        report.row("6 wiegand", "\(name): frames/s/core, allocations/frame", "\(fmt(perSecond / 1e6, 2)) M/s, \(fmt(allocs, 2))")
        // The warm-up's last frame ends on the first timed edge; the last timed one at frameEnd.
        if other > 0 || good != frames + 1 { report.row("6 wiegand", "\(name): decoded / rejected", "\(good) / \(other)") }
        json[name] = ["framesPerSecond": perSecond, "allocationsPerFrame": allocs, "decoded": good, "rejected": other,
                      "edgesPerFrame": rel.count]
    }
    report.set("wiegand", json)
}

// MARK: 7. Audit verification

func benchAudit(_ report: Report, store: Store, runs: Int) throws {
    print("7. audit verify"); fflush(nil)
    var samples: [Double] = []
    var records = 0
    for _ in 0..<runs {
        let t0 = nowNanos()
        let v = try store.verifyAudit()
        samples.append(Double(nowNanos() - t0) / 1e9)
        if case .intact(let n, _) = v { records = n } else { print("   NOT INTACT: \(v)") }
    }
    let s = Summary(samples)
    report.row("7 audit", "verify \(records) records: median / max (s)", "\(fmt(s.p50, 2)) / \(fmt(s.max, 2)) (\(fmt(Double(records) / s.p50 / 1000, 0)) k records/s)")
    report.set("audit", ["records": records, "seconds": s.json])
}
