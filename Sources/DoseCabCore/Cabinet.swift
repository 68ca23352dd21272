/// The cabinet's timers. Deadlines are on the boot clock; the daemon arms them and feeds
/// `.timer` back when one fires.
public enum TimerID: Hashable, Sendable, Codable {
    case pinEntry
    case staffSession
    case unlockWindow(ReleaseID)
    case doorHeldOpen(ReleaseID)
    case boltConfirm
    case closeOut(UnitSerial)
}

/// Feedback at the counter.
public enum Feedback: Hashable, Sendable {
    case accepted(String)
    case refused(String)
    case prompt(String)
    /// Buzzer and fault LED on/off.
    case alarm(Bool)
}

/// What the daemon must do, in order. The core never performs I/O (modelled on
/// async-http-client's connection-pool state machine: mutating methods return actions).
public enum CabinetEffect: Hashable, Sendable {
    /// Commit durably (store, fsync) with its audit record, then mirror to the journal.
    case commit(LedgerWrite)
    /// Write-ahead of a release (I1): commit durably and mirror to the journal, then feed
    /// `.releaseCommitted` (or `.releaseCommitFailed`). Nothing energises the lock before that.
    case commitReleaseIntent(ReleaseID, ReleasePlan)
    /// Gather the dispense context for this request and feed back `.decided`.
    case evaluate(DispenseRequest)
    /// Read the doses in force for the patient just identified (`DoseChoice.offered`) and feed
    /// back `.choices`: the counter offers each with its own key.
    case offerChoices(PatientID)
    /// Take a clinical decision keyed at the counter (`CounterClinicalStep`) with the same rules
    /// and record as the control socket's, and feed back `.clinicalDecided`.
    case clinicalDecision(ClinicalRequest)
    case energiseLock(ReleaseID)
    /// Never waits for anything (I2): the daemon runs it before any record that follows it.
    case deEnergiseLock
    case startTimer(TimerID, atBootMillis: Int64)
    case cancelTimer(TimerID)
    case feedback(Feedback)
}

/// Events into the cabinet.
public enum CabinetEvent: Hashable, Sendable {
    /// A card at the counter reader.
    case card(CardID, at: Moment)
    /// Keypad keys at the counter (digits, `*` clears, `#` enters). An entry that completes a PIN
    /// step this way is not checked: the counter asks for it again (the daemon feeds PIN entries
    /// as `.checkedKeys`).
    case keys(String, at: Moment)
    /// Keypad keys whose first `#` completes a PIN entry, with the verdict of the check the daemon
    /// ran off the actor for it (`pinCheck(forKeys:at:)`). The verdict counts only if the step
    /// still expects that entry against that hash; otherwise nothing is checked (a timed-out or
    /// changed step handles the entry as it would any; a PIN step asks for the PIN again).
    case checkedKeys(String, PINCheck.Verdict, at: Moment)
    /// The policy's answer to `.evaluate`, with the id a release would get.
    case decided(DispenseDecision, releaseID: ReleaseID, at: Moment)
    /// The daemon's answer to `.offerChoices`: the doses in force for the patient, with their keys.
    case choices(PatientID, [DoseChoice], at: Moment)
    /// The daemon's answer to `.clinicalDecision`.
    case clinicalDecided(ClinicalRequest, ClinicalOutcome, at: Moment)
    case releaseCommitted(ReleaseID, at: Moment)
    case releaseCommitFailed(ReleaseID, reason: String, at: Moment)
    case door(open: Bool, at: Moment)
    case bolt(engaged: Bool, at: Moment)
    case tamper(at: Moment)
    /// A scan on the return scanner without the beam: an issue scan. `stock` is the unit as the
    /// store knows it in stock (nil: not in stock).
    case issueScan(UnitSerial, stock: StockUnit?, at: Moment)
    /// The store refused to record the issue of `serial` that the cabinet booked (its own
    /// re-check against the stock register failed; the driver recorded the anomaly instead).
    case issueRefused(UnitSerial, detail: String, at: Moment)
    /// A scan with the beam broken: an empty unit went into the chute.
    case returned(UnitSerial, at: Moment)
    /// A witness (already identified by badge + PIN) confirms a unit was consumed.
    case confirmConsumed(UnitSerial, witness: StaffID, at: Moment)
    /// The store recorded a witnessed `residue` waste of `mg` on `release`, having checked it
    /// against what the release owes (`ResidueAccount.wasteProblems`) in the same transaction.
    case residueWasted(ReleaseID, mg: Int, at: Moment)
    /// The store booked a downtime's late entry (its units, closed out as the paper says, and the
    /// hold when units are missing): the cabinet's ledger and holds follow.
    case lateEntryBooked(LateEntry)
    case timer(TimerID, at: Moment)
    /// A hardware fault (a line could not be read or written).
    case fault(String, at: Moment)
    /// An alarm the daemon found outside the lines (e.g. the journal holds an audit record with
    /// another hash than the store's): safe, recorded, lockdown, as any alarm.
    case alarm(AlarmKind, String, at: Moment)
    case lockdown(on: Bool, reason: String, by: String, at: Moment)
    /// A clinician or admin clears a hold.
    case clearHold(PatientID, by: StaffID, reason: String, at: Moment)
    /// The roster changed (enrolment).
    case roster(Roster)
}

/// Who the cabinet knows, by card (ARCHITECTURE §4a: keyed by format, facility and number).
public struct Roster: Hashable, Sendable {
    public var patients: [CardID: Patient]
    public var staff: [CardID: Staff]
    public var staffByID: [StaffID: Staff]
    /// How the cabinet names a card it does not know (the store's keyed fingerprint): never by
    /// its number (issue 18.2).
    public var cardFingerprint: CardFingerprinter

