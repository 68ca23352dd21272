import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Downtime in the store (ARCHITECTURE §4a): a mechanical-key alarm opens a downtime; a late
/// entry books its dose like a release (register, units, reconciliation, patient history) in one
/// transaction that refuses anything outside the downtime; the two-person close ends it.
@Suite struct DowntimeStoreTests {
    /// The last run's final record at 08:30; the next start at 10:00 opens the store again,
    /// writes its own records (a recovery, a prescriber key installed at start, startup) and
    /// finds the door open: the downtime runs from 08:30, whatever this start wrote first.
    func downtime() throws -> (Fixture, Int64) {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.admin(action: "test", detail: "the last record before the daemon went down", actor: "test", at: f.at(minutes: 30)))
        try f.reopen()
        try f.store.commit(.recovery(summary: "nothing in flight", at: f.at(minutes: 120)))
        try f.store.commit(.admin(action: "prescriber-key-installed", detail: "dr-b", actor: "dosecabd", at: f.at(minutes: 120)))
        try f.store.commit(.startup(version: "test", at: f.at(minutes: 120)))
        let alarm = try f.store.commit(.alarm(.mechanicalKey, detail: "door found open at start with no release in flight", at: f.at(minutes: 120)))
        return (f, alarm.seq)
    }

    let rx = Prescription(id: "rx-1", version: 1, patient: PatientID("P-0001"), drug: .diacetylmorphine, route: .injectable,
                          doseMg: 200, maxSessionsPerDay: 3, validFrom: "2026-03-01", validUntil: "2026-03-31", prescriber: "dr-a")

    func entry(_ f: Fixture, _ seq: Int64, _ serials: [Int], given: Int64 = 60, outcome: LateOutcome = .returned,
               release: String = "R-L1") -> LateEntry {
        LateEntry(release: ReleaseID(release), patient: f.patient, prescription: rx,
                  units: serials.map { StockUnit(serial: f.ampoule($0), drug: .diacetylmorphine, route: .injectable, strengthMg: 100,
                                                 batch: "B-1", expiry: "2099-12-31") },
                  givenAt: f.at(minutes: given), outcome: outcome, closeOut: CloseOutPolicy(rule: .return, deadlineMinutes: 60),
                  by: f.nurse, witness: f.clinician, note: "downtime sheet 1, line 1", downtimeSeq: seq, enteredAt: f.at(minutes: 130))
    }

    @Test func aMechanicalKeyAlarmOpensADowntimeFromTheLastRecordOfTheRunBefore() throws {
        let (f, seq) = try downtime()
        #expect(try f.store.openDowntimes() == [Downtime(alarmSeq: seq, foundWall: f.at(minutes: 120).wallMillis,
                                                         sinceWall: f.at(minutes: 30).wallMillis)])
        // Other alarms owe no late entry.
        try f.store.commit(.alarm(.forcedDoor, detail: "door opened", at: f.at(minutes: 121)))
        #expect(try f.store.openDowntimes().count == 1)
    }

    @Test func aLateEntryBooksTheDoseLikeARelease() throws {
        let (f, seq) = try downtime()
        let records = try f.store.commitAll(entry(f, seq, [1, 2]).writes)
        #expect(records.count == 1)
        #expect(records[0].event.kind == .lateEntry && records[0].event.fields["outcome"] == "returned"
                && records[0].event.fields["units"] == "A-101,A-102" && records[0].event.fields["dose_mg"] == "200"
                && records[0].event.wallMillis == f.at(minutes: 130).wallMillis)

        let release = try #require(try f.store.release(id: ReleaseID("R-L1")))
        #expect(release.state == .completed && release.unitsIssued == 2 && release.plan.at == f.at(minutes: 60)
                && release.plan.doseMg == 200 && release.plan.witness == f.clinician)
        #expect(try f.store.units(of: ReleaseID("R-L1")).map(\.state) == [.returned, .returned])
        #expect(try f.store.stockUnit(serial: f.ampoule(1))?.state == .issued)
        #expect(try f.store.stockLevels().first { $0.drug == .diacetylmorphine }?.count == 8)

        // The dose counts for the patient's interval and daily total, at the time it was given.
        let history = try f.store.patientHistory(f.patient, now: f.at(minutes: 140), policy: ClinicPolicy())
        #expect(history.recentReleases.map(\.doseMg) == [200] && history.lastReleaseAt == f.at(minutes: 60))
        // Every unit accounted for (I5), and the chain intact.
        let ledger = try f.store.unitLedger(day: f.day)
        #expect(ledger.isConsistent && ledger.reconcile(day: f.day, drug: .diacetylmorphine).returned == 2)
        guard case .intact = try f.store.verifyAudit() else { Issue.record("chain broken"); return }
        #expect(try f.store.lateEntries().map(\.downtimeSeq) == [seq])
        #expect(try f.store.lateEntries(downtime: seq + 99).isEmpty)
    }

    @Test func missingUnitsAreIncidentsAndAHold() throws {
        let (f, seq) = try downtime()
        let e = entry(f, seq, [3], outcome: .missing)
        #expect(try f.store.commitAll(e.writes).map(\.event.kind) == [.lateEntry, .hold])
        #expect(try f.store.units(of: e.release).map(\.state) == [.incident])
        #expect(try f.store.holds().map(\.patient) == [f.patient])
        #expect(try f.store.unitLedger(day: f.day).reconcile(day: f.day, drug: .diacetylmorphine).incidents == 1)
    }

    @Test func aLateEntryOutsideTheDowntimeOrOfUnitsNotInStockWritesNothing() throws {
        let (f, seq) = try downtime()
        try f.store.commitAll(entry(f, seq, [1]).writes)
        let before = try f.snapshot()
        // Before the daemon was last up, after the door was found open, another downtime.
        for bad in [entry(f, seq, [2], given: 10, release: "R-L2"), entry(f, seq, [2], given: 125, release: "R-L2"),
                    entry(f, seq + 50, [2], release: "R-L2")] {
            guard case .conflict = storeError({ try f.store.commitAll(bad.writes) }) else { Issue.record("\(bad.givenAt) accepted"); continue }
        }
        // A unit already issued (by the entry before), and a unit never received.
        #expect(storeError { try f.store.commitAll(entry(f, seq, [1], release: "R-L2").writes) } != nil)
        #expect(storeError { try f.store.commitAll(entry(f, seq, [77], release: "R-L2").writes) } != nil)
        // The same release twice.
        #expect(storeError { try f.store.commitAll(entry(f, seq, [2]).writes) } != nil)
        #expect(try f.snapshot() == before)
    }

    @Test func stockDoesNotMoveDuringABlindCount() throws {
        let (f, seq) = try downtime()
        let nurse = try #require(try f.store.staff(id: f.nurse)), clinician = try #require(try f.store.staff(id: f.clinician))
        _ = try f.store.startCount(id: "C-1", by: nurse, witness: clinician, at: f.at(minutes: 125))
        let before = try f.snapshot()
        guard case .stockRefused = storeError({ try f.store.commitAll(entry(f, seq, [1]).writes) }) else {
            Issue.record("a late entry went through during a blind count"); return
        }
        #expect(try f.snapshot() == before)
    }

    @Test func theTwoPersonCloseEndsTheDowntimeOnce() throws {
        let (f, seq) = try downtime()
        // The register says a late entry is owed, in every format, until it is closed.
        let owed = try f.store.dailyRegister(day: f.day)
        #expect(owed.openDowntimes.map(\.alarmSeq) == [seq])
        #expect(owed.render(format: .text, calendar: f.calendar).contains("LATE ENTRY OWED") && owed.render(format: .csv, calendar: f.calendar).contains("late-entry-owed"))
        #expect(storeError { try f.store.commit(.downtimeClosed(alarmSeq: seq, note: "x", by: f.nurse, witness: f.nurse, at: f.at(minutes: 140))) } != nil)
        let record = try f.store.commit(.downtimeClosed(alarmSeq: seq, note: "paper checked, nothing more taken", by: f.nurse,
                                                        witness: f.clinician, at: f.at(minutes: 140)))
        #expect(record.event.kind == .lateEntry && record.event.fields["state"] == "closed")
        #expect(try f.store.openDowntimes().isEmpty)
        #expect(try !f.store.dailyRegister(day: f.day).render(format: .text, calendar: f.calendar).contains("LATE ENTRY OWED"))
        #expect(try f.store.downtimes().first?.closedWall == f.at(minutes: 140).wallMillis)
        guard case .conflict = storeError({ try f.store.commit(.downtimeClosed(alarmSeq: seq, note: "again", by: f.nurse,
                                                                                witness: f.clinician, at: f.at(minutes: 141))) }) else {
            Issue.record("closed twice"); return
        }
        // Nothing can be entered once it is closed.
        #expect(storeError { try f.store.commitAll(entry(f, seq, [1]).writes) } != nil)
    }

    @Test func thePrescriptionIsTheOneInForceWhenTheDoseWasGiven() throws {
        let (f, _) = try downtime()
        let policy = ClinicPolicy()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription(version: 1)]), policy: policy, now: f.at(minutes: 40), actor: "S-02")
        _ = try f.store.importBundle(try Fixture.bundle([.cancellation(PrescriptionCancellation(
            id: "rx-1", version: 2, patient: f.patient, prescriber: "dr-a", reason: "stopped"))]), policy: policy, now: f.at(minutes: 125), actor: "S-02")
        // Cancelled since: no longer active, but it was in force during the downtime.
        #expect(try f.store.activePrescriptions(for: f.patient).isEmpty)
        #expect(try f.store.prescriptionsInForce(for: f.patient, atWall: f.at(minutes: 60).wallMillis).map(\.version) == [1])
        // Before it was imported, and after its cancellation: none.
        #expect(try f.store.prescriptionsInForce(for: f.patient, atWall: f.at(minutes: 35).wallMillis).isEmpty)
        #expect(try f.store.prescriptionsInForce(for: f.patient, atWall: f.at(minutes: 126).wallMillis).isEmpty)
    }

    @Test func theStoreRefusesWhatOnlyTheRulesBeforeItChecked() throws {
        let (f, seq) = try downtime()
        let consumed = entry(f, seq, [1], outcome: .consumed)
        #expect(storeError { try f.store.commitAll(consumed.writes) } != nil)
        var othersRx = entry(f, seq, [1], release: "R-L2")
        othersRx.prescription.patient = f.other
        #expect(storeError { try f.store.commitAll(othersRx.writes) } != nil)
        var same = entry(f, seq, [1], release: "R-L3")
        same.witness = f.nurse
        #expect(storeError { try f.store.commitAll(same.writes) } != nil)
        // A staff member who is also the patient checks nothing of their own.
        try f.store.enroll(Staff(id: StaffID("S-09"), role: .nurse, card: CardID(format: .h10306, facility: 7, number: 9),
                                 pin: Fixture.pins.hash(pin: "9999"), alsoPatient: f.patient), by: "admin", at: f.at(minutes: 121))
        var own = entry(f, seq, [1], release: "R-L4")
        own.witness = StaffID("S-09")
        #expect(storeError { try f.store.commitAll(own.writes) } != nil)
        #expect(try f.store.lateEntries().isEmpty)
    }

    @Test func aLateEntrySurvivesAReopen() throws {
        let (f, seq) = try downtime()
        try f.store.commitAll(entry(f, seq, [1, 2]).writes)
        try f.reopen()
        #expect(try f.store.openDowntimes().map(\.alarmSeq) == [seq])
        #expect(try f.store.lateEntries().first?.units.count == 2)
        #expect(try f.store.openUnits().isEmpty)
    }
}
