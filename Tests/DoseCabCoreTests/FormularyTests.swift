import Testing
@testable import DoseCabCore

/// The formulary and the unit-match rule have one home each (issue 19.3): every place that
/// asks gets the same answer.
@Suite struct FormularyTests {
    @Test func everyPlaceAsksTheOneTable() {
        for drug in Drug.allCases {
            for route in Route.allCases {
                let allowed = Formulary.routes[drug, default: []].contains(route)
                #expect((Formulary.problem(drug, route) == nil) == allowed)
                // A prescription, a receipt and an override agree with the table.
                let rx = F.prescription(drug: drug, route: route)
                #expect(rx.shapeErrors().isEmpty == allowed, "\(drug) \(route): \(rx.shapeErrors())")
                let unit = StockUnit(serial: UnitSerial("U-1"), drug: drug, route: route, strengthMg: 50, batch: "B", expiry: "2027-12-31")
                #expect(StockRules.receipt([unit], today: ClinicPolicy().calendar.day(of: F.morning)).isEmpty == allowed, "\(drug) \(route)")
                var admin = F.clinician
                admin.role = .admin
                let opened = OverrideRules.open(id: "O-1", patient: F.patient.id, drug: drug, route: route, doseMg: 50, minutes: 30,
                                                reason: "system down", by: admin, second: F.nurse, at: F.morning, policy: ClinicPolicy())
                #expect(((try? opened.get()) != nil) == allowed, "\(drug) \(route): \(opened)")
            }
        }
        #expect(Formulary.problem(.methadone, .inhalable) != nil)
    }

    @Test func aUnitMatchesItsDoseOnlyByDrugRouteStrengthAndCount() {
        let dose = StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 200)
        #expect(UnitMatch.problems(dose, wanted: dose, taken: 0, planned: 1).isEmpty)
        #expect(UnitMatch.problems(dose, wanted: dose, taken: 1, planned: 1).count == 1)
        let other = StockKind(drug: .methadone, route: .oral, strengthMg: 50)
        #expect(UnitMatch.problems(other, wanted: dose).count == 3)
        #expect(UnitMatch.problems(StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 100), wanted: dose).count == 1)
    }
}
