/// The rules about people, in one place (ARCHITECTURE §4a, issues #11, 18.3, 18.13): who may act
/// together, and that nobody acts on their own dose.
public enum PeopleRules {
    /// Whether staff member `staff` is patient `patient`: by the staff row's side of their link,
    /// and by the patient row's side when the caller has that `record` (`people.link` sets both;
    /// a row edited on one side still counts). Nobody witnesses, confirms, decides about,
    /// clears, opens an override for or enters a late entry of their own dose; every such check
    /// asks this.
    public static func isPatient(_ staff: Staff, _ patient: PatientID?, record: Patient? = nil) -> Bool {
        guard let patient else { return false }
        return staff.alsoPatient == patient || (record?.id == patient && record?.alsoStaff == staff.id)
    }
}

public enum TwoPerson {
    /// Two staff members for one action: never the same person; with `needsAdmin`, at least one
    /// of them an admin (ARCHITECTURE §4a, issue #11); neither of them the staff member `subject`
    /// the action is about, nor the staff member linked to patient `patient` (issue 18.3).
    public static func check(_ a: Staff, _ b: Staff, action: String, needsAdmin: Bool = false,
                             subject: StaffID? = nil, patient: PatientID? = nil) -> [Refusal] {
        var out: [Refusal] = []
        if a.id == b.id {
            out.append(Refusal(.samePerson, "\(action) needs two different staff members; \(a.id) was named twice"))
        }
        for person in a.id == b.id ? [a] : [a, b] {
            if let subject, person.id == subject {
                out.append(Refusal(.isSubject, "\(action): \(subject) cannot vouch for themselves; two other staff members"))
            } else if let patient, PeopleRules.isPatient(person, patient) {
                out.append(Refusal(.isSubject, "\(action): \(person.id) is patient \(patient)"))
            }
        }
        if needsAdmin && a.role != .admin && b.role != .admin {
            out.append(Refusal(.needsAdmin, "\(action) needs one of the two to be an admin; \(a.id) is \(a.role.rawValue), \(b.id) is \(b.role.rawValue)"))
        }
        return out
    }
}

/// Enrolling or changing a staff member (issue 18.3): the rule for who must approve, in one place
/// for the control method that asks for the PINs and the store that re-checks in its transaction.
public enum StaffChange {
    /// An admin must be among the two when the change grants a clinical or admin role, takes one
    /// away, or changes the card or PIN of someone who holds one: such an account clears holds,
    /// lifts lockdowns and enrols others, and taking it over is as good as being granted it.
    public static func needsAdmin(from before: StaffRole?, to after: StaffRole) -> Bool {
        func privileged(_ role: StaffRole?) -> Bool { role == .admin || role == .clinician }
        return privileged(before) || privileged(after)
    }

    /// Every failed rule for changing `subject` to `newRole` approved by `a` and `b`, given the
    /// staff as they are now: the two-person rule (neither the subject, an admin when
    /// `needsAdmin`), and never the last admin made something else.
    public static func check(subject: StaffID, newRole: StaffRole, approvedBy a: Staff, _ b: Staff,
                             staff: [Staff], action: String) -> [Refusal] {
        let before = staff.first { $0.id == subject }?.role
        var out = TwoPerson.check(a, b, action: action, needsAdmin: needsAdmin(from: before, to: newRole), subject: subject)
        if before == .admin, newRole != .admin, !staff.contains(where: { $0.role == .admin && $0.id != subject }) {
            out.append(Refusal(.lastAdmin, "\(action): \(subject) is the last admin; enrol another admin first"))
        }
        return out
    }
}
