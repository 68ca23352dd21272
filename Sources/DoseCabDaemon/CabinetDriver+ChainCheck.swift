import DoseCabCore
import DoseCabStore

/// A broken or shortened audit chain is an alarm and a lockdown (ARCHITECTURE §4a, issue 18.5),
/// found at start and by the tick.
///
/// At start the whole chain is walked, each record's hash recomputed from its content (an edit
/// that left the stored hash alone is found here). The store alone cannot see its own tail
/// deleted (the next records would reuse the numbers); what can: the mirror cursor (the journal
/// was handed records past the store's head), and the journal itself, whose entries carry each
/// record's seq and hash (the read-back, JournalReadBack.swift, names a store behind the journal
/// as truncated). While running, the tick checks the chain from the head it verified last
/// (recomputing that record, then the new ones), and sweeps the whole chain again a slice per
/// tick, so a record deleted or edited behind the daemon's back, old or new, is found; the
/// sweep goes on past a break it found, so a second one further on is found too.
extension CabinetDriver {
    /// Records the sweep verifies per tick: a year of a busy clinic's records (a few hundred
    /// thousand) is swept in well under an hour of ticks, each slice a few milliseconds.
    static let chainSweepSlice = 2_000

    /// Sets the sweep's slice (tests: a chain of a few dozen records in several slices).
    func setSweepSlice(_ records: Int) { sweepSlice = max(1, records) }

    func checkChainAtStart(cursor: Int64, headAtStart: Int64) {
        if cursor > headAtStart {
            raiseChainBroken("the audit chain was truncated: the store ended at seq \(headAtStart) when dosecabd started, but the journal was handed records up to seq \(cursor) (the mirror cursor); seq \(headAtStart + 1) to seq \(cursor) were deleted from the store",
                             break: "\(headAtStart + 1) missing")
        }
        do {
            if case .broken(_, let seq, let problem) = try store.verifyAudit() {
                raiseChainBroken("the audit chain is broken: \(Self.describe(seq, problem, verifiedThrough: nil)); run `dosecabctl audit verify`",
                                 break: "\(seq) \(problem.rawValue)")
            }
        } catch {
            logger.error("the audit chain could not be walked at start: \(error)")
        }
        chainChecked = try? store.chainHead()
        chainSwept = AuditChain()
    }

    /// The tick's check: from the head verified last to the head now, then a slice of the sweep.
    func checkChain() {
        guard let checked = chainChecked else { return }
        do {
            let (result, now) = try store.verifyAudit(since: checked)
            chainChecked = now
            if case .broken(_, let seq, let problem) = result {
                return raiseChainBroken("the audit chain is broken: \(Self.describe(seq, problem, verifiedThrough: checked.lastSeq)); run `dosecabctl audit verify`",
                                        break: "\(seq) \(problem.rawValue)")
            }
            let swept = chainSwept ?? AuditChain()
            let (slice, reached) = try store.verifyAudit(since: swept, limit: sweepSlice)
            if case .broken(_, let seq, let problem) = slice {
                raiseChainBroken("the audit chain is broken: \(Self.describe(seq, problem, verifiedThrough: nil)); run `dosecabctl audit verify`",
                                 break: "\(seq) \(problem.rawValue)")
                // On past the break, so that a second one further on is found too.
                chainSwept = try store.chainPoint(after: seq) ?? AuditChain()
                return
            }
            // A slice short of its limit reached the head: the next one starts from the beginning.
            if case .intact(let records, _) = slice, records < sweepSlice { chainSwept = AuditChain() } else { chainSwept = reached }
        } catch {
            logger.error("the periodic audit chain check cannot read the store: \(error)")
        }
    }

    static func describe(_ seq: Int64, _ problem: AuditVerification.Problem, verifiedThrough: Int64?) -> String {
        switch problem {
        case .missing: "seq \(seq) was deleted from the store" + (verifiedThrough.map { " (the chain was verified through seq \($0) before)" } ?? "")
        case .edited: "seq \(seq) was edited in the store"
        case .reordered, .unlinked: "seq \(seq) no longer links to the record before it (\(problem.rawValue))"
        }
    }

    /// One alarm (the effects of any alarm: safe, recorded, lockdown) per break and run: the
    /// checks go on after one, so a second break (new records deleted after an old one was
    /// edited) is an alarm of its own, while the sweep finding the same one again is not.
    func raiseChainBroken(_ detail: String, break key: String) {
        guard chainBreaksRaised.insert(key).inserted else { return }
        logger.error("\(detail)")
        apply(.alarm(.chainBroken, detail, at: clock.now()))
    }
}
