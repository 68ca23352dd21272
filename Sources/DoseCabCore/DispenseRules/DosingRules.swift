/// Doses are given inside the clinic's dosing windows, one per window and drug.
public struct DosingWindowRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let policy = dose.policy
        if let window = policy.windowIndex(at: dose.now) {
            guard dose.todays.contains(where: { policy.windowIndex(at: $0.at) == window }) else { return [] }
            return [Refusal(.alreadyDosedThisWindow, "\(dose.drug.rawValue) already released in the \(policy.windows[window].name) window")]
        }
        let names = policy.windows.map { "\($0.name) \(DispensePolicy.hhmm($0.startMinute))-\(DispensePolicy.hhmm($0.endMinute))" }
            .joined(separator: ", ")
        return [Refusal(.outsideWindow,
                        "\(DispensePolicy.hhmm(policy.calendar.minuteOfDay(dose.now))) is outside the dosing windows (\(names))")]
    }
}

/// At most the prescription's sessions a day.
public struct SessionLimitRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let limit = dose.prescription.maxSessionsPerDay
        return dose.todays.count >= limit ? [Refusal(.sessionLimit, "\(dose.todays.count) of \(limit) sessions used today")] : []
    }
}

/// The interval since the last dose of the drug, on the clock that cannot be set back.
public struct MinimumIntervalRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let interval = Int64(dose.prescription.minIntervalMinutes ?? dose.policy.minIntervalMinutes)
        guard let last = dose.releasesOfDrug.max(by: { $0.at < $1.at }) else { return [] }
        let elapsed = dose.now.millisSince(last.at)
        guard elapsed < interval * 60_000 else { return [] }
        return [Refusal(.tooSoon, "\(max(0, elapsed) / 60_000) min since the last dose; at least \(interval) min required")]
    }
}

/// The clinic's daily ceiling of the drug.
public struct DailyCeilingRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let taken = dose.todays.reduce(0) { $0 + $1.doseMg }
        let ceiling = dose.policy.ceiling(for: dose.drug)
        guard taken + dose.doseMg > ceiling else { return [] }
        return [Refusal(.dailyCeiling, "\(taken) mg + \(dose.doseMg) mg exceeds the daily ceiling of \(ceiling) mg \(dose.drug.rawValue)")]
    }
}

/// While titrating, a single dose is at most a fraction of the previous day's total.
public struct TitrationRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        guard dose.prescription.titrating else { return [] }
        let calendar = dose.policy.calendar
        let yesterday = dose.releasesOfDrug.filter { calendar.day(of: $0.at) == dose.today - 1 }.reduce(0) { $0 + $1.doseMg }
        let percent = dose.policy.titrationMaxPercentOfPreviousDay
        guard yesterday > 0, dose.doseMg > yesterday * percent / 100 else { return [] }
        return [Refusal(.titrationLimit, "\(dose.doseMg) mg exceeds \(percent)% of yesterday's \(yesterday) mg")]
    }
}

/// The post-dose observation has ended: by itself when its route's time has run out, or early
/// when staff ended it (badge + PIN and a reason).
public struct ObservationRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        ClinicalRules.runningObservation(dose.context.history, now: dose.now, policy: dose.policy)
            .map { [Refusal(.observationNotFinished, $0.description(at: dose.now))] } ?? []
    }
}

/// Missed doses: tolerance falls, and the usual dose can kill. After a few days a clinician
/// re-authorises; after more, a re-titrating prescription written after the gap is needed too.
public struct MissedDoseRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let history = dose.context.history, policy = dose.policy
        guard let last = history.lastReleaseAt, let missed = ClinicalRules.missedDays(history, now: dose.now, policy: policy) else {
            return []
        }
        let reauthorised = ClinicalRules.reauthorised(history)
        if missed >= Int64(policy.missedDaysRetitrate) {
            // Re-titration means a prescription written after the gap, marked titrating. Under
            // an override that is the real prescription (none: not re-titrated), never the
            // stand-in, which always starts today.
            let written: Prescription? = dose.override == nil ? dose.prescription : dose.basis
            let rewritten = (written?.titrating ?? false)
                && (written?.validDays.map { $0.lowerBound > policy.calendar.day(of: last) } ?? false)
            guard !rewritten || !reauthorised else { return [] }
            return [Refusal(.missedDoseRetitration,
                            "\(missed) days without a dose: a re-titrating prescription and a clinician's re-authorisation are required")]
        }
        guard missed >= Int64(policy.missedDaysReauthorise), !reauthorised else { return [] }
        return [Refusal(.missedDoseReauthorisation, "\(missed) days without a dose: a clinician must re-authorise")]
    }
}

/// The dose can be made from the units in stock (`DispensePolicy.unitPlan`).
public struct UnitsInStockRule: DoseRule {
    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        let route = dose.prescription.route
        guard DispensePolicy.unitPlan(dose: dose.doseMg, drug: dose.drug, route: route, stock: dose.context.stock) == nil else {
            return []
        }
        return [Refusal(.noStock, "no \(route.rawValue) \(dose.drug.rawValue) in stock for \(dose.doseMg) mg")]
    }
}
