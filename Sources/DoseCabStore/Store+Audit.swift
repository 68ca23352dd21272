import DoseCabCore
import Foundation
import GRDB

extension Store {
    /// Records from `fromSeq` on, in sequence order.
    public func auditRecords(fromSeq: Int64 = 1, limit: Int = 1000) throws(StoreError) -> [AuditRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?",
                             arguments: [fromSeq, limit]).map(Store.decodeRecord)
        }
    }

    /// Sequence number → hash of the records from `fromSeq` through `throughSeq`, without
    /// decoding them (the start-up read-back compares every record the journal holds).
    public func auditHashes(fromSeq: Int64, throughSeq: Int64) throws(StoreError) -> [Int64: String] {
        try read { db in
            var hashes: [Int64: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT seq, hash FROM audit WHERE seq BETWEEN ? AND ?",
                                           arguments: [fromSeq, throughSeq])
            while let row = try rows.next() {
                let seq: Int64 = row["seq"]
                hashes[seq] = row["hash"] as String
            }
            return hashes
        }
    }

    static func decodeRecord(_ row: Row) throws -> AuditRecord {
        guard let record = AuditCodec.record(row) else {
            throw StoreError.corrupt("audit row at position \(row["pos"] as Int64? ?? -1) cannot be read")
        }
        return record
    }

    /// The head the next record will follow.
    public func chainHead() throws(StoreError) -> AuditChain {
        if let head = writer.withLock({ $0 }) { return head }
        return try read { db in try Store.loadHead(db) }
    }

    /// Walks the whole chain in stored order (rowid, not seq) and reports the first record that
    /// was edited, deleted or reordered. Also reports records missing at the end when the chain is
    /// shorter than what this process appended or what the journal mirror confirmed, and, with
    /// `expecting` (a head seen elsewhere, e.g. in the journal or an off-box copy), a record that
    /// no longer carries that hash.
    ///
    /// Its limit: whoever can write the database can recompute every hash; only a head kept off
    /// the box (`expecting`) catches that.
    public func verifyAudit(expecting known: AuditChain? = nil) throws(StoreError) -> AuditVerification {
        let inMemory = writer.withLock { $0 }
        return try read { db in
            var chain = AuditChain()
            var position = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY pos")
            while let row = try cursor.next() {
                guard let record = AuditCodec.record(row) else {
                    let seq: Int64 = Int64.fromDatabaseValue(row["seq"]) ?? chain.lastSeq + 1
                    return .broken(position: position, seq: seq, problem: .edited)
                }
                if case .broken(_, let seq, var problem) = AuditChain.verify([record], from: chain) {
                    if problem == .missing {
                        if try Int64.fetchOne(db, sql: "SELECT pos FROM audit WHERE seq = ?", arguments: [chain.lastSeq + 1]) != nil {
                            problem = .reordered  // the expected record exists, later in the file
                        } else {
                            // The first deleted record, by its own number (not its successor's).
                            return .broken(position: position, seq: chain.lastSeq + 1, problem: .missing)
                        }
                    }
                    return .broken(position: position, seq: seq, problem: problem)
                }
                if let known, record.seq == known.lastSeq, record.hash != known.lastHash {
                    return .broken(position: position, seq: record.seq, problem: .edited)
                }
                chain = AuditChain(lastSeq: record.seq, lastHash: record.hash)
                position += 1
            }
            let mirrored = try Int64.fetchOne(db, sql: "SELECT upto_seq FROM audit_mirror WHERE id = 1") ?? 0
            let expectedAtLeast = max(mirrored, inMemory?.lastSeq ?? 0, known?.lastSeq ?? 0)
            if expectedAtLeast > chain.lastSeq {
                return .broken(position: position, seq: chain.lastSeq + 1, problem: .missing)
            }
            return .intact(records: position, head: chain.lastHash)
        }
    }

    /// Notes that the journal has every record up to `seq` (the mirror cursor).
    public func markMirrored(upTo seq: Int64) throws(StoreError) {
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE audit_mirror SET upto_seq = max(upto_seq, ?) WHERE id = 1", arguments: [seq])
            }
        } catch {
            throw .cannotCommit(StoreError.sqliteDetail(error))
        }
    }

    /// The mirror cursor: every record up to it was handed to journald (not necessarily synced
    /// by journald: a power cut can still lose it, which the daemon's read-back at start finds).
    public func mirrorCursor() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT upto_seq FROM audit_mirror WHERE id = 1") ?? 0 }
    }

    /// Records the journal has not confirmed yet, oldest first (to replay when it is back).
    public func unmirrored(limit: Int = 1000) throws(StoreError) -> [AuditRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit WHERE seq > (SELECT upto_seq FROM audit_mirror WHERE id = 1) ORDER BY seq LIMIT ?
                """, arguments: [limit]).map(Store.decodeRecord)
        }
    }
}

extension Store {
    /// Where a walk can go on after a break at `seq`: the first later record whose content gives
    /// its stored hash, as the point to verify the rest of the chain from. Nil when none is.
    public func chainPoint(after seq: Int64) throws(StoreError) -> AuditChain? {
        try read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit WHERE seq > ? ORDER BY seq", arguments: [seq])
            while let row = try cursor.next() {
                if let record = AuditCodec.record(row), record.isSelfConsistent {
                    return AuditChain(lastSeq: record.seq, lastHash: record.hash)
                }
            }
            return nil
        }
    }

    /// The periodic check (issue 18.5): cheap, from a head verified before. The record at
    /// `checked` must still give its hash from its content, the records after it must link on
    /// from it, and the chain must reach the head this process appended. Returns what it found
    /// and the head verified now (the next check's start). A deleted record is named by its own
    /// sequence number. With `limit`, at most that many records after `checked`: a slice of the
    /// sweep that walks the whole chain again, a slice per tick.
    public func verifyAudit(since checked: AuditChain, limit: Int? = nil) throws(StoreError) -> (AuditVerification, AuditChain) {
        let inMemory = writer.withLock { $0 }
        return try read { db in
            if checked.lastSeq > 0 {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM audit WHERE seq = ?", arguments: [checked.lastSeq]) else {
                    let present = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit WHERE seq < ?", arguments: [checked.lastSeq]) ?? 0
                    return (.broken(position: -1, seq: present + 1, problem: .missing), checked)
                }
                // The record's content must still give the hash verified then: comparing the
                // stored hash column alone misses an edit that left that column as it was.
                guard let record = AuditCodec.record(row), record.isSelfConsistent, record.hash == checked.lastHash else {
                    return (.broken(position: -1, seq: checked.lastSeq, problem: .edited), checked)
                }
            }
            var chain = checked
            var count = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                                             arguments: [checked.lastSeq, limit ?? -1])
            while let row = try cursor.next() {
                guard let record = AuditCodec.record(row) else {
                    return (.broken(position: -1, seq: chain.lastSeq + 1, problem: .edited), chain)
                }
                if case .broken(_, let seq, let problem) = AuditChain.verify([record], from: chain) {
                    return (.broken(position: -1, seq: problem == .missing ? chain.lastSeq + 1 : seq, problem: problem), chain)
                }
                chain = AuditChain(lastSeq: record.seq, lastHash: record.hash)
                count += 1
            }
            // A slice that stopped at its limit has not reached the head: the tail is not its to judge.
            if let inMemory, inMemory.lastSeq > chain.lastSeq, limit.map({ count < $0 }) ?? true {
                return (.broken(position: -1, seq: chain.lastSeq + 1, problem: .missing), chain)
            }
            return (.intact(records: count, head: chain.lastHash), chain)
        }
    }
}
