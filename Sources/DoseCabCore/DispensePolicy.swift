/// Every rule a release, a clinical decision, a stock or staff action or a late entry can fail (ARCHITECTURE
/// §3 step 3, §4a): the cabinet's one refusal vocabulary. Raw values go into the register, the
/// journal's DOSECAB_REASON, control replies and the CLI.
public enum RefusalReason: String, Hashable, Sendable, Codable, CaseIterable {
    case unknownCard = "unknown-card"
    case wrongPIN = "wrong-pin"
    case pinLockout = "pin-lockout"
    case noStaffWitness = "no-staff-witness"
    case witnessIsPatient = "witness-is-patient"
    case noIntoxicationAttestation = "no-intoxication-attestation"
    case noValidPrescription = "no-valid-prescription"
    case outsideWindow = "outside-window"
    case tooSoon = "too-soon"
    case dailyCeiling = "daily-ceiling"
    case titrationLimit = "titration-limit"
    case alreadyDosedThisWindow = "already-dosed-this-window"
    case sessionLimit = "session-limit"
    case observationNotFinished = "observation-not-finished"
    case hold = "hold"
    case missedDoseReauthorisation = "missed-dose-reauthorisation"
    case missedDoseRetitration = "missed-dose-retitration"
    case lockdown = "lockdown"
    case noStock = "no-stock"
    case clockUnsynchronised = "clock-unsynchronised"
    case clockBehindLedger = "clock-behind-ledger"
    case journalUnavailable = "journal-unavailable"
    case storeUnavailable = "store-unavailable"
    case releaseInProgress = "release-in-progress"
    /// An open discrepancy freezes releases of its drug (or of the whole cabinet).
    case discrepancyFreeze = "discrepancy-freeze"
    /// A blind count is open: stock does not move until it is entered or cancelled.
    case countInProgress = "count-in-progress"
    /// A witnessed close-out of a unit whose release still owes residue: the residue is wasted
    /// with a witness first (ARCHITECTURE §4a), so the register shows where every milligram went.
    case residueNotWasted = "residue-not-wasted"

    // Clinical decisions (`ClinicalRules`): ending an observation early, re-authorising.
    /// Ending observation early, but none is running for the patient.
    case noObservationRunning = "no-observation-running"
    /// The staff member's role may not make this decision.
    case roleNotAllowed = "role-not-allowed"
    /// The staff member is the patient (§4a: nobody decides about their own treatment).
    case ownRecord = "own-record"
    /// Every clinical decision says why.
    case noReason = "no-reason"
    /// Re-authorising a patient who has not missed enough days, or was re-authorised already.
    case reauthorisationNotNeeded = "reauthorisation-not-needed"

    // Stock control and two-person actions (`TwoPerson`, `StockControl`, `OverrideRules`,
    // `StaffChange`). `count-in-progress` and `no-reason` above apply to them too.

    /// A two-person action named the same person twice.
    case samePerson = "same-person"
    /// One of the two is the person the action is about (staff enrolment, a link, a patient's own record).
    case isSubject = "is-subject"
    /// A two-person action where neither person has the role it needs.
    case needsAdmin = "needs-admin"
    /// A staff change that would leave the cabinet with no admin: nobody could grant admin,
    /// lift a lockdown or review an override again.
    case lastAdmin = "last-admin"
    case missingBatch = "missing-batch"
    case badExpiry = "bad-expiry"
    /// Stock past its expiry date cannot be loaded.
    case expired
    case badUnit = "bad-unit"
    case badQuantity = "bad-quantity"
    case wasteShape = "waste-shape"
    /// A count already open, or none open.
    case countOpen = "count-open"
    case countNotOpen = "count-not-open"
    case releaseOpen = "release-open"
    /// The count was entered by others than the two who started it.
    case notTheCounters = "not-the-counters"
    case countIncomplete = "count-incomplete"
    case unknownKind = "unknown-kind"
    case discrepancyNotOpen = "discrepancy-not-open"
    /// A kind with an open discrepancy is not counted again until it is resolved.
    case discrepancyOpen = "discrepancy-open"
    /// A loss write-off must name exactly the missing units, of the discrepancy's kind, in stock.
    case writeOffMismatch = "write-off-mismatch"
    case overrideWindow = "override-window"
    case overrideShape = "override-shape"
    case overrideNotOpen = "override-not-open"
    case overrideStillOpen = "override-still-open"
    case alreadyReviewed = "already-reviewed"
    /// The admin who reviews an override must not be one of the two who opened it.
    case reviewerOpened = "reviewer-opened"

