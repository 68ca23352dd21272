import Testing
@testable import DoseCabCore

/// Post-dose observation (ARCHITECTURE §3 step 3): it ends by itself when its time, set per
/// route, has run out; staff end it early only with badge + PIN and a reason. And the
/// re-authorisation after missed doses, which only a clinician or admin gives.
@Suite struct ObservationTests {
    func reasons(_ d: DispenseDecision) -> Set<RefusalReason> { Set(d.refusals.map(\.reason)) }

    /// Issue 17: after a morning dose the patient comes back in the afternoon window; nobody
    /// cleared them, and nobody needs to: the observation time ran out hours ago.
    @Test func secondDoseInTheNextWindowAfterObservationNeedsNoClearance() {
        let morning = PatientHistory(recentReleases: [F.past(0, hour: 8)])
        let afternoon = F.minutes(5 * 60)  // 13:00, same clinic day
        let d = DispensePolicy.decide(F.request(), F.context(now: afternoon, history: morning))
        #expect(d.refusals.isEmpty, "\(d.refusals)")
    }

    /// A policy where only observation can refuse a dose minutes after the last one: two windows
    /// split at 08:05 and no interval.
    func observationOnly() -> ClinicPolicy {
        var policy = ClinicPolicy()
        policy.windows = [DosingWindow(name: "early", startMinute: 0, endMinute: 8 * 60 + 5),
                          DosingWindow(name: "late", startMinute: 8 * 60 + 5, endMinute: 1440)]
        policy.minIntervalMinutes = 0
        return policy
    }

    func release(_ route: Route?, drug: Drug = .diacetylmorphine, at: Moment = F.morning) -> PastRelease {
        PastRelease(id: ReleaseID("R-\(route?.rawValue ?? "unknown")"), drug: drug, doseMg: 40, at: at, route: route)
    }

