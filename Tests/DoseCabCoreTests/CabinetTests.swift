import Testing
@testable import DoseCabCore

/// Drives the cabinet state machine through ARCHITECTURE §3 steps 1-7 and its alarms, playing the
/// daemon's part (evaluate → decided, commitReleaseIntent → releaseCommitted) by hand.
@Suite struct CabinetTests {
    var cab = Cabinet(policy: ClinicPolicy(), roster: F.roster)
    var now = F.morning
    var log: [CabinetEffect] = []

    mutating func send(_ e: CabinetEvent) -> [CabinetEffect] {
        let fx = cab.handleAsTheDaemonDoes(e)
        log += fx
        return fx
    }
    mutating func tick(_ seconds: Int64 = 1) -> Moment { now = now.advanced(byMillis: seconds * 1000); return now }

    static func commits(_ fx: [CabinetEffect]) -> [LedgerWrite] {
        fx.compactMap { if case .commit(let w) = $0 { return w } else { return nil } }
    }
    static func refusalReasons(_ fx: [CabinetEffect]) -> [RefusalReason] {
        commits(fx).flatMap { w -> [RefusalReason] in
            if case .refusal(_, _, let r, _) = w { return r.map(\.reason) } else { return [] }
        }
    }
    static func hasEnergise(_ fx: [CabinetEffect]) -> Bool { fx.contains { if case .energiseLock = $0 { true } else { false } } }

    mutating func staffLogin() {
        _ = send(.card(F.nurseCard, at: tick()))
        let fx = send(.keys("1111#", at: tick()))
        #expect(fx.contains(.feedback(.accepted("staff session open: S-1 (nurse)"))))
    }

    /// Staff, patient, attestation: returns the evaluate request.
    mutating func identify(attest: String = "1#") -> DispenseRequest? {
        staffLogin()
        _ = send(.card(F.patientCard, at: tick()))
        _ = send(.keys("4321#", at: tick()))
        let fx = send(.keys(attest, at: tick()))
        for e in fx { if case .evaluate(let r) = e { return r } }
        return nil
    }

    /// Through to an energised lock with a one-unit release.
    mutating func unlock(id: ReleaseID = ReleaseID("R-1")) -> ReleasePlan? {
        guard let req = identify() else { return nil }
        let decision = DispensePolicy.decide(req, F.context(now: now))
        guard case .release(let plan) = decision else { return nil }
        let fx = send(.decided(decision, releaseID: id, at: tick()))
        #expect(fx == [.commitReleaseIntent(id, plan)])
        let after = send(.releaseCommitted(id, at: tick()))
        #expect(after.first == .energiseLock(id))
        return plan
    }

