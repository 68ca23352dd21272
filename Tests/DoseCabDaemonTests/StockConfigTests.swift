import DoseCabCore
import Foundation
@testable import DoseCabDaemon
import Testing

/// The `[stock]` section (docs/configuration.md): defaults, every key, and bad values refused whole.
@Suite struct StockConfigTests {
    @Test func defaultsAndEveryKey() throws {
        var c = DaemonConfig()
        #expect(c.policy.countTimes == [420, 900, 1380] && c.policy.countGraceMinutes == 60 && c.policy.freezeScope == .drug
                && c.policy.businessDays == [.mon, .tue, .wed, .thu, .fri] && c.policy.overrideMaxMinutes == 60)
        try c.apply(toml: """
            [stock]
            count-times = ["22:00", "06:30"]
            count-grace-minutes = 30
            freeze-scope = "cabinet"
            business-days = ["mon", "tue", "wed", "thu", "fri", "sat"]
            override-max-minutes = 120
            """, file: "t.toml")
        #expect(c.policy.countTimes == [390, 1320] && c.policy.countGraceMinutes == 30 && c.policy.freezeScope == .cabinet
                && c.policy.businessDays.contains(.sat) && c.policy.overrideMaxMinutes == 120)
    }

    @Test func badValuesAreErrorsAndChangeNothing() {
        for (toml, key) in [("count-times = [\"24:00\"]", "stock.count-times"), ("freeze-scope = \"room\"", "stock.freeze-scope"),
                            ("business-days = [\"someday\"]", "stock.business-days"), ("business-days = []", "stock.business-days"),
                            ("override-max-minutes = 0", "stock.override-max-minutes"), ("count-everything = true", "stock.count-everything")] {
            var c = DaemonConfig()
            #expect(throws: ConfigError.self) { try c.apply(toml: "[stock]\n" + toml, file: "t.toml") }
            do { try c.apply(toml: "[stock]\n" + toml, file: "t.toml") } catch { #expect(error.key == key, "\(toml)") }
            #expect(c == DaemonConfig())
        }
    }

    /// With a grace as long as the gap between two count times a count is still in its grace when
    /// the next is due: a one-line config error (review of #11, finding 6). That once hid every
    /// missed count; `CountSchedule.overdue` now reports the latest due time past its grace, so
    /// even such a configuration reports the missed count.
    @Test func aGraceNotShorterThanTheGapBetweenCountsIsAConfigError() throws {
        var p = ClinicPolicy()
        p.countTimes = [7 * 60, 8 * 60]
        p.countGraceMinutes = 60
        // The 07:00 count is reported from 08:00 (its grace over), the 08:00 one from 09:00.
        for (minute, dueHour) in [(60, 7), (90, 7), (119, 7), (180, 8)] {
            let now = Moment(wallMillis: p.calendar.wallMillis(day: 20_000, minute: 7 * 60 + minute), bootMillis: 1)
            let due = CountSchedule.overdue(now: now, lastCountWall: p.calendar.wallMillis(day: 19_999, minute: 23 * 60), policy: p)
            #expect(due == p.calendar.wallMillis(day: 20_000, minute: dueHour * 60), "\(minute)")
        }
        #expect(p.validationErrors() == ["count-grace-minutes (60) must be shorter than the shortest gap between count-times (60 min): a count would still be in its grace when the next one is due"])
        p.countGraceMinutes = 59
        #expect(p.validationErrors().isEmpty)
        // Across midnight too: 23:30 and 00:15 are 45 minutes apart.
        p.countTimes = [23 * 60 + 30, 15, 12 * 60]
        p.countGraceMinutes = 45
        #expect(p.shortestCountGapMinutes == 45 && p.validationErrors().count == 1)
        #expect(ClinicPolicy().validationErrors().isEmpty)

        // At load: one line naming the problem; the daemon does not start with it.
        let path = NSTemporaryDirectory() + "dosecab-grace-\(UUID().uuidString.prefix(6)).toml"
        try "[stock]\ncount-times = [\"07:00\", \"07:30\"]\ncount-grace-minutes = 60\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try DaemonConfig.load(path: path)
            Issue.record("loaded a grace longer than the gap")
        } catch {
            #expect(error.key == "policy" && error.problem.contains("count-grace-minutes (60)") && !error.problem.contains("\n"))
        }
    }
}
