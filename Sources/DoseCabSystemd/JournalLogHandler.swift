import Logging

/// A swift-log handler that sends ordinary log lines to the journal through a
/// `JournalWriter` (never blocking the caller): `MESSAGE`, `PRIORITY`,
/// `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, the logger's label and
/// source, and each metadata key as a field (upper-cased into a valid name; a key that
/// would clash with a field journald or dosecab gives meaning to gets the `META_` prefix).
public struct JournalLogHandler: LogHandler {
    /// Where lines go. Log lines use `enqueueLog`, which leaves room for audit events.
    public let writer: JournalWriter
    /// The `Logger` label, sent as `LOGGER`.
    public let label: String
    /// `SYSLOG_IDENTIFIER`, `dosecabd` by default.
    public let identifier: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `Logger(label:)`; use with `LoggingSystem.bootstrap`.
    public init(label: String, writer: JournalWriter, identifier: String = AuditJournalEvent.syslogIdentifier,
                metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.writer = writer
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        writer.enqueueLog(entry(for: event))
    }

    /// The journal entry for one log event (exposed for tests).
    public func entry(for event: LogEvent) -> JournalEntry {
        var e = JournalEntry()
        e.append(.message, event.message.description)
        e.append(.priority, String(Self.priority(event.level).rawValue))
        e.append(.syslogIdentifier, identifier)
        e.append(.codeFile, event.file)
        e.append(.codeLine, String(event.line))
        e.append(.codeFunc, event.function)
        e.append(Self.loggerField, label)
        e.append(Self.sourceField, event.source)
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        for key in merged.keys.sorted() {
            e.append(Self.field(forMetadataKey: key), merged[key]!.description)
        }
        return e
    }

    /// swift-log level → syslog priority (`trace` and `debug` are both debug).
    public static func priority(_ level: Logger.Level) -> JournalPriority {
        switch level {
        case .trace, .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }

    static let loggerField = try! JournalField("LOGGER")
    static let sourceField = try! JournalField("LOGGER_SOURCE")
    static let reserved: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
        "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "LOGGER_SOURCE", "ERRNO",
        "DOCUMENTATION", "TID", "UNIT", "USER_UNIT",
    ]

    /// The field a metadata key becomes; never one a reader would mistake for an audit
    /// field or a journald field (`DOSECAB_*` keys are prefixed too).
    public static func field(forMetadataKey key: String) -> JournalField {
        let f = JournalField.sanitized(key, prefix: "META_")
        if reserved.contains(f.name) || f.name.hasPrefix("DOSECAB_") {
            return JournalField.sanitized("META_" + f.name)
        }
        return f
    }
}
