import DoseCabCore
import DoseCabStore

/// A broken or shortened audit chain is an alarm and a lockdown (ARCHITECTURE §4a, issue 18.5),
/// found at start and by the tick.
///
/// At start, the store alone cannot see its own tail deleted (the next records would reuse the
/// numbers); what can: the mirror cursor (the journal was handed records past the store's head),
/// and the journal itself, whose entries carry each record's seq and hash (the read-back,
/// JournalReadBack.swift, names a store behind the journal as truncated). While running, the tick
/// checks the chain incrementally from the head it verified last (one indexed lookup and the new
/// records, never a full walk), so records deleted or edited behind the daemon's back are found
/// within a tick.
extension CabinetDriver {
    func checkChainAtStart(cursor: Int64, headAtStart: Int64) {
        if cursor > headAtStart {
            raiseChainBroken("the audit chain was truncated: the store ended at seq \(headAtStart) when dosecabd started, but the journal was handed records up to seq \(cursor) (the mirror cursor); seq \(headAtStart + 1) to seq \(cursor) were deleted from the store")
        }
        chainChecked = try? store.chainHead()
    }

    /// The tick's check: from the head verified last to the head now.
    func checkChain() {
        guard !chainAlarmRaised, let checked = chainChecked else { return }
        let result: AuditVerification
        let now: AuditChain
        do { (result, now) = try store.verifyAudit(since: checked) } catch {
            logger.error("the periodic audit chain check cannot read the store: \(error)")
            return
        }
        chainChecked = now
        guard case .broken(_, let seq, let problem) = result else { return }
        let what = switch problem {
        case .missing: "seq \(seq) was deleted from the store (the chain was verified through seq \(checked.lastSeq) before)"
        case .edited: "seq \(seq) was edited in the store"
        case .reordered, .unlinked: "seq \(seq) no longer links to the record before it (\(problem.rawValue))"
        }
        raiseChainBroken("the audit chain is broken: \(what); run `dosecabctl audit verify`")
    }

    /// One alarm (the effects of any alarm: safe, recorded, lockdown) per run.
    func raiseChainBroken(_ detail: String) {
        guard !chainAlarmRaised else { return }
        chainAlarmRaised = true
        logger.error("\(detail)")
        apply(.alarm(.chainBroken, detail, at: clock.now()))
    }
}
