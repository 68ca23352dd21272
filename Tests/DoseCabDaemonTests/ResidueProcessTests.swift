import DoseCabCore
import Foundation
import Testing

/// ARCHITECTURE §4a "Units match the release" through the real socket: `dosecabd --simulate` and
/// `dosecabctl`. A dose smaller than the units drawn leaves residue, wasted with a witness before
/// the witnessed close-out. Part of `ProcessTests`, so it runs serialized with them.
extension ProcessTests {
    @Test func residueIsWastedWithAWitnessBeforeTheWitnessedCloseOut() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        // 150 mg inhalable heroin from the demo's 100 mg portions: two drawn, 50 mg residue, closed
        // out by a witness. P-0003 has no heroin prescription: a break-glass override stands in
        // for one (it replaces the prescription check only).
        let open = await d.run(["override", "open", "--patient", "P-0003", "--drug", "diacetylmorphine", "--route", "inhalable",
                                "--dose-mg", "150", "--minutes", "30", "--reason", "prescription server down; Dr B ordered by phone",
                                "--staff", "S-04", "--pin", "4567"] + Self.nurseWitness)
        #expect(open.code == 0, "\(open.err)")
        await d.run(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"])
        await d.run(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        await d.run(["sim", "keys", "11#"])
        #expect(await d.status()["lock"] as? String == "energised")
        await d.run(["sim", "door", "open"])
        await d.run(["sim", "scan", "720001"])
        await d.run(["sim", "scan", "720002"])
        await d.run(["sim", "door", "close"])
        let release = try #require((await d.run(["releases"]).json["releases"] as? [[String: Any]])?.last?["id"] as? String)
        #expect(await d.status()["residue_owed"] as? Int == 1)

        // The witnessed close-out is refused with its reason and the command that clears it,
        // audited like every refusal; the unit stays open.
        let refused = await d.run(["confirm", "720001", "--staff", "S-01", "--pin", "1234"])
        #expect(refused.code == 1 && refused.err.contains("residue-not-wasted")
                && refused.err.contains("dosecabctl stock waste --release \(release) --mg 50 --reason residue"), "\(refused.err)")
        #expect(await d.refusalReasons().last == "residue-not-wasted")
        #expect(journal(d, "refusal").contains { $0.contains("DOSECAB_REASON=residue-not-wasted") })
        #expect((await d.run(["outstanding"]).json["units"] as? [Any])?.count == 2)
        // The register names it.
        #expect(await report(d).contains("release \(release)  P-0003  diacetylmorphine  50 mg owed"))

        // More than is owed: refused, nothing recorded.
        let over = await d.run(["stock", "waste", "--release", release, "--mg", "80", "--reason", "residue"] + Self.pharmacist + Self.nurseWitness)
        #expect(over.code == 1 && over.err.contains("bad-quantity") && over.err.contains("owes 50 mg residue; 80 mg given"), "\(over.err)")
        #expect(journal(d, "waste").isEmpty)

        // Wasted by two people: the close-out follows.
        let waste = await d.run(["stock", "waste", "--release", release, "--mg", "50", "--reason", "residue", "--note", "left in the foil"]
                                + Self.pharmacist + Self.nurseWitness)
        #expect(waste.code == 0 && waste.json["wasted_mg"] as? Int == 50, "\(waste.err)")
        #expect(await d.status()["residue_owed"] as? Int == 0)
        for unit in ["720001", "720002"] {
            let confirmed = await d.run(["confirm", unit, "--staff", "S-01", "--pin", "1234"])
            #expect(confirmed.code == 0, "\(unit): \(confirmed.err)")
        }
        #expect((await d.run(["outstanding"]).json["units"] as? [Any])?.isEmpty == true)
        #expect(!(await report(d).contains("RESIDUE NOT YET WASTED")))
        #expect(await d.run(["audit", "verify"]).json["intact"] as? Bool == true)
    }
}
