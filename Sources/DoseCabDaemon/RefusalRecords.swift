/// How many `request-refused` records one account may cause (ControlMethods.handle): a refused
/// request is on the record (I3), but a loop of them from one account must not fill the disk,
/// fsync for each and rotate the journal's older entries away. Up to `perWindow` refusals in
/// `windowMillis` (boot clock) are recorded one by one; beyond that they are counted, and the
/// account's next record says how many were not recorded.
struct RefusalRecords {
    static let perWindow = 20
    static let windowMillis: Int64 = 10 * 60_000

    private var accounts: [UInt32: (since: Int64, recorded: Int, unrecorded: Int)] = [:]

    /// nil: count this refusal, do not record it; else record it, with the number of this
    /// account's refusals not recorded since its last record.
    mutating func admit(_ account: UInt32, atBootMillis now: Int64) -> Int? {
        var entry = accounts[account] ?? (now, 0, 0)
        if now - entry.since >= Self.windowMillis { entry = (now, 0, entry.unrecorded) }
        guard entry.recorded < Self.perWindow else {
            entry.unrecorded += 1
            accounts[account] = entry
            return nil
        }
        let unrecorded = entry.unrecorded
        entry.recorded += 1
        entry.unrecorded = 0
        accounts[account] = entry
        return unrecorded
    }
}
