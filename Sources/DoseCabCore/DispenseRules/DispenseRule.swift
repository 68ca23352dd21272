/// One rule a release must pass (ARCHITECTURE §3 step 3), as a unit of its own: a type that
/// looks at the request and returns its refusals, every one with its figures, or none when it
/// holds. `DispensePolicy.decide` runs every registered rule and releases only when none
/// refuses (the swift-certificates `VerifierPolicy` pattern). A new rule is one file here and
/// one line in `DispensePolicy.requestRules` or `doseRules`.
///
/// A request rule needs only who asks and the state of the cabinet, so it is judged even when
/// no prescription can be found; a dose rule judges the one dose in force.
public protocol RequestRule: Sendable {
    func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal]
}

/// A rule about the dose in force for the request (see `RequestRule`).
public protocol DoseRule: Sendable {
    func refusals(_ dose: DoseUnderReview) -> [Refusal]
}

/// The one dose a request resolves to, and what the dose rules read about it.
public struct DoseUnderReview: Sendable {
    public let request: DispenseRequest
    public let context: DispenseContext
    /// The prescription in force; under a break-glass override, the override's stand-in for it.
    public let prescription: Prescription
    /// The break-glass override the dose is made under, if any.
    public let override: Override?
    /// Under an override, the real prescription whose terms (titration, interval, sessions) it keeps.
    public let basis: Prescription?
    /// The clinic day of `context.now`.
    public let today: Int64
    /// The patient's recent releases of this drug, and those of them on `today`.
    public let releasesOfDrug: [PastRelease]
    public let todays: [PastRelease]

    init(request: DispenseRequest, context: DispenseContext, prescription: Prescription, override: Override?,
         basis: Prescription?) {
        self.request = request
        self.context = context
        self.prescription = prescription
        self.override = override
        self.basis = basis
        let calendar = context.policy.calendar
        let today = calendar.day(of: context.now)
        self.today = today
        releasesOfDrug = context.history.recentReleases.filter { $0.drug == prescription.drug }
        todays = releasesOfDrug.filter { calendar.day(of: $0.at) == today }
    }

    public var policy: ClinicPolicy { context.policy }
    public var now: Moment { context.now }
    public var drug: Drug { prescription.drug }
    public var doseMg: Int { prescription.doseMg }
}
