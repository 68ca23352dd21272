import DoseCabCore
import Foundation
import GRDB

/// Reading the store's own rows back into core values.
extension Row {
    /// The moment stored in `<prefix>_wall`, `<prefix>_boot`, `<prefix>_boot_id` (nil when unset).
    func moment(_ prefix: String) -> Moment? {
        guard let wall: Int64 = self["\(prefix)_wall"] else { return nil }
        let boot: Int64? = self["\(prefix)_boot"]
        let bootID: String? = self["\(prefix)_boot_id"]
        return Moment(wallMillis: wall, bootMillis: boot ?? 0, bootID: bootID ?? "")
    }

    func decode<T: RawRepresentable>(_ column: String, as _: T.Type) throws -> T where T.RawValue == String {
        let raw: String = self[column]
        guard let value = T(rawValue: raw) else { throw StoreError.corrupt("\(column) '\(raw)' is not a known \(T.self)") }
        return value
    }

    func card() throws -> CardID {
        CardID(format: try decode("card_format", as: CardFormat.self), facility: UInt32(truncatingIfNeeded: self["card_facility"] as Int64),
               number: UInt64(bitPattern: self["card_number"] as Int64))
    }

    func pinHash() -> PINHash {
        let salt: [UInt8] = Array(self["pin_salt"] as Data)
        let hash: [UInt8] = Array(self["pin_hash"] as Data)
        return PINHash(salt: salt, hash: hash, rounds: self["pin_rounds"])
    }

    func issuedUnit() throws -> IssuedUnit {
        IssuedUnit(serial: UnitSerial(self["serial"]), release: ReleaseID(self["release_id"]), patient: PatientID(self["patient"]),
                   drug: try decode("drug", as: Drug.self), route: try decode("route", as: Route.self),
                   strengthMg: self["strength_mg"], rule: try decode("rule", as: CloseOutRule.self),
                   issuedAt: moment("issued")!, deadline: moment("deadline")!,
                   state: try decode("state", as: UnitState.self), closedAt: moment("closed"))
    }

    func releaseRow() throws -> ReleaseRow {
        let plan = ReleasePlan(
            at: moment("at")!, patient: PatientID(self["patient"]), identityMethod: self["identity_method"],
            prescriptionID: self["prescription_id"], prescriptionVersion: self["prescription_version"],
            prescriber: self["prescriber"], drug: try decode("drug", as: Drug.self), route: try decode("route", as: Route.self),
            doseMg: self["dose_mg"], unitStrengthMg: self["unit_strength_mg"], unitCount: self["unit_count"],
            residueMg: self["residue_mg"], staff: StaffID(self["staff"]), witness: StaffID(self["witness"]),
            closeOut: CloseOutPolicy(rule: try decode("close_out_rule", as: CloseOutRule.self),
                                     deadlineMinutes: self["close_out_minutes"]),
            overrideID: self["override_id"])
        return ReleaseRow(id: ReleaseID(self["id"]), state: try decode("state", as: ReleaseState.self), plan: plan,
                          endedAt: moment("ended"), unitsIssued: self["units_issued"], outcome: self["outcome"],
                          intentSeq: self["intent_seq"], endSeq: self["end_seq"])
    }
}

extension Row {
    func discrepancy() throws -> Discrepancy {
        let kind = StockKind(drug: try decode("drug", as: Drug.self), route: try decode("route", as: Route.self), strengthMg: self["strength_mg"])
        let resolution: String? = self["resolution"]
        return Discrepancy(id: self["id"], countID: self["count_id"], kind: kind, expected: self["expected"], counted: self["counted"],
                           openedAt: moment("opened")!, escalateAtWall: self["escalate_wall"], escalatedAtWall: self["escalated_wall"],
                           state: try decode("state", as: DiscrepancyState.self),
                           resolution: resolution.flatMap(DiscrepancyResolution.init(rawValue:)))
    }

    func override() throws -> Override {
        let used: String? = self["used_release"], reviewed: String? = self["reviewed_by"]
        return Override(id: self["id"], patient: PatientID(self["patient"]), drug: try decode("drug", as: Drug.self),
                        route: try decode("route", as: Route.self), doseMg: self["dose_mg"], reason: self["reason"],
                        openedBy: StaffID(self["opened_by"]), secondBy: StaffID(self["second_by"]), openedAt: moment("opened")!,
                        expiresAt: moment("expires")!, state: try decode("state", as: OverrideState.self),
                        usedBy: used.map(ReleaseID.init), reviewedBy: reviewed.map(StaffID.init))
    }
}

extension CardID {
    /// SQL arguments for the three key columns.
    var arguments: StatementArguments { [format.rawValue, Int64(facility), Int64(bitPattern: number)] }
}
