/// The syslog priority of a journal entry (`PRIORITY=`), 0 most severe.
public enum JournalPriority: Int, Sendable, Hashable, CaseIterable, Comparable {
    /// System is unusable.
    case emergency = 0
    /// Action must be taken immediately.
    case alert = 1
    /// Critical condition.
    case critical = 2
    /// Error condition.
    case error = 3
    /// Warning condition.
    case warning = 4
    /// Normal but significant.
    case notice = 5
    /// Informational.
    case info = 6
    /// Debug-level.
    case debug = 7

    /// The name journalctl uses (`-p notice`).
    public var name: String {
        switch self {
        case .emergency: "emerg"
        case .alert: "alert"
        case .critical: "crit"
        case .error: "err"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// More severe sorts first.
    public static func < (a: JournalPriority, b: JournalPriority) -> Bool { a.rawValue < b.rawValue }
}
