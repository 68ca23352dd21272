import Testing
@testable import DoseCabCore

/// "Nobody acts on their own dose" is one rule (`PeopleRules.isPatient`, issue 19.3), asked by
/// every check, and a link counts from either side.
@Suite struct PeopleRulesTests {
    static let linkedPatient = Patient(id: F.patient.id, card: F.patient.card, pin: F.patient.pin, alsoStaff: F.clinician.id)

    @Test func aLinkCountsFromEitherSide() {
        var staffSide = F.clinician
        staffSide.alsoPatient = F.patient.id
        #expect(PeopleRules.isPatient(staffSide, F.patient.id))
        #expect(PeopleRules.isPatient(F.clinician, F.patient.id, record: Self.linkedPatient))
        #expect(!PeopleRules.isPatient(F.clinician, F.patient.id))
        #expect(!PeopleRules.isPatient(F.nurse, F.patient.id, record: Self.linkedPatient))
        // Another patient's record says nothing about this patient.
        #expect(!PeopleRules.isPatient(F.clinician, F.otherPatient.id, record: Self.linkedPatient))
        #expect(!PeopleRules.isPatient(staffSide, nil))
    }

    /// Before, clearing a hold read only the staff row's side of the link: a clinician whose
    /// link was on the patient's row alone could clear their own hold.
    @Test func nobodyClearsTheirOwnHoldWhicheverSideSaysSo() {
        let roster = Roster(patients: [Self.linkedPatient, F.otherPatient], staff: [F.nurse, F.clinician])
        var cab = Cabinet(policy: ClinicPolicy(), roster: roster, holds: [F.patient.id: "unit not returned"])
        let own = cab.handle(.clearHold(F.patient.id, by: F.clinician.id, reason: "found", at: F.morning))
        #expect(own.contains { if case .feedback(.refused(let why)) = $0 { why.contains("own hold") } else { false } }, "\(own)")
        #expect(cab.holds[F.patient.id] != nil)
    }
}
