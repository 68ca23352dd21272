import DoseCabControl
import DoseCabCore
import DoseCabHardware
import DoseCabSystemd
import Foundation
import TOMLKit

/// The daemon's configuration: `/etc/dosecab/dosecab.toml` plus `dosecab.toml.d/*.toml`
/// drop-ins applied in name order (the systemd convention). Every key is in docs/configuration.md.
/// Unknown keys are errors: a typo must not silently leave a clinic rule at its default.
public struct DaemonConfig: Sendable, Hashable {
    public var stateDirectory = "/var/lib/dosecab"
    public var socketPath = "/run/dosecab/control.sock"
    public var pinMapPath = "/etc/dosecab/pinmap.toml"
    public var prescribersDirectory = "/etc/dosecab/prescribers"
    /// Members may use the read-only verbs (`daemon.read-group`).
    public var readGroup = AccessPolicy.defaultReadGroup
    /// Members may use every verb (`daemon.admin-group`).
    public var adminGroup = AccessPolicy.defaultAdminGroup
    /// Refuse releases while the system clock is not NTP-synchronised.
    public var requireClockSync = true
    public var policy = ClinicPolicy()
    /// Which key set the clinic's time (`daemon.time-zone`, or the deprecated
    /// `daemon.utc-offset-minutes`); nil while neither has (the clinic then runs on UTC).
    public var clinicTimeKey: String?
    /// Routes whose `observation-minutes` a `[close-out.ROUTE]` section set: the deprecated
    /// `[policy] observation-minutes` leaves them alone, in whichever order the two are read.
    public var routesWithOwnObservation: Set<Route> = []
    public var wiegandFrameGapMillis = 25
    /// The card formats the counter reader takes (`[hardware] counter-card-formats`); the
    /// 37-bit one among them says how 37-bit frames are read. The return scanner takes only
    /// H10302 ampoule tags, whatever this says.
    public var counterCardFormats: [CardFormat] = [.h10301, .h10306, .c1000, .h10304]
    public var returnWindowMillis = 2000
    public var journalMaxUnsentSeconds = 10
    public var journalCapacity = 4096
    /// How far back, before the last record handed to journald, the daemon reads the journal
    /// at start to find records journald lost (a power cut before it synced); 0 turns it off.
    /// journald syncs every 5 minutes by default (`SyncIntervalSec`), so 15 minutes covers it.
    public var journalReadBackSeconds = 900

    public init() {}

    /// The installed service's user (systemd/dosecabd.service `User=`, dosecab.sysusers), whose
    /// journal entries the readers trust.
    public static let serviceUser = JournalReader.Trust.serviceUser
    /// The installed service's own group (`Group=`): private to it, no person is a member
    /// (ARCHITECTURE §4a "Insiders"); a member could read the store's files and hold its write
    /// lock (issue 18.1).
    public static let serviceGroup = "dosecabd"
    /// Owns /dev/gpiochip* (60-dosecab-gpio.rules); its only member is the service user, so a
    /// member could drive the lock line itself.
    public static let gpioGroup = "dosecab-gpio"

    /// Why `readGroup` and `adminGroup` cannot be used, or nil. Neither may be a group no
    /// person may be in: ``serviceGroup``, ``gpioGroup``, or `runningGroup`, the name of the
    /// group the daemon runs as (nil when it runs as root or the name is unknown). An upgraded
    /// configuration may still name the old groups (docs/install.md, "Upgrading").
    public func roleGroupProblem(runningGroup: String?) -> String? {
        for name in [readGroup, adminGroup] {
            let why: String
            if name == runningGroup || name == Self.serviceGroup {
                why = "is the service's own group, which no person may be in"
            } else if name == Self.gpioGroup {
                why = "drives the lock line, and only the service user may be in it"
            } else {
                continue
            }
            return "configuration: read-group/admin-group '\(name)' \(why); technicians belong in "
                + "\(AccessPolicy.defaultReadGroup) or \(AccessPolicy.defaultAdminGroup) (docs/install.md, \"Upgrading from the dosecab service user\")"
        }
        return nil
    }

    /// What `--simulate` runs with: the demo clinic in a local folder, windows all day so the
    /// demo works at any hour, no NTP needed.
    public static func simulated(stateDirectory: String) -> DaemonConfig {
        var c = DaemonConfig()
        c.stateDirectory = stateDirectory
        c.socketPath = stateDirectory + "/control.sock"
        c.prescribersDirectory = stateDirectory + "/prescribers"
        c.requireClockSync = false
        c.policy.windows = [
            DosingWindow(name: "night", startMinute: 0, endMinute: 8 * 60),
            DosingWindow(name: "day", startMinute: 8 * 60, endMinute: 16 * 60),
            DosingWindow(name: "evening", startMinute: 16 * 60, endMinute: 24 * 60),
        ]
        return c
    }