    @Test func theObservationTimeIsSetPerRouteAndARouteWithoutOneUsesTheDefault() {
        var policy = observationOnly()
        policy.routes[.injectable]?.observationMinutes = 45
        let injected = PatientHistory(recentReleases: [release(.injectable)])
        let at30 = DispensePolicy.decide(F.request(), F.context(now: F.minutes(30), history: injected, policy: policy))
        #expect(reasons(at30) == [.observationNotFinished])
        #expect(at30.refusals.first?.detail.contains("45 min observation after the injectable dose") == true, "\(at30.refusals)")
        #expect(at30.refusals.first?.detail.contains("15 min left") == true, "\(at30.refusals)")
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(46), history: injected, policy: policy))).isEmpty)
        // Oral methadone has no time of its own here: the default 15 min.
        let swallowed = PatientHistory(recentReleases: [release(.oral, drug: .methadone)])
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(10), history: swallowed, policy: policy))) == [.observationNotFinished])
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(16), history: swallowed, policy: policy))).isEmpty)
        #expect(policy.observationMinutes(for: .oral) == 15 && policy.observationMinutes(for: .injectable) == 45)
        // Every route keeps today's 15 minutes unless configured.
        #expect(Route.allCases.allSatisfy { ClinicPolicy().observationMinutes(for: $0) == 15 })
    }

    /// The observation that ends by itself is on the record: the release's audit record (and its
    /// journal entry) says how long it runs.
    @Test func theReleaseRecordSaysHowLongItsObservationRuns() {
        var policy = ClinicPolicy()
        policy.routes[.injectable]?.observationMinutes = 45
        guard case .release(let plan) = DispensePolicy.decide(F.request(), F.context(policy: policy)) else {
            Issue.record("refused"); return
        }
        #expect(plan.observationMinutes == 45)
        #expect(LedgerWrite.releaseIntent(ReleaseID("R-1"), plan).auditEvent.fields["observation_minutes"] == "45")
        guard case .release(let oral) = DispensePolicy.decide(F.request(drug: .methadone), F.context(
            prescriptions: [F.prescription(dose: 40, drug: .methadone, route: .oral)], policy: policy)) else {
            Issue.record("refused"); return
        }
        #expect(oral.observationMinutes == 15)
    }

    @Test func aReleaseOfUnknownRouteIsObservedForTheLongestTime() {
        var policy = observationOnly()
        policy.routes[.inhalable]?.observationMinutes = 60
        let unknown = PatientHistory(recentReleases: [release(nil)])
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(30), history: unknown, policy: policy))) == [.observationNotFinished])
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(61), history: unknown, policy: policy))).isEmpty)
        // The last release known only by its time (older than the history read) counts too.
        let onlyTime = PatientHistory(recentReleases: [], lastReleaseAt: F.morning)
        #expect(ClinicalRules.runningObservation(onlyTime, now: F.minutes(30), policy: policy)?.minutes == 60)
    }

    @Test func staffEndingItEarlyAfterTheDoseLetsTheNextDoseThrough() {
        let policy = observationOnly()
        var history = PatientHistory(recentReleases: [release(.injectable)])
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(6), history: history, policy: policy))) == [.observationNotFinished])
        history.observationClearedAt = F.minutes(5)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(6), history: history, policy: policy))).isEmpty)
        // An end given before this dose ended an earlier observation, not this one.
        history.observationClearedAt = F.minutes(-1)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: F.minutes(6), history: history, policy: policy))) == [.observationNotFinished])
    }

    @Test func whoMayEndAnObservationEarly() {
        let policy = observationOnly()
        let history = PatientHistory(recentReleases: [release(.injectable)])
        let now = F.minutes(5)
        let running = ClinicalRules.runningObservation(history, now: now, policy: policy)
        #expect(running?.release == ReleaseID("R-injectable") && running?.route == .injectable && running?.minutes == 15)
        func problems(_ staff: Staff, _ running: RunningObservation?, reason: String = "alert, breathing normally") -> Set<RefusalReason> {
            Set(ClinicalRules.endObservationProblems(patient: F.patient.id, running: running, staff: staff, reason: reason, now: now).map(\.reason))
        }
        #expect(problems(F.nurse, running).isEmpty)
        #expect(problems(F.clinician, running).isEmpty)
        let pharmacist = Staff(id: StaffID("S-3"), role: .pharmacist, card: F.nurseCard, pin: PlainPINs.hash("3333"))
        #expect(problems(pharmacist, running) == [.roleNotAllowed])
        #expect(problems(F.nurse, nil) == [.noObservationRunning])
        #expect(problems(F.nurse, running, reason: "  ") == [.noReason])
        var own = F.nurse
        own.alsoPatient = F.patient.id
        #expect(problems(own, running) == [.ownRecord])
        // Every failed rule at once.
        #expect(problems(pharmacist, nil, reason: "") == [.roleNotAllowed, .noObservationRunning, .noReason])
        // Once its time has run out nothing is running: nothing to end.
        #expect(ClinicalRules.runningObservation(history, now: F.minutes(15), policy: policy) == nil)
    }

    @Test func onlyAClinicianOrAdminReauthorisesAndOnlyWhenDaysWereMissed() {
        let policy = ClinicPolicy()
        let four = PatientHistory(recentReleases: [F.past(4)])
        func problems(_ staff: Staff, _ history: PatientHistory) -> Set<RefusalReason> {
            Set(ClinicalRules.reauthoriseProblems(patient: F.patient.id, history: history, staff: staff, reason: "reviewed",
                                                  now: F.morning, policy: policy).map(\.reason))
        }
        #expect(problems(F.clinician, four).isEmpty)
        #expect(problems(Staff(id: StaffID("S-9"), role: .admin, card: F.clinicianCard, pin: PlainPINs.hash("9")), four).isEmpty)
        #expect(problems(F.nurse, four) == [.roleNotAllowed])
        let detail = ClinicalRules.reauthoriseProblems(patient: F.patient.id, history: four, staff: F.nurse, reason: "x",
                                                       now: F.morning, policy: policy).first?.detail ?? ""
        #expect(detail.contains("only a clinician or admin"), "\(detail)")
        // Two missed days: nothing to re-authorise yet; never dosed: nothing missed.
        #expect(problems(F.clinician, PatientHistory(recentReleases: [F.past(3)])) == [.reauthorisationNotNeeded])
        #expect(problems(F.clinician, PatientHistory()) == [.reauthorisationNotNeeded])
        // Re-authorised after the last dose already.
        var done = four
        done.reauthorisedAt = F.minutes(-10)
        #expect(problems(F.clinician, done) == [.reauthorisationNotNeeded])
        #expect(ClinicalRules.missedDays(four, now: F.morning, policy: policy) == 3)
    }

    /// After 5+ missed days the re-authorisation alone is not enough: the prescription must be
    /// re-written as titrating after the gap, and from then on the titration limit binds.
    @Test func afterFiveMissedDaysTheReTitrationAndItsLimitStillApply() {
        var six = PatientHistory(recentReleases: [F.past(6)], reauthorisedAt: F.minutes(-10))
        // The old prescription, even titrating, was written before the gap.
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(history: six))) == [.missedDoseRetitration])
        let before = F.prescription(dose: 100, titrating: true, from: "2026-11-01", version: 2)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [before], history: six))) == [.missedDoseRetitration])
        let restart = F.prescription(dose: 100, titrating: true, from: "2026-11-25", version: 3)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [restart], history: six))).isEmpty)
        six.reauthorisedAt = nil
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(prescriptions: [restart], history: six))) == [.missedDoseRetitration])
        // The next day: 100 mg yesterday after the restart; 200 mg is more than 50 % of it.
        let tomorrow = F.morning.advanced(byMillis: 86_400_000)
        let restarted = PatientHistory(recentReleases: [F.past(6), F.past(0, dose: 100)], reauthorisedAt: F.minutes(-10))
        let raised = F.prescription(dose: 200, titrating: true, from: "2026-11-25", version: 4)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: tomorrow, prescriptions: [raised], history: restarted))) == [.titrationLimit])
        let step = F.prescription(dose: 50, titrating: true, from: "2026-11-25", version: 4)
        #expect(reasons(DispensePolicy.decide(F.request(), F.context(now: tomorrow, prescriptions: [step], history: restarted))).isEmpty)
    }
}

/// Each decision is one audit record of its own kind, with who, why and about what.
@Suite struct ClinicalDecisionRecordTests {
    @Test func eachDecisionIsOneAuditEventOfItsOwnKind() {
        let ended = LedgerWrite.observationCleared(F.patient.id, by: F.nurse.id, reason: "alert", release: ReleaseID("R-1"), at: F.morning).auditEvent
        #expect(ended.kind == .observationEnded && ended.wallMillis == F.morning.wallMillis)
        #expect(ended.fields == ["patient": "P-1", "staff": "S-1", "reason": "alert", "release": "R-1"])
        let reauthorised = LedgerWrite.reauthorised(F.patient.id, by: F.clinician.id, reason: "reviewed", missedDays: 3, at: F.morning).auditEvent
        #expect(reauthorised.kind == .reauthorised)
        #expect(reauthorised.fields == ["patient": "P-1", "staff": "S-2", "reason": "reviewed", "missed_days": "3"])
        #expect(reauthorised.message.contains("3 day(s) without a dose") && reauthorised.message.contains("S-2"))
    }
}
