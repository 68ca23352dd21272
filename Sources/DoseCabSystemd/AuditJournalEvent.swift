import DoseCabCore

/// What the daemon hands over for each audit record: the journal mirror of one entry of
/// the store's hash-chained audit log (ARCHITECTURE §4 I3). `journalEntry()` turns it into
/// the fields documented in docs/journal.md.
public struct AuditJournalEvent: Sendable, Equatable {
    /// The kind; becomes `DOSECAB_EVENT` and selects `MESSAGE_ID` and default `PRIORITY`.
    public var kind: AuditEventKind
    /// Human text (`MESSAGE`), e.g. "Released 200 mg DAM (injectable) to patient P-0042".
    public var message: String
    /// `DOSECAB_RELEASE_ID`.
    public var releaseID: String?
    /// `DOSECAB_PATIENT`: the pseudonymous patient number, never a name (the journal is
    /// readable by the `adm` group).
    public var patient: String?
    /// `DOSECAB_STAFF`: staff badge id.
    public var staff: String?
    /// `DOSECAB_DRUG`.
    public var drug: String?
    /// `DOSECAB_ROUTE`.
    public var route: String?
    /// `DOSECAB_DOSE_MG`, in milligrams (written without a trailing `.0`).
    public var doseMg: Double?
    /// `DOSECAB_AMPOULE`: the unit's serial.
    public var unit: String?
    /// `DOSECAB_PRESCRIPTION`.
    public var prescription: String?
    /// `DOSECAB_REASON`: for a refusal, every failed rule; for a hold/incident/alarm, why.
    public var reason: String?
    /// `DOSECAB_AUDIT_SEQ`: the record's sequence number in the store's audit chain.
    public var auditSeq: UInt64?
    /// `DOSECAB_AUDIT_HASH`: the record's chain hash (hex).
    public var auditHash: String?
    /// Overrides the kind's default priority (e.g. lockdown switched on by an alarm: alert).
    public var priority: JournalPriority?
    /// More fields, after the standard ones (names validated by `JournalField`).
    public var extra: [(JournalField, String)]

    /// Creates an event; only `kind` and `message` are required.
    public init(
        kind: AuditEventKind, message: String,
        releaseID: String? = nil, patient: String? = nil, staff: String? = nil,
        drug: String? = nil, route: String? = nil, doseMg: Double? = nil, unit: String? = nil,
        prescription: String? = nil, reason: String? = nil,
        auditSeq: UInt64? = nil, auditHash: String? = nil,
        priority: JournalPriority? = nil, extra: [(JournalField, String)] = []
    ) {
        self.kind = kind
        self.message = message
        self.releaseID = releaseID
        self.patient = patient
        self.staff = staff
        self.drug = drug
        self.route = route
        self.doseMg = doseMg
        self.unit = unit
        self.prescription = prescription
        self.reason = reason
        self.auditSeq = auditSeq
        self.auditHash = auditHash
        self.priority = priority
        self.extra = extra
    }

    /// The identifier every dosecab entry carries.
    public static let syslogIdentifier = "dosecabd"

    /// The journal entry: `MESSAGE`, `MESSAGE_ID`, `PRIORITY`, `SYSLOG_IDENTIFIER=dosecabd`,
    /// `DOSECAB_EVENT`, then each `DOSECAB_*` field that has a value, then `extra`.
    public func journalEntry() -> JournalEntry {
        var e = JournalEntry()
        e.append(.message, message)
        e.append(.messageID, JournalMessageID.forKind(kind))
        e.append(.priority, String((priority ?? kind.journalPriority).rawValue))
        e.append(.syslogIdentifier, Self.syslogIdentifier)
        e.append(.event, kind.rawValue)
        let optional: [(JournalField, String?)] = [
            (.releaseID, releaseID), (.patient, patient), (.staff, staff), (.drug, drug),
            (.route, route), (.doseMg, doseMg.map(Self.formatMg)), (.ampoule, unit),
            (.prescription, prescription), (.reason, reason),
            (.auditSeq, auditSeq.map { String($0) }), (.auditHash, auditHash),
        ]
        for case let (name, value?) in optional { e.append(name, value) }
        for (name, value) in extra { e.append(name, value) }
        return e
    }

    /// 200 → "200", 12.5 → "12.5".
    static func formatMg(_ mg: Double) -> String {
        if mg == mg.rounded(), abs(mg) < 1e15 { return String(Int64(mg)) }
        return String(mg)
    }

    public static func == (a: AuditJournalEvent, b: AuditJournalEvent) -> Bool {
        a.journalEntry() == b.journalEntry()
    }
}
