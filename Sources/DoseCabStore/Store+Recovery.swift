import DoseCabCore
import Foundation
import GRDB

/// What `recover` found and did.
public struct RecoveryReport: Hashable, Sendable {
    /// Releases that were committed but never completed, now interrupted, each with the units
    /// issued on it by scan (`unitsIssued`).
    public var interrupted: [ReleaseRow]
    /// Units still open (including those of interrupted releases): their deadlines resume.
    public var openUnits: [IssuedUnit]
    /// Scans the last run saw and never decided, now issued on the release in flight (18.12).
    public var bookedScans: [IssuedUnit]
    /// The records recovery appended (its decision on each undecided scan, one per interrupted
    /// release, then the summary).
    public var records: [AuditRecord]
    /// The chain head after recovery.
    public var chainHead: AuditChain
    /// The last record found at start still matches its own hash.
    public var headIntact: Bool
    public var summary: String
}

extension Store {
    /// Accounts for what the last run left in flight, in one transaction: every release still in
    /// `intent` becomes interrupted (its issued units stay open until returned or resolved), the
    /// open units are returned so the daemon resumes their deadlines, and the chain continues
    /// from its last record with a `recovery` record. Reads only in-flight releases, open units
    /// and the chain head, through indexes: the cost grows with what is open, not with history.
    public func recover(now: Moment) throws(StoreError) -> RecoveryReport {
        try transaction { tx throws(StoreError) in
            let last = try tx.row("SELECT * FROM audit ORDER BY seq DESC LIMIT 1")
            let headIntact = last.map { AuditCodec.record($0)?.isSelfConsistent ?? false } ?? true
            let inFlight: [ReleaseRow]
            do { inFlight = try tx.rows(Store.inFlightSQL).map { try $0.releaseRow() } } catch {
                throw error as? StoreError ?? .corrupt("\(error)")
            }
            // Scans first: a unit seen on its way out counts as issued on the release.
            let (bookedScans, scanRecords) = try tx.decidePendingScans(release: inFlight.last, at: now)
            var records: [AuditRecord] = []
            var issuedCounts: [Int] = []
            for release in inFlight {
                let issued = try tx.count("SELECT count(*) FROM issued_unit WHERE release_id = ?", [release.id.rawValue])
                issuedCounts.append(issued)
                records.append(try tx.apply(.releaseInterrupted(
                    release.id, patient: release.plan.patient,
                    reason: "the daemon stopped during the release; \(issued) of \(release.plan.unitCount) unit(s) issued stay open",
                    at: now)))
            }
            let open: [IssuedUnit]
            do { open = try Store.openUnits(tx.db) } catch { throw error as? StoreError ?? .corrupt("\(error)") }
            var summary = "\(inFlight.count) release(s) interrupted"
            if !scanRecords.isEmpty { summary = "\(scanRecords.count) undecided scan(s) accounted for (\(bookedScans.count) issued), " + summary }
            if !inFlight.isEmpty { summary += " (\(inFlight.map(\.id.rawValue).joined(separator: ", ")))" }
            summary += ", \(open.count) unit(s) open, chain continues after seq \(tx.chain.lastSeq - Int64(records.count + scanRecords.count))"
            if !headIntact { summary += "; WARNING: the last audit record does not match its hash" }
            records.append(try tx.apply(.recovery(summary: summary, at: now)))
            var interrupted = inFlight
            for i in interrupted.indices {
                interrupted[i].state = .interrupted
                interrupted[i].endedAt = now
                interrupted[i].endSeq = records[i].seq
                interrupted[i].unitsIssued = issuedCounts[i]
            }
            return RecoveryReport(interrupted: interrupted, openUnits: open, bookedScans: bookedScans, records: scanRecords + records,
                                  chainHead: tx.chain, headIntact: headIntact, summary: summary)
        }
    }
}
