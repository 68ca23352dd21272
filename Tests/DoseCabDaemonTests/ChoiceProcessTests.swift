import Foundation
import Testing

/// Issue 17 through the real interfaces: `dosecabd --simulate` driven by `dosecabctl`.
@Suite(.serialized) struct ChoiceProcessTests {
    /// P-0004 has injectable heroin 200 mg, inhalable heroin 300 mg and methadone in force: the
    /// counter lists each with its key, and the injectable one is released by its key.
    @Test func theCounterOffersEachDoseInForceAndReleasesTheOneChosen() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        d.nurse()
        let card = d.ctl(["sim", "card", "counter", "2004", "--facility", "20", "--pin", "4444"])
        let shown = (card.json["feedback"] as? [String] ?? []).joined(separator: "\n")
        #expect(shown.contains("111# diacetylmorphine injectable 200 mg"), "\(shown)")
        #expect(shown.contains("112# diacetylmorphine inhalable 300 mg"), "\(shown)")
        #expect(shown.contains("12# methadone oral 60 mg"), "\(shown)")
        let counter = (d.status()["counter"] as? [String] ?? []).joined(separator: "\n")
        #expect(counter.contains("111#") && counter.contains("112#"))
        // 11# is ambiguous here: asked again, nothing decided.
        d.ctl(["sim", "keys", "11#"])
        #expect(d.refusals().isEmpty)
        #expect(d.status()["lock"] as? String == "locked")
        d.ctl(["sim", "keys", "111#"])
        #expect(d.status()["lock"] as? String == "energised")
        let releases = d.ctl(["releases"]).json["releases"] as? [[String: Any]] ?? []
        #expect(releases.count == 1)
        #expect(releases.first?["prescription"] as? String == "RX-0004-INJ@1" && releases.first?["route"] as? String == "injectable")
    }

    /// The daily register over the socket lists a refusal (reason code, patient, staff) and the
    /// hold placed and cleared, beside releases and returns.
    @Test func theDailyRegisterListsARefusalAndAHoldCleared() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        d.sameClinicDay()
        d.unlockForPatient1()
        d.ctl(["sim", "door", "open"])
        d.ctl(["sim", "scan", "700002"])
        d.ctl(["sim", "door", "close"])
        d.ctl(["sim", "advance", "61m"])
        // Refused: on hold (and not an hour since the dose).
        d.unlockForPatient1()
        #expect(d.refusals().last?.contains("hold") == true)
        let ok = d.ctl(["hold", "clear", "P-0001", "--reason", "=broken ampoule found in chute", "--staff", "S-02", "--pin", "2345"])
        #expect(ok.code == 0, "\(ok.err)")

        // `--json` (added by `ctl`) with the register itself in JSON.
        let report = d.ctl(["report", "daily", "--format", "json"])
        #expect(report.code == 0, "\(report.err)")
        let text = try #require(report.json["report"] as? String)
        let register = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let entries = register["entries"] as? [[String: Any]] ?? []
        func first(_ event: String) -> [String: Any]? { entries.first { $0["event"] as? String == event } }
        #expect(first("release") != nil && first("issue") != nil)
        let refusal = try #require(entries.last { $0["event"] as? String == "refusal" }, "\(entries.map { $0["event"] ?? "" })")
        #expect((refusal["reason"] as? String)?.contains("hold") == true)
        #expect(refusal["patient"] as? String == "P-0001" && refusal["staff"] as? String == "S-01")
        #expect((refusal["time"] as? String)?.count == 8)
        let hold = try #require(first("hold"))
        #expect(hold["patient"] as? String == "P-0001")
        let cleared = try #require(first("hold-cleared"))
        #expect(cleared["patient"] as? String == "P-0001" && cleared["staff"] as? String == "S-02")
        #expect((cleared["detail"] as? String)?.contains("broken ampoule") == true)
        // CSV: the clinician's reason cannot run as a formula.
        let csv = d.ctl(["report", "daily", "--format", "csv"]).json["report"] as? String ?? ""
        #expect(csv.contains("'=broken ampoule") && !csv.contains(",=broken"))
    }
}