    public init(patients: [Patient] = [], staff: [Staff] = [], cardFingerprint: CardFingerprinter = .unkeyed) {
        self.cardFingerprint = cardFingerprint
        self.patients = Dictionary(patients.map { ($0.card, $0) }, uniquingKeysWith: { a, _ in a })
        self.staff = Dictionary(staff.map { ($0.card, $0) }, uniquingKeysWith: { a, _ in a })
        self.staffByID = Dictionary(staff.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The release in progress.
public struct OpenRelease: Hashable, Sendable {
    public enum Phase: Hashable, Sendable {
        /// Lock energised, waiting for the door to open.
        case unlocked
        /// Door open, lock already de-energised (the latch holds when the door closes).
        case doorOpen
        /// Door closed, waiting for the bolt to confirm.
        case closing
    }
    public var id: ReleaseID
    public var plan: ReleasePlan
    public var phase: Phase
    public var issued: [UnitSerial]
}

/// A release the last run left in flight, as recovery found it (issue 18.7).
public struct InterruptedRelease: Hashable, Sendable {
    public var id: ReleaseID
    public var patient: PatientID
    /// Units issued on it by scan, including the scans recovery booked (issue 18.12).
    public var unitsIssued: Int
    public var unitsExpected: Int

    public init(id: ReleaseID, patient: PatientID, unitsIssued: Int, unitsExpected: Int) {
        self.id = id
        self.patient = patient
        self.unitsIssued = unitsIssued
        self.unitsExpected = unitsExpected
    }
}

/// Where the counter dialogue stands.
public enum CounterStep: Hashable, Sendable {
    case idle
    case staffPIN(Staff, expires: Int64)
    case patientPIN(Patient, expires: Int64)
    /// Patient identified; the witness attests and chooses the dose (the key of one of
    /// `Cabinet.offered`, or 1# when one dose is in force), or declines (0#).
    case attestation(Patient)
    case deciding(Patient)
    case committing(ReleaseID, ReleasePlan)
    /// A witnessed unit was scanned (§4a "Witnessed close-out"): waiting for the witness's badge.
    case witnessBadge(UnitSerial, expires: Int64)
    /// The witness badged in for the unit: waiting for their PIN, which books the consumption.
    case witnessPIN(Staff, UnitSerial, expires: Int64)
    /// A clinical step's function key was keyed for the identified patient: waiting for a
    /// reason code (`CounterClinicalStep.reasons`), or `0#` to go back to the dose choice.
    case clinicalReason(Patient, CounterClinicalStep)
    /// Reason chosen: waiting for the staff member's PIN, which asks the daemon to decide.
    case clinicalPIN(Patient, CounterClinicalStep, reason: String, Staff, expires: Int64)
    /// The daemon is deciding the clinical step (`.clinicalDecision` → `.clinicalDecided`).
    case clinicalDeciding(Patient)
}

/// The cabinet state machine (ARCHITECTURE §3 steps 1–7): events in, effects out.
public struct Cabinet: Sendable {
    public let policy: ClinicPolicy
    public private(set) var roster: Roster

    public private(set) var lockEnergised = false
    public private(set) var doorOpen = false
    public private(set) var boltEngaged = true
    public private(set) var lockdown: String?
    public private(set) var alarmActive = false
    public private(set) var staffSession: (staff: Staff, expires: Int64)?
    public private(set) var step: CounterStep = .idle
    public private(set) var release: OpenRelease?
    public private(set) var ledger: UnitLedger
    public private(set) var holds: [PatientID: String]
    /// Residue per release (§4a): every release that still owes residue, and the open release
    /// (its residue grows with each unit issued). A witnessed close-out waits until it is wasted.
    public private(set) var residue: [ReleaseID: ResidueAccount] = [:]
    /// Failed PIN entries per card, and the boot time until which the card is locked out.
    public private(set) var pinFailures: [CardID: (count: Int, lockedUntil: Int64?)] = [:]
    /// Wrong PINs over the control socket per Unix account (`AccountPINBudget`).
    public private(set) var accountPINs: AccountPINBudget
    /// The interrupted release a door found open at start belongs to, while that door stays
    /// open: its `doorHeldOpen` timer runs as for a door opened during a release (issue 18.7).
    public private(set) var doorFoundOpen: ReleaseID?
    /// The doses offered to the patient at the counter, with their keys (`DoseChoice`).
    public private(set) var offered: [DoseChoice] = []
    /// The dose asked for by the request being decided: a refusal names it.
    var asked: DoseChoice?
    var keyBuffer = ""

    public init(policy: ClinicPolicy, roster: Roster, ledger: UnitLedger? = nil,
                holds: [PatientID: String] = [:], lockdown: String? = nil, residueOwed: [ResidueAccount] = []) {
        self.policy = policy
        self.roster = roster
        self.ledger = ledger ?? UnitLedger(calendar: policy.calendar)
        self.holds = holds
        self.lockdown = lockdown
        accountPINs = AccountPINBudget(policy: policy)
        for account in residueOwed where account.owedMg > 0 { residue[account.release] = account }
    }

    /// Start (and restart after a crash): the lock goes safe before anything else (I2); open
    /// units resume their deadlines; a door found open is attached to an interrupted release
    /// if there is one, otherwise it was opened while we were down: alarm and lockdown.
    ///
    /// After a crash mid-release (issue 18.7): an interrupted release with fewer units scanned
    /// than planned puts its patient on hold, by the same rule as a count mismatch at count-back
    /// (`holdIfUnitsShort`); a door found open on an interrupted release is timed like a door
    /// held open during a release, and alarmed when it stays open past the limit.
    /// `recoveredUnits` are the scans recovery booked for the interrupted release (issue 18.12):
    /// the store holds them already, the cabinet's ledger catches up here.
    public mutating func start(doorOpen: Bool, boltEngaged: Bool, interrupted: [InterruptedRelease],
                               recoveredUnits: [IssuedUnit] = [], at now: Moment) -> [CabinetEffect] {
        var fx: [CabinetEffect] = [.deEnergiseLock]
        lockEnergised = false
        self.doorOpen = doorOpen
        self.boltEngaged = boltEngaged
        for unit in recoveredUnits { _ = ledger.issue(unit) }
        for unit in ledger.openUnits {
            fx.append(.startTimer(.closeOut(unit.serial), atBootMillis: deadlineOnThisBoot(unit.deadline, now)))
        }
        for r in interrupted {
            fx += holdIfUnitsShort(r.id, r.patient, issued: r.unitsIssued, expected: r.unitsExpected, "interrupted", at: now) ?? []
        }
        if doorOpen, let r = interrupted.last {
            doorFoundOpen = r.id
            fx.append(.startTimer(.doorHeldOpen(r.id), atBootMillis: now.bootMillis + Int64(policy.doorOpenMaxSeconds) * 1000))
        } else if doorOpen {
            fx += raiseAlarm(.mechanicalKey, "door found open at start with no release in flight", at: now)
        } else if !boltEngaged {
            fx += raiseAlarm(.boltDisagreement, "bolt not engaged at start with the door closed", at: now)
        }
        return fx
    }

    /// A deadline stored on an earlier boot, moved onto this boot's clock by wall time.
    func deadlineOnThisBoot(_ deadline: Moment, _ now: Moment) -> Int64 {
        if deadline.bootID == now.bootID { return deadline.bootMillis }
        return now.bootMillis + max(0, deadline.wallMillis - now.wallMillis)
    }

    public mutating func handle(_ event: CabinetEvent) -> [CabinetEffect] {
        switch event {
        case .card(let card, let at): return onCard(card, at)
        case .keys(let keys, let at): return onKeys(keys, at, verdict: nil)
        case .checkedKeys(let keys, let verdict, let at): return onKeys(keys, at, verdict: verdict)
        case .decided(let decision, let id, let at): return onDecided(decision, id, at)
        case .choices(let patient, let doses, _): return onChoices(patient, doses)
        case .clinicalDecided(let request, let outcome, let at): return onClinicalDecided(request, outcome, at)
        case .releaseCommitted(let id, let at): return onCommitted(id, at)
        case .releaseCommitFailed(let id, let reason, let at): return onCommitFailed(id, reason, at)
        case .door(let open, let at): return onDoor(open, at)
        case .bolt(let engaged, let at): return onBolt(engaged, at)
        case .tamper(let at): return raiseAlarm(.tamper, "cabinet case opened", at: at)
        case .issueScan(let serial, let stock, let at): return onIssueScan(serial, stock, at)
        case .issueRefused(let serial, let detail, _): return onIssueRefused(serial, detail)
        case .returned(let serial, let at): return onReturn(serial, at)
        case .confirmConsumed(let serial, let witness, let at): return onConsumed(serial, witness, at)
        case .residueWasted(let id, let mg, _): return onResidueWasted(id, mg)
        case .lateEntryBooked(let entry): return onLateEntryBooked(entry)
        case .timer(let timer, let at): return onTimer(timer, at)
        case .fault(let what, let at): return raiseAlarm(.hardwareFault, what, at: at)
        case .alarm(let kind, let what, let at): return raiseAlarm(kind, what, at: at)
        case .lockdown(let on, let reason, let by, let at): return setLockdown(on, reason: reason, by: by, at: at)
        case .clearHold(let patient, let by, let reason, let at): return onClearHold(patient, by, reason, at)
        case .roster(let roster):
            self.roster = roster
            return []
        }
    }

    // MARK: Counter dialogue

    private func currentSession(_ at: Moment) -> Staff? {
        guard let s = staffSession, at.bootMillis < s.expires else { return nil }
        return s.staff
    }

    private mutating func refuse(_ refusals: [Refusal], patient: PatientID?, staff: StaffID?, at: Moment) -> [CabinetEffect] {
        [.commit(.refusal(patient: patient, staff: staff, refusals: refusals, at: at)),
         .feedback(.refused(refusals.map(\.description).joined(separator: "; ")))]
    }

    private func lockedOut(_ card: CardID, _ at: Moment) -> Bool {
        if let until = pinFailures[card]?.lockedUntil, at.bootMillis < until { return true }
        return false
    }

    /// Whether `card` is locked out at `at` after repeated wrong PINs. The daemon asks before it
    /// checks a PIN given over the control socket: a locked-out badge is refused unhashed.
    public func isLockedOut(_ card: CardID, at: Moment) -> Bool { lockedOut(card, at) }

    private mutating func onCard(_ card: CardID, _ at: Moment) -> [CabinetEffect] {
        keyBuffer = ""
        let session = currentSession(at)
        if let staff = roster.staff[card] {
            if lockedOut(card, at) {
                return refuse([Refusal(.pinLockout, "badge \(staff.id) locked out after repeated wrong PINs")], patient: nil, staff: staff.id, at: at)
            }
            let expires = at.bootMillis + Int64(policy.pinEntrySeconds) * 1000
            if case .witnessBadge(let serial, let e) = step, at.bootMillis < e {
                step = .witnessPIN(staff, serial, expires: expires)
                return [.startTimer(.pinEntry, atBootMillis: expires),
                        .feedback(.prompt("\(staff.id): enter PIN to confirm unit \(serial) was consumed, then #"))]
            }
            step = .staffPIN(staff, expires: expires)
            return [.startTimer(.pinEntry, atBootMillis: expires), .feedback(.prompt("\(staff.id): enter PIN, then #"))]
        }
        if let patient = roster.patients[card] {
            guard let witness = session else {
                return refuse([Refusal(.noStaffWitness, "a staff member must badge in before the patient")], patient: patient.id, staff: nil, at: at)
            }
            if lockedOut(card, at) {
                return refuse([Refusal(.pinLockout, "card locked out after repeated wrong PINs")], patient: patient.id, staff: witness.id, at: at)
            }
            if release != nil || isCommittingOrDeciding {
                return refuse([Refusal(.releaseInProgress, "another release is in progress")], patient: patient.id, staff: witness.id, at: at)
            }
            let expires = at.bootMillis + Int64(policy.pinEntrySeconds) * 1000
            step = .patientPIN(patient, expires: expires)
            return [.startTimer(.pinEntry, atBootMillis: expires), .feedback(.prompt("patient \(patient.id): enter PIN, then #"))]
        }
        return refuse([Refusal(.unknownCard, "card \(roster.cardFingerprint(card)) is not enrolled")], patient: nil, staff: session?.id, at: at)
    }

    private var isCommittingOrDeciding: Bool {
        switch step {
        case .deciding, .committing, .clinicalDeciding: true
        default: false
        }
    }

    /// `verdict` is for the first entry `keys` complete, and for no other.
    private mutating func onKeys(_ keys: String, _ at: Moment, verdict: PINCheck.Verdict?) -> [CabinetEffect] {
        var fx: [CabinetEffect] = []
        var verdict = verdict
        for key in keys {
            if key == "#" {
                let entry = keyBuffer
                keyBuffer = ""
                fx += onEntry(entry, at, verdict: verdict)
                verdict = nil
            } else {
                Self.keyIn(key, &keyBuffer)
            }
        }
        return fx
    }

    /// A key other than `#` into an entry being keyed.
    private static func keyIn(_ key: Character, _ buffer: inout String) {
        if key == "*" {
            buffer = ""
        } else if key.isNumber && buffer.count < 12 {
            // A burst of noise must not grow without bound: PINs and menu codes are short.
            buffer.append(key)
        }
    }

    /// `keys` cut after each `#`, so each piece completes at most one entry: the hash an entry is
    /// checked against can depend on the outcome of the entry before it.
    public static func keySegments(_ keys: String) -> [String] {
        var segments: [String] = []
        var current = ""
        for key in keys {
            current.append(key)
            if key == "#" {
                segments.append(current)
                current = ""
            }
        }
        if !current.isEmpty { segments.append(current) }
        return segments
    }

    /// The PIN check the first `#` in `keys` would need if they arrived at `at`: the entry it
    /// completes and the stored hash the current step checks it against. Nil when `keys` complete
    /// no entry, the step takes no PIN, or its time is up (the entry then times out unhashed).
    /// The daemon runs the check off the actor and feeds `.checkedKeys` with its verdict.
    public func pinCheck(forKeys keys: String, at: Moment) -> PINCheck? {
        var buffer = keyBuffer
        for key in keys {
            guard key == "#" else {
                Self.keyIn(key, &buffer)
                continue
            }
            return expectedPIN(at).map { PINCheck(entry: buffer, hash: $0) }
        }
        return nil
    }

    /// The hash an entry at the current step is checked against, while its time runs.
    private func expectedPIN(_ at: Moment) -> PINHash? {
        switch step {
        case .staffPIN(let staff, let expires), .witnessPIN(let staff, _, let expires),
             .clinicalPIN(_, _, _, let staff, let expires):
            at.bootMillis < expires ? staff.pin : nil
        case .patientPIN(let patient, let expires):
            at.bootMillis < expires ? patient.pin : nil
        case .idle, .attestation, .deciding, .committing, .witnessBadge, .clinicalReason, .clinicalDeciding:
            nil
        }
    }

    /// The verdict on `entry` against `hash`: nil when there is none for exactly that entry and
    /// hash (not checked, or checked for a step that has since moved on).
    private func verdict(_ entry: String, against hash: PINHash, _ verdict: PINCheck.Verdict?) -> Bool? {
        guard let verdict, verdict.check == PINCheck(entry: entry, hash: hash) else { return nil }
        return verdict.matches
    }

    /// An entry at a PIN step with no verdict for it: nothing is counted and the step stays, with
    /// its time running; the PIN is asked for again.
    private var notChecked: [CabinetEffect] {
        [.feedback(.prompt("PIN not checked: enter it again, then #"))]
    }

    /// What the card was read with must still hold when its PIN's verdict lands (the daemon
    /// checks the PIN off its actor, and the roster and the wrong-PIN counts can change
    /// meanwhile): the badge is still enrolled with the same record (role, card, PIN hash, link),
    /// and not locked out by wrong PINs given for it over the control socket. Nil when it holds;
    /// otherwise the step ends, refused (`unknown-card` or `pin-lockout`) and not counted.
    private mutating func changedMeanwhile(card: CardID, unchanged: Bool, named: String,
                                           patient: PatientID?, staff: StaffID?, at: Moment) -> [CabinetEffect]? {
        let refusal: Refusal
        if !unchanged {
            refusal = Refusal(.unknownCard, "\(named) was changed or withdrawn while its PIN was checked; present it again")
        } else if lockedOut(card, at) {
            refusal = Refusal(.pinLockout, "\(named) locked out after repeated wrong PINs while its PIN was checked")
        } else {
            return nil
        }
        step = .idle
        return [.cancelTimer(.pinEntry)] + refuse([refusal], patient: patient, staff: staff, at: at)
    }

    private mutating func changedMeanwhile(_ staff: Staff, patient: PatientID?, at: Moment) -> [CabinetEffect]? {
        changedMeanwhile(card: staff.card, unchanged: roster.staff[staff.card] == staff, named: "badge \(staff.id)",
                         patient: patient, staff: staff.id, at: at)
    }

    private mutating func changedMeanwhile(_ patient: Patient, at: Moment) -> [CabinetEffect]? {
        changedMeanwhile(card: patient.card, unchanged: roster.patients[patient.card] == patient, named: "the card of \(patient.id)",
                         patient: patient.id, staff: currentSession(at)?.id, at: at)
    }

    /// Counts one wrong PIN for `card`; the last allowed one locks the card out.
    private mutating func countPINFailure(_ card: CardID, at: Moment, what: String = "") -> Refusal {
        var entry = pinFailures[card] ?? (0, nil)
        entry.count += 1
        var refusal = Refusal(.wrongPIN, "wrong PIN\(what) (\(entry.count) of \(policy.pinAttemptsBeforeLockout))")
        if entry.count >= policy.pinAttemptsBeforeLockout {
            entry = (0, at.bootMillis + Int64(policy.pinLockoutMinutes) * 60_000)
            refusal = Refusal(.pinLockout, "wrong PIN\(what) \(policy.pinAttemptsBeforeLockout) times: card locked for \(policy.pinLockoutMinutes) min")
        }
        pinFailures[card] = entry
        return refusal
    }

    private mutating func pinFailed(_ card: CardID, patient: PatientID?, staff: StaffID?, at: Moment) -> [CabinetEffect] {
        let refusal = countPINFailure(card, at: at)
        step = .idle
        return [.cancelTimer(.pinEntry)] + refuse([refusal], patient: patient, staff: staff, at: at)
    }

    /// A staff member's badge + PIN given over the control socket for `action` by Unix account
    /// `account` (two-person stock actions, clinical decisions): the counter's rule, on the same
    /// count per card, so wrong PINs on either path add up and a lockout holds on both; and the
    /// account's own budget across all staff (`AccountPINBudget`), so one account can neither
    /// guess across the roster nor lock it out badge after badge. A refusal (`wrong-pin`,
    /// `pin-lockout`) is an audit record naming the staff member, the account and the action,
    /// never the PIN; the counter's dialogue is left as it was.
    ///
    /// `verdict` is the check of the given PIN against `staff.pin`, run by the daemon off the
    /// actor (nil when it did not run: the badge or the account was locked out). A badge or an
    /// account locked out by now is refused whatever the verdict; a verdict for another hash, or
    /// none, is refused uncounted. `current` is the staff member's record as it stands when the
    /// verdict lands (the daemon reads it again by id): one changed meanwhile (another role, card
    /// or PIN) or withdrawn is refused uncounted, so nobody acts on a record they no longer hold.
    public mutating func checkSocketPIN(_ staff: Staff, current: Staff?, verdict: PINCheck.Verdict?, action: String,
                                        account: UInt32, at: Moment) -> (refusal: Refusal?, effects: [CabinetEffect]) {
        let over = "\(action) over the control socket (uid=\(account))"
        var refusals: [Refusal]
        // Already locked out (the account or the badge): the lockout itself is on the record, and
        // this request's refusal goes into the caller's budgeted `request-refused` record, so a
        // loop of requests from a locked account cannot write a record each.
        if let refused = accountPINs.refusal(account, at: at) {
            return (Refusal(refused.reason, "\(refused.detail); \(over) for \(staff.id) refused"), [])
        } else if lockedOut(staff.card, at) {
            return (Refusal(.pinLockout, "badge \(staff.id) locked out after repeated wrong PINs; \(over) refused"), [])
        } else if current != staff {
            refusals = [Refusal(.unknownCard, "the record of staff member \(staff.id) was changed, withdrawn or unreadable when their PIN had been checked; \(over) refused")]
        } else if let verdict, verdict.check.hash == staff.pin {
            guard !verdict.matches else {
                pinFailures[staff.card] = nil
                return (nil, [])
            }
            refusals = [countPINFailure(staff.card, at: at, what: " for \(staff.id), \(over)")]
            // The account's last try: its lockout is the answer, the badge's count is on the record beside it.
            if let locked = accountPINs.charge(account, at: at) { refusals.insert(locked, at: 0) }
        } else {
            refusals = [Refusal(.wrongPIN, "PIN for \(staff.id) not checked; \(over) refused")]
        }
        return (refusals[0], [.commit(.refusal(patient: nil, staff: staff.id, refusals: refusals, at: at))])
    }

    private mutating func onEntry(_ entry: String, _ at: Moment, verdict given: PINCheck.Verdict?) -> [CabinetEffect] {
        switch step {
        case .staffPIN(let staff, let expires):
            guard at.bootMillis < expires else { step = .idle; return [.feedback(.prompt("PIN entry timed out"))] }
            if let changed = changedMeanwhile(staff, patient: nil, at: at) { return changed }
            guard let matches = verdict(entry, against: staff.pin, given) else { return notChecked }
            guard matches else {
                return pinFailed(staff.card, patient: nil, staff: staff.id, at: at)
            }
            pinFailures[staff.card] = nil
            let expiry = at.bootMillis + Int64(policy.staffSessionSeconds) * 1000
            staffSession = (staff, expiry)
            step = .idle
            return [.cancelTimer(.pinEntry), .startTimer(.staffSession, atBootMillis: expiry),
                    .feedback(.accepted("staff session open: \(staff.id) (\(staff.role.rawValue))"))]
        case .patientPIN(let patient, let expires):
            guard at.bootMillis < expires else { step = .idle; return [.feedback(.prompt("PIN entry timed out"))] }
            if let changed = changedMeanwhile(patient, at: at) { return changed }
            guard let matches = verdict(entry, against: patient.pin, given) else { return notChecked }
            guard matches else {
                return pinFailed(patient.card, patient: patient.id, staff: currentSession(at)?.id, at: at)
            }
            pinFailures[patient.card] = nil
            step = .attestation(patient)
            offered = []
            return [.cancelTimer(.pinEntry), .offerChoices(patient.id)]
        case .attestation(let patient):
            var attested = true
            var drug: Drug?
            var choice: DoseChoice?
            let drugCodes = Dictionary(uniqueKeysWithValues: Drug.allCases.map { ("1" + DoseChoice.digit($0), $0) })
            if entry == "0" {
                attested = false
            } else if let exact = offered.first(where: { $0.key == entry }) {
                choice = exact
            } else if entry == "1" && offered.count == 1 {
                choice = offered.first
            } else if let clinical = CounterClinicalStep.forKey(entry) {
                guard currentSession(at) != nil else {
                    step = .idle
                    return refuse([Refusal(.noStaffWitness, "the staff session expired")], patient: patient.id, staff: nil, at: at)
                }
                step = .clinicalReason(patient, clinical)
                return [.feedback(.prompt("\(clinical.title) for \(patient.id): key the reason: \(clinical.reasonPrompt); 0# back"))]
            } else if entry == "1" && offered.isEmpty {
                // Nothing in force: the policy says why (or a break-glass override stands in).
            } else if let d = drugCodes[entry], !offered.contains(where: { $0.drug == d }) {
                drug = d  // none of this drug in force: refused, naming the drug
            } else if entry == "1" || drugCodes[entry] != nil {
                let among = offered.filter { $0.key.hasPrefix(entry) }
                return [.feedback(.prompt("witness: choose the dose: " + among.map(\.offer).joined(separator: ", ") + "; 0# intoxicated"))]
            } else {
                let keys = offered.map { "\($0.key)#" } + (offered.count > 1 ? [] : ["1#"]) + ["0#"]
                    + CounterClinicalStep.allCases.map { "\($0.key)#" }
                return [.feedback(.prompt("enter one of " + keys.joined(separator: ", ")))]
            }
            guard let witness = currentSession(at) else {
                step = .idle
                return refuse([Refusal(.noStaffWitness, "the staff session expired")], patient: patient.id, staff: nil, at: at)
            }
            step = .deciding(patient)
            asked = choice
            let witnessIsPatient = PeopleRules.isPatient(witness, patient.id, record: patient)
            return [.evaluate(DispenseRequest(
                patient: patient.id, identity: IdentityCheck(cardPresented: true, pinVerified: true),
                witness: witness.id, witnessIsPatient: witnessIsPatient, notIntoxicatedAttested: attested, drug: drug,
                choice: choice))]
        case .witnessPIN(let staff, let serial, let expires):
            guard at.bootMillis < expires else { step = .idle; return [.feedback(.prompt("unit \(serial): witness confirmation timed out; the unit stays open"))] }
            if let changed = changedMeanwhile(staff, patient: ledger.unit(serial)?.patient, at: at) { return changed }
            guard let matches = verdict(entry, against: staff.pin, given) else { return notChecked }
            guard matches else {
                return pinFailed(staff.card, patient: ledger.unit(serial)?.patient, staff: staff.id, at: at)
            }
            pinFailures[staff.card] = nil
            step = .idle
            return [.cancelTimer(.pinEntry)] + onConsumed(serial, staff.id, at)
        case .clinicalReason(let patient, let clinical):
            if entry == "0" {
                step = .attestation(patient)
                return [.feedback(.prompt(choicePrompt(patient.id)))]
            }
            guard let reason = clinical.reason(forCode: entry) else {
                return [.feedback(.prompt("\(clinical.title): key one of \(clinical.reasonPrompt); 0# back"))]
            }
            guard let staff = currentSession(at) else {
                step = .idle
                return refuse([Refusal(.noStaffWitness, "the staff session expired")], patient: patient.id, staff: nil, at: at)
            }
            let expires = at.bootMillis + Int64(policy.pinEntrySeconds) * 1000
            step = .clinicalPIN(patient, clinical, reason: reason, staff, expires: expires)
            return [.startTimer(.pinEntry, atBootMillis: expires),
                    .feedback(.prompt("\(staff.id): enter your PIN to \(clinical.title) for \(patient.id) (\(reason)), then #"))]
        case .clinicalPIN(let patient, let clinical, let reason, let staff, let expires):
            guard at.bootMillis < expires else { step = .idle; return [.feedback(.prompt("PIN entry timed out"))] }
            if let changed = changedMeanwhile(staff, patient: patient.id, at: at) { return changed }
            guard let matches = verdict(entry, against: staff.pin, given) else { return notChecked }
            guard matches else {
                return pinFailed(staff.card, patient: patient.id, staff: staff.id, at: at)
            }
            pinFailures[staff.card] = nil
            step = .clinicalDeciding(patient)
            return [.cancelTimer(.pinEntry),
                    .clinicalDecision(ClinicalRequest(step: clinical, patient: patient.id, staff: staff, reason: reason))]
        case .idle, .deciding, .committing, .witnessBadge, .clinicalDeciding:
            return []
        }
    }

    /// The daemon decided a clinical step keyed at the counter: the patient stays identified, so
    /// the witness can go on to the dose (or to another step).
    private mutating func onClinicalDecided(_ request: ClinicalRequest, _ outcome: ClinicalOutcome, _ at: Moment) -> [CabinetEffect] {
        guard case .clinicalDeciding(let patient) = step, patient.id == request.patient else { return [] }
        step = .attestation(patient)
        var fx: [CabinetEffect] = []
        switch outcome {
        case .recorded(let text): fx = [.feedback(.accepted(text))]
        case .refused(let refusals):
            // A refusal at the counter is on the record like every other (I3).
            fx = refuse(refusals, patient: patient.id, staff: request.staff.id, at: at)
        case .failed(let reason): fx = [.feedback(.refused("\(request.step.title) not recorded: \(reason)"))]
        }
        return fx + [.feedback(.prompt(choicePrompt(patient.id)))]
    }

    /// The doses in force, for the patient still at the attestation step: the witness's prompt.
    private mutating func onChoices(_ patient: PatientID, _ doses: [DoseChoice]) -> [CabinetEffect] {
        guard case .attestation(let p) = step, p.id == patient else { return [] }
        offered = doses
        return [.feedback(.prompt(choicePrompt(patient)))]
    }

    /// The witness's prompt at the dose choice, with the clinical steps' function keys.
    private func choicePrompt(_ patient: PatientID) -> String {
        let prompt: String
        switch offered.count {
        case 0: prompt = "witness: no dose in force for \(patient) today; 1# patient not visibly intoxicated, 0# intoxicated"
        case 1: prompt = "witness: if the patient is not visibly intoxicated 1# or \(offered[0].offer); 0# intoxicated"
        default: prompt = "witness: if the patient is not visibly intoxicated, choose the dose: "
            + offered.map(\.offer).joined(separator: ", ") + "; 0# intoxicated"
        }
        return prompt + "; " + CounterClinicalStep.allCases.map { "\($0.key)# \($0.title)" }.joined(separator: ", ")
    }

    private mutating func onDecided(_ decision: DispenseDecision, _ id: ReleaseID, _ at: Moment) -> [CabinetEffect] {
        guard case .deciding(let patient) = step else { return [] }
        let witness = currentSession(at)
        let choice = asked
        asked = nil
        switch decision {
        case .refused(let refusals):
            step = .idle
            guard let choice else { return refuse(refusals, patient: patient.id, staff: witness?.id, at: at) }
            // Which dose is not available, and why: in the record and at the counter.
            let named = refusals.map { Refusal($0.reason, "\(choice.label) (\(choice.prescriptionID)): \($0.detail)") }
            return [.commit(.refusal(patient: patient.id, staff: witness?.id, refusals: named, at: at)),
                    .feedback(.refused("\(choice.offer) not available: " + refusals.map(\.description).joined(separator: "; ")))]
        case .release(let plan):
            // Belt and braces: the core re-checks the conditions it owns itself.
            var extra: [Refusal] = []
            if let lockdown { extra.append(Refusal(.lockdown, "the cabinet is in lockdown: \(lockdown)")) }
            if let hold = holds[patient.id] { extra.append(Refusal(.hold, "patient on hold: \(hold)")) }
            if witness == nil { extra.append(Refusal(.noStaffWitness, "the staff session expired")) }
            if release != nil { extra.append(Refusal(.releaseInProgress, "another release is in progress")) }
            if plan.patient != patient.id { extra.append(Refusal(.noValidPrescription, "decision is for another patient")) }
            guard extra.isEmpty else {
                step = .idle
                return refuse(extra, patient: patient.id, staff: witness?.id, at: at)
            }
            step = .committing(id, plan)
            return [.commitReleaseIntent(id, plan)]
        }
    }

    private mutating func onCommitted(_ id: ReleaseID, _ at: Moment) -> [CabinetEffect] {
        guard case .committing(let pending, let plan) = step, pending == id else { return [] }
        step = .idle
        // Conditions may have changed while the commit ran (a forced door, a lockdown).
        if lockdown != nil || doorOpen {
            return [.commit(.releaseCompleted(id, patient: plan.patient, unitsIssued: 0, unitsExpected: plan.unitCount,
                                              outcome: "aborted: cabinet not safe to open", at: at)),
                    .feedback(.refused("release aborted: cabinet not safe to open"))]
        }
        release = OpenRelease(id: id, plan: plan, phase: .unlocked, issued: [])
        lockEnergised = true
        let expires = at.bootMillis + Int64(policy.unlockWindowSeconds) * 1000
        if let s = staffSession { staffSession = (s.staff, max(s.expires, at.bootMillis + Int64(policy.staffSessionSeconds) * 1000)) }
        return [.energiseLock(id), .startTimer(.unlockWindow(id), atBootMillis: expires),
                .feedback(.accepted("release \(id): take \(plan.unitCount) x \(plan.unitStrengthMg) mg \(plan.drug.rawValue), scan each unit"))]
    }

    private mutating func onCommitFailed(_ id: ReleaseID, _ reason: String, _ at: Moment) -> [CabinetEffect] {
        guard case .committing(let pending, let plan) = step, pending == id else { return [] }
        step = .idle
        // The refusal itself may not be storable either; the daemon reports that.
        return refuse([Refusal(.storeUnavailable, reason)], patient: plan.patient, staff: plan.witness, at: at)
    }

    // MARK: Door, bolt, alarms

    private mutating func onDoor(_ open: Bool, _ at: Moment) -> [CabinetEffect] {
        guard open != doorOpen else { return [] }
        doorOpen = open
        if open {
            guard var r = release, r.phase == .unlocked || r.phase == .closing else {
                return raiseAlarm(.forcedDoor, "door opened without a release", at: at)
            }
            r.phase = .doorOpen
            release = r
            // The lock goes safe as soon as the door is open: the latch holds once it closes.
            lockEnergised = false
            return [.deEnergiseLock, .cancelTimer(.unlockWindow(r.id)), .cancelTimer(.boltConfirm),
                    .startTimer(.doorHeldOpen(r.id), atBootMillis: at.bootMillis + Int64(policy.doorOpenMaxSeconds) * 1000)]
        }
        var fx: [CabinetEffect] = []
        if let found = doorFoundOpen {
            doorFoundOpen = nil
            fx.append(.cancelTimer(.doorHeldOpen(found)))
        }
        if var r = release, r.phase == .doorOpen {
            r.phase = .closing
            release = r
            fx.append(.cancelTimer(.doorHeldOpen(r.id)))
        }
        fx.append(.startTimer(.boltConfirm, atBootMillis: at.bootMillis + Int64(policy.boltConfirmSeconds) * 1000))
        if boltEngaged && !lockEnergised { fx += completeRelease(at) }
        return fx
    }

    private mutating func onBolt(_ engaged: Bool, _ at: Moment) -> [CabinetEffect] {
        guard engaged != boltEngaged else { return [] }
        boltEngaged = engaged
        if doorOpen { return [] }  // the bolt cannot engage while the door is open
        if engaged {
            if lockEnergised {
                return raiseAlarm(.boltDisagreement, "bolt engaged while the lock is energised", at: at)
            }
            return [.cancelTimer(.boltConfirm)] + completeRelease(at)
        }
        if !lockEnergised && release?.phase != .closing {
            return raiseAlarm(.boltDisagreement, "bolt disengaged while the lock is not energised and the door is closed", at: at)
        }
        return []
    }

    /// Door closed and bolt confirmed: the release ends with its count-back.
    private mutating func completeRelease(_ at: Moment) -> [CabinetEffect] {
        guard let r = release, r.phase == .closing else { return [] }
        release = nil
        let issued = r.issued.count
        let outcome = issued == r.plan.unitCount ? "complete" : "count-mismatch: \(issued) of \(r.plan.unitCount) units scanned"
        var fx: [CabinetEffect] = [.cancelTimer(.boltConfirm),
            .commit(.releaseCompleted(r.id, patient: r.plan.patient, unitsIssued: issued, unitsExpected: r.plan.unitCount,
                                      outcome: outcome, at: at))]
        if let hold = holdIfUnitsShort(r.id, r.plan.patient, issued: issued, expected: r.plan.unitCount, "count-mismatch", at: at) {
            fx += hold
        } else {
            fx.append(.feedback(.accepted("release \(r.id) complete")))
        }
        if let account = residue[r.id], account.owedMg > 0 {
            fx.append(.feedback(.prompt("release \(r.id): \(account.owedMg) mg residue must be wasted with a witness before close-out: \(account.instruction)")))
        }
        settleResidue(r.id)
        return fx
    }

    /// Units left the cabinet without an issue scan: they cannot be tracked back, so the patient
    /// is held. The one home of this rule: count-back at door close (`count-mismatch`) and a
    /// release a crash interrupted (`interrupted`, issue 18.7). Nil when every unit was scanned.
    private mutating func holdIfUnitsShort(_ id: ReleaseID, _ patient: PatientID, issued: Int, expected: Int, _ what: String,
                                           at: Moment) -> [CabinetEffect]? {
        guard issued < expected else { return nil }
        return placeHold(patient, "release \(id): \(what): \(issued) of \(expected) units scanned", at: at)
    }

    private mutating func raiseAlarm(_ kind: AlarmKind, _ detail: String, at: Moment) -> [CabinetEffect] {
        // Safe first: the lock is de-energised before anything is recorded (I2, §4a).
        var fx: [CabinetEffect] = [.deEnergiseLock]
        lockEnergised = false
        fx.append(.commit(.alarm(kind, detail: detail, at: at)))
        alarmActive = true
        fx.append(.feedback(.alarm(true)))
        fx += setLockdown(true, reason: "\(kind.rawValue): \(detail)", by: "dosecabd", at: at)
        return fx
    }

    private mutating func setLockdown(_ on: Bool, reason: String, by: String, at: Moment) -> [CabinetEffect] {
        if on {
            guard lockdown == nil else { return [] }
            lockdown = reason
            var fx: [CabinetEffect] = []
            if lockEnergised { fx.append(.deEnergiseLock); lockEnergised = false }
            if case .committing = step { step = .idle }
            if case .deciding = step { step = .idle }
            fx.append(.commit(.lockdown(on: true, reason: reason, by: by, at: at)))
            return fx
        }
        guard lockdown != nil else { return [] }
        lockdown = nil
        alarmActive = false
        return [.commit(.lockdown(on: false, reason: reason, by: by, at: at)), .feedback(.alarm(false))]
    }

    // MARK: Units

    /// The units were booked by the store in the same transaction as the entry; nothing here is
    /// refused (the store already checked), the cabinet only catches up with the record.
    private mutating func onLateEntryBooked(_ entry: LateEntry) -> [CabinetEffect] {
        for unit in entry.issuedUnits { _ = ledger.bookLate(unit) }
        if let reason = entry.holdReason, holds[entry.patient] == nil { holds[entry.patient] = reason }
        return []
    }

    /// The store's verdict wins (issue 19.4): a unit whose issue it refused is not open here
    /// either, so no close-out deadline, incident or hold follows from it, and the release counts
    /// it no more. The anomaly is already on the record; the counter says what to do.
    private mutating func onIssueRefused(_ serial: UnitSerial, _ detail: String) -> [CabinetEffect] {
        guard let unit = ledger.withdrawIssue(serial) else { return [] }
        if var r = release, r.id == unit.release {
            r.issued.removeAll { $0 == serial }
            release = r
            if var account = residue[r.id] {
                account.unitsIssued = r.issued.count
                residue[r.id] = account
            }
        }
        return [.cancelTimer(.closeOut(serial)),
                .feedback(.refused("unit \(serial) was not issued: the stock register refused it (\(detail)); put it back and report it"))]
    }

    private mutating func onIssueScan(_ serial: UnitSerial, _ stock: StockUnit?, _ at: Moment) -> [CabinetEffect] {
        guard var r = release, r.phase != .closing || doorOpen else {
            // No release open: the scan of an open witnessed unit names it for a witnessed
            // close-out, which only the witness's badge + PIN that follows books (§4a).
            if let unit = ledger.unit(serial), unit.state == .open, unit.rule == .witnessed {
                return witnessScan(unit, at)
            }
            return [.commit(.anomaly(.unknownSerial, serial: serial, patient: nil,
                                     detail: "issue scan with no release open", at: at)),
                    .feedback(.refused("unit \(serial): no release open"))]
        }
        let plan = r.plan
        // Lock energised but the door not yet open: no unit can have come out of this cabinet
        // for this release, so the scan is refused (issue 18.6); booking it would leave a unit
        // open on a release that the unlock window then ends with nothing issued.
        if r.phase == .unlocked && !doorOpen {
            return [.commit(.anomaly(.scanBeforeDoorOpen, serial: serial, patient: plan.patient,
                                     detail: "scanned on release \(r.id) before the door opened: not issued", at: at)),
                    .feedback(.refused("unit \(serial): the door is not open yet: open the door, then scan each unit as you take it"))]
        }
        guard let stock else {
            let kind: LedgerAnomaly = ledger.unit(serial) != nil ? .alreadyIssued : .unknownSerial
            return [.commit(.anomaly(kind, serial: serial, patient: plan.patient,
                                     detail: "scanned on release \(r.id) but not in stock", at: at)),
                    .feedback(.refused("unit \(serial) is not in stock: put it back and report it"))]
        }
        if let anomaly = StockRules.releasable(stock, today: policy.calendar.day(of: at)) {
            let why = anomaly == .expired ? "expired (\(stock.expiry ?? "no date"))" : "its batch is not recorded"
            return [.commit(.anomaly(anomaly, serial: serial, patient: plan.patient,
                                     detail: "scanned on release \(r.id) but \(why): never released", at: at)),
                    .feedback(.refused("unit \(serial) is \(why): put it back and waste it under witness"))]
        }
        let problems = UnitMatch.problems(stock.kind, wanted: plan.unitKind, taken: r.issued.count, planned: plan.unitCount)
        if !problems.isEmpty {
            return [.commit(.anomaly(.unitMismatch, serial: serial, patient: plan.patient,
                                     detail: "does not match release \(r.id): " + problems.joined(separator: "; "), at: at)),
                    .feedback(.refused("unit \(serial) does not match the release: \(problems.joined(separator: "; "))"))]
        }
        let deadline = at.advanced(byMillis: Int64(plan.closeOut.deadlineMinutes) * 60_000)
        let unit = IssuedUnit(serial: serial, release: r.id, patient: plan.patient, drug: plan.drug, route: plan.route,
                              strengthMg: stock.strengthMg, rule: plan.closeOut.rule, issuedAt: at, deadline: deadline)
        if let anomaly = ledger.issue(unit) {
            return [.commit(.anomaly(anomaly, serial: serial, patient: plan.patient, detail: "serial seen before", at: at)),
                    .feedback(.refused("unit \(serial) was seen before"))]
        }
        r.issued.append(serial)
        release = r
        var account = residue[r.id] ?? ResidueAccount(r.id, plan: plan)
        account.unitsIssued = r.issued.count
        residue[r.id] = account
        // The commit goes last: a refusal the store feeds back (`issueRefused`) then cancels the
        // timer and says REFUSED after the acceptance, not before it.
        return [.startTimer(.closeOut(serial), atBootMillis: deadline.bootMillis),
                .feedback(.accepted("unit \(serial) issued (\(r.issued.count) of \(plan.unitCount))")),
                .commit(.issue(unit))]
    }

    /// The witness scanned an open witnessed unit: ask for their badge + PIN (§4a). Refused at
    /// once while the unit's release still owes residue, so the witness is not asked for nothing.
    private mutating func witnessScan(_ unit: IssuedUnit, _ at: Moment) -> [CabinetEffect] {
        if isCommittingOrDeciding {
            return [.feedback(.refused("unit \(unit.serial): a release is being decided: scan it again afterwards"))]
        }
        if let account = residue[unit.release], account.owedMg > 0 {
            return refuse([Refusal(.residueNotWasted, "unit \(unit.serial) not closed out: \(account.refusalText)")],
                          patient: unit.patient, staff: currentSession(at)?.id, at: at)
        }
        keyBuffer = ""
        let expires = at.bootMillis + Int64(policy.pinEntrySeconds) * 1000
        step = .witnessBadge(unit.serial, expires: expires)
        return [.startTimer(.pinEntry, atBootMillis: expires),
                .feedback(.prompt("unit \(unit.serial): witness, present your badge and PIN to confirm it was consumed"))]
    }

    private mutating func onReturn(_ serial: UnitSerial, _ at: Moment) -> [CabinetEffect] {
        let present: PatientID? = {
            switch step {
            case .patientPIN(let p, _), .attestation(let p), .deciding(let p): return p.id
            default: return nil
            }
        }()
        switch ledger.bookReturn(serial, at: at) {
        case .success(let unit):
            var fx: [CabinetEffect] = [.commit(.unitReturned(serial, release: unit.release, patient: unit.patient, at: at)),
                                       .cancelTimer(.closeOut(serial)), .feedback(.accepted("unit \(serial) returned"))]
            if unit.rule == .witnessed {
                fx.insert(.commit(.anomaly(.wrongCloseOutRule, serial: serial, patient: unit.patient,
                                           detail: "returned through the chute although its close-out is witnessed", at: at)), at: 1)
            }
            if let present, present != unit.patient {
                fx.insert(.commit(.anomaly(.anotherPatientsUnit, serial: serial, patient: present,
                                           detail: "returned while \(present) was at the counter; released to \(unit.patient)", at: at)), at: 1)
            }
            // Never refused (I5): a unit that came back is booked whatever its release owes.
            return fx + residueLeftOpen(by: unit, at: at)
        case .failure(let anomaly):
            let owner = ledger.unit(serial)?.patient
            return [.commit(.anomaly(anomaly, serial: serial, patient: owner, detail: "return not booked", at: at)),
                    .feedback(.refused("unit \(serial): \(anomaly.rawValue)"))]
        }
    }

    private mutating func onConsumed(_ serial: UnitSerial, _ witness: StaffID, _ at: Moment) -> [CabinetEffect] {
        if let unit = ledger.unit(serial), let staff = roster.staffByID[witness],
           PeopleRules.isPatient(staff, unit.patient, record: roster.patients.values.first(where: { $0.id == unit.patient })) {
            return refuse([Refusal(.witnessIsPatient, "\(witness) cannot witness their own unit \(serial)")], patient: unit.patient, staff: witness, at: at)
        }
        // Residue before close-out (§4a). Only for a unit this close-out could book: a closed or
        // returnable unit keeps its own anomaly.
        if let unit = ledger.unit(serial), unit.state == .open, unit.rule == .witnessed,
           let account = residue[unit.release], account.owedMg > 0 {
            return refuse([Refusal(.residueNotWasted, "unit \(serial) not closed out: \(account.refusalText)")],
                          patient: unit.patient, staff: witness, at: at)
        }
        switch ledger.bookConsumed(serial, at: at) {
        case .success(let unit):
            return [.commit(.unitConsumed(serial, release: unit.release, patient: unit.patient, witness: witness, at: at)),
                    .cancelTimer(.closeOut(serial)), .feedback(.accepted("unit \(serial) consumed, witnessed by \(witness)"))]
        case .failure(let anomaly):
            return [.commit(.anomaly(anomaly, serial: serial, patient: ledger.unit(serial)?.patient,
                                     detail: "consumption not booked", at: at)),
                    .feedback(.refused("unit \(serial): \(anomaly.rawValue)"))]
        }
    }

    private mutating func placeHold(_ patient: PatientID, _ reason: String, at: Moment) -> [CabinetEffect] {
        guard holds[patient] == nil else { return [] }
        holds[patient] = reason
        return [.commit(.hold(patient, reason: reason, at: at)), .feedback(.refused("patient \(patient) on hold: \(reason)"))]
    }

    // MARK: Residue

    private mutating func onResidueWasted(_ id: ReleaseID, _ mg: Int) -> [CabinetEffect] {
        // The store is the authority (it refused more than was owed); an account the cabinet no
        // longer holds owes nothing here.
        guard var account = residue[id] else { return [] }
        account.wastedMg += max(0, mg)
        residue[id] = account
        settleResidue(id)
        return account.owedMg > 0 ? [.feedback(.prompt("release \(id): \(account.owedMg) mg residue still to be wasted"))]
                                  : [.feedback(.accepted("release \(id): residue wasted, its units may be closed out"))]
    }

    /// Drops the account of a release that is not open and owes nothing.
    private mutating func settleResidue(_ id: ReleaseID) {
        if release?.id != id, let account = residue[id], account.owedMg == 0 { residue[id] = nil }
    }

    /// When `unit` closed out the last open unit of a release that still owes residue: the
    /// record that makes it visible. The patient is not held: the waste is the staff's duty.
    private func residueLeftOpen(by unit: IssuedUnit, at: Moment) -> [CabinetEffect] {
        guard release?.id != unit.release, let account = residue[unit.release], account.owedMg > 0,
              !ledger.hasOpenUnits(of: unit.release) else { return [] }
        return [.commit(.residueOutstanding(account, lastUnit: unit.serial, at: at)),
                .feedback(.prompt("release \(unit.release): \(account.owedMg) mg residue still to be wasted with a witness: \(account.instruction)"))]
    }

    private mutating func onClearHold(_ patient: PatientID, _ by: StaffID, _ reason: String, _ at: Moment) -> [CabinetEffect] {
        guard holds[patient] != nil else { return [.feedback(.refused("patient \(patient) is not on hold"))] }
        guard let staff = roster.staffByID[by], staff.role.makesClinicalDecisions else {
            return [.feedback(.refused("only a clinician or admin may clear a hold"))]
        }
        guard !PeopleRules.isPatient(staff, patient, record: roster.patients.values.first(where: { $0.id == patient })) else {
            return [.feedback(.refused("nobody may clear their own hold"))]
        }
        holds[patient] = nil
        return [.commit(.holdCleared(patient, by: by, reason: reason, at: at)), .feedback(.accepted("hold on \(patient) cleared"))]
    }

    // MARK: Timers

    private mutating func onTimer(_ timer: TimerID, _ at: Moment) -> [CabinetEffect] {
        switch timer {
        case .pinEntry:
            let expires: Int64
            var witnessed: UnitSerial?
            switch step {
            case .staffPIN(_, let e), .patientPIN(_, let e), .clinicalPIN(_, _, _, _, let e): expires = e
            case .witnessBadge(let serial, let e), .witnessPIN(_, let serial, let e): expires = e; witnessed = serial
            default: return []
            }
            guard at.bootMillis >= expires else { return [] }
            step = .idle
            keyBuffer = ""
            // The unit stays open; its close-out deadline runs on.
            if let witnessed { return [.feedback(.prompt("unit \(witnessed): witness confirmation timed out; the unit stays open"))] }
            return [.feedback(.prompt("PIN entry timed out"))]
        case .staffSession:
            guard let s = staffSession, at.bootMillis >= s.expires else { return [] }
            staffSession = nil
            switch step {
            case .attestation, .clinicalReason: step = .idle
            default: break
            }
            return [.feedback(.prompt("staff session of \(s.staff.id) ended"))]
        case .unlockWindow(let id):
            guard let r = release, r.id == id, r.phase == .unlocked else { return [] }
            release = nil
            lockEnergised = false
            settleResidue(r.id)
            // What was really issued (none: scans before the door opens are refused, issue 18.6).
            return [.deEnergiseLock,
                    .commit(.releaseCompleted(id, patient: r.plan.patient, unitsIssued: r.issued.count, unitsExpected: r.plan.unitCount,
                                              outcome: "unlock window expired, door not opened", at: at)),
                    .startTimer(.boltConfirm, atBootMillis: at.bootMillis + Int64(policy.boltConfirmSeconds) * 1000)]
        case .doorHeldOpen(let id):
            if let found = doorFoundOpen, found == id, doorOpen {
                doorFoundOpen = nil
                return raiseAlarm(.doorHeldOpen, "door found open at start (release \(id) interrupted) and still open after \(policy.doorOpenMaxSeconds) s", at: at)
            }
            guard let r = release, r.id == id, r.phase == .doorOpen, doorOpen else { return [] }
            return raiseAlarm(.doorHeldOpen, "door open more than \(policy.doorOpenMaxSeconds) s during release \(id)", at: at)
        case .boltConfirm:
            guard !doorOpen, !lockEnergised, !boltEngaged else { return [] }
            var fx = raiseAlarm(.lockFault, "bolt did not engage after the door closed", at: at)
            if let r = release, r.phase == .closing {
                release = nil
                settleResidue(r.id)
                fx.append(.commit(.releaseCompleted(r.id, patient: r.plan.patient, unitsIssued: r.issued.count,
                                                    unitsExpected: r.plan.unitCount, outcome: "lock fault", at: at)))
            }
            return fx
        case .closeOut:
            var fx: [CabinetEffect] = []
            let expired = ledger.expire(now: at)
            for unit in expired {
                let reason = unit.rule == .return ? "not returned by its deadline" : "consumption not confirmed by its deadline"
                fx.append(.commit(.unitIncident(unit.serial, release: unit.release, patient: unit.patient, reason: reason, at: at)))
                fx += placeHold(unit.patient, "unit \(unit.serial) \(reason)", at: at)
            }
            // Once per release, after all of its units that expired together are incidents.
            var seen = Set<ReleaseID>()
            for unit in expired.reversed() where seen.insert(unit.release).inserted {
                fx += residueLeftOpen(by: unit, at: at)
            }
            return fx
        }
    }
}

// MARK: Wrong PINs across restarts

extension Cabinet {
    /// The wrong-PIN counts and lockouts the store kept from before a restart (issue 18.8),
    /// with lockout deadlines already on this boot's clock.
    public mutating func restorePINFailures(_ failures: [CardID: (count: Int, lockedUntil: Int64?)]) {
        pinFailures = failures
    }
}
