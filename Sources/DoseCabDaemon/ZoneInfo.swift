import DoseCabCore
import Foundation

/// The clinic's time zone from the system's tz database: the TZif file (RFC 8536) of a tz name
/// under `/usr/share/zoneinfo`, turned into the offset table the core computes with
/// (`ClinicCalendar`). The core never reads a time zone itself.
///
/// Not Foundation's `TimeZone(identifier:)`: on Linux it answers from the ICU data compiled into
/// the toolchain, not from the system's tzdata (so a tzdata update would not reach the clinic),
/// and in the release build (`--static-swift-stdlib`) it knows no zone by name at all.
public enum ZoneInfo {
    public static let defaultDirectory = "/usr/share/zoneinfo"

    /// The clinic calendar of zone `name`: the file's transitions, then its rule (the TZ string
    /// at the end of the file) carried on to the end of `lastYear`.
    public static func calendar(zone name: String, directory: String = defaultDirectory,
                                lastYear: Int64 = 2100) throws(ZoneInfoError) -> ClinicCalendar {
        guard isSafeName(name) else {
            throw ZoneInfoError("'\(name)' is not a tz name like \"Europe/Amsterdam\"")
        }
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZoneInfoError("unknown time zone '\(name)': no \(path) (is tzdata installed?)")
        }
        let file: TZif
        do { file = try TZif(Array(data)) } catch {
            throw ZoneInfoError("\(path) is not a tz database file: \(error.problem)")
        }
        var transitions = file.transitions
        if let rule = file.rule {
            let from = transitions.last.map { CivilTime(wallMillis: $0.wallMillis, utcOffsetMinutes: 0).year } ?? 1970
            var last = transitions.last?.offsetMinutes ?? file.baseOffsetMinutes
            for t in rule.transitions(years: from...max(from, lastYear))
            where t.wallMillis > (transitions.last?.wallMillis ?? Int64.min) && t.offsetMinutes != last {
                transitions.append(t)
                last = t.offsetMinutes
            }
        }
        return ClinicCalendar(zoneName: name, baseOffsetMinutes: file.baseOffsetMinutes, transitions: transitions)
    }

    /// A relative path of plain components: nothing can point outside the database.
    static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("/") else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-.")
        guard name.allSatisfy({ allowed.contains($0) }) else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}

/// One line for the operator: which zone, what is wrong.
public struct ZoneInfoError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}

/// A parsed TZif file: the 64-bit data block of version 2 and later (version 1 files use the
/// 32-bit one), and the footer's TZ string.
struct TZif {
    var baseOffsetMinutes: Int
    var transitions: [OffsetTransition]
    var rule: PosixTZ?

    init(_ bytes: [UInt8]) throws(ZoneInfoError) {
        var r = ByteReader(bytes)
        var header = try Self.header(&r)
        var timeSize = 4
        if header.version >= 2 {
            // Skip the version 1 block; the second header describes the 64-bit block.
            try r.skip(header.v1Length)
            header = try Self.header(&r)
            timeSize = 8
        }
        var times: [Int64] = []
        for _ in 0..<header.timecnt { times.append(timeSize == 8 ? try r.int64() : Int64(try r.int32())) }
        var indices: [Int] = []
        for _ in 0..<header.timecnt { indices.append(Int(try r.byte())) }
        var offsets: [Int] = []
        for _ in 0..<header.typecnt {
            offsets.append(Int(try r.int32()) / 60)
            try r.skip(2)  // isdst, designation index
        }
        guard !offsets.isEmpty, indices.allSatisfy({ $0 < offsets.count }) else { throw ZoneInfoError("bad local time types") }
        try r.skip(header.charcnt + header.leapcnt * (timeSize + 4) + header.isstdcnt + header.isutcnt)
        // RFC 8536 §3.2: time type 0 is in force before the first transition.
        baseOffsetMinutes = offsets[0]
        transitions = zip(times, indices).map { OffsetTransition(wallMillis: $0 * 1000, offsetMinutes: offsets[$1]) }
        rule = nil
        if header.version >= 2, let footer = r.footer(), !footer.isEmpty {
            guard let parsed = PosixTZ(footer) else { throw ZoneInfoError("unsupported TZ rule '\(footer)'") }
            rule = parsed
        }
    }

