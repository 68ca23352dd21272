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

/// A change of the clinic's UTC offset: from `wallMillis` on, `offsetMinutes` applies.
public struct OffsetTransition: Hashable, Sendable, Codable {
    /// The instant of the change, milliseconds since the Unix epoch (UTC).
    public var wallMillis: Int64
    /// The UTC offset in force from that instant, minutes east of UTC.
    public var offsetMinutes: Int

    public init(wallMillis: Int64, offsetMinutes: Int) {
        self.wallMillis = wallMillis
        self.offsetMinutes = offsetMinutes
    }
}

/// The clinic's local calendar: days and minutes of the day on the clock on the clinic's wall,
/// which follows daylight saving (ARCHITECTURE §4a "Clinic time").
///
/// The core never reads a time zone database: the daemon resolves the clinic's zone from the
/// system's tz database at start and hands it in as this value, the UTC offset in force at every
/// instant (an offset before the first transition, then one per transition). So the offset of any
/// instant, now or in the ledger's past, is a lookup in plain data.
public struct ClinicCalendar: Hashable, Sendable, Codable {
    /// The zone's tz name (`Europe/Amsterdam`), or `UTC+01:00` for a fixed offset.
    public var zoneName: String
    /// The offset in force before the first transition (all the time, for a fixed offset).
    public var baseOffsetMinutes: Int
    /// Offset changes in ascending order of instant.
    public var transitions: [OffsetTransition]

    /// A fixed offset all year (`utc-offset-minutes`, deprecated, and tests).
    public init(utcOffsetMinutes: Int = 0) {
        self.init(zoneName: Self.fixedName(utcOffsetMinutes), baseOffsetMinutes: utcOffsetMinutes, transitions: [])
    }

    /// A zone with offset changes; `transitions` are sorted here.
    public init(zoneName: String, baseOffsetMinutes: Int, transitions: [OffsetTransition]) {
        self.zoneName = zoneName
        self.baseOffsetMinutes = baseOffsetMinutes
        self.transitions = transitions.sorted { $0.wallMillis < $1.wallMillis }
    }

    static func fixedName(_ minutes: Int) -> String {
        let a = abs(minutes)
        let hh = a / 60 < 10 ? "0\(a / 60)" : "\(a / 60)", mm = a % 60 < 10 ? "0\(a % 60)" : "\(a % 60)"
        return "UTC\(minutes < 0 ? "-" : "+")\(hh):\(mm)"
    }

    /// The UTC offset in force at an instant.
    public func utcOffsetMinutes(atWallMillis wall: Int64) -> Int {
        // The last transition at or before `wall` (binary search).
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid].wallMillis <= wall { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? baseOffsetMinutes : transitions[lo - 1].offsetMinutes
    }

    /// Milliseconds since 1970-01-01T00:00 on the clinic's wall clock at instant `wall`.
    public func localMillis(ofWallMillis wall: Int64) -> Int64 {
        wall + Int64(utcOffsetMinutes(atWallMillis: wall)) * 60_000
    }

    /// Days since 1970-01-01 in clinic local time.
    public func day(of moment: Moment) -> Int64 { day(ofWallMillis: moment.wallMillis) }

    public func day(ofWallMillis wall: Int64) -> Int64 {
        floorDiv(localMillis(ofWallMillis: wall), 86_400_000)
    }

    /// Minutes since local midnight (on the wall clock: in the hour that is repeated when clocks
    /// go back, two instants an hour apart have the same minute).
    public func minuteOfDay(_ moment: Moment) -> Int {
        Int(floorMod(localMillis(ofWallMillis: moment.wallMillis), 86_400_000) / 60_000)
    }

    /// Civil date and time on the clinic's wall clock at instant `wall`.
    public func civilTime(wallMillis wall: Int64) -> CivilTime {
        CivilTime(wallMillis: wall, utcOffsetMinutes: utcOffsetMinutes(atWallMillis: wall))
    }

    /// The instant at which the wall clock shows local time `local` (milliseconds since
    /// 1970-01-01T00:00 local). A time shown twice (clocks went back) gives the first instant; a
    /// time never shown (clocks went forward past it) gives the instant as far after the jump as
    /// the time is into the gap (02:30 on the day clocks go from 02:00 to 03:00 is 03:30).
    public func wallMillis(localMillis local: Int64) -> Int64 {
        // Offsets change at most once a day in every zone in use: the offsets a day either side cover it.
        let before = utcOffsetMinutes(atWallMillis: local - 86_400_000 - 50_400_000)
        let after = utcOffsetMinutes(atWallMillis: local + 86_400_000 + 50_400_000)
        let here = utcOffsetMinutes(atWallMillis: local)
        let shown = [before, here, after].map { local - Int64($0) * 60_000 }.filter { localMillis(ofWallMillis: $0) == local }
        return shown.min() ?? local - Int64(before) * 60_000
    }

    /// Wall time of a local minute of a clinic day (see `wallMillis(localMillis:)` for the minutes
    /// shown twice or never on the days the clocks change).
    public func wallMillis(day: Int64, minute: Int) -> Int64 {
        wallMillis(localMillis: day * 86_400_000 + Int64(minute) * 60_000)
    }

    /// The first instant of clinic day `day` (local midnight, or the jump that skipped it).
    public func startOfDay(_ day: Int64) -> Int64 { wallMillis(day: day, minute: 0) }

    /// The instants of clinic day `day`: 23 hours long when clocks go forward, 25 when they go back.
    public func wallRange(day: Int64) -> Range<Int64> { startOfDay(day)..<startOfDay(day + 1) }

    /// Whether the UTC offset changes during clinic day `day`.
    public func offsetChanges(day: Int64) -> Bool {
        let range = wallRange(day: day)
        return transitions.contains { range.contains($0.wallMillis) }
    }

    /// Epoch milliseconds of a clinic-local `YYYY-MM-DDTHH:MM` (or with a space), as staff copy
    /// it from a paper register; nil for anything else, for dates that do not exist and for a
    /// time the wall clock skipped. A time shown twice gives the first instant.
    public func wallMillis(local text: String) -> Int64? {
        guard let utc = CivilTime.wallMillis(local: text, utcOffsetMinutes: 0) else { return nil }
        let wall = wallMillis(localMillis: utc)
        return localMillis(ofWallMillis: wall) == utc ? wall : nil
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
    /// The offset from UTC this civil time is shown in.
    public let utcOffsetMinutes: Int

    public init(wallMillis: Int64, utcOffsetMinutes: Int) {
        self.utcOffsetMinutes = utcOffsetMinutes
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

    /// `+01:00`: the UTC offset this civil time was computed with.
    public var offset: String {
        let name = ClinicCalendar.fixedName(utcOffsetMinutes)
        return String(name.dropFirst(3))
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
