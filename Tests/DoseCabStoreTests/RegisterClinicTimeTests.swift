import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Testing

/// The daily register's clinic day follows the clock on the wall through daylight saving
/// (issue 19.1): Europe/Amsterdam's 23-hour day (29 March 2026) and 25-hour day (25 October 2026),
/// and two doses in the hour the October change repeats.
@Suite struct RegisterClinicTimeTests {
    /// CET, CEST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
    static let amsterdam = ClinicCalendar(zoneName: "Europe/Amsterdam", baseOffsetMinutes: 60, transitions: [
        OffsetTransition(wallMillis: CivilTime.wallMillis(year: 2026, month: 3, day: 29, hour: 1), offsetMinutes: 120),
        OffsetTransition(wallMillis: CivilTime.wallMillis(year: 2026, month: 10, day: 25, hour: 1), offsetMinutes: 60),
    ])

    static func utc(_ month: Int64, _ day: Int64, _ hour: Int64, _ minute: Int64 = 0) -> Moment {
        let wall = CivilTime.wallMillis(year: 2026, month: month, day: day, hour: hour, minute: minute)
        return Moment(wallMillis: wall, bootMillis: wall - Fixture.t0.wallMillis + Fixture.t0.bootMillis, bootID: "boot-a")
    }

    static func day(_ month: Int64, _ day: Int64) -> Int64 { CivilTime.wallMillis(year: 2026, month: month, day: day) / 86_400_000 }

    /// Releases at the given instants, each completed with nothing taken.
    func releases(_ at: [Moment]) throws -> Fixture {
        let f = try Fixture(calendar: Self.amsterdam)
        try f.seed()
        for (i, m) in at.enumerated() {
            let id = ReleaseID("R-\(i + 1)")
            try f.store.commit(.releaseIntent(id, f.plan(at: m)))
            try f.store.commit(.releaseCompleted(id, patient: f.patient, unitsIssued: 0, unitsExpected: 2, outcome: "window lapsed",
                                                 at: m.advanced(byMillis: 60_000)))
        }
        return f
    }

    func releaseLines(_ r: DailyRegister) -> [String] {
        r.entries.filter { $0.event == "release" }.map { "\($0.release ?? "?") \($0.time)" }
    }

    @Test func theRegisterOfThe25HourDayListsBothDosesOfTheRepeatedHour() throws {
        let f = try releases([
            Self.utc(10, 24, 21, 30),  // 23:30 CEST on the 24th
            Self.utc(10, 24, 22, 30),  // 00:30 CEST on the 25th
            Self.utc(10, 25, 0, 35),   // 02:35 CEST, the first 02:00-03:00
            Self.utc(10, 25, 1, 10),   // 02:10 CET, the second
            Self.utc(10, 25, 22, 30),  // 23:30 CET on the 25th
            Self.utc(10, 25, 23, 10),  // 00:10 CET on the 26th
        ])
        let day = Self.day(10, 25)
        let register = try f.store.dailyRegister(day: day)
        #expect(register.date == "2026-10-25" && register.timeZone == "Europe/Amsterdam")
        // In the order they happened, each time with its offset: 02:10 came after 02:35.
        #expect(releaseLines(register) == ["R-2 00:30:00 +02:00", "R-3 02:35:00 +02:00", "R-4 02:10:00 +01:00", "R-5 23:30:00 +01:00"])
        #expect(releaseLines(try f.store.dailyRegister(day: day - 1)) == ["R-1 23:30:00"])
        #expect(releaseLines(try f.store.dailyRegister(day: day + 1)) == ["R-6 00:10:00"])
        #expect(register.render(format: .text, calendar: f.calendar).contains("02:10:00 +01:00"))
    }

    @Test func theRegisterOfThe23HourDayEndsAtLocalMidnight() throws {
        let f = try releases([
            Self.utc(3, 28, 23, 30),  // 00:30 CET on the 29th
            Self.utc(3, 29, 1, 0),    // 03:00 CEST: the clocks have just gone forward
            Self.utc(3, 29, 21, 30),  // 23:30 CEST on the 29th
            Self.utc(3, 29, 22, 30),  // 00:30 CEST on the 30th
        ])
        let day = Self.day(3, 29)
        #expect(releaseLines(try f.store.dailyRegister(day: day)) == ["R-1 00:30:00 +01:00", "R-2 03:00:00 +02:00", "R-3 23:30:00 +02:00"])
        #expect(releaseLines(try f.store.dailyRegister(day: day + 1)) == ["R-4 00:30:00"])
    }
}
