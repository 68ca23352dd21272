/// Every rule a release or a clinical decision can fail (ARCHITECTURE §3 step 3). Raw values go
/// into the register, the journal's DOSECAB_REASON and the CLI.
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

/// "May this dose be released now?" — evaluates every rule and returns all failures
/// (modelled on swift-certificates' VerifierPolicy: a result carrying every reason).
public enum DispensePolicy {
    public static func decide(_ request: DispenseRequest, _ context: DispenseContext) -> DispenseDecision {
        var refusals: [Refusal] = []
        let policy = context.policy
        let now = context.now
        let calendar = policy.calendar
        let today = calendar.day(of: now)

        // Identity and witness (I4).
        if !request.identity.cardPresented {
            refusals.append(Refusal(.unknownCard, "no patient card presented"))
        }
        if !request.identity.pinVerified {
            refusals.append(Refusal(.wrongPIN, "patient PIN not verified"))
        }
        if request.witness == nil {
            refusals.append(Refusal(.noStaffWitness, "no staff session open at the counter"))
        } else if request.witnessIsPatient {
            refusals.append(Refusal(.witnessIsPatient, "the witness is the patient; another staff member must witness"))
        }
        if !request.notIntoxicatedAttested {
            refusals.append(Refusal(.noIntoxicationAttestation, "the witness has not attested the patient is not visibly intoxicated"))
        }

        // Cabinet-wide conditions.
        if context.lockdown { refusals.append(Refusal(.lockdown, "the cabinet is in lockdown")) }
        if !context.clockSynchronised {
            refusals.append(Refusal(.clockUnsynchronised, "the system clock is not synchronised"))
        }
        if let newest = context.newestLedgerWallMillis, now.wallMillis < newest {
            refusals.append(Refusal(.clockBehindLedger, "the clock is \((newest - now.wallMillis) / 1000) s behind the newest ledger record"))
        }
        if !context.journalHealthy { refusals.append(Refusal(.journalUnavailable, "the journal is not accepting audit events")) }
        if !context.storeHealthy { refusals.append(Refusal(.storeUnavailable, "the store cannot commit a release")) }
        if let hold = context.history.hold { refusals.append(Refusal(.hold, "patient on hold: \(hold)")) }
        if let count = context.openCount {
            refusals.append(Refusal(.countInProgress, "blind count \(count.id) is open: releases wait until it is entered or cancelled"))
        }
        if policy.freezeScope == .cabinet,
           let freeze = DiscrepancyRules.freeze(drug: nil, open: context.openDiscrepancies, scope: .cabinet) {
            refusals.append(freeze)
        }

        // The prescription, or a break-glass override standing in for it (and for nothing else).
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
        // One prescription, never one picked by id or version among several the patient could mean.
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
            refusals.append(Refusal(.noValidPrescription, detail))
            return .refused(refusals)
        }
        if let chosen, !chosen.matches(prescription) {
            refusals.append(Refusal(.noValidPrescription,
                "\(chosen.label) was offered, but \(prescription.id) version \(prescription.version) now says \(prescription.drug.rawValue) \(prescription.route.rawValue) \(prescription.doseMg) mg; choose again"))
            return .refused(refusals)
        }
        let drug = prescription.drug
        if policy.freezeScope == .drug,
           let freeze = DiscrepancyRules.freeze(drug: drug, open: context.openDiscrepancies, scope: .drug) {
            refusals.append(freeze)
        }
        let releasesOfDrug = context.history.recentReleases.filter { $0.drug == drug }
        let todays = releasesOfDrug.filter { calendar.day(of: $0.at) == today }
        let dose = prescription.doseMg

        // Window and sessions.
        if let window = policy.windowIndex(at: now) {
            if todays.contains(where: { policy.windowIndex(at: $0.at) == window }) {
                refusals.append(Refusal(.alreadyDosedThisWindow, "\(drug.rawValue) already released in the \(policy.windows[window].name) window"))
            }
        } else {
            let names = policy.windows.map { "\($0.name) \(hhmm($0.startMinute))-\(hhmm($0.endMinute))" }.joined(separator: ", ")
            refusals.append(Refusal(.outsideWindow, "\(hhmm(calendar.minuteOfDay(now))) is outside the dosing windows (\(names))"))
        }
        if todays.count >= prescription.maxSessionsPerDay {
            refusals.append(Refusal(.sessionLimit, "\(todays.count) of \(prescription.maxSessionsPerDay) sessions used today"))
        }

