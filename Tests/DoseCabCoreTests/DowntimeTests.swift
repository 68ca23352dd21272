@testable import DoseCabCore
import Testing

/// Downtime rules (ARCHITECTURE §4a): every failed rule of a late entry at once, what a late
/// entry books, the lockdown that waits for the close, and the time parsed from the paper register.
@Suite struct DowntimeTests {
    /// The daemon was last up at 06:00; the door was found open at 09:00 (2026-11-25).
    static let downtime = Downtime(alarmSeq: 40, foundWall: F.minutes(60).wallMillis, sinceWall: F.minutes(-120).wallMillis)
    static let unit = StockUnit(serial: UnitSerial("A-1"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                                batch: "B", expiry: "2099-01-01")

    func problems(downtime: Downtime? = downtime, serials: [String] = ["A-1"], inStock: [StockUnit] = [unit],
                  drug: Drug = .diacetylmorphine, route: Route = .injectable, given: Int64 = F.morning.wallMillis,
                  outcome: LateOutcome = .returned, prescriptions: [Prescription] = [F.prescription()], by: Staff = F.nurse,
                  witness: Staff = F.clinician, note: String = "sheet 1", countOpen: Bool = false) -> [RefusalReason] {
        DowntimeRules.lateEntryProblems(downtime: downtime, patient: F.patient.id, serials: serials.map(UnitSerial.init),
                                        inStock: inStock, drug: drug, route: route, givenWall: given, outcome: outcome,
                                        prescriptions: prescriptions, policy: ClinicPolicy(), by: by, witness: witness,
                                        note: note, countOpen: countOpen).map(\.reason)
    }

    @Test func aLateEntryInsideTheDowntimeOfUnitsInStockPasses() {
        #expect(problems().isEmpty)
        // At either end of the window too.
        #expect(problems(given: Self.downtime.sinceWall!).isEmpty && problems(given: Self.downtime.foundWall).isEmpty)
    }

    @Test func eachRuleFailsOnItsOwn() {
        #expect(problems(downtime: nil) == [.noDowntime])
        var closed = Self.downtime
        closed.closedWall = F.minutes(90).wallMillis
        #expect(problems(downtime: closed) == [.noDowntime])
        #expect(problems(given: F.minutes(61).wallMillis) == [.outsideDowntime])
        #expect(problems(given: F.minutes(-121).wallMillis) == [.outsideDowntime])
        // The paper gives minutes: the minute in which the daemon was last up counts, the one before does not.
        let lastUp = Downtime(alarmSeq: 40, foundWall: F.minutes(60).wallMillis, sinceWall: F.minutes(-120).wallMillis + 50_000)
        #expect(problems(downtime: lastUp, given: F.minutes(-120).wallMillis).isEmpty)
        #expect(problems(downtime: lastUp, given: F.minutes(-121).wallMillis) == [.outsideDowntime])
        #expect(problems(serials: []) == [.noUnits])
        #expect(problems(serials: ["A-1", "A-1"]) == [.noUnits])
        #expect(problems(inStock: []) == [.unitNotInStock])
        #expect(problems(drug: .methadone, route: .oral, prescriptions: [F.prescription(drug: .methadone, route: .oral)]) == [.unitMismatch])
        let weak = StockUnit(serial: UnitSerial("A-2"), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "B", expiry: "2099-01-01")
        #expect(problems(serials: ["A-1", "A-2"], inStock: [Self.unit, weak]) == [.unitMismatch])
        #expect(problems(prescriptions: []) == [.noValidPrescription])
        #expect(problems(prescriptions: [F.prescription(from: "2026-11-26")]) == [.noValidPrescription])
        #expect(problems(prescriptions: [F.prescription(patient: PatientID("P-2"))]) == [.noValidPrescription])
        #expect(problems(outcome: .consumed) == [.wrongCloseOut])
        #expect(problems(witness: F.nurse) == [.samePerson])
        var patientToo = F.clinician
        patientToo.alsoPatient = F.patient.id
        #expect(problems(witness: patientToo) == [.isSubject])
        #expect(problems(note: "  ") == [.noNote])
        #expect(problems(countOpen: true) == [.countInProgress])
    }

    @Test func everyFailedRuleIsListedAtOnce() {
        let all = problems(downtime: nil, serials: [], outcome: .consumed, prescriptions: [], witness: F.nurse, note: "", countOpen: true)
        #expect(Set(all) == Set<RefusalReason>([.noDowntime, .noUnits, .noValidPrescription, .wrongCloseOut, .samePerson, .noNote, .countInProgress]))
    }

    @Test func consumedIsForWitnessedRoutes() {
        let cup = StockUnit(serial: UnitSerial("M-1"), drug: .methadone, route: .oral, strengthMg: 50, batch: "B", expiry: "2099-01-01")
        #expect(problems(serials: ["M-1"], inStock: [cup], drug: .methadone, route: .oral, outcome: .consumed,
                         prescriptions: [F.prescription(dose: 50, drug: .methadone, route: .oral)]).isEmpty)
    }

    func entry(_ outcome: LateOutcome, units: Int = 2) -> LateEntry {
        LateEntry(release: ReleaseID("R-L"), patient: F.patient.id, prescription: F.prescription(),
                  units: (1...units).map { StockUnit(serial: UnitSerial("A-\($0)"), drug: .diacetylmorphine, route: .injectable,
                                                     strengthMg: 100, batch: "B", expiry: "2099-01-01") },
                  givenAt: F.morning, outcome: outcome, closeOut: CloseOutPolicy(rule: .return, deadlineMinutes: 60),
                  by: F.nurse.id, witness: F.clinician.id, note: "sheet 1", downtimeSeq: 40, enteredAt: F.minutes(90))
    }

    @Test func aLateEntryBooksItsUnitsClosedAsThePaperSays() {
        let returned = entry(.returned)
        #expect(returned.doseMg == 200 && returned.plan.unitCount == 2 && returned.plan.unitStrengthMg == 100
                && returned.plan.at == F.morning && returned.plan.residueMg == 0)
        #expect(returned.issuedUnits.map(\.state) == [.returned, .returned])
        #expect(returned.issuedUnits.allSatisfy { $0.closedAt == F.morning && $0.deadline == F.minutes(60) })
        #expect(returned.writes.count == 1 && returned.holdReason == nil)
        // The one audit record is made at the time of entry and names the time given.
        let event = returned.writes[0].auditEvent
        #expect(event.kind == .lateEntry && event.wallMillis == F.minutes(90).wallMillis
                && event.fields["given"] == String(F.morning.wallMillis) && event.fields["downtime"] == "40"
                && event.fields["staff"] == "S-1" && event.fields["witness"] == "S-2")

        let missing = entry(.missing, units: 1)
        #expect(missing.issuedUnits.map(\.state) == [.incident] && missing.issuedUnits[0].closedAt == F.minutes(90))
        guard missing.writes.count == 2, case .hold(let p, _, let at) = missing.writes[1] else {
            Issue.record("no hold for a missing unit"); return
        }
        #expect(p == F.patient.id && at == F.minutes(90))
    }

    @Test func theCabinetCatchesUpWithABookedLateEntry() {
        var cab = Cabinet(policy: ClinicPolicy(), roster: F.roster)
        #expect(cab.handle(.lateEntryBooked(entry(.missing))).isEmpty)
        #expect(cab.ledger.unit(UnitSerial("A-1"))?.state == .incident && cab.ledger.isConsistent)
        #expect(cab.ledger.reconcile(day: ClinicCalendar().day(of: F.morning), drug: .diacetylmorphine).incidents == 2)
        #expect(cab.holds[F.patient.id] != nil)
        // A unit booked before is not booked twice.
        var ledger = cab.ledger
        #expect(ledger.bookLate(entry(.returned).issuedUnits[0]) == .alreadyIssued)
    }

    @Test func theLockdownWaitsForTheClose() {
        #expect(DowntimeRules.lockdownLiftProblems(open: nil, calendar: ClinicCalendar()).isEmpty)
        let owed = DowntimeRules.lockdownLiftProblems(open: Self.downtime, calendar: ClinicCalendar(utcOffsetMinutes: 60))
        #expect(owed.map(\.reason) == [.lateEntryOwed] && owed[0].detail.contains("2026-11-25 10:00"))
        #expect(DowntimeRules.closeProblems(downtime: Self.downtime, by: F.nurse, witness: F.clinician, note: "checked").isEmpty)
        #expect(DowntimeRules.closeProblems(downtime: nil, by: F.nurse, witness: F.nurse, note: "").map(\.reason)
                == [.noDowntime, .samePerson, .noNote])
    }

    @Test func theTimeIsReadAsThePaperGivesIt() {
        #expect(CivilTime.wallMillis(local: "2026-11-25T08:00", utcOffsetMinutes: 0) == F.morning.wallMillis)
        #expect(CivilTime.wallMillis(local: "2026-11-25 09:00", utcOffsetMinutes: 60) == F.morning.wallMillis)
        for bad in ["2026-02-30T08:00", "2026-11-25T24:00", "2026-11-25T08:60", "2026-13-01T08:00", "2026-11-25", "2026-11-25T08:00Z",
                    "2026-11-25X08:00", "abcd-11-25T08:00", "", "2026-11-25T8:00 "] {
            #expect(CivilTime.wallMillis(local: bad, utcOffsetMinutes: 0) == nil, "\(bad)")
        }
    }
}
