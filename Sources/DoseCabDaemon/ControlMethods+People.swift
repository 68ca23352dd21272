import DoseCabControl
import DoseCabCore
import DoseCabStore
import Foundation

/// People: the list, enrolment, the first boot's bootstrap and the patient/staff link (issue
/// 18.2, 18.3, 18.13). A Unix account alone never creates, changes or links staff: each takes
/// two staff members' badges + PINs (`twoStaff`), neither of them the subject, and the store
/// applies the same rule (`TwoPerson.check`) again inside the write.
extension ControlMethods {

    /// `people.list`: ids, roles, links and each card's fingerprint for every caller; the card
    /// itself (format, facility, number) only for the admin group and root (issue 18.2).
    func peopleList(_ caller: Caller) throws -> ControlReply {
        let admin = caller.access == .admin
        let fingerprint = store.cardFingerprinter
        func card(_ c: CardID) -> [String: JSONValue] {
            var out: [String: JSONValue] = ["card_fingerprint": .string(fingerprint(c))]
            if admin { out["card"] = .string(c.description) }
            return out
        }
        let patients = try store.patients().map { pt -> JSONValue in
            .object(card(pt.card).merging(["id": .string(pt.id.rawValue),
                                           "also_staff": pt.alsoStaff.map { .string($0.rawValue) } ?? .null]) { a, _ in a })
        }
        let staff = try store.staffMembers().map { s -> JSONValue in
            .object(card(s.card).merging(["id": .string(s.id.rawValue), "role": .string(s.role.rawValue),
                                          "also_patient": s.alsoPatient.map { .string($0.rawValue) } ?? .null]) { a, _ in a })
        }
        return .ok(["patients": .array(patients), "staff": .array(staff)])
    }

    /// `enroll`: a patient (two staff members, neither of them the patient), a staff member or a
    /// change of one (two staff members, neither the subject; an admin among them for admin or
    /// clinician; an existing id only with `replace`), or, on a new cabinet, the bootstrap of its
    /// first admin and a second person (`bootstrap`, once).
    func enroll(_ p: [String: JSONValue], _ caller: Caller) async throws -> ControlReply {
        let kind = try string(p, "kind")
        let id = try personID(p, "id")
        let card = try cardID(p, format: try cardFormat(p, "format"))
        let pin = try newPIN(p, "new_pin")
        let record = try await enrolment(kind, id, card, pin, p, caller)
        await driver.mirrorFromControl(record)
        try await driver.reloadRoster()
        return .ok(["enrolled": .string(id), "audit_seq": .number(Double(record.seq))])
    }

    private func enrolment(_ kind: String, _ id: String, _ card: CardID, _ pin: String, _ p: [String: JSONValue],
                           _ caller: Caller) async throws -> AuditRecord {
        let now = await driver.now()
        switch kind {
        case "patient":
            let patient = PatientID(id)
            if let holder = try cardHolder(card), holder != "patient \(patient)" {
                throw MethodError(message: "card \(store.cardFingerprinter(card)) is already enrolled (\(holder))")
            }
            let (by, witness) = try await twoStaff(p, action: "enrolling a patient", patient: patient)
            return try store.enroll(Patient(id: patient, card: card, pin: pins.hash(pin: pin)),
                                    by: "\(by.id)+\(witness.id) (\(caller))", at: now)
        case "staff":
            let staff = Staff(id: StaffID(id), role: try role(p, "role"), card: card, pin: pins.hash(pin: pin))
            if p["bootstrap"]?.boolValue == true {
                let second = Staff(id: StaffID(try personID(p, "second_id")), role: try role(p, "second_role"),
                                   card: try secondCard(p), pin: pins.hash(pin: try newPIN(p, "second_new_pin")))
                return try store.bootstrapStaff(staff, second, actor: caller.description, at: now)
            } else {
                guard try !store.staffMembers().isEmpty else {
                    throw MethodError(message: "no staff member is enrolled yet: a new cabinet's first admin and a second person "
                        + "are enrolled by the one-time bootstrap (dosecabctl enroll staff --bootstrap, docs/install.md)")
                }
                if let holder = try cardHolder(card), holder != "staff member \(staff.id)" {
                    throw MethodError(message: "card \(store.cardFingerprinter(card)) is already enrolled (\(holder))")
                }
                let replace = p["replace"]?.boolValue == true
                if try store.staff(id: staff.id) != nil, !replace {
                    throw MethodError(message: "refused: \(staff.id) is already enrolled; a change of their role, card or PIN "
                        + "says replace (dosecabctl enroll staff --replace) and takes two other staff members")
                }
                // Which two may approve is StaffChange's rule; the store applies all of it again
                // (the last admin too) on the rows it reads in its transaction.
                let needsAdmin = StaffChange.needsAdmin(from: try store.staff(id: staff.id)?.role, to: staff.role)
                let (by, witness) = try await twoStaff(p, action: "enrolling or changing staff member \(staff.id)",
                                                       needsAdmin: needsAdmin, subject: staff.id)
                return try store.enroll(staff, approvedBy: by.id, witness.id, replace: replace, actor: caller.description, at: now)
            }
        default: throw MethodError.malformed("kind must be patient or staff")
        }
    }

