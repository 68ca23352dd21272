/// A point in time as the daemon reads it, passed into the core (the core has no clock).
///
/// Two clocks travel together (ARCHITECTURE §4a "Time"): the wall clock, for the register and
/// day boundaries, and CLOCK_BOOTTIME, which cannot be set back, for intervals and the unlock
/// window. `boot` values compare only within one boot, identified by `bootID`.
public struct Moment: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch, UTC (wall clock).
    public var wallMillis: Int64
    /// Milliseconds of CLOCK_BOOTTIME.
    public var bootMillis: Int64
    /// Kernel boot id; boot times of different boots are not comparable.
    public var bootID: String

    public init(wallMillis: Int64, bootMillis: Int64, bootID: String = "boot") {
        self.wallMillis = wallMillis
        self.bootMillis = bootMillis
        self.bootID = bootID
    }

    /// Orders by wall clock: the register's order.
    public static func < (a: Moment, b: Moment) -> Bool { a.wallMillis < b.wallMillis }

    /// This moment moved on by `millis` on both clocks (simulation and tests).
    public func advanced(byMillis millis: Int64) -> Moment {
        Moment(wallMillis: wallMillis + millis, bootMillis: bootMillis + millis, bootID: bootID)
    }

    /// Time elapsed since `earlier`, measured so that setting the wall clock back cannot make it
    /// look longer: within one boot the smaller of the two clocks' differences counts.
    public func millisSince(_ earlier: Moment) -> Int64 {
        let wall = wallMillis - earlier.wallMillis
        guard bootID == earlier.bootID else { return wall }
        return min(wall, bootMillis - earlier.bootMillis)
    }

    public var description: String { CivilTime(wallMillis: wallMillis, utcOffsetMinutes: 0).iso8601 }
}

/// The clinic's local calendar: days and minutes of the day, from a fixed UTC offset
/// (the daemon passes the offset valid now; the core never reads a time zone database).
public struct ClinicCalendar: Hashable, Sendable, Codable {
    public var utcOffsetMinutes: Int

    public init(utcOffsetMinutes: Int = 0) { self.utcOffsetMinutes = utcOffsetMinutes }

    /// Days since 1970-01-01 in clinic local time.
    public func day(of moment: Moment) -> Int64 { day(ofWallMillis: moment.wallMillis) }

    public func day(ofWallMillis wall: Int64) -> Int64 {
        let local = wall + Int64(utcOffsetMinutes) * 60_000
        return floorDiv(local, 86_400_000)
    }

    /// Minutes since local midnight.
    public func minuteOfDay(_ moment: Moment) -> Int {
        let local = moment.wallMillis + Int64(utcOffsetMinutes) * 60_000
        return Int(floorMod(local, 86_400_000) / 60_000)
    }

    /// Local civil date (YYYY-MM-DD) of a day number.
    public func dateString(day: Int64) -> String {
        CivilTime(wallMillis: day * 86_400_000, utcOffsetMinutes: 0).date
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { let q = a / b; return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q }
func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

/// Civil date/time from epoch milliseconds, without Foundation's calendar
/// (Howard Hinnant's days-from-civil algorithm).
public struct CivilTime: Sendable {
    public let year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, millis: Int64

    public init(wallMillis: Int64, utcOffsetMinutes: Int) {
        let local = wallMillis + Int64(utcOffsetMinutes) * 60_000
        let days = floorDiv(local, 86_400_000)
        let rem = floorMod(local, 86_400_000)
        hour = rem / 3_600_000
        minute = rem / 60_000 % 60
        second = rem / 1000 % 60
        millis = rem % 1000
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Epoch milliseconds of a civil UTC date and time (inverse of `init`).
    public static func wallMillis(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400_000 + hour * 3_600_000 + minute * 60_000
    }

    /// Epoch milliseconds of a clinic-local `YYYY-MM-DDTHH:MM` (or with a space), as staff copy
    /// it from a paper register; nil for anything else, including dates that do not exist.
    public static func wallMillis(local text: String, utcOffsetMinutes: Int) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count == 16, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
              chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " "), chars[13] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var n: Int64 = 0
            for i in range {
                guard chars[i] >= UInt8(ascii: "0"), chars[i] <= UInt8(ascii: "9") else { return nil }
                n = n * 10 + Int64(chars[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
              let mi = number(14..<16), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60 else { return nil }
        let wall = wallMillis(year: y, month: mo, day: d, hour: h, minute: mi) - Int64(utcOffsetMinutes) * 60_000
        // 2026-02-30 would roll over into March: refuse it rather than book a dose on another day.
        let back = CivilTime(wallMillis: wall, utcOffsetMinutes: utcOffsetMinutes)
        guard back.year == y, back.month == mo, back.day == d else { return nil }
        return wall
    }

    /// `YYYY-MM-DD HH:MM` in the clinic's local time, for messages.
    public var localMinute: String { "\(date) \(pad(hour, 2)):\(pad(minute, 2))" }

    private func pad(_ v: Int64, _ n: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, n - s.count)) + s
    }

    public var date: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }
    public var iso8601: String { "\(date)T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millis, 3))Z" }
}
