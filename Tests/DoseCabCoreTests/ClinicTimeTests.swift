@testable import DoseCabCore
import Testing

/// Clinic time follows the clock on the wall through daylight saving (ARCHITECTURE §4a "Clinic
/// time"; issue 19.1), checked on both of Europe/Amsterdam's 2026 transition days: Sunday 29 March
/// (clocks 02:00 -> 03:00, a 23-hour day) and Sunday 25 October (03:00 -> 02:00, a 25-hour day).
@Suite struct ClinicTimeTests {
    /// Europe/Amsterdam as the daemon hands it in: CET (+01:00), CEST (+02:00) from 01:00 UTC on
    /// the last Sunday of March to 01:00 UTC on the last Sunday of October.
    static let amsterdam: ClinicCalendar = {
        var t: [OffsetTransition] = []
        for (year, march, october) in [(2025, 30, 26), (2026, 29, 25), (2027, 28, 31)] as [(Int64, Int64, Int64)] {
            t.append(OffsetTransition(wallMillis: CivilTime.wallMillis(year: year, month: 3, day: march, hour: 1), offsetMinutes: 120))
            t.append(OffsetTransition(wallMillis: CivilTime.wallMillis(year: year, month: 10, day: october, hour: 1), offsetMinutes: 60))
        }
        return ClinicCalendar(zoneName: "Europe/Amsterdam", baseOffsetMinutes: 60, transitions: t)
    }()

    /// An instant given in UTC.
    static func utc(_ month: Int64, _ day: Int64, _ hour: Int64, _ minute: Int64 = 0, boot: Int64 = 0) -> Moment {
        let wall = CivilTime.wallMillis(year: 2026, month: month, day: day, hour: hour, minute: minute)
        return Moment(wallMillis: wall, bootMillis: wall - CivilTime.wallMillis(year: 2026, month: 1, day: 1) + boot)
    }

    static let cal = amsterdam
    static let march29 = CivilTime.wallMillis(year: 2026, month: 3, day: 29) / 86_400_000
    static let october25 = CivilTime.wallMillis(year: 2026, month: 10, day: 25) / 86_400_000

    static func policy(windows: [(Int, Int)] = [(7 * 60, 10 * 60), (12 * 60, 15 * 60), (17 * 60, 21 * 60)]) -> ClinicPolicy {
        var p = ClinicPolicy()
        p.calendar = amsterdam
        p.windows = windows.enumerated().map { DosingWindow(name: "w\($0.offset + 1)", startMinute: $0.element.0, endMinute: $0.element.1) }
        p.routes[.injectable]?.observationMinutes = 0
        return p
    }

    static func past(_ at: Moment, dose: Int = 200, id: String) -> PastRelease {
        PastRelease(id: ReleaseID(id), drug: .diacetylmorphine, doseMg: dose, at: at)
    }

    static func decide(at now: Moment, history: [PastRelease] = [], policy: ClinicPolicy = policy(),
                       dose: Int = 200, last: Moment? = nil) -> [RefusalReason] {
        let rx = F.prescription(dose: dose, sessions: 5, from: "2026-01-01", until: "2026-12-31")
        var h = PatientHistory(recentReleases: history)
        if let last { h.lastReleaseAt = last }
        let context = DispenseContext(now: now, policy: policy, prescriptions: [rx], history: h, stock: F.stock)
        return DispensePolicy.decide(F.request(), context).refusals.map(\.reason)
    }

    // MARK: - The calendar itself

    @Test func theTransitionDaysAre23And25HoursLong() {
        let cal = Self.cal
        #expect(cal.wallRange(day: Self.march29).count == 23 * 3_600_000)
        #expect(cal.wallRange(day: Self.october25).count == 25 * 3_600_000)
        #expect(cal.wallRange(day: Self.march29 - 1).count == 24 * 3_600_000)
        // Local midnight: 23:00 UTC in winter, 22:00 UTC in summer.
        #expect(cal.startOfDay(Self.march29) == Self.utc(3, 28, 23).wallMillis)
        #expect(cal.startOfDay(Self.march29 + 1) == Self.utc(3, 29, 22).wallMillis)
        #expect(cal.startOfDay(Self.october25) == Self.utc(10, 24, 22).wallMillis)
        #expect(cal.startOfDay(Self.october25 + 1) == Self.utc(10, 25, 23).wallMillis)
        #expect(cal.offsetChanges(day: Self.march29) && cal.offsetChanges(day: Self.october25) && !cal.offsetChanges(day: Self.october25 + 1))
    }

