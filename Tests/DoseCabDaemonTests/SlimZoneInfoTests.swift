import DoseCabCore
@testable import DoseCabDaemon
import Foundation
import Testing

/// A "slim" tz database (zic -b slim, the default of newer distributions: few transitions, the
/// rest from the file's TZ rule) gives the same offsets as Debian 12's "fat" one.
@Suite struct SlimZoneInfoTests {
    @Test func slimAndFatFilesAgreeFrom1970To2100() throws {
        let dir = NSTemporaryDirectory() + "dosecab-slim-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let zic = Process()
        zic.executableURL = URL(fileURLWithPath: "/usr/sbin/zic")
        zic.arguments = ["-b", "slim", "-d", dir, "/usr/share/zoneinfo/tzdata.zi"]
        try zic.run()
        zic.waitUntilExit()
        #expect(zic.terminationStatus == 0)
        for zone in ["Europe/Amsterdam", "Europe/London", "America/New_York", "Australia/Sydney", "America/Santiago", "Asia/Tokyo", "Africa/Casablanca", "Pacific/Chatham"] {
            let fat = try ZoneInfo.calendar(zone: zone)
            let slim = try ZoneInfo.calendar(zone: zone, directory: dir)
            var wall: Int64 = 0
            var differ = 0
            while wall < CivilTime.wallMillis(year: 2100, month: 12, day: 1) {
                if fat.utcOffsetMinutes(atWallMillis: wall) != slim.utcOffsetMinutes(atWallMillis: wall) { differ += 1 }
                wall += 3 * 3_600_000
            }
            #expect(differ == 0, "\(zone): \(differ) samples differ")
        }
    }
}
