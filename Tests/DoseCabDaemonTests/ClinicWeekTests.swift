import Crypto
import DoseCabCore
import Foundation
import Testing

private let dam = Drug.diacetylmorphine, mtd = Drug.methadone

/// Issue 17 point 4: a clinic week through the real interfaces. One `dosecabd --simulate` child
/// process for the whole week, driven only through `dosecabctl` (the clinic's verbs and `sim …`
/// for the counter reader, keypad, return chute, door and lines, and the clock); nothing in the
/// test reads or writes the store. The only file it touches is the demo prescriber's private key
/// that `--simulate` writes into its state folder, to sign the clinic's prescriptions as a
/// prescriber would; the bundle goes in through `dosecabctl rx import`.
///
/// Twelve patients enrolled with two staff each, every route and close-out rule, three dosing
/// windows a day (the simulated clinic's 8-hour windows, visited at 01:00, 09:00 and 17:00) for
/// seven days, with the week's misbehaviour injected on its days. After every step the daily
/// register (`report daily --format json`) must match the test's own ledger of each unit, per
/// drug (I5: issued = returned + consumed + open + incidents), the stock balance must hold with
/// the units the test took out, and the lock must be locked with the lockdown the test expects.
@Suite(.serialized) struct ClinicWeekTests {
    @Test func aClinicWeekThroughTheRealInterfaces() async throws {
        // A shorter return-chute window than the default 2 s keeps each issue scan (which waits
        // the window out) near one second, and a shorter Wiegand frame gap each card and key
        // (the simulated frames are timestamped, so the gap is judged on their times, not on
        // how fast this machine runs). The window stays wide: `sim return` breaks the beam and
        // sleeps before the tag, and a busy machine must not stretch that past the window.
        let config = NSTemporaryDirectory() + "dosecab-week-\(UUID().uuidString.prefix(8)).toml"
        try "[hardware]\nreturn-window-ms = 1000\nwiegand-frame-gap-ms = 10\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let d = try await offPool { try SimDaemon(extraArguments: ["--config", config]) }
        defer { d.stop() }
        let started = Date()
        let week = ClinicWeek(d)
        try await week.open()
        try await week.run()
        try await week.closeTheBooks()
        let seconds = Date().timeIntervalSince(started)
        print("clinic week: \(week.calls) dosecabctl calls in \(Int(seconds)) s")
    }
}

/// The clinic and what the test knows happened: every unit it took out and where it went.
final class ClinicWeek {
    let d: SimDaemon
    var calls = 0
    init(_ d: SimDaemon) { self.d = d }

    struct Patient {
        var id: String, card: Int, pin: String
        var rx: [(id: String, drug: Drug, route: Route, mg: Int, sessions: Int, titrating: Bool)]
    }
    // Demo staff: S-01 nurse 1234, S-02 clinician 2345, S-03 pharmacist 3456, S-04/S-05 admins.
    static let nurse = ["--staff", "S-01", "--pin", "1234"]
    static let clinician = ["--staff", "S-02", "--pin", "2345"]

    static func p(_ n: Int, _ rx: [(String, Drug, Route, Int, Int, Bool)]) -> Patient {
        Patient(id: "P-10\(String(format: "%02d", n))", card: 3000 + n, pin: "\(3000 + n)",
                rx: rx.map { (id: "RX-10\(String(format: "%02d", n))-\($0.0)", drug: $0.1, route: $0.2, mg: $0.3, sessions: $0.4, titrating: $0.5) })
    }
    /// A: injectable heroin with return (unreturned ampoule → hold → clinician). B: injectable
    /// (another patient's ampoule, double return). C: inhalable witnessed (unit left
    /// unconfirmed). D: oral methadone witnessed. E: titrating. F: two heroin prescriptions (keys).
    /// G: misses four days. H: 500 mg injectable twice a day and 100 mg inhalable (daily ceiling). I: intoxicated. J: early dose.
    /// K, L: at the counter when the door is forced and the bolt fails.
    let patients: [String: Patient] = ClinicWeek.clinic
    static let clinic: [String: Patient] = [
        "A": p(1, [("INJ", dam, .injectable, 200, 3, false)]),
        "B": p(2, [("INJ", dam, .injectable, 200, 3, false)]),
        "C": p(3, [("INH", dam, .inhalable, 100, 3, false)]),
        "D": p(4, [("MTD", mtd, .oral, 20, 1, false)]),
        "E": p(5, [("INH", dam, .inhalable, 100, 2, true)]),
        "F": p(6, [("INJ", dam, .injectable, 200, 3, false), ("INH", dam, .inhalable, 100, 3, false)]),
        "G": p(7, [("MTD", mtd, .oral, 20, 1, false)]),
        "H": p(8, [("INJ", dam, .injectable, 500, 2, false), ("INH", dam, .inhalable, 100, 3, false)]),
        "I": p(9, [("MTD", mtd, .oral, 20, 1, false)]),
        "J": p(10, [("INH", dam, .inhalable, 100, 3, false)]),
        "K": p(11, [("INJ", dam, .injectable, 200, 1, false)]),
        "L": p(12, [("MTD", mtd, .oral, 20, 1, false)]),
    ]

