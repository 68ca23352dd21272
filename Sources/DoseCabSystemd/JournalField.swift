/// A journal field name that journald will keep.
///
/// journald silently drops a field whose name is invalid, so a bad name would lose data
/// without a trace; here it is a thrown error instead. Valid: 1–64 characters of `A-Z`,
/// `0-9` and `_`, not starting with a digit, and not starting with `_` (those are trusted
/// fields that only journald itself may set).
public struct JournalField: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// Why a name was refused.
    public struct InvalidName: Error, Sendable, Equatable, CustomStringConvertible {
        /// The name as given.
        public let name: String
        /// What is wrong with it.
        public let problem: String
        public var description: String { "invalid journal field name \"\(name)\": \(problem)" }
    }

    /// The validated name, e.g. `DOSECAB_RELEASE_ID`.
    public let name: String

    /// Validates `name`; throws `InvalidName` saying what is wrong.
    public init(_ name: String) throws(InvalidName) {
        if let problem = JournalField.problem(with: name) {
            throw InvalidName(name: name, problem: problem)
        }
        self.name = name
    }

    /// For the compile-time constants below, which the tests check for validity.
    private init(trusted name: String) { self.name = name }

    /// Nil when `name` is a valid journal field name, else what is wrong with it.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "empty" }
        if bytes.count > 64 { return "longer than 64 characters" }
        if bytes[0] == UInt8(ascii: "_") { return "starts with '_' (reserved for journald's trusted fields)" }
        if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[0]) { return "starts with a digit" }
        for b in bytes {
            let ok = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
                || b == UInt8(ascii: "_")
            if !ok { return "contains a character other than A-Z, 0-9 and '_'" }
        }
        return nil
    }

    /// Turns an arbitrary key (e.g. swift-log metadata `request-id`) into a valid name:
    /// upper-cased, other characters become `_`, and a leading `_`/digit gets `prefix`.
    public static func sanitized(_ key: String, prefix: String = "X_") -> JournalField {
        var s = String(key.uppercased().unicodeScalars.map { c -> Character in
            let ok = ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_"
            return ok ? Character(c) : "_"
        })
        if s.isEmpty || s.first == "_" || s.first!.isNumber { s = prefix + s }
        if s.utf8.count > 64 { s = String(s.prefix(64)) }
        return JournalField(trusted: s)
    }

    public var description: String { name }
    public static func < (a: JournalField, b: JournalField) -> Bool { a.name < b.name }

    // Fields journald and journalctl give meaning to.
    /// `MESSAGE`: the human-readable text.
    public static let message = JournalField(trusted: "MESSAGE")
    /// `MESSAGE_ID`: 128-bit id of the kind of event; the catalog explains each.
    public static let messageID = JournalField(trusted: "MESSAGE_ID")
    /// `PRIORITY`: syslog level 0 (emerg) … 7 (debug).
    public static let priority = JournalField(trusted: "PRIORITY")
    /// `SYSLOG_IDENTIFIER`: `dosecabd`.
    public static let syslogIdentifier = JournalField(trusted: "SYSLOG_IDENTIFIER")
    /// `CODE_FILE`: source file of a log line.
    public static let codeFile = JournalField(trusted: "CODE_FILE")
    /// `CODE_LINE`: source line of a log line.
    public static let codeLine = JournalField(trusted: "CODE_LINE")
    /// `CODE_FUNC`: function of a log line.
    public static let codeFunc = JournalField(trusted: "CODE_FUNC")

    // dosecab's own fields (docs/journal.md).
    /// `DOSECAB_EVENT`: the `AuditEventKind` raw value.
    public static let event = JournalField(trusted: "DOSECAB_EVENT")
    /// `DOSECAB_RELEASE_ID`.
    public static let releaseID = JournalField(trusted: "DOSECAB_RELEASE_ID")
    /// `DOSECAB_PATIENT`: pseudonymous patient number, never a name.
    public static let patient = JournalField(trusted: "DOSECAB_PATIENT")
    /// `DOSECAB_STAFF`.
    public static let staff = JournalField(trusted: "DOSECAB_STAFF")
    /// `DOSECAB_DRUG`.
    public static let drug = JournalField(trusted: "DOSECAB_DRUG")
    /// `DOSECAB_ROUTE`.
    public static let route = JournalField(trusted: "DOSECAB_ROUTE")
    /// `DOSECAB_DOSE_MG`.
    public static let doseMg = JournalField(trusted: "DOSECAB_DOSE_MG")
    /// `DOSECAB_AMPOULE`: the unit's serial.
    public static let ampoule = JournalField(trusted: "DOSECAB_AMPOULE")
    /// `DOSECAB_PRESCRIPTION`.
    public static let prescription = JournalField(trusted: "DOSECAB_PRESCRIPTION")
    /// `DOSECAB_REASON`.
    public static let reason = JournalField(trusted: "DOSECAB_REASON")
    /// `DOSECAB_AUDIT_SEQ`: sequence number in the store's audit chain.
    public static let auditSeq = JournalField(trusted: "DOSECAB_AUDIT_SEQ")
    /// `DOSECAB_AUDIT_HASH`: the chain hash of that audit record (hex).
    public static let auditHash = JournalField(trusted: "DOSECAB_AUDIT_HASH")

    /// Every `DOSECAB_*` field an audit event may carry, in the order they are written.
    public static let dosecabFields: [JournalField] = [
        .event, .releaseID, .patient, .staff, .drug, .route, .doseMg, .ampoule,
        .prescription, .reason, .auditSeq, .auditHash,
    ]
}
