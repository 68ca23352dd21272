import DoseCabCore
@testable import DoseCabDaemon
import Foundation
import Testing

/// `daemon.time-zone`: the clinic's zone by tz name, resolved from the system's tz database
/// (issue 19.1; docs/configuration.md).
@Suite struct ClinicTimeConfigTests {
    static func utc(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64) -> Int64 {
        CivilTime.wallMillis(year: year, month: month, day: day, hour: hour)
    }

    /// The last Sunday of `month`, as days since 1970-01-01.
    static func lastSunday(_ year: Int64, _ month: Int64) -> Int64 {
        var day = (month == 12 ? utc(year + 1, 1, 1, 0) : utc(year, month + 1, 1, 0)) / 86_400_000 - 1
        while ((day + 4) % 7 + 7) % 7 != 0 { day -= 1 }
        return day
    }

    @Test func europeAmsterdamFromTheSystemDatabaseFollowsTheEURuleThrough2100() throws {
        let cal = try ZoneInfo.calendar(zone: "Europe/Amsterdam")
        #expect(cal.zoneName == "Europe/Amsterdam")
        // Since 1996 the EU changes at 01:00 UTC on the last Sundays of March and October; the
        // file lists the changes to 2037, the rule at its end carries them on.
        for year in Int64(1996)...2100 {
            let spring = Self.lastSunday(year, 3) * 86_400_000 + 3_600_000
            let autumn = Self.lastSunday(year, 10) * 86_400_000 + 3_600_000
            #expect(cal.utcOffsetMinutes(atWallMillis: spring - 1) == 60 && cal.utcOffsetMinutes(atWallMillis: spring) == 120, "\(year)")
            #expect(cal.utcOffsetMinutes(atWallMillis: autumn - 1) == 120 && cal.utcOffsetMinutes(atWallMillis: autumn) == 60, "\(year)")
        }
        let oct25 = Self.utc(2026, 10, 25, 0) / 86_400_000
        #expect(cal.wallRange(day: oct25).count == 25 * 3_600_000)
        #expect(cal.wallRange(day: Self.utc(2026, 3, 29, 0) / 86_400_000).count == 23 * 3_600_000)
        // No daylight saving: a zone with a constant offset, and one south of the equator.
        let tokyo = try ZoneInfo.calendar(zone: "Asia/Tokyo")
        #expect(tokyo.utcOffsetMinutes(atWallMillis: Self.utc(2026, 7, 1, 0)) == 540 && tokyo.utcOffsetMinutes(atWallMillis: Self.utc(2090, 1, 1, 0)) == 540)
        let sydney = try ZoneInfo.calendar(zone: "Australia/Sydney")
        #expect(sydney.utcOffsetMinutes(atWallMillis: Self.utc(2060, 1, 15, 0)) == 660 && sydney.utcOffsetMinutes(atWallMillis: Self.utc(2060, 7, 15, 0)) == 600)
    }

    @Test func aZoneNameIsAPathInsideTheDatabaseOnly() {
        for bad in ["", "/etc/passwd", "../../etc/passwd", "Europe/../../etc/passwd", "Europe//Amsterdam", "Europe/Amsterdam\n"] {
            #expect(throws: ZoneInfoError.self, "\(bad)") { try ZoneInfo.calendar(zone: bad) }
        }
        #expect(throws: ZoneInfoError.self) { try ZoneInfo.calendar(zone: "Europe/Amsterdm") }
    }

    @Test func theConfigurationNamesTheZone() throws {
        var c = DaemonConfig()
        try c.apply(toml: "[daemon]\ntime-zone = \"Europe/Amsterdam\"\n", file: "t.toml")
        #expect(c.policy.calendar.zoneName == "Europe/Amsterdam" && !c.policy.calendar.transitions.isEmpty)
        // An unknown zone: one line naming the key and the zone, and nothing changed.
        var d = DaemonConfig()
        do {
            try d.apply(toml: "[daemon]\ntime-zone = \"Europe/Amsterdm\"\n", file: "t.toml")
            Issue.record("unknown zone accepted")
        } catch {
            #expect(error.key == "daemon.time-zone" && error.description.contains("Europe/Amsterdm") && !error.description.contains("\n"), "\(error)")
        }
        #expect(d == DaemonConfig())
    }

    @Test func theDeprecatedFixedOffsetStillWorksButNeverBesideAZone() throws {
        var c = DaemonConfig()
        try c.apply(toml: "[daemon]\nutc-offset-minutes = 60\n", file: "t.toml")
        #expect(c.policy.calendar.transitions.isEmpty && c.policy.calendar.baseOffsetMinutes == 60)
        // Both in one file, or one in a drop-in: refused, whichever comes first.
        #expect(throws: ConfigError.self) { try c.apply(toml: "[daemon]\ntime-zone = \"Europe/Amsterdam\"\n", file: "50-zone.toml") }
        var d = DaemonConfig()
        #expect(throws: ConfigError.self) {
            try d.apply(toml: "[daemon]\ntime-zone = \"Europe/Amsterdam\"\nutc-offset-minutes = 60\n", file: "t.toml")
        }
    }

    /// The example configuration the guest installs names the zone, and loads.
    @Test func theExampleConfigurationNamesTheClinicZone() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/examples/dosecab.toml").path
        let c = try DaemonConfig.load(path: example)
        #expect(c.policy.calendar.zoneName == "Europe/Amsterdam" && c.clinicTimeKey == "daemon.time-zone")
    }
}
