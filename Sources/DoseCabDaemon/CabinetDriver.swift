import DoseCabCore
import DoseCabHardware
import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging

/// The one owner of the cabinet state machine. It turns line edges into cabinet events,
/// feeds them to `Cabinet`, and performs the effects in order: store (fsync) → journal
/// (queued to the journal thread) → lines. Making safe runs before any record (I2).
///
/// Effects are performed synchronously inside the actor, so no other event can interleave
/// between a write-ahead commit and the energise that depends on it.
public actor CabinetDriver {
    public let config: DaemonConfig
    let store: Store
    let journal: JournalWriter
    let lines: any CabinetLines
    let clock: DaemonClock
    /// The clock of the lines' edge timestamps, on which the input deadlines run.
    let inputClock: any InputClock
    let logger: Logger
    let simulate: Bool
    let version: String

    var cabinet: Cabinet
    /// Armed cabinet timers: boot-clock deadlines.
    var timers: [TimerID: Int64] = [:]
    var timerTask: Task<Void, Never>?
    /// The line events stopped without a shutdown (`runInputs`): the lines are not healthy.
    var inputsLost = false
    /// The pending step of a journal catch-up (`continueCatchUp`).
    var catchUpTask: Task<Void, Never>?
    /// The boot-clock deadline `timerTask` sleeps for; nil once it ran or was never armed.
    var timerArmedFor: Int64?
    var inputTask: Task<Void, Never>?
    var storeProblem: String?
    /// Writes the store could not commit (locked by another process, full, an I/O error),
    /// oldest first. They are never dropped (ARCHITECTURE §4a "Insiders"): the cabinet goes
    /// safe and into lockdown, later writes queue behind them so the chain keeps the order
    /// things happened in, and `tick` retries until the store takes them. A write that carried
    /// its caller's admin record (`Store.companion`) is held and retried with it, in one
    /// transaction (issue 18.11).
    var unrecorded: [HeldWrite] = []
    struct HeldWrite {
        var write: LedgerWrite
        var companion: LedgerWrite?
    }
    /// Set when the journal queue refused a record: later records wait for the replay, so the
    /// journal receives them in chain order and the mirror cursor stays exact.
    var mirrorBehind = false
    /// The mirror cursor last written to the store.
    var markedMirrored: Int64 = 0
    /// What the start-up read-back of the journal still has to check (see JournalReadBack).
    var readBack: JournalReadBackPlan?
    /// The chain head the periodic check last verified (CabinetDriver+ChainCheck); nil before start.
    var chainChecked: AuditChain?
    /// Where the tick's sweep of the whole chain has got to (`checkChain`).
    var chainSwept: AuditChain?
    /// Records the sweep verifies per tick (`chainSweepSlice`; smaller in tests, so a test's
    /// chain spans several slices).
    var sweepSlice = CabinetDriver.chainSweepSlice
    /// Refused requests' records per calling account (`RefusalRecords`), and the accounts over their budget.
    var refusalRecords = RefusalRecords()
    var refusalsUnrecorded: Set<UInt32> = []
    /// A broken or shortened chain was raised: once per run, not at every tick.
    /// The chain breaks raised as alarms in this run (`seq problem`).
    var chainBreaksRaised: Set<String> = []
    var recentFeedback: [String] = []
    /// While `answer(_:)` runs: the feedback its event's effects give.
    private var answering: [Feedback]?
    /// The wrong-PIN counts and lockouts as last written to the store (CabinetDriver+PINLockout).
    var savedPINFailures: [CardID: (count: Int, lockedUntil: Int64?)] = [:]
    let startedAt: Moment
    /// Stock control wants the alarm output on (an open override, an escalated discrepancy).
    var stockAlarm = false
    /// Boot-clock time of the next stock-control deadline (override end, escalation, count due).
    var stockDeadlineBoot: Int64?

    // Input side: pure decoders fed from line edges, with their own deadlines (monotonic ns).
    var counterDecoder: WiegandDecoder
    var returnDecoder: WiegandDecoder
    var chute: ReturnChute
    var debouncers: [LineRole: Debouncer] = [:]
    var inputDeadlineTask: Task<Void, Never>?
    public internal(set) var rejectedFrames = 0
    /// Runs PIN checks off this actor (issue 19.7; CabinetDriver+Counter).
    let pinChecker: PINChecker
    /// Counter cards and keys waiting behind a PIN check, in the order they came.
    var counterQueue: [CounterInput] = []
    /// A counter PIN entry is being checked: later counter events wait in `counterQueue`.
    var counterCheckRunning = false
    /// `shutdown()` has begun: nothing more reaches the cabinet or the lines, not a verdict still
    /// in flight nor a counter frame queued behind it (I2: the lock stays safe).
    var stopping = false
    /// Control-socket PIN checks running or waiting (at most `PINChecker.socketLimit`).
    var socketPINChecks = 0

    public init(config: DaemonConfig, store: Store, journal: JournalWriter, lines: any CabinetLines, clock: DaemonClock,
                pins: any PINVerifier, logger: Logger, simulate: Bool, version: String, pinMap: PinMap,
                inputClock: any InputClock = MonotonicInputClock()) throws {
        self.config = config
        self.store = store
        self.journal = journal
        self.lines = lines
        self.clock = clock
        self.inputClock = inputClock
        self.logger = logger
        self.simulate = simulate
        self.version = version
        let roster = Roster(patients: try store.patients(), staff: try store.staffMembers(), cardFingerprint: store.cardFingerprinter)
        let lockdown = try store.isLockedDown()
        var holds: [PatientID: String] = [:]
        for h in try store.holds() { holds[h.patient] = h.reason }
        let now = clock.now()
        startedAt = now
        pinChecker = PINChecker(pins)
        var cabinet = Cabinet(policy: config.policy, roster: roster, ledger: try store.unitLedger(now: now),
                              holds: holds, lockdown: lockdown.on ? lockdown.reason : nil, residueOwed: try store.residueOwed())
        let (pinFailures, stale) = Self.restoredPINFailures(try store.pinFailures(), now: now,
                                                            longestMillis: Int64(config.policy.pinLockoutMinutes) * 60_000)
        cabinet.restorePINFailures(pinFailures)
        try store.savePINFailures([], cleared: stale)
        savedPINFailures = pinFailures
        self.cabinet = cabinet
        var wc = WiegandDecoder.Configuration()
        wc.frameGapNanos = UInt64(config.wiegandFrameGapMillis) * 1_000_000
        wc.cardFormats = Set(config.counterCardFormats)
        if config.counterCardFormats.contains(.h10302) { wc.thirtySevenBit = .h10302 }
        counterDecoder = WiegandDecoder(reader: .counter, configuration: wc)
        // Ampoule tags are 37-bit H10302 numbers: the whole 35-bit number is the unit serial.
        // Nothing else is taken there: a badge held to the return scanner would otherwise be
        // read as the serial of the same number, and could book a unit as returned.
        var rc = wc
        rc.thirtySevenBit = .h10302
        rc.cardFormats = [.h10302]
        returnDecoder = WiegandDecoder(reader: .returnScanner, configuration: rc)
        chute = ReturnChute(windowNanos: UInt64(config.returnWindowMillis) * 1_000_000)
        for role in [LineRole.door, .bolt, .tamper, .returnBeam] {
            let ms = pinMap.lines[role]?.debounceMillis ?? 0
            if ms > 0 { debouncers[role] = Debouncer(role: role, intervalNanos: UInt64(ms) * 1_000_000, initial: (try? lines.read(role)) ?? false) }
        }
    }

    // MARK: Start and stop

    /// Recovery and start: the lock is made safe first, in-flight releases become interrupted,
    /// open units resume their deadlines, the journal gets what it missed.
    public func start() throws -> String {
        lines.makeSafe()
        let now = clock.now()
        let cursorAtStart = (try? store.mirrorCursor()) ?? 0
        let headAtStart = (try? store.chainHead().lastSeq) ?? 0
        // Records an earlier run committed but never handed to the journal go first, in order.
        if let missed = try? store.unmirrored(limit: 1), !missed.isEmpty { mirrorBehind = true }
        let report = try store.recover(now: now)
        for record in report.records { mirror(record) }
        let doorOpen = !((try? lines.read(.door)) ?? true)
        let boltEngaged = (try? lines.read(.bolt)) ?? false
        // The store has already recorded what recovery found (one record per interrupted release).
        var fx: [CabinetEffect] = [.commit(.startup(version: version, at: now))]
        let interrupted = report.interrupted.map {
            InterruptedRelease(id: $0.id, patient: $0.plan.patient, unitsIssued: $0.unitsIssued ?? 0, unitsExpected: $0.plan.unitCount)
        }
        fx += cabinet.start(doorOpen: doorOpen, boltEngaged: boltEngaged, interrupted: interrupted,
                            recoveredUnits: report.bookedScans, at: now)
        perform(fx)
        stockTick()
        replayJournal()
        readBack = planJournalReadBack(cursor: cursorAtStart, headAtStart: headAtStart)
        checkChainAtStart(cursor: cursorAtStart, headAtStart: headAtStart)
        return report.summary
    }

    /// Consumes line edges, and the source's answers to quiet requests, until the stream ends.
    public func runInputs() async {
        for await item in lines.events {
            switch item {
            case .edge(let edge): input(edge)
            case .quiet(let through): inputDeadlinesPassed(quietThrough: through)
            }
        }
        // The stream ends when shutdown cancels this task, or by itself when the GPIO event
        // thread failed: then the daemon is blind to door, bolt, tamper and both readers. That
        // is a hardware fault: the lock goes safe, an alarm and a lockdown are recorded, and the
        // health check fails from now on, so the watchdog is no longer fed and systemd restarts
        // the daemon, which requests the lines anew.
        guard !Task.isCancelled else { return }
        inputsLost = true
        let why = (lines as? GpiodLines)?.eventThreadError?.description ?? "the stream of line events ended"
        logger.critical("GPIO inputs lost: \(why)")
        apply(.fault("GPIO inputs lost: \(why)", at: clock.now()))
    }

    public func shutdown() {
        stopping = true
        lines.makeSafe()
        dropCounterQueue()
        timerTask?.cancel()
        inputDeadlineTask?.cancel()
        catchUpTask?.cancel()
        recordRefusalSummaries(all: true)
        // A last try for records held in memory; what the store still refuses is at least said,
        // record by record, in the journal before the process ends.
        retryUnrecorded()
        for held in unrecorded {
            for write in [held.write] + (held.companion.map { [$0] } ?? []) {
                logger.critical("LOST AT SHUTDOWN, never recorded in the store: \(write.auditEvent.message)")
            }
        }
    }

    // MARK: Events

    /// Feeds one event and performs its effects, including events the effects feed back; returns
    /// once they are done. A counter card or keys take their turn behind the counter's earlier
    /// events, and a PIN entry is checked off the actor first (CabinetDriver+Counter), so this
    /// may suspend; other events are handled at once.
    /// A `.checkedKeys` handed in here is ignored: a verdict reaches the cabinet only from the
    /// driver's own `PINChecker`, through the counter's queue.
    public func handle(_ event: CabinetEvent) async {
        switch event {
        case .card, .keys: await withCheckedContinuation { counter(event, done: $0) }
        case .checkedKeys: logger.error("a PIN verdict handed to the driver from outside was ignored: verdicts come only from its own checks")
        default: apply(event)
        }
    }

    /// Feeds one event for a control request and returns the cabinet's answer to it, the
    /// feedback its effects gave (issue 19.4). Read back from the counter's feedback afterwards,
    /// the answer could be that of another event handled in between.
    public func answer(_ event: CabinetEvent) -> [Feedback] {
        answering = []
        defer { answering = nil }
        apply(event)
        return answering ?? []
    }

    /// Feeds one event and performs its effects, now; after `shutdown()` began, nothing.
    func apply(_ event: CabinetEvent) {
        guard !stopping else {
            // Not the event itself: keys may be a PIN.
            logger.notice("shutting down: an event after shutdown() was not handled")
            return
        }
        perform(cabinet.handle(event))
    }

    /// Checks a staff PIN given over the control socket with the counter's count and lockout;
    /// a refusal is recorded and mirrored before it is returned. The hash is checked off the actor
    /// (a locked-out badge or calling account is refused without one); the count and lockout
    /// apply on it after, on the staff member's record read again by id when the verdict lands: a
    /// record changed or withdrawn meanwhile is refused (review of issue 19.7). Beyond
    /// `PINChecker.socketLimit` checks running or waiting, and after shutdown began, nothing is
    /// checked: it throws.
    public func checkSocketPIN(_ staff: Staff, pin: String, action: String,
                               account: UInt32) async throws(PINCheckUnavailable) -> Refusal? {
        guard !stopping else { throw .stopping }
        var verdict: PINCheck.Verdict?
        let now = clock.now()
        if !cabinet.isLockedOut(staff.card, at: now), cabinet.accountPINs.refusal(account, at: now) == nil {
            guard socketPINChecks < PINChecker.socketLimit else { throw .busy(waiting: socketPINChecks) }
            socketPINChecks += 1
            verdict = await pinChecker.run(PINCheck(entry: pin, hash: staff.pin), on: .controlSocket)
            socketPINChecks -= 1
        }
        // Shutdown began during the check: the verdict reaches nothing (not even the count).
        guard !stopping else { throw .stopping }
        let current: Staff?
        do { current = try store.staff(id: staff.id) } catch {
            storeProblem = error.description
            current = nil
        }
        let (refusal, effects) = cabinet.checkSocketPIN(staff, current: current, verdict: verdict, action: action,
                                                        account: account, at: clock.now())
        perform(effects)
        return refusal
    }

    func perform(_ effects: [CabinetEffect]) {
        var queue = effects[...]
        while let effect = queue.popFirst() {
            // Effects of a fed-back event run before anything still queued behind it.
            for event in perform(effect).reversed() {
                queue = (cabinet.handle(event) + queue)[...]
            }
        }
        persistPINFailures()
        rearmTimers()
    }

    /// Performs one effect; returns the events it feeds back.
    private func perform(_ effect: CabinetEffect) -> [CabinetEvent] {
        switch effect {
        case .deEnergiseLock:
            // Never waits for disk or journal: the lock goes safe first (I2).
            do { try lines.set(.lock, active: false) } catch {
                lines.makeSafe()
                logger.critical("could not de-energise the lock: \(error); made every output safe")
            }
            return []
        case .energiseLock(let id):
            do {
                try lines.set(.lock, active: true)
                logger.notice("lock energised for release \(id)")
                return []
            } catch {
                lines.makeSafe()
                return [.fault("lock line: \(error)", at: clock.now())]
            }
        case .commit(let write):
            // An issue scan the store's own check refused as not a unit this release may take
            // is fed back, so the cabinet follows the register (issue 19.4); the anomaly names
            // the patient and the release, and staff are told to put the unit back.
            if case .refused(let serial, let anomaly, let detail) = commitOutcome(write, companion: Store.companion?.claim()),
               case .issue = write, let anomaly, Self.withdrawnOnRefusal.contains(anomaly) {
                return [.issueRefused(serial, detail: detail, at: write.at)]
            }
            return []
        case .commitReleaseIntent(let id, let plan):
            // I1: durable and journaled before the lock may be energised.
            let now = clock.now()
            guard unrecorded.isEmpty else {
                return [.releaseCommitFailed(id, reason: "\(unrecorded.count) record(s) held in memory: the store does not record", at: now)]
            }
            guard journal.health().isHealthy else {
                return [.releaseCommitFailed(id, reason: "journal unavailable: \(journal.health())", at: now)]
            }
            do {
                let record = try store.commit(.releaseIntent(id, plan))
                storeProblem = nil
                guard mirror(record) else {
                    // The intent is stored but the lock will not be energised: the store says so
                    // too (its own record), or the release would stay in progress until a restart
                    // and count as a dose for the patient's interval (issue 18.13).
                    commit(.releaseCompleted(id, patient: plan.patient, unitsIssued: 0, unitsExpected: plan.unitCount,
                                             outcome: "aborted: journal queue full, lock not energised", at: now))
                    return [.releaseCommitFailed(id, reason: "journal queue full", at: now)]
                }
                return [.releaseCommitted(id, at: clock.now())]
            } catch {
                storeProblem = error.description
                logger.error("release \(id) not committed: \(error)")
                return [.releaseCommitFailed(id, reason: error.description, at: now)]
            }
        case .evaluate(let request):
            let now = clock.now()
            let decision = decide(request, now)
            return [.decided(decision, releaseID: newReleaseID(now), at: clock.now())]
        case .offerChoices(let patient):
            let now = clock.now()
            return [.choices(patient, offeredDoses(patient, now), at: now)]
        case .clinicalDecision(let request):
            return [.clinicalDecided(request, counterClinicalDecision(request), at: clock.now())]
        case .startTimer(let id, let deadline):
            timers[id] = deadline
            return []
        case .cancelTimer(let id):
            timers[id] = nil
            return []
        case .feedback(let feedback):
            show(feedback)
            return []
        }
    }

    func decide(_ request: DispenseRequest, _ now: Moment) -> DispenseDecision {
        do {
            let stock = try stockContext(for: request.patient, now: now)
            let context = DispenseContext(
                now: now, policy: config.policy,
                prescriptions: try store.activePrescriptions(for: request.patient),
                history: try store.patientHistory(request.patient, now: now, policy: config.policy),
                stock: try store.stockLevels(releasableOn: config.policy.calendar.day(of: now)),
                lockdown: cabinet.lockdown != nil,
                clockSynchronised: clockSynchronised(),
                newestLedgerWallMillis: try store.newestLedgerWallMillis(),
                journalHealthy: journal.health().isHealthy,
                storeHealthy: storeProblem == nil,
                openDiscrepancies: stock.discrepancies, override: stock.override, openCount: try store.openCount())
            return DispensePolicy.decide(request, context)
        } catch {
            storeProblem = error.description
            return .refused([Refusal(.storeUnavailable, error.description)])
        }
    }

    /// The doses in force for `patient` today, each with its key (the prescriptions `decide`
    /// reads, and a usable override). A store that cannot answer offers none: the policy's
    /// refusal then says why.
    func offeredDoses(_ patient: PatientID, _ now: Moment) -> [DoseChoice] {
        do {
            return DoseChoice.offered(to: patient, prescriptions: try store.activePrescriptions(for: patient),
                                      override: try stockContext(for: patient, now: now).override,
                                      today: config.policy.calendar.day(of: now), at: now)
        } catch {
            storeProblem = error.description
            return []
        }
    }

    func clockSynchronised() -> Bool {
        guard config.requireClockSync else { return true }
        if let problem = KernelClock.problem() {
            logger.warning("clock check: \(problem)")
            return false
        }
        return true
    }

    func newReleaseID(_ now: Moment) -> ReleaseID {
        let date = config.policy.calendar.civilTime(wallMillis: now.wallMillis)
        let stamp = date.date.replacingOccurrences(of: "-", with: "")
        return ReleaseID("R-\(stamp)-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// Commits a write and mirrors its audit record. A commit that fails is held in memory and
    /// retried (`retryUnrecorded`), never dropped: what the counter was told stays true of the
    /// store once it records again. Meanwhile the cabinet is safe and locked down.
    /// The first write of a control request that has an admin record bound (`Store.companion`)
    /// carries it: both commit in one transaction, or both are held (issue 18.11).
    @discardableResult
    func commit(_ write: LedgerWrite) -> AuditRecord? {
        if case .recorded(let record) = commitOutcome(write, companion: Store.companion?.claim()) { return record }
        return nil
    }

    /// What became of a write.
    enum CommitOutcome {
        case recorded(AuditRecord)
        /// Held in memory until the store records again.
        case held
        /// The store's own check refused a unit write; its anomaly was recorded instead.
        case refused(UnitSerial, LedgerAnomaly?, detail: String)
    }

    private func commitOutcome(_ write: LedgerWrite, companion: LedgerWrite?) -> CommitOutcome {
        guard unrecorded.isEmpty else {
            unrecorded.append(HeldWrite(write: write, companion: companion))
            logger.critical("NOT YET RECORDED, held in memory behind \(unrecorded.count - 1) other(s): \(write.auditEvent.message)")
            return .held
        }
        do {
            // The companion is passed here, not through the task-local a second time.
            let records = try Store.$companion.withValue(nil) { try store.commitAll([write] + (companion.map { [$0] } ?? [])) }
            storeProblem = nil
            for record in records { mirror(record) }
            return records.first.map { .recorded($0) } ?? .held
        } catch let StoreError.unitRefused(serial, anomaly, detail) {
            // The store's own check refused a unit write: that is an accounting anomaly to
            // record, not a broken store.
            logger.error("unit \(serial) refused by the store: \(detail)")
            _ = commitOutcome(Self.anomaly(refusing: write, serial: serial, anomaly, detail), companion: companion)
            return .refused(serial, anomaly, detail: detail)
        } catch {
            storeProblem = "\(error)"
            unrecorded.append(HeldWrite(write: write, companion: companion))
            logger.critical("NOT YET RECORDED, held in memory and retried: \(write.auditEvent.message): \(error)")
            if cabinet.lockdown == nil {
                // Safe first (the lockdown de-energises), then its own record joins the queue.
                perform(cabinet.handle(.lockdown(on: true, reason: "the store could not record (\(error)); records held in memory",
                                                 by: "dosecabd", at: clock.now())))
            }
            return .held
        }
    }

    /// Commits `writes` straight to the store in one transaction for a control request (behind
    /// nothing held in memory) and mirrors, in chain order, every record it wrote: the writes'
    /// own and the request's admin record when it rode in the same transaction (issue 18.11).
    func commitForRequest(_ writes: [LedgerWrite]) throws(StoreError) -> [AuditRecord] {
        try refuseWhileUnrecorded()
        let companion = Store.companion
        let records = try store.commitAll(writes)
        var mirrored = records
        if let admin = companion?.record, let last = records.last, admin.seq == last.seq + 1 { mirrored.append(admin) }
        for record in mirrored { mirror(record) }
        return records
    }

    /// Writes held in memory, oldest first, until the store takes them all or refuses one again.
    /// Runs at every tick; the lockdown stays until an administrator lifts it.
    func retryUnrecorded() {
        guard !unrecorded.isEmpty else { return }
        let held = unrecorded.count
        // An issue refused only now, long after its release, stays open in the cabinet: the unit
        // left, so its deadline still ends in an incident and a hold unless it comes back.
        while let held = unrecorded.first {
            do {
                let records = try Store.$companion.withValue(nil) { try store.commitAll([held.write] + (held.companion.map { [$0] } ?? [])) }
                unrecorded.removeFirst()
                for record in records { mirror(record) }
            } catch let StoreError.unitRefused(serial, anomaly, detail) {
                logger.error("unit \(serial) refused by the store: \(detail)")
                unrecorded[0].write = Self.anomaly(refusing: held.write, serial: serial, anomaly, detail)
            } catch {
                storeProblem = "\(error)"
                logger.critical("the store still does not record: \(unrecorded.count) record(s) held in memory: \(error)")
                return
            }
        }
        storeProblem = nil
        logger.notice("the store records again: the \(held) record(s) held in memory are written")
    }

    /// Records held in memory because the store could not commit them.
    public var unrecordedCount: Int { unrecorded.count }

    /// Refusals of an issue scan after which the cabinet takes the unit off its ledger: the
    /// register says it is not a unit this release may take (another kind, not in stock, expired,
    /// no batch). Not `already-issued`: the register may hold it issued (a commit that landed
    /// although it reported failure), and an open unit must not lose its deadline.
    static let withdrawnOnRefusal: Set<LedgerAnomaly> = [.unitMismatch, .unknownSerial, .alreadyClosed, .expired, .unknownBatch]

    /// The anomaly recorded instead of a unit write the store refused, naming the unit's
    /// patient and release when the write had them.
    static func anomaly(refusing write: LedgerWrite, serial: UnitSerial, _ anomaly: LedgerAnomaly?, _ detail: String) -> LedgerWrite {
        if case .issue(let unit) = write {
            return .anomaly(anomaly ?? .unitMismatch, serial: serial, patient: unit.patient,
                            detail: "issue scan on release \(unit.release) refused by the stock register: \(detail)", at: write.at)
        }
        return .anomaly(anomaly ?? .unitMismatch, serial: serial, patient: nil, detail: detail, at: write.at)
    }

    /// Every write that goes to the store directly (control-socket actions run on this actor)
    /// asks first: nothing may land in the chain ahead of records still held in memory.
    func refuseWhileUnrecorded() throws(StoreError) {
        guard unrecorded.isEmpty else { throw .cannotCommit(Self.notRecording(held: unrecorded.count)) }
    }

    /// What a request is told while records wait in memory for the store: nothing it asks for
    /// is written (`what` nil), or what it did (`what`) waits behind them.
    static func notRecording(held: Int, what: String? = nil) -> String {
        guard let what else {
            return "store-not-recording: \(held) record(s) are held in memory until the store takes them; nothing else is written meanwhile"
        }
        return "store-not-recording: \(what) is held in memory with \(held - 1) other record(s) and is written when the store records again"
    }

    /// Queues the journal mirror of an audit record; false when the queue refused it (it stays
    /// unmirrored in the store and is replayed when the journal recovers).
    @discardableResult
    func mirror(_ record: AuditRecord) -> Bool {
        guard !mirrorBehind else { return false }
        let ok = journal.enqueue(Self.journalEvent(record).journalEntry())
        if !ok {
            mirrorBehind = true
            logger.warning("journal queue full: audit records from \(record.seq) on will be replayed from the store")
        }
        return ok
    }

    /// Re-sends what the journal has not confirmed, from the store's audit log.
    public func replayJournal() {
        defer { continueCatchUp() }
        let confirmed = journal.stats.lastWrittenAuditSeq.map(Int64.init) ?? 0
        // Only when the journal confirmed more: an idle tick must not write (and fsync) the store.
        if confirmed > markedMirrored, (try? store.markMirrored(upTo: confirmed)) != nil { markedMirrored = confirmed }
        // Replay only into an empty, healthy queue, so what is re-sent follows what was written.
        guard mirrorBehind, journal.health().isHealthy, journal.stats.unsent == 0,
              let pending = try? store.unmirrored(limit: 256) else { return }
        var sent = 0
        for record in pending where confirmed < record.seq {
            guard journal.enqueue(Self.journalEvent(record).journalEntry()) else { return }
            sent += 1
        }
        if pending.count < 256 {
            mirrorBehind = false
            logger.notice("journal mirror caught up: \(sent) audit record(s) replayed from the store")
        }
    }

    /// While the mirror is behind and journald takes entries, the replay goes on as soon as the
    /// queue has drained, not at the next main-loop tick: 256 records a tick held releases back
    /// ("journal queue full") for ~80 s after a long outage (docs/performance.md). Checks every
    /// 20 ms only while catching up; a degraded journal leaves it to the ticks.
    func continueCatchUp() {
        guard mirrorBehind, catchUpTask == nil, journal.health().isHealthy else { return }
        catchUpTask = Store.$companion.withValue(nil) { Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(20))
            guard !Task.isCancelled else { return }
            await self?.catchUpStep()
        } }
    }

    func catchUpStep() {
        catchUpTask = nil
        replayJournal()
    }

    /// Whether every audit record so far has been handed to the journal (tests, status).
    public var journalMirrorBehind: Bool { mirrorBehind }

    static func journalEvent(_ record: AuditRecord) -> AuditJournalEvent {
        let f = record.event.fields
        let known: Set<String> = ["release", "patient", "staff", "drug", "route", "dose_mg", "unit", "prescription", "reason"]
        var extra: [(JournalField, String)] = []
        for key in f.keys.sorted() where !known.contains(key) {
            extra.append((JournalField.sanitized("DOSECAB_" + key.uppercased(), prefix: "DOSECAB_X_"), f[key]!))
        }
        return AuditJournalEvent(
            kind: record.event.kind, message: record.event.message,
            releaseID: f["release"], patient: f["patient"], staff: f["staff"], drug: f["drug"], route: f["route"],
            doseMg: f["dose_mg"].flatMap(Double.init), unit: f["unit"], prescription: f["prescription"], reason: f["reason"],
            auditSeq: UInt64(record.seq), auditHash: record.hash, extra: extra)
    }

    func show(_ feedback: Feedback) {
        let text: String
        switch feedback {
        case .accepted(let s):
            text = "OK: \(s)"
            try? lines.set(.ledOK, active: true)
        case .refused(let s):
            text = "REFUSED: \(s)"
            try? lines.set(.ledOK, active: false)
        case .prompt(let s): text = s
        case .alarm(let on):
            text = on ? "ALARM" : "alarm cleared"
            // Stock control keeps the output on while an override is open or a discrepancy escalated.
            try? lines.set(.buzzer, active: on || stockAlarm)
            try? lines.set(.ledFault, active: on || stockAlarm)
        }
        answering?.append(feedback)
        recentFeedback.append(text)
        if recentFeedback.count > 20 { recentFeedback.removeFirst(recentFeedback.count - 20) }
        logger.info("counter: \(text)")
    }

    // MARK: Timers

    func rearmTimers() {
        let next = (Array(timers.values) + [stockDeadlineBoot].compactMap { $0 }).min()
        // The stock tick calls this at every watchdog tick, nearly always for the deadline that
        // is armed already: the sleeping task is left alone then, since cancelling it and
        // starting another costs thread hand-overs for nothing (an idle daemon's wake-ups,
        // docs/performance.md). Within 1 ms: the stock deadline is derived from the wall clock
        // afresh each tick and may round either way.
        if let next, let armed = timerArmedFor, abs(next - armed) <= 1 { return }
        timerTask?.cancel()
        timerArmedFor = next
        guard let next else { return }
        let wait = max(0, next - clock.now().bootMillis)
        timerTask = Store.$companion.withValue(nil) { Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(wait))
            guard !Task.isCancelled else { return }
            await self?.fireDueTimers()
        } }
    }

    /// Fires every timer whose deadline has passed (also after `sim advance`).
    public func fireDueTimers() {
        // The task that slept for the armed deadline has run, or the clock moved (`sim
        // advance`): whatever is next is armed afresh.
        timerArmedFor = nil
        let now = clock.now()
        let due = timers.filter { $0.value <= now.bootMillis }.sorted { $0.value < $1.value }
        for (id, _) in due {
            timers[id] = nil
            perform(cabinet.handle(.timer(id, at: now)))
        }
        if let stock = stockDeadlineBoot, stock <= now.bootMillis {
            stockTick()  // rearms
        } else {
            rearmTimers()
        }
    }

    // MARK: Simulation

    public func advance(millis: Int64) {
        clock.advance(millis: millis)
        fireDueTimers()
    }

    // MARK: Accessors for the control socket

    public var snapshot: Cabinet { cabinet }
    public var armedTimers: [TimerID: Int64] { timers }
    public var feedback: [String] { recentFeedback }
    public var storeHealth: String? { storeProblem }
    public var startMoment: Moment { startedAt }
    public func now() -> Moment { clock.now() }

    /// What the main loop's tick needs, taken in one hop onto the actor (each hop wakes a
    /// worker thread; an idle daemon's only wake-ups are these ticks): the cabinet, the store
    /// problem if any, whether the lines are healthy, how many records wait in memory for the
    /// store (retried first); then the journal replay and the stock tick run.
    public func tick() -> (cabinet: Cabinet, storeProblem: String?, linesHealthy: Bool, heldInMemory: Int) {
        retryUnrecorded()
        recordRefusalSummaries()
        checkChain()
        let result = (cabinet, storeProblem, linesHealthy(), unrecorded.count)
        replayJournal()
        stockTick()
        return result
    }

    /// The lines answer and the lock line reads what was commanded (part of the watchdog's
    /// health check: a ping must prove the hardware side works, not only that a loop spins).
    public func linesHealthy() -> Bool {
        guard !inputsLost else { return false }
        guard let lock = try? lines.read(.lock), (try? lines.read(.door)) != nil else { return false }
        return lock == cabinet.lockEnergised
    }

    public func reloadRoster() throws {
        perform(cabinet.handle(.roster(Roster(patients: try store.patients(), staff: try store.staffMembers(),
                                              cardFingerprint: store.cardFingerprinter))))
    }
}
