/// A dosing window in clinic local time, minutes since midnight, [start, end).
public struct DosingWindow: Hashable, Sendable, Codable {
    public var name: String
    public var startMinute: Int
    public var endMinute: Int

    public init(name: String, startMinute: Int, endMinute: Int) {
        self.name = name
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    public func contains(minute: Int) -> Bool { minute >= startMinute && minute < endMinute }
}

/// Close-out of a route's units: the rule and how long the patient has.
public struct CloseOutPolicy: Hashable, Sendable, Codable {
    public var rule: CloseOutRule
    public var deadlineMinutes: Int

    public init(rule: CloseOutRule, deadlineMinutes: Int) {
        self.rule = rule
        self.deadlineMinutes = deadlineMinutes
    }
}

/// Everything about a route's doses that differs from route to route, in one row of the clinic's
/// route table (ARCHITECTURE §3 "What is tracked, per route"): how its units are closed out, by
/// when, and how long the patient is observed after a dose.
public struct RoutePolicy: Hashable, Sendable, Codable {
    /// `return` through the scanner and beam, or `witnessed` consumption.
    public var rule: CloseOutRule
    /// Minutes after issue by which each unit must be closed out, else an incident.
    public var deadlineMinutes: Int
    /// Post-dose observation before the patient's next release; it ends by itself when the time
    /// has run out (staff end it early only with badge + PIN).
    public var observationMinutes: Int

    public init(rule: CloseOutRule, deadlineMinutes: Int, observationMinutes: Int) {
        self.rule = rule
        self.deadlineMinutes = deadlineMinutes
        self.observationMinutes = observationMinutes
    }

    /// The close-out part, as a release plan records it.
    public var closeOut: CloseOutPolicy { CloseOutPolicy(rule: rule, deadlineMinutes: deadlineMinutes) }

    /// The row a clinic gets without configuring the route (ARCHITECTURE §3 defaults). Exhaustive
    /// on purpose: a new route makes the compiler ask for its row, and nil means the clinic must
    /// configure it (`[close-out.ROUTE]`) or the daemon does not start.
    public static func builtIn(_ route: Route) -> RoutePolicy? {
        switch route {
        case .injectable: RoutePolicy(rule: .return, deadlineMinutes: 60, observationMinutes: 15)
        case .inhalable: RoutePolicy(rule: .witnessed, deadlineMinutes: 60, observationMinutes: 15)
        case .oral: RoutePolicy(rule: .witnessed, deadlineMinutes: 30, observationMinutes: 15)
        }
    }

    /// The built-in table.
    public static var builtInTable: [Route: RoutePolicy] {
        Dictionary(uniqueKeysWithValues: Route.allCases.compactMap { r in builtIn(r).map { (r, $0) } })
    }
}

/// Every clinic rule with its default; all configurable (docs/policy.md says why each exists).
public struct ClinicPolicy: Hashable, Sendable, Codable {
    /// Daily ceilings per drug (Dutch trials: 1000 mg DAM, 150 mg methadone).
    public var dailyCeilingMg: [Drug: Int] = [.diacetylmorphine: 1000, .methadone: 150]
    /// Three dosing windows a day.
    public var windows: [DosingWindow] = [
        DosingWindow(name: "morning", startMinute: 7 * 60, endMinute: 10 * 60),
        DosingWindow(name: "afternoon", startMinute: 12 * 60, endMinute: 15 * 60),
        DosingWindow(name: "evening", startMinute: 17 * 60, endMinute: 21 * 60),
    ]
    /// Floor between two doses when the prescription does not say (Swiss product information).
    public var minIntervalMinutes: Int = 30
    /// While titrating, one dose may be at most this percentage of the previous day's total.
    public var titrationMaxPercentOfPreviousDay: Int = 50
    /// Consecutive days without a release after which a clinician must re-authorise.
    public var missedDaysReauthorise: Int = 3
    /// Consecutive days without a release after which the prescription must be re-titrated.
    public var missedDaysRetitrate: Int = 5
    /// Failed PIN entries before the card is locked out, and for how long.
    public var pinAttemptsBeforeLockout: Int = 3
    public var pinLockoutMinutes: Int = 15
    /// A staff session (the witness) expires after this much inactivity.
    public var staffSessionSeconds: Int = 300
    /// A card read waits this long for its PIN.
    public var pinEntrySeconds: Int = 30
    /// The lock stays energised at most this long waiting for the door to open.
    public var unlockWindowSeconds: Int = 20
    /// After the door closes, the bolt must confirm within this time, else a lock fault.
    public var boltConfirmSeconds: Int = 3
    /// An open door during a release must close within this time, else an alarm.
    public var doorOpenMaxSeconds: Int = 120
    /// The route table: one row per route, every route the cabinet can meet (in a prescription,
    /// an override, stock or a late entry) must have one (`validationErrors`).
    public var routes: [Route: RoutePolicy] = RoutePolicy.builtInTable
    /// Clinic local time.
    public var calendar = ClinicCalendar()
    /// Blind counts are due at these local times (minutes since midnight): each shift change.
    public var countTimes: [Int] = [7 * 60, 15 * 60, 23 * 60]
    /// A due count not entered this long after its time is overdue: a warning.
    public var countGraceMinutes: Int = 60
    /// What an open discrepancy freezes: releases of its drug, or of everything.
    public var freezeScope: FreezeScope = .drug
    /// Days on which the pharmacy works; an unresolved discrepancy escalates at the end of the
    /// next one after its discovery (US: theft or significant loss reported within one business day).
    public var businessDays: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri]
    /// The longest window a break-glass override may be opened for.
    public var overrideMaxMinutes: Int = 60

