import DoseCabControl
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

/// Lines for filling a store through the counter's events alone: the outputs keep what the
/// driver commands, the inputs read as at rest (door closed, bolt engaged), and no edge is ever
/// delivered; the fill feeds the door itself as `CabinetEvent`s. (SimulatedLines would queue a
/// bolt edge for every unlock that nobody reads.)
final class QuietLines: CabinetLines {
    let rest = SimulatedLines()
    let outputs = Mutex<[LineRole: Bool]>([:])
    let events: AsyncStream<LineInput>
    private let continuation: AsyncStream<LineInput>.Continuation
    init() { (events, continuation) = AsyncStream.makeStream(of: LineInput.self) }
    func set(_ role: LineRole, active: Bool) throws(LineError) { outputs.withLock { $0[role] = active } }
    func read(_ role: LineRole) throws(LineError) -> Bool {
        if let level = outputs.withLock({ $0[role] }) { return level }
        return try rest.read(role)
    }
    func requestQuiet() {}
    func makeSafe() { outputs.withLock { $0[.lock] = false } }
    func close() { continuation.finish() }
}

/// The daemon's own actor on simulated lines, with the real store, the real journal writer (to
/// /dev/null) and the daemon's journal log handler, as `Daemon.run` wires them; and its control
/// methods, called in process as the control server calls them (the caller is root).
struct DriverRig {
    let clinic: Clinic
    let sim = SimulatedLines()
    let lines: RecordingLines
    let journal: JournalWriter
    let driver: CabinetDriver
    let control: ControlMethods
    let inputs: Task<Void, Never>?

    /// `quiet`: a driver for filling the store through the counter's events (`history`), on
    /// `QuietLines`, without the input task.
    init(clinic: Clinic, quiet: Bool = false) async throws {
        self.clinic = clinic
        lines = RecordingLines(sim)
        let devnull = open("/dev/null", O_WRONLY)
        let journal = JournalWriter(sink: .fileDescriptor(devnull), limits: JournalWriter.Limits())
        self.journal = journal
        var h = JournalLogHandler(label: "bench", writer: journal)
        h.logLevel = .info
        let logger = Logger(label: "bench", factory: { _ in h })
        let driverLines: any CabinetLines = quiet ? QuietLines() : lines
        driver = try CabinetDriver(config: clinic.config, store: clinic.store, journal: journal, lines: driverLines, clock: clinic.clock,
                                   pins: clinic.pins, logger: logger, simulate: true, version: "bench", pinMap: sim.pinMap)
        control = ControlMethods(driver: driver, store: clinic.store, journal: journal, simLines: quiet ? nil : sim, pins: clinic.pins)
        _ = try await driver.start()
        let d = driver
        inputs = quiet ? nil : Task { await d.runInputs() }
        // Whatever the store holds from before (the seed, an earlier rig's fill) is replayed to
        // the journal and marked mirrored by the daemon itself, as its main loop would at its
        // ticks, so a release is not held back by a journal catching up.
        await catchUpJournal()
    }

    func now() -> Moment { clinic.clock.now() }

