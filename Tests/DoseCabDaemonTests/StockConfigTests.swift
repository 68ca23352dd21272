import DoseCabCore
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
}