    @Test mutating func fullDispenseAndReturn() throws {
        let plan = try #require(unlock())
        #expect(cab.lockEnergised)
        // The solenoid pulls the bolt back: no alarm, the lock is commanded open.
        #expect(send(.bolt(engaged: false, at: tick())).isEmpty)
        // Door opens: lock goes safe at once.
        var fx = send(.door(open: true, at: tick()))
        #expect(fx.first == .deEnergiseLock)
        #expect(!cab.lockEnergised)
        let stock = StockUnit(serial: UnitSerial("700001"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200, batch: "B-1", expiry: "2027-12-31")
        fx = send(.issueScan(stock.serial, stock: stock, at: tick()))
        let issued = Self.commits(fx)
        guard case .issue(let unit) = issued.first else { Issue.record("no issue commit: \(fx)"); return }
        #expect(unit.patient == PatientID("P-1") && unit.release == ReleaseID("R-1") && unit.rule == .return)
        #expect(fx.contains(.startTimer(.closeOut(stock.serial), atBootMillis: unit.deadline.bootMillis)))
        // Door closes, bolt engages: release completed with its count-back.
        #expect(send(.door(open: false, at: tick())).contains { if case .startTimer(.boltConfirm, _) = $0 { true } else { false } })
        fx = send(.bolt(engaged: true, at: tick()))
        #expect(fx.contains(.cancelTimer(.boltConfirm)))
        #expect(Self.commits(log).allSatisfy { if case .alarm = $0 { false } else { true } })
        #expect(plan.unitCount == 1)
        let completed = Self.commits(log).contains { if case .releaseCompleted(_, _, 1, 1, "complete", _) = $0 { true } else { false } }
        #expect(completed)
        #expect(cab.release == nil)
        // Return through the chute.
        fx = send(.returned(stock.serial, at: tick(600)))
        #expect(Self.commits(fx).contains { if case .unitReturned(let s, _, _, _) = $0 { s == stock.serial } else { false } })
        #expect(fx.contains(.cancelTimer(.closeOut(stock.serial))))
        #expect(cab.ledger.openUnits.isEmpty)
        #expect(cab.ledger.reconcile(day: F.morning.wallMillis / 86_400_000, drug: .diacetylmorphine).returned == 1)
    }

    @Test mutating func writeAheadNoEnergiseBeforeCommit() throws {
        let req = try #require(identify())
        let decision = DispensePolicy.decide(req, F.context(now: now))
        let fx = send(.decided(decision, releaseID: ReleaseID("R-9"), at: tick()))
        #expect(!Self.hasEnergise(fx))
        guard case .commitReleaseIntent = fx.first else { Issue.record("expected write-ahead first"); return }
        // A failed commit never energises and is a refusal.
        let failed = send(.releaseCommitFailed(ReleaseID("R-9"), reason: "disk full", at: tick()))
        #expect(!Self.hasEnergise(failed))
        #expect(Self.refusalReasons(failed) == [.storeUnavailable])
        // A stray commit acknowledgement for a release never proposed does nothing.
        #expect(send(.releaseCommitted(ReleaseID("R-X"), at: tick())).isEmpty)
        #expect(!cab.lockEnergised)
        // The whole log never energised.
        #expect(!Self.hasEnergise(log))
    }

    @Test mutating func refusalIsCommittedAndShown() throws {
        let req = try #require(identify(attest: "0#"))
        #expect(req.notIntoxicatedAttested == false)
        let decision = DispensePolicy.decide(req, F.context(now: now))
        let fx = send(.decided(decision, releaseID: ReleaseID("R-2"), at: tick()))
        #expect(Self.refusalReasons(fx) == [.noIntoxicationAttestation])
        #expect(!Self.hasEnergise(fx))
        #expect(fx.contains { if case .feedback(.refused) = $0 { true } else { false } })
    }

    @Test mutating func drugChoiceAtAttestation() throws {
        let req = try #require(identify(attest: "12#"))
        #expect(req.drug == .methadone && req.notIntoxicatedAttested)
    }

    @Test mutating func unknownCardAndNoWitness() {
        var fx = send(.card(CardID(format: .h10306, facility: 1, number: 2), at: tick()))
        #expect(Self.refusalReasons(fx) == [.unknownCard])
        fx = send(.card(F.patientCard, at: tick()))
        #expect(Self.refusalReasons(fx) == [.noStaffWitness])
        // Same number under another facility is another card.
        fx = send(.card(CardID(format: .h10301, facility: 21, number: 500), at: tick()))
        #expect(Self.refusalReasons(fx) == [.unknownCard])
    }

    @Test mutating func wrongPINThenLockout() {
        staffLogin()
        for attempt in 1...3 {
            _ = send(.card(F.patientCard, at: tick()))
            let fx = send(.keys("0000#", at: tick()))
            #expect(Self.refusalReasons(fx) == [attempt < 3 ? .wrongPIN : .pinLockout])
        }
        // Locked out even with the right PIN.
        let fx = send(.card(F.patientCard, at: tick()))
        #expect(Self.refusalReasons(fx) == [.pinLockout])
        // After the lockout time the card works again.
        now = now.advanced(byMillis: 16 * 60_000)
        staffLogin()
        _ = send(.card(F.patientCard, at: tick()))
        let ok = send(.keys("4321#", at: tick()))
        #expect(Self.refusalReasons(ok).isEmpty)
        #expect(cab.step == .attestation(F.patient))
    }

    @Test mutating func witnessCannotBeThePatient() throws {
        // A staff member who is also the patient badges in as witness.
        let selfStaff = Staff(id: StaffID("S-9"), role: .nurse, card: CardID(format: .h10301, facility: 10, number: 109),
                              pin: PlainPINs.hash("5555"), alsoPatient: PatientID("P-1"))
        cab = Cabinet(policy: ClinicPolicy(), roster: Roster(patients: [F.patient], staff: [selfStaff]))
        _ = send(.card(selfStaff.card, at: tick()))
        _ = send(.keys("5555#", at: tick()))
        _ = send(.card(F.patientCard, at: tick()))
        _ = send(.keys("4321#", at: tick()))
        let fx = send(.keys("1#", at: tick()))
        guard case .evaluate(let req) = fx.first else { Issue.record("no evaluate"); return }
        #expect(req.witnessIsPatient)
        #expect(Set(DispensePolicy.decide(req, F.context(now: now)).refusals.map(\.reason)) == [.witnessIsPatient])
    }

    @Test mutating func unlockWindowExpiresSafe() throws {
        _ = try #require(unlock())
        let fx = send(.timer(.unlockWindow(ReleaseID("R-1")), at: tick(21)))
        #expect(fx.first == .deEnergiseLock)
        #expect(!cab.lockEnergised && cab.release == nil)
        #expect(Self.commits(fx).contains { if case .releaseCompleted(_, _, 0, _, _, _) = $0 { true } else { false } })
    }

    @Test mutating func forcedDoorRaisesAlarmAndLockdown() {
        let fx = send(.door(open: true, at: tick()))
        #expect(fx.first == .deEnergiseLock)
        let writes = Self.commits(fx)
        #expect(writes.contains { if case .alarm(.forcedDoor, _, _) = $0 { true } else { false } })
        #expect(writes.contains { if case .lockdown(true, _, _, _) = $0 { true } else { false } })
        #expect(cab.lockdown != nil && cab.alarmActive)
        // Lockdown blocks the next release even if the policy (wrongly) said yes.
        staffLogin()
        _ = send(.door(open: false, at: tick()))
        _ = send(.card(F.patientCard, at: tick()))
        _ = send(.keys("4321#", at: tick()))
        guard case .evaluate(let req) = send(.keys("1#", at: tick())).first else { Issue.record("no evaluate"); return }
        guard case .release(let plan) = DispensePolicy.decide(req, F.context(now: now)) else { Issue.record("policy"); return }
        let out = send(.decided(.release(plan), releaseID: ReleaseID("R-L"), at: tick()))
        #expect(Self.refusalReasons(out) == [.lockdown])
        // Lockdown off by an admin.
        let off = send(.lockdown(on: false, reason: "door inspected", by: "uid=0", at: tick()))
        #expect(Self.commits(off).contains { if case .lockdown(false, _, _, _) = $0 { true } else { false } })
        #expect(cab.lockdown == nil)
    }

    @Test mutating func tamperAndHardwareFault() {
        var fx = send(.tamper(at: tick()))
        #expect(fx.first == .deEnergiseLock)
        #expect(Self.commits(fx).contains { if case .alarm(.tamper, _, _) = $0 { true } else { false } })
        #expect(cab.lockdown != nil)
        cab = Cabinet(policy: ClinicPolicy(), roster: F.roster)
        fx = send(.fault("lock line: EIO", at: tick()))
        #expect(fx.first == .deEnergiseLock)
        #expect(Self.commits(fx).contains { if case .alarm(.hardwareFault, _, _) = $0 { true } else { false } })
    }

    @Test mutating func boltDisagreementWhileDoorClosed() {
        // Bolt drops while the lock is not energised and the door is closed.
        let fx = send(.bolt(engaged: false, at: tick()))
        #expect(fx.first == .deEnergiseLock)
        #expect(Self.commits(fx).contains { if case .alarm(.boltDisagreement, _, _) = $0 { true } else { false } })
        #expect(cab.lockdown != nil)
    }

    @Test mutating func boltDoesNotEngageAfterCloseIsALockFault() throws {
        _ = try #require(unlock())
        _ = send(.bolt(engaged: false, at: tick()))     // solenoid pulled
        _ = send(.door(open: true, at: tick()))
        _ = send(.door(open: false, at: tick()))
        let fx = send(.timer(.boltConfirm, at: tick(4)))
        #expect(Self.commits(fx).contains { if case .alarm(.lockFault, _, _) = $0 { true } else { false } })
        #expect(Self.commits(fx).contains { if case .releaseCompleted(_, _, _, _, "lock fault", _) = $0 { true } else { false } })
        #expect(cab.lockdown != nil)
    }

    @Test mutating func doorHeldOpenIsAnAlarm() throws {
        _ = try #require(unlock())
        _ = send(.door(open: true, at: tick()))
        let fx = send(.timer(.doorHeldOpen(ReleaseID("R-1")), at: tick(121)))
        #expect(Self.commits(fx).contains { if case .alarm(.doorHeldOpen, _, _) = $0 { true } else { false } })
    }

    @Test mutating func unreturnedUnitBecomesIncidentAndHold() throws {
        _ = try #require(unlock())
        _ = send(.door(open: true, at: tick()))
        let stock = StockUnit(serial: UnitSerial("700002"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200, batch: "B-1", expiry: "2027-12-31")
        _ = send(.issueScan(stock.serial, stock: stock, at: tick()))
        _ = send(.door(open: false, at: tick()))
        // Before the deadline nothing happens.
        #expect(send(.timer(.closeOut(stock.serial), at: tick(60))).isEmpty)
        let fx = send(.timer(.closeOut(stock.serial), at: tick(3600)))
        let writes = Self.commits(fx)
        #expect(writes.contains { if case .unitIncident(let s, _, _, _, _) = $0 { s == stock.serial } else { false } })
        #expect(writes.contains { if case .hold(let p, _, _) = $0 { p == PatientID("P-1") } else { false } })
        #expect(cab.holds[PatientID("P-1")] != nil)
        // A late return does not undo the incident; it is an anomaly.
        let late = send(.returned(stock.serial, at: tick()))
        #expect(Self.commits(late).contains { if case .anomaly(.lateReturn, _, _, _, _) = $0 { true } else { false } })
        // Only a clinician clears the hold.
        #expect(Self.commits(send(.clearHold(PatientID("P-1"), by: StaffID("S-1"), reason: "x", at: tick()))).isEmpty)
        let cleared = send(.clearHold(PatientID("P-1"), by: StaffID("S-2"), reason: "ampoule found broken in chute", at: tick()))
        #expect(Self.commits(cleared).contains { if case .holdCleared = $0 { true } else { false } })
        #expect(cab.holds.isEmpty)
    }

    @Test mutating func issueScanMustMatchTheRelease() throws {
        _ = try #require(unlock())
        _ = send(.door(open: true, at: tick()))
        let methadone = StockUnit(serial: UnitSerial("800001"), drug: .methadone, route: .oral, strengthMg: 50, batch: "B-1", expiry: "2027-12-31")
        var fx = send(.issueScan(methadone.serial, stock: methadone, at: tick()))
        #expect(Self.commits(fx).contains { if case .anomaly = $0 { true } else { false } })
        #expect(!Self.commits(fx).contains { if case .issue = $0 { true } else { false } })
        fx = send(.issueScan(UnitSerial("999"), stock: nil, at: tick()))
        #expect(Self.commits(fx).contains { if case .anomaly(.unknownSerial, _, _, _, _) = $0 { true } else { false } })
        let good = StockUnit(serial: UnitSerial("700003"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200, batch: "B-1", expiry: "2027-12-31")
        fx = send(.issueScan(good.serial, stock: good, at: tick()))
        #expect(Self.commits(fx).contains { if case .issue = $0 { true } else { false } })
        // A second unit exceeds the release's count.
        let extra = StockUnit(serial: UnitSerial("700004"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200, batch: "B-1", expiry: "2027-12-31")
        fx = send(.issueScan(extra.serial, stock: extra, at: tick()))
        #expect(!Self.commits(fx).contains { if case .issue = $0 { true } else { false } })
    }

    @Test mutating func countMismatchAtCloseHoldsThePatient() throws {
        _ = try #require(unlock())
        _ = send(.door(open: true, at: tick()))
        _ = send(.door(open: false, at: tick()))
        let fx = log + send(.bolt(engaged: true, at: tick()))
        let writes = Self.commits(fx)
        #expect(writes.contains { if case .releaseCompleted(_, _, 0, 1, let o, _) = $0 { o.hasPrefix("count-mismatch") } else { false } })
        #expect(writes.contains { if case .hold = $0 { true } else { false } })
    }

    @Test mutating func witnessedCloseOut() throws {
        // Oral methadone: witnessed, not returned.
        let req = try #require(identify(attest: "12#"))
        let ctx = F.context(now: now, prescriptions: [F.prescription(dose: 50, drug: .methadone, route: .oral, sessions: 1)])
        let decision = DispensePolicy.decide(req, ctx)
        guard case .release(let plan) = decision else { Issue.record("\(decision)"); return }
        _ = send(.decided(decision, releaseID: ReleaseID("R-M"), at: tick()))
        _ = send(.releaseCommitted(ReleaseID("R-M"), at: tick()))
        _ = send(.door(open: true, at: tick()))
        let cup = StockUnit(serial: UnitSerial("800002"), drug: .methadone, route: .oral, strengthMg: plan.unitStrengthMg, batch: "B-1", expiry: "2027-12-31")
        _ = send(.issueScan(cup.serial, stock: cup, at: tick()))
        _ = send(.door(open: false, at: tick()))
        _ = send(.bolt(engaged: true, at: tick()))
        let fx = send(.confirmConsumed(cup.serial, witness: StaffID("S-1"), at: tick()))
        #expect(Self.commits(fx).contains { if case .unitConsumed(let s, _, _, let w, _) = $0 { s == cup.serial && w == StaffID("S-1") } else { false } })
        #expect(cab.ledger.openUnits.isEmpty)
        let day = cab.policy.calendar.day(of: now)
        #expect(cab.ledger.reconcile(day: day, drug: .methadone).consumed == 1)
        #expect(cab.ledger.isConsistent)
    }

    @Test mutating func startIsSafeAndResumesDeadlines() {
        var ledger = UnitLedger()
        let unit = IssuedUnit(serial: UnitSerial("1"), release: ReleaseID("R-0"), patient: PatientID("P-1"), drug: .diacetylmorphine,
                              route: .injectable, strengthMg: 200, rule: .return, issuedAt: F.morning,
                              deadline: F.morning.advanced(byMillis: 3_600_000))
        _ = ledger.issue(unit)
        cab = Cabinet(policy: ClinicPolicy(), roster: F.roster, ledger: ledger)
        // New boot: the deadline moves onto this boot's clock by wall time.
        let later = Moment(wallMillis: F.morning.wallMillis + 600_000, bootMillis: 5_000, bootID: "boot-2")
        let fx = cab.start(doorOpen: false, boltEngaged: true, interrupted: [], at: later)
        #expect(fx.first == .deEnergiseLock)
        #expect(fx.contains(.startTimer(.closeOut(UnitSerial("1")), atBootMillis: 5_000 + 3_000_000)))
        // Door found open with nothing in flight: downtime with the mechanical key.
        var other = Cabinet(policy: ClinicPolicy(), roster: F.roster)
        let open = other.start(doorOpen: true, boltEngaged: false, interrupted: [], at: later)
        #expect(Self.commits(open).contains { if case .alarm(.mechanicalKey, _, _) = $0 { true } else { false } })
        // Door open with an interrupted release that had all its units scanned: attached to it,
        // no alarm, no hold; the door is timed like a door held open (issue 18.7).
        var third = Cabinet(policy: ClinicPolicy(), roster: F.roster)
        let r0 = InterruptedRelease(id: ReleaseID("R-0"), patient: PatientID("P-1"), unitsIssued: 1, unitsExpected: 1)
        let attached = third.start(doorOpen: true, boltEngaged: false, interrupted: [r0], at: later)
        #expect(Self.commits(attached).isEmpty)
        #expect(attached.contains(.startTimer(.doorHeldOpen(ReleaseID("R-0")), atBootMillis: 5_000 + 120_000)))
        // Fewer units scanned than planned: a hold, as a count mismatch.
        var fourth = Cabinet(policy: ClinicPolicy(), roster: F.roster)
        let short = InterruptedRelease(id: ReleaseID("R-0"), patient: PatientID("P-1"), unitsIssued: 0, unitsExpected: 2)
        let held = fourth.start(doorOpen: false, boltEngaged: true, interrupted: [short], at: later)
        #expect(Self.commits(held).contains(.hold(PatientID("P-1"), reason: "release R-0: interrupted: 0 of 2 units scanned", at: later)))
    }

    @Test mutating func alarmsMakeSafeBeforeRecording() throws {
        _ = try #require(unlock())
        let fx = send(.tamper(at: tick()))
        let safe = try #require(fx.firstIndex(of: .deEnergiseLock))
        let firstCommit = try #require(fx.firstIndex { if case .commit = $0 { true } else { false } })
        #expect(safe < firstCommit)
        #expect(!cab.lockEnergised)
    }
}
