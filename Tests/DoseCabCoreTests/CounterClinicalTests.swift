import Testing
@testable import DoseCabCore

/// Issue 17.1 at the counter: after the staff session and the patient's card + PIN, `8#` (end
/// observation early) or `9#` (re-authorise) → a reason code from the step's list → the staff
/// member's PIN `#`. The core only runs the dialogue: it asks the daemon to decide
/// (`.clinicalDecision`), whose rules and record are the control socket's, and shows the answer.
@Suite struct CounterClinicalTests {
    var cab = Cabinet(policy: ClinicPolicy(), roster: F.roster)
    var now = F.morning

    mutating func send(_ e: CabinetEvent) -> [CabinetEffect] { cab.handleAsTheDaemonDoes(e) }
    mutating func tick(_ seconds: Int64 = 1) -> Moment { now = now.advanced(byMillis: seconds * 1000); return now }

    static func prompts(_ fx: [CabinetEffect]) -> [String] {
        fx.compactMap { if case .feedback(.prompt(let s)) = $0 { s } else { nil } }
    }
    static func requests(_ fx: [CabinetEffect]) -> [ClinicalRequest] {
        fx.compactMap { if case .clinicalDecision(let r) = $0 { r } else { nil } }
    }

    /// Staff badge + PIN, patient card + PIN, one dose in force: at the dose choice.
    mutating func atTheDoseChoice(staffCard: CardID = F.nurseCard, staffPIN: String = "1111") -> [CabinetEffect] {
        _ = send(.card(staffCard, at: tick()))
        _ = send(.keys("\(staffPIN)#", at: tick()))
        _ = send(.card(F.patientCard, at: tick()))
        _ = send(.keys("4321#", at: tick()))
        return send(.choices(F.patient.id, [], at: tick()))
    }

    @Test mutating func theDoseChoiceNamesTheClinicalKeys() {
        let shown = Self.prompts(atTheDoseChoice()).joined()
        #expect(shown.contains("8# end observation early") && shown.contains("9# re-authorise after missed doses"), "\(shown)")
    }

    @Test mutating func aNurseEndsAnObservationWithAReasonCodeAndHerPIN() throws {
        _ = atTheDoseChoice()
        let reasons = send(.keys("8#", at: tick()))
        #expect(cab.step == .clinicalReason(F.patient, .endObservation))
        let listed = Self.prompts(reasons).joined()
        #expect(listed.contains("1# seen by staff: alert, breathing normally") && listed.contains("0# back"), "\(listed)")
        let ask = send(.keys("1#", at: tick()))
        #expect(Self.prompts(ask).first?.contains("S-1: enter your PIN") == true, "\(ask)")
        #expect(ask.contains { if case .startTimer(.pinEntry, _) = $0 { true } else { false } })
        let fx = send(.keys("1111#", at: tick()))
        let request = try #require(Self.requests(fx).first, "\(fx)")
        #expect(request == ClinicalRequest(step: .endObservation, patient: F.patient.id, staff: F.nurse,
                                           reason: "seen by staff: alert, breathing normally"))
        // The core writes nothing itself: the record is the daemon's, as for `dosecabctl observation end`.
        #expect(CabinetTests.commits(fx).isEmpty)
        #expect(cab.step == .clinicalDeciding(F.patient))
        let done = send(.clinicalDecided(request, .recorded("observation of P-1 ended early by S-1"), at: tick()))
        #expect(done.first == .feedback(.accepted("observation of P-1 ended early by S-1")))
        // The patient stays identified: the witness goes on to the dose.
        #expect(cab.step == .attestation(F.patient))
        let dose = send(.keys("1#", at: tick()))
        #expect(dose.contains { if case .evaluate = $0 { true } else { false } }, "\(dose)")
    }

    /// The refusal is the daemon's (the same rules as `dosecabctl reauthorise`), shown as it is.
    @Test mutating func aRefusedStepShowsEveryRuleAndLeavesThePatientAtTheChoice() throws {
        _ = atTheDoseChoice()
        _ = send(.keys("9#", at: tick()))
        _ = send(.keys("3#", at: tick()))
        let request = try #require(Self.requests(send(.keys("1111#", at: tick()))).first)
        #expect(request.step == .reauthorise && request.reason == "clinical review at the counter: see the patient's notes")
        let rules = ClinicalRules.reauthoriseProblems(patient: F.patient.id, history: PatientHistory(recentReleases: [F.past(4)]),
                                                      staff: F.nurse, reason: request.reason, now: now, policy: cab.policy)
        #expect(rules.map(\.reason) == [.roleNotAllowed])
        let decided = tick()
        let fx = send(.clinicalDecided(request, .refused(rules), at: decided))
        #expect(fx.contains(.feedback(.refused("role-not-allowed: S-1 is a nurse; only a clinician or admin may re-authorise after missed doses"))))
        #expect(cab.step == .attestation(F.patient))
        // On the record as every refusal is (I3), naming the patient and the staff member who keyed it.
        #expect(fx.contains(.commit(.refusal(patient: F.patient.id, staff: F.nurse.id, refusals: rules, at: decided))), "\(fx)")
    }

    @Test mutating func anUnknownReasonAsksAgainAndZeroGoesBack() {
        _ = atTheDoseChoice()
        _ = send(.keys("9#", at: tick()))
        let again = send(.keys("7#", at: tick()))
        #expect(Self.prompts(again).first?.contains("key one of 1#") == true, "\(again)")
        #expect(cab.step == .clinicalReason(F.patient, .reauthorise))
        let back = send(.keys("0#", at: tick()))
        #expect(cab.step == .attestation(F.patient))
        #expect(Self.prompts(back).first?.hasPrefix("witness:") == true, "\(back)")
        // Back at the choice, 0# still means intoxicated (a refusal), not "back".
        let declined = send(.keys("0#", at: tick()))
        #expect(declined.contains { if case .evaluate(let r) = $0 { !r.notIntoxicatedAttested } else { false } })
    }

    /// A wrong PIN is the counter's wrong PIN: recorded, counted towards the badge's lockout,
    /// and nothing is asked of the daemon.
    @Test mutating func aWrongPINIsRefusedAndCounted() {
        _ = atTheDoseChoice()
        _ = send(.keys("8#", at: tick()))
        _ = send(.keys("2#", at: tick()))
        let fx = send(.keys("9999#", at: tick()))
        #expect(Self.requests(fx).isEmpty)
        #expect(CabinetTests.refusalReasons(fx) == [.wrongPIN])
        #expect(cab.pinFailures[F.nurseCard]?.count == 1)
        #expect(cab.step == .idle)
    }

    @Test mutating func theConfirmationTimesOut() {
        _ = atTheDoseChoice()
        _ = send(.keys("8#", at: tick()))
        _ = send(.keys("1#", at: tick()))
        _ = send(.timer(.pinEntry, at: tick(Int64(cab.policy.pinEntrySeconds) + 1)))
        #expect(cab.step == .idle)
        #expect(Self.requests(send(.keys("1111#", at: tick()))).isEmpty)
    }

    /// The step is the session's staff member's decision: without a session nothing is asked.
    @Test mutating func anExpiredStaffSessionEndsTheStep() {
        _ = atTheDoseChoice()
        _ = send(.keys("8#", at: tick()))
        _ = send(.timer(.staffSession, at: tick(Int64(cab.policy.staffSessionSeconds) + 1)))
        #expect(cab.step == .idle)
        #expect(Self.requests(send(.keys("1#", at: tick()))).isEmpty)
    }
}
