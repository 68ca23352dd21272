import Crypto
import Foundation

/// A prescription as signed by the prescriber. Parsed only after its signature verified.
///
/// Validity is in clinic days (inclusive), the way prescriptions are written.
public struct Prescription: Hashable, Sendable, Codable {
    public var id: String
    /// Monotonic per `id`: a newer version supersedes, an older one can never come back.
    public var version: Int
    public var patient: PatientID
    public var drug: Drug
    public var route: Route
    /// Dose released per session, milligrams.
    public var doseMg: Int
    public var maxSessionsPerDay: Int
    /// Minimum interval between two releases of this drug; nil = the clinic default.
    public var minIntervalMinutes: Int?
    /// First and last clinic day (YYYY-MM-DD) the prescription may be dispensed.
    public var validFrom: String
    public var validUntil: String
    /// Key id of the prescriber; must be the key that signed it.
    public var prescriber: String
    /// While titrating, a single dose may be at most a fraction of the previous day's total.
    public var titrating: Bool

    public init(id: String, version: Int, patient: PatientID, drug: Drug, route: Route, doseMg: Int,
                maxSessionsPerDay: Int, minIntervalMinutes: Int? = nil, validFrom: String, validUntil: String,
                prescriber: String, titrating: Bool = false) {
        self.id = id
        self.version = version
        self.patient = patient
        self.drug = drug
        self.route = route
        self.doseMg = doseMg
        self.maxSessionsPerDay = maxSessionsPerDay
        self.minIntervalMinutes = minIntervalMinutes
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.prescriber = prescriber
        self.titrating = titrating
    }

    enum CodingKeys: String, CodingKey {
        case id, version, patient, drug, route, prescriber, titrating
        case doseMg = "dose_mg"
        case maxSessionsPerDay = "max_sessions_per_day"
        case minIntervalMinutes = "min_interval_minutes"
        case validFrom = "valid_from"
        case validUntil = "valid_until"
    }

    /// Clinic day numbers of the validity, nil when a date is malformed.
    public var validDays: ClosedRange<Int64>? {
        guard let from = parseDay(validFrom), let until = parseDay(validUntil), from <= until else { return nil }
        return from...until
    }

    /// Shape checks that do not need clinic policy.
    public func shapeErrors() -> [String] {
        var errors: [String] = []
        if id.isEmpty || id.count > 64 { errors.append("id must be 1-64 characters") }
        if version < 1 { errors.append("version must be at least 1") }
        if patient.rawValue.isEmpty { errors.append("patient missing") }
        if doseMg <= 0 { errors.append("dose_mg must be positive") }
        if maxSessionsPerDay < 1 || maxSessionsPerDay > 6 { errors.append("max_sessions_per_day must be 1-6") }
        if let m = minIntervalMinutes, m < 0 { errors.append("min_interval_minutes must not be negative") }
        if validDays == nil { errors.append("valid_from/valid_until must be YYYY-MM-DD with from <= until") }
        if let why = Formulary.problem(drug, route) { errors.append(why) }
        return errors
    }
}

/// Parses `YYYY-MM-DD` into a day number since 1970-01-01.
public func parseDay(_ s: String) -> Int64? {
    let parts = s.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
          let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
          (1...12).contains(m), (1...31).contains(d) else { return nil }
    let millis = CivilTime.wallMillis(year: y, month: m, day: d)
    let back = CivilTime(wallMillis: millis, utcOffsetMinutes: 0)
    guard back.year == y, back.month == m, back.day == d else { return nil }  // rejects 2026-02-30
    return millis / 86_400_000
}

/// A signed cancellation: the prescription `id` ends at `version` (which must be newer).
public struct PrescriptionCancellation: Hashable, Sendable, Codable {
    public var id: String
    public var version: Int
    public var patient: PatientID
    public var prescriber: String
    public var reason: String

    public init(id: String, version: Int, patient: PatientID, prescriber: String, reason: String) {
        self.id = id
        self.version = version
        self.patient = patient
        self.prescriber = prescriber
        self.reason = reason
    }
}

/// What a verified entry says.
public enum PrescriptionDocument: Hashable, Sendable {
    case prescription(Prescription)
    case cancellation(PrescriptionCancellation)