    /// Unit kinds the week draws from: the demo stock, and 500 mg ampoules received on day 1.
    struct Kind: Hashable { var drug: Drug, route: Route, mg: Int }
    var pools: [Kind: [String]] = [
        Kind(drug: dam, route: .injectable, mg: 200): (700001...700040).map(String.init),
        Kind(drug: dam, route: .inhalable, mg: 100): (720001...720040).map(String.init),
        Kind(drug: mtd, route: .oral, mg: 20): (800001...800060).map(String.init),
    ]
    let received = (650001...650010).map(String.init)

    enum UnitState: String { case open, returned, consumed, incident }
    struct Unit { var date: String, drug: Drug, kind: Kind, state: UnitState }
    var units: [String: Unit] = [:]
    var doses: [String: Int] = [:]
    var issuedOfKind: [Kind: Int] = [:]
    var baseline: [Kind: (loaded: Int, inCabinet: Int, issued: Int)] = [:]
    var lockdownExpected: String?
    var auditCursor = 1
    /// The week's day (1-7) and the clinic date of day 1; the daemon's own date is compared
    /// with it each morning.
    var day = 0
    var firstDay: Int64 = 0
    var date: String { ClinicCalendar().dateString(day: firstDay + Int64(max(day, 1)) - 1) }

    // MARK: the interfaces

    @discardableResult
    func ctl(_ args: [String], stdin: String? = nil) async -> SimDaemon.Result {
        calls += 1
        return await d.run(args, stdin: stdin)
    }

