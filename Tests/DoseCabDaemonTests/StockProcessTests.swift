import DoseCabCore
import Foundation
import Testing

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

    func today(_ d: SimDaemon) -> Int64 { parseDay(String((d.status()["now"] as? String ?? "").prefix(10)))! }
    func buzzer(_ d: SimDaemon) -> Int? { d.ctl(["sim", "line", "buzzer", "0"]).json["value"] as? Int }
    func events(_ d: SimDaemon) -> [[String: Any]] {
        d.ctl(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
    }
    func journal(_ d: SimDaemon, _ event: String) -> [String] { d.journalLines().filter { $0.contains("DOSECAB_EVENT=\(event) ") } }
    func level(_ d: SimDaemon, _ mg: Int, route: String = "injectable") -> Int? {
        let levels = d.ctl(["stock", "list"]).json["levels"] as? [[String: Any]] ?? []
        return levels.first { $0["strength_mg"] as? Int == mg && $0["route"] as? String == route }?["count"] as? Int
    }
    func report(_ d: SimDaemon) -> String { d.ctl(["report", "daily"]).json["report"] as? String ?? "" }

    @Test func witnessedReceiptAndWaste() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let cal = ClinicCalendar()
        let expiry = cal.dateString(day: today(d) + 200), yesterday = cal.dateString(day: today(d) - 1)
        func receive(_ who: [String], expiry: String, serials: [String] = ["900001", "900002"]) -> SimDaemon.Result {
            d.ctl(["stock", "receive", "--drug", "diacetylmorphine", "--route", "injectable", "--strength-mg", "500",
                   "--batch", "LOT-42", "--expiry", expiry, "--serials"] + serials + who)
        }
        // One person twice, or expired stock: refused, nothing loaded.
        let alone = receive(Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"], expiry: expiry)
        #expect(alone.code == 1 && alone.err.contains("same-person"), "\(alone.err)")
        let expired = receive(Self.pharmacist + Self.nurseWitness, expiry: yesterday)
        #expect(expired.code == 1 && expired.err.contains("expired"), "\(expired.err)")
        let wrongPIN = receive(Self.pharmacist + ["--witness", "S-01", "--witness-pin", "9999"], expiry: expiry)
        #expect(wrongPIN.code == 1 && wrongPIN.err.contains("wrong PIN"))
        #expect(level(d, 500) == nil)

        let ok = receive(Self.pharmacist + Self.nurseWitness, expiry: expiry)
        #expect(ok.code == 0 && ok.json["added"] as? Int == 2, "\(ok.err)")
        #expect(level(d, 500) == 2)
        let units = d.ctl(["stock", "list", "--units"]).json["units"] as? [[String: Any]] ?? []
        let loaded = units.first { $0["serial"] as? String == "900001" }
        #expect(loaded?["batch"] as? String == "LOT-42" && loaded?["expiry"] as? String == expiry && loaded?["releasable"] as? Bool == true)
        let receipt = events(d).last { $0["event"] as? String == "receipt" }
        let fields = receipt?["fields"] as? [String: Any]
        #expect(fields?["staff"] as? String == "S-03" && fields?["witness"] as? String == "S-01" && (fields?["units"] as? String) == "900001,900002")
        #expect(journal(d, "receipt").contains { $0.contains("MESSAGE_ID=1fcff7f8bb13430caadad2abbbd30c5b") && $0.contains("DOSECAB_WITNESS=S-01") })

        // Waste: who, witness, what, how much and why; the unit leaves stock.
        let sameWitness = d.ctl(["stock", "waste", "900001", "--reason", "broken"] + Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"])
        #expect(sameWitness.code == 1 && level(d, 500) == 2)
        let badReason = d.ctl(["stock", "waste", "900001", "--reason", "lost-it"] + Self.pharmacist + Self.nurseWitness)
        #expect(badReason.code == 1 && badReason.err.contains("reason must be one of"))
        let waste = d.ctl(["stock", "waste", "900001", "--reason", "broken", "--note", "dropped while loading"] + Self.pharmacist + Self.nurseWitness)
        #expect(waste.code == 0 && waste.json["wasted_mg"] as? Int == 500, "\(waste.err)")
        #expect(level(d, 500) == 1)
        #expect(d.ctl(["stock", "waste", "900001", "--reason", "broken"] + Self.pharmacist + Self.nurseWitness).code == 1, "wasted twice")
        let line = journal(d, "waste").first
        #expect(line?.contains("DOSECAB_AMPOULE=900001") == true && line?.contains("DOSECAB_STAFF=S-03") == true
                && line?.contains("DOSECAB_WITNESS=S-01") == true && line?.contains("broken: dropped while loading") == true, "\(line ?? "")")
        let text = report(d)
        #expect(text.contains("receipt") && text.contains("batch LOT-42"))
        #expect(text.contains("diacetylmorphine/injectable/500: 2 = 1 + 0 - 0 + 1 + 0  ok"), "\(text)")
        #expect(!text.contains("DOES NOT BALANCE"))
    }

    @Test func blindCountThatMatches() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let start = d.ctl(["count", "start"] + Self.pharmacist + Self.nurseWitness)
        #expect(start.code == 0, "\(start.err)")
        let id = try #require(start.json["count"] as? String)
        #expect((start.json["kinds"] as? [String])?.count == 4)
        // Blind: neither the start nor the status shows a figure.
        let status = d.ctl(["count", "status"])
        for out in [start.out, status.out] { #expect(!out.contains("expected") && !out.contains("\"40\"") && !out.contains(": 40")) }
        #expect((status.json["open"] as? [String: Any])?["count"] as? String == id)
        // Entered by someone who did not count, or incomplete: refused, the count stays open.
        let other = d.ctl(["count", "enter", id] + Self.fullCount + ["--staff", "S-02", "--pin", "2345"] + Self.nurseWitness)
        #expect(other.code == 1 && other.err.contains("not-the-counters"), "\(other.err)")
        let partial = d.ctl(["count", "enter", id, "--count", "methadone/oral/20=60"] + Self.pharmacist + Self.nurseWitness)
        #expect(partial.code == 1 && partial.err.contains("count-incomplete"))
        let entered = d.ctl(["count", "enter", id] + Self.fullCount + ["--staff", "S-01", "--pin", "1234", "--witness", "S-03", "--witness-pin", "3456"])
        #expect(entered.code == 0 && entered.json["matched"] as? Bool == true, "\(entered.err)")
        #expect((entered.json["discrepancies"] as? [Any])?.isEmpty == true)
        let s = d.status()
        #expect(s["count"] as? String == "ok" && s["discrepancies"] as? Int == 0 && s["frozen"] is NSNull)
        #expect((d.ctl(["count", "status"]).json["last"] as? [String: Any])?["matched"] as? Bool == true)
        #expect(journal(d, "count").contains { $0.contains("DOSECAB_STATE=matched") && $0.contains("MESSAGE_ID=a4bc241b346e4e50ad36a5bf500fe691") })
        #expect(report(d).contains("count-matched"))
    }

    @Test func blindCountMismatchFreezesEscalatesAndTwoPeopleResolveIt() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let id = try #require(d.ctl(["count", "start"] + Self.pharmacist + Self.nurseWitness).json["count"] as? String)
        var figures = Self.fullCount
        figures[figures.firstIndex(of: "diacetylmorphine/injectable/200=40")!] = "diacetylmorphine/injectable/200=39"
        let entered = d.ctl(["count", "enter", id] + figures + Self.pharmacist + Self.nurseWitness)
        #expect(entered.code == 0 && entered.json["matched"] as? Bool == false, "\(entered.err)")
        let discrepancy = try #require((entered.json["discrepancies"] as? [String])?.first)
        var s = d.status()
        #expect(s["discrepancies"] as? Int == 1 && s["frozen"] as? [String] == ["diacetylmorphine"])
        #expect(journal(d, "discrepancy").contains { $0.hasPrefix("dosecabd <err>") && $0.contains("DOSECAB_DISCREPANCY=\(discrepancy)") })

        // The frozen drug is refused with its reason; another drug is not frozen (scope: drug).
        d.unlockForPatient1()
        #expect(d.refusals().last?.contains("discrepancy-freeze") == true)
        #expect(d.status()["lock"] as? String == "locked")
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "1#"])
        #expect(d.status()["lock"] as? String == "energised", "methadone is not frozen by a heroin discrepancy")
        d.ctl(["sim", "advance", "30s"])  // the unlock window lapses unused

        // Unresolved at the end of the next business day: escalation, alarm output, report mark.
        let listed = (d.ctl(["discrepancy", "list"]).json["discrepancies"] as? [[String: Any]])?.first
        let due = try #require(listed?["escalates_in_s"] as? Int)
        #expect(due > 0 && listed?["escalated"] as? Bool == false)
        d.ctl(["sim", "advance", "\(max(0, due - 120))s"])
        s = d.status()
        #expect(s["escalated"] as? Int == 0 && s["alarm_output"] as? Bool == false && buzzer(d) == 0)
        d.ctl(["sim", "advance", "180s"])
        s = d.status()
        #expect(s["escalated"] as? Int == 1 && s["alarm_output"] as? Bool == true, "\(s)")
        #expect(buzzer(d) == 1)
        #expect(journal(d, "escalation").contains { $0.hasPrefix("dosecabd <alert>") && $0.contains("MESSAGE_ID=d63a64f87fd447cdb9b337589fad5086") })
        #expect(report(d).contains("[ESCALATED: report a theft or significant loss]"))

        // Resolution: two different people, a reason, and exactly the missing unit for a loss.
        let alone = d.ctl(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "x", "--serials", "700040"]
                          + Self.pharmacist + ["--witness", "S-03", "--witness-pin", "3456"])
        #expect(alone.code == 1 && alone.err.contains("same-person"))
        let noUnits = d.ctl(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "not found"] + Self.pharmacist + Self.nurseWitness)
        #expect(noUnits.code == 1 && noUnits.err.contains("write-off-mismatch"), "\(noUnits.err)")
        #expect(d.status()["discrepancies"] as? Int == 1)
        let resolved = d.ctl(["discrepancy", "resolve", discrepancy, "--resolution", "loss", "--note", "ampoule 700040 not found after search",
                              "--serials", "700040"] + Self.pharmacist + Self.nurseWitness)
        #expect(resolved.code == 0, "\(resolved.err)")
        s = d.status()
        #expect(s["discrepancies"] as? Int == 0 && s["frozen"] is NSNull && s["alarm_output"] as? Bool == false)
        #expect(buzzer(d) == 0)
        #expect(level(d, 200) == 39)
        let text = report(d)
        #expect(text.contains("diacetylmorphine/injectable/200: 40 = 39 + 0 - 0 + 0 + 1  ok"), "\(text)")
        #expect(!text.contains("OPEN DISCREPANCIES") && !text.contains("DOES NOT BALANCE"))
        // The freeze is lifted.
        d.unlockForPatient1()
        #expect(d.status()["lock"] as? String == "energised")
        #expect(d.ctl(["audit", "verify"]).json["intact"] as? Bool == true)
    }

    @Test func overrideFromOpenThroughUseAndExpiryToReview() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        // P-0003 has no heroin prescription: refused.
        d.nurse()
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "11#"])
        #expect(d.refusals().last?.contains("no-valid-prescription") == true)

        let open = d.ctl(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "injectable",
                          "--dose-mg", "100", "--minutes", "30", "--reason", "prescription server down; Dr B ordered by phone",
                          "--staff", "S-04", "--pin", "4567"] + Self.nurseWitness)
        #expect(open.code == 0, "\(open.err)")
        let id = try #require(open.json["override"] as? String)
        var s = d.status()
        #expect(s["overrides"] as? Int == 1 && s["alarm_output"] as? Bool == true && buzzer(d) == 1)
        #expect(journal(d, "override").contains { $0.hasPrefix("dosecabd <alert>") && $0.contains("DOSECAB_OVERRIDE=\(id)")
                                                   && $0.contains("MESSAGE_ID=034ac2b66a6c4006a1e0715b0ff67607") })

        // It releases what it names, through the normal path; the ampoule is tracked to its return.
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "11#"])
        #expect(d.status()["lock"] as? String == "energised")
        d.ctl(["sim", "door", "open"])
        d.ctl(["sim", "scan", "710001"])
        d.ctl(["sim", "door", "close"])
        let release = (d.ctl(["releases"]).json["releases"] as? [[String: Any]])?.last
        #expect(release?["patient"] as? String == "P-0003" && release?["prescription"] as? String == "\(id)@1" && release?["dose_mg"] as? Int == 100)
        let out = d.ctl(["outstanding"]).json["units"] as? [[String: Any]] ?? []
        #expect(out.count == 1 && out.first?["unit"] as? String == "710001" && out.first?["patient"] as? String == "P-0003")
        d.ctl(["sim", "return", "710001"])
        #expect((d.ctl(["outstanding"]).json["units"] as? [Any])?.isEmpty == true)
        let listed = (d.ctl(["override", "list"]).json["overrides"] as? [[String: Any]])?.first
        #expect(listed?["used_by"] as? String == release?["id"] as? String && listed?["usable"] as? Bool == false)

        // The window ends by itself: closed, alarm output off, still open on the report until reviewed.
        #expect(d.ctl(["override", "review", id, "--note", "x", "--staff", "S-05", "--pin", "5678"]).err.contains("override-still-open"))
        d.ctl(["sim", "advance", "31m"])
        s = d.status()
        #expect(s["overrides"] as? Int == 0 && s["alarm_output"] as? Bool == false && buzzer(d) == 0, "\(s)")
        #expect((d.ctl(["override", "list"]).json["overrides"] as? [[String: Any]])?.first?["state"] as? String == "expired")
        #expect(journal(d, "override-closed").contains { $0.contains("DOSECAB_OVERRIDE=\(id)") })
        var text = report(d)
        #expect(text.contains("BREAK-GLASS OVERRIDES OPEN UNTIL A SECOND ADMIN REVIEWS THEM") && text.contains(id))

        // Review: not by an admin who opened it, not by a non-admin; a second admin signs it off.
        let opener = d.ctl(["override", "review", id, "--note", "ok", "--staff", "S-04", "--pin", "4567"])
        #expect(opener.code == 1 && opener.err.contains("reviewer-opened"), "\(opener.err)")
        let clinician = d.ctl(["override", "review", id, "--note", "ok", "--staff", "S-02", "--pin", "2345"])
        #expect(clinician.code == 1 && clinician.err.contains("needs-admin"))
        let reviewed = d.ctl(["override", "review", id, "--note", "phone order confirmed in writing", "--staff", "S-05", "--pin", "5678"])
        #expect(reviewed.code == 0, "\(reviewed.err)")
        text = report(d)
        #expect(!text.contains("BREAK-GLASS OVERRIDES OPEN UNTIL"))
        #expect(text.contains("override-reviewed"))
        #expect(journal(d, "override-reviewed").contains { $0.contains("DOSECAB_STAFF=S-05") })
        #expect(d.ctl(["audit", "verify"]).json["intact"] as? Bool == true)
    }

    @Test func overrideByOnePersonOrByNonAdminsIsRefusedAndChangesNothing() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        func open(_ who: [String], minutes: String = "30", asUID: Int? = nil) -> SimDaemon.Result {
            d.ctl(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "injectable",
                   "--dose-mg", "100", "--minutes", minutes, "--reason", "rx down"] + who, asUID: asUID)
        }
        let alone = open(["--staff", "S-04", "--pin", "4567", "--witness", "S-04", "--witness-pin", "4567"])
        #expect(alone.code == 1 && alone.err.contains("same-person"), "\(alone.err)")
        let nonAdmins = open(["--staff", "S-01", "--pin", "1234", "--witness", "S-02", "--witness-pin", "2345"])
        #expect(nonAdmins.code == 1 && nonAdmins.err.contains("needs-admin"), "\(nonAdmins.err)")
        let wrongPIN = open(["--staff", "S-04", "--pin", "0000"] + Self.nurseWitness)
        #expect(wrongPIN.code == 1 && wrongPIN.err.contains("wrong PIN"))
        let tooLong = open(["--staff", "S-04", "--pin", "4567"] + Self.nurseWitness, minutes: "61")
        #expect(tooLong.code == 1 && tooLong.err.contains("override-window"))
        let unix = open(["--staff", "S-04", "--pin", "4567"] + Self.nurseWitness, asUID: 65534)
        #expect(unix.code == 77, "\(unix.err)")
        let s = d.status()
        #expect(s["overrides"] as? Int == 0 && s["alarm_output"] as? Bool == false && buzzer(d) == 0)
        #expect((d.ctl(["override", "list", "--all"]).json["overrides"] as? [Any])?.isEmpty == true)
        #expect(!events(d).contains { ($0["event"] as? String)?.hasPrefix("override") == true })
        // And it releases nothing: P-0003 still has no heroin.
        d.nurse()
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "11#"])
        #expect(d.refusals().last?.contains("no-valid-prescription") == true)
        #expect(d.status()["lock"] as? String == "locked")
    }
}
