import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Residue in the store (ARCHITECTURE §4a): a `residue` waste never exceeds what its release owes,
/// and the daily register names every release that still owes residue until it is wasted.
@Suite struct ResidueStoreTests {
    let r = ReleaseID("R-1")

    /// 150 mg heroin from two 100 mg ampoules: 50 mg residue, both units issued, release complete.
    func released() throws -> Fixture {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.releaseIntent(r, f.plan(dose: 150, at: f.at(minutes: 10))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 11))))
        try f.store.commit(.issue(f.unit(f.ampoule(2), release: r, at: f.at(minutes: 11))))
        try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "complete", at: f.at(minutes: 12)))
        return f
    }

    func waste(_ f: Fixture, _ mg: Int, _ reason: String = "residue", minutes: Int64 = 13) throws {
        try f.store.commit(.waste(release: r, serial: nil, mg: mg, by: f.nurse, witness: f.clinician, reason: reason, at: f.at(minutes: minutes)))
    }

    @Test func aResidueWasteAboveWhatIsOwedIsRefusedAndWritesNothing() throws {
        let f = try released()
        #expect(try f.store.residueAccount(release: r)?.owedMg == 50)
        let before = try f.snapshot()
        let error = storeError { try waste(f, 80) }
        guard case .stockRefused(let refused) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(refused.refusals == [Refusal(.badQuantity, "release R-1 owes 50 mg residue; 80 mg given")])
        #expect(try f.snapshot() == before)

        // Part, then the rest; then nothing more.
        try waste(f, 30, "residue: first cup")
        #expect(try f.store.residueAccount(release: r)?.owedMg == 20)
        let again = storeError { try waste(f, 30) }
        guard case .stockRefused(let second) = again else { Issue.record("\(String(describing: again))"); return }
        #expect(second.description.contains("owes 20 mg residue; 30 mg given"))
        try waste(f, 20)
        #expect(try f.store.residueAccount(release: r)?.owedMg == 0)
        #expect(storeError { try waste(f, 1) } != nil)
        // Residue names its release: a residue waste without one is refused too.
        #expect(storeError { try f.store.commit(.waste(release: nil, serial: nil, mg: 10, by: f.nurse, witness: f.clinician,
                                                       reason: "residue", at: f.at(minutes: 14))) } != nil)
    }

    @Test func aDoseDrawnButNotGivenIsNotResidue() throws {
        let f = try released()
        try waste(f, 150, "not-given: patient left")
        #expect(try f.store.residueOwed().map(\.owedMg) == [50])
        #expect(try f.store.residueAccount(release: r)?.wastedMg == 0)
    }

    @Test func theRegisterListsOpenResidueUntilItIsWasted() throws {
        let f = try released()
        // A release whose window lapsed drew nothing: it owes nothing, though its plan had residue.
        try f.store.commit(.releaseIntent(ReleaseID("R-2"), f.plan(dose: 150, at: f.at(minutes: 20))))
        try f.store.commit(.releaseCompleted(ReleaseID("R-2"), patient: f.patient, unitsIssued: 0, unitsExpected: 2,
                                             outcome: "unlock window expired, door not opened", at: f.at(minutes: 21)))
        var register = try f.store.dailyRegister(day: f.day)
        #expect(register.openResidue.map(\.release) == [r])
        let open = try #require(register.openResidue.first)
        #expect(open.patient == f.patient && open.drug == .diacetylmorphine && open.owedMg == 50)
        let text = register.render(format: .text, calendar: f.calendar)
        #expect(text.contains("RESIDUE NOT YET WASTED"))
        #expect(text.contains("release R-1  P-0001  diacetylmorphine  50 mg owed (residue 50 mg, wasted 0 mg): dosecabctl stock waste --release R-1 --mg 50 --reason residue"), "\(text)")
        #expect(register.render(format: .csv, calendar: f.calendar).contains(",residue-owed,R-1,P-0001,diacetylmorphine,,50,"))
        #expect(register.render(format: .json, calendar: f.calendar).contains("\"openResidue\""))
        // Every later day's register lists it too, until it is wasted: an open residue is never silent.
        #expect(try f.store.dailyRegister(day: f.day + 3).openResidue.map(\.release) == [r])

        try waste(f, 50)
        register = try f.store.dailyRegister(day: f.day)
        #expect(register.openResidue.isEmpty)
        #expect(!register.render(format: .text, calendar: f.calendar).contains("RESIDUE NOT YET WASTED"))
        #expect(!register.render(format: .csv, calendar: f.calendar).contains("residue-owed"))
        // Reopened (a restart): the figure comes from the tables, not from memory.
        try f.reopen()
        #expect(try f.store.residueOwed().isEmpty)
    }

    @Test func anOpenResidueRecordIsAuditedForAKnownReleaseOnly() throws {
        let f = try released()
        let account = try #require(try f.store.residueAccount(release: r))
        let record = try f.store.commit(.residueOutstanding(account, lastUnit: f.ampoule(2), at: f.at(minutes: 40)))
        #expect(record.event.kind == .residueOutstanding && record.event.fields["residue_mg"] == "50")
        var unknown = account
        unknown.release = ReleaseID("R-404")
        #expect(storeError { try f.store.commit(.residueOutstanding(unknown, lastUnit: f.ampoule(2), at: f.at(minutes: 41))) } != nil)
    }

    /// Migration v4 carries residue wasted before it over from the waste register, and only residue.
    @Test func theMigrationCarriesOverResidueWastedBefore() throws {
        let f = try released()
        try waste(f, 20, "residue: first cup")
        try waste(f, 100, "not-given")
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE dose_release SET residue_wasted_mg = 0")
            try db.execute(sql: Schema.v4CarryOver)
        }
        #expect(try f.store.residueAccount(release: r)?.wastedMg == 20)
        #expect(try f.store.residueOwed().map(\.owedMg) == [30])
    }
}
