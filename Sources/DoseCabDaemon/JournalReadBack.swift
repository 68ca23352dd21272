import DoseCabCore
import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging

/// Which records the start-up read-back checks against the journal.
///
/// The store's mirror cursor counts a record once it was handed to journald's socket. journald
/// writes it to its file at once but syncs the file only every `SyncIntervalSec` (5 minutes by
/// default), so a power cut can lose records the cursor already counts (docs/system-tests.md,
/// F3). At start the daemon reads its own entries back from the journal and re-sends every
/// record of the recent window that is not there with the same hash.
public struct JournalReadBackPlan: Sendable, Equatable {
    /// Records the cursor counts as mirrored, from the last `journal.readback-window-seconds`
    /// before the newest of them, oldest first.
    public var window: [AuditRecord]
    /// Records this run committed at start, seq → hash. Seeing one of them in what the reader
    /// returns proves it reads the journal this daemon writes to: without that proof, an empty
    /// answer (another namespace, a volatile journal the reader cannot see) would look like
    /// "everything lost" and send the whole window twice.
    public var probe: [Int64: String]
    /// Where to start reading: the window's oldest record, less a margin for clock steps.
    public var sinceRealtimeUsec: UInt64
}

/// What one attempt of the read-back found.
public enum JournalReadBackOutcome: Sendable, Equatable {
    /// Nothing to check (no read-back planned, or it finished).
    case notNeeded
    /// This run's own entries are not visible yet (journald has not written them, or the
    /// journal queue is being replayed): try again shortly.
    case notYet
    /// The journal holds every record of the window.
    case complete(checked: Int)
    /// These records were missing from the journal (or carried another hash) and were sent again.
    case replayed([Int64])
}

extension CabinetDriver {
    /// The margin before the window's oldest record: journald stamps entries with the wall
    /// clock, which NTP may have stepped between the record and its entry.
    static let readBackClockMargin: Int64 = 10 * 60 * 1000

    func planJournalReadBack(cursor: Int64) -> JournalReadBackPlan? {
        let windowMillis = Int64(config.journalReadBackSeconds) * 1000
        guard windowMillis > 0, cursor > 0, journal.sink != .stderr,  // stderr: no journal to read back
              
              let head = try? store.chainHead(), head.lastSeq > cursor else { return nil }
        let from = max(1, cursor - 4999)
        guard let claimed = try? store.auditRecords(fromSeq: from, limit: Int(cursor - from + 1)),
              let newest = claimed.last(where: { $0.seq <= cursor }) else { return nil }
        let window = claimed.filter { $0.seq <= cursor && $0.event.wallMillis >= newest.event.wallMillis - windowMillis }
        guard let oldest = window.first,
              let fresh = try? store.auditRecords(fromSeq: cursor + 1, limit: Int(min(head.lastSeq - cursor, 64))) else { return nil }
        let since = max(0, oldest.event.wallMillis - Self.readBackClockMargin)
        return JournalReadBackPlan(window: window, probe: Dictionary(uniqueKeysWithValues: fresh.map { ($0.seq, $0.hash) }),
                                   sinceRealtimeUsec: UInt64(since) * 1000)
    }

    /// The read-back still to do, if any.
    public func journalReadBackPlan() -> JournalReadBackPlan? { readBack }

    /// Gives up the read-back (the journal cannot be read); nothing is re-sent.
    public func abandonJournalReadBack() { readBack = nil }

    /// Compares what the journal holds (`DOSECAB_AUDIT_SEQ` → `DOSECAB_AUDIT_HASH`) with the
    /// window and re-sends, in chain order, every record it lacks.
    public func finishJournalReadBack(found: [Int64: String]) -> JournalReadBackOutcome {
        guard let plan = readBack else { return .notNeeded }
        guard plan.probe.contains(where: { found[$0.key] == $0.value }), !mirrorBehind else { return .notYet }
        let missing = plan.window.filter { found[$0.seq] != $0.hash }
        var sent: [Int64] = []
        for record in missing {
            // A full queue: keep the rest for the next attempt (what was sent is then found).
            guard journal.enqueue(Self.journalEvent(record).journalEntry()) else {
                readBack?.window = plan.window.filter { $0.seq >= record.seq || found[$0.seq] == $0.hash }
                logReadBack(sent)
                return .notYet
            }
            sent.append(record.seq)
        }
        readBack = nil
        logReadBack(sent)
        return sent.isEmpty && missing.isEmpty ? .complete(checked: plan.window.count) : .replayed(sent)
    }

    private func logReadBack(_ sent: [Int64]) {
        guard let first = sent.first, let last = sent.last else { return }
        logger.warning("the journal had lost \(sent.count) audit record(s) (seq \(first)…\(last)) that an earlier run handed to journald, probably in a power cut before journald synced; sent again from the store")
    }

    /// Runs the read-back: waits until this run's own entries are visible, then re-sends what
    /// the journal lost. Bounded: gives up with a warning after `attempts`.
    public static func readBackJournal(driver: CabinetDriver, reader: JournalReader, logger: Logger,
                                       attempts: Int = 40, interval: Duration = .milliseconds(250)) async {
        guard await driver.journalReadBackPlan() != nil else { return }
        for _ in 0..<attempts {
            do { try await Task.sleep(for: interval) } catch { return }
            guard let plan = await driver.journalReadBackPlan() else { return }
            let found: [Int64: String]
            do { found = try reader.auditRecords(sinceRealtimeUsec: plan.sinceRealtimeUsec) } catch {
                logger.warning("cannot read the journal back (\(error)): audit records journald may have lost in a power cut are not checked")
                await driver.abandonJournalReadBack()
                return
            }
            if await driver.finishJournalReadBack(found: found) != .notYet { return }
        }
        logger.warning("journal read-back: this run's own entries did not appear in the journal the daemon can read; audit records journald may have lost were not checked")
        await driver.abandonJournalReadBack()
    }
}
