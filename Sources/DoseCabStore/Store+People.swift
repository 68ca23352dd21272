import DoseCabCore
import Foundation
import GRDB

extension Store {
    /// Enrols a patient, or replaces the card and PIN of an enrolled one (an audited `.admin`
    /// write naming `actor`; enrolling or replacing a card takes two staff members, whom the
    /// daemon names in `actor`). The card must not belong to anyone else. A re-enrolment keeps
    /// the patient's staff link unless `patient` names one.
    @discardableResult
    public func enroll(_ patient: Patient, by actor: String, at: Moment) throws(StoreError) -> AuditRecord {
        guard !patient.id.rawValue.isEmpty, !patient.pin.hash.isEmpty, !patient.pin.salt.isEmpty else {
            throw .invalidInput("a patient needs an id and a hashed PIN")
        }
        let fingerprint = cardFingerprinter
        return try transaction { tx throws(StoreError) in
            try Store.checkCardFree(tx, patient.card, patient: patient.id, staff: nil, fingerprint)
            let existing = try tx.row("SELECT 1 FROM patient WHERE id = ?", [patient.id.rawValue]) != nil
            let record = try tx.apply(.admin(
                action: existing ? "patient-re-enrolled" : "patient-enrolled",
                detail: "\(patient.id) card \(fingerprint(patient.card)) pin \(fingerprint.pin(patient.pin))\(patient.alsoStaff.map { ", also staff \($0)" } ?? "")",
                actor: actor, at: at))
            try tx.exec("""
                INSERT INTO patient (id, card_format, card_facility, card_number, pin_salt, pin_hash, pin_rounds,
                    also_staff, enrolled_wall, enrolled_by, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET card_format = excluded.card_format, card_facility = excluded.card_facility,
                    card_number = excluded.card_number, pin_salt = excluded.pin_salt, pin_hash = excluded.pin_hash,
                    pin_rounds = excluded.pin_rounds, also_staff = COALESCE(excluded.also_staff, patient.also_staff),
                    enrolled_wall = excluded.enrolled_wall, enrolled_by = excluded.enrolled_by, audit_seq = excluded.audit_seq
                """, [patient.id.rawValue] + patient.card.arguments + [Data(patient.pin.salt), Data(patient.pin.hash),
                      patient.pin.rounds, patient.alsoStaff?.rawValue, at.wallMillis, actor, record.seq])
            return record
        }
    }

    /// The first two staff members of a new cabinet (issue 18.3): an admin and a second person,
    /// in one `staff-bootstrapped` record naming `actor`. Every later staff enrolment takes two
    /// staff members' PINs, neither the subject's, so a cabinet needs two people before it can
    /// enrol a third. Accepted only while nobody is enrolled as staff and no bootstrap was ever
    /// recorded: it runs once per cabinet.
    @discardableResult
    public func bootstrapStaff(_ first: Staff, _ second: Staff, actor: String, at: Moment) throws(StoreError) -> AuditRecord {
        for staff in [first, second] where staff.id.rawValue.isEmpty || staff.pin.hash.isEmpty || staff.pin.salt.isEmpty {
            throw .invalidInput("a staff member needs an id and a hashed PIN")
        }
        guard first.role == .admin else {
            throw .invalidInput("the bootstrap enrols an admin first; \(first.id) would be \(first.role.rawValue)")
        }
        guard first.id != second.id, first.card != second.card else {
            throw .invalidInput("the bootstrap enrols two different people with two different cards")
        }
        let fingerprint = cardFingerprinter
        return try transaction { tx throws(StoreError) in
            let bootstrapped = try tx.row("SELECT 1 FROM admin_action WHERE action = 'staff-bootstrapped'") != nil
            let anyStaff = try tx.row("SELECT 1 FROM staff") != nil
            if bootstrapped || anyStaff {
                throw .conflict("the bootstrap runs once, on a cabinet with no staff; this one has staff (or had a bootstrap): "
                    + "enrol with two staff members' badges and PINs")
            }
            for staff in [first, second] { try Store.checkCardFree(tx, staff.card, patient: nil, staff: staff.id, fingerprint) }
            let record = try tx.apply(.admin(
                action: "staff-bootstrapped",
                detail: [first, second].map { "\($0.id) (\($0.role.rawValue)) card \(fingerprint($0.card)) pin \(fingerprint.pin($0.pin))" }
                    .joined(separator: "; "),
                actor: actor, at: at))
            for staff in [first, second] { try Store.writeStaff(tx, staff, actor: actor, at: at, seq: record.seq) }
            return record
        }
    }

