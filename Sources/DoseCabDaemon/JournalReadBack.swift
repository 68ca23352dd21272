import DoseCabCore
import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging

/// What the start-up read-back checks against the journal.
///
/// Two checks. **Edits** (issue 18.9): every dosecabd entry the journal still holds for this
/// store's chain (from its first record on, however old) must carry the hash the store has for
/// its sequence number. An entry with another hash, or for a record the store no longer has, means
/// the store was changed after the record was journaled: that is an alarm and a lockdown
/// (ARCHITECTURE §4a: a broken chain is an alarm), never a reason to send the record again, which
/// would put the edited version beside the original and launder it.
///
/// **Losses**: the store's mirror cursor counts a record once it was handed to journald's socket.
/// journald writes it to its file at once but syncs the file only every `SyncIntervalSec` (5
/// minutes by default), so a power cut can lose records the cursor already counts
/// (docs/system-tests.md, F3). Every record of the recent window
/// (`journal.readback-window-seconds` before the cursor) that the journal does not hold at all is
/// sent again.
public struct JournalReadBackPlan: Sendable, Equatable {
    /// Records the cursor counts as mirrored, from the last `journal.readback-window-seconds`
    /// before the newest of them, oldest first: re-sent when the journal lost them.
    public var window: [AuditRecord]
    /// Records this run committed at start, seq → hash. Seeing one of them in what the reader
    /// returns proves it reads the journal this daemon writes to: without that proof, an empty
    /// answer (another namespace, a volatile journal the reader cannot see) would look like
    /// "everything lost" and send the whole window twice.
    public var probe: [Int64: String]
    /// Where to start reading: the store's first record, less a margin for clock steps (an entry
    /// from long before it belongs to an earlier store, e.g. before a reinstall).
    public var sinceRealtimeUsec: UInt64
    /// Sequence numbers already raised as a mismatch by an earlier attempt of this read-back.
    public var mismatched: [Int64]? = nil
    /// The store's head when this run started: a journaled record past it with a hash the store
    /// does not have means the chain's end was deleted and this run reused the numbers (18.5).
    public var headAtStart: Int64 = 0
}

/// What one attempt of the read-back found.
public enum JournalReadBackOutcome: Sendable, Equatable {
    /// Nothing to check (no read-back planned, or it finished).
    case notNeeded
    /// This run's own entries are not visible yet (journald has not written them, or the
    /// journal queue is being replayed): try again shortly.
    case notYet
    /// The journal holds every record of the window, each with the store's hash.
    case complete(checked: Int)
    /// These records were missing from the journal and were sent again.
    case replayed([Int64])
    /// The journal holds these records with another hash than the store's (or the store no
    /// longer has them): an alarm and a lockdown were raised; they were not sent again. `replayed`
    /// are the records that were missing altogether and were sent again.
    case mismatch([Int64], replayed: [Int64])
}

extension CabinetDriver {
    /// The margin before the store's first record: journald stamps entries with the wall clock,
    /// which NTP may have stepped between a record and its entry (or between boots); an entry
    /// left out by a step would hide this run's own probe, and the re-send with it.
    static let readBackClockMargin: Int64 = 10 * 60 * 1000

    func planJournalReadBack(cursor: Int64, headAtStart: Int64) -> JournalReadBackPlan? {
        // stderr: no journal to read back. headAtStart 0: nothing existed before this run.
        guard journal.sink != .stderr, headAtStart > 0,
              let head = try? store.chainHead(), head.lastSeq > headAtStart,
              let first = try? store.auditRecords(fromSeq: 1, limit: 1).first,
              let fresh = try? store.auditRecords(fromSeq: headAtStart + 1, limit: Int(min(head.lastSeq - headAtStart, 64)))
        else { return nil }
        var window: [AuditRecord] = []
        let windowMillis = Int64(config.journalReadBackSeconds) * 1000
        if windowMillis > 0, cursor > 0 {
            let from = max(1, cursor - 4999)
            if let claimed = try? store.auditRecords(fromSeq: from, limit: Int(cursor - from + 1)),
               let newest = claimed.last(where: { $0.seq <= cursor }) {
                window = claimed.filter { $0.seq <= cursor && $0.event.wallMillis >= newest.event.wallMillis - windowMillis }
            }
        }
        return JournalReadBackPlan(window: window, probe: Dictionary(uniqueKeysWithValues: fresh.map { ($0.seq, $0.hash) }),
                                   sinceRealtimeUsec: UInt64(max(0, first.event.wallMillis - Self.readBackClockMargin)) * 1000,
                                   headAtStart: headAtStart)
    }

    /// The read-back still to do, if any.
    public func journalReadBackPlan() -> JournalReadBackPlan? { readBack }

    /// Gives up the read-back (the journal cannot be read); nothing is re-sent.
    public func abandonJournalReadBack() { readBack = nil }

    /// One hash per entry (`DOSECAB_AUDIT_SEQ` → `DOSECAB_AUDIT_HASH`); see `finishJournalReadBack(seen:)`.
    public func finishJournalReadBack(found: [Int64: String]) -> JournalReadBackOutcome {
        finishJournalReadBack(seen: found.mapValues { [$0] })
    }

