import DoseCabCore
import Foundation
import GRDB

/// Where a release stands.
public enum ReleaseState: String, Hashable, Sendable, Codable {
    /// Committed before the lock was energised; not yet ended.
    case intent
    /// Door closed and bolt confirmed, or the window lapsed.
    case completed
    /// Found in `intent` at start: the daemon died during it (its units stay open).
    case interrupted
}

/// A release as stored.
public struct ReleaseRow: Hashable, Sendable, Codable {
    public var id: ReleaseID
    public var state: ReleaseState
    public var plan: ReleasePlan
    public var endedAt: Moment?
    public var unitsIssued: Int?
    /// The completion outcome, or why it was interrupted.
    public var outcome: String?
    /// Audit records of the intent and of the end.
    public var intentSeq: Int64
    public var endSeq: Int64?
}

/// A unit in the stock register.
public struct StockRecord: Hashable, Sendable, Codable {
    public var unit: StockUnit
    public var state: StockState
    public var receivedAt: Int64
    public var receivedBy: StaffID
    public var witness: StaffID
}

/// An open hold.
public struct HoldRecord: Hashable, Sendable, Codable {
    public var patient: PatientID
    public var reason: String
    public var since: Moment
}

extension Store {
    // MARK: Stock

    /// Units in stock by kind (drug, route, strength). With `releasableOn` (a clinic day), only
    /// the units that may leave that day: a recorded batch and an expiry not before it (the
    /// dispense policy's view; an expired unit is still in the cabinet, but never released).
    public func stockLevels(releasableOn day: Int64? = nil) throws(StoreError) -> [StockLevel] {
        let releasable = day.map { " AND batch IS NOT NULL AND batch <> '' AND expiry >= '\(calendar.dateString(day: $0))'" } ?? ""
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT drug, route, strength_mg, count(*) AS n FROM stock_unit WHERE state = 'in-stock'\(releasable)
                GROUP BY drug, route, strength_mg ORDER BY drug, route, strength_mg
                """).map { row in
                StockLevel(drug: try row.decode("drug", as: Drug.self), route: try row.decode("route", as: Route.self),
                           strengthMg: row["strength_mg"], count: row["n"])
            }
        }
    }

    /// One unit of the stock register, whatever its state.
    public func stockUnit(serial: UnitSerial) throws(StoreError) -> StockRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM stock_unit WHERE serial = ?", arguments: [serial.rawValue])
                .map(Store.stockRecord)
        }
    }

    /// The stock register: units in stock, or every unit ever received with `includingUsed`.
    public func stockList(includingUsed: Bool = false) throws(StoreError) -> [StockRecord] {
        try read { db in
            try Row.fetchAll(db, sql: includingUsed
                ? "SELECT * FROM stock_unit ORDER BY serial"
                : "SELECT * FROM stock_unit WHERE state = 'in-stock' ORDER BY drug, route, strength_mg, serial")
                .map(Store.stockRecord)
        }
    }

    static func stockRecord(_ row: Row) throws -> StockRecord {
        StockRecord(unit: StockUnit(serial: UnitSerial(row["serial"]), drug: try row.decode("drug", as: Drug.self),
                                    route: try row.decode("route", as: Route.self), strengthMg: row["strength_mg"],
                                    batch: row["batch"], expiry: row["expiry"]),
                    state: try row.decode("state", as: StockState.self), receivedAt: row["received_wall"],
                    receivedBy: StaffID(row["received_by"]), witness: StaffID(row["witness"]))
    }

    // MARK: Policy inputs

    /// The patient's record as the dispense policy needs it: releases of the last
    /// `missedDaysRetitrate + 2` clinic days, the last release ever, the latest re-authorisation
    /// and observation clearance, and the open hold (reasons joined when there are several).
    ///
    /// A release that was completed with no unit taken (the window lapsed) gave nothing and does
    /// not count; an interrupted one does, since what was taken is not known.
    public func patientHistory(_ patient: PatientID, now: Moment, policy: ClinicPolicy) throws(StoreError) -> PatientHistory {
        let firstDay = policy.calendar.day(of: now) - Int64(policy.missedDaysRetitrate + 2)
        let since = policy.calendar.startOfDay(firstDay)
        return try read { db in
            let counted = "patient = ? AND NOT (state = 'completed' AND units_issued = 0)"
            let recent = try Row.fetchAll(db, sql: """
                SELECT id, drug, route, dose_mg, at_wall, at_boot, at_boot_id FROM dose_release
                WHERE \(counted) AND at_wall >= ? ORDER BY at_wall
                """, arguments: [patient.rawValue, since]).map { row in
                PastRelease(id: ReleaseID(row["id"]), drug: try row.decode("drug", as: Drug.self),
                            doseMg: row["dose_mg"], at: row.moment("at")!, route: try row.decode("route", as: Route.self))
            }
            let last = try Row.fetchOne(db, sql: """
                SELECT at_wall, at_boot, at_boot_id FROM dose_release WHERE \(counted) ORDER BY at_wall DESC LIMIT 1
                """, arguments: [patient.rawValue])?.moment("at")
            func latest(_ kind: String) throws -> Moment? {
                try Row.fetchOne(db, sql: """
                    SELECT wall, boot, boot_id FROM clinical_decision WHERE patient = ? AND kind = ?
                    ORDER BY wall DESC LIMIT 1
                    """, arguments: [patient.rawValue, kind]).map {
                    Moment(wallMillis: $0["wall"], bootMillis: $0["boot"], bootID: $0["boot_id"])
                }
            }
            let holds = try String.fetchAll(db, sql: """
                SELECT reason FROM hold WHERE patient = ? AND cleared_wall IS NULL ORDER BY since_wall
                """, arguments: [patient.rawValue])
            return PatientHistory(recentReleases: recent, lastReleaseAt: last,
                                  reauthorisedAt: try latest("reauthorised"),
                                  observationClearedAt: try latest("observation-cleared"),
                                  hold: holds.isEmpty ? nil : holds.joined(separator: "; "))
        }
    }

    /// Wall time of the newest audit record: the clock must not be behind it.
    public func newestLedgerWallMillis() throws(StoreError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(wall) FROM audit") }
    }

    /// Every open hold, oldest first.
    public func holds() throws(StoreError) -> [HoldRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT patient, reason, since_wall, since_boot, since_boot_id FROM hold
                WHERE cleared_wall IS NULL ORDER BY since_wall
                """).map { HoldRecord(patient: PatientID($0["patient"]), reason: $0["reason"], since: $0.moment("since")!) }
        }
    }

    /// Whether the cabinet is in lockdown, and why (the last lockdown write decides).
    public func isLockedDown() throws(StoreError) -> (on: Bool, reason: String) {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT active, reason FROM lockdown_state WHERE id = 1") else {
                return (false, "")
            }
            return (row["active"], row["reason"])
        }
    }

    // MARK: Units and releases

    /// Units not yet closed out, soonest deadline first (they resume their deadlines after a restart).
    public func openUnits() throws(StoreError) -> [IssuedUnit] {
        try read { db in try Store.openUnits(db) }
    }

    static func openUnits(_ db: Database) throws -> [IssuedUnit] {
        try Row.fetchAll(db, sql: Store.openUnitsSQL).map { try $0.issuedUnit() }
            .sorted { ($0.deadline.bootMillis, $0.serial) < ($1.deadline.bootMillis, $1.serial) }
    }

    static let openUnitsSQL = "SELECT * FROM issued_unit WHERE state = 'open'"

    /// The unit ledger for reconciliation: every open unit plus every unit issued on the clinic
    /// day of `now` (whatever its state).
    public func unitLedger(now: Moment) throws(StoreError) -> UnitLedger {
        try unitLedger(day: calendar.day(of: now))
    }

    /// The unit ledger of open units plus the units issued on `day`.
    public func unitLedger(day: Int64) throws(StoreError) -> UnitLedger {
        let units = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM issued_unit WHERE state = 'open'
                UNION SELECT * FROM issued_unit WHERE day = ?
                """, arguments: [day]).map { try $0.issuedUnit() }
        }
        return UnitLedger(units: units, calendar: calendar)
    }

    /// A unit ever issued, whatever its state.
    public func issuedUnit(serial: UnitSerial) throws(StoreError) -> IssuedUnit? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM issued_unit WHERE serial = ?", arguments: [serial.rawValue])
                .map { try $0.issuedUnit() }
        }
    }

    /// The units a release issued.
    public func units(of release: ReleaseID) throws(StoreError) -> [IssuedUnit] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM issued_unit WHERE release_id = ? ORDER BY issued_wall, serial",
                             arguments: [release.rawValue]).map { try $0.issuedUnit() }
        }
    }

    /// Releases started at or after `since` (wall millis), oldest first.
    public func releases(since: Int64) throws(StoreError) -> [ReleaseRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dose_release WHERE at_wall >= ? ORDER BY at_wall, id",
                             arguments: [since]).map { try $0.releaseRow() }
        }
    }

    /// One release.
    public func release(id: ReleaseID) throws(StoreError) -> ReleaseRow? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM dose_release WHERE id = ?", arguments: [id.rawValue])
                .map { try $0.releaseRow() }
        }
    }

    /// Releases in `intent`: at start, the ones the last run did not finish.
    public func releasesInFlight() throws(StoreError) -> [ReleaseRow] {
        try read { db in try Row.fetchAll(db, sql: Store.inFlightSQL).map { try $0.releaseRow() } }
    }

    static let inFlightSQL = "SELECT * FROM dose_release WHERE state = 'intent' ORDER BY at_wall, id"
}
