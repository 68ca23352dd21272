/// Clinical decisions about one patient (ARCHITECTURE §3 step 3, §4a "People and roles"): the
/// post-dose observation, which ends by itself when its route's time has run out and which staff
/// may end early with badge + PIN and a reason; and the re-authorisation after missed doses,
/// which only a clinician or admin gives. Pure rules: the daemon identifies the staff member
/// (badge + PIN, with the counter's lockout) and books the record the rules allow.

/// A post-dose observation that has not ended yet.
public struct RunningObservation: Hashable, Sendable {
    /// The release it follows (nil: the patient's last release is older than the history read).
    public var release: ReleaseID?
    /// The route of that release (nil: not known; the longest observation time applied).
    public var route: Route?
    public var startedAt: Moment
    public var minutes: Int

    public init(release: ReleaseID?, route: Route?, startedAt: Moment, minutes: Int) {
        self.release = release
        self.route = route
        self.startedAt = startedAt
        self.minutes = minutes
    }

    /// Whole minutes still to run at `now`, rounded up (at least 1 while it runs).
    public func minutesLeft(at now: Moment) -> Int64 {
        let left = Int64(minutes) * 60_000 - now.millisSince(startedAt)
        return max(1, (left + 59_999) / 60_000)
    }

    /// What the counter, the refusal record and the CLI say.
    public func description(at now: Moment) -> String {
        let what = route.map { "\($0.rawValue) dose" } ?? "dose"
        return "\(minutes) min observation after the \(what)\(release.map { " (release \($0))" } ?? "") not over: "
            + "\(minutesLeft(at: now)) min left (staff may end it early with badge + PIN and a reason)"
    }
}

public enum ClinicalRules {
    /// Longest reason accepted (it goes into the audit record and the journal).
    public static let maxReasonLength = 500

    /// The observation still running at `now`, if any: of every release in the history (and the
    /// last release ever, when older than the history read), the one whose route's observation
    /// time ends last and has not run out, unless staff ended it early after that release.
    public static func runningObservation(_ history: PatientHistory, now: Moment, policy: ClinicPolicy) -> RunningObservation? {
        var candidates = history.recentReleases.map {
            RunningObservation(release: $0.id, route: $0.route, startedAt: $0.at, minutes: policy.observationMinutes(for: $0.route))
        }
        if let last = history.lastReleaseAt, !history.recentReleases.contains(where: { $0.at == last }) {
            candidates.append(RunningObservation(release: nil, route: nil, startedAt: last, minutes: policy.observationMinutes(for: nil)))
        }
        let running = candidates.filter { o in
            let ended = history.observationClearedAt.map { $0 >= o.startedAt } ?? false
            return !ended && now.millisSince(o.startedAt) < Int64(o.minutes) * 60_000
        }
        return running.max { a, b in
            Int64(a.minutes) * 60_000 - now.millisSince(a.startedAt) < Int64(b.minutes) * 60_000 - now.millisSince(b.startedAt)
        }
    }

    /// Whole clinic days without a release between the last release and today (nil: never dosed).
    public static func missedDays(_ history: PatientHistory, now: Moment, policy: ClinicPolicy) -> Int64? {
        guard let last = history.lastReleaseAt else { return nil }
        let calendar = policy.calendar
        return calendar.day(of: now) - calendar.day(of: last) - 1
    }

    /// Whether a re-authorisation was given after the patient's last release.
    public static func reauthorised(_ history: PatientHistory) -> Bool {
        guard let last = history.lastReleaseAt, let at = history.reauthorisedAt else { return false }
        return last < at
    }

    /// Every failed rule of ending `patient`'s observation early; empty: allowed.
    public static func endObservationProblems(patient: PatientID, running: RunningObservation?, staff: Staff,
                                              reason: String, now: Moment) -> [Refusal] {
        var out = common(patient: patient, staff: staff, reason: reason, allowed: staff.role.endsObservationEarly,
                         action: "end a patient's observation early", roles: "a nurse, clinician or admin")
        if running == nil {
            out.append(Refusal(.noObservationRunning, "patient \(patient) has no post-dose observation running: nothing to end"))
        }
        return out
    }

    /// Every failed rule of re-authorising `patient` after missed doses; empty: allowed.
    public static func reauthoriseProblems(patient: PatientID, history: PatientHistory, staff: Staff, reason: String,
                                           now: Moment, policy: ClinicPolicy) -> [Refusal] {
        var out = common(patient: patient, staff: staff, reason: reason, allowed: staff.role.makesClinicalDecisions,
                         action: "re-authorise after missed doses", roles: "a clinician or admin")
        if let missed = missedDays(history, now: now, policy: policy) {
            if missed < Int64(policy.missedDaysReauthorise) {
                out.append(Refusal(.reauthorisationNotNeeded, "patient \(patient) has missed \(missed) day(s); re-authorisation is needed after \(policy.missedDaysReauthorise)"))
            } else if reauthorised(history) {
                out.append(Refusal(.reauthorisationNotNeeded, "patient \(patient) was re-authorised already after the last dose"))
            }
        } else {
            out.append(Refusal(.reauthorisationNotNeeded, "patient \(patient) has never had a dose from this cabinet: nothing was missed"))
        }
        return out
    }

    private static func common(patient: PatientID, staff: Staff, reason: String, allowed: Bool, action: String,
                               roles: String) -> [Refusal] {
        var out: [Refusal] = []
        if !allowed {
            out.append(Refusal(.roleNotAllowed, "\(staff.id) is a \(staff.role.rawValue); only \(roles) may \(action)"))
        }
        if PeopleRules.isPatient(staff, patient) {
            out.append(Refusal(.ownRecord, "\(staff.id) is patient \(patient); another staff member must decide"))
        }
        if reason.allSatisfy(\.isWhitespace) || reason.count > maxReasonLength {
            out.append(Refusal(.noReason, "a reason of 1-\(maxReasonLength) characters is required"))
        }
        return out
    }
}
