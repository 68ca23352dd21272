import DoseCabCore
import Foundation
import GRDB

/// The last blind count entered.
public struct CountRecord: Hashable, Sendable, Codable {
    public var id: String
    public var enteredWall: Int64
    public var matched: Bool
    public var by: StaffID
    public var witness: StaffID
}

/// Stock control (issue #11): blind counts, discrepancies, overrides, the stock balance.
/// Steps that compare with the ledger run the core's rule inside the write transaction, so the
/// figures they compare cannot move between the read and the write.
extension Store {
    // MARK: Stock register

    /// Every kind the cabinet ever held: what a blind count counts.
    public func stockKinds() throws(StoreError) -> Set<StockKind> {
        try read { db in try Store.kinds(db) }
    }

    static func kinds(_ db: Database) throws -> Set<StockKind> {
        Set(try Row.fetchAll(db, sql: "SELECT DISTINCT drug, route, strength_mg FROM stock_unit").map { row in
            StockKind(drug: try row.decode("drug", as: Drug.self), route: try row.decode("route", as: Route.self), strengthMg: row["strength_mg"])
        })
    }

    /// What should be in the cabinet, per kind (expired units too: they are physically there).
    static func expected(_ db: Database) throws -> [StockKind: Int] {
        var out: [StockKind: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT drug, route, strength_mg, count(*) AS n FROM stock_unit WHERE state = 'in-stock' GROUP BY drug, route, strength_mg
            """) {
            out[StockKind(drug: try row.decode("drug", as: Drug.self), route: try row.decode("route", as: Route.self),
                          strengthMg: row["strength_mg"])] = row["n"]
        }
        return out
    }

    /// The stock balance per kind, each term from its own table, so a store that lost a row or
    /// moved a unit without its record shows as not balancing:
    /// loaded (units received) = in cabinet (state in-stock) + issued (issue records)
    /// − returned to stock (no such event yet: 0) + wasted (waste records of stock units) + lost
    /// (write-offs of discrepancies resolved as loss).
    public func stockBalance() throws(StoreError) -> [StockKind: StockBalance] {
        try read { db in
            var out: [StockKind: StockBalance] = [:]
            func kind(_ row: Row) throws -> StockKind {
                StockKind(drug: try row.decode("drug", as: Drug.self), route: try row.decode("route", as: Route.self), strengthMg: row["strength_mg"])
            }
            func add(_ sql: String, _ apply: (inout StockBalance, Int) -> Void) throws {
                for row in try Row.fetchAll(db, sql: sql) {
                    let k = try kind(row)
                    var b = out[k] ?? StockBalance()
                    apply(&b, row["n"])
                    out[k] = b
                }
            }
            try add("SELECT drug, route, strength_mg, count(*) AS n FROM stock_unit GROUP BY drug, route, strength_mg") { $0.loaded = $1 }
            try add("SELECT drug, route, strength_mg, count(*) AS n FROM stock_unit WHERE state = 'in-stock' GROUP BY drug, route, strength_mg") { $0.inCabinet = $1 }
            try add("SELECT drug, route, strength_mg, count(*) AS n FROM issued_unit GROUP BY drug, route, strength_mg") { $0.issued = $1 }
            try add("""
                SELECT s.drug, s.route, s.strength_mg, count(*) AS n FROM waste w JOIN stock_unit s ON s.serial = w.serial
                WHERE w.release_id IS NULL GROUP BY s.drug, s.route, s.strength_mg
                """) { $0.wasted = $1 }
            try add("""
                SELECT s.drug, s.route, s.strength_mg, count(*) AS n FROM stock_loss l JOIN stock_unit s ON s.serial = l.serial
                GROUP BY s.drug, s.route, s.strength_mg
                """) { $0.lost = $1 }
            return out
        }
    }

    // MARK: Blind counts

    /// Starts a blind count by two staff members over every kind ever held. The reply's sheet
    /// has kinds only, never the expected figures.
    public func startCount(id: String, by: Staff, witness: Staff, at: Moment) throws(StoreError) -> (CountSheet, AuditRecord) {
        try transaction { tx throws(StoreError) in
            let kinds: Set<StockKind>, unresolved: Set<StockKind>, releaseOpen: String?
            do {
                kinds = try Store.kinds(tx.db)
                unresolved = Set(try Row.fetchAll(tx.db, sql: "SELECT * FROM discrepancy WHERE state = 'open'").map { try $0.discrepancy().kind })
                releaseOpen = try String.fetchOne(tx.db, sql: "SELECT id FROM dose_release WHERE state = 'intent' LIMIT 1")
            } catch { throw .cannotCommit(StoreError.sqliteDetail(error)) }
            switch BlindCount.start(id: id, kinds: kinds, unresolved: unresolved, releaseOpen: releaseOpen, by: by, witness: witness, at: at) {
            case .failure(let refused): throw .stockRefused(refused)
            case .success(let sheet): return (sheet, try tx.apply(.countStarted(sheet)))
            }
        }
    }

    /// The two counters enter their figures. Compared with the ledger in the same transaction;
    /// each kind that does not match opens a discrepancy (ids from `discrepancyID`).
    public func enterCount(id: String, entered: [StockKind: Int], by: StaffID, witness: StaffID, at: Moment,
                           policy: ClinicPolicy, discrepancyID: @escaping (Int) -> String) throws(StoreError)
        -> (lines: [CountLine], discrepancies: [Discrepancy], records: [AuditRecord]) {
        try transaction { tx throws(StoreError) in
            guard let sheet = try tx.row("SELECT * FROM stock_count WHERE id = ? AND state = 'open'", [id]).map(Store.sheet) else {
                throw .stockRefused(StockRefused([Refusal(.countNotOpen, "no open count \(id)")]))
            }
            let expected: [StockKind: Int]
            do { expected = try Store.expected(tx.db) } catch { throw .cannotCommit(StoreError.sqliteDetail(error)) }
            switch BlindCount.compare(sheet, entered: entered, expected: expected, by: by, witness: witness) {
            case .failure(let refused): throw .stockRefused(refused)
            case .success(let lines):
                let found = DiscrepancyRules.open(lines, countID: id, at: at, policy: policy, id: discrepancyID)
                var records = [try tx.apply(.countEntered(countID: id, lines: lines, by: by, witness: witness, at: at))]
                for d in found { records.append(try tx.apply(.discrepancyOpened(d))) }
                return (lines, found, records)
            }
        }
    }

    /// Two staff members cancel the open count `id` with a reason (a count nobody will finish
    /// would otherwise block every later count and, while open, every stock movement).
    public func cancelCount(id: String, reason: String, by: Staff, witness: Staff, at: Moment) throws(StoreError) -> AuditRecord {
        try transaction { tx throws(StoreError) in
            let sheet = try tx.row("SELECT * FROM stock_count WHERE state = 'open'").map(Store.sheet)
            let problems = BlindCount.cancel(sheet, id: id, reason: reason, by: by, witness: witness)
            guard problems.isEmpty else { throw .stockRefused(StockRefused(problems)) }
            return try tx.apply(.countCancelled(countID: id, reason: reason, by: by.id, witness: witness.id, at: at))
        }
    }

    static func sheet(_ row: Row) -> CountSheet {
        let kinds = (row["kinds"] as String).split(separator: ",").compactMap { StockKind(key: String($0)) }
        return CountSheet(id: row["id"], kinds: kinds, by: StaffID(row["started_by"]), witness: StaffID(row["witness"]),
                          startedAt: row.moment("started")!)
    }

    /// The count in progress, if any.
    public func openCount() throws(StoreError) -> CountSheet? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM stock_count WHERE state = 'open'").map(Store.sheet) }
    }

    /// The last count entered.
    public func lastCount() throws(StoreError) -> CountRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM stock_count WHERE state = 'entered' ORDER BY entered_wall DESC LIMIT 1").map {
                CountRecord(id: $0["id"], enteredWall: $0["entered_wall"], matched: $0["matched"], by: StaffID($0["started_by"]),
                            witness: StaffID($0["witness"]))
            }
        }
    }

    /// Since when scheduled counts are owed: the last count entered or, before the first count,
    /// the first receipt (the cabinet held nothing to count before it was loaded, so a count
    /// time before that is not missed). `nil` while nothing was ever received: no count is owed.
    public func countsOwedSinceWall() throws(StoreError) -> Int64? {
        if let last = try lastCount() { return last.enteredWall }
        return try read { db in try Int64.fetchOne(db, sql: "SELECT min(received_wall) FROM stock_unit") }
    }

    /// Whether the count due at `dueWall` was already reported overdue.
    public func countOverdueReported(dueWall: Int64) throws(StoreError) -> Bool {
        try read { db in try Row.fetchOne(db, sql: "SELECT 1 FROM count_overdue WHERE due_wall = ?", arguments: [dueWall]) != nil }
    }

    // MARK: Discrepancies

    /// Open discrepancies (or all, newest first, with `includingResolved`).
    public func discrepancies(includingResolved: Bool = false) throws(StoreError) -> [Discrepancy] {
        try read { db in
            try Row.fetchAll(db, sql: includingResolved
                ? "SELECT * FROM discrepancy ORDER BY opened_wall DESC, id"
                : "SELECT * FROM discrepancy WHERE state = 'open' ORDER BY opened_wall, id").map { try $0.discrepancy() }
        }
    }

    /// Two staff members resolve a discrepancy; a loss or suspected theft names the missing serials,
    /// checked against the stock register in the same transaction.
    public func resolveDiscrepancy(id: String, resolution: DiscrepancyResolution, note: String, by: Staff, witness: Staff,
                                   writeOff: [UnitSerial], at: Moment) throws(StoreError) -> AuditRecord {
        try transaction { tx throws(StoreError) in
            let d = try tx.discrepancyRow(id)
            var units: [StockUnit] = []
            var inStock = Set<UnitSerial>()
            for serial in writeOff {
                guard let row = try tx.row("SELECT * FROM stock_unit WHERE serial = ?", [serial.rawValue]) else {
                    throw .stockRefused(StockRefused([Refusal(.writeOffMismatch, "unit \(serial) is not in the stock register")]))
                }
                let record: StockRecord
                do { record = try Store.stockRecord(row) } catch { throw .corrupt("\(error)") }
                units.append(record.unit)
                if record.state == .inStock { inStock.insert(serial) }
            }
            let problems = DiscrepancyRules.resolve(d, resolution: resolution, note: note, by: by, witness: witness,
                                                    writeOff: units, inStock: inStock)
            guard problems.isEmpty else { throw .stockRefused(StockRefused(problems)) }
            return try tx.apply(.discrepancyResolved(id: id, resolution: resolution, note: note, by: by.id, witness: witness.id,
                                                     writtenOff: writeOff, at: at))
        }
    }

    // MARK: Overrides

    /// Overrides still open, or awaiting review (with `awaitingReview`), oldest first; or all.
    public func overrides(all: Bool = false) throws(StoreError) -> [Override] {
        try read { db in
            try Row.fetchAll(db, sql: all
                ? "SELECT * FROM override ORDER BY opened_wall DESC"
                : "SELECT * FROM override WHERE reviewed_wall IS NULL ORDER BY opened_wall").map { try $0.override() }
        }
    }

    public func override(id: String) throws(StoreError) -> Override? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM override WHERE id = ?", arguments: [id]).map { try $0.override() } }
    }

    /// The override that may release to `patient` now (open, unused, within its window).
    public func usableOverride(for patient: PatientID, now: Moment) throws(StoreError) -> Override? {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM override WHERE patient = ? AND state = 'open' AND used_release IS NULL ORDER BY opened_wall",
                             arguments: [patient.rawValue]).map { try $0.override() }.first { $0.usable(at: now) }
        }
    }
}