    /// Enrols a staff member, or changes an enrolled one's role, card and PIN (`replace`; an id
    /// that exists is never overwritten without it), approved by two enrolled staff members whose
    /// badges and PINs the daemon has verified (issue 18.3). The rule is the core's
    /// `TwoPerson.check`, applied here again with the approvers as stored: two different people,
    /// neither the subject, an admin among them when the role is admin or clinician. One audited
    /// `.admin` record names both and `actor`, and says what a change changed. The staff
    /// member's patient link stays.
    @discardableResult
    public func enroll(_ staff: Staff, approvedBy by: StaffID, _ second: StaffID, replace: Bool, actor: String,
                       at: Moment) throws(StoreError) -> AuditRecord {
        guard !staff.id.rawValue.isEmpty, !staff.pin.hash.isEmpty, !staff.pin.salt.isEmpty else {
            throw .invalidInput("a staff member needs an id and a hashed PIN")
        }
        let fingerprint = cardFingerprinter
        return try transaction { tx throws(StoreError) in
            let approvers = try [by, second].map { id throws(StoreError) -> Staff in
                guard let row = try tx.row("SELECT * FROM staff WHERE id = ?", [id.rawValue]) else { throw .invalidInput("staff \(id): unknown") }
                do { return try Store.staff(row) } catch { throw .corrupt("staff \(id): \(error)") }
            }
            let before: Staff?
            do { before = try tx.row("SELECT * FROM staff WHERE id = ?", [staff.id.rawValue]).map(Store.staff) } catch {
                throw .corrupt("staff \(staff.id): \(error)")
            }
            if before != nil && !replace {
                throw .conflict("\(staff.id) is already enrolled; a change of their role, card or PIN says replace (and takes two other staff members)")
            }
            let action = before == nil ? "enrolling staff member \(staff.id)" : "changing staff member \(staff.id)"
            let rows = try tx.rows("SELECT * FROM staff")
            let everyone: [Staff]
            do { everyone = try rows.map(Store.staff) } catch { throw .corrupt("staff: \(error)") }
            let problems = StaffChange.check(subject: staff.id, newRole: staff.role, approvedBy: approvers[0], approvers[1],
                                             staff: everyone, action: action)
            guard problems.isEmpty else { throw .stockRefused(StockRefused(problems)) }
            try Store.checkCardFree(tx, staff.card, patient: nil, staff: staff.id, fingerprint)
            var detail = "\(staff.id) (\(staff.role.rawValue)) card \(fingerprint(staff.card)) pin \(fingerprint.pin(staff.pin))"
            if let before {
                var changes: [String] = []
                if before.role != staff.role { changes.append("role \(before.role.rawValue) to \(staff.role.rawValue)") }
                if before.card != staff.card { changes.append("card \(fingerprint(before.card)) to \(fingerprint(staff.card))") }
                changes.append("PIN replaced")
                detail += ": " + changes.joined(separator: ", ")
            }
            if let link = staff.alsoPatient ?? before?.alsoPatient { detail += ", also patient \(link)" }
            let approvedActor = "\(by)+\(second) (\(actor))"
            let record = try tx.apply(.admin(action: before == nil ? "staff-enrolled" : "staff-re-enrolled", detail: detail,
                                             actor: approvedActor, at: at))
            try Store.writeStaff(tx, staff, actor: approvedActor, at: at, seq: record.seq)
            return record
        }
    }