    func mustSucceed(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async {
        let r = await ctl(args)
        #expect(r.code == 0, "dosecabctl \(args.joined(separator: " ")): \(r.err)", sourceLocation: sourceLocation)
    }

    /// Audit records written since the last call.
    func newRecords() async -> [[String: Any]] {
        let records = await ctl(["audit", "list", "--from", "\(auditCursor)", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
        if let last = records.last?["seq"] as? Int { auditCursor = last + 1 }
        return records
    }

    func today() async -> String { String((await ctl(["status"]).json["now"] as? String ?? "").prefix(10)) }

    // MARK: opening the clinic

    func open() async throws {
        // Move to 01:00 of the next clinic day, the first of its three windows.
        let now = await ctl(["status"]).json["now"] as? String ?? ""
        let h = Int(now.dropFirst(11).prefix(2)) ?? 0, m = Int(now.dropFirst(14).prefix(2)) ?? 0, s = Int(now.dropFirst(17).prefix(2)) ?? 0
        await ctl(["sim", "advance", "\((24 - h) * 3600 - m * 60 - s + 3600)s"])
        let cal = ClinicCalendar()
        let todayNumber = try #require(parseDay(await today()))
        firstDay = todayNumber

        // Enrolment: every patient card takes two staff members; one alone is refused.
        let alone = await ctl(["enroll", "patient", "--id", "P-1001", "--facility", "30", "--card", "3001", "--new-pin", "3001"] + Self.nurse)
        #expect(alone.code != 0)
        for p in patients.values.sorted(by: { $0.id < $1.id }) {
            await mustSucceed(["enroll", "patient", "--id", p.id, "--facility", "30", "--card", "\(p.card)", "--new-pin", p.pin]
                              + Self.nurse + ["--witness", "S-02", "--witness-pin", "2345"])
        }
        let people = await ctl(["people"]).json
        #expect("\(people)".contains("P-1012"))

        // Prescriptions signed with the demo prescriber's key, imported over the socket.
        let keyBytes = try Data(contentsOf: URL(fileURLWithPath: d.dir + "/demo-prescriber.key"))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
        var entries: [SignedPrescriptionEntry] = []
        for p in patients.values {
            for rx in p.rx {
                let doc = Prescription(id: rx.id, version: 1, patient: PatientID(p.id), drug: rx.drug, route: rx.route, doseMg: rx.mg,
                                       maxSessionsPerDay: rx.sessions, validFrom: cal.dateString(day: todayNumber - 1),
                                       validUntil: cal.dateString(day: todayNumber + 30), prescriber: "demo-prescriber", titrating: rx.titrating)
                entries.append(try SignedPrescriptionEntry.sign(.prescription(doc), keyID: "demo-prescriber", with: key))
            }
        }
        let bundle = d.dir + "/week-prescriptions.json"
        try Data(try PrescriptionBundle.encode(entries)).write(to: URL(fileURLWithPath: bundle))
        await mustSucceed(["rx", "import", bundle])
        let listed = await ctl(["rx", "list"]).json["prescriptions"] as? [[String: Any]] ?? []
        #expect(listed.filter { ($0["id"] as? String)?.hasPrefix("RX-10") == true }.count == 14)

        // 500 mg ampoules for H: the pharmacist's receipt with a witness.
        await mustSucceed(["stock", "receive", "--drug", "diacetylmorphine", "--route", "injectable", "--strength-mg", "500",
                           "--batch", "WEEK-1", "--expiry", cal.dateString(day: todayNumber + 200), "--serials"] + received
                          + ["--staff", "S-03", "--pin", "3456", "--witness", "S-01", "--witness-pin", "1234"])
        pools[Kind(drug: dam, route: .injectable, mg: 500)] = received

        // The stock before the week's first dose: the balance is checked against it from now on.
        let register = try await register()
        for line in register["stockBalance"] as? [[String: Any]] ?? [] {
            guard let kind = Self.kind(line), pools[kind] != nil, let b = line["balance"] as? [String: Any] else { continue }
            baseline[kind] = (b["loaded"] as? Int ?? -1, b["inCabinet"] as? Int ?? -1, b["issued"] as? Int ?? -1)
        }
        #expect(baseline.count == pools.count, "\(register["stockBalance"] ?? "no stock balance")")
        _ = await newRecords()
        try await check("opening")
    }

    static func kind(_ line: [String: Any]) -> Kind? {
        guard let k = line["kind"] as? [String: Any], let drug = (k["drug"] as? String).flatMap(Drug.init(rawValue:)),
              let route = (k["route"] as? String).flatMap(Route.init(rawValue:)), let mg = k["strengthMg"] as? Int else { return nil }
        return Kind(drug: drug, route: route, mg: mg)
    }

    func register(date: String? = nil) async throws -> [String: Any] {
        let r = await ctl(["report", "daily", "--format", "json"] + (date.map { ["--date", $0] } ?? []))
        let text = try #require(r.json["report"] as? String, "\(r.err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: the checks after every step

    /// The register of `date` against the test's own ledger, per drug (I5), the stock balance
    /// against the units taken out, and the lock.
    func check(_ step: String, date: String? = nil, lock: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let date = date ?? self.date
        let register = try await register(date: date)
        let lines = (register["reconciliation"] as? [String: Any])?["lines"] as? [[String: Any]] ?? []
        for drug in [dam, mtd] {
            let mine = units.values.filter { $0.date == date && $0.drug == drug }
            let count = { (s: UnitState) in mine.filter { $0.state == s }.count }
            let line = lines.first { $0["drug"] as? String == drug.rawValue }
            let got = [line?["issued"], line?["returned"], line?["consumed"], line?["open"], line?["incidents"]].map { $0 as? Int ?? 0 }
            let want = [mine.count, count(.returned), count(.consumed), count(.open), count(.incident)]
            #expect(got == want, "\(step), \(date), \(drug.rawValue): register issued/returned/consumed/open/incidents \(got), the week's ledger \(want)",
                    sourceLocation: sourceLocation)
            #expect(got[0] == got[1] + got[2] + got[3] + got[4] && (line?["balances"] as? Bool ?? true), "\(step): I5", sourceLocation: sourceLocation)
        }
        for line in register["stockBalance"] as? [[String: Any]] ?? [] {
            #expect(line["balances"] as? Bool == true, "\(step): stock balance \(line)", sourceLocation: sourceLocation)
            guard let kind = Self.kind(line), let base = baseline[kind], let b = line["balance"] as? [String: Any] else { continue }
            let taken = issuedOfKind[kind, default: 0]
            let got = [b["loaded"] as? Int, b["inCabinet"] as? Int, b["issued"] as? Int]
            #expect(got == [base.loaded, base.inCabinet - taken, base.issued + taken],
                    "\(step): \(kind) loaded/in cabinet/issued \(got), expected \([base.loaded, base.inCabinet - taken, base.issued + taken])",
                    sourceLocation: sourceLocation)
        }
        guard lock else { return }
        let s = await settledStatus()
        #expect(s["lock"] as? String == "locked" && s["lock_line"] as? Int == 0 && s["open_release"] is NSNull,
                "\(step): lock \(s["lock"] ?? "?"), release \(s["open_release"] ?? "?")", sourceLocation: sourceLocation)
        if let expected = lockdownExpected {
            #expect((s["lockdown"] as? String)?.contains(expected) == true, "\(step): lockdown \(s["lockdown"] ?? "none")", sourceLocation: sourceLocation)
        } else {
            #expect(s["lockdown"] is NSNull, "\(step): lockdown \(s["lockdown"] ?? "?")", sourceLocation: sourceLocation)
        }
    }

    /// The status once the cabinet has settled: the door's, the bolt's and the sensors' edges
    /// are debounced by their timestamps, so on a busy machine the daemon may still be judging
    /// the last edge when `sim` answers. Polled (bounded), never slept on.
    func settledStatus() async -> [String: Any] {
        let deadline = Date().addingTimeInterval(15)
        while true {
            let s = await ctl(["status"]).json
            let lockdown = s["lockdown"] as? String
            let settled = s["lock"] as? String == "locked" && s["open_release"] is NSNull
                && (lockdownExpected.map { lockdown?.contains($0) == true } ?? (lockdown == nil))
            if settled || Date() > deadline { return s }
        }
    }

    /// The reason codes of the refusals recorded since the last look.
    func refusals(_ records: [[String: Any]]) -> [(patient: String?, reason: String)] {
        records.filter { $0["event"] as? String == "refusal" }.map {
            let f = $0["fields"] as? [String: Any] ?? [:]
            return (f["patient"] as? String, f["reason"] as? String ?? "")
        }
    }

    // MARK: the counter

    /// The nurse's badge: a staff session for the window.
    func badge() async { await ctl(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"]) }

    func card(_ who: String) async {
        let p = patients[who]!
        await ctl(["sim", "card", "counter", "\(p.card)", "--facility", "30", "--pin", p.pin])
    }

    enum CloseOut { case now, later, never }

    /// One dose at the counter: card + PIN, the witness's key, the unit taken, the door closed and
    /// the unit closed out by its route's rule (`.later`: the caller does it; `.never`: nobody).
    @discardableResult
    func dose(_ who: String, key: String = "1#", closeOut: CloseOut = .now, atCounter: Bool = false,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
        let p = patients[who]!
        if !atCounter { await card(who) }
        await ctl(["sim", "keys", key])
        let s = await ctl(["status"]).json
        guard s["lock"] as? String == "energised", let release = s["open_release"] as? [String: Any] else {
            let refused = refusals(await newRecords())
            Issue.record("\(who) (\(p.id)) day \(day): not released: \(refused.map(\.reason))", sourceLocation: sourceLocation)
            return nil
        }
        let rx = p.rx.first { release["dose_mg"] as? Int == $0.mg && release["drug"] as? String == $0.drug.rawValue }!
        let kind = Kind(drug: rx.drug, route: rx.route, mg: rx.mg)
        let serial = try #require(pools[kind]?.first, "no \(kind) left in the week's stock")
        pools[kind]?.removeFirst()
        await ctl(["sim", "door", "open"])
        await ctl(["sim", "scan", serial])
        await ctl(["sim", "door", "close"])
        units[serial] = Unit(date: date, drug: rx.drug, kind: kind, state: .open)
        issuedOfKind[kind, default: 0] += 1
        doses[who, default: 0] += 1
        if closeOut == .now { try await close(serial) }
        try await check("\(who) dosed day \(day)", sourceLocation: sourceLocation)
        return serial
    }

    /// The unit's close-out by its route's rule: the chute, or the witness's confirmation.
    func close(_ serial: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let unit = try #require(units[serial])
        if unit.kind.route == .injectable {
            await ctl(["sim", "return", serial])
            units[serial]?.state = .returned
        } else {
            await mustSucceed(["confirm", serial] + Self.nurse, sourceLocation: sourceLocation)
            units[serial]?.state = .consumed
        }
        // The register's reconciliation after the step shows it booked (`check`).
    }

    /// A dose refused: nothing released, and the refusal names every rule expected.
    func refused(_ who: String, key: String = "1#", because reasons: [String], atCounter: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let p = patients[who]!
        if !atCounter { await card(who) }
        await ctl(["sim", "keys", key])
        let mine = refusals(await newRecords()).filter { $0.patient == p.id }
        let codes = Set(mine.last?.reason.split(separator: ",").map(String.init) ?? [])
        #expect(Set(reasons).isSubset(of: codes), "\(who) (\(p.id)) day \(day): refused for \(codes.sorted()), expected \(reasons)",
                sourceLocation: sourceLocation)
        try await check("\(who) refused day \(day)", sourceLocation: sourceLocation)
    }

    /// Moves the simulated clock and books what the daemon's timers do meanwhile: each open
    /// unit past its close-out deadline becomes an incident.
    func advance(_ duration: String, incidents expected: [String] = []) async throws {
        await ctl(["sim", "advance", duration])
        let records = await newRecords()
        let incidents = records.filter { $0["event"] as? String == "incident" }
            .compactMap { ($0["fields"] as? [String: Any])?["unit"] as? String }
        #expect(Set(incidents) == Set(expected), "day \(day) after \(duration): incidents \(incidents), expected \(expected)")
        for serial in expected { units[serial]?.state = .incident }
    }

    func holds() async -> [String] {
        (await ctl(["holds"]).json["holds"] as? [[String: Any]] ?? []).compactMap { $0["patient"] as? String }
    }

    // MARK: the week

    func run() async throws {
        for day in 1...7 {
            self.day = day
            for window in 0..<3 {
                if day > 1 || window > 0 { try await advance("8h") }
                if window == 0 { #expect(await today() == date, "day \(day)") }
                await badge()
                try await visit(day: day, window: window)
            }
        }
    }

    /// Who comes in each window, and what goes wrong.
    func visit(day: Int, window: Int) async throws {
        let odd = day % 2 == 1
        switch window {
        case 0: // 01:00
            if odd && day != 3 { try await dose("A") }
            if day == 2 {
                // A takes the ampoule and never brings it back: at its deadline, an incident and a hold.
                let kept = try await dose("A", closeOut: .never)
                try await advance("61m", incidents: [kept].compactMap { $0 })
                #expect(await holds() == [patients["A"]!.id])
                try await check("A's ampoule overdue")
                await badge()
            }
            if [1, 4, 7].contains(day) { try await dose("D") }
            switch day {
            case 1, 2, 4, 6: try await dose("E")
            case 3: try await refused("E", because: ["titration-limit"])
            default: break
            }
            if day == 1 || day == 7 { try await dose("G") }
            if day == 6 {
                // G was last dosed on day 1: four days missed, a clinician must re-authorise.
                try await refused("G", because: ["missed-dose-reauthorisation"])
                let nurse = await ctl(["reauthorise", "--patient", patients["G"]!.id, "--reason", "seen"] + Self.nurse)
                #expect(nurse.code == 1 && nurse.err.contains("role-not-allowed"), "\(nurse.err)")
                let ok = await ctl(["reauthorise", "--patient", patients["G"]!.id, "--reason", "reviewed: tolerance assessed",
                                    "--staff", "S-02", "--pin", "-"], stdin: "2345\n")
                #expect(ok.code == 0 && ok.json["missed_days"] as? Int == 4, "\(ok.err) \(ok.json)")
                _ = await newRecords()
                try await dose("G")
            }
            if day == 2 { try await dose("H", key: "111#") }
            if day % 2 == 0 { try await dose("J") }
            if day == 4 {
                // Ten minutes after J's dose: too soon, the same window, still under observation.
                try await advance("10m")
                await badge()
                try await refused("J", because: ["too-soon", "already-dosed-this-window", "observation-not-finished"])
            }
        case 1: // 09:00
            if day == 2 {
                // On hold: refused until a clinician clears it; a nurse may not.
                try await refused("A", because: ["hold"])
                let nurse = await ctl(["hold", "clear", patients["A"]!.id, "--reason", "x"] + Self.nurse)
                #expect(nurse.code == 1)
                await mustSucceed(["hold", "clear", patients["A"]!.id, "--reason", "ampoule found broken in the chute"] + Self.clinician)
                #expect(await holds().isEmpty)
                _ = await newRecords()
                try await dose("A")
            }
            if [1, 3, 6].contains(day) {
                // B keeps the ampoule at first; it comes back through the chute while A is at the counter.
                let kept = try await dose("B", closeOut: day == 3 ? .later : .now)
                if day == 3, let kept {
                    await card("A")
                    await ctl(["sim", "return", kept])
                    units[kept]?.state = .returned
                    var records = await newRecords()
                    #expect(records.contains { ($0["fields"] as? [String: Any])?["reason"] as? String == "another-patients-unit"
                        && ($0["fields"] as? [String: Any])?["unit"] as? String == kept },
                            "another patient's ampoule: \(records.map { $0["event"] ?? "" })")
                    #expect(records.contains { $0["event"] as? String == "return" && ($0["fields"] as? [String: Any])?["patient"] as? String == patients["B"]!.id })
                    try await dose("A", atCounter: true)
                    // The same ampoule again, and a tag the cabinet never held: booked as anomalies, nothing else.
                    _ = await newRecords()
                    await ctl(["sim", "return", kept])
                    await ctl(["sim", "return", "654321"])
                    records = await newRecords()
                    let reasons = records.compactMap { ($0["fields"] as? [String: Any])?["reason"] as? String }
                    #expect(reasons.contains("already-closed") && reasons.contains("unknown-serial"), "\(reasons)")
                    #expect(!records.contains { $0["event"] as? String == "return" })
                    try await check("double return and unknown serial")
                }
            }
            if day == 1 {
                // Two heroin prescriptions: 11# is ambiguous and asks again; 111# is the injectable one.
                await card("F")
                await ctl(["sim", "keys", "11#"])
                        let asked = refusals(await newRecords())
                let lock = await ctl(["status"]).json["lock"] as? String
                #expect(asked.isEmpty && lock == "locked")
                try await dose("F", key: "111#", atCounter: true)
            } else if day == 3 || day == 6 {
                try await dose("F", key: day == 3 ? "112#" : "111#")
            }
            // E titrates: 200 mg on day 1, only 100 mg on day 2, so day 3's 100 mg dose is above half of it.
            if day == 1 || day == 4 { try await dose("E") }
            if day == 2 { try await dose("H", key: "111#") }
            if day == 2 || day == 6 { try await dose("I") }
            if day == 4 { try await refused("I", key: "0#", because: ["no-intoxication-attestation"]) }
        default: // 17:00
            if day == 3 {
                // The door forced open with no release: alarm and lockdown until an admin lifts it.
                await ctl(["sim", "door", "open"])
                await ctl(["sim", "door", "close"])
                lockdownExpected = "forced-door"
                try await check("forced door")
                try await alarm("forced-door")
                await badge()
                try await refused("K", because: ["lockdown"])
                try await liftLockdown()
            }
            if day == 6 {
                // The bolt sensor says disengaged with the door closed and the lock off: lockdown.
                await ctl(["sim", "line", "bolt", "0"])
                lockdownExpected = "bolt"
                try await check("bolt fault")
                try await alarm("bolt-disagreement")
                await ctl(["sim", "line", "bolt", "1"])
                await badge()
                try await refused("L", because: ["lockdown"])
                try await liftLockdown()
            }
            if [3, 4, 7].contains(day) {
                // Day 4: C's inhaled portion is never confirmed: an incident and a hold.
                let unit = try await dose("C", closeOut: day == 4 ? .never : .now)
                if day == 4 {
                    try await advance("61m", incidents: [unit].compactMap { $0 })
                    #expect(await holds() == [patients["C"]!.id])
                    try await check("C's unit unconfirmed")
                    await badge()
                }
            }
            if day == 5 {
                try await refused("C", because: ["hold"])
                await mustSucceed(["hold", "clear", patients["C"]!.id, "--reason", "consumption seen, confirmation forgotten"] + Self.clinician)
                _ = await newRecords()
                try await dose("C")
            }
            if day == 4 || day == 6 { try await dose("H", key: "111#") }
            // Two 500 mg injections today: 100 mg more heroin is above the clinic's 1000 mg.
            if day == 2 { try await refused("H", key: "112#", because: ["daily-ceiling"]) }
            if day == 4 { try await dose("I") }
            if [3, 6].contains(day) { try await dose("K") }
            if [2, 4, 6].contains(day) { try await dose("L") }
        }
    }

    /// The alarm's audit record names what happened.
    func alarm(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let alarms = await newRecords().filter { $0["event"] as? String == "alarm" }
            .compactMap { ($0["fields"] as? [String: Any])?["reason"] as? String }
        #expect(alarms.contains(reason), "day \(day): alarms \(alarms)", sourceLocation: sourceLocation)
    }

    func liftLockdown() async throws {
        let nurse = await ctl(["lockdown", "off", "--reason", "inspected"] + Self.nurse)
        #expect(nurse.code == 1)
        await mustSucceed(["lockdown", "off", "--reason", "cabinet inspected, nothing missing", "--staff", "S-04", "--pin", "4567"])
        lockdownExpected = nil
        _ = await newRecords()
        try await check("lockdown lifted")
        await badge()
    }

    // MARK: the end of the week

    func closeTheBooks() async throws {
        // What each patient received against what their prescription and behaviour allow:
        // A days 1, 3, 5, 7 and twice on day 2 (the ampoule kept, then again once the hold was
        // cleared); B days 1, 3, 6; C days 3, 4 and 5 (after its hold) and 7; D days 1, 4, 7;
        // E twice on day 1, once on day 2, none on day 3 (titration limit), twice on day 4, once
        // on day 6; F days 1, 3 (inhalable), 6; G days 1, 6 (re-authorised), 7; H twice on day 2
        // (the third refused at the ceiling), days 4, 6; I days 2, 4 (after the intoxicated
        // refusal, in the next window), 6; J days 2, 4 (the early second refused), 6; K days 3
        // (after the lockdown), 6; L days 2, 4, 6 (after the bolt fault's lockdown).
        let expected: [String: Int] = ["A": 6, "B": 3, "C": 4, "D": 3, "E": 6, "F": 3, "G": 3, "H": 4, "I": 3, "J": 3, "K": 2, "L": 3]
        let releases = await ctl(["releases", "--since", "0"]).json["releases"] as? [[String: Any]] ?? []
        for (who, p) in patients.sorted(by: { $0.key < $1.key }) {
            let mine = releases.filter { $0["patient"] as? String == p.id }
            #expect(mine.count == expected[who], "\(who) (\(p.id)) received \(mine.count) doses, expected \(expected[who] ?? 0)")
            #expect(doses[who, default: 0] == expected[who], "\(who): the test dosed \(doses[who, default: 0])")
            #expect(mine.allSatisfy { $0["outcome"] as? String == "complete" }, "\(who): \(mine.map { $0["outcome"] ?? "" })")
        }
        // Every day of the week still reconciles, the chain is intact, nothing is left open.
        let cal = ClinicCalendar()
        for n in firstDay...(firstDay + 6) { try await check("end of week", date: cal.dateString(day: n), lock: false) }
        #expect((await ctl(["outstanding"]).json["units"] as? [Any])?.isEmpty == true)
        #expect(await holds().isEmpty)
        let verify = await ctl(["audit", "verify"])
        #expect(verify.code == 0 && verify.json["intact"] as? Bool == true)
    }
}
