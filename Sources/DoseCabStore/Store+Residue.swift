import DoseCabCore
import GRDB

/// Residue (ARCHITECTURE §4a): what each release drew beyond its dose, and how much of it was
/// wasted with a witness. The arithmetic is the core's (`ResidueAccount`); the store supplies the
/// figures from its own tables: the plan, the units issued, and `residue_wasted_mg`, which the
/// transaction of every `residue` waste keeps (migration v4).
extension Store {
    /// The columns `Row.residueAccount()` reads, from `dose_release`.
    static let residueColumns = """
        id, patient, drug, dose_mg, unit_strength_mg, residue_mg, residue_wasted_mg,
        (SELECT count(*) FROM issued_unit u WHERE u.release_id = dose_release.id) AS units_drawn
        """

    /// The releases that may still owe residue: the partial index `dose_release_residue_open`
    /// holds only those whose planned residue is not yet wasted in full.
    static let residueOpenSQL = """
        SELECT \(residueColumns) FROM dose_release WHERE residue_mg > residue_wasted_mg ORDER BY at_wall, id
        """

    /// Every release that still owes residue, oldest first: the register lists them, and the
    /// cabinet starts with them so a witnessed close-out waits for the waste across a restart.
    public func residueOwed() throws(StoreError) -> [ResidueAccount] {
        try read { db in
            // The core decides what each still owes (a release that ended short drew less).
            try Row.fetchAll(db, sql: Store.residueOpenSQL).map { try $0.residueAccount() }.filter { $0.owedMg > 0 }
        }
    }

    /// The residue account of one release (nil: no such release).
    public func residueAccount(release: ReleaseID) throws(StoreError) -> ResidueAccount? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Store.residueColumns) FROM dose_release WHERE id = ?", arguments: [release.rawValue])
                .map { try $0.residueAccount() }
        }
    }
}

extension Row {
    func residueAccount() throws -> ResidueAccount {
        ResidueAccount(release: ReleaseID(self["id"]), patient: PatientID(self["patient"]), drug: try decode("drug", as: Drug.self),
                       doseMg: self["dose_mg"], unitStrengthMg: self["unit_strength_mg"], plannedMg: self["residue_mg"],
                       unitsIssued: self["units_drawn"], wastedMg: self["residue_wasted_mg"])
    }
}
