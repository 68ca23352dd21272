import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Issue 18.5: someone with write access to the database edits a state table (the register, the
/// prescription in force) and leaves the chain alone. `verifyState` rebuilds what the chain
/// implies and names every row that differs from it.
@Suite struct StateFromChainTests {
    /// The seed, a release of 2 ampoules, one issued and returned, one still open.
    func dispensed() throws -> Fixture {
        let f = try Fixture()
        try f.seed()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription()]), policy: ClinicPolicy(), now: f.at(minutes: 1), actor: "S-02")
        try f.store.commit(.releaseIntent(ReleaseID("R-1"), f.plan(at: f.at(minutes: 2))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: ReleaseID("R-1"), at: f.at(minutes: 3))))
        try f.store.commit(.issue(f.unit(f.ampoule(2), release: ReleaseID("R-1"), at: f.at(minutes: 3))))
        try f.store.commit(.releaseCompleted(ReleaseID("R-1"), patient: f.patient, unitsIssued: 2, unitsExpected: 2,
                                             outcome: "ok", at: f.at(minutes: 4)))
        try f.store.commit(.unitReturned(f.ampoule(1), release: ReleaseID("R-1"), patient: f.patient, at: f.at(minutes: 5)))
        try f.store.commit(.hold(f.other, reason: "count mismatch", at: f.at(minutes: 6)))
        #expect(try f.store.verifyState() == [], "the untouched store differs from its chain")
        return f
    }

    /// Raw SQL on a connection of its own, as an insider would do.
    func tamper(_ f: Fixture, _ sql: String) throws {
        let intruder = try DatabaseQueue(path: f.store.path)
        try intruder.write { db in try db.execute(sql: sql) }
    }

    /// A record the state check expects a shape of (an enrolment, a link, a release) but cannot
    /// read is named, not skipped: before, such a record left its row unchecked and audit verify
    /// said nothing (review of issue 18).
    @Test func aRecordTheCheckCannotReadIsNamed() throws {
        let f = try dispensed()
        let record = try f.store.commit(.admin(action: "staff-enrolled", detail: "S-09 joined the team", actor: "test", at: f.at(minutes: 7)))
        #expect(try f.store.verifyState() == [
            StateDifference(table: "audit", key: "seq \(record.seq)", field: "staff-enrolled",
                            chain: "a record the state check cannot read", stored: "S-09 joined the team"),
        ])
    }

    @Test func editedUnitStateIsNamedByAuditVerify() throws {
        let f = try dispensed()
        try tamper(f, "UPDATE issued_unit SET state = 'returned' WHERE serial = 'A-102'")
        #expect(try f.store.verifyState() == [
            StateDifference(table: "issued_unit", key: "A-102", field: "state", chain: "open", stored: "returned"),
        ])
        #expect(try f.store.verifyState().first?.description
                == "issued_unit A-102 state: the chain says open, the table says returned")
    }

    @Test func editedReleaseStockHoldAndPeopleAreNamedByAuditVerify() throws {
        let f = try dispensed()
        try tamper(f, """
            UPDATE dose_release SET state = 'interrupted' WHERE id = 'R-1';
            UPDATE stock_unit SET state = 'in-stock' WHERE serial = 'A-101';
            DELETE FROM hold WHERE patient = 'P-0002';
            UPDATE staff SET card_number = 99 WHERE id = 'S-01';
            DELETE FROM issued_unit WHERE serial = 'A-101';
            """)
        let differences = try f.store.verifyState()
        #expect(differences.contains(StateDifference(table: "dose_release", key: "R-1", field: "state", chain: "completed", stored: "interrupted")))
        #expect(differences.contains(StateDifference(table: "stock_unit", key: "A-101", field: "state", chain: "issued", stored: "in-stock")))
        #expect(differences.contains(StateDifference(table: "hold", key: "P-0002", field: "open holds", chain: "1", stored: "0")))
        #expect(differences.contains { $0.table == "staff" && $0.key == "S-01" && $0.field == "card fingerprint" })
        #expect(differences.contains(StateDifference(table: "issued_unit", key: "A-101", field: "row", chain: "returned", stored: "missing")))
        #expect(differences.count == 5, "\(differences)")
    }

    @Test func rolledBackPrescriptionIsDetected() throws {
        let f = try dispensed()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription(version: 2, dose: 100)]), policy: ClinicPolicy(),
                                     now: f.at(minutes: 10), actor: "S-02")
        #expect(try f.store.verifyState() == [])
        #expect(try f.store.activePrescriptions(for: f.patient).map(\.doseMg) == [100])
        // The insider copies the old, validly signed version back into the table the counter reads.
        try tamper(f, """
            UPDATE prescription SET (version, payload, signature, audit_seq) =
              (SELECT version, payload, signature, audit_seq FROM prescription_version WHERE id = 'rx-1' AND version = 1)
            WHERE id = 'rx-1';
            """)
        #expect(try f.store.verifyState() == [
            StateDifference(table: "prescription", key: "rx-1", field: "version", chain: "2", stored: "1"),
        ])
        // The counter does not dispense the rolled-back dose: the lookup refuses.
        let error = storeError { _ = try f.store.activePrescriptions(for: f.patient) }
        guard case .corrupt(let detail) = error else { Issue.record("expected corrupt, got \(String(describing: error))"); return }
        #expect(detail.contains("rx-1") && detail.contains("version 1") && detail.contains("version 2"))
    }

    /// Who may witness whose dose rests on the patient/staff link: an insider who drops it (or
    /// sets one) in the tables lets a staff member witness their own dose, or stops a colleague
    /// from witnessing. The chain's `people-linked` / `people-unlinked` records say what it is.
    @Test func anEditedPatientStaffLinkIsNamedByAuditVerify() throws {
        let f = try dispensed()
        try f.store.enroll(Staff(id: StaffID("S-03"), role: .admin, card: CardID(format: .h10306, facility: 7, number: 3),
                                 pin: Fixture.pins.hash(pin: "3333")), by: "test", at: f.at(minutes: 7))
        try f.store.link(staff: f.nurse, patient: f.other, approvedBy: f.clinician, StaffID("S-03"), actor: "test", at: f.at(minutes: 8))
        #expect(try f.store.verifyState() == [])
        try tamper(f, "UPDATE staff SET also_patient = NULL WHERE id = 'S-01'; UPDATE patient SET also_staff = NULL WHERE id = 'P-0002'")
        #expect(try f.store.verifyState() == [
            StateDifference(table: "staff", key: "S-01", field: "linked patient", chain: "P-0002", stored: "none"),
            StateDifference(table: "patient", key: "P-0002", field: "linked staff member", chain: "S-01", stored: "none"),
        ])
        // Undone through the store, the chain agrees with empty links again; one set behind its back is named.
        try tamper(f, "UPDATE staff SET also_patient = 'P-0002' WHERE id = 'S-01'; UPDATE patient SET also_staff = 'S-01' WHERE id = 'P-0002'")
        try f.store.unlink(staff: f.nurse, patient: f.other, reason: "test", approvedBy: f.clinician, StaffID("S-03"), actor: "test",
                           at: f.at(minutes: 9))
        #expect(try f.store.verifyState() == [])
        try tamper(f, "UPDATE staff SET also_patient = 'P-0001' WHERE id = 'S-02'")
        #expect(try f.store.verifyState() == [
            StateDifference(table: "staff", key: "S-02", field: "linked patient", chain: "none", stored: "P-0001"),
        ])
    }

    /// One person holding two staff identities (an admin's among them) satisfies every two-person
    /// rule: an insider copies their own PIN hash onto a colleague's row, or sets a patient's PIN
    /// to one they know and doses on that patient's card. Every enrolment record carries a keyed
    /// fingerprint of the PIN hash it set, so audit verify names a hash the chain never saw.
    @Test func aCopiedPINHashIsNamedByAuditVerify() throws {
        let f = try dispensed()
        try tamper(f, """
            UPDATE staff SET (pin_salt, pin_hash, pin_rounds) = (SELECT pin_salt, pin_hash, pin_rounds FROM staff WHERE id = 'S-01')
            WHERE id = 'S-02';
            UPDATE patient SET (pin_salt, pin_hash, pin_rounds) = (SELECT pin_salt, pin_hash, pin_rounds FROM patient WHERE id = 'P-0001')
            WHERE id = 'P-0002';
            """)
        let differences = try f.store.verifyState()
        #expect(differences.map { "\($0.table) \($0.key) \($0.field)" } == ["staff S-02 PIN fingerprint", "patient P-0002 PIN fingerprint"],
                "\(differences)")
        // A PIN changed the proper way (a re-enrolment, on the record) is no difference.
        let s02 = try #require(try f.store.staff(id: f.clinician))
        try f.store.enroll(Staff(id: s02.id, role: s02.role, card: s02.card, pin: Fixture.pins.hash(pin: "7777")), by: "test", at: f.at(minutes: 9))
        #expect(try f.store.verifyState().map(\.key) == ["P-0002"])
    }
}
