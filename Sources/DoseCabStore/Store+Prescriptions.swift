import Crypto
import DoseCabCore
import Foundation
import GRDB

/// What an accepted bundle did.
public struct ImportReport: Hashable, Sendable, CustomStringConvertible {
    /// Prescriptions installed (new ids or newer versions), as "id@version".
    public var installed: [String]
    /// Cancellations installed, as "id@version".
    public var cancelled: [String]
    /// Entries identical to what is stored: no-ops.
    public var unchanged: [String]
    /// The one `.admin` record summarising the import; nil when nothing changed.
    public var record: AuditRecord?

    public var description: String {
        "\(installed.count) prescription(s) installed, \(cancelled.count) cancelled, \(unchanged.count) unchanged"
    }
}

extension Store {
    // MARK: Prescriber keys

    /// Installs a prescriber's Ed25519 public key (an audited `.admin` write). Installing the
    /// identical key again is a no-op (nil); another key under an installed id is refused, and
    /// so is re-installing a revoked key.
    @discardableResult
    public func installPrescriberKey(_ key: PrescriberKey, by actor: String, at: Moment) throws(StoreError) -> AuditRecord? {
        guard !key.keyID.isEmpty, key.keyID.count <= 64 else { throw .invalidInput("a key id must be 1-64 characters") }
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey)) != nil else {
            throw .invalidInput("key '\(key.keyID)' is not a 32-byte Ed25519 public key")
        }
        return try transaction { tx throws(StoreError) -> AuditRecord? in
            if let existing = try tx.row("SELECT public_key, revoked_wall FROM prescriber_key WHERE key_id = ?", [key.keyID]) {
                if Array(existing["public_key"] as Data) != key.publicKey {
                    throw .conflict("another key is installed as '\(key.keyID)'; revoke it and use a new id")
                }
                if (existing["revoked_wall"] as Int64?) != nil { throw .conflict("key '\(key.keyID)' is revoked") }
                return nil
            }
            let record = try tx.apply(.admin(action: "prescriber-key-installed",
                                             detail: "key \(key.keyID) \(Store.fingerprint(key.publicKey))", actor: actor, at: at))
            try tx.exec("""
                INSERT INTO prescriber_key (key_id, public_key, installed_wall, installed_by, revoked_wall, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [key.keyID, Data(key.publicKey), at.wallMillis, actor, key.revokedAtMillis, record.seq])
            return record
        }
    }

    /// Revokes a prescriber's key from `at` on, by two staff members (one `key-revoked`
    /// record): bundles it signed are refused from then on, and the prescriptions it signed are no
    /// longer in force (issue 18.13).
    @discardableResult
    public func revokePrescriberKey(_ keyID: String, reason: String, by: StaffID, witness: StaffID, actor: String,
                                    at: Moment) throws(StoreError) -> AuditRecord {
        try transaction { tx throws(StoreError) in
            try tx.apply(.prescriberKeyRevoked(keyID: keyID, reason: reason, by: by, witness: witness, actor: actor, at: at))
        }
    }

    /// Installed keys, revoked ones included (with their revocation time).
    public func prescriberKeys() throws(StoreError) -> [PrescriberKey] {
        try read { db in try Store.prescriberKeys(db) }
    }

    static func prescriberKeys(_ db: Database) throws -> [PrescriberKey] {
        try Row.fetchAll(db, sql: "SELECT key_id, public_key, revoked_wall FROM prescriber_key ORDER BY key_id").map {
            PrescriberKey(keyID: $0["key_id"], publicKey: Array($0["public_key"] as Data), revokedAtMillis: $0["revoked_wall"])
        }
    }

    /// Reads a prescriber key file (`/etc/dosecab/prescribers/<id>.pub`): the base64 of the raw
    /// 32-byte key, or a PEM `PUBLIC KEY` as `openssl pkey -pubout` writes it.
    public static func prescriberKey(keyID: String, fileContents: String) throws(StoreError) -> PrescriberKey {
        let lines = fileContents.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        let isPEM = lines.first == "-----BEGIN PUBLIC KEY-----"
        let body = lines.filter { !$0.hasPrefix("-----") }.joined()
        guard var bytes = Data(base64Encoded: body).map(Array.init) else {
            throw .invalidInput("key file for '\(keyID)' is not base64")
        }
        let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        if isPEM {
            guard bytes.count == 44, Array(bytes.prefix(12)) == spkiPrefix else {
                throw .invalidInput("key file for '\(keyID)' is not an Ed25519 public key")
            }
            bytes = Array(bytes.suffix(32))
        }
        guard bytes.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else {
            throw .invalidInput("key file for '\(keyID)' does not hold a 32-byte Ed25519 public key")
        }
        return PrescriberKey(keyID: keyID, publicKey: bytes)
    }

    /// First 8 bytes of SHA-256 of a key, hex: how a key is named in the audit.
    static func fingerprint(_ key: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: key).prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    // MARK: Prescriptions

    /// Imports a signed bundle, all or nothing. Every entry must verify against an installed,
    /// unrevoked key (the signed bytes are parsed only after they verify), name an enrolled
    /// patient, stay within the clinic ceilings (the dose, and the dose times the sessions a
    /// day), and move its prescription forward: a new id or a newer version. An identical
    /// re-send is a no-op; an older version, or the same version with other bytes, is refused;
    /// nothing follows a cancellation. Any bad entry rejects the whole bundle with one line per
    /// problem (`bundleRejected`) and changes nothing. Success writes one `.admin` record.
    public func importBundle(_ bytes: [UInt8], policy: ClinicPolicy, now: Moment, actor: String) throws(StoreError) -> ImportReport {
        let entries: [SignedPrescriptionEntry]
        do { entries = try PrescriptionBundle.parse(bytes) } catch { throw .bundleRejected(["bundle: \(error)"]) }
        if entries.isEmpty { throw .bundleRejected(["bundle: it has no entries"]) }
        return try transaction { tx throws(StoreError) -> ImportReport in
            let verifier: PrescriptionVerifier
            var book: PrescriptionBook
            do {
                verifier = PrescriptionVerifier(keys: try Store.prescriberKeys(tx.db))
                book = try Store.loadBook(tx.db)
            } catch { throw error as? StoreError ?? .cannotCommit(StoreError.sqliteDetail(error)) }
            var problems: [String] = []
            var accepted: [(entry: SignedPrescriptionEntry, document: PrescriptionDocument)] = []
            var report = ImportReport(installed: [], cancelled: [], unchanged: [], record: nil)
            for (index, entry) in entries.enumerated() {
                let document: PrescriptionDocument
                switch verifier.verify(entry, nowMillis: now.wallMillis) {
                case .failure(let error):
                    problems.append("entry \(index + 1): \(error)")
                    continue
                case .success(let d): document = d
                }
                let label = "entry \(index + 1) (\(document.id) v\(document.version))"
                var wrong = try Store.importProblems(document, book: book, policy: policy, tx: tx)
                let outcome = book.check(document, payload: entry.payload)
                if case .stale(let current) = outcome {
                    wrong.append(document.version == current
                        ? "version \(current) is already installed with other content"
                        : "version \(document.version) is older than the installed version \(current)")
                }
                if !wrong.isEmpty {
                    problems.append("\(label): \(wrong.joined(separator: "; "))")
                    continue
                }
                let name = "\(document.id)@\(document.version)"
                if outcome == .unchanged {
                    report.unchanged.append(name)
                    continue
                }
                book.accept(document, payload: entry.payload)
                accepted.append((entry, document))
                if case .cancellation = document { report.cancelled.append(name) } else { report.installed.append(name) }
            }
            if !problems.isEmpty { throw .bundleRejected(problems) }
            if accepted.isEmpty { return report }
            var detail = "\(report.installed.count) installed"
            if !report.installed.isEmpty { detail += " (\(report.installed.joined(separator: ", ")))" }
            detail += ", \(report.cancelled.count) cancelled"
            if !report.cancelled.isEmpty { detail += " (\(report.cancelled.joined(separator: ", ")))" }
            detail += ", \(report.unchanged.count) unchanged"
            let record = try tx.apply(.admin(action: "prescriptions-imported", detail: detail, actor: actor, at: now))
            for (entry, document) in accepted {
                let type: String
                if case .cancellation = document { type = "cancellation" } else { type = "prescription" }
                let values: StatementArguments = [document.id, document.version, type, document.patient.rawValue, entry.keyID,
                                                  Data(entry.payload), Data(entry.signature), now.wallMillis, record.seq]
                try tx.exec("""
                    INSERT INTO prescription_version (id, version, type, patient, key_id, payload, signature, imported_wall, audit_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, values)
                try tx.exec("""
                    INSERT INTO prescription (id, version, type, patient, key_id, payload, signature, imported_wall, audit_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET version = excluded.version, type = excluded.type, patient = excluded.patient,
                        key_id = excluded.key_id, payload = excluded.payload, signature = excluded.signature,
                        imported_wall = excluded.imported_wall, audit_seq = excluded.audit_seq
                    """, values)
            }
            report.record = record
            return report
        }
    }

    /// What is wrong with a verified entry besides its version.
    static func importProblems(_ document: PrescriptionDocument, book: PrescriptionBook, policy: ClinicPolicy,
                               tx: Transaction) throws(StoreError) -> [String] {
        var wrong: [String] = []
        if try tx.row("SELECT 1 FROM patient WHERE id = ?", [document.patient.rawValue]) == nil {
            wrong.append("patient \(document.patient) is not enrolled")
        }
        let current = book.entries[document.id]
        if let current, current.document.patient != document.patient {
            wrong.append("the installed version is for \(current.document.patient), not \(document.patient)")
        }
        if let current, case .cancellation = current.document, document.version > current.document.version {
            wrong.append("prescription \(document.id) was cancelled at version \(current.document.version)")
        }
        switch document {
        case .prescription(let p):
            let ceiling = policy.ceiling(for: p.drug)
            if p.doseMg > ceiling {
                wrong.append("dose \(p.doseMg) mg exceeds the clinic ceiling of \(ceiling) mg a day of \(p.drug.rawValue)")
            } else if p.doseMg * p.maxSessionsPerDay > ceiling {
                wrong.append("\(p.doseMg) mg x \(p.maxSessionsPerDay) sessions exceeds the clinic ceiling of \(ceiling) mg a day of \(p.drug.rawValue)")
            }
        case .cancellation:
            if current == nil { wrong.append("cancels prescription \(document.id), which is not installed") }
        }
        return wrong
    }

    /// The prescriptions in force, by id (cancellations included, as the book keeps them).
    public func prescriptionBook() throws(StoreError) -> PrescriptionBook {
        try read { db in try Store.loadBook(db) }
    }

    /// The patient's prescriptions in force (not cancelled, their key not revoked). Each stored
    /// entry's signature is checked again against its installed key, so an entry edited in the
    /// database is refused (`corrupt`) instead of dispensed.
    ///
    /// The row in force must be the newest signed version installed (`prescription_version`): an
    /// older version copied back into the table is validly signed, but rolled back, and is refused
    /// (`corrupt`, issue 18.5); `verifyState` compares both with the chain's import records.
    public func activePrescriptions(for patient: PatientID) throws(StoreError) -> [Prescription] {
        try read { db in
            let keys = Dictionary(try Store.prescriberKeys(db).map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
            let rows = try Row.fetchAll(db, sql: """
                SELECT p.id, p.version, p.type, p.key_id, p.payload, p.signature,
                    (SELECT max(v.version) FROM prescription_version v WHERE v.id = p.id) AS newest
                FROM prescription p WHERE p.patient = ? ORDER BY p.id
                """, arguments: [patient.rawValue])
            for row in rows {
                let version: Int = row["version"], newest: Int? = row["newest"]
                if newest != version {
                    throw StoreError.corrupt("prescription \(row["id"] as String): the table in force holds version \(version), but the newest signed version installed is \(newest.map { "version \($0)" } ?? "missing"): rolled back or edited; run `dosecabctl audit verify`")
                }
            }
            return try rows.filter { ($0["type"] as String) == "prescription" }.compactMap { row -> Prescription? in
                try Store.verifiedStored(row, keys: keys, patient: patient, name: "prescription \(row["id"] as String)", atWall: nil)
            }
        }
    }

    /// A stored prescription row (`key_id`, `payload`, `signature`) verified again against its
    /// installed key and parsed; `corrupt` when it no longer matches its signature or patient; nil
    /// when its key was revoked by `atWall` (nil: revoked at all, i.e. by now). A revoked key's
    /// prescriptions are no longer in force (issue 18.13); a dose given before the revocation is
    /// still judged by them.
    static func verifiedStored(_ row: Row, keys: [String: PrescriberKey], patient: PatientID, name: String,
                               atWall: Int64?) throws -> Prescription? {
        let entry = SignedPrescriptionEntry(keyID: row["key_id"], payload: Array(row["payload"] as Data),
                                            signature: Array(row["signature"] as Data))
        var key = keys[entry.keyID]
        if let revoked = key?.revokedAtMillis, atWall.map({ revoked <= $0 }) ?? true { return nil }
        // The signature is checked as of its import: the revocation was handled above.
        key?.revokedAtMillis = nil
        let verifier = PrescriptionVerifier(keys: key.map { [$0] } ?? [])
        guard case .success(.prescription(let p)) = verifier.verify(entry, nowMillis: 0), p.patient == patient else {
            throw StoreError.corrupt("\(name): the stored entry no longer matches its signature")
        }
        return p
    }

    /// The patient's prescriptions as they were in force at `wall`: for each id, the newest
    /// version imported by then, unless that was a cancellation (a late entry is judged by the
    /// prescription of the time the dose was given, not by one imported or cancelled since).
    /// Signatures are checked again as for `activePrescriptions`.
    public func prescriptionsInForce(for patient: PatientID, atWall wall: Int64) throws(StoreError) -> [Prescription] {
        try read { db in
            let keys = Dictionary(try Store.prescriberKeys(db).map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
            var newest: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT id, version, type, key_id, payload, signature FROM prescription_version
                WHERE patient = ? AND imported_wall <= ? ORDER BY id, version
                """, arguments: [patient.rawValue, wall]) {
                newest[row["id"]] = row
            }
            return try newest.keys.sorted().compactMap { id -> Prescription? in
                let row = newest[id]!
                guard (row["type"] as String) == "prescription" else { return nil }
                return try Store.verifiedStored(row, keys: keys, patient: patient, name: "prescription \(id) version \(row["version"] as Int)",
                                              atWall: wall)
            }
        }
    }

    static func loadBook(_ db: Database) throws -> PrescriptionBook {
        var book = PrescriptionBook()
        for row in try Row.fetchAll(db, sql: "SELECT id, payload FROM prescription") {
            let payload = Array(row["payload"] as Data)
            let document: PrescriptionDocument
            do { document = try PrescriptionCodec.decode(payload) } catch {
                throw StoreError.corrupt("prescription \(row["id"] as String): \(error)")
            }
            book.accept(document, payload: payload)
        }
        return book
    }
}