        // Interval since the last dose of any drug, on the clock that cannot be set back.
        let interval = Int64(prescription.minIntervalMinutes ?? policy.minIntervalMinutes)
        if let last = context.history.recentReleases.filter({ $0.drug == drug }).max(by: { $0.at < $1.at }) {
            let elapsed = now.millisSince(last.at)
            if elapsed < interval * 60_000 {
                refusals.append(Refusal(.tooSoon, "\(max(0, elapsed) / 60_000) min since the last dose; at least \(interval) min required"))
            }
        }

        // Daily ceiling: the clinic's and the prescription's own.
        let takenToday = todays.reduce(0) { $0 + $1.doseMg }
        let ceiling = policy.ceiling(for: drug)
        if takenToday + dose > ceiling {
            refusals.append(Refusal(.dailyCeiling, "\(takenToday) mg + \(dose) mg exceeds the daily ceiling of \(ceiling) mg \(drug.rawValue)"))
        }

        // Titration: a single dose at most a fraction of the previous day's total.
        if prescription.titrating {
            let yesterday = releasesOfDrug.filter { calendar.day(of: $0.at) == today - 1 }.reduce(0) { $0 + $1.doseMg }
            let limit = yesterday * policy.titrationMaxPercentOfPreviousDay / 100
            if yesterday > 0 && dose > limit {
                refusals.append(Refusal(.titrationLimit, "\(dose) mg exceeds \(policy.titrationMaxPercentOfPreviousDay)% of yesterday's \(yesterday) mg"))
            }
        }

        // Post-dose observation: it ends by itself when its route's time has run out, or early
        // when staff end it (badge + PIN and a reason).
        if let running = ClinicalRules.runningObservation(context.history, now: now, policy: policy) {
            refusals.append(Refusal(.observationNotFinished, running.description(at: now)))
        }

        // Missed doses: tolerance falls, the usual dose can kill.
        if let last = context.history.lastReleaseAt, let missed = ClinicalRules.missedDays(context.history, now: now, policy: policy) {
            let reauthorised = ClinicalRules.reauthorised(context.history)
            if missed >= Int64(policy.missedDaysRetitrate) {
                // Re-titration means a prescription written after the gap, marked titrating. Under
                // an override that is the real prescription (none: not re-titrated), never the
                // stand-in, which always starts today.
                let written: Prescription? = override == nil ? prescription : basis
                let rewritten = (written?.titrating ?? false)
                    && (written?.validDays.map { $0.lowerBound > calendar.day(of: last) } ?? false)
                if !rewritten || !reauthorised {
                    refusals.append(Refusal(.missedDoseRetitration, "\(missed) days without a dose: a re-titrating prescription and a clinician's re-authorisation are required"))
                }
            } else if missed >= Int64(policy.missedDaysReauthorise) && !reauthorised {
                refusals.append(Refusal(.missedDoseReauthorisation, "\(missed) days without a dose: a clinician must re-authorise"))
            }
        }

        // Stock: one strength per release, fewest units, least residue.
        let plan = unitPlan(dose: dose, drug: drug, route: prescription.route, stock: context.stock)
        if plan == nil {
            refusals.append(Refusal(.noStock, "no \(prescription.route.rawValue) \(drug.rawValue) in stock for \(dose) mg"))
        }

        guard refusals.isEmpty, let plan, let witness = request.witness else { return .refused(refusals) }
        return .release(ReleasePlan(
            at: now, patient: request.patient, identityMethod: request.identity.method,
            prescriptionID: prescription.id, prescriptionVersion: prescription.version, prescriber: prescription.prescriber,
            drug: drug, route: prescription.route, doseMg: dose, unitStrengthMg: plan.strength, unitCount: plan.count,
            residueMg: plan.strength * plan.count - dose, staff: witness, witness: witness,
            closeOut: policy.closeOutPolicy(for: prescription.route), overrideID: override?.id,
            observationMinutes: policy.observationMinutes(for: prescription.route)))
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
