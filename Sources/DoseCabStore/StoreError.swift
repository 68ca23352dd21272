import DoseCabCore
import GRDB

/// Why the store could not do what it was asked. Each description is one line an operator can
/// act on; the daemon turns `unitRefused` into an anomaly record and everything else into a
/// refusal or a fault (nothing was changed when any of these is thrown).
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The database could not be opened or migrated (missing or read-only state directory, not a database).
    case cannotOpen(path: String, detail: String)
    /// A transaction failed in SQLite (disk full, read-only, I/O error); it was rolled back.
    case cannotCommit(String)
    /// A query failed in SQLite.
    case cannotRead(String)
    /// A unit scan or close-out the ledger cannot book. `anomaly` names the core's reason when it
    /// has one (nil: a mismatch of drug, route, strength or count the core has no name for).
    case unitRefused(serial: UnitSerial, anomaly: LedgerAnomaly?, detail: String)
    /// The write contradicts what is stored (a release that is not in progress, a duplicate serial, ...).
    case conflict(String)
    /// A prescription bundle was refused as a whole; one line per bad entry.
    case bundleRejected([String])
    /// The input itself is unusable (a malformed key, an empty name).
    case invalidInput(String)
    /// A stored row cannot be read back as what it should be.
    case corrupt(String)
    /// A stock action broke one or more of the core's rules (issue #11); every one is listed.
    case stockRefused(StockRefused)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let detail): "store: cannot open \(path): \(detail)"
        case .cannotCommit(let detail): "store: cannot commit: \(detail)"
        case .cannotRead(let detail): "store: cannot read: \(detail)"
        case .unitRefused(let serial, let anomaly, let detail):
            "store: unit \(serial) refused: \(anomaly.map { "\($0.rawValue): " } ?? "")\(detail)"
        case .conflict(let detail): "store: refused: \(detail)"
        case .bundleRejected(let problems):
            "store: prescription bundle rejected, nothing imported: \(problems.joined(separator: " | "))"
        case .invalidInput(let detail): "store: invalid input: \(detail)"
        case .corrupt(let detail): "store: corrupt record: \(detail)"
        case .stockRefused(let refused): "refused: \(refused)"
        }
    }

    /// "message (SQLITE_FULL)" from a GRDB error, without the SQL text.
    static func sqliteDetail(_ error: any Error) -> String {
        guard let e = error as? DatabaseError else { return String(describing: error) }
        let name = sqliteCodeNames[e.resultCode.primaryResultCode.rawValue] ?? "SQLite error \(e.resultCode.rawValue)"
        return "\(e.message ?? "SQLite error") (\(name))"
    }

    static let sqliteCodeNames: [Int32: String] = [
        1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
        6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
        11: "SQLITE_CORRUPT", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL",
        19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 23: "SQLITE_AUTH", 26: "SQLITE_NOTADB",
    ]
}
