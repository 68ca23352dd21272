import Testing
@testable import DoseCabCore

/// Choosing the dose at the counter (issue 17): a patient with injectable and inhalable heroin
/// and methadone in force gets one key per (drug, route, dose), and a refusal names the one asked.
enum Choice {
    static func rx(_ id: String, _ drug: Drug, _ route: Route, _ dose: Int, version: Int = 1) -> Prescription {
        Prescription(id: id, version: version, patient: PatientID("P-1"), drug: drug, route: route, doseMg: dose,
                     maxSessionsPerDay: 3, validFrom: "2026-11-01", validUntil: "2026-12-31", prescriber: "dr-a")
    }
    static let injectable = rx("RX-INJ", .diacetylmorphine, .injectable, 200)
    static let inhalable = rx("RX-INH", .diacetylmorphine, .inhalable, 300)
    static let methadone = rx("RX-MET", .methadone, .oral, 60)
    static let all = [inhalable, methadone, injectable]
    static let stock = [StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 200, count: 10),
                        StockLevel(drug: .diacetylmorphine, route: .inhalable, strengthMg: 100, count: 10),
                        StockLevel(drug: .methadone, route: .oral, strengthMg: 20, count: 10)]
}

@Suite struct DoseChoiceTests {
    @Test func eachDoseInForceHasItsOwnStableKey() {
        let offered = DoseChoice.offered(to: PatientID("P-1"), prescriptions: Choice.all, override: nil,
                                         today: ClinicPolicy().calendar.day(of: F.morning), at: F.morning)
        #expect(offered.map(\.key) == ["111", "112", "12"])
        #expect(offered.map(\.prescriptionID) == ["RX-INJ", "RX-INH", "RX-MET"])
        // One dose of a drug keeps the drug's short code; one prescription not yet valid is not offered.
        let later = Choice.rx("RX-LATER", .diacetylmorphine, .inhalable, 250)
        var notYet = later
        notYet.validFrom = "2026-12-01"
        let single = DoseChoice.offered(to: PatientID("P-1"), prescriptions: [Choice.injectable, Choice.methadone, notYet],
                                        override: nil, today: ClinicPolicy().calendar.day(of: F.morning), at: F.morning)
        #expect(single.map(\.key) == ["11", "12"])
        // Two doses of one drug and route: their place in dose order follows the route digit.
        let two = DoseChoice.offered(to: PatientID("P-1"), prescriptions: [Choice.inhalable, later, Choice.injectable],
                                     override: nil, today: ClinicPolicy().calendar.day(of: F.morning), at: F.morning)
        #expect(two.map(\.key) == ["111", "1121", "1122"])
        #expect(two.map(\.doseMg) == [200, 250, 300])
    }

    /// A request for a drug alone, with two doses of it in force, names both: the policy never
    /// picks one by prescription id (today's code released whichever had the higher version).
    @Test func aRequestForTheDrugAloneIsAmbiguousWithTwoDosesOfIt() {
        var inhalable = Choice.inhalable
        inhalable.version = 2
        let ctx = DispenseContext(now: F.morning, policy: ClinicPolicy(), prescriptions: [Choice.injectable, inhalable, Choice.methadone],
                                  history: PatientHistory(), stock: Choice.stock)
        let refusals = DispensePolicy.decide(F.request(drug: .diacetylmorphine), ctx).refusals
        #expect(refusals.map(\.reason) == [.noValidPrescription])
        #expect(refusals.first?.detail.contains("diacetylmorphine injectable 200 mg") == true)
        #expect(refusals.first?.detail.contains("diacetylmorphine inhalable 300 mg") == true)
    }

    @Test func aChosenPrescriptionThatChangedSinceItWasOfferedIsRefused() throws {
        let today = ClinicPolicy().calendar.day(of: F.morning)
        let offered = DoseChoice.offered(to: PatientID("P-1"), prescriptions: Choice.all, override: nil, today: today, at: F.morning)
        let injectable = try #require(offered.first { $0.key == "111" })
        var rewritten = Choice.injectable
        rewritten.version = 2
        rewritten.doseMg = 150
        let ctx = DispenseContext(now: F.morning, policy: ClinicPolicy(), prescriptions: [rewritten, Choice.inhalable],
                                  history: PatientHistory(), stock: Choice.stock)
        var request = F.request()
        request.choice = injectable
        let refusals = DispensePolicy.decide(request, ctx).refusals
        #expect(refusals.map(\.reason) == [.noValidPrescription])
        #expect(refusals.first?.detail.contains("150 mg") == true)
    }
}

