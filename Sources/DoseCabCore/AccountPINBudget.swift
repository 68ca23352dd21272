/// Wrong PINs given over the control socket, counted per Unix account as well as per badge.
///
/// A badge counts its own wrong PINs in a row (`ClinicPolicy.pinAttemptsBeforeLockout`), which
/// bounds guessing one person's PIN. It does not bound one account guessing across the roster:
/// one guess at each staff member never locks a badge, and three at each locks everyone out in
/// turn. So an account gets the same number of wrong PINs, across all staff, within any span of
/// the lockout time (`pinLockoutMinutes`, sliding: a window fixed at the first wrong PIN would
/// allow twice the tries around its end); the last one refuses that account's PIN checks until
/// the lockout time has passed. A right PIN does not give the tries
/// back: an insider would otherwise put their own PIN between guesses.
///
/// Kept in memory: restarting the daemon takes root, and an account the budget refuses still
/// has every badge's own count and lockout, which survive a restart (issue 18.8), against it.
public struct AccountPINBudget: Sendable {
    /// An account's wrong PINs within the last lockout time, and until when the account is
    /// refused (boot clock).
    public struct Entry: Sendable, Equatable {
        public var wrong: [Int64]
        public var lockedUntil: Int64?
    }

    public private(set) var entries: [UInt32: Entry] = [:]
    let attempts: Int
    let lockoutMillis: Int64

    public init(policy: ClinicPolicy) {
        attempts = policy.pinAttemptsBeforeLockout
        lockoutMillis = Int64(policy.pinLockoutMinutes) * 60_000
    }

    /// The refusal for `account` while it is locked out, else nil.
    public func refusal(_ account: UInt32, at: Moment) -> Refusal? {
        guard let until = entries[account]?.lockedUntil, at.bootMillis < until else { return nil }
        let minutes = (until - at.bootMillis + 59_999) / 60_000
        return Refusal(.pinLockout, "account uid=\(account) gave \(attempts) wrong PINs over the control socket: "
                       + "its PIN checks are refused for another \(minutes) min")
    }

    /// Counts one wrong PIN from `account`; returns the account's lockout when this was its last try.
    public mutating func charge(_ account: UInt32, at: Moment) -> Refusal? {
        let now = at.bootMillis
        var entry = entries[account] ?? Entry(wrong: [], lockedUntil: nil)
        if let until = entry.lockedUntil, now >= until { entry = Entry(wrong: [], lockedUntil: nil) }
        entry.wrong = entry.wrong.filter { now - $0 < lockoutMillis } + [now]
        guard entry.wrong.count >= attempts else { entries[account] = entry; return nil }
        entries[account] = Entry(wrong: [], lockedUntil: now + lockoutMillis)
        return refusal(account, at: at)
    }
}
