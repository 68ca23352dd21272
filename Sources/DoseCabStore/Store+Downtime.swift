import DoseCabCore
import GRDB

/// A release booked by a late entry, for the register and `dosecabctl late-entry list`.
public struct LateEntryRow: Hashable, Sendable, Codable {
    public var release: ReleaseRow
    public var downtimeSeq: Int64
    public var units: [IssuedUnit]
}

/// Downtime (ARCHITECTURE §4a, `Downtime.swift`): the store opens a downtime in the transaction
/// of each `mechanical-key` alarm (migration v5) and closes it in the transaction of the
/// two-person close; the daemon asks it here what is owed.
extension Store {
    static func downtime(_ row: Row) -> Downtime {
        Downtime(alarmSeq: row["alarm_seq"], foundWall: row["found_wall"], sinceWall: row["since_wall"], closedWall: row["closed_wall"])
    }

    /// Downtimes whose late entry is still owed, oldest first.
    public func openDowntimes() throws(StoreError) -> [Downtime] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM downtime WHERE closed_wall IS NULL ORDER BY alarm_seq").map(Store.downtime)
        }
    }

    /// Every downtime ever recorded, newest first.
    public func downtimes() throws(StoreError) -> [Downtime] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM downtime ORDER BY alarm_seq DESC").map(Store.downtime)
        }
    }

    /// The releases late entries booked, of one downtime or of all, in the order given.
    public func lateEntries(downtime: Int64? = nil) throws(StoreError) -> [LateEntryRow] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM dose_release WHERE downtime_seq IS NOT NULL\(downtime == nil ? "" : " AND downtime_seq = ?")
                ORDER BY at_wall, id
                """, arguments: StatementArguments(downtime.map { [$0] } ?? []))
            return try rows.map { row in
                let release = try row.releaseRow()
                let units = try Row.fetchAll(db, sql: "SELECT * FROM issued_unit WHERE release_id = ? ORDER BY serial",
                                             arguments: [release.id.rawValue]).map { try $0.issuedUnit() }
                return LateEntryRow(release: release, downtimeSeq: row["downtime_seq"], units: units)
            }
        }
    }
}
