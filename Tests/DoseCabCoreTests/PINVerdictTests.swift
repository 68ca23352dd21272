import Testing
@testable import DoseCabCore

/// Issue 19.7: the cabinet never runs the KDF. It says which hash an entry is checked against
/// (`pinCheck(forKeys:at:)`), and takes a verdict only for exactly that entry and that hash while
/// its step still expects them; anything else is checked against nothing and counts nothing.
@Suite struct PINVerdictTests {
    var cab = Cabinet(policy: ClinicPolicy(), roster: F.roster)
    var now = F.morning

    mutating func tick(_ seconds: Int64 = 1) -> Moment { now = now.advanced(byMillis: seconds * 1000); return now }

    static func prompts(_ fx: [CabinetEffect]) -> [String] {
        fx.compactMap { if case .feedback(.prompt(let s)) = $0 { s } else { nil } }
    }

    static func refusals(_ fx: [CabinetEffect]) -> [RefusalReason] {
        fx.flatMap { e -> [RefusalReason] in
            if case .commit(.refusal(_, _, let r, _)) = e { r.map(\.reason) } else { [] }
        }
    }

    @Test mutating func theCheckNamesTheEntryAndTheHashOfTheStep() {
        #expect(cab.pinCheck(forKeys: "1111#", at: tick()) == nil, "idle: no PIN step")
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        #expect(cab.pinCheck(forKeys: "1111", at: now) == nil, "no # yet: no entry")
        #expect(cab.pinCheck(forKeys: "1111#", at: now) == PINCheck(entry: "1111", hash: F.nurse.pin))
        // Keys typed earlier are part of the entry, `*` clears them; only the first # counts.
        _ = cab.handle(.keys("99*11", at: now))
        #expect(cab.pinCheck(forKeys: "11#22#", at: now) == PINCheck(entry: "1111", hash: F.nurse.pin))
        // Its time is up: no check, the entry times out unhashed.
        #expect(cab.pinCheck(forKeys: "#", at: now.advanced(byMillis: 31_000)) == nil)
        #expect(Cabinet.keySegments("11#22#3") == ["11#", "22#", "3"])

        let check = cab.pinCheck(forKeys: "11#", at: tick())!
        _ = cab.handle(.checkedKeys("11#", check.run(PlainPINs()), at: now))
        _ = cab.handle(.card(F.patientCard, at: tick()))
        #expect(cab.pinCheck(forKeys: "4321#", at: now) == PINCheck(entry: "4321", hash: F.patient.pin))
    }

    @Test mutating func aVerdictForAnotherHashIsNotAccepted() {
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        // The clinician's PIN checked against the clinician's hash: true, but not what this step expects.
        let other = PINCheck(entry: "2222", hash: F.clinician.pin).run(PlainPINs())
        #expect(other.matches)
        let fx = cab.handle(.checkedKeys("2222#", other, at: tick()))
        #expect(Self.prompts(fx) == ["PIN not checked: enter it again, then #"])
        #expect(Self.refusals(fx).isEmpty && cab.pinFailures.isEmpty, "nothing was checked, nothing counts")
        #expect(cab.staffSession == nil)
        #expect(cab.step == .staffPIN(F.nurse, expires: F.morning.bootMillis + 1000 + 30_000), "the step stays, its time running")
        // Then the verdict for this step's own hash is taken.
        let own = cab.pinCheck(forKeys: "1111#", at: tick())!
        _ = cab.handle(.checkedKeys("1111#", own.run(PlainPINs()), at: now))
        #expect(cab.staffSession?.staff == F.nurse)
    }

    @Test mutating func aVerdictForAnotherEntryIsNotAccepted() {
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        let verdict = PINCheck(entry: "1111", hash: F.nurse.pin).run(PlainPINs())
        // The keys fed complete another entry than the one checked.
        let fx = cab.handle(.checkedKeys("0000#", verdict, at: tick()))
        #expect(Self.prompts(fx) == ["PIN not checked: enter it again, then #"])
        #expect(cab.staffSession == nil && cab.pinFailures.isEmpty)
    }

    @Test mutating func keysWithoutAVerdictAreNotCheckedAtAPINStep() {
        _ = cab.handle(.card(F.patientCard, at: tick()))  // no session: refused, nothing asked
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        let fx = cab.handle(.keys("1111#", at: tick()))
        #expect(Self.prompts(fx) == ["PIN not checked: enter it again, then #"])
        #expect(cab.staffSession == nil && cab.pinFailures.isEmpty)
    }

    @Test mutating func aVerdictThatArrivesAfterTheStepTimedOutChecksNothing() {
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        let typed = tick()
        let wrong = cab.pinCheck(forKeys: "0000#", at: typed)!.run(PlainPINs())
        // The PIN entry timer fires while the check runs.
        _ = cab.handle(.timer(.pinEntry, at: now.advanced(byMillis: 30_000)))
        #expect(cab.step == .idle)
        let fx = cab.handle(.checkedKeys("0000#", wrong, at: typed))
        #expect(fx.isEmpty && cab.pinFailures.isEmpty, "a stale wrong PIN is not counted")
        let right = PINCheck(entry: "1111", hash: F.nurse.pin).run(PlainPINs())
        #expect(cab.handle(.checkedKeys("1111#", right, at: typed)).isEmpty)
        #expect(cab.staffSession == nil, "a stale right PIN opens nothing")
    }