    /// Loads the main file and its drop-ins over `base`.
    public static func load(path: String, base: DaemonConfig = DaemonConfig()) throws(ConfigError) -> DaemonConfig {
        var config = base
        guard let text = readText(path) else {
            throw ConfigError(file: path, key: nil, problem: "cannot read the file")
        }
        try config.apply(toml: text, file: path)
        let dropins = path + ".d"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: dropins) {
            for name in names.sorted() where name.hasSuffix(".toml") {
                let file = dropins + "/" + name
                guard let t = readText(file) else {
                    throw ConfigError(file: file, key: nil, problem: "cannot read the file")
                }
                try config.apply(toml: t, file: file)
            }
        }
        let problems = config.policy.validationErrors()
        if let first = problems.first { throw ConfigError(file: path, key: "policy", problem: first) }
        return config
    }

    /// A configuration file's text, byte for byte, or nil when it cannot be read or is not
    /// UTF-8. Not `String(contentsOfFile:encoding:)`: that drops a leading byte-order mark, so
    /// the file would not be the text `apply` checks (fuzz finding F5).
    static func readText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(validating: data, as: UTF8.self)
    }

    /// Applies one TOML document on top of this configuration.
    /// All or nothing: a refused document leaves the configuration as it was (fuzz finding F3).
    public mutating func apply(toml: String, file: String) throws(ConfigError) {
        var copy = self
        try copy.applyUnchecked(toml: toml, file: file)
        self = copy
    }

    private mutating func applyUnchecked(toml: String, file: String) throws(ConfigError) {
        // toml++ aborts the process on some malformed text (finding F1): it only sees text the
        // guard recognised as TOML.
        if let problem = TOMLGuard.check(toml) {
            throw ConfigError(file: file, key: nil, problem: "TOML syntax error at \(problem)")
        }
        let root: TOMLTable
        do { root = try TOMLTable(string: toml) } catch let e as TOMLParseError {
            throw ConfigError(file: file, key: nil,
                              problem: "TOML syntax error at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch { throw ConfigError(file: file, key: nil, problem: "not TOML") }
        for (section, value) in root {
            guard let table = value.table else { throw ConfigError(file: file, key: section, problem: "must be a table [\(section)]") }
            switch section {
            case "daemon": try applyDaemon(table, file)
            case "policy": try applyPolicy(table, file)
            case "close-out": try applyCloseOut(table, file)
            case "hardware": try applyHardware(table, file)
            case "journal": try applyJournal(table, file)
            case "stock": try applyStock(table, file)
            default: throw ConfigError(file: file, key: section, problem: "unknown section")
            }
        }
    }

    private func string(_ v: any TOMLValueConvertible, _ file: String, _ key: String) throws(ConfigError) -> String {
        guard let s = v.string, !s.isEmpty else { throw ConfigError(file: file, key: key, problem: "must be a non-empty string") }
        return s
    }

    private func int(_ v: any TOMLValueConvertible, _ file: String, _ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let i = v.int, range.contains(i) else {
            throw ConfigError(file: file, key: key, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }

    private mutating func applyDaemon(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (key, v) in t {
            let k = "daemon.\(key)"
            switch key {
            case "state-directory": stateDirectory = try string(v, file, k)
            case "socket": socketPath = try string(v, file, k)
            case "pinmap": pinMapPath = try string(v, file, k)
            case "prescribers-directory": prescribersDirectory = try string(v, file, k)
            case "read-group": readGroup = try string(v, file, k)
            case "admin-group": adminGroup = try string(v, file, k)
            case "require-clock-sync":
                guard let b = v.bool else { throw ConfigError(file: file, key: k, problem: "must be true or false") }
                requireClockSync = b
            case "time-zone":
                try setClinicTime(key: k, file: file)
                let name = try string(v, file, k)
                do throws(ZoneInfoError) { policy.calendar = try ZoneInfo.calendar(zone: name) } catch {
                    throw ConfigError(file: file, key: k, problem: error.problem)
                }
            case "utc-offset-minutes":
                // Deprecated: a fixed offset all year, wrong for half of it wherever clocks change.
                try setClinicTime(key: k, file: file)
                policy.calendar = ClinicCalendar(utcOffsetMinutes: try int(v, file, k, -840...840))
            default: throw ConfigError(file: file, key: k, problem: "unknown key")
            }
        }
    }

    /// The clinic's time is set by one key only, in all the files together: a fixed offset and
    /// a zone would each be right half of the year.
    private mutating func setClinicTime(key: String, file: String) throws(ConfigError) {
        if let earlier = clinicTimeKey, earlier != key {
            throw ConfigError(file: file, key: key, problem: "\(earlier) is set too: set the clinic's time zone once, with daemon.time-zone (utc-offset-minutes is deprecated)")
        }
        clinicTimeKey = key
    }

    private mutating func applyPolicy(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (key, v) in t {
            let k = "policy.\(key)"
            switch key {
            case "ceiling-diacetylmorphine-mg": policy.dailyCeilingMg[.diacetylmorphine] = try int(v, file, k, 1...5000)
            case "ceiling-methadone-mg": policy.dailyCeilingMg[.methadone] = try int(v, file, k, 1...1000)
            case "windows":
                guard let array = v.array, !array.isEmpty else { throw ConfigError(file: file, key: k, problem: "must be a list like [\"07:00-10:00\"]") }
                var windows: [DosingWindow] = []
                for (i, item) in array.enumerated() {
                    guard let s = item.string, let w = Self.parseWindow(s, name: "window \(i + 1)") else {
                        throw ConfigError(file: file, key: k, problem: "entry \(i + 1) must be \"HH:MM-HH:MM\"")
                    }
                    windows.append(w)
                }
                policy.windows = windows
            case "min-interval-minutes": policy.minIntervalMinutes = try int(v, file, k, 0...1440)
            case "titration-max-percent": policy.titrationMaxPercentOfPreviousDay = try int(v, file, k, 0...100)
            case "missed-days-reauthorise": policy.missedDaysReauthorise = try int(v, file, k, 1...30)
            case "missed-days-retitrate": policy.missedDaysRetitrate = try int(v, file, k, 1...60)
            case "observation-minutes":
                // Deprecated: the observation time of every route that does not set its own.
                let minutes = try int(v, file, k, 0...240)
                for route in policy.routes.keys where !routesWithOwnObservation.contains(route) {
                    policy.routes[route]?.observationMinutes = minutes
                }
            case "pin-attempts": policy.pinAttemptsBeforeLockout = try int(v, file, k, 1...10)
            case "pin-lockout-minutes": policy.pinLockoutMinutes = try int(v, file, k, 1...1440)
            case "staff-session-seconds": policy.staffSessionSeconds = try int(v, file, k, 10...3600)
            case "pin-entry-seconds": policy.pinEntrySeconds = try int(v, file, k, 5...300)
            case "unlock-window-seconds": policy.unlockWindowSeconds = try int(v, file, k, 1...120)
            case "bolt-confirm-seconds": policy.boltConfirmSeconds = try int(v, file, k, 1...30)
            case "door-open-max-seconds": policy.doorOpenMaxSeconds = try int(v, file, k, 10...1800)
            default: throw ConfigError(file: file, key: k, problem: "unknown key")
            }
        }
    }

    private mutating func applyCloseOut(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (routeName, v) in t {
            guard let route = Route(rawValue: routeName), let rt = v.table else {
                throw ConfigError(file: file, key: "close-out.\(routeName)", problem: "must be [close-out.injectable|inhalable|oral]")
            }
            // A route without a row (none built in, none from an earlier file) is configured whole.
            var rule = policy.routes[route]?.rule, deadline = policy.routes[route]?.deadlineMinutes
            var observation = policy.routes[route]?.observationMinutes
            for (key, value) in rt {
                let k = "close-out.\(routeName).\(key)"
                switch key {
                case "rule":
                    guard let s = value.string, let r = CloseOutRule(rawValue: s) else {
                        throw ConfigError(file: file, key: k, problem: "must be \"return\" or \"witnessed\"")
                    }
                    rule = r
                case "deadline-minutes": deadline = try int(value, file, k, 1...1440)
                case "observation-minutes":
                    observation = try int(value, file, k, 0...240)
                    routesWithOwnObservation.insert(route)
                default: throw ConfigError(file: file, key: k, problem: "unknown key")
                }
            }
            guard let rule, let deadline, let observation else {
                let missing = [("rule", rule == nil), ("deadline-minutes", deadline == nil), ("observation-minutes", observation == nil)]
                    .filter(\.1).map(\.0).joined(separator: ", ")
                throw ConfigError(file: file, key: "close-out.\(routeName)", problem: "route \(routeName) has no built-in row: set \(missing)")
            }
            policy.routes[route] = RoutePolicy(rule: rule, deadlineMinutes: deadline, observationMinutes: observation)
        }
    }

    private mutating func applyHardware(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (key, v) in t {
            let k = "hardware.\(key)"
            switch key {
            case "wiegand-frame-gap-ms": wiegandFrameGapMillis = try int(v, file, k, 5...200)
            case "return-window-ms": returnWindowMillis = try int(v, file, k, 100...30_000)
            case "counter-card-formats":
                let names = CardFormat.allCases.map(\.rawValue).joined(separator: ", ")
                guard let array = v.array, !array.isEmpty else {
                    throw ConfigError(file: file, key: k, problem: "must be a non-empty list like [\"h10301\"] of \(names)")
                }
                var formats: [CardFormat] = []
                for (i, item) in array.enumerated() {
                    guard let s = item.string, let f = CardFormat(rawValue: s) else {
                        throw ConfigError(file: file, key: k, problem: "entry \(i + 1) must be one of \(names)")
                    }
                    if !formats.contains(f) { formats.append(f) }
                }
                // Both are 37 bits with the same parity bits: a frame cannot say which it is.
                if formats.contains(.h10302) && formats.contains(.h10304) {
                    throw ConfigError(file: file, key: k, problem: "h10302 and h10304 are both 37-bit frames that cannot be told apart: list one")
                }
                counterCardFormats = formats
            default: throw ConfigError(file: file, key: k, problem: "unknown key")
            }
        }
    }

    private mutating func applyJournal(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (key, v) in t {
            let k = "journal.\(key)"
            switch key {
            case "max-unsent-seconds": journalMaxUnsentSeconds = try int(v, file, k, 1...600)
            case "capacity": journalCapacity = try int(v, file, k, 64...1_000_000)
            case "readback-window-seconds": journalReadBackSeconds = try int(v, file, k, 0...86_400)
            default: throw ConfigError(file: file, key: k, problem: "unknown key")
            }
        }
    }

    private mutating func applyStock(_ t: TOMLTable, _ file: String) throws(ConfigError) {
        for (key, v) in t {
            let k = "stock.\(key)"
            switch key {
            case "count-times":
                guard let array = v.array else { throw ConfigError(file: file, key: k, problem: "must be a list like [\"07:00\", \"15:00\"]") }
                var minutes: [Int] = []
                for (i, item) in array.enumerated() {
                    guard let s = item.string, let m = Self.minute(Substring(s)), m < 1440 else {
                        throw ConfigError(file: file, key: k, problem: "entry \(i + 1) must be \"HH:MM\" (00:00-23:59)")
                    }
                    minutes.append(m)
                }
                policy.countTimes = minutes.sorted()
            case "count-grace-minutes": policy.countGraceMinutes = try int(v, file, k, 1...1440)
            case "freeze-scope":
                guard let s = v.string, let scope = FreezeScope(rawValue: s) else {
                    throw ConfigError(file: file, key: k, problem: "must be \"drug\" or \"cabinet\"")
                }
                policy.freezeScope = scope
            case "business-days":
                guard let array = v.array, !array.isEmpty else {
                    throw ConfigError(file: file, key: k, problem: "must be a non-empty list like [\"mon\", \"tue\"]")
                }
                var days = Set<Weekday>()
                for (i, item) in array.enumerated() {
                    guard let s = item.string, let d = Weekday(rawValue: s) else {
                        throw ConfigError(file: file, key: k, problem: "entry \(i + 1) must be one of mon, tue, wed, thu, fri, sat, sun")
                    }
                    days.insert(d)
                }
                policy.businessDays = days
            case "override-max-minutes": policy.overrideMaxMinutes = try int(v, file, k, 1...1440)
            default: throw ConfigError(file: file, key: k, problem: "unknown key")
            }
        }
    }

    static func parseWindow(_ s: String, name: String) -> DosingWindow? {
        let parts = s.split(separator: "-")
        guard parts.count == 2, let a = minute(parts[0]), let b = minute(parts[1]), a < b else { return nil }
        return DosingWindow(name: name, startMinute: a, endMinute: b)
    }

    static func minute(_ s: Substring) -> Int? {
        let hm = s.split(separator: ":")
        guard hm.count == 2, hm[0].count == 2, hm[1].count == 2, let h = Int(hm[0]), let m = Int(hm[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }
}

/// One clear line: which file, which key, what is wrong.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var problem: String

    /// One line, whatever the file held (finding F4): file, key or line, and the problem.
    public var description: String {
        TOMLGuard.oneLine("configuration error in \(file)\(key.map { " at \($0)" } ?? ""): \(problem)")
    }
}
