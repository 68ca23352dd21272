/// How many `request-refused` records one account may cause (ControlMethods.handle): a refused
/// request is on the record (I3), but a loop of them from one account must not fill the disk,
/// fsync for each and rotate the journal's older entries away. Up to `perWindow` refusals in
/// `windowMillis` (boot clock) are recorded one by one; beyond that they are counted per method,
/// and the count is recorded as one summary when the window ends (the tick) or the daemon stops:
/// nothing refused goes unrecorded, only unitemised.
struct RefusalRecords {
    static let perWindow = 20
    static let windowMillis: Int64 = 10 * 60_000

    struct Account {
        var since: Int64
        var recorded = 0
        /// Refusals counted, not recorded one by one, per method.
        var unrecorded: [String: Int] = [:]
    }

    private var accounts: [UInt32: Account] = [:]

    /// Whether this refusal of `method` by `account` is recorded one by one (true) or counted.
    mutating func admit(_ account: UInt32, method: String, atBootMillis now: Int64) -> Bool {
        var entry = accounts[account] ?? Account(since: now)
        if now - entry.since >= Self.windowMillis, entry.unrecorded.isEmpty { entry = Account(since: now) }
        guard entry.recorded < Self.perWindow, entry.unrecorded.isEmpty else {
            entry.unrecorded[method, default: 0] += 1
            accounts[account] = entry
            return false
        }
        entry.recorded += 1
        accounts[account] = entry
        return true
    }

    /// The counts to record now, per account: those whose window has ended (or every one, at
    /// `all`, when the daemon stops), each as `people.link ×12, reauthorise ×3`. Their windows
    /// start again.
    mutating func summaries(atBootMillis now: Int64, all: Bool = false) -> [(account: UInt32, count: Int, methods: String)] {
        var out: [(UInt32, Int, String)] = []
        for (account, entry) in accounts.sorted(by: { $0.key < $1.key }) where !entry.unrecorded.isEmpty {
            guard all || now - entry.since >= Self.windowMillis else { continue }
            let methods = entry.unrecorded.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            out.append((account, entry.unrecorded.values.reduce(0, +), methods))
            accounts[account] = Account(since: now)
        }
        return out
    }
}