    struct Header {
        var version: Int
        var isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: Int
        var v1Length: Int { timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt }
    }

    static func header(_ r: inout ByteReader) throws(ZoneInfoError) -> Header {
        guard try r.take(4) == Array("TZif".utf8) else { throw ZoneInfoError("no TZif magic") }
        let v = try r.byte()
        let version = v == 0 ? 1 : Int(v) - Int(UInt8(ascii: "0"))
        guard (1...9).contains(version) else { throw ZoneInfoError("unknown version") }
        try r.skip(15)
        var counts: [Int] = []
        for _ in 0..<6 {
            let n = try r.int32()
            guard n >= 0, n < 100_000 else { throw ZoneInfoError("implausible count") }
            counts.append(Int(n))
        }
        return Header(version: version, isutcnt: counts[0], isstdcnt: counts[1], leapcnt: counts[2],
                      timecnt: counts[3], typecnt: counts[4], charcnt: counts[5])
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ n: Int) throws(ZoneInfoError) -> [UInt8] {
        guard n >= 0, at + n <= bytes.count else { throw ZoneInfoError("truncated") }
        defer { at += n }
        return Array(bytes[at..<at + n])
    }
    mutating func skip(_ n: Int) throws(ZoneInfoError) { _ = try take(n) }
    mutating func byte() throws(ZoneInfoError) -> UInt8 { try take(1)[0] }
    mutating func int32() throws(ZoneInfoError) -> Int32 {
        Int32(bitPattern: try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
    mutating func int64() throws(ZoneInfoError) -> Int64 {
        Int64(bitPattern: try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
    /// The footer: a TZ string between two newlines.
    mutating func footer() -> String? {
        guard at < bytes.count, bytes[at] == 0x0A, let end = bytes[(at + 1)...].firstIndex(of: 0x0A) else { return nil }
        return String(decoding: bytes[(at + 1)..<end], as: UTF8.self)
    }
}

/// A POSIX TZ string as TZif footers carry it (`CET-1CEST,M3.5.0,M10.5.0/3`): standard and
/// daylight offsets and the rules for when daylight time starts and ends each year.
struct PosixTZ {
    /// Offsets east of UTC, minutes.
    var standard: Int
    var daylight: Int?
    var start: DateRule?, end: DateRule?
    /// Seconds after local midnight at which the change happens (RFC 8536 allows -167 to 167 hours).
    var startSeconds = 7200, endSeconds = 7200

    enum DateRule {
        /// Month, week (5: last), weekday (0: Sunday).
        case month(Int64, Int64, Int64)
        /// Day of the year 1-365, February 29 never counted.
        case julian(Int64)
        /// Day of the year 0-365, February 29 counted.
        case zeroBased(Int64)
    }

    init?(_ text: String) {
        var s = Substring(text)
        guard Self.name(&s), let std = Self.offset(&s) else { return nil }
        standard = -std / 60
        if s.isEmpty { return }
        guard Self.name(&s) else { return nil }
        var dst = std - 3600
        if let first = s.first, first != "," { guard let o = Self.offset(&s) else { return nil }; dst = o }
        daylight = -dst / 60
        // No rule: POSIX leaves it to the implementation; refuse rather than guess.
        guard s.first == "," else { return nil }
        s.removeFirst()
        guard let (a, at) = Self.rule(&s), s.first == "," else { return nil }
        s.removeFirst()
        guard let (b, bt) = Self.rule(&s), s.isEmpty else { return nil }
        (start, startSeconds, end, endSeconds) = (a, at ?? 7200, b, bt ?? 7200)
    }

    /// The offset changes in `years`, in order.
    func transitions(years: ClosedRange<Int64>) -> [OffsetTransition] {
        guard let daylight, let start, let end else { return [] }
        var out: [OffsetTransition] = []
        for year in years {
            // Start is given in standard local time, end in daylight local time.
            let on = (Self.day(start, year) * 86_400 + Int64(startSeconds)) * 1000 - Int64(standard) * 60_000
            let off = (Self.day(end, year) * 86_400 + Int64(endSeconds)) * 1000 - Int64(daylight) * 60_000
            out += [OffsetTransition(wallMillis: on, offsetMinutes: daylight), OffsetTransition(wallMillis: off, offsetMinutes: standard)]
                .sorted { $0.wallMillis < $1.wallMillis }
        }
        return out
    }

    /// Days since 1970-01-01 of a rule's date in `year`.
    static func day(_ rule: DateRule, _ year: Int64) -> Int64 {
        let jan1 = CivilTime.wallMillis(year: year, month: 1, day: 1) / 86_400_000
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        switch rule {
        case .zeroBased(let n): return jan1 + n
        case .julian(let n): return jan1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .month(let m, let w, let d):
            let first = CivilTime.wallMillis(year: year, month: m, day: 1) / 86_400_000
            let next = m == 12 ? CivilTime.wallMillis(year: year + 1, month: 1, day: 1) / 86_400_000
                : CivilTime.wallMillis(year: year, month: m + 1, day: 1) / 86_400_000
            // 1970-01-01 was a Thursday (4).
            let weekday = ((first + 4) % 7 + 7) % 7
            var day = first + ((d - weekday) % 7 + 7) % 7 + (w - 1) * 7
            while day >= next { day -= 7 }
            return day
        }
    }

    /// `CET` or `<+03>`.
    static func name(_ s: inout Substring) -> Bool {
        if s.first == "<" {
            guard let close = s.firstIndex(of: ">") else { return false }
            s = s[s.index(after: close)...]
            return true
        }
        let letters = s.prefix { $0.isLetter }
        guard letters.count >= 3 else { return false }
        s = s.dropFirst(letters.count)
        return true
    }

    /// `[+-]hh[:mm[:ss]]`, in seconds as written (west of UTC positive).
    static func offset(_ s: inout Substring) -> Int? {
        var sign = 1
        if s.first == "+" || s.first == "-" { sign = s.first == "-" ? -1 : 1; s.removeFirst() }
        var parts: [Int] = []
        repeat {
            if !parts.isEmpty { s.removeFirst() }
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 3, let n = Int(digits) else { return nil }
            parts.append(n)
            s = s.dropFirst(digits.count)
        } while s.first == ":" && parts.count < 3
        guard parts[0] <= 167, parts.dropFirst().allSatisfy({ $0 < 60 }) else { return nil }
        let seconds = parts[0] * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0)
        return sign * seconds
    }

    /// `Mm.w.d`, `Jn` or `n`, then an optional `/time`.
    static func rule(_ s: inout Substring) -> (DateRule, Int?)? {
        func number(_ range: ClosedRange<Int64>) -> Int64? {
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 3, let n = Int64(digits), range.contains(n) else { return nil }
            s = s.dropFirst(digits.count)
            return n
        }
        let rule: DateRule
        if s.first == "M" {
            s.removeFirst()
            guard let m = number(1...12), s.first == "." else { return nil }
            s.removeFirst()
            guard let w = number(1...5), s.first == "." else { return nil }
            s.removeFirst()
            guard let d = number(0...6) else { return nil }
            rule = .month(m, w, d)
        } else if s.first == "J" {
            s.removeFirst()
            guard let n = number(1...365) else { return nil }
            rule = .julian(n)
        } else {
            guard let n = number(0...365) else { return nil }
            rule = .zeroBased(n)
        }
        guard s.first == "/" else { return (rule, nil) }
        s.removeFirst()
        guard let t = offset(&s) else { return nil }
        return (rule, t)
    }
}
