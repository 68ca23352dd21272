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
}