    /// Until the daemon has handed every record to the journal and marked it mirrored (what the
    /// main loop's ticks do in `dosecabd`).
    func catchUpJournal() async {
        for _ in 0..<10_000 {
            _ = journal.flush(timeout: .seconds(5))
            await driver.replayJournal()
            if await !driver.journalMirrorBehind, (try? clinic.store.mirrorCursor()) == (try? clinic.store.chainHead().lastSeq) { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() async {
        inputs?.cancel()
        await catchUpJournal()
        await driver.shutdown()
        _ = journal.shutdown(timeout: .seconds(2))
    }

    /// One control method, as the socket would call it; a failure stops the benchmark.
    @discardableResult
    func call(_ method: String, _ parameters: [String: JSONValue]) async -> ControlReply {
        let reply = await control.handle(ControlRequest(method: method, parameters: parameters),
                                         Caller(uid: 0, gid: 0, pid: getpid(), groups: [0], groupNames: []))
        if let error = reply.error { fatalError("\(method): \(error)") }
        return reply
    }

    /// Patients `P-<prefix>NNNNN` with card facility `facility`, number `1...count`, PIN 1111,
    /// enrolled by two staff (`enroll`), each with a heroin prescription (200 mg injectable,
    /// 3 sessions a day) signed by the demo prescriber and imported (`rx.import`), valid from
    /// yesterday for `validDays` (a fill's history runs forward on the simulated clock).
    func enrolPatients(prefix: String, facility: UInt32, count: Int, validDays: Int64 = 800) async throws -> [(id: PatientID, card: CardID)] {
        let cal = clinic.config.policy.calendar
        let today = cal.day(of: now())
        var out: [(PatientID, CardID)] = []
        var entries: [SignedPrescriptionEntry] = []
        for i in 1...count {
            let id = PatientID(String(format: "P-%@%05d", prefix, i))
            await call("enroll", ["kind": .string("patient"), "id": .string(id.rawValue), "facility": .number(Double(facility)),
                                  "card": .number(Double(i)), "new_pin": .string("1111"),
                                  "staff": .string("S-01"), "pin": .string("1234"), "witness_staff": .string("S-02"), "witness_pin": .string("2345")])
            let rx = Prescription(id: "RX-\(id.rawValue)", version: 1, patient: id, drug: .diacetylmorphine, route: .injectable,
                                  doseMg: 200, maxSessionsPerDay: 3, validFrom: cal.dateString(day: today - 1),
                                  validUntil: cal.dateString(day: today + validDays), prescriber: Clinic.keyID)
            entries.append(try SignedPrescriptionEntry.sign(.prescription(rx), keyID: Clinic.keyID, with: clinic.key))
            out.append((id, CardID(format: .h10301, facility: facility, number: UInt64(i))))
        }
        for chunk in stride(from: 0, to: entries.count, by: 500) {
            let bundle = try PrescriptionBundle.encode(Array(entries[chunk..<min(chunk + 500, entries.count)]))
            await call("rx.import", ["bundle": .string(String(decoding: bundle, as: UTF8.self))])
        }
        return out
    }

    /// `n` new units received by the pharmacist and a witness (`stock.receive`, 1000 a call).
    func receive(_ n: Int) async -> [StockUnit] {
        let units = clinic.stock(n)
        for chunk in stride(from: 0, to: units.count, by: 1000) {
            let part = units[chunk..<min(chunk + 1000, units.count)]
            await call("stock.receive", ["drug": .string("diacetylmorphine"), "route": .string("injectable"), "strength_mg": .number(200),
                                         "serials": .array(part.map { .string($0.serial.rawValue) }), "batch": .string("BENCH-1"),
                                         "expiry": .string("2099-12-31"), "staff": .string("S-03"), "pin": .string("3456"),
                                         "witness_staff": .string("S-01"), "witness_pin": .string("1234")])
        }
        return units
    }

    /// Nurse badge + PIN, patient card + PIN, witness types "1" (the "#" that ends it is played
    /// as a Wiegand frame by the caller).
    func dialogue(_ patient: CardID) async {
        await driver.handle(.card(Clinic.nurse, at: now()))
        await driver.handle(.keys("1234#", at: now()))
        await driver.handle(.card(patient, at: now()))
        await driver.handle(.keys("1111#", at: now()))
        await driver.handle(.keys("1", at: now()))
    }

    /// One dispense at the counter, as the daemon takes it (on a `quiet` rig): the dialogue, the
    /// door, the issue scan, the door closed, and the empty ampoule back through the chute unless
    /// `returned` is false. False when the release was refused.
    func dispense(_ patient: CardID, unit: StockUnit, returned: Bool) async -> Bool {
        await dialogue(patient)
        await driver.handle(.keys("#", at: now()))
        guard await driver.snapshot.release != nil else { return false }
        await driver.handle(.door(open: true, at: now()))
        await driver.handle(.issueScan(unit.serial, stock: unit, at: now()))
        await driver.handle(.door(open: false, at: now()))
        if returned { await driver.handle(.returned(unit.serial, at: now())) }
        return true
    }

    /// About `records` audit records of dispenses (four each: release intent, issue, completed,
    /// returned), through the counter on a `quiet` rig, spread over about `days` clinic days of
    /// the simulated clock (three 8-hour windows a day, each patient at most once a window, so
    /// every dispense is one the policy releases), round-robin over `patients`; then `open`
    /// dispenses in the current window whose unit is still out. The store's history ends now;
    /// the clinic's clock is then `days` days on from where it began.
    func history(records: Int, days: Int, patients: [(id: PatientID, card: CardID)], open: Int) async throws {
        let dispenses = max(0, records / 4)
        let perDay = min(3 * patients.count, max(1, (dispenses + max(1, days) - 1) / max(1, days)))
        let perWindow = max(1, (perDay + 2) / 3)
        // A thin history doses fewer patients, each at least every other day: a patient left
        // three days without a dose is refused until re-authorised (missed-dose rule).
        let patients = Array(patients.prefix(max(1, min(patients.count, 2 * perDay))))
        var units = await receive(dispenses + open)
        var k = 0, refused = 0
        while k < dispenses {
            for _ in 0..<perWindow where k < dispenses {
                if await !dispense(patients[k % patients.count].card, unit: units.removeLast(), returned: true) {
                    refused += 1
                    if refused <= 3 { print("   history: refused \(patients[k % patients.count].id): \(await driver.feedback.suffix(1))"); fflush(nil) }
                }
                k += 1
            }
            await driver.advance(millis: 8 * 3_600_000)  // the next dosing window
            await catchUpJournal()
        }
        for i in 0..<open {
            if await !dispense(patients[i % patients.count].card, unit: units.removeLast(), returned: false) { refused += 1 }
        }
        if refused > 0 { print("   history: \(refused) dispenses refused"); fflush(nil) }
        await catchUpJournal()
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
    let rig = try await DriverRig(clinic: clinic)
    let patients = try await rig.enrolPatients(prefix: "L", facility: 30, count: releases + warmup)
    await rig.catchUpJournal()
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
    await rig.stop()
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

func benchDecision(_ report: Report, sizes: [Int], iterations: Int) async throws {
    var results: [Int: (decide: Summary, commit: Summary, total: Summary)] = [:]
    for rows in sizes {
        print("2. decision + commit with \(rows) history records"); fflush(nil)
        let dir = tempDir("decision-\(rows)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clinic = try Clinic(dir: dir)
        let t0 = nowNanos()
        // The history through the counter: three windows a day, each patient once a window.
        let rig = try await DriverRig(clinic: clinic, quiet: true)
        let patients = try await rig.enrolPatients(prefix: "H", facility: 40, count: 200)
        let days = min(365, max(1, rows / 4 / (patients.count * 3)))
        try await rig.history(records: rows, days: days, patients: patients, open: 0)
        // A day on: every patient was dosed yesterday, nobody yet today.
        await rig.driver.advance(millis: 24 * 3_600_000)
        await rig.catchUpJournal()
        let fill = Double(nowNanos() - t0) / 1e9
        let total = try clinic.store.chainHead().lastSeq
        print("   filled \(rows) records in \(fmt(fill, 1)) s (chain has \(total))"); fflush(nil)
        let store = clinic.store, policy = clinic.config.policy
        let unlockWindow = Int64(policy.unlockWindowSeconds) * 1000
        var d: [Double] = [], c: [Double] = [], t: [Double] = []
        for i in 0..<(iterations + 10) {
            let p = patients[i % patients.count]
            await rig.dialogue(p.card)
            let a = nowNanos()
            let now = clinic.clock.now()
            // The decision alone: what CabinetDriver.decide reads, in the same order, then
            // DispensePolicy.decide (reads only).
            let context = DispenseContext(
                now: now, policy: policy, prescriptions: try store.activePrescriptions(for: p.id),
                history: try store.patientHistory(p.id, now: now, policy: policy), stock: try store.stockLevels(),
                lockdown: false, clockSynchronised: true, newestLedgerWallMillis: try store.newestLedgerWallMillis(),
                journalHealthy: true, storeHealthy: true)
            let request = DispenseRequest(patient: p.id, identity: IdentityCheck(cardPresented: true, pinVerified: true),
                                          witness: StaffID("S-01"), notIntoxicatedAttested: true)
            let decision = DispensePolicy.decide(request, context)
            let b = nowNanos()
            guard case .release = decision else { fatalError("refused: \(decision.refusals)") }
            // The daemon's own: the witness's "#", its decision, the write-ahead intent commit
            // (fsync), the journal enqueue, the lock.
            await rig.driver.handle(.keys("#", at: rig.now()))
            let e = nowNanos()
            guard await rig.driver.snapshot.lockEnergised else {
                let shown = await rig.driver.feedback.suffix(2)
                fatalError("refused: \(shown)")
            }
            // Lapsed unused (the daemon records it): a release with no unit issued does not count
            // in the history.
            await rig.driver.advance(millis: unlockWindow + 1000)
            if i >= 10 { d.append(ms(b - a)); c.append(ms(e - b) - ms(b - a)); t.append(ms(e - b)) }
        }
        await rig.stop()
        results[rows] = (Summary(d), Summary(c), Summary(t))
        report.row("2 decide", "\(rows) rows: decision p50 / rest of the daemon's # (commit) p50 / daemon's # p50, p99 (ms)",
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
    let rig = try await DriverRig(clinic: clinic)
    let patients = try await rig.enrolPatients(prefix: "M", facility: 50, count: patientsCount)
    var units = await rig.receive(patientsCount * sessions + 10)
    await rig.catchUpJournal()
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
    await rig.stop()
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