    @Test func theWallClockJumpsAndRepeats() {
        let cal = Self.cal
        // March: 01:59 CET is followed by 03:00 CEST.
        #expect(cal.civilTime(wallMillis: Self.utc(3, 29, 0, 59).wallMillis).localMinute == "2026-03-29 01:59")
        #expect(cal.civilTime(wallMillis: Self.utc(3, 29, 1, 0).wallMillis).localMinute == "2026-03-29 03:00")
        // October: 02:30 is shown twice, an hour apart.
        #expect(cal.civilTime(wallMillis: Self.utc(10, 25, 0, 30).wallMillis).localMinute == "2026-10-25 02:30")
        #expect(cal.civilTime(wallMillis: Self.utc(10, 25, 1, 30).wallMillis).localMinute == "2026-10-25 02:30")
        #expect(cal.civilTime(wallMillis: Self.utc(10, 25, 0, 30).wallMillis).offset == "+02:00")
        #expect(cal.civilTime(wallMillis: Self.utc(10, 25, 1, 30).wallMillis).offset == "+01:00")
        // A paper-register time: the skipped one does not exist; the repeated one is its first showing.
        #expect(cal.wallMillis(local: "2026-03-29T02:30") == nil)
        #expect(cal.wallMillis(local: "2026-03-29T03:30") == Self.utc(3, 29, 1, 30).wallMillis)
        #expect(cal.wallMillis(local: "2026-10-25T02:30") == Self.utc(10, 25, 0, 30).wallMillis)
        #expect(cal.wallMillis(local: "2026-10-25T03:30") == Self.utc(10, 25, 2, 30).wallMillis)
        #expect(cal.wallMillis(local: "2026-07-01T09:00") == Self.utc(7, 1, 7).wallMillis)
    }

    // MARK: - Dosing windows

    @Test func windowsFollowTheWallClockOnBothTransitionDays() {
        let p = Self.policy()
        // 07:30 on the wall is 05:30 UTC after the March change, 06:30 UTC after the October one.
        #expect(p.windowIndex(at: Self.utc(3, 29, 5, 30)) == 0)
        #expect(p.windowIndex(at: Self.utc(3, 29, 8, 30)) == nil)  // 10:30 CEST
        #expect(p.windowIndex(at: Self.utc(10, 25, 6, 30)) == 0)
        #expect(p.windowIndex(at: Self.utc(10, 24, 7, 30)) == 0)   // 09:30 CEST, the day before
        #expect(p.windowIndex(at: Self.utc(10, 24, 8, 30)) == nil) // 10:30 CEST
        #expect(Self.decide(at: Self.utc(3, 29, 5, 30)).isEmpty)
        #expect(Self.decide(at: Self.utc(3, 29, 4, 30)) == [.outsideWindow])  // 06:30 CEST
        // A 02:00-03:00 window never opens on the 23-hour day and is open two real hours on the 25-hour day.
        let night = Self.policy(windows: [(2 * 60, 3 * 60)])
        #expect(night.windowIndex(at: Self.utc(3, 29, 0, 59)) == nil && night.windowIndex(at: Self.utc(3, 29, 1, 0)) == nil)
        #expect(night.windowIndex(at: Self.utc(10, 25, 0, 0)) == 0 && night.windowIndex(at: Self.utc(10, 25, 1, 59)) == 0)
        #expect(night.windowIndex(at: Self.utc(10, 25, 2, 0)) == nil)
    }

    // MARK: - Daily ceilings

    @Test func theCeilingCountsTheClinicDayNotTheUTCDay() {
        // 900 mg at 00:30 CEST on 30 March (22:30 UTC on the 29th) is on the 30th: 200 mg more at
        // 07:30 that day exceeds the 1000 mg ceiling. 900 mg at 23:30 CEST on the 29th is the day before.
        let all = Self.policy(windows: [(0, 60), (60, 1440)])
        let afterMidnight = Self.past(Self.utc(3, 29, 22, 30), dose: 900, id: "R-a")
        let beforeMidnight = Self.past(Self.utc(3, 29, 21, 30), dose: 900, id: "R-b")
        let now = Self.utc(3, 30, 5, 30)
        #expect(Self.decide(at: now, history: [afterMidnight], policy: all) == [.dailyCeiling])
        #expect(Self.decide(at: now, history: [beforeMidnight], policy: all).isEmpty)
        // October: 00:30 CEST on the 25th (22:30 UTC on the 24th) belongs to the 25-hour day,
        // and so does 23:30 CET (22:30 UTC on the 25th).
        let early = Self.past(Self.utc(10, 24, 22, 30), dose: 900, id: "R-c")
        #expect(Self.decide(at: Self.utc(10, 25, 22, 30), history: [early], policy: all) == [.dailyCeiling])
        #expect(Self.decide(at: Self.utc(10, 25, 23, 30), history: [early], policy: all).isEmpty)
        #expect(Self.cal.day(of: Self.utc(10, 24, 22, 30)) == Self.october25 && Self.cal.day(of: Self.utc(10, 25, 22, 59)) == Self.october25)
        #expect(Self.cal.day(of: Self.utc(3, 28, 23, 0)) == Self.march29 && Self.cal.day(of: Self.utc(3, 29, 21, 59)) == Self.march29)
    }

