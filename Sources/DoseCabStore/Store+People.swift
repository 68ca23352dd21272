import DoseCabCore
import Foundation
import GRDB

extension Store {
    /// Enrols a patient, or replaces the card and PIN of an enrolled one (an audited `.admin`
    /// write naming `actor`; enrolling or replacing a card takes two staff members, whom the
    /// daemon names in `actor`). The card must not belong to anyone else.
    @discardableResult
    public func enroll(_ patient: Patient, by actor: String, at: Moment) throws(StoreError) -> AuditRecord {
        guard !patient.id.rawValue.isEmpty, !patient.pin.hash.isEmpty, !patient.pin.salt.isEmpty else {
            throw .invalidInput("a patient needs an id and a hashed PIN")
        }
        return try transaction { tx throws(StoreError) in
            try Store.checkCardFree(tx, patient.card, patient: patient.id, staff: nil)
            let existing = try tx.row("SELECT 1 FROM patient WHERE id = ?", [patient.id.rawValue]) != nil
            let record = try tx.apply(.admin(
                action: existing ? "patient-re-enrolled" : "patient-enrolled",
                detail: "\(patient.id) card \(patient.card)\(patient.alsoStaff.map { ", also staff \($0)" } ?? "")",
                actor: actor, at: at))
            try tx.exec("""
                INSERT INTO patient (id, card_format, card_facility, card_number, pin_salt, pin_hash, pin_rounds,
                    also_staff, enrolled_wall, enrolled_by, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET card_format = excluded.card_format, card_facility = excluded.card_facility,
                    card_number = excluded.card_number, pin_salt = excluded.pin_salt, pin_hash = excluded.pin_hash,
                    pin_rounds = excluded.pin_rounds, also_staff = excluded.also_staff,
                    enrolled_wall = excluded.enrolled_wall, enrolled_by = excluded.enrolled_by, audit_seq = excluded.audit_seq
                """, [patient.id.rawValue] + patient.card.arguments + [Data(patient.pin.salt), Data(patient.pin.hash),
                      patient.pin.rounds, patient.alsoStaff?.rawValue, at.wallMillis, actor, record.seq])
            return record
        }
    }

    /// Enrols a staff member, or replaces their role, card and PIN (an audited `.admin` write).
    @discardableResult
    public func enroll(_ staff: Staff, by actor: String, at: Moment) throws(StoreError) -> AuditRecord {
        guard !staff.id.rawValue.isEmpty, !staff.pin.hash.isEmpty, !staff.pin.salt.isEmpty else {
            throw .invalidInput("a staff member needs an id and a hashed PIN")
        }
        return try transaction { tx throws(StoreError) in
            try Store.checkCardFree(tx, staff.card, patient: nil, staff: staff.id)
            let existing = try tx.row("SELECT 1 FROM staff WHERE id = ?", [staff.id.rawValue]) != nil
            let record = try tx.apply(.admin(
                action: existing ? "staff-re-enrolled" : "staff-enrolled",
                detail: "\(staff.id) (\(staff.role.rawValue)) card \(staff.card)\(staff.alsoPatient.map { ", also patient \($0)" } ?? "")",
                actor: actor, at: at))
            try tx.exec("""
                INSERT INTO staff (id, role, card_format, card_facility, card_number, pin_salt, pin_hash, pin_rounds,
                    also_patient, enrolled_wall, enrolled_by, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET role = excluded.role, card_format = excluded.card_format,
                    card_facility = excluded.card_facility, card_number = excluded.card_number,
                    pin_salt = excluded.pin_salt, pin_hash = excluded.pin_hash, pin_rounds = excluded.pin_rounds,
                    also_patient = excluded.also_patient, enrolled_wall = excluded.enrolled_wall,
                    enrolled_by = excluded.enrolled_by, audit_seq = excluded.audit_seq
                """, [staff.id.rawValue, staff.role.rawValue] + staff.card.arguments + [Data(staff.pin.salt),
                      Data(staff.pin.hash), staff.pin.rounds, staff.alsoPatient?.rawValue, at.wallMillis, actor, record.seq])
            return record
        }
    }

    /// A card belongs to one person: refuses it when another patient or staff member holds it.
    static func checkCardFree(_ tx: Transaction, _ card: CardID, patient: PatientID?, staff: StaffID?) throws(StoreError) {
        let match = "card_format = ? AND card_facility = ? AND card_number = ?"
        if let holder = try tx.row("SELECT id FROM patient WHERE \(match)", card.arguments),
           (holder["id"] as String) != patient?.rawValue {
            throw .conflict("card \(card) belongs to patient \(holder["id"] as String)")
        }
        if let holder = try tx.row("SELECT id FROM staff WHERE \(match)", card.arguments),
           (holder["id"] as String) != staff?.rawValue {
            throw .conflict("card \(card) belongs to staff member \(holder["id"] as String)")
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