    /// `people.link`: staff member `staff_id` is also patient `patient` (issue 18.13); two staff
    /// members, neither of them the one linked.
    func link(_ p: [String: JSONValue], _ caller: Caller) async throws -> ControlReply {
        let staff = StaffID(try string(p, "staff_id"))
        let patient = PatientID(try string(p, "patient"))
        guard try store.staff(id: staff) != nil else { throw MethodError(message: "staff \(staff): unknown") }
        guard try store.patient(id: patient) != nil else { throw MethodError(message: "patient \(patient) is not enrolled") }
        let (by, witness) = try await twoStaff(p, action: "linking \(staff) to patient \(patient)", subject: staff, patient: patient)
        let record = try store.link(staff: staff, patient: patient, approvedBy: by.id, witness.id, actor: caller.description,
                                    at: await driver.now())
        await driver.mirrorFromControl(record)
        try await driver.reloadRoster()
        return .ok(["staff": .string(staff.rawValue), "patient": .string(patient.rawValue), "audit_seq": .number(Double(record.seq))])
    }

    /// `people.unlink`: undoes a link, with a `reason`; two staff members, neither the one linked.
    func unlink(_ p: [String: JSONValue], _ caller: Caller) async throws -> ControlReply {
        let staff = StaffID(try string(p, "staff_id"))
        let patient = PatientID(try string(p, "patient"))
        let reason = try string(p, "reason").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= ClinicalRules.maxReasonLength else {
            throw MethodError.malformed("parameter 'reason' must say why, in 1 to \(ClinicalRules.maxReasonLength) characters")
        }
        guard try store.staff(id: staff) != nil else { throw MethodError(message: "staff \(staff): unknown") }
        let (by, witness) = try await twoStaff(p, action: "unlinking \(staff) from patient \(patient)", subject: staff, patient: patient)
        let record = try store.unlink(staff: staff, patient: patient, reason: reason, approvedBy: by.id, witness.id,
                                      actor: caller.description, at: await driver.now())
        await driver.mirrorFromControl(record)
        try await driver.reloadRoster()
        return .ok(["staff": .string(staff.rawValue), "patient": .string(patient.rawValue), "audit_seq": .number(Double(record.seq))])
    }

    /// Who holds `card` ("patient P-1", "staff member S-1"), if anyone.
    func cardHolder(_ card: CardID) throws -> String? {
        if let patient = try store.patient(card: card) { return "patient \(patient.id)" }
        if let staff = try store.staff(card: card) { return "staff member \(staff.id)" }
        return nil
    }

    /// A staff or patient number: 1 to 32 letters, digits, `.`, `_` or `-`. The records name
    /// people by it among other words (`audit verify` reads them back), so it holds no space,
    /// colon, comma or semicolon.
    func personID(_ p: [String: JSONValue], _ key: String) throws -> String {
        let id = try string(p, key)
        guard id.count <= 32, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw MethodError.malformed("parameter '\(key)' must be 1 to 32 letters, digits, '.', '_' or '-' (e.g. S-01, P-0042)")
        }
        return id
    }

    func cardFormat(_ p: [String: JSONValue], _ key: String) throws -> CardFormat {
        guard let name = p[key]?.stringValue else { return .h10301 }
        guard let format = CardFormat(rawValue: name) else {
            throw MethodError.malformed("\(key) must be one of \(CardFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }

    func newPIN(_ p: [String: JSONValue], _ key: String) throws -> String {
        let pin = try string(p, key)
        guard pin.count >= 4, pin.count <= 8, pin.allSatisfy(\.isNumber) else { throw MethodError.malformed("PIN must be 4-8 digits") }
        return pin
    }

    func role(_ p: [String: JSONValue], _ key: String) throws -> StaffRole {
        guard let role = StaffRole(rawValue: try string(p, key)) else {
            throw MethodError.malformed("\(key) must be nurse, clinician, pharmacist or admin")
        }
        return role
    }

    /// The bootstrap's second person's card: `second_facility`, `second_card`, `second_format`.
    func secondCard(_ p: [String: JSONValue]) throws -> CardID {
        let facility = try int(p, "second_facility", in: 0...Int(UInt32.max))
        let number = try int(p, "second_card", in: 0...Self.largestExact)
        return CardID(format: try cardFormat(p, "second_format"), facility: UInt32(facility), number: UInt64(number))
    }
}
