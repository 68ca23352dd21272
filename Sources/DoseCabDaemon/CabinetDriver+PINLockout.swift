import DoseCabCore
import DoseCabStore

/// Wrong-PIN counts and lockouts survive a restart (issue 18.8): without this a crash, or a
/// restart, gave whoever was guessing a badge's PIN a fresh set of tries. The cabinet keeps
/// the counts (`Cabinet.pinFailures`, boot-clock deadlines); the driver writes each change to
/// the store after the effects of the event that made it, and gives them back at start.
extension CabinetDriver {
    typealias PINFailures = [CardID: (count: Int, lockedUntil: Int64?)]

    /// What the store kept, on this boot's clock: a lockout set on an earlier boot ends by the
    /// wall clock, one of this boot by the boot clock (setting the clock back does not lengthen
    /// or shorten it). Rows with nothing left in them (a lockout that has ended, no count) are
    /// returned as `stale`, to be deleted.
    /// A lockout is never restored longer than `longestMillis` (the configured lockout): a
    /// board without a real-time clock may boot with its wall clock far behind, which would
    /// otherwise turn a 15-minute lockout into days.
    static func restoredPINFailures(_ stored: [StoredPINFailures], now: Moment,
                                    longestMillis: Int64 = .max) -> (PINFailures, stale: [CardID]) {
        var restored: PINFailures = [:]
        var stale: [CardID] = []
        for entry in stored {
            var until: Int64?
            if let u = entry.lockedUntil {
                let left = u.bootID == now.bootID ? u.bootMillis - now.bootMillis : max(0, u.wallMillis - now.wallMillis)
                let boot = now.bootMillis + min(left, longestMillis)
                if boot > now.bootMillis { until = boot }
            }
            if entry.failures > 0 || until != nil {
                restored[entry.card] = (entry.failures, until)
            } else {
                stale.append(entry.card)
            }
        }
        return (restored, stale)
    }

    /// Writes the counts and lockouts that changed since the last write. A failure is logged
    /// and tried again after the next event: the cabinet still holds them for this run.
    func persistPINFailures() {
        let current = cabinet.pinFailures
        guard !Self.same(current, savedPINFailures) else { return }
        let now = clock.now()
        var changed: [StoredPINFailures] = []
        for (card, entry) in current {
            if let saved = savedPINFailures[card], saved.count == entry.count, saved.lockedUntil == entry.lockedUntil { continue }
            let until = entry.lockedUntil.map { boot in
                Moment(wallMillis: now.wallMillis + (boot - now.bootMillis), bootMillis: boot, bootID: now.bootID)
            }
            changed.append(StoredPINFailures(card: card, failures: entry.count, lockedUntil: until))
        }
        let cleared = savedPINFailures.keys.filter { current[$0] == nil }
        do {
            try store.savePINFailures(changed, cleared: cleared)
            savedPINFailures = current
        } catch {
            logger.error("wrong-PIN counts not stored (they hold until the daemon stops): \(error)")
        }
    }

    static func same(_ a: PINFailures, _ b: PINFailures) -> Bool {
        a.count == b.count && a.allSatisfy { card, entry in
            b[card].map { $0.count == entry.count && $0.lockedUntil == entry.lockedUntil } ?? false
        }
    }
}