    /// Links a staff member to the patient number they are treated under (issue 18.13): from then
    /// on the core's rules never let them witness, confirm or clear anything of their own dose.
    /// Two staff members approve, neither the linked one (the daemon verifies their PINs; the
    /// rule is `TwoPerson.check`, applied again here). A staff member is linked to one patient
    /// and a patient to one staff member; ``unlink(staff:patient:reason:approvedBy:_:actor:at:)`` undoes it.
    @discardableResult
    public func link(staff: StaffID, patient: PatientID, approvedBy by: StaffID, _ second: StaffID, actor: String,
                     at: Moment) throws(StoreError) -> AuditRecord {
        try transaction { tx throws(StoreError) in
            let linked = try Store.approvedLinkChange(tx, staff: staff, approvedBy: by, second,
                                                       action: "linking \(staff) to patient \(patient)", patient: patient)
            guard let patientRow = try tx.row("SELECT also_staff FROM patient WHERE id = ?", [patient.rawValue]) else {
                throw .invalidInput("patient \(patient): not enrolled")
            }
            if let other = linked.alsoPatient, other != patient {
                throw .conflict("\(staff) is already linked to patient \(other)")
            }
            if let other = patientRow["also_staff"] as String?, other != staff.rawValue {
                throw .conflict("patient \(patient) is already linked to staff member \(other)")
            }
            let approvedActor = "\(by)+\(second) (\(actor))"
            let record = try tx.apply(.admin(action: "people-linked", detail: "staff member \(staff) is also patient \(patient)",
                                             actor: approvedActor, at: at))
            try tx.exec("UPDATE staff SET also_patient = ? WHERE id = ?", [patient.rawValue, staff.rawValue])
            try tx.exec("UPDATE patient SET also_staff = ? WHERE id = ?", [staff.rawValue, patient.rawValue])
            return record
        }
    }

    /// Undoes ``link(staff:patient:approvedBy:_:actor:at:)`` (a link set on the wrong patient
    /// number, or a staff member no longer treated here), with the same two-person rule and a
    /// reason, in one `people-unlinked` record.
    @discardableResult
    public func unlink(staff: StaffID, patient: PatientID, reason: String, approvedBy by: StaffID, _ second: StaffID, actor: String,
                       at: Moment) throws(StoreError) -> AuditRecord {
        try transaction { tx throws(StoreError) in
            let linked = try Store.approvedLinkChange(tx, staff: staff, approvedBy: by, second,
                                                       action: "unlinking \(staff) from patient \(patient)", patient: patient)
            guard linked.alsoPatient == patient else {
                throw .conflict("\(staff) is not linked to patient \(patient)"
                    + (linked.alsoPatient.map { " (linked to \($0))" } ?? ""))
            }
            let approvedActor = "\(by)+\(second) (\(actor))"
            let record = try tx.apply(.admin(action: "people-unlinked",
                                             detail: "staff member \(staff) is no longer patient \(patient): \(reason)",
                                             actor: approvedActor, at: at))
            try tx.exec("UPDATE staff SET also_patient = NULL WHERE id = ?", [staff.rawValue])
            try tx.exec("UPDATE patient SET also_staff = NULL WHERE id = ?", [patient.rawValue])
            return record
        }
    }

    /// What linking and unlinking share: the two approvers and the staff member to (un)link,
    /// read in the transaction, and the two-person rule (`TwoPerson.check`) applied to the rows
    /// read, whatever the daemon checked before. Returns the staff member's row.
    private static func approvedLinkChange(_ tx: Transaction, staff: StaffID, approvedBy by: StaffID, _ second: StaffID,
                                           action: String, patient: PatientID) throws(StoreError) -> Staff {
        let people = try [by, second, staff].map { id throws(StoreError) -> Staff in
            guard let row = try tx.row("SELECT * FROM staff WHERE id = ?", [id.rawValue]) else { throw .invalidInput("staff \(id): unknown") }
            do { return try Store.staff(row) } catch { throw .corrupt("staff \(id): \(error)") }
        }
        let problems = TwoPerson.check(people[0], people[1], action: action, subject: staff, patient: patient)
        guard problems.isEmpty else { throw .stockRefused(StockRefused(problems)) }
        return people[2]
    }

    /// Enrols a staff member, or replaces their role, card and PIN (an audited `.admin` write),
    /// with no two-person rule: for tests and fixtures only (the daemon and the demo use
    /// ``bootstrapStaff(_:_:actor:at:)`` and ``enroll(_:approvedBy:_:replace:actor:at:)``).
    @discardableResult
    func enroll(_ staff: Staff, by actor: String, at: Moment) throws(StoreError) -> AuditRecord {
        guard !staff.id.rawValue.isEmpty, !staff.pin.hash.isEmpty, !staff.pin.salt.isEmpty else {
            throw .invalidInput("a staff member needs an id and a hashed PIN")
        }
        let fingerprint = cardFingerprinter
        return try transaction { tx throws(StoreError) in
            try Store.checkCardFree(tx, staff.card, patient: nil, staff: staff.id, fingerprint)
            let existing = try tx.row("SELECT 1 FROM staff WHERE id = ?", [staff.id.rawValue]) != nil
            let record = try tx.apply(.admin(
                action: existing ? "staff-re-enrolled" : "staff-enrolled",
                detail: "\(staff.id) (\(staff.role.rawValue)) card \(fingerprint(staff.card)) pin \(fingerprint.pin(staff.pin))\(staff.alsoPatient.map { ", also patient \($0)" } ?? "")",
                actor: actor, at: at))
            try Store.writeStaff(tx, staff, actor: actor, at: at, seq: record.seq)
            return record
        }
    }