    public init() {}

    public func ceiling(for drug: Drug) -> Int { dailyCeilingMg[drug] ?? 0 }

    /// The route's row. `validationErrors` keeps a policy without one from being used: the daemon
    /// does not start. Should one be missing anyway, the strictest of every rule stands in (the
    /// unit must come back, by the shortest deadline, after the longest observation), never a
    /// guess that lets a unit go unaccounted for.
    public func routePolicy(for route: Route) -> RoutePolicy {
        routes[route] ?? RoutePolicy(rule: .return, deadlineMinutes: routes.values.map(\.deadlineMinutes).min() ?? 30,
                                     observationMinutes: routes.values.map(\.observationMinutes).max() ?? 15)
    }

    /// How long the patient is observed after a dose by `route`. A release whose route is not
    /// known gets the longest observation of any route (never the shorter guess).
    public func observationMinutes(for route: Route?) -> Int {
        guard let route else { return Route.allCases.map { observationMinutes(for: $0) }.max() ?? 0 }
        return routePolicy(for: route).observationMinutes
    }

    public func closeOutPolicy(for route: Route) -> CloseOutPolicy { routePolicy(for: route).closeOut }

    /// The window containing `moment`, by index.
    public func windowIndex(at moment: Moment) -> Int? {
        let minute = calendar.minuteOfDay(moment)
        return windows.firstIndex { $0.contains(minute: minute) }
    }

    /// Problems with the configuration itself (bad config must stop the daemon, not be guessed at).
    /// The shortest time from one count time to the next, across midnight too (nil: no count times).
    public var shortestCountGapMinutes: Int? {
        let times = Set(countTimes).sorted()
        guard let first = times.first, let last = times.last else { return nil }
        return (zip(times, times.dropFirst()).map { $1 - $0 } + [first + 1440 - last]).min()
    }

    public func validationErrors() -> [String] {
        var errors: [String] = []
        for drug in Drug.allCases where ceiling(for: drug) <= 0 {
            errors.append("daily ceiling for \(drug.rawValue) must be positive")
        }
        if windows.isEmpty { errors.append("at least one dosing window is required") }
        for w in windows where !(0...1440).contains(w.startMinute) || !(0...1440).contains(w.endMinute) || w.startMinute >= w.endMinute {
            errors.append("dosing window '\(w.name)' must satisfy 00:00 <= start < end <= 24:00")
        }
        let sorted = windows.sorted { $0.startMinute < $1.startMinute }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.endMinute > b.startMinute {
            errors.append("dosing windows '\(a.name)' and '\(b.name)' overlap")
        }
        if !(0...100).contains(titrationMaxPercentOfPreviousDay) { errors.append("titration percentage must be 0-100") }
        if missedDaysReauthorise < 1 || missedDaysRetitrate < missedDaysReauthorise {
            errors.append("missed-dose days must satisfy 1 <= reauthorise <= retitrate")
        }
        if pinAttemptsBeforeLockout < 1 { errors.append("PIN attempts before lockout must be at least 1") }
        if unlockWindowSeconds < 1 || unlockWindowSeconds > 120 { errors.append("unlock window must be 1-120 s") }
        if minIntervalMinutes < 0 { errors.append("durations must not be negative") }
        for route in Route.allCases where routes[route] == nil {
            errors.append("route \(route.rawValue) has no entry in the route table: configure [close-out.\(route.rawValue)] with rule, deadline-minutes and observation-minutes")
        }
        for (route, r) in routes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if r.deadlineMinutes < 1 { errors.append("close-out deadline for \(route.rawValue) must be at least 1 minute") }
            if r.observationMinutes < 0 { errors.append("observation time for \(route.rawValue) must not be negative") }
        }
        if countTimes.contains(where: { !(0..<1440).contains($0) }) { errors.append("count times must be within the day (00:00-23:59)") }
        if countGraceMinutes < 1 { errors.append("count grace must be at least 1 minute") }
        // A count becomes overdue only when its grace ends before the next count is due: with a
        // grace as long as the gap, the next due time replaces it first and no count is ever
        // reported overdue.
        if let gap = shortestCountGapMinutes, countGraceMinutes >= gap {
            errors.append("count-grace-minutes (\(countGraceMinutes)) must be shorter than the shortest gap between count-times (\(gap) min): a count would still be in its grace when the next one is due")
        }
        if businessDays.isEmpty { errors.append("at least one business day is required") }
        if !(1...1440).contains(overrideMaxMinutes) { errors.append("override window must be 1-1440 minutes") }
        return errors
    }
}
