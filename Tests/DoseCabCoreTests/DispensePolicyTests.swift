import Testing
@testable import DoseCabCore

/// Each rule of ARCHITECTURE §3 step 3: a base case that releases, and one change per test that
/// must produce exactly the expected reason. Removing a rule from the policy fails its test.
@Suite struct DispensePolicyTests {
    func reasons(_ d: DispenseDecision) -> Set<RefusalReason> { Set(d.refusals.map(\.reason)) }

    @Test func baseCaseReleasesWithRegisterFields() throws {
        let d = DispensePolicy.decide(F.request(), F.context())
        guard case .release(let plan) = d else { Issue.record("refused: \(d.refusals)"); return }
        #expect(plan.doseMg == 200 && plan.unitCount == 1 && plan.unitStrengthMg == 200 && plan.residueMg == 0)
        #expect(plan.drug == .diacetylmorphine && plan.route == .injectable)
        #expect(plan.prescriber == "dr-a" && plan.prescriptionID == "RX-P-1-diacetylmorphine" && plan.prescriptionVersion == 1)
        #expect(plan.identityMethod == "card+PIN" && plan.witness == StaffID("S-1") && plan.staff == StaffID("S-1"))
        #expect(plan.at == F.morning && plan.closeOut.rule == .return)
    }

    @Test func identityAndWitnessFailures() {
        var r = F.request()
        r.identity = IdentityCheck(cardPresented: false, pinVerified: false)
        #expect(reasons(DispensePolicy.decide(r, F.context())).isSuperset(of: [.unknownCard, .wrongPIN]))
        #expect(reasons(DispensePolicy.decide(F.request(witness: nil), F.context())) == [.noStaffWitness])
        var own = F.request()
        own.witnessIsPatient = true
        #expect(reasons(DispensePolicy.decide(own, F.context())) == [.witnessIsPatient])
        #expect(reasons(DispensePolicy.decide(F.request(attested: false), F.context())) == [.noIntoxicationAttestation])
    }