    /// Compares what the journal holds (every `DOSECAB_AUDIT_HASH` seen for each
    /// `DOSECAB_AUDIT_SEQ`) with the store: a hash the store does not have is an alarm and a
    /// lockdown, and its record is never sent again; a record of the window that the journal does
    /// not hold at all is re-sent, in chain order.
    public func finishJournalReadBack(seen: [Int64: Set<String>]) -> JournalReadBackOutcome {
        guard let plan = readBack else { return .notNeeded }
        guard plan.probe.contains(where: { seen[$0.key]?.contains($0.value) == true }), !mirrorBehind else { return .notYet }
        let mismatched = plan.mismatched ?? raiseJournalMismatches(seen)
        readBack?.mismatched = mismatched
        let missing = plan.window.filter { (seen[$0.seq] ?? []).isEmpty }
        var sent: [Int64] = []
        for record in missing {
            // A full queue: keep the rest for the next attempt (what was sent is then found).
            guard journal.enqueue(Self.journalEvent(record).journalEntry()) else {
                readBack?.window = plan.window.filter { $0.seq >= record.seq || !(seen[$0.seq] ?? []).isEmpty }
                logReadBack(sent)
                return .notYet
            }
            sent.append(record.seq)
        }
        readBack = nil
        logReadBack(sent)
        if !mismatched.isEmpty { return .mismatch(mismatched, replayed: sent) }
        return sent.isEmpty ? .complete(checked: plan.window.count) : .replayed(sent)
    }

    /// Every journaled hash the store does not have for its sequence number; when there is any,
    /// one alarm naming each (seq, the store's hash, the journal's) and a lockdown.
    private func raiseJournalMismatches(_ seen: [Int64: Set<String>]) -> [Int64] {
        let seqs = seen.keys.sorted()
        guard let low = seqs.first, let high = seqs.last else { return [] }
        let ours: [Int64: String]
        do { ours = try store.auditHashes(fromSeq: low, throughSeq: high) } catch {
            logger.error("journal read-back: cannot read the store's hashes (\(error)); the journal was not compared with the store")
            return []
        }
        let headAtStart = readBack?.headAtStart ?? 0
        var bad: [Int64] = []
        var truncated: [Int64] = []
        var described: [String] = []
        for seq in seqs {
            let foreign = (seen[seq] ?? []).filter { $0 != ours[seq] }.sorted()
            guard !foreign.isEmpty else { continue }
            bad.append(seq)
            // Past the head at start: not an edit but the chain's end deleted, and this run
            // reusing the numbers (issue 18.5); raised as a truncation below.
            if headAtStart > 0, seq > headAtStart {
                truncated.append(seq)
                continue
            }
            if described.count < 5 {
                described.append("seq \(seq) is \(ours[seq] ?? "missing") in the store but \(foreign.joined(separator: " and ")) in the journal")
            }
        }
        if let last = truncated.last {
            raiseChainBroken("the audit chain was truncated: the store ended at seq \(headAtStart) when dosecabd started, but the journal holds dosecabd records up to seq \(last); seq \(headAtStart + 1) to seq \(last) were deleted from the store (this run reused their sequence numbers, so the journal holds two hashes for each)",
                             break: "\(headAtStart + 1) missing")
        }
        let edited = bad.count - truncated.count
        guard edited > 0 else { return bad }
        let more = edited > described.count ? "; and \(edited - described.count) more" : ""
        let detail = "the journal holds \(edited) audit record(s) the store does not: \(described.joined(separator: "; "))\(more); the store was changed after they were journaled"
        logger.error("\(detail)")
        apply(.alarm(.journalMismatch, detail, at: clock.now()))
        return bad
    }

    private func logReadBack(_ sent: [Int64]) {
        guard let first = sent.first, let last = sent.last else { return }
        logger.warning("the journal had lost \(sent.count) audit record(s) (seq \(first)…\(last)) that an earlier run handed to journald, probably in a power cut before journald synced; sent again from the store")
    }

    /// Runs the read-back: waits until this run's own entries are visible, then compares the
    /// journal with the store and re-sends what it lost. Bounded: gives up with a warning after
    /// `attempts`.
    public static func readBackJournal(driver: CabinetDriver, reader: JournalReader, logger: Logger,
                                       attempts: Int = 40, interval: Duration = .milliseconds(250)) async {
        guard await driver.journalReadBackPlan() != nil else { return }
        for _ in 0..<attempts {
            do { try await Task.sleep(for: interval) } catch { return }
            guard let plan = await driver.journalReadBackPlan() else { return }
            let seen: [Int64: Set<String>]
            do { seen = try reader.auditHashes(sinceRealtimeUsec: plan.sinceRealtimeUsec) } catch {
                logger.warning("cannot read the journal back (\(error)): the journal is not compared with the store, and audit records journald may have lost in a power cut are not checked")
                await driver.abandonJournalReadBack()
                return
            }
            if await driver.finishJournalReadBack(seen: seen) != .notYet { return }
        }
        logger.warning("journal read-back: this run's own entries did not appear in the journal the daemon can read; the journal was not compared with the store")
        await driver.abandonJournalReadBack()
    }
}
