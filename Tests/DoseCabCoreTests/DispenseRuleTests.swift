import Testing
@testable import DoseCabCore

/// The dispense rules as units (issue 19.3): each registered once, each judged, and a rule added
/// to the list judged with the others without touching any of them.
@Suite struct DispenseRuleTests {
    /// A rule a clinic might add: a second witness above 400 mg (here only its refusal).
    struct SecondWitnessAbove400: DoseRule {
        func refusals(_ dose: DoseUnderReview) -> [Refusal] {
            dose.doseMg > 400 ? [Refusal(.noStaffWitness, "\(dose.doseMg) mg: a second witness is required above 400 mg")] : []
        }
    }

    @Test func everyRuleIsRegisteredOnce() {
        let requestTypes = DispensePolicy.requestRules.map { String(describing: type(of: $0)) }
        let doseTypes = DispensePolicy.doseRules.map { String(describing: type(of: $0)) }
        #expect(Set(requestTypes).count == requestTypes.count, "\(requestTypes)")
        #expect(Set(doseTypes).count == doseTypes.count, "\(doseTypes)")
        // Dropping a rule from a list must be seen: the lists hold what the policy documents.
        #expect(requestTypes.count == 9 && doseTypes.count == 9, "\(requestTypes) \(doseTypes)")
    }

    @Test func aRuleAddedToTheListIsJudgedWithTheOthers() {
        let big = F.prescription(dose: 500)
        var stock = F.context().stock
        stock.append(StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 500, count: 3))
        let context = F.context(prescriptions: [big], stock: stock)
        // With the registered rules the 500 mg dose is released ...
        guard case .release = DispensePolicy.decide(F.request(), context) else {
            Issue.record("the base case of 500 mg was refused: \(DispensePolicy.decide(F.request(), context).refusals)")
            return
        }
        // ... with the new rule registered it is refused by that rule alone, and a failing rule
        // beside it is still listed (every refusal, never the first).
        let rules = DispensePolicy.doseRules + [SecondWitnessAbove400()]
        let refused = DispensePolicy.decide(F.request(), context, requestRules: DispensePolicy.requestRules, doseRules: rules)
        #expect(refused.refusals.map(\.detail) == ["500 mg: a second witness is required above 400 mg"])
        var locked = context
        locked.lockdown = true
        #expect(DispensePolicy.decide(F.request(), locked, requestRules: DispensePolicy.requestRules, doseRules: rules).refusals.map(\.reason) == [.lockdown, .noStaffWitness])
        // A dose the rule allows is not touched by it.
        guard case .release = DispensePolicy.decide(F.request(), F.context(), requestRules: DispensePolicy.requestRules, doseRules: rules) else {
            Issue.record("the 200 mg base case was refused by the added rule")
            return
        }
    }

    @Test func requestRulesAreJudgedWhenNoDoseIsInForce() {
        var context = F.context(prescriptions: [])
        context.lockdown = true
        context.journalHealthy = false
        let reasons = DispensePolicy.decide(F.request(witness: nil), context).refusals.map(\.reason)
        #expect(reasons == [.noStaffWitness, .lockdown, .journalUnavailable, .noValidPrescription])
    }
}
