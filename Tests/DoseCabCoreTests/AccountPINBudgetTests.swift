import DoseCabCore
import Testing

/// The per-account budget of wrong PINs over the control socket (`AccountPINBudget`).
@Suite struct AccountPINBudgetTests {
    static func at(minutes: Int64) -> Moment { Moment(wallMillis: 1_000_000 + minutes * 60_000, bootMillis: minutes * 60_000, bootID: "b") }

    @Test func theLastTryInTheLockoutTimeRefusesTheAccountUntilItHasPassed() {
        var budget = AccountPINBudget(policy: ClinicPolicy())   // 3 tries, 15 min
        #expect(budget.charge(1001, at: Self.at(minutes: 0)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 1)) == nil)
        #expect(budget.charge(1002, at: Self.at(minutes: 1)) == nil, "another account has its own tries")
        let locked = budget.charge(1001, at: Self.at(minutes: 2))
        #expect(locked?.reason == .pinLockout && locked?.detail.contains("uid=1001") == true)
        #expect(budget.refusal(1001, at: Self.at(minutes: 16))?.reason == .pinLockout)
        #expect(budget.refusal(1002, at: Self.at(minutes: 16)) == nil)
        #expect(budget.refusal(1001, at: Self.at(minutes: 17)) == nil, "15 minutes after the lockout")
        // After a lockout the account starts again with all its tries.
        #expect(budget.charge(1001, at: Self.at(minutes: 18)) == nil)
    }

    @Test func wrongPINsFurtherApartThanTheLockoutTimeDoNotAddUp() {
        var budget = AccountPINBudget(policy: ClinicPolicy())
        #expect(budget.charge(1001, at: Self.at(minutes: 0)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 10)) == nil)
        // 15 minutes on, the first two have left the lockout time: this is the first of three.
        #expect(budget.charge(1001, at: Self.at(minutes: 25)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 30)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 39))?.reason == .pinLockout)
    }

    /// The lockout time slides with each wrong PIN (review L1 of issue 18). With a window fixed
    /// at the first wrong PIN, two tries just before its end and two just after were four wrong
    /// PINs in three minutes without a lockout.
    @Test func anyThreeWrongPINsWithinTheLockoutTimeLockTheAccount() {
        var budget = AccountPINBudget(policy: ClinicPolicy())   // 3 tries, 15 min
        #expect(budget.charge(1001, at: Self.at(minutes: 0)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 14)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 15)) == nil)
        #expect(budget.charge(1001, at: Self.at(minutes: 16))?.reason == .pinLockout, "14, 15 and 16 are three in 15 minutes")
    }
}
