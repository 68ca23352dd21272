import DoseCabCore
import Foundation
import GRDB

extension Store {
    /// Rebuilds the state the audit chain implies (`ChainState`) and compares it with every state
    /// table the register shows and the counter acts on: issued units, releases, holds, stock
    /// units, prescriptions in force, prescriber key revocations, staff and patients. Each
    /// difference names the table, the row, the field, what the chain says and what the table
    /// says (issue 18.5). Empty: the tables are what the chain says.
    ///
    /// It trusts the chain's records; whether the chain itself is whole is `verifyAudit`'s
    /// question (and a head kept off the box, `expecting`, the answer to a recomputed chain).
    public func verifyState() throws(StoreError) -> [StateDifference] {
        let fingerprint = cardFingerprinter
        return try read { db in
            var state = ChainState()
            var out: [StateDifference] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, kind, wall, message, fields FROM audit ORDER BY seq")
            while let row = try cursor.next() {
                let seq: Int64 = row["seq"]
                guard let kind = AuditEventKind(rawValue: row["kind"]),
                      let fields = AuditCodec.decodeFields(row["fields"]) else {
                    out.append(StateDifference(table: "audit", key: "seq \(seq)", field: row["kind"] ?? "kind",
                                               chain: "a record the state check cannot read", stored: String((row["fields"] as String? ?? "").prefix(120))))
                    continue
                }
                state.apply(AuditEvent(kind: kind, wallMillis: row["wall"], message: "", fields: fields), seq: seq)
            }
            for record in state.unreadable {
                out.append(StateDifference(table: "audit", key: record.seq.map { "seq \($0)" } ?? "?", field: record.what,
                                           chain: "a record the state check cannot read", stored: String(record.text.prefix(120))))
            }
            func compare(_ table: String, _ key: String, _ field: String, _ chain: String?, _ stored: String?) {
                if chain != stored {
                    out.append(StateDifference(table: table, key: key, field: field, chain: chain ?? "missing", stored: stored ?? "missing"))
                }
            }
            func rows(_ sql: String) throws -> [String: Row] {
                Dictionary(try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0) }, uniquingKeysWith: { a, _ in a })
            }
            func keys<V>(_ chain: [String: V], _ table: [String: Row]) -> [String] { Set(chain.keys).union(table.keys).sorted() }

            let units = try rows("SELECT serial, release_id, patient, state FROM issued_unit")
            for key in keys(state.units, units) {
                guard let c = state.units[key], let t = units[key] else {
                    compare("issued_unit", key, "row", state.units[key]?.state, units[key]?["state"])
                    continue
                }
                compare("issued_unit", key, "release", c.release, t["release_id"])
                compare("issued_unit", key, "patient", c.patient, t["patient"])
                compare("issued_unit", key, "state", c.state, t["state"])
            }
            let releases = try rows("SELECT id, patient, state, units_issued FROM dose_release")
            for key in keys(state.releases, releases) {
                guard let c = state.releases[key], let t = releases[key] else {
                    compare("dose_release", key, "row", state.releases[key]?.state, releases[key]?["state"])
                    continue
                }
                compare("dose_release", key, "patient", c.patient, t["patient"])
                compare("dose_release", key, "state", c.state, t["state"])
                if c.state != "intent" {
                    compare("dose_release", key, "units issued", c.unitsIssued.map { String($0) }, (t["units_issued"] as Int?).map { String($0) })
                }
            }
            let holds = try rows("SELECT patient, count(*) AS n FROM hold WHERE cleared_wall IS NULL GROUP BY patient")
            for key in Set(state.openHolds.keys).union(holds.keys).sorted() {
                compare("hold", key, "open holds", String(state.openHolds[key] ?? 0), String(holds[key]?["n"] as Int? ?? 0))
            }
            let stock = try rows("SELECT serial, state FROM stock_unit")
            for key in keys(state.stock, stock) {
                compare("stock_unit", key, stock[key] == nil || state.stock[key] == nil ? "row" : "state", state.stock[key], stock[key]?["state"])
            }
            let prescriptions = try rows("SELECT id, version, type FROM prescription")
            for key in keys(state.prescriptions, prescriptions) {
                guard let c = state.prescriptions[key], let t = prescriptions[key] else {
                    compare("prescription", key, "row", state.prescriptions[key].map { "version \($0.version)" },
                            prescriptions[key].map { "version \($0["version"] as Int)" })
                    continue
                }
                compare("prescription", key, "version", String(c.version), String(t["version"] as Int))
                compare("prescription", key, "type", c.type, t["type"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT key_id, revoked_wall FROM prescriber_key") {
                let key: String = row["key_id"]
                compare("prescriber_key", key, "revoked", state.revokedKeys.contains(key) ? "yes" : "no",
                        (row["revoked_wall"] as Int64?) == nil ? "no" : "yes")
            }
            // Enrolment records name a card by its fingerprint; those written before fingerprints
            // (issue 18.2) by `format:facility:number`, compared as such.
            func card(_ row: Row, as chain: String) -> String? {
                guard let format = CardFormat(rawValue: row["card_format"]),
                      let facility = UInt32(exactly: row["card_facility"] as Int64),
                      let number = UInt64(exactly: row["card_number"] as Int64) else { return nil }
                let id = CardID(format: format, facility: facility, number: number)
                return chain.hasPrefix("fp-") ? fingerprint(id) : id.description
            }
            let staff = try rows("SELECT id, role, card_format, card_facility, card_number, also_patient, pin_salt, pin_hash, pin_rounds FROM staff")
            for key in keys(state.staff, staff) {
                guard let c = state.staff[key], let t = staff[key] else {
                    compare("staff", key, "row", state.staff[key]?.role, staff[key]?["role"])
                    continue
                }
                compare("staff", key, "role", c.role, t["role"])
                compare("staff", key, "card fingerprint", c.card, card(t, as: c.card))
                compare("staff", key, "linked patient", state.links[key] ?? "none", (t["also_patient"] as String?) ?? "none")
                if let pin = c.pin { compare("staff", key, "PIN fingerprint", pin, fingerprint.pin(t.pinHash())) }
            }
            let linkedStaff = Dictionary(state.links.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let patients = try rows("SELECT id, card_format, card_facility, card_number, also_staff, pin_salt, pin_hash, pin_rounds FROM patient")
            for key in keys(state.patients, patients) {
                guard let c = state.patients[key], let t = patients[key] else {
                    compare("patient", key, "row", state.patients[key].map { _ in "enrolled" }, patients[key].map { _ in "enrolled" })
                    continue
                }
                compare("patient", key, "card fingerprint", c.card, card(t, as: c.card))
                compare("patient", key, "linked staff member", linkedStaff[key] ?? "none", (t["also_staff"] as String?) ?? "none")
                if let pin = c.pin { compare("patient", key, "PIN fingerprint", pin, fingerprint.pin(t.pinHash())) }
            }
            return out
        }
    }
}