    // MARK: - Missed doses

    @Test func missedDaysCountClinicDaysAcrossBothChanges() {
        let p = Self.policy()
        // Last dose 00:30 CEST on 30 March (22:30 UTC on the 29th); now 08:00 CEST on 2 April:
        // 31 March and 1 April were missed, two days, below the re-authorisation threshold of 3.
        var h = PatientHistory(recentReleases: [])
        h.lastReleaseAt = Self.utc(3, 29, 22, 30)
        #expect(ClinicalRules.missedDays(h, now: Self.utc(4, 2, 6), policy: p) == 2)
        #expect(!Self.decide(at: Self.utc(4, 2, 6), last: Self.utc(3, 29, 22, 30)).contains(.missedDoseReauthorisation))
        // Last dose 00:30 CEST on 25 October (the 25-hour day); now 08:00 CET on the 28th: 26th and 27th missed.
        h.lastReleaseAt = Self.utc(10, 24, 22, 30)
        #expect(ClinicalRules.missedDays(h, now: Self.utc(10, 28, 7), policy: p) == 2)
        // Last dose 23:30 CET on 25 October (22:30 UTC); now 00:30 CET on the 29th: 26th-28th missed.
        h.lastReleaseAt = Self.utc(10, 25, 22, 30)
        #expect(ClinicalRules.missedDays(h, now: Self.utc(10, 28, 23, 30), policy: p) == 3)
    }

    // MARK: - Count times

    @Test func countsAreDueAtTheWallClockTimeOnBothTransitionDays() {
        var p = Self.policy()
        p.countTimes = [7 * 60, 15 * 60, 23 * 60]
        // 07:00 CEST on 29 March is 05:00 UTC; 07:00 CET on 25 October is 06:00 UTC.
        #expect(CountSchedule.lastDue(now: Self.utc(3, 29, 5, 30), policy: p) == Self.utc(3, 29, 5).wallMillis)
        #expect(CountSchedule.lastDue(now: Self.utc(3, 29, 4, 59), policy: p) == Self.utc(3, 28, 22).wallMillis)  // 23:00 CET on the 28th
        #expect(CountSchedule.lastDue(now: Self.utc(10, 25, 6, 30), policy: p) == Self.utc(10, 25, 6).wallMillis)
        #expect(CountSchedule.lastDue(now: Self.utc(10, 25, 5, 59), policy: p) == Self.utc(10, 24, 21).wallMillis)  // 23:00 CEST on the 24th
        #expect(CountSchedule.nextCheck(after: Self.utc(10, 25, 6, 30), policy: p) == Self.utc(10, 25, 7).wallMillis)  // 07:00 CET + 60 min grace
        // A count time the clocks skip (02:30 on 29 March) falls due as far after the jump: 03:30 CEST.
        p.countTimes = [2 * 60 + 30]
        #expect(CountSchedule.lastDue(now: Self.utc(3, 29, 2), policy: p) == Self.utc(3, 29, 1, 30).wallMillis)
        // One shown twice (02:30 on 25 October) is due at its first showing.
        #expect(CountSchedule.lastDue(now: Self.utc(10, 25, 1, 45), policy: p) == Self.utc(10, 25, 0, 30).wallMillis)
    }

    // MARK: - The repeated hour

    @Test func twoDosesInTheRepeatedHourAreJudgedByRealElapsedTime() {
        // Windows split the repeated hour so both doses have one; the first at 02:35 CEST (00:35
        // UTC), the second at 02:10 CET (01:10 UTC): 25 minutes earlier on the wall, 35 later in fact.
        var p = Self.policy(windows: [(2 * 60, 2 * 60 + 30), (2 * 60 + 30, 3 * 60)])
        let first = Self.past(Self.utc(10, 25, 0, 35), dose: 500, id: "R-1")
        let second = Self.utc(10, 25, 1, 10)
        #expect(p.windowIndex(at: first.at) == 1 && p.windowIndex(at: second) == 0)
        #expect(Self.decide(at: second, history: [first], policy: p, dose: 500).isEmpty)
        // The interval rule counts the 35 real minutes, not the wall clock's -25.
        p.minIntervalMinutes = 40
        #expect(Self.decide(at: second, history: [first], policy: p, dose: 500) == [.tooSoon])
        #expect(Self.decide(at: Self.utc(10, 25, 1, 15), history: [first], policy: p, dose: 500).isEmpty)
        // Both are on the 25th: the ceiling adds them.
        p.minIntervalMinutes = 30
        #expect(Self.decide(at: second, history: [first], policy: p, dose: 600) == [.dailyCeiling])
        #expect(Self.cal.day(of: first.at) == Self.october25 && Self.cal.day(of: second) == Self.october25)
    }
}
