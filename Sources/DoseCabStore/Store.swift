import DoseCabCore
import Foundation
import GRDB

/// The cabinet's record of truth: one SQLite file (`dosecab.sqlite`) in the state directory,
/// WAL with `synchronous=FULL` (each commit is on disk when `commit` returns), foreign keys on,
/// versioned migrations.
///
/// Every durable change goes through `commit`, which applies a `LedgerWrite` and appends its one
/// audit record in the same transaction, so the ledger and the hash chain never disagree.
/// Reads come from WAL snapshots and never block the writer.
public final class Store: Sendable {
    /// Path of the database file.
    public let path: String
    /// The clinic calendar used for the `day` columns (register and reconciliation days).
    public let calendar: ClinicCalendar

    let pool: DatabasePool
    /// The chain head, loaded once and kept under the writer lock (nil: reload inside the next transaction).
    let writer = Locked<AuditChain?>(nil)
    /// The last audit sequence when this store was opened: everything up to it was written by an
    /// earlier run of the daemon, so a downtime (mechanical-key alarm) began after it.
    let lastSeqAtOpen: Int64
    /// Names cards in audit details, error messages and the read group's replies (issue 18.2),
    /// with the store's own key.
    public let cardFingerprinter: CardFingerprinter

    /// The file name inside the state directory.
    public static let fileName = "dosecab.sqlite"

    /// Opens (creating if needed) the store in `directory` and brings its schema up to date.
    public convenience init(directory: String, calendar: ClinicCalendar) throws(StoreError) {
        try self.init(directory: directory, calendar: calendar, maxPageCount: nil)
    }

    /// `maxPageCount` caps the file (tests simulate a full disk with it); `busySeconds` is how
    /// long a commit waits for another holder of the write lock before it fails. The daemon is
    /// the only writer, so a holder is an intruder or a stuck process: a commit that waited
    /// longer would hold up the actor, and the watchdog's tick with it, while the cabinet
    /// retries its held records (tests that hold the lock on purpose shorten it further).
    init(directory: String, calendar: ClinicCalendar, maxPageCount: Int?, busySeconds: Double = 1) throws(StoreError) {
        let path = (directory as NSString).appendingPathComponent(Store.fileName)
        self.path = path
        self.calendar = calendar
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotOpen(path: path, detail: "cannot create the state directory (\(error.localizedDescription))")
            }
        } else if !isDirectory.boolValue {
            throw .cannotOpen(path: path, detail: "\(directory) is not a directory")
        }
        // The folder may stay traversable (a --simulate socket beside the store, the soak's
        // prober as another uid); nobody else may list it or create in it.
        try Store.makePrivate(directory, path: path) { $0 & ~0o066 }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busySeconds)
        config.label = "dosecab"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // The pool switches its writer to WAL after `prepareDatabase` and sets
            // synchronous=NORMAL while doing so (a commit could then be lost at power failure):
            // put FULL back on the writer, the one connection that commits, and check it.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw StoreError.cannotOpen(path: path, detail: "PRAGMA synchronous = FULL did not take (reads \(synchronous ?? -1))")
            }
            try Schema.migrator().migrate(pool)
            // An existing database in a read-only directory opens (and even migrates, when there
            // is nothing to migrate); a release would then fail. Say so now, at start.
            try pool.write { db in try db.execute(sql: "UPDATE audit_mirror SET upto_seq = upto_seq WHERE id = 1") }
            lastSeqAtOpen = try pool.read { db in try Store.loadHead(db).lastSeq }
            let key = try pool.read { db in try Data.fetchOne(db, sql: "SELECT key FROM card_fingerprint_key WHERE id = 1") }
            guard let key, key.count == 32 else { throw StoreError.corrupt("the card fingerprint key is missing or not 32 bytes") }
            cardFingerprinter = CardFingerprinter(key: Array(key))
            // SQLite gives the -wal and -shm files the database's own mode.
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                try Store.makePrivate(file, path: path) { _ in 0o600 }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .cannotOpen(path: path, detail: StoreError.sqliteDetail(error))
        }
    }

    /// The state directory and the store's files are the service user's alone (§4a
    /// "Insiders"): a group that could read them could read PIN hashes and card numbers, and
    /// a process that could open `-shm` could hold the write lock and stop every commit.
    /// Whatever mode an earlier install or the umask left, it is set back here.
    static func makePrivate(_ file: String, path: String, _ tighten: (Int) -> Int) throws(StoreError) {
        let current = (try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue ?? 0
        let mode = tighten(current)
        guard current != mode else { return }
        do {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        } catch {
            throw .cannotOpen(path: path, detail: "\(file) cannot be made private to the service (mode \(String(mode, radix: 8))): \(error.localizedDescription)")
        }
    }

    // MARK: - Writing

    /// Applies `write` and appends its audit record in one transaction, durably (fsync) before
    /// returning the record, which the daemon then mirrors to the journal.
    ///
    /// Nothing is changed when this throws. `.issue` of a serial not in stock, or of another
    /// drug, route or strength than the release's, throws `unitRefused`; a close-out of a unit
    /// that is not open throws `unitRefused` with the core's anomaly.
    @discardableResult
    public func commit(_ write: LedgerWrite) throws(StoreError) -> AuditRecord {
        try commitAll([write])[0]
    }

    /// Applies all `writes` in one transaction: all of them or none.
    @discardableResult
    public func commitAll(_ writes: [LedgerWrite]) throws(StoreError) -> [AuditRecord] {
        try transaction { tx throws(StoreError) in
            var records: [AuditRecord] = []
            for write in writes { records.append(try tx.apply(write)) }
            return records
        }
    }

    /// Runs `body` in one write transaction with the chain head. The head advances only when
    /// the transaction committed; after any failure it is reloaded from the database.
    /// A ``CompanionRecord`` bound for this task is applied last, in the same transaction,
    /// unless `carriesCompanion` is false (writes outside the chain, such as PIN counts).
    func transaction<T: Sendable>(carriesCompanion: Bool = true, _ body: (inout Transaction) throws(StoreError) -> T) throws(StoreError) -> T {
        let companion = carriesCompanion ? Store.companion : nil
        let companionWrite = companion?.take()
        return try writer.withLock { (head: inout AuditChain?) throws(StoreError) -> T in
            var committedHead: AuditChain?
            var companionRecord: AuditRecord?
            let result: T
            do {
                result = try pool.write { db -> T in
                    var tx = Transaction(db: db, chain: try head ?? Store.loadHead(db), calendar: calendar, lastSeqAtOpen: lastSeqAtOpen)
                    let value = try body(&tx)
                    if let companionWrite { companionRecord = try tx.apply(companionWrite) }
                    committedHead = tx.chain
                    return value
                }
            } catch {
                head = nil
                if let e = error as? StoreError { throw e }
                throw .cannotCommit(StoreError.sqliteDetail(error))
            }
            head = committedHead
            if let companionRecord { companion?.committed(companionRecord) }
            return result
        }
    }

    static func loadHead(_ db: Database) throws -> AuditChain {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") else {
            return AuditChain()
        }
        return AuditChain(lastSeq: row["seq"], lastHash: row["hash"])
    }

    // MARK: - Reading

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch {
            if let e = error as? StoreError { throw e }
            throw .cannotRead(StoreError.sqliteDetail(error))
        }
    }

    /// Day number of a moment in the store's clinic calendar.
    func day(_ m: Moment) -> Int64 { calendar.day(of: m) }
}