extension CabinetTests {
    /// Staff and patient identified; the daemon's answer to `.offerChoices` fed back. Returns the
    /// effects of the answer (the prompt).
    mutating func identifyWithChoices(_ prescriptions: [Prescription]) -> [CabinetEffect] {
        staffLogin()
        _ = send(.card(F.patientCard, at: tick()))
        let fx = send(.keys("4321#", at: tick()))
        #expect(fx.contains(.offerChoices(PatientID("P-1"))))
        let offered = DoseChoice.offered(to: PatientID("P-1"), prescriptions: prescriptions, override: nil,
                                         today: cab.policy.calendar.day(of: now), at: now)
        return send(.choices(PatientID("P-1"), offered, at: tick()))
    }

    static func prompts(_ fx: [CabinetEffect]) -> [String] {
        fx.compactMap { if case .feedback(.prompt(let s)) = $0 { s } else { nil } }
    }

    @Test mutating func theInjectableHeroinIsChosenWithItsOwnKeyAndReleased() throws {
        let shown = Self.prompts(identifyWithChoices(Choice.all)).joined()
        #expect(shown.contains("111# diacetylmorphine injectable 200 mg"))
        #expect(shown.contains("112# diacetylmorphine inhalable 300 mg"))
        #expect(shown.contains("12# methadone oral 60 mg"))
        let fx = send(.keys("111#", at: tick()))
        let request = try #require(fx.lazy.compactMap { if case .evaluate(let r) = $0 { r } else { nil } }.first)
        #expect(request.choice?.prescriptionID == "RX-INJ" && request.notIntoxicatedAttested)
        let ctx = DispenseContext(now: now, policy: cab.policy, prescriptions: Choice.all, history: PatientHistory(), stock: Choice.stock)
        let decision = DispensePolicy.decide(request, ctx)
        guard case .release(let plan) = decision else { Issue.record("refused: \(decision)"); return }
        #expect(plan.prescriptionID == "RX-INJ" && plan.route == .injectable && plan.doseMg == 200)
        #expect(send(.decided(decision, releaseID: ReleaseID("R-C"), at: tick())) == [.commitReleaseIntent(ReleaseID("R-C"), plan)])
        #expect(send(.releaseCommitted(ReleaseID("R-C"), at: tick())).first == .energiseLock(ReleaseID("R-C")))
    }

    @Test mutating func aDrugCodeWithTwoDosesOfTheDrugAsksAgainInsteadOfPicking() {
        _ = identifyWithChoices(Choice.all)
        let fx = send(.keys("11#", at: tick()))
        #expect(!fx.contains { if case .evaluate = $0 { true } else { false } })
        let again = Self.prompts(fx).joined()
        #expect(again.contains("111#") && again.contains("112#") && !again.contains("methadone"))
        // 1# alone with three doses in force chooses nothing either.
        #expect(!send(.keys("1#", at: tick())).contains { if case .evaluate = $0 { true } else { false } })
    }

    @Test mutating func aRefusalNamesTheDoseAskedForAndWhy() throws {
        _ = identifyWithChoices(Choice.all)
        let fx = send(.keys("112#", at: tick()))
        let request = try #require(fx.lazy.compactMap { if case .evaluate(let r) = $0 { r } else { nil } }.first)
        // No inhalable heroin in stock.
        let ctx = DispenseContext(now: now, policy: cab.policy, prescriptions: Choice.all, history: PatientHistory(),
                                  stock: Choice.stock.filter { $0.route != .inhalable })
        let out = send(.decided(DispensePolicy.decide(request, ctx), releaseID: ReleaseID("R-N"), at: tick()))
        let refused = out.compactMap { if case .feedback(.refused(let s)) = $0 { s } else { nil } }.joined()
        #expect(refused.contains("112# diacetylmorphine inhalable 300 mg"))
        #expect(refused.contains("no-stock"))
        let details = Self.commits(out).compactMap { w -> String? in
            if case .refusal(_, _, let r, _) = w { r.map(\.description).joined(separator: "; ") } else { nil }
        }.joined()
        #expect(details.contains("diacetylmorphine inhalable 300 mg (RX-INH)") && details.contains("no-stock"))
    }
}
