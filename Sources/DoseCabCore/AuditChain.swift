import Crypto

/// An event before it is chained: what happened, when, and its register fields.
public struct AuditEvent: Hashable, Sendable, Codable {
    public var kind: AuditEventKind
    public var wallMillis: Int64
    /// Human one-line summary (the journal's MESSAGE).
    public var message: String
    /// Register fields by name (e.g. "patient", "release", "drug"); never a PIN, never a name.
    public var fields: [String: String]

    public init(kind: AuditEventKind, wallMillis: Int64, message: String, fields: [String: String] = [:]) {
        self.kind = kind
        self.wallMillis = wallMillis
        self.message = message
        self.fields = fields
    }
}

/// One link of the hash chain: `hash = SHA-256(previous hash ‖ canonical(seq, time, kind, message, fields))`.
///
/// The store's chain is the record of truth; the journal mirrors each record's `seq` and `hash`
/// so the two can be cross-checked (ARCHITECTURE §4 I3).
public struct AuditRecord: Hashable, Sendable, Codable {
    public var seq: Int64
    public var event: AuditEvent
    /// Hex SHA-256 of the previous record (64 zeros for the first).
    public var previousHash: String
    public var hash: String

    public init(seq: Int64, event: AuditEvent, previousHash: String, hash: String) {
        self.seq = seq
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }

    public static let genesisHash = String(repeating: "0", count: 64)

    /// The hash a record with these contents must carry.
    public static func computeHash(seq: Int64, event: AuditEvent, previousHash: String) -> String {
        var bytes: [UInt8] = []
        func put(_ s: String) {
            let u = Array(s.utf8)
            withUnsafeBytes(of: UInt32(u.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: u)
        }
        put(previousHash)
        put(String(seq))
        put(String(event.wallMillis))
        put(event.kind.rawValue)
        put(event.message)
        for key in event.fields.keys.sorted() {
            put(key)
            put(event.fields[key]!)
        }
        return SHA256.hash(data: bytes).map { byte in
            let h = String(byte, radix: 16)
            return byte < 16 ? "0" + h : h
        }.joined()
    }

    public var isSelfConsistent: Bool {
        hash == AuditRecord.computeHash(seq: seq, event: event, previousHash: previousHash)
    }
}

/// The head of a chain: enough to append the next record (restored from the store on start).
public struct AuditChain: Hashable, Sendable, Codable {
    public private(set) var lastSeq: Int64
    public private(set) var lastHash: String

    public init(lastSeq: Int64 = 0, lastHash: String = AuditRecord.genesisHash) {
        self.lastSeq = lastSeq
        self.lastHash = lastHash
    }

    public mutating func append(_ event: AuditEvent) -> AuditRecord {
        let previous = lastHash
        let seq = lastSeq + 1
        let hash = AuditRecord.computeHash(seq: seq, event: event, previousHash: previous)
        lastSeq = seq
        lastHash = hash
        return AuditRecord(seq: seq, event: event, previousHash: previous, hash: hash)
    }
}

/// What verification found.
public enum AuditVerification: Hashable, Sendable, CustomStringConvertible {
    case intact(records: Int, head: String)
    /// The first broken link: the record at `position` (0-based in the walk), with its `seq`.
    case broken(position: Int, seq: Int64, problem: Problem)

    public enum Problem: String, Hashable, Sendable {
        /// The record's contents no longer match its hash: edited.
        case edited
        /// A sequence number is missing: a record was deleted.
        case missing
        /// Sequence numbers go backwards or repeat: records were reordered or duplicated.
        case reordered
        /// The record does not link to its predecessor's hash.
        case unlinked
    }

    public var description: String {
        switch self {
        case .intact(let n, let head): "audit chain intact: \(n) records, head \(head)"
        case .broken(let pos, let seq, let problem):
            "audit chain broken at record #\(pos) (seq \(seq)): \(problem.rawValue)"
        }
    }
}

extension AuditChain {
    /// Walks records in stored order and reports the first broken link.
    /// `expectedStart` is the head the walk continues from (genesis for a full walk).
    public static func verify<S: Sequence>(_ records: S, from start: AuditChain = AuditChain()) -> AuditVerification
    where S.Element == AuditRecord {
        var expectedSeq = start.lastSeq + 1
        var previous = start.lastHash
        var count = 0
        for (position, record) in records.enumerated() {
            if record.seq < expectedSeq { return .broken(position: position, seq: record.seq, problem: .reordered) }
            if record.seq > expectedSeq { return .broken(position: position, seq: record.seq, problem: .missing) }
            if !record.isSelfConsistent { return .broken(position: position, seq: record.seq, problem: .edited) }
            if record.previousHash != previous { return .broken(position: position, seq: record.seq, problem: .unlinked) }
            previous = record.hash
            expectedSeq += 1
            count += 1
        }
        return .intact(records: count, head: previous)
    }
}