    @Test mutating func theSocketTakesOnlyAVerdictOnTheBadgesOwnHash() {
        var result = cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: PINCheck(entry: "2222", hash: F.clinician.pin).run(PlainPINs()),
                                        action: "test", account: 1001, at: tick())
        #expect(result.refusal?.reason == .wrongPIN && cab.pinFailures.isEmpty, "refused, not counted")
        for attempt in 1...3 {
            result = cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: PINCheck(entry: "0000", hash: F.nurse.pin).run(PlainPINs()),
                                        action: "test", account: 1001, at: tick())
            #expect(result.refusal?.reason == (attempt < 3 ? .wrongPIN : .pinLockout))
        }
        #expect(cab.isLockedOut(F.nurseCard, at: now))
        // Locked out: refused whatever the verdict (the daemon does not even run the check).
        let right = PINCheck(entry: "1111", hash: F.nurse.pin).run(PlainPINs())
        #expect(cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: right, action: "test", account: 1001, at: tick()).refusal?.reason == .pinLockout)
        #expect(cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: nil, action: "test", account: 1001, at: tick()).refusal?.reason == .pinLockout)
        now = now.advanced(byMillis: 16 * 60_000)
        #expect(cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: right, action: "test", account: 1001, at: tick()).refusal == nil)
        #expect(cab.pinFailures.isEmpty)
    }

    // Review of issue 19.7: what held when the card was read may not hold when the verdict lands.

    /// Wrong PINs over the control socket lock the badge out while its counter entry is being
    /// checked: the right PIN's verdict, landing after, opens nothing.
    @Test mutating func aBadgeLockedOutWhileItsPINWasCheckedIsRefused() {
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        let right = cab.pinCheck(forKeys: "1111#", at: now)!.run(PlainPINs())
        #expect(right.matches)
        for _ in 1...3 {
            _ = cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: PINCheck(entry: "0000", hash: F.nurse.pin).run(PlainPINs()),
                                   action: "guessing", account: 1001, at: tick())
        }
        #expect(cab.isLockedOut(F.nurseCard, at: now))
        let fx = cab.handle(.checkedKeys("1111#", right, at: tick()))
        #expect(cab.staffSession == nil, "a locked-out badge opened a session")
        #expect(Self.refusals(fx) == [.pinLockout])
        #expect(cab.step == .idle)
    }

    /// The patient's card is withdrawn (the roster reloaded without it) while the PIN is checked.
    @Test mutating func aCardUnenrolledWhileItsPINWasCheckedIsRefused() {
        _ = cab.handle(.card(F.nurseCard, at: tick()))
        _ = cab.handleAsTheDaemonDoes(.keys("1111#", at: tick()))
        #expect(cab.staffSession?.staff == F.nurse)
        _ = cab.handle(.card(F.patientCard, at: tick()))
        let right = cab.pinCheck(forKeys: "4321#", at: now)!.run(PlainPINs())
        _ = cab.handle(.roster(Roster(patients: [F.otherPatient], staff: [F.nurse, F.clinician])))
        let fx = cab.handle(.checkedKeys("4321#", right, at: tick()))
        #expect(!fx.contains(.offerChoices(F.patient.id)), "an un-enrolled card went on to the dose")
        #expect(Self.refusals(fx) == [.unknownCard])
        #expect(cab.step == .idle && cab.pinFailures.isEmpty, "refused, not counted as a wrong PIN")
    }

    /// A staff member re-enrolled with another role (and the same card and PIN) while their PIN
    /// is checked: the session is not opened on the record the card was read with.
    @Test mutating func aBadgeChangedWhileItsPINWasCheckedIsRefused() {
        _ = cab.handle(.card(F.clinicianCard, at: tick()))
        let right = cab.pinCheck(forKeys: "2222#", at: now)!.run(PlainPINs())
        var demoted = F.clinician
        demoted.role = .nurse
        _ = cab.handle(.roster(Roster(patients: [F.patient], staff: [F.nurse, demoted])))
        let fx = cab.handle(.checkedKeys("2222#", right, at: tick()))
        #expect(cab.staffSession == nil, "a session opened on the record from before the change")
        #expect(Self.refusals(fx) == [.unknownCard])
    }

    /// Over the control socket the daemon reads the staff record again when the verdict lands:
    /// changed (here re-PINned) or withdrawn meanwhile, the right PIN is refused, uncounted.
    @Test mutating func theSocketRefusesARecordChangedWhileItsPINWasChecked() {
        let right = PINCheck(entry: "1111", hash: F.nurse.pin).run(PlainPINs())
        var rePINned = F.nurse
        rePINned.pin = PlainPINs.hash("5555")
        for current in [rePINned, nil] {
            let result = cab.checkSocketPIN(F.nurse, current: current, verdict: right, action: "test", account: 1001, at: tick())
            #expect(result.refusal?.reason == .unknownCard, "\(String(describing: current))")
        }
        #expect(cab.pinFailures.isEmpty)
        #expect(cab.checkSocketPIN(F.nurse, current: F.nurse, verdict: right, action: "test", account: 1001, at: tick()).refusal == nil)
    }
}