    /// Inserts or updates one staff row; an update keeps the patient link unless `staff` names one.
    static func writeStaff(_ tx: Transaction, _ staff: Staff, actor: String, at: Moment, seq: Int64) throws(StoreError) {
        try tx.exec("""
            INSERT INTO staff (id, role, card_format, card_facility, card_number, pin_salt, pin_hash, pin_rounds,
                also_patient, enrolled_wall, enrolled_by, audit_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET role = excluded.role, card_format = excluded.card_format,
                card_facility = excluded.card_facility, card_number = excluded.card_number,
                pin_salt = excluded.pin_salt, pin_hash = excluded.pin_hash, pin_rounds = excluded.pin_rounds,
                also_patient = COALESCE(excluded.also_patient, staff.also_patient), enrolled_wall = excluded.enrolled_wall,
                enrolled_by = excluded.enrolled_by, audit_seq = excluded.audit_seq
            """, [staff.id.rawValue, staff.role.rawValue] + staff.card.arguments + [Data(staff.pin.salt),
                  Data(staff.pin.hash), staff.pin.rounds, staff.alsoPatient?.rawValue, at.wallMillis, actor, seq])
    }

    /// A card belongs to one person: refuses it when another patient or staff member holds it
    /// (naming the card by its fingerprint: the message reaches the caller and may be logged).
    static func checkCardFree(_ tx: Transaction, _ card: CardID, patient: PatientID?, staff: StaffID?,
                              _ fingerprint: CardFingerprinter) throws(StoreError) {
        let match = "card_format = ? AND card_facility = ? AND card_number = ?"
        if let holder = try tx.row("SELECT id FROM patient WHERE \(match)", card.arguments),
           (holder["id"] as String) != patient?.rawValue {
            throw .conflict("card \(fingerprint(card)) belongs to patient \(holder["id"] as String)")
        }
        if let holder = try tx.row("SELECT id FROM staff WHERE \(match)", card.arguments),
           (holder["id"] as String) != staff?.rawValue {
            throw .conflict("card \(fingerprint(card)) belongs to staff member \(holder["id"] as String)")
        }
    }

    /// The patient holding `card`, if any.
    public func patient(card: CardID) throws(StoreError) -> Patient? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM patient WHERE card_format = ? AND card_facility = ? AND card_number = ?",
                             arguments: card.arguments).map(Store.patient)
        }
    }

    /// The staff member holding `card`, if any.
    public func staff(card: CardID) throws(StoreError) -> Staff? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM staff WHERE card_format = ? AND card_facility = ? AND card_number = ?",
                             arguments: card.arguments).map(Store.staff)
        }
    }

    public func patient(id: PatientID) throws(StoreError) -> Patient? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM patient WHERE id = ?", arguments: [id.rawValue]).map(Store.patient) }
    }

    public func staff(id: StaffID) throws(StoreError) -> Staff? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM staff WHERE id = ?", arguments: [id.rawValue]).map(Store.staff) }
    }

    /// Every enrolled patient, by id.
    public func patients() throws(StoreError) -> [Patient] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM patient ORDER BY id").map(Store.patient) }
    }

    /// Every enrolled staff member, by id.
    public func staffMembers() throws(StoreError) -> [Staff] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM staff ORDER BY id").map(Store.staff) }
    }

    static func patient(_ row: Row) throws -> Patient {
        Patient(id: PatientID(row["id"]), card: try row.card(), pin: row.pinHash(),
                alsoStaff: (row["also_staff"] as String?).map(StaffID.init))
    }

    static func staff(_ row: Row) throws -> Staff {
        Staff(id: StaffID(row["id"]), role: try row.decode("role", as: StaffRole.self), card: try row.card(),
              pin: row.pinHash(), alsoPatient: (row["also_patient"] as String?).map(PatientID.init))
    }
}