    // Late entries after a mechanical-key opening (`DowntimeRules`). `same-person`,
    // `is-subject`, `no-valid-prescription` and `count-in-progress` apply to them too.

    /// No mechanical-key opening awaits a late entry.
    case noDowntime = "no-downtime"
    /// The time given is not inside the downtime.
    case outsideDowntime = "outside-downtime"
    case noUnits = "no-units"
    /// A unit is not in stock (unknown, issued before, wasted, lost).
    case unitNotInStock = "unit-not-in-stock"
    /// The units are not all of the prescription's drug and route, or not of one strength.
    case unitMismatch = "unit-mismatch"
    /// `consumed` is a witnessed close-out; the route closes out by return.
    case wrongCloseOut = "wrong-close-out"
    case noNote = "no-note"
    /// The lockdown of a mechanical-key opening stays until its late entry is closed.
    case lateEntryOwed = "late-entry-owed"
}

/// One failed rule and the figures behind it, for the counter and the register.
public struct Refusal: Hashable, Sendable, Codable, CustomStringConvertible {
    public var reason: RefusalReason
    public var detail: String

    public init(_ reason: RefusalReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

/// How the patient's identity was checked (a controlled-drug register records it).
public struct IdentityCheck: Hashable, Sendable, Codable {
    public var cardPresented: Bool
    public var pinVerified: Bool

    public init(cardPresented: Bool, pinVerified: Bool) {
        self.cardPresented = cardPresented
        self.pinVerified = pinVerified
    }

    public var method: String {
        switch (cardPresented, pinVerified) {
        case (true, true): "card+PIN"
        case (true, false): "card only (PIN not verified)"
        default: "none"
        }
    }
}

/// A release already on the ledger, as the policy needs it.
public struct PastRelease: Hashable, Sendable, Codable {
    public var id: ReleaseID
    public var drug: Drug
    public var doseMg: Int
    public var at: Moment
    /// The route it was given by: it sets the post-dose observation time. Nil when not known
    /// (then the longest observation time of any route applies).
    public var route: Route?

    public init(id: ReleaseID, drug: Drug, doseMg: Int, at: Moment, route: Route? = nil) {
        self.id = id
        self.drug = drug
        self.doseMg = doseMg
        self.at = at
        self.route = route
    }
}

/// The patient's recent record, read from the ledger by the daemon.
public struct PatientHistory: Hashable, Sendable, Codable {
    /// Releases of at least the last `missedDaysRetitrate + 1` days, any order.
    public var recentReleases: [PastRelease]
    /// Time of the last release ever (may be older than `recentReleases`).
    public var lastReleaseAt: Moment?
    /// A clinician's re-authorisation after missed doses.
    public var reauthorisedAt: Moment?
    /// Staff ended the post-dose observation early (badge + PIN and a reason).
    public var observationClearedAt: Moment?
    /// Open hold reason, if any.
    public var hold: String?

    public init(recentReleases: [PastRelease] = [], lastReleaseAt: Moment? = nil, reauthorisedAt: Moment? = nil,
                observationClearedAt: Moment? = nil, hold: String? = nil) {
        self.recentReleases = recentReleases
        self.lastReleaseAt = lastReleaseAt ?? recentReleases.max(by: { $0.at < $1.at })?.at
        self.reauthorisedAt = reauthorisedAt
        self.observationClearedAt = observationClearedAt
        self.hold = hold
    }
}

/// Units in stock of one kind (the daemon counts them from the store).
public struct StockLevel: Hashable, Sendable, Codable {
    public var drug: Drug
    public var route: Route
    public var strengthMg: Int
    public var count: Int

    public init(drug: Drug, route: Route, strengthMg: Int, count: Int) {
        self.drug = drug
        self.route = route
        self.strengthMg = strengthMg
        self.count = count
    }
}

/// Everything the decision depends on besides the request: read by the daemon, passed in.
public struct DispenseContext: Hashable, Sendable {
    public var now: Moment
    public var policy: ClinicPolicy
    /// The patient's prescriptions in force (already signature-verified and current version).
    public var prescriptions: [Prescription]
    public var history: PatientHistory
    public var stock: [StockLevel]
    public var lockdown: Bool
    public var clockSynchronised: Bool
    /// Wall time of the newest ledger record: the clock must not be behind it.
    public var newestLedgerWallMillis: Int64?
    public var journalHealthy: Bool
    public var storeHealthy: Bool
    /// Open discrepancies: they freeze releases (`policy.freezeScope`).
    public var openDiscrepancies: [Discrepancy]
    /// A usable break-glass override for this patient: it stands in for the prescription only.
    public var override: Override?
    /// The blind count in progress, if any: no release until it is entered or cancelled.
    public var openCount: CountSheet?

    public init(now: Moment, policy: ClinicPolicy, prescriptions: [Prescription], history: PatientHistory,
                stock: [StockLevel], lockdown: Bool = false, clockSynchronised: Bool = true,
                newestLedgerWallMillis: Int64? = nil, journalHealthy: Bool = true, storeHealthy: Bool = true,
                openDiscrepancies: [Discrepancy] = [], override: Override? = nil, openCount: CountSheet? = nil) {
        self.openCount = openCount
        self.openDiscrepancies = openDiscrepancies
        self.override = override
        self.now = now
        self.policy = policy
        self.prescriptions = prescriptions
        self.history = history
        self.stock = stock
        self.lockdown = lockdown
        self.clockSynchronised = clockSynchronised
        self.newestLedgerWallMillis = newestLedgerWallMillis
        self.journalHealthy = journalHealthy
        self.storeHealthy = storeHealthy
    }
}

/// Who asks for what.
public struct DispenseRequest: Hashable, Sendable, Codable {
    public var patient: PatientID
    public var identity: IdentityCheck
    /// The staff member whose session is open at the counter.
    public var witness: StaffID?
    /// The witness is the same person as the patient (badge of a staff member who is a patient).
    public var witnessIsPatient: Bool
    /// The witness attested the patient is not visibly intoxicated (nil: not asked / not given).
    public var notIntoxicatedAttested: Bool
    /// The drug asked for; nil = the patient's only prescribed drug.
    public var drug: Drug?
    /// The dose chosen at the counter (its prescription or override, drug, route and dose as
    /// offered); nil = the only dose in force (of `drug`, if given).
    public var choice: DoseChoice? {
        didSet { if let choice { drug = choice.drug } }
    }

    public init(patient: PatientID, identity: IdentityCheck, witness: StaffID?, witnessIsPatient: Bool = false,
                notIntoxicatedAttested: Bool, drug: Drug? = nil, choice: DoseChoice? = nil) {
        self.patient = patient
        self.identity = identity
        self.witness = witness
        self.witnessIsPatient = witnessIsPatient
        self.notIntoxicatedAttested = notIntoxicatedAttested
        self.drug = choice?.drug ?? drug
        self.choice = choice
    }
}

/// What a release hands out and what a controlled-drug register needs to record about it
/// (US 21 CFR 1304.24, UK MDR 2001 reg 19, German BtMVV §13).
public struct ReleasePlan: Hashable, Sendable, Codable {
    public var at: Moment
    public var patient: PatientID
    public var identityMethod: String
    public var prescriptionID: String
    public var prescriptionVersion: Int
    public var prescriber: String
    public var drug: Drug
    public var route: Route
    public var doseMg: Int
    /// Strength of each unit to take, and how many.
    public var unitStrengthMg: Int
    public var unitCount: Int
    /// Milligrams drawn but not given: a witnessed waste record is due before close-out.
    public var residueMg: Int
    public var staff: StaffID
    public var witness: StaffID
    public var closeOut: CloseOutPolicy
    /// The break-glass override this release is made under, instead of a prescription.
    public var overrideID: String?
    /// How long the patient is observed after this dose (its route's time): the observation ends
    /// by itself this many minutes after `at`. On the release's audit record; nil on plans read
    /// back from the store and on late entries.
    public var observationMinutes: Int?

    public init(at: Moment, patient: PatientID, identityMethod: String, prescriptionID: String, prescriptionVersion: Int,
                prescriber: String, drug: Drug, route: Route, doseMg: Int, unitStrengthMg: Int, unitCount: Int,
                residueMg: Int, staff: StaffID, witness: StaffID, closeOut: CloseOutPolicy, overrideID: String? = nil,
                observationMinutes: Int? = nil) {
        self.overrideID = overrideID
        self.observationMinutes = observationMinutes
        self.at = at
        self.patient = patient
        self.identityMethod = identityMethod
        self.prescriptionID = prescriptionID
        self.prescriptionVersion = prescriptionVersion
        self.prescriber = prescriber
        self.drug = drug
        self.route = route
        self.doseMg = doseMg
        self.unitStrengthMg = unitStrengthMg
        self.unitCount = unitCount
        self.residueMg = residueMg
        self.staff = staff
        self.witness = witness
        self.closeOut = closeOut
    }
}

public enum DispenseDecision: Hashable, Sendable {
    case release(ReleasePlan)
    /// Every failed rule, never just the first.
    case refused([Refusal])

    public var refusals: [Refusal] {
        if case .refused(let r) = self { return r }
        return []
    }
}

/// "May this dose be released now?" — runs every rule and returns all failures (modelled on
/// swift-certificates' VerifierPolicy: a result carrying every reason). Each rule is a unit of
/// its own in `DispenseRules/`; this type only resolves the dose in force and composes them.
public enum DispensePolicy {
    /// Rules judged on every request, in the order their refusals are listed.
    public static let requestRules: [any RequestRule] = [
        PatientIdentityRule(), StaffWitnessRule(), IntoxicationAttestationRule(),
        LockdownRule(), ClockRule(), RecordingRule(), HoldRule(), BlindCountRule(), DiscrepancyFreezeRule(),
    ]

    /// Rules judged on the one dose in force, after the request rules.
    public static let doseRules: [any DoseRule] = [
        DiscrepancyFreezeRule(), DosingWindowRule(), SessionLimitRule(), MinimumIntervalRule(), DailyCeilingRule(),
        TitrationRule(), ObservationRule(), MissedDoseRule(), UnitsInStockRule(),
    ]

    /// The decision on `request` by every registered rule: every refusal, or the release's plan.
    public static func decide(_ request: DispenseRequest, _ context: DispenseContext) -> DispenseDecision {
        decide(request, context, requestRules: requestRules, doseRules: doseRules)
    }

    /// `decide` with other rule lists: for tests of the composition only (not public, so no
    /// caller can leave a rule out).
    static func decide(_ request: DispenseRequest, _ context: DispenseContext,
                       requestRules: [any RequestRule], doseRules: [any DoseRule]) -> DispenseDecision {
        var refusals = requestRules.flatMap { $0.refusals(request, context) }
        let dose: DoseUnderReview
        switch doseInForce(request, context) {
        case .refused(let refusal): return .refused(refusals + [refusal])
        case .found(let found): dose = found
        }
        refusals += doseRules.flatMap { $0.refusals(dose) }

        let prescription = dose.prescription
        guard refusals.isEmpty, let witness = request.witness,
              let plan = unitPlan(dose: dose.doseMg, drug: dose.drug, route: prescription.route, stock: context.stock) else {
            return .refused(refusals)
        }
        return .release(ReleasePlan(
            at: context.now, patient: request.patient, identityMethod: request.identity.method,
            prescriptionID: prescription.id, prescriptionVersion: prescription.version, prescriber: prescription.prescriber,
            drug: dose.drug, route: prescription.route, doseMg: dose.doseMg, unitStrengthMg: plan.strength, unitCount: plan.count,
            residueMg: plan.strength * plan.count - dose.doseMg, staff: witness, witness: witness,
            closeOut: context.policy.closeOutPolicy(for: prescription.route), overrideID: dose.override?.id,
            observationMinutes: context.policy.observationMinutes(for: prescription.route)))
    }

    enum DoseInForce {
        case found(DoseUnderReview)
        case refused(Refusal)
    }

    /// The one dose the request means: the prescription in force today (the one chosen at the
    /// counter, if a choice was made), or a usable break-glass override standing in for it (and
    /// for nothing else). Never one picked by id or version among several the patient could
    /// mean: then the refusal says which doses are in force.
    static func doseInForce(_ request: DispenseRequest, _ context: DispenseContext) -> DoseInForce {
        let policy = context.policy, now = context.now
        let calendar = policy.calendar
        let today = calendar.day(of: now)
        var prescriptions = context.prescriptions
        let chosen = request.choice
        let override = context.override.flatMap { o in
            let asked = chosen.map { $0.override && $0.prescriptionID == o.id } ?? (request.drug == nil || request.drug == o.drug)
            return o.patient == request.patient && asked && o.usable(at: now) ? o : nil
        }
        // The real prescription whose terms (titration, interval, sessions) the override keeps.
        let basis = override.flatMap { OverrideRules.basis($0, among: context.prescriptions) }
        if let override { prescriptions = [OverrideRules.prescription(override, basis: basis, policy: policy)] }
        let candidates = prescriptions.filter { p in
            p.patient == request.patient && (request.drug == nil || p.drug == request.drug)
                && (chosen == nil || p.id == chosen?.prescriptionID)
                && (p.validDays?.contains(today) ?? false)
        }
        guard Set(candidates.map(\.id)).count == 1,
              let prescription = candidates.max(by: { $0.version < $1.version }) else {
            let what = request.drug.map { "for \($0.rawValue) " } ?? ""
            let date = calendar.dateString(day: today)
            let detail: String
            if let chosen {
                detail = "\(chosen.label) (\(chosen.override ? "override" : "prescription") \(chosen.prescriptionID)) is not in force on \(date)"
            } else if candidates.isEmpty {
                detail = "no prescription \(what)valid on \(date)"
            } else {
                let doses = DoseChoice.offered(to: request.patient, prescriptions: candidates, override: nil, today: today, at: now)
                detail = "more than one dose \(what)in force (\(doses.map(\.label).joined(separator: ", "))); choose one"
            }
            return .refused(Refusal(.noValidPrescription, detail))
        }
        if let chosen, !chosen.matches(prescription) {
            return .refused(Refusal(.noValidPrescription,
                "\(chosen.label) was offered, but \(prescription.id) version \(prescription.version) now says \(prescription.drug.rawValue) \(prescription.route.rawValue) \(prescription.doseMg) mg; choose again"))
        }
        return .found(DoseUnderReview(request: request, context: context, prescription: prescription,
                                        override: override, basis: basis))
    }

    /// Fewest units of one strength covering the dose, then least residue.
    static func unitPlan(dose: Int, drug: Drug, route: Route, stock: [StockLevel]) -> (strength: Int, count: Int)? {
        stock.filter { $0.drug == drug && $0.route == route && $0.strengthMg > 0 && $0.count > 0 }
            .compactMap { level -> (strength: Int, count: Int)? in
                let needed = (dose + level.strengthMg - 1) / level.strengthMg
                return needed <= level.count ? (level.strengthMg, needed) : nil
            }
            .min { a, b in
                let ra = a.strength * a.count - dose, rb = b.strength * b.count - dose
                return ra != rb ? ra < rb : a.count < b.count
            }
    }

    /// `HH:MM` of a minute of the day.
    public static func hhmm(_ minute: Int) -> String {
        let h = minute / 60, m = minute % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}