    @Test func noValidPrescription() {
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: []))) == [.noValidPrescription])
        let expired = F.prescription(from: "2026-10-01", until: "2026-11-24")
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [expired]))) == [.noValidPrescription])
        let future = F.prescription(from: "2026-11-26", until: "2026-12-24")
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [future]))) == [.noValidPrescription])
        let someoneElses = F.prescription(patient: PatientID("P-2"))
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [someoneElses]))) == [.noValidPrescription])
        // Two drugs and no choice: the witness must choose.
        let both = [F.prescription(), F.prescription(dose: 60, drug: .methadone, route: .oral, sessions: 1)]
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: both))) == [.noValidPrescription])
        let chosen = DispensePolicy.decide(F.request(drug: .methadone), F.context(prescriptions: both))
        guard case .release(let plan) = chosen else { Issue.record("refused \(chosen.refusals)"); return }
        #expect(plan.drug == .methadone && plan.unitCount == 2 && plan.unitStrengthMg == 50 && plan.residueMg == 40)
        #expect(plan.closeOut.rule == .witnessed)
    }

    @Test func outsideWindow() {
        let night = Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 23), bootMillis: 5_000_000)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: night))) == [.outsideWindow])
        // The window is in clinic local time: 23:00 UTC is 08:00 at UTC+9.
        var policy = ClinicPolicy()
        policy.calendar = ClinicCalendar(utcOffsetMinutes: 9 * 60)
        let d = DispensePolicy.decide(F.request(), F.context(now: night, prescriptions: [F.prescription(from: "2026-11-26")], policy: policy))
        #expect(d.refusals.isEmpty)
    }

    @Test func tooSoonUsesTheClockThatCannotBeSetBack() {
        // Afternoon window, last dose 20 min earlier (morning window ended; use a long window instead).
        var policy = ClinicPolicy()
        policy.windows = [DosingWindow(name: "all day", startMinute: 0, endMinute: 1440)]
        for route in Route.allCases { policy.routes[route]?.observationMinutes = 0 }
        let last = F.past(0)
        let now = F.minutes(20)
        var history = PatientHistory(recentReleases: [last], observationClearedAt: F.minutes(16))
        let d = DispensePolicy.decide(F.request(), F.context(now: now, history: history, policy: policy))
        #expect(reasons(d).contains(.tooSoon))
        // Wall clock moved forward two hours but the boot clock says 20 minutes: still too soon.
        var jumped = now
        jumped.wallMillis += 2 * 3_600_000
        history.observationClearedAt = jumped
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: jumped, history: history, policy: policy))).contains(.tooSoon))
        // 31 minutes later on both clocks: fine as far as the interval goes.
        let later = F.minutes(31)
        history.observationClearedAt = F.minutes(30)
        #expect(!reasons(DispensePolicy.decide(F.request(), F.context(now: later, history: history, policy: policy))).contains(.tooSoon))
    }

    @Test func dailyCeilingAndSessionLimitAndWindow() {
        var policy = ClinicPolicy()
        for route in Route.allCases { policy.routes[route]?.observationMinutes = 0 }
        let afternoon = F.minutes(5 * 60)  // 13:00
        // 900 mg already today: 200 more exceeds 1000.
        let heavy = PatientHistory(recentReleases: [F.past(0, hour: 7, dose: 900)], observationClearedAt: F.minutes(60))
        let d = DispensePolicy.decide(F.request(), F.context(now: afternoon, prescriptions: [F.prescription(dose: 200)], history: heavy, policy: policy))
        #expect(reasons(d) == [.dailyCeiling])
        // Already dosed this window.
        let same = PatientHistory(recentReleases: [F.past(0, hour: 8)], observationClearedAt: F.minutes(30))
        let now = F.minutes(90)  // 09:30, same morning window
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: now, history: same, policy: policy))) == [.alreadyDosedThisWindow])
        // One session a day, used in the morning.
        let one = F.prescription(sessions: 1)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: afternoon, prescriptions: [one], history: same, policy: policy))) == [.sessionLimit])
    }

    @Test func titrationLimit() {
        var policy = ClinicPolicy()
        for route in Route.allCases { policy.routes[route]?.observationMinutes = 0 }
        let yesterday = PatientHistory(recentReleases: [F.past(1, dose: 150), F.past(1, hour: 13, dose: 150)], observationClearedAt: F.minutes(-600))
        // 200 mg > 50% of yesterday's 300 mg.
        let t = F.prescription(dose: 200, titrating: true)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [t], history: yesterday, policy: policy))) == [.titrationLimit])
        let ok = F.prescription(dose: 150, titrating: true)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [ok], history: yesterday, policy: policy))).isEmpty)
        // Not titrating: no limit.
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [F.prescription(dose: 200)], history: yesterday, policy: policy))).isEmpty)
    }

    @Test func observationNotFinished() {
        var policy = ClinicPolicy()
        // The last dose (08:00) and now (08:10+) fall in different windows.
        policy.windows = [DosingWindow(name: "early", startMinute: 0, endMinute: 8 * 60 + 5),
                          DosingWindow(name: "late", startMinute: 8 * 60 + 5, endMinute: 1440)]
        policy.minIntervalMinutes = 0
        let history = PatientHistory(recentReleases: [F.past(0)])
        // 10 minutes after a dose, observation (15 min) not over.
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(10), history: history, policy: policy))) == [.observationNotFinished])
        // 20 minutes after: the observation ended by itself; nobody has to clear the patient.
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(20), history: history, policy: policy))).isEmpty)
        // Ended early by staff (badge + PIN, ObservationTests): released before the 15 minutes.
        var cleared = history
        cleared.observationClearedAt = F.minutes(9)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(10), history: cleared, policy: policy))).isEmpty)
    }

    @Test func holdLockdownClockJournalStore() {
        var c = F.context()
        c.history.hold = "unit 7 not returned"
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.hold])
        c = F.context(); c.lockdown = true
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.lockdown])
        c = F.context(); c.clockSynchronised = false
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.clockUnsynchronised])
        c = F.context(); c.newestLedgerWallMillis = F.morning.wallMillis + 60_000
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.clockBehindLedger])
        c = F.context(); c.journalHealthy = false
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.journalUnavailable])
        c = F.context(); c.storeHealthy = false
        #expect(reasons(DispensePolicy.decide(F.request(), c)) == [.storeUnavailable])
    }

    @Test func missedDoseRules() {
        // Last dose 4 days ago: 3 missed days → clinician re-authorisation needed.
        let four = PatientHistory(recentReleases: [F.past(4)], observationClearedAt: F.minutes(-5000))
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(history: four))) == [.missedDoseReauthorisation])
        var reauth = four
        reauth.reauthorisedAt = F.minutes(-10)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(history: reauth))).isEmpty)
        // 2 missed days: nothing needed.
        let three = PatientHistory(recentReleases: [F.past(3)], observationClearedAt: F.minutes(-4000))
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(history: three))).isEmpty)
        // Last dose 6 days ago: 5 missed → re-titration; a re-authorisation alone is not enough.
        var six = PatientHistory(recentReleases: [F.past(6)], reauthorisedAt: F.minutes(-10), observationClearedAt: F.minutes(-9000))
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(history: six))) == [.missedDoseRetitration])
        let rewritten = F.prescription(dose: 100, titrating: true, from: "2026-11-25", version: 2)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [rewritten], history: six))).isEmpty)
        six.reauthorisedAt = nil
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [rewritten], history: six))) == [.missedDoseRetitration])
    }

    @Test func noStockAndUnitPlanning() {
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(stock: []))) == [.noStock])
        let wrongRoute = [StockLevel(drug: .diacetylmorphine, route: .inhalable, strengthMg: 200, count: 5)]
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(stock: wrongRoute))) == [.noStock])
        // 300 mg from 100 mg and 200 mg ampoules: three 100s leave no residue.
        let mixed = [StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 200, count: 5),
                     StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 100, count: 5)]
        guard case .release(let plan) = DispensePolicy.decide(F.request(), F.context(prescriptions: [F.prescription(dose: 300)], stock: mixed)) else {
            Issue.record("expected release"); return
        }
        #expect(plan.unitStrengthMg == 100 && plan.unitCount == 3 && plan.residueMg == 0)
        // Not enough units of any strength.
        let few = [StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 100, count: 2)]
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [F.prescription(dose: 300)], stock: few))) == [.noStock])
    }

    @Test func everyFailedRuleIsListedNotJustTheFirst() {
        var c = F.context(stock: [])
        c.lockdown = true
        // 900 mg ten minutes ago: its observation (which now ends by itself) is still running.
        let recent = PastRelease(id: ReleaseID("R-0750"), drug: .diacetylmorphine, doseMg: 900, at: F.minutes(-10), route: .injectable)
        c.history = PatientHistory(recentReleases: [recent], hold: "x")
        let d = DispensePolicy.decide(F.request(attested: false, witness: nil), c)
        #expect(reasons(d).isSuperset(of: [.noStaffWitness, .noIntoxicationAttestation, .lockdown, .hold, .dailyCeiling,
                                            .alreadyDosedThisWindow, .observationNotFinished, .noStock]))
        #expect(d.refusals.allSatisfy { !$0.detail.isEmpty })
    }

    @Test func policyValidation() {
        #expect(ClinicPolicy().validationErrors().isEmpty)
        var p = ClinicPolicy()
        p.windows = [DosingWindow(name: "a", startMinute: 600, endMinute: 500)]
        p.dailyCeilingMg[.methadone] = 0
        p.unlockWindowSeconds = 0
        #expect(p.validationErrors().count == 3)
        p = ClinicPolicy()
        p.windows = [DosingWindow(name: "a", startMinute: 0, endMinute: 600), DosingWindow(name: "b", startMinute: 500, endMinute: 700)]
        #expect(p.validationErrors() == ["dosing windows 'a' and 'b' overlap"])
    }
}
