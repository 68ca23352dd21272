import DoseCabCore
@testable import DoseCabStore
import Foundation
import Testing

@Suite struct ReportTests {
    /// A day with a returned ampoule, one not returned in time, a witnessed methadone cup, residue
    /// wasted and an anomaly.
    func day() throws -> Fixture {
        let f = try Fixture()
        try f.seed()
        let r = ReleaseID("R-1"), m = ReleaseID("R-2")
        try f.store.commit(.releaseIntent(r, f.plan(dose: 150, at: f.at(minutes: 10))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 11))))
        try f.store.commit(.issue(f.unit(f.ampoule(2), release: r, at: f.at(minutes: 11))))
        try f.store.commit(.waste(release: r, serial: f.ampoule(2), mg: 50, by: f.nurse, witness: f.clinician, reason: "residue", at: f.at(minutes: 12)))
        try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "door closed", at: f.at(minutes: 12)))
        try f.store.commit(.unitReturned(f.ampoule(1), release: r, patient: f.patient, at: f.at(minutes: 30)))
        try f.store.commit(.anomaly(.unknownSerial, serial: UnitSerial("Z-1"), patient: f.patient, detail: "scanned at the return chute", at: f.at(minutes: 31)))
        try f.store.commit(.unitIncident(f.ampoule(2), release: r, patient: f.patient, reason: "not returned within 60 min", at: f.at(minutes: 72)))
        try f.store.commit(.releaseIntent(m, f.plan(f.other, drug: .methadone, route: .oral, dose: 50, strength: 50, count: 1, at: f.at(minutes: 80))))
        try f.store.commit(.issue(f.unit(f.cup(1), release: m, patient: f.other, drug: .methadone, route: .oral, strength: 50, at: f.at(minutes: 81))))
        try f.store.commit(.releaseCompleted(m, patient: f.other, unitsIssued: 1, unitsExpected: 1, outcome: "door closed", at: f.at(minutes: 82)))
        try f.store.commit(.unitConsumed(f.cup(1), release: m, patient: f.other, witness: f.clinician, at: f.at(minutes: 85)))
        return f
    }

    @Test func theDailyRegisterListsEveryEventOfTheDayInOrder() throws {
        let f = try day()
        let register = try f.store.dailyRegister(day: f.day)
        #expect(register.date == "2026-03-02")
        #expect(register.entries.map(\.event) == [
            "receipt", "receipt",
            "release", "issue", "issue", "waste", "release-completed", "returned", "anomaly", "incident",
            "release", "issue", "release-completed", "consumed",
        ])
        // The seed's receipt: one per kind, with batch and expiry, staff and witness.
        #expect(register.entries[0].drug == "diacetylmorphine" && register.entries[0].unitStrengthMg == 100
                && register.entries[0].detail == "10 unit(s), batch B-1, expiry 2099-12-31"
                && register.entries[0].staff == "S-01" && register.entries[0].witness == "S-02")
        let release = register.entries[2]
        #expect(release.patient == "P-0001" && release.drug == "diacetylmorphine" && release.route == "injectable"
                && release.doseMg == 150 && release.staff == "S-01" && release.witness == "S-01")
        #expect(register.entries[3].unit == "A-101" && register.entries[3].time == "08:11:00")
        #expect(register.entries[13].witness == "S-02")
        #expect(register.entries.map(\.auditSeq) == register.entries.map(\.auditSeq).sorted())
        #expect(register.chainHead == (try f.store.chainHead()))
        #expect(register.chainHeadAtEndOfDay == (try f.store.chainHead()))
        // Nothing from another day.
        #expect(try f.store.dailyRegister(day: f.day + 1).entries.isEmpty)

        let text = register.render(format: .text)
        #expect(text.contains("Controlled-drug register, 2026-03-02"))
        #expect(text.contains(register.chainHead.lastHash))
        #expect(text.contains("diacetylmorphine: 2 = 1 + 0 + 0 + 1  ok"))
        let csv = register.render(format: .csv)
        let rows = csv.split(separator: "\r\n")
        #expect(rows.first == "date,time,event,release,patient,drug,route,dose_mg,unit,unit_strength_mg,staff,witness,detail,audit_seq")
        // Entries, the two chain heads, and one stock-balance row per kind.
        #expect(rows.count == 1 + 14 + 2 + 2)
        #expect(text.contains("diacetylmorphine/injectable/100: 10 = 8 + 2 - 0 + 0 + 0  ok"))
        #expect(register.stockBalances)
        #expect(csv.contains("\"unknown-serial: scanned at the return chute\"") == false)  // no comma: not quoted
        let json = register.render(format: .json)
        let decoded = try JSONDecoder().decode(DailyRegister.self, from: Data(json.utf8))
        #expect(decoded == register)
    }

    @Test func reconciliationBalancesPerDrug() throws {
        let f = try day()
        let lines = try f.store.reconciliation(day: f.day)
        var dam = Reconciliation(); dam.issued = 2; dam.returned = 1; dam.incidents = 1
        var methadone = Reconciliation(); methadone.issued = 1; methadone.consumed = 1
        #expect(lines == [.diacetylmorphine: dam, .methadone: methadone])
        let report = try f.store.reconciliationReport(day: f.day)
        #expect(report.balances)
        #expect(report.render(format: .csv).contains("2026-03-02,methadone,1,0,1,0,0,yes"))
        #expect(report.render(format: .json).contains("\"consumed\" : 1"))
        // The core's ledger built from the store agrees.
        let ledger = try f.store.unitLedger(day: f.day)
        #expect(ledger.isConsistent)
        #expect(ledger.reconcile(day: f.day, drug: .diacetylmorphine) == dam)
    }

    @Test func csvQuotesFieldsThatNeedIt() {
        #expect(ReportText.csv([["a,b", "say \"hi\"", "plain"]]) == "\"a,b\",\"say \"\"hi\"\"\",plain\r\n")
    }
}