    public var id: String {
        switch self { case .prescription(let p): p.id; case .cancellation(let c): c.id }
    }
    public var version: Int {
        switch self { case .prescription(let p): p.version; case .cancellation(let c): c.version }
    }
    public var prescriber: String {
        switch self { case .prescription(let p): p.prescriber; case .cancellation(let c): c.prescriber }
    }
    public var patient: PatientID {
        switch self { case .prescription(let p): p.patient; case .cancellation(let c): c.patient }
    }
}

/// One entry of a bundle: the exact signed bytes, the signature over them, the signing key's id.
public struct SignedPrescriptionEntry: Hashable, Sendable {
    public var keyID: String
    public var payload: [UInt8]
    public var signature: [UInt8]

    public init(keyID: String, payload: [UInt8], signature: [UInt8]) {
        self.keyID = keyID
        self.payload = payload
        self.signature = signature
    }

    /// Signs `document` with a prescriber's private key (used by the demo clinic and tests).
    public static func sign(_ document: PrescriptionDocument, keyID: String,
                            with key: Curve25519.Signing.PrivateKey) throws -> SignedPrescriptionEntry {
        let payload = try PrescriptionCodec.encode(document)
        let signature = try key.signature(for: Data(payload))
        return SignedPrescriptionEntry(keyID: keyID, payload: payload, signature: Array(signature))
    }
}

/// A prescriber's installed public key.
public struct PrescriberKey: Hashable, Sendable, Codable {
    public var keyID: String
    /// Raw 32-byte Ed25519 public key.
    public var publicKey: [UInt8]
    /// Wall-clock millis from which the key is revoked; entries are refused after revocation.
    public var revokedAtMillis: Int64?

    public init(keyID: String, publicKey: [UInt8], revokedAtMillis: Int64? = nil) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.revokedAtMillis = revokedAtMillis
    }
}

public enum PrescriptionError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownPrescriber(String)
    case revokedKey(String)
    case badKey(String)
    case badSignature(String)
    case malformed(String)
    case signerMismatch(signedBy: String, claims: String)
    case invalid(id: String, problems: [String])

    public var description: String {
        switch self {
        case .unknownPrescriber(let k): "unknown prescriber key '\(k)'"
        case .revokedKey(let k): "prescriber key '\(k)' is revoked"
        case .badKey(let k): "installed key '\(k)' is not a valid Ed25519 public key"
        case .badSignature(let k): "signature does not verify with key '\(k)'"
        case .malformed(let why): "malformed entry: \(why)"
        case .signerMismatch(let s, let c): "entry signed by '\(s)' claims prescriber '\(c)'"
        case .invalid(let id, let problems): "prescription \(id): \(problems.joined(separator: "; "))"
        }
    }
}

/// Verifies signed entries against installed prescriber keys. The signature covers the exact
/// bytes of each entry, which are parsed only after they verify (ARCHITECTURE §4a).
public struct PrescriptionVerifier: Sendable {
    public var keys: [String: PrescriberKey]

    public init(keys: [PrescriberKey]) {
        self.keys = Dictionary(keys.map { ($0.keyID, $0) }, uniquingKeysWith: { _, b in b })
    }

    public func verify(_ entry: SignedPrescriptionEntry, nowMillis: Int64) -> Result<PrescriptionDocument, PrescriptionError> {
        guard let key = keys[entry.keyID] else { return .failure(.unknownPrescriber(entry.keyID)) }
        if let revoked = key.revokedAtMillis, nowMillis >= revoked { return .failure(.revokedKey(entry.keyID)) }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey) else {
            return .failure(.badKey(entry.keyID))
        }
        guard publicKey.isValidSignature(entry.signature, for: entry.payload) else {
            return .failure(.badSignature(entry.keyID))
        }
        let document: PrescriptionDocument
        do { document = try PrescriptionCodec.decode(entry.payload) } catch { return .failure(error) }
        guard document.prescriber == entry.keyID else {
            return .failure(.signerMismatch(signedBy: entry.keyID, claims: document.prescriber))
        }
        if case .prescription(let p) = document {
            let problems = p.shapeErrors()
            if !problems.isEmpty { return .failure(.invalid(id: p.id, problems: problems)) }
        }
        return .success(document)
    }
}

/// The JSON form of a signed payload: `{"type": "prescription" | "cancellation", ...}`.
public enum PrescriptionCodec {
    struct Envelope: Codable { var type: String }

