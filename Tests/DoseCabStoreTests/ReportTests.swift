import DoseCabCore
@testable import DoseCabDaemon
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

        let text = register.render(format: .text, calendar: f.calendar)
        #expect(text.contains("Controlled-drug register, 2026-03-02"))
        #expect(text.contains(register.chainHead.lastHash))
        #expect(text.contains("diacetylmorphine: 2 = 1 + 0 + 0 + 1  ok"))
        let csv = register.render(format: .csv, calendar: f.calendar)
        let rows = csv.split(separator: "\r\n")
        #expect(rows.first == "date,time,event,release,patient,drug,route,dose_mg,unit,unit_strength_mg,staff,witness,detail,audit_seq,reason")
        // Entries, the two chain heads, and one stock-balance row per kind.
        #expect(rows.count == 1 + 14 + 2 + 2)
        #expect(text.contains("diacetylmorphine/injectable/100: 10 = 8 + 2 - 0 + 0 + 0  ok"))
        #expect(register.stockBalances)
        #expect(csv.contains("\"unknown-serial: scanned at the return chute\"") == false)  // no comma: not quoted
        let json = register.render(format: .json, calendar: f.calendar)
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

    /// The counter's and the clinicians' decisions of the day (issue 17): holds placed and
    /// cleared, lockdown on and off, overrides, observation clearances, re-authorisations and
    /// refusals, each written as the daemon writes it (a `LedgerWrite` through `Store.commit`).
    @Test func theRegisterListsHoldsLockdownsOverridesClearancesAndRefusals() throws {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.refusal(patient: f.patient, staff: f.nurse, refusals: [
            Refusal(.tooSoon, "12 min since the last dose; at least 60 min required"),
            Refusal(.noStock, "no inhalable diacetylmorphine in stock for 300 mg")], at: f.at(minutes: 5)))
        try f.store.commit(.hold(f.patient, reason: "unit A-101 not returned by its deadline", at: f.at(minutes: 6)))
        try f.store.commit(.holdCleared(f.patient, by: f.clinician, reason: "=HYPERLINK(\"http://x\")", at: f.at(minutes: 7)))
        try f.store.commit(.lockdown(on: true, reason: "forced-door: door opened without a release", by: "dosecabd", at: f.at(minutes: 8)))
        try f.store.commit(.lockdown(on: false, reason: "door inspected", by: "uid=0", at: f.at(minutes: 9)))
        try f.store.commit(.observationCleared(f.patient, by: f.nurse, reason: "seen well, leaves with escort", release: nil, at: f.at(minutes: 10)))
        try f.store.commit(.reauthorised(f.other, by: f.clinician, reason: "reviewed after the gap", missedDays: 3, at: f.at(minutes: 11)))
        let o = Override(id: "OV-1", patient: f.other, drug: .diacetylmorphine, route: .injectable, doseMg: 100,
                         reason: "+prescription server down", openedBy: f.clinician, secondBy: f.nurse,
                         openedAt: f.at(minutes: 12), expiresAt: f.at(minutes: 42))
        try f.store.commit(.overrideOpened(o))
        try f.store.commit(.overrideClosed(id: "OV-1", reason: "@prescription back", by: f.nurse, at: f.at(minutes: 13)))

        let register = try f.store.dailyRegister(day: f.day)
        let events = register.entries.map(\.event).filter { $0 != "receipt" }
        #expect(events == ["refusal", "hold", "hold-cleared", "lockdown-on", "lockdown-off", "observation-ended",
                           "reauthorised", "OVERRIDE", "override-closed"])
        func entry(_ event: String) throws -> RegisterEntry { try #require(register.entries.first { $0.event == event }) }
        let refusal = try entry("refusal")
        #expect(refusal.patient == "P-0001" && refusal.staff == "S-01" && refusal.reason == "too-soon,no-stock")
        #expect(refusal.time == "08:05:00" && refusal.detail.contains("no inhalable diacetylmorphine"))
        #expect(try entry("hold").patient == "P-0001" && entry("hold").detail.contains("not returned"))
        #expect(try entry("hold-cleared").staff == "S-02" && entry("hold-cleared").patient == "P-0001")
        #expect(try entry("lockdown-on").detail.contains("forced-door") && entry("lockdown-off").detail.contains("uid=0"))
        #expect(try entry("observation-ended").staff == "S-01" && entry("observation-ended").patient == "P-0001"
                && entry("observation-ended").detail.contains("escort"))
        #expect(try entry("reauthorised").staff == "S-02" && entry("reauthorised").patient == "P-0002"
                && entry("reauthorised").detail.contains("3 day(s) missed"))
        #expect(try entry("override-closed").staff == "S-01")
        // Each line names the audit record behind it.
        let seqs = try Set(f.store.auditRecords().filter { [.refusal, .hold, .holdCleared, .lockdown].contains($0.event.kind) }.map(\.seq))
        #expect(seqs.isSubset(of: Set(register.entries.map(\.auditSeq))))

        // CSV: the reason code has its column; text the staff typed never starts a formula.
        let csv = register.render(format: .csv, calendar: f.calendar)
        let rows = csv.split(separator: "\r\n").map(String.init)
        #expect(rows.first?.hasSuffix(",audit_seq,reason") == true)
        #expect(rows.contains { $0.contains(",refusal,") && $0.hasSuffix(",\"too-soon,no-stock\"") })
        #expect(csv.contains("'=HYPERLINK") && !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"))
        #expect(!csv.contains(",+prescription") && !csv.contains(",@prescription"))
        // JSON: the reason code under `reason`, and it reads back.
        let json = register.render(format: .json, calendar: f.calendar)
        #expect(json.contains("\"reason\" : \"too-soon,no-stock\""))
        #expect(try JSONDecoder().decode(DailyRegister.self, from: Data(json.utf8)) == register)
        #expect(register.render(format: .text, calendar: f.calendar).contains("too-soon,no-stock"))
    }

    @Test func csvNeverStartsAFieldWithAFormulaCharacter() {
        #expect(ReportText.csv([["=1+2", "+x", "-x", "@x", "\tx", "-5", "plain"]]) == "'=1+2,'+x,'-x,'@x,'\tx,-5,plain\r\n")
    }

    @Test func csvQuotesFieldsThatNeedIt() {
        #expect(ReportText.csv([["a,b", "say \"hi\"", "plain"]]) == "\"a,b\",\"say \"\"hi\"\"\",plain\r\n")
    }
}
