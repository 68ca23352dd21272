import DoseCabControl
import DoseCabCore
import Foundation
import Testing

/// Runs blocking work (child processes, their pipes) on its own thread, so the test holds no
/// thread of the cooperative pool meanwhile: the socket-timing tests of other suites need it.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

extension SimDaemon {
    static func started() async throws -> SimDaemon { try await offPool { try SimDaemon() } }

    @discardableResult
    func run(_ args: [String], asUID uid: Int? = nil, stdin: String? = nil) async -> Result {
        (try? await offPool { self.ctl(args, asUID: uid, stdin: stdin) }) ?? Result(code: -1, out: "", err: "not run")
    }

    func status() async -> [String: Any] { await run(["status"]).json }

    func sameClinicDay() async { _ = try? await offPool { self.sameClinicDay() } }

    func unlockForPatient1Async() async {
        await run(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"])
        await run(["sim", "card", "counter", "2001", "--facility", "20", "--pin", "1111"])
        await run(["sim", "keys", "1#"])
    }

    func refusalReasons() async -> [String] {
        let records = await run(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
        return records.filter { $0["event"] as? String == "refusal" }
            .compactMap { ($0["fields"] as? [String: Any])?["reason"] as? String }
    }
}

/// Issue #11 through the real socket: `dosecabd --simulate` and `dosecabctl`, as a pharmacist
/// and the staff would use them. Demo people: S-01 nurse 1234, S-02 clinician 2345,
/// S-03 pharmacist 3456, S-04 admin 4567, S-05 admin 5678; P-0001 (heroin 200 mg), P-0003 (methadone only).
/// Part of `ProcessTests`, so it runs serialized with them: one daemon at a time on a busy box.
extension ProcessTests {
    static let pharmacist = ["--staff", "S-03", "--pin", "3456"]
    static let nurseWitness = ["--witness", "S-01", "--witness-pin", "1234"]
    /// The demo stock, as counted when nothing is missing.
    static let fullCount = ["--count", "diacetylmorphine/inhalable/100=40", "--count", "diacetylmorphine/injectable/100=20",
                            "--count", "diacetylmorphine/injectable/200=40", "--count", "methadone/oral/20=60"]

    func today(_ d: SimDaemon) async -> Int64 { parseDay(String((await d.status()["now"] as? String ?? "").prefix(10)))! }
    func buzzer(_ d: SimDaemon) async -> Int? { await d.run(["sim", "line", "buzzer", "0"]).json["value"] as? Int }
    func events(_ d: SimDaemon) async -> [[String: Any]] {
        await d.run(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
    }
    func journal(_ d: SimDaemon, _ event: String) -> [String] { d.journalLines().filter { $0.contains("DOSECAB_EVENT=\(event) ") } }
    func level(_ d: SimDaemon, _ mg: Int, route: String = "injectable") async -> Int? {
        let levels = await d.run(["stock", "list"]).json["levels"] as? [[String: Any]] ?? []
        return levels.first { $0["strength_mg"] as? Int == mg && $0["route"] as? String == route }?["count"] as? Int
    }
    /// The words of texts that carry what people typed: a PIN is a whole word there. A
    /// substring search would also find four digits inside a hash or a time by chance.
    static func words(_ texts: [String]) -> Set<Substring> {
        Set(texts.flatMap { $0.split { !$0.isLetter && !$0.isNumber } })
    }
    /// The message and fields of a readable journal line (`… | NAME=value NAME="quoted"`) without the
    /// machine-made ones (chain hash, sequence number, message id), which hold no user input.
    static func journalFields(_ line: String) -> [String: String] {
        guard let bar = line.range(of: " | ") else { return ["MESSAGE": line] }
        let machineMade: Set<String> = ["DOSECAB_AUDIT_HASH", "DOSECAB_AUDIT_SEQ", "MESSAGE_ID"]
        var fields = ["MESSAGE": String(line[..<bar.lowerBound])]
        let pattern = /([A-Z0-9_]+)=("(?:[^"\\]|\\.)*"|\S*)/
        for match in line[bar.upperBound...].matches(of: pattern) where !machineMade.contains(String(match.1)) {
            fields[String(match.1)] = String(match.2)
        }
        return fields
    }
    func report(_ d: SimDaemon) async -> String { await d.run(["report", "daily"]).json["report"] as? String ?? "" }

    @Test func witnessedReceiptAndWaste() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        let cal = ClinicCalendar()
        let expiry = cal.dateString(day: await today(d) + 200), yesterday = cal.dateString(day: await today(d) - 1)
        func receive(_ who: [String], expiry: String, serials: [String] = ["900001", "900002"]) async -> SimDaemon.Result {
            await d.run(["stock", "receive", "--drug", "diacetylmorphine", "--route", "injectable", "--strength-mg", "500",
                   "--batch", "LOT-42", "--expiry", expiry, "--serials"] + serials + who)
        }
        // One person twice, or expired stock: refused, nothing loaded.
        let alone = await receive(Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"], expiry: expiry)
        #expect(alone.code == 1 && alone.err.contains("same-person"), "\(alone.err)")
        let expired = await receive(Self.pharmacist + Self.nurseWitness, expiry: yesterday)
        #expect(expired.code == 1 && expired.err.contains("expired"), "\(expired.err)")
        let wrongPIN = await receive(Self.pharmacist + ["--witness", "S-01", "--witness-pin", "9999"], expiry: expiry)
        #expect(wrongPIN.code == 1 && wrongPIN.err.contains("wrong PIN"))
        #expect(await level(d, 500) == nil)

        let ok = await receive(Self.pharmacist + Self.nurseWitness, expiry: expiry)
        #expect(ok.code == 0 && ok.json["added"] as? Int == 2, "\(ok.err)")
        #expect(await level(d, 500) == 2)
        let units = await d.run(["stock", "list", "--units"]).json["units"] as? [[String: Any]] ?? []
        let loaded = units.first { $0["serial"] as? String == "900001" }
        #expect(loaded?["batch"] as? String == "LOT-42" && loaded?["expiry"] as? String == expiry && loaded?["releasable"] as? Bool == true)
        let receipt = await events(d).last { $0["event"] as? String == "receipt" }
        let fields = receipt?["fields"] as? [String: Any]
        #expect(fields?["staff"] as? String == "S-03" && fields?["witness"] as? String == "S-01" && (fields?["units"] as? String) == "900001,900002")
        #expect(journal(d, "receipt").contains { $0.contains("MESSAGE_ID=1fcff7f8bb13430caadad2abbbd30c5b") && $0.contains("DOSECAB_WITNESS=S-01") })

        // Waste: who, witness, what, how much and why; the unit leaves stock.
        let sameWitness = await d.run(["stock", "waste", "900001", "--reason", "broken"] + Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"])
        let afterSame = await level(d, 500)
        #expect(sameWitness.code == 1 && afterSame == 2)
        let badReason = await d.run(["stock", "waste", "900001", "--reason", "lost-it"] + Self.pharmacist + Self.nurseWitness)
        #expect(badReason.code == 1 && badReason.err.contains("reason must be one of"))
        let waste = await d.run(["stock", "waste", "900001", "--reason", "broken", "--note", "dropped while loading"] + Self.pharmacist + Self.nurseWitness)
        #expect(waste.code == 0 && waste.json["wasted_mg"] as? Int == 500, "\(waste.err)")
        #expect(await level(d, 500) == 1)
        #expect(await d.run(["stock", "waste", "900001", "--reason", "broken"] + Self.pharmacist + Self.nurseWitness).code == 1, "wasted twice")
        let line = journal(d, "waste").first
        #expect(line?.contains("DOSECAB_AMPOULE=900001") == true && line?.contains("DOSECAB_STAFF=S-03") == true
                && line?.contains("DOSECAB_WITNESS=S-01") == true && line?.contains("broken: dropped while loading") == true, "\(line ?? "")")
        let text = await report(d)
        #expect(text.contains("receipt") && text.contains("batch LOT-42"))
        #expect(text.contains("diacetylmorphine/injectable/500: 2 = 1 + 0 - 0 + 1 + 0  ok"), "\(text)")
        #expect(!text.contains("DOES NOT BALANCE"))
    }

    /// One person cannot guess a second person's PIN over the socket: the counter's count and
    /// lockout apply, each failure is an audit record and a journal event naming the staff member
    /// and the action, never the PIN. PINs can come from stdin instead of argv (review of #11, 2).
    @Test func wrongPINsOverTheSocketLockTheStaffMemberOut() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        let receive = ["stock", "receive", "--drug", "methadone", "--route", "oral", "--strength-mg", "20", "--batch", "LOT-9",
                       "--expiry", ClinicCalendar().dateString(day: await today(d) + 100), "--serials", "990001"]
        var replies: [SimDaemon.Result] = []
        for guess in ["8642", "9753", "7531"] {
            replies.append(await d.run(receive + Self.pharmacist + ["--witness", "S-01", "--witness-pin", guess]))
        }
        #expect(replies.allSatisfy { $0.code == 1 })
        #expect(replies[0].err.contains("wrong-pin") && replies[2].err.contains("pin-lockout"), "\(replies.map(\.err))")
        // Locked out, the badge (three wrong PINs in a row) and this account (three wrong PINs over
        // the socket): the right PINs are refused too, over the socket and at the counter.
        let right = await d.run(receive + Self.pharmacist + Self.nurseWitness)
        #expect(right.code == 1 && right.err.contains("pin-lockout"), "\(right.err)")
        let feedback = await d.run(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"]).json["feedback"] as? [String] ?? []
        #expect(feedback.joined().contains("pin-lockout"), "\(feedback)")
        #expect(await level(d, 20, route: "oral") == 60, "nothing was loaded")
        // Every failure is in the audit log and the journal, naming who and what, never the PIN.
        let refusals = await events(d).filter { $0["event"] as? String == "refusal" }.compactMap { $0["fields"] as? [String: Any] }
        let socket = refusals.filter { ($0["detail"] as? String ?? "").contains("control socket") }
        // The third wrong PIN locks the badge and the account (one record, both refusals); the
        // account's next request, refused at its first PIN (the pharmacist's), is the caller's
        // request-refused record, not another refusal of the badge.
        #expect(socket.map { $0["reason"] as? String ?? "" } == ["wrong-pin", "wrong-pin", "pin-lockout,pin-lockout"], "\(refusals)")
        #expect(socket.allSatisfy { $0["staff"] as? String == "S-01" }, "\(socket)")
        #expect(socket.allSatisfy { ($0["detail"] as? String ?? "").contains("a stock receipt") && ($0["detail"] as? String ?? "").contains("uid=") })
        let lines = journal(d, "refusal").filter { $0.contains("control socket") }
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("DOSECAB_REASON=") })
        let requestRefused = await events(d).compactMap { $0["fields"] as? [String: Any] }
            .filter { $0["action"] as? String == "request-refused" && ($0["detail"] as? String ?? "").contains("pin-lockout") }
        #expect(requestRefused.count == 2, "the request that locked the account and the one after are on the record: \(requestRefused)")
        let typed: Set<Substring> = ["8642", "9753", "7531", "1234"]
        for fields in socket {
            #expect(!fields.keys.contains { $0.lowercased().contains("pin") }, "a PIN field in the audit record: \(fields)")
            #expect(Self.words(fields.values.map { "\($0)" }).isDisjoint(with: typed), "a PIN in the audit record: \(fields)")
        }
        for line in lines {
            let fields = Self.journalFields(line)
            #expect(!fields.keys.contains { $0.contains("PIN") }, "a PIN field in the journal: \(line)")
            #expect(Self.words(Array(fields.values)).isDisjoint(with: typed), "a PIN in the journal: \(line)")
        }

        // A PIN from stdin (never on the command line) works like one given as a value, once this
        // account's lockout time has passed.
        #expect(await d.run(["sim", "advance", "\(15 * 60 + 1)s"]).code == 0)
        let s5 = await d.run(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "injectable",
                              "--dose-mg", "100", "--minutes", "5", "--reason", "rx down", "--staff", "S-04", "--pin", "-",
                              "--witness", "S-02", "--witness-pin", "-"], stdin: "4567\n2345\n")
        #expect(s5.code == 0, "\(s5.err)")
        let missing = await d.run(["override", "close", "x", "--reason", "r", "--staff", "S-04", "--pin", "-"], stdin: "")
        #expect(missing.code == 64 && missing.err.contains("no PIN"), "\(missing.err)")
    }

    /// A list of serials with an entry that is not a string refuses the whole request: no
    /// partial receipt, no partial write-off (review of #11, finding 5).
    @Test func aBadSerialRefusesTheWholeRequest() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        let socket = d.socket
        func call(_ method: String, _ p: [String: JSONValue]) async throws -> ControlReply {
            try await offPool { try ControlClient(socketPath: socket).call(method, p) }
        }
        let people: [String: JSONValue] = ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234"]
        let expiry = ClinicCalendar().dateString(day: await today(d) + 100)
        let receipt: [String: JSONValue] = ["drug": "methadone", "route": "oral", "strength_mg": 20, "batch": "LOT-5", "expiry": .string(expiry)]
        for serials: JSONValue in [["990001", 990002, "990003"], ["990001", .null], "990001", .array([])] {
            let reply = try await call("stock.receive", receipt.merging(people) { a, _ in a }.merging(["serials": serials]) { _, b in b })
            #expect(reply.error?.contains("serials") == true, "\(serials): \(String(describing: reply.error))")
        }
        let reply = try await call("stock.receive", receipt.merging(people) { a, _ in a }.merging(["serials": ["990001", 990002]]) { _, b in b })
        #expect(reply.error?.contains("entry 2 is not a string") == true, "\(String(describing: reply.error))")
        #expect(await level(d, 20, route: "oral") == 60)
        let units = await d.run(["stock", "list", "--units"]).json["units"] as? [[String: Any]] ?? []
        #expect(!units.contains { ($0["serial"] as? String)?.hasPrefix("99000") == true })
        #expect(!(await events(d)).contains { $0["event"] as? String == "receipt" && ($0["fields"] as? [String: Any])?["batch"] != nil
                                               && "\($0)".contains("LOT-5") })

        // The same for a write-off: refused whole, the discrepancy stays open.
        let id = try #require(await d.run(["count", "start"] + Self.pharmacist + Self.nurseWitness).json["count"] as? String)
        var figures = Self.fullCount
        figures[figures.firstIndex(of: "diacetylmorphine/injectable/200=40")!] = "diacetylmorphine/injectable/200=38"
        let discrepancy = try #require((await d.run(["count", "enter", id] + figures + Self.pharmacist + Self.nurseWitness)
            .json["discrepancies"] as? [String])?.first)
        let off = try await call("discrepancy.resolve", people.merging(["id": .string(discrepancy), "resolution": "loss", "note": "gone",
                                                                         "serials": ["700040", 700039]]) { a, _ in a })
        #expect(off.error?.contains("entry 2 is not a string") == true, "\(String(describing: off.error))")
        #expect(await d.status()["discrepancies"] as? Int == 1)
        #expect(await level(d, 200) == 40)
    }

    @Test func blindCountThatMatches() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        let start = await d.run(["count", "start"] + Self.pharmacist + Self.nurseWitness)
        #expect(start.code == 0, "\(start.err)")
        let id = try #require(start.json["count"] as? String)
        #expect((start.json["kinds"] as? [String])?.count == 4)
        // Blind: neither the start nor the status shows a figure.
        let status = await d.run(["count", "status"])
        for out in [start.out, status.out] { #expect(!out.contains("expected") && !out.contains("\"40\"") && !out.contains(": 40")) }
        #expect((status.json["open"] as? [String: Any])?["count"] as? String == id)
        // Blind for everyone while it is open: the levels and the register's balance are refused.
        for verb in [["stock", "list"], ["stock", "list", "--units"], ["report", "daily"], ["report", "daily", "--format", "csv"]] {
            let hidden = await d.run(verb)
            #expect(hidden.code == 1 && hidden.err.contains("count-in-progress") && hidden.err.contains(id), "\(verb): \(hidden.err)")
            #expect(!hidden.out.contains("40"), "\(verb) showed a figure: \(hidden.out)")
        }
        // Entered by someone who did not count, or incomplete: refused, the count stays open.
        let other = await d.run(["count", "enter", id] + Self.fullCount + ["--staff", "S-02", "--pin", "2345"] + Self.nurseWitness)
        #expect(other.code == 1 && other.err.contains("not-the-counters"), "\(other.err)")
        let partial = await d.run(["count", "enter", id, "--count", "methadone/oral/20=60"] + Self.pharmacist + Self.nurseWitness)
        #expect(partial.code == 1 && partial.err.contains("count-incomplete"))
        let entered = await d.run(["count", "enter", id] + Self.fullCount + ["--staff", "S-01", "--pin", "1234", "--witness", "S-03", "--witness-pin", "3456"])
        #expect(entered.code == 0 && entered.json["matched"] as? Bool == true, "\(entered.err)")
        #expect((entered.json["discrepancies"] as? [Any])?.isEmpty == true)
        #expect(await level(d, 200) == 40, "levels are shown again once the count is entered")
        let s = await d.status()
        #expect(s["count"] as? String == "ok" && s["discrepancies"] as? Int == 0 && s["frozen"] is NSNull)
        #expect((await d.run(["count", "status"]).json["last"] as? [String: Any])?["matched"] as? Bool == true)
        #expect(journal(d, "count").contains { $0.contains("DOSECAB_STATE=matched") && $0.contains("MESSAGE_ID=a4bc241b346e4e50ad36a5bf500fe691") })
        #expect(await report(d).contains("count-matched"))
    }

    /// An open count holds releases and stock movements; one left open shows as abandoned and two
    /// people cancel it (review of #11, finding 4).
    @Test func anAbandonedCountIsVisibleAndTwoPeopleCancelIt() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        await d.sameClinicDay()
        let id = try #require(await d.run(["count", "start"] + Self.pharmacist + Self.nurseWitness).json["count"] as? String)
        await d.unlockForPatient1Async()
        #expect(await d.refusalReasons().last?.contains("count-in-progress") == true)
        #expect(await d.status()["lock"] as? String == "locked")
        await d.run(["sim", "advance", "61m"])
        let s = await d.status()
        let open = s["count_open"] as? [String: Any]
        #expect(open?["count"] as? String == id && open?["abandoned"] as? Bool == true, "\(s)")
        #expect((s["count"] as? String)?.hasPrefix("ABANDONED") == true)
        let alone = await d.run(["count", "cancel", id, "--reason", "left"] + Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"])
        #expect(alone.code == 1 && alone.err.contains("same-person"))
        let cancelled = await d.run(["count", "cancel", id, "--reason", "counters called away"] + ["--staff", "S-04", "--pin", "4567"] + Self.nurseWitness)
        #expect(cancelled.code == 0 && cancelled.json["state"] as? String == "cancelled", "\(cancelled.err)")
        #expect(await d.status()["count_open"] is NSNull)
        #expect(journal(d, "count").contains { $0.contains("DOSECAB_STATE=cancelled") && $0.contains("DOSECAB_COUNT=\(id)") })
        let register = await report(d)
        #expect(register.contains("count-cancelled") && register.contains(id) && register.contains("counters called away"), "\(register)")
        await d.unlockForPatient1Async()
        #expect(await d.status()["lock"] as? String == "energised")
    }

    @Test func blindCountMismatchFreezesEscalatesAndTwoPeopleResolveIt() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        let id = try #require(await d.run(["count", "start"] + Self.pharmacist + Self.nurseWitness).json["count"] as? String)
        var figures = Self.fullCount
        figures[figures.firstIndex(of: "diacetylmorphine/injectable/200=40")!] = "diacetylmorphine/injectable/200=39"
        let entered = await d.run(["count", "enter", id] + figures + Self.pharmacist + Self.nurseWitness)
        #expect(entered.code == 0 && entered.json["matched"] as? Bool == false, "\(entered.err)")
        let discrepancy = try #require((entered.json["discrepancies"] as? [String])?.first)
        var s = await d.status()
        #expect(s["discrepancies"] as? Int == 1 && s["frozen"] as? [String] == ["diacetylmorphine"])
        #expect(journal(d, "discrepancy").contains { $0.hasPrefix("dosecabd <err>") && $0.contains("DOSECAB_DISCREPANCY=\(discrepancy)") })

        // The frozen drug is refused with its reason; another drug is not frozen (scope: drug).
        await d.unlockForPatient1Async()
        #expect(await d.refusalReasons().last?.contains("discrepancy-freeze") == true)
        #expect(await d.status()["lock"] as? String == "locked")
        await d.run(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        await d.run(["sim", "keys", "1#"])
        #expect(await d.status()["lock"] as? String == "energised", "methadone is not frozen by a heroin discrepancy")
        await d.run(["sim", "advance", "30s"])  // the unlock window lapses unused

        // Unresolved at the end of the next business day: escalation, alarm output, report mark.
        let listed = (await d.run(["discrepancy", "list"]).json["discrepancies"] as? [[String: Any]])?.first
        let due = try #require(listed?["escalates_in_s"] as? Int)
        #expect(due > 0 && listed?["escalated"] as? Bool == false)
        await d.run(["sim", "advance", "\(max(0, due - 120))s"])
        s = await d.status()
        let quiet = await buzzer(d)
        #expect(s["escalated"] as? Int == 0 && s["alarm_output"] as? Bool == false && quiet == 0)
        await d.run(["sim", "advance", "180s"])
        s = await d.status()
        #expect(s["escalated"] as? Int == 1 && s["alarm_output"] as? Bool == true, "\(s)")
        #expect(await buzzer(d) == 1)
        #expect(journal(d, "escalation").contains { $0.hasPrefix("dosecabd <alert>") && $0.contains("MESSAGE_ID=d63a64f87fd447cdb9b337589fad5086") })
        #expect(await report(d).contains("[ESCALATED: report a theft or significant loss]"))

        // Resolution: two different people, a reason, and exactly the missing unit for a loss.
        let alone = await d.run(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "x", "--serials", "700040"]
                          + Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"])
        #expect(alone.code == 1 && alone.err.contains("same-person"))
        let noUnits = await d.run(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "not found"] + Self.pharmacist + Self.nurseWitness)
        #expect(noUnits.code == 1 && noUnits.err.contains("write-off-mismatch"), "\(noUnits.err)")
        #expect(await d.status()["discrepancies"] as? Int == 1)
        let resolved = await d.run(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "ampoule 700040 not found after search",
                              "--serials", "700040"] + Self.pharmacist + Self.nurseWitness)
        #expect(resolved.code == 0, "\(resolved.err)")
        s = await d.status()
        #expect(s["discrepancies"] as? Int == 0 && s["frozen"] is NSNull && s["alarm_output"] as? Bool == false)
        #expect(await buzzer(d) == 0)
        #expect(await level(d, 200) == 39)
        let text = await report(d)
        #expect(text.contains("diacetylmorphine/injectable/200: 40 = 39 + 0 - 0 + 0 + 1  ok"), "\(text)")
        #expect(!text.contains("OPEN DISCREPANCIES") && !text.contains("DOES NOT BALANCE"))
        // The freeze is lifted.
        await d.unlockForPatient1Async()
        #expect(await d.status()["lock"] as? String == "energised")
        #expect(await d.run(["audit", "verify"]).json["intact"] as? Bool == true)
    }

    @Test func overrideFromOpenThroughUseAndExpiryToReview() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        await d.sameClinicDay()
        // P-0003 has no heroin prescription: refused.
        await d.run(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"])
        await d.run(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        await d.run(["sim", "keys", "11#"])
        #expect(await d.refusalReasons().last?.contains("no-valid-prescription") == true)

        let open = await d.run(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "injectable",
                          "--dose-mg", "100", "--minutes", "30", "--reason", "prescription server down; Dr B ordered by phone",
                          "--staff", "S-04", "--pin", "4567"] + Self.nurseWitness)
        #expect(open.code == 0, "\(open.err)")
        let id = try #require(open.json["override"] as? String)
        var s = await d.status()
        let sounding = await buzzer(d)
        #expect(s["overrides"] as? Int == 1 && s["alarm_output"] as? Bool == true && sounding == 1)
        #expect(journal(d, "override").contains { $0.hasPrefix("dosecabd <alert>") && $0.contains("DOSECAB_OVERRIDE=\(id)")
                                                   && $0.contains("MESSAGE_ID=034ac2b66a6c4006a1e0715b0ff67607") })

        // It releases what it names, through the normal path; the ampoule is tracked to its return.
        await d.run(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        await d.run(["sim", "keys", "11#"])
        #expect(await d.status()["lock"] as? String == "energised")
        await d.run(["sim", "door", "open"])
        await d.run(["sim", "scan", "710001"])
        await d.run(["sim", "door", "close"])
        let release = (await d.run(["releases"]).json["releases"] as? [[String: Any]])?.last
        #expect(release?["patient"] as? String == "P-0003" && release?["prescription"] as? String == "\(id)@1" && release?["dose_mg"] as? Int == 100)
        let out = await d.run(["outstanding"]).json["units"] as? [[String: Any]] ?? []
        #expect(out.count == 1 && out.first?["unit"] as? String == "710001" && out.first?["patient"] as? String == "P-0003")
        await d.run(["sim", "return", "710001"])
        #expect((await d.run(["outstanding"]).json["units"] as? [Any])?.isEmpty == true)
        let listed = (await d.run(["override", "list"]).json["overrides"] as? [[String: Any]])?.first
        #expect(listed?["used_by"] as? String == release?["id"] as? String && listed?["usable"] as? Bool == false)

        // The window ends by itself: closed, alarm output off, still open on the report until reviewed.
        #expect(await d.run(["override", "review", id, "--note", "x", "--staff", "S-05", "--pin", "5678"]).err.contains("override-still-open"))
        await d.run(["sim", "advance", "31m"])
        s = await d.status()
        let silent = await buzzer(d)
        #expect(s["overrides"] as? Int == 0 && s["alarm_output"] as? Bool == false && silent == 0, "\(s)")
        #expect((await d.run(["override", "list"]).json["overrides"] as? [[String: Any]])?.first?["state"] as? String == "expired")
        #expect(journal(d, "override-closed").contains { $0.contains("DOSECAB_OVERRIDE=\(id)") })
        var text = await report(d)
        #expect(text.contains("BREAK-GLASS OVERRIDES OPEN UNTIL A SECOND ADMIN REVIEWS THEM") && text.contains(id))

        // Review: not by an admin who opened it, not by a non-admin; a second admin signs it off.
        let opener = await d.run(["override", "review", id, "--note", "ok", "--staff", "S-04", "--pin", "4567"])
        #expect(opener.code == 1 && opener.err.contains("reviewer-opened"), "\(opener.err)")
        let clinician = await d.run(["override", "review", id, "--note", "ok", "--staff", "S-02", "--pin", "2345"])
        #expect(clinician.code == 1 && clinician.err.contains("needs-admin"))
        let reviewed = await d.run(["override", "review", id, "--note", "phone order confirmed in writing", "--staff", "S-05", "--pin", "5678"])
        #expect(reviewed.code == 0, "\(reviewed.err)")
        text = await report(d)
        #expect(!text.contains("BREAK-GLASS OVERRIDES OPEN UNTIL"))
        #expect(text.contains("override-reviewed"))
        #expect(journal(d, "override-reviewed").contains { $0.contains("DOSECAB_STAFF=S-05") })
        #expect(await d.run(["audit", "verify"]).json["intact"] as? Bool == true)
    }

    @Test func overrideByOnePersonOrByNonAdminsIsRefusedAndChangesNothing() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        func open(_ who: [String], minutes: String = "30", asUID: Int? = nil) async -> SimDaemon.Result {
            await d.run(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "injectable",
                   "--dose-mg", "100", "--minutes", minutes, "--reason", "rx down"] + who, asUID: asUID)
        }
        let alone = await open(["--staff", "S-04", "--pin", "4567", "--witness", "S-04", "--witness-pin", "4567"])
        #expect(alone.code == 1 && alone.err.contains("same-person"), "\(alone.err)")
        let nonAdmins = await open(["--staff", "S-01", "--pin", "1234", "--witness", "S-02", "--witness-pin", "2345"])
        #expect(nonAdmins.code == 1 && nonAdmins.err.contains("needs-admin"), "\(nonAdmins.err)")
        let wrongPIN = await open(["--staff", "S-04", "--pin", "0000"] + Self.nurseWitness)
        #expect(wrongPIN.code == 1 && wrongPIN.err.contains("wrong PIN"))
        let tooLong = await open(["--staff", "S-04", "--pin", "4567"] + Self.nurseWitness, minutes: "61")
        #expect(tooLong.code == 1 && tooLong.err.contains("override-window"))
        let unix = await open(["--staff", "S-04", "--pin", "4567"] + Self.nurseWitness, asUID: 65534)
        #expect(unix.code == 77, "\(unix.err)")
        let s = await d.status()
        let off = await buzzer(d)
        #expect(s["overrides"] as? Int == 0 && s["alarm_output"] as? Bool == false && off == 0)
        #expect((await d.run(["override", "list", "--all"]).json["overrides"] as? [Any])?.isEmpty == true)
        let all = await events(d)
        #expect(!all.contains { ($0["event"] as? String)?.hasPrefix("override") == true })
        // And it releases nothing: P-0003 still has no heroin.
        await d.run(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"])
        await d.run(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        await d.run(["sim", "keys", "11#"])
        #expect(await d.refusalReasons().last?.contains("no-valid-prescription") == true)
        #expect(await d.status()["lock"] as? String == "locked")
    }
}
