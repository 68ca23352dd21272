/// A clinical decision taken at the counter keypad (issue 17.1, docs/operations.md "Clinical
/// steps at the counter"): after the staff session and the patient's card + PIN, the staff member
/// keys the step's function key, then a reason code from the step's fixed list, then confirms
/// with their own PIN. The rules and the record are the daemon's `endObservation` / `reauthorise`
/// (the same calls `dosecabctl observation end` and `dosecabctl reauthorise` make), so the
/// counter and the CLI refuse and record alike.
public enum CounterClinicalStep: String, Hashable, Sendable, CaseIterable, Codable {
    /// End the patient's post-dose observation early (`8#`): nurse, clinician or admin.
    case endObservation = "end-observation"
    /// Re-authorise after missed doses (`9#`): clinician or admin.
    case reauthorise = "reauthorise"

    /// The function key (keyed with `#`) at the dose-choice step. Dose codes begin with 1 and
    /// `0` declines, so 8 and 9 can never be a dose.
    public var key: String {
        switch self {
        case .endObservation: "8"
        case .reauthorise: "9"
        }
    }

    /// What the counter calls the step.
    public var title: String {
        switch self {
        case .endObservation: "end observation early"
        case .reauthorise: "re-authorise after missed doses"
        }
    }

    /// The reasons a keypad can give, keyed `1#`, `2#`, … in this order. Built in and short: a
    /// reason that does not fit goes through `dosecabctl` with free text.
    public var reasons: [String] {
        switch self {
        case .endObservation:
            ["seen by staff: alert, breathing normally",
             "seen by staff: well, leaving the clinic",
             "seen by staff: well, next dose due now"]
        case .reauthorise:
            ["clinical review at the counter: tolerance assessed, usual dose",
             "clinical review at the counter: re-titration prescribed",
             "clinical review at the counter: see the patient's notes"]
        }
    }

    /// The reason for a keyed code (`"1"` … ), nil when the code is not in the list.
    public func reason(forCode code: String) -> String? {
        guard let n = Int(code), n >= 1, n <= reasons.count else { return nil }
        return reasons[n - 1]
    }

    /// The reason list as the counter prompts it.
    public var reasonPrompt: String {
        reasons.enumerated().map { "\($0.offset + 1)# \($0.element)" }.joined(separator: ", ")
    }

    /// The step for a function key, if `entry` is one.
    public static func forKey(_ entry: String) -> CounterClinicalStep? {
        allCases.first { $0.key == entry }
    }
}

/// A clinical decision the counter asks the daemon to take: the staff member identified by
/// their badge (the open staff session) and their PIN keyed again to confirm.
public struct ClinicalRequest: Hashable, Sendable {
    public var step: CounterClinicalStep
    public var patient: PatientID
    public var staff: Staff
    public var reason: String

    public init(step: CounterClinicalStep, patient: PatientID, staff: Staff, reason: String) {
        self.step = step
        self.patient = patient
        self.staff = staff
        self.reason = reason
    }
}

/// The daemon's answer to a `ClinicalRequest`.
public enum ClinicalOutcome: Hashable, Sendable {
    /// Recorded (audit record and journal event): what the counter shows.
    case recorded(String)
    /// Every failed rule, as `dosecabctl` reports them.
    case refused([Refusal])
    /// The store could not take the record (nothing was recorded).
    case failed(String)
}