    public static func encode(_ document: PrescriptionDocument) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        struct Typed<T: Encodable>: Encodable {
            var type: String
            var body: T
            func encode(to encoder: any Encoder) throws {
                try body.encode(to: encoder)
                var c = encoder.container(keyedBy: K.self)
                try c.encode(type, forKey: K(stringValue: "type")!)
            }
        }
        switch document {
        case .prescription(let p): return Array(try encoder.encode(Typed(type: "prescription", body: p)))
        case .cancellation(let c): return Array(try encoder.encode(Typed(type: "cancellation", body: c)))
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(PrescriptionError) -> PrescriptionDocument {
        guard bytes.count <= 16_384 else { throw .malformed("entry larger than 16 KiB") }
        let data = Data(bytes)
        let decoder = JSONDecoder()
        do {
            let envelope = try decoder.decode(Envelope.self, from: data)
            switch envelope.type {
            case "prescription": return .prescription(try decoder.decode(Prescription.self, from: data))
            case "cancellation": return .cancellation(try decoder.decode(PrescriptionCancellation.self, from: data))
            default: throw PrescriptionError.malformed("unknown type '\(envelope.type)'")
            }
        } catch let error as PrescriptionError {
            throw error
        } catch {
            throw .malformed("not a valid prescription document (\(describe(error)))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "bad value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let c) where !c.codingPath.isEmpty:
            "bad value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: "not JSON"
        default: "unreadable"
        }
    }

    struct K: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A bundle file: `{"entries": [{"key": ID, "payload": BASE64, "signature": BASE64}, ...]}`.
public enum PrescriptionBundle {
    struct Wire: Codable {
        struct Entry: Codable { var key: String; var payload: String; var signature: String }
        var entries: [Entry]
    }

    /// Reads the outer structure only; payloads stay opaque bytes until verified.
    public static func parse(_ bytes: [UInt8]) throws(PrescriptionError) -> [SignedPrescriptionEntry] {
        guard bytes.count <= 4 << 20 else { throw .malformed("bundle larger than 4 MiB") }
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(bytes)) } catch {
            throw .malformed("bundle is not {\"entries\": [...]} (\(PrescriptionCodec.describe(error)))")
        }
        var out: [SignedPrescriptionEntry] = []
        for (i, e) in wire.entries.enumerated() {
            guard let payload = Data(base64Encoded: e.payload), let signature = Data(base64Encoded: e.signature) else {
                throw .malformed("entry \(i): payload and signature must be base64")
            }
            out.append(SignedPrescriptionEntry(keyID: e.key, payload: Array(payload), signature: Array(signature)))
        }
        return out
    }

    public static func encode(_ entries: [SignedPrescriptionEntry]) throws -> [UInt8] {
        let wire = Wire(entries: entries.map {
            .init(key: $0.keyID, payload: Data($0.payload).base64EncodedString(),
                  signature: Data($0.signature).base64EncodedString())
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(wire))
    }
}

/// The current prescriptions, by id, with the rule that versions only move forward.
public struct PrescriptionBook: Sendable, Hashable {
    public enum Outcome: Hashable, Sendable {
        /// A new id or a newer version: installed.
        case installed
        /// The identical version was sent again: a no-op.
        case unchanged
        /// An older version, or the same version with other bytes: refused.
        case stale(current: Int)
    }

    public struct Entry: Hashable, Sendable {
        public var document: PrescriptionDocument
        public var payload: [UInt8]
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// What accepting `document` would do, without doing it (bundle imports are all-or-nothing).
    public func check(_ document: PrescriptionDocument, payload: [UInt8]) -> Outcome {
        guard let current = entries[document.id] else { return .installed }
        if document.version > current.document.version { return .installed }
        if document.version == current.document.version && payload == current.payload { return .unchanged }
        return .stale(current: current.document.version)
    }

    @discardableResult
    public mutating func accept(_ document: PrescriptionDocument, payload: [UInt8]) -> Outcome {
        let outcome = check(document, payload: payload)
        if outcome == .installed { entries[document.id] = Entry(document: document, payload: payload) }
        return outcome
    }

    /// Prescriptions in force (not cancelled) for a patient.
    public func active(for patient: PatientID) -> [Prescription] {
        entries.values.compactMap { entry -> Prescription? in
            if case .prescription(let p) = entry.document, p.patient == patient { return p }
            return nil
        }.sorted { $0.id < $1.id }
    }
}
