import DoseCabControl
import DoseCabCore
import DoseCabHardware
import DoseCabStore
import DoseCabSystemd
import Foundation

/// The control socket's methods (docs/control-protocol.md). Read methods for `dosecab`,
/// admin methods for `dosecab-admin` or root; every admin call is audited with the caller's
/// uid and pid. `sim.*` exist only with `--simulate`.
public struct ControlMethods: Sendable {
    let driver: CabinetDriver
    let store: Store
    let journal: JournalWriter
    let simLines: SimulatedLines?
    let pins: ScryptPINs

    public init(driver: CabinetDriver, store: Store, journal: JournalWriter, simLines: SimulatedLines?, pins: ScryptPINs) {
        self.driver = driver
        self.store = store
        self.journal = journal
        self.simLines = simLines
        self.pins = pins
    }

    /// Every method this daemon serves and who may call it (`ControlMethod`): the `sim.*`
    /// methods only when simulating.
    public var table: [String: Access] {
        Dictionary(uniqueKeysWithValues: ControlMethod.allCases.filter { !$0.isSimulation || simLines != nil }.map { ($0.rawValue, $0.access) })
    }

    /// No method takes more parameters than this (the bootstrap enrolment takes 14): a request
    /// with more is malformed, so what a refused request asked for always fits its record.
    static let maxParameters = 24

    public func handle(_ request: ControlRequest, _ caller: Caller) async -> ControlReply {
        guard request.parameters.count <= Self.maxParameters else {
            return .failure("malformed-request: at most \(Self.maxParameters) parameters; nothing was changed")
        }
        do {
            // Records the store could not commit wait in memory, in order: nothing may be
            // written past them (the chain keeps the order things happened in).
            if writesClinicRecords(request.method), case let held = await driver.unrecordedCount, held > 0 {
                throw MethodError(message: CabinetDriver.notRecording(held: held), kind: .storeFailed)
            }
            // Every admin call is on the record with the caller's uid and pid (lockdown,
            // enrolment and imports carry the caller in their own record already). The admin
            // record commits in the transaction of the action's first write (`withAdminRecord`,
            // issue 18.11), or is held in memory with it; only when the action wrote nothing
            // does it follow as its own commit.
            var admin: CompanionRecord?
            if ControlMethod(rawValue: request.method)?.recordsCallWithAction == true {
                admin = CompanionRecord(.admin(action: request.method, detail: Self.shownParameters(request.parameters),
                                               actor: caller.description, at: await driver.now()))
            }
            let reply = try await Self.$adminRecord.withValue(admin) {
                try await Self.$caller.withValue(caller) { try await dispatch(request, caller) }
            }
            if let admin, !admin.isTaken, case .admin(let action, let detail, let actor, _) = admin.write {
                await driver.recordAdmin(action: action, detail: detail, actor: actor)
            }
            return reply
        } catch {
            let failure = switch error {
            case let error as MethodError: error
            case let error as StoreError: MethodError(error)
            default: MethodError(message: "\(request.method) failed: \(error)", kind: .unavailable)
            }
            // A refused change is on the record too (I3): who tried what, and why it was refused,
            // so an insider's attempts are there for the auditor, not only their successes. An
            // account refused over and over gets a budget of records (`RefusalRecords`): a loop
            // of refused requests must not fill the disk and rotate the journal.
            if failure.kind == .refused, writesClinicRecords(request.method),
               await driver.unrecordedCount == 0, await driver.admitRefusalRecord(account: caller.uid, method: request.method) {
                await driver.recordAdmin(action: "request-refused",
                                         detail: "\(request.method) \(Self.shownParameters(request.parameters)): \(failure.message.prefix(300))",
                                         actor: caller.description)
            }
            return .failure(failure.message)
        }
    }

    /// Admin methods change the clinic's records, so they wait for records held in memory and
    /// their refusals go on the record; `sim.*` only drive the simulated hardware.
    private func writesClinicRecords(_ method: String) -> Bool {
        table[method] == .admin && !method.hasPrefix("sim.")
    }

    /// `key=value …` of an admin request, for its record: every parameter but those that prove
    /// who someone is or identify a card (PINs, card numbers, facility codes: issue 18.2), names
    /// cut to 32 characters and values to 64 (`brief`). With `maxParameters`, the detail stays
    /// short whatever a request carries, and shows every parameter it had.
    static func shownParameters(_ p: [String: JSONValue]) -> String {
        p.keys.filter { key in !["pin", "card", "facility"].contains { key.lowercased().contains($0) } }.sorted()
            .map { "\($0.prefix(32))=\(p[$0].map(Self.brief) ?? "")" }.joined(separator: " ")
    }

    /// A request's failure, and whether it goes on the record: a refusal (a rule said no) is an
    /// admin record `request-refused` (I3); a malformed request changes nothing, not even the
    /// record (I6); a store that could not write holds what it could not commit already; a PIN
    /// check the daemon could not run now (busy, stopping) decided nothing.
    struct MethodError: Error {
        enum Kind { case refused, malformed, storeFailed, unavailable }
        var message: String
        var kind: Kind = .refused

        init(message: String, kind: Kind = .refused) {
            self.message = message
            self.kind = kind
        }

        static func malformed(_ message: String) -> MethodError { MethodError(message: message, kind: .malformed) }

        /// The store's refusals (its own re-check of a rule, a conflict, input it will not take)
        /// are refusals; failing to open, read or commit is not.
        init(_ error: StoreError) {
            switch error {
            case .conflict, .stockRefused, .invalidInput, .unitRefused, .bundleRejected: self.init(message: error.description)
            case .cannotOpen, .cannotCommit, .cannotRead, .corrupt: self.init(message: error.description, kind: .storeFailed)
            }
        }
    }

    /// The admin record of the request being handled, for `write` to commit with the action.
    @TaskLocal static var adminRecord: CompanionRecord?

    /// Who sent the request being handled: socket PIN checks count wrong PINs per account too.
    @TaskLocal static var caller: Caller?

    /// Runs an action with the request's admin record bound for the store, so the action's
    /// first write carries it in the same transaction (the cabinet's commits hold both in
    /// memory together when the store refuses).
    /// The cabinet's reason in its answer to a request's event (`CabinetDriver.answer`).
    static func refusal(in answer: [Feedback]) -> String {
        answer.compactMap { if case .refused(let why) = $0 { why } else { nil } }.first ?? "refused"
    }

    func withAdminRecord<T>(_ action: () async throws -> T) async rethrows -> T {
        try await Store.$companion.withValue(Self.adminRecord) { try await action() }
    }

    func string(_ p: [String: JSONValue], _ key: String) throws -> String {
        guard let s = p[key]?.stringValue, !s.isEmpty else { throw MethodError.malformed("parameter '\(key)' (string) is required") }
        return s
    }

    /// The largest whole number a JSON number carries exactly (JSONValue keeps numbers as Double).
    static let largestExact = 1 << 53

    /// A whole number from the socket, checked against `range` before anything converts,
    /// computes with or stores it: every number a request carries comes through here (or
    /// ``optionalInt(_:_:in:)``), so a negative or huge value is a clear error, never a trap in
    /// `UInt32(_:)` or an overflow (issue 18.11). Without `in:` the range is 0 to 2^53. A
    /// missing (or null) parameter takes `default` when there is one; present but not a whole
    /// number in range is an error even then.
    func int(_ p: [String: JSONValue], _ key: String, in range: ClosedRange<Int> = 0...largestExact, default d: Int? = nil) throws -> Int {
        if let v = try optionalInt(p, key, in: range) { return v }
        if let d { return d }
        throw MethodError.malformed("parameter '\(key)' (a whole number \(Self.describe(range))) is required")
    }

    /// ``int(_:_:in:default:)`` for a parameter that may be left out: nil when it is.
    func optionalInt(_ p: [String: JSONValue], _ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = p[key], !value.isNull else { return nil }
        guard let v = value.intValue, range.contains(v) else {
            throw MethodError.malformed("parameter '\(key)' must be a whole number \(Self.describe(range)); nothing was changed")
        }
        return v
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        func n(_ v: Int) -> String {
            switch v {
            case largestExact: "2^53"
            case Int(UInt32.max): "2^32-1"
            default: String(v)
            }
        }
        return "from \(n(range.lowerBound)) to \(n(range.upperBound))"
    }

    func dispatch(_ request: ControlRequest, _ caller: Caller) async throws -> ControlReply {
        let p = request.parameters
        guard let method = ControlMethod(rawValue: request.method) else { throw MethodError.malformed("unknown method \(request.method)") }
        switch method {
        case .status: return try await status()
        case .outstanding:
            let units = try store.openUnits()
            return .ok(["units": .array(units.map(Self.unitJSON))])
        case .releases:
            let since = Int64(try int(p, "since", in: 0...Self.largestExact, default: Int(await driver.now().wallMillis - 86_400_000)))
            return .ok(["releases": .array(try store.releases(since: since).map(Self.releaseJSON))])
        case .holds:
            return .ok(["holds": .array(try store.holds().map { h in
                ["patient": .string(h.patient.rawValue), "reason": .string(h.reason), "since": .string(h.since.description)]
            })])
        case .rxList:
            let book = try store.prescriptionBook()
            let items = book.entries.values.map(\.document).sorted { $0.id < $1.id }.map { doc -> JSONValue in
                switch doc {
                case .prescription(let rx):
                    return ["id": .string(rx.id), "version": .number(Double(rx.version)), "patient": .string(rx.patient.rawValue),
                            "drug": .string(rx.drug.rawValue), "route": .string(rx.route.rawValue), "dose_mg": .number(Double(rx.doseMg)),
                            "sessions": .number(Double(rx.maxSessionsPerDay)), "valid_from": .string(rx.validFrom),
                            "valid_until": .string(rx.validUntil), "prescriber": .string(rx.prescriber), "titrating": .bool(rx.titrating),
                            "state": "active"]
                case .cancellation(let c):
                    return ["id": .string(c.id), "version": .number(Double(c.version)), "patient": .string(c.patient.rawValue),
                            "prescriber": .string(c.prescriber), "state": "cancelled", "reason": .string(c.reason)]
                }
            }
            return .ok(["prescriptions": .array(items)])
        case .stockList:
            try hiddenDuringABlindCount("stock levels")
            let today = driver.config.policy.calendar.day(of: await driver.now())
            let releasable = try store.stockLevels(releasableOn: today)
            let levels = try store.stockLevels().map { l -> JSONValue in
                let ok = releasable.first { $0.drug == l.drug && $0.route == l.route && $0.strengthMg == l.strengthMg }?.count ?? 0
                return ["drug": .string(l.drug.rawValue), "route": .string(l.route.rawValue), "strength_mg": .number(Double(l.strengthMg)),
                        "count": .number(Double(l.count)), "releasable": .number(Double(ok))]
            }
            var reply: [String: JSONValue] = ["levels": .array(levels)]
            if p["units"]?.boolValue == true {
                reply["units"] = .array(try store.stockList().map { r -> JSONValue in
                    ["serial": .string(r.unit.serial.rawValue), "kind": .string(r.unit.kind.key),
                     "batch": r.unit.batch.map { .string($0) } ?? .null, "expiry": r.unit.expiry.map { .string($0) } ?? .null,
                     "releasable": .bool(StockRules.releasable(r.unit, today: today) == nil)]
                })
            }
            return .ok(reply)
        case .peopleList:
            return try peopleList(caller)
        case .auditVerify:
            return try auditVerify(p)
        case .auditList:
            let from = Int64(try int(p, "from", in: 0...Self.largestExact, default: 1))
            // A negative limit was SQLite's "no limit": the whole log in one reply (18.13).
            let limit = min(1000, try int(p, "limit", in: 1...Self.largestExact, default: 100))
            let records = try store.auditRecords(fromSeq: from, limit: limit).map { r -> JSONValue in
                var fields: [String: JSONValue] = [:]
                for (k, v) in r.event.fields { fields[k] = .string(v) }
                return ["seq": .number(Double(r.seq)), "time": .string(CivilTime(wallMillis: r.event.wallMillis, utcOffsetMinutes: 0).iso8601),
                        "event": .string(r.event.kind.rawValue), "message": .string(r.event.message), "fields": .object(fields),
                        "hash": .string(r.hash)]
            }
            return .ok(["records": .array(records)])
        case .reportDaily:
            let now = await driver.now()
            let calendar = driver.config.policy.calendar
            let day: Int64
            if let date = p["date"]?.stringValue {
                guard let d = parseDay(date) else { throw MethodError(message: "date must be YYYY-MM-DD") }
                day = d
            } else { day = calendar.day(of: now) }
            let format = p["format"]?.stringValue ?? "text"
            guard let fmt = ReportFormat(rawValue: format) else { throw MethodError(message: "format must be text, json or csv") }
            // The register's stock balance is the figure a blind count must not see.
            try hiddenDuringABlindCount("the daily register (it shows the stock balance)")
            let register = try store.dailyRegister(day: day)
            return .ok(["date": .string(calendar.dateString(day: day)), "format": .string(format), "report": .string(register.render(format: fmt, calendar: calendar))])

        // Admin.
        case .holdClear:
            let patient = PatientID(try string(p, "patient"))
            let reason = try string(p, "reason")
            let staff = try await identifyStaff(p, action: "clearing a hold")
            guard try store.holds().contains(where: { $0.patient == patient }) else {
                throw MethodError(message: "patient \(patient) is not on hold")
            }
            let at = await driver.now()
            let answer = await withAdminRecord { await driver.answer(.clearHold(patient, by: staff.id, reason: reason, at: at)) }
            let still = try store.holds().contains { $0.patient == patient }
            if still, case let held = await driver.unrecordedCount, held > 0 {
                throw MethodError(message: CabinetDriver.notRecording(held: held, what: "the clear of \(patient)'s hold"), kind: .storeFailed)
            }
            if still { throw MethodError(message: "hold on \(patient) not cleared: \(Self.refusal(in: answer))") }
            return .ok(["patient": .string(patient.rawValue), "cleared_by": .string(staff.id.rawValue), "caller": .string(caller.description)])
        case .confirm:
            let serial = UnitSerial(try string(p, "unit"))
            let staff = try await identifyStaff(p, action: "a witnessed close-out")
            let at = await driver.now()
            let answer = await withAdminRecord { await driver.answer(.confirmConsumed(serial, witness: staff.id, at: at)) }
            guard let unit = try store.issuedUnit(serial: serial), unit.state == .consumed else {
                if case let held = await driver.unrecordedCount, held > 0 {
                    throw MethodError(message: CabinetDriver.notRecording(held: held, what: "the confirmation of \(serial)"), kind: .storeFailed)
                }
                throw MethodError(message: "unit \(serial) not confirmed: \(Self.refusal(in: answer))")
            }
            return .ok(["unit": .string(serial.rawValue), "witness": .string(staff.id.rawValue)])
        case .rxRevokeKey:
            return try await revokePrescriberKey(p, caller)
        case .rxImport:
            guard let text = p["bundle"]?.stringValue else { throw MethodError.malformed("parameter 'bundle' (the file's JSON text) is required") }
            let report = try store.importBundle(Array(text.utf8), policy: driver.config.policy, now: await driver.now(),
                                                actor: caller.description)
            if let record = report.record { await driver.mirrorFromControl(record) }
            return .ok(["installed": .array(report.installed.map { .string($0) }), "unchanged": .array(report.unchanged.map { .string($0) }),
                        "cancelled": .array(report.cancelled.map { .string($0) })])
        case .enroll:
            return try await enroll(p, caller)
        case .lockdown:
            let state = try string(p, "state")
            guard state == "on" || state == "off" else { throw MethodError.malformed("state must be on or off") }
            let on = state == "on"
            let reason = try string(p, "reason")
            var by = caller.description
            if !on {
                // Anyone in the admin group may stop releases; lifting a lockdown (an alarm's, or
                // one switched on by hand) takes an admin's badge + PIN (§4a, issue 18.13).
                let staff = try await identifyStaff(p, action: "lifting a lockdown")
                guard staff.role == .admin else {
                    throw MethodError(message: "refused: lifting a lockdown takes an admin's badge and PIN; \(staff.id) is \(staff.role.rawValue)")
                }
                by = "\(staff.id) (\(caller))"
            }
            // The lockdown of a mechanical-key opening stays until its late entry is closed (§4a).
            do { try await driver.setLockdown(on: on, reason: reason, by: by) } catch let refused as DowntimeRefused {
                throw MethodError(message: refused.description)
            }
            return .ok(["lockdown": .bool(await driver.snapshot.lockdown != nil)])

        // Simulation.
        case .simCard: return try await simCard(p)
        case .simKeys:
            guard let lines = simLines else { throw MethodError(message: "not simulating") }
            let keys = try string(p, "keys")
            for key in keys {
                guard let bits = WiegandDecoder.encodeKey(key) else { throw MethodError(message: "key '\(key)' is not on the keypad") }
                try await playAndSettle(lines, .counter, bits)
            }
            return .ok(["feedback": .array(await driver.feedback.suffix(3).map { .string($0) })])
        case .simScan, .simReturn:
            guard let lines = simLines else { throw MethodError(message: "not simulating") }
            let serial = try string(p, "serial")
            guard let number = UInt64(serial), number < (1 << 35) else { throw MethodError(message: "serial must be a number below 2^35 (the tag's H10302 number)") }
            let card = CardID(format: .h10302, facility: 0, number: number)
            if method == .simReturn {
                // Held longer than the beam's debounce, as a falling ampoule would be seen.
                try lines.drive(.returnBeam, active: true)
                try await Task.sleep(for: .milliseconds(60))
                try lines.drive(.returnBeam, active: false)
            }
            try await playAndSettle(lines, .returnScanner, WiegandDecoder.encode(card))
            if method == .simScan {
                // An issue scan is recognised when the chute's window passes without a beam.
                try await Task.sleep(for: .milliseconds(Int64(driver.config.returnWindowMillis) + 50))
            }
            return .ok(["feedback": .array(await driver.feedback.suffix(2).map { .string($0) })])
        case .simDoor:
            guard let lines = simLines else { throw MethodError(message: "not simulating") }
            let state = try string(p, "state")
            guard state == "open" || state == "close" else { throw MethodError(message: "state must be open or close") }
            try lines.drive(.door, active: state == "close")
            try await Task.sleep(for: .milliseconds(50))
            return .ok(["feedback": .array(await driver.feedback.suffix(2).map { .string($0) })])
        case .simLine:
            guard let lines = simLines else { throw MethodError(message: "not simulating") }
            guard let role = LineRole(rawValue: try string(p, "line")) else { throw MethodError(message: "unknown line; one of \(LineRole.allCases.map(\.rawValue).joined(separator: ", "))") }
            let value = try int(p, "value", in: 0...1)
            if role.isOutput { return .ok(["line": .string(role.rawValue), "value": .number(lines.output(role) ? 1 : 0)]) }
            try lines.drive(role, active: value != 0)
            try await Task.sleep(for: .milliseconds(50))
            return .ok(["line": .string(role.rawValue), "value": .number(Double(value))])
        case .simBoltFault:
            guard let lines = simLines else { throw MethodError(message: "not simulating") }
            switch p["stuck"]?.stringValue {
            case "engaged": lines.injectBoltFault(stuck: true)
            case "disengaged": lines.injectBoltFault(stuck: false)
            default: lines.clearBoltFault()
            }
            return .ok([:])
        case .simAdvance:
            guard simLines != nil else { throw MethodError(message: "not simulating") }
            let seconds = try int(p, "seconds", in: 0...(30 * 86_400))
            await driver.advance(millis: Int64(seconds) * 1000)
            return .ok(["now": .string(await driver.now().description)])
        case .stockAdd, .stockReceive, .stockWaste, .countStart, .countEnter, .countCancel, .countStatus, .discrepancyList,
             .discrepancyResolve, .overrideOpen, .overrideClose, .overrideReview, .overrideList:
            return try await stockMethod(method, p, caller)
        case .lateEntry, .lateClose, .lateList:
            return try await downtimeMethod(method, p)
        case .observationEnd, .reauthorise:
            return try await clinicalMethod(method, p)
        case .peopleLink: return try await link(p, caller)
        case .peopleUnlink: return try await unlink(p, caller)
        }
    }

    /// Staff identity for clinical and admin actions: badge number + PIN, verified like the
    /// counter does (ARCHITECTURE §4a: a Unix account alone is not enough), with the counter's
    /// PIN count and lockout, and the calling account's own budget across all staff: a wrong PIN
    /// is an audit record and a journal event (`wrong-pin`, `pin-lockout`), so one person cannot
    /// guess a second person's PIN over the socket, nor one account everyone's.
    func identifyStaff(_ p: [String: JSONValue], prefix: String = "", action: String) async throws -> Staff {
        let id = StaffID(try string(p, prefix + "staff"))
        let pin = try string(p, prefix + "pin")
        guard let staff = try store.staff(id: id) else { throw MethodError(message: "staff \(id): unknown") }
        guard let caller = Self.caller else { throw MethodError(message: "\(action): no caller to count wrong PINs against") }
        let refusal: Refusal?
        do { refusal = try await driver.checkSocketPIN(staff, pin: pin, action: action, account: caller.uid) } catch {
            // busy or stopping: nothing was checked or counted, and nothing goes on the record.
            throw MethodError(message: error.description, kind: .unavailable)
        }
        if let refusal { throw MethodError(message: "refused: \(refusal)") }
        return staff
    }

    /// `rx.revoke-key`: two staff members (badge + PIN each, on the actor's counts) revoke a
    /// prescriber's key with a reason; what it signed is no longer in force (issue 18.13).
    func revokePrescriberKey(_ p: [String: JSONValue], _ caller: Caller) async throws -> ControlReply {
        let key = try string(p, "key")
        let reason = try string(p, "reason")
        let (by, witness) = try await twoStaff(p, action: "revoking a prescriber key")
        let record = try store.revokePrescriberKey(key, reason: reason, by: by.id, witness: witness.id, actor: caller.description,
                                                   at: await driver.now())
        await driver.mirrorFromControl(record)
        return .ok(["revoked": .string(key), "audit_seq": .number(Double(record.seq))])
    }

    /// A card's facility and number from the socket, in their ranges (facility fits 32 bits).
    func cardID(_ p: [String: JSONValue], format: CardFormat, facilityDefault: Int? = nil) throws -> CardID {
        let facility = try int(p, "facility", in: 0...Int(UInt32.max), default: facilityDefault)
        let number = try int(p, "card", in: 0...Self.largestExact)
        return CardID(format: format, facility: UInt32(facility), number: UInt64(number))
    }

    func simCard(_ p: [String: JSONValue]) async throws -> ControlReply {
        guard let lines = simLines else { throw MethodError(message: "not simulating") }
        let readerName = p["reader"]?.stringValue ?? "counter"
        guard let reader = Reader(rawValue: readerName) else { throw MethodError(message: "reader must be counter or return") }
        let format = CardFormat(rawValue: p["format"]?.stringValue ?? "h10301") ?? .h10301
        let card = try cardID(p, format: format, facilityDefault: 0)
        guard WiegandDecoder.fits(card) else { throw MethodError(message: "card \(card) does not fit format \(format.rawValue)") }
        try await playAndSettle(lines, reader, WiegandDecoder.encode(card))
        if let pin = p["pin"]?.stringValue {
            for key in pin + "#" {
                guard let bits = WiegandDecoder.encodeKey(key) else { throw MethodError(message: "PIN must be digits") }
                try await playAndSettle(lines, .counter, bits)
            }
        }
        return .ok(["feedback": .array(await driver.feedback.suffix(3).map { .string($0) })])
    }

    /// Plays real Wiegand edges into the simulated lines and waits past the frame-end gap.
    func playAndSettle(_ lines: SimulatedLines, _ reader: Reader, _ bits: [Bool]) async throws {
        _ = try lines.playWiegand(reader: reader, bits: bits)
        let gap = driver.config.wiegandFrameGapMillis
        try await Task.sleep(for: .milliseconds(Int64(bits.count) * 2 + Int64(gap) * 2 + 20))
        // A PIN entry is checked off the actor: the answer waits for its verdict.
        if reader == .counter { await driver.counterSettled() }
    }

    func status() async throws -> ControlReply {
        let cab = await driver.snapshot
        let now = await driver.now()
        let started = await driver.startMoment
        let health = journal.health()
        let storeProblem = await driver.storeHealth
        let held = await driver.unrecordedCount
        var release: JSONValue = .null
        if let r = cab.release {
            release = ["id": .string(r.id.rawValue), "patient": .string(r.plan.patient.rawValue), "drug": .string(r.plan.drug.rawValue),
                       "dose_mg": .number(Double(r.plan.doseMg)), "units_issued": .number(Double(r.issued.count)),
                       "units_expected": .number(Double(r.plan.unitCount)), "phase": .string("\(r.phase)")]
        }
        var session: JSONValue = .null
        if let s = cab.staffSession, s.expires > now.bootMillis {
            session = ["staff": .string(s.staff.id.rawValue), "role": .string(s.staff.role.rawValue),
                       "expires_in_s": .number(Double((s.expires - now.bootMillis) / 1000))]
        }
        let lines = simLines
        var fields: [String: JSONValue] = [
            "lock": .string(cab.lockEnergised ? "energised" : "locked"),
            "lock_line": lines.map { .number($0.output(.lock) ? 1 : 0) } ?? .null,
            "door": .string(cab.doorOpen ? "open" : "closed"),
            "bolt": .string(cab.boltEngaged ? "engaged" : "disengaged"),
            "lockdown": cab.lockdown.map { .string($0) } ?? .null,
            "alarm": .bool(cab.alarmActive),
            "staff_session": session,
            "open_release": release,
            "outstanding_units": .number(Double(cab.ledger.openUnits.count)),
            "holds": .number(Double(cab.holds.count)),
            "journal": .string(health.description),
            "store": .string(storeProblem ?? "ok"),
            "uptime_s": .number(Double(now.bootMillis - started.bootMillis) / 1000),
            "simulated": .bool(simLines != nil),
            "now": .string(now.description),
            "counter": .array(await driver.feedback.suffix(5).map { .string($0) }),
        ]
        fields["records_held_in_memory"] = .number(Double(held))
        fields["setup_needed"] = .array(try Self.setupNeeded(store).map { .string($0) })
        return .ok(fields.merging(try await stockStatus(now)) { a, _ in a }.merging(try downtimeStatus()) { a, _ in a })
    }

    /// What a new cabinet still lacks before it can release a dose, in the order docs/install.md
    /// sets it up ("First boot"); empty once it is ready. A fresh install starts and answers
    /// with this list rather than failing its unit: the keys and people arrive after the install.
    static func setupNeeded(_ store: Store) throws -> [String] {
        var missing: [String] = []
        if try store.prescriberKeys().allSatisfy({ $0.revokedAtMillis != nil }) {
            missing.append("prescriber key: none installed (/etc/dosecab/prescribers/KEYID.pub, then restart; docs/prescriptions.md)")
        }
        let staff = try store.staffMembers()
        if !staff.contains(where: { $0.role == .admin }) {
            missing.append("staff: no admin enrolled (docs/install.md, first boot)")
        }
        if !staff.contains(where: { $0.role != .admin }) {
            missing.append("staff: nobody to witness a dose (enrol a nurse or clinician)")
        }
        if try store.patients().isEmpty { missing.append("patients: none enrolled") }
        if try store.stockLevels().isEmpty { missing.append("stock: none received (dosecabctl stock receive)") }
        return missing
    }

    /// Stock control in `status`: the count due or overdue, open discrepancies and what they
    /// freeze, open overrides, the alarm output, and the releases that owe residue.
    func stockStatus(_ now: Moment) async throws -> [String: JSONValue] {
        let policy = driver.config.policy
        let open = try store.discrepancies()
        let overrides = try store.overrides().filter { $0.state == .open }
        // Nothing ever received: nothing to count, nothing owed.
        let since = try store.countsOwedSinceWall()
        var count = "ok"
        if let since, let due = CountSchedule.overdue(now: now, lastCountWall: since, policy: policy) {
            count = "OVERDUE: the count due at \(policy.calendar.civilTime(wallMillis: due).iso8601.prefix(16)) (local) was not done"
        } else if let since, let due = CountSchedule.lastDue(now: now, policy: policy), since < due {
            count = "due (since \(policy.calendar.civilTime(wallMillis: due).iso8601.prefix(16)) local)"
        }
        // A count left open blocks releases and stock movements: say so, loudest once abandoned.
        var countOpen: JSONValue = .null
        if let sheet = try store.openCount() {
            let minutes = max(0, now.millisSince(sheet.startedAt)) / 60_000
            let abandoned = BlindCount.abandoned(sheet, now: now, policy: policy)
            countOpen = ["count": .string(sheet.id), "by": .string(sheet.by.rawValue), "witness": .string(sheet.witness.rawValue),
                         "open_minutes": .number(Double(minutes)), "abandoned": .bool(abandoned)]
            count = abandoned
                ? "ABANDONED: count \(sheet.id) open for \(minutes) min; releases and stock movements wait: enter it or cancel it (count cancel)"
                : "in progress: count \(sheet.id) (\(minutes) min); releases and stock movements wait"
        }
        var frozen: JSONValue = .null
        if !open.isEmpty {
            frozen = policy.freezeScope == .cabinet ? "cabinet" : .array(Set(open.map(\.kind.drug.rawValue)).sorted().map { .string($0) })
        }
        // Releases whose residue is still to be wasted with a witness (their witnessed close-outs
        // wait for it); the daily register names them. From the cabinet: no store query per status.
        let residueOwed = await driver.snapshot.residue.values.filter { $0.owedMg > 0 }.count
        return ["count": .string(count), "count_open": countOpen,
                "discrepancies": .number(Double(open.count)), "escalated": .number(Double(open.filter { $0.escalatedAtWall != nil }.count)),
                "frozen": frozen, "overrides": .number(Double(overrides.count)),
                "alarm_output": .bool(await driver.alarmOutputOn), "residue_owed": .number(Double(residueOwed))]
    }

    static func brief(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return String(s.prefix(64))
        // Any number the socket sent, never trapping (a huge one took the daemon down after
        // its write was committed and before this record, 18.11).
        case .number(let n): return Int64(exactly: n).map(String.init) ?? String(n)
        case .array(let a): return "\(a.count) items"
        default: return "…"
        }
    }

    static func unitJSON(_ u: IssuedUnit) -> JSONValue {
        ["unit": .string(u.serial.rawValue), "release": .string(u.release.rawValue), "patient": .string(u.patient.rawValue),
         "drug": .string(u.drug.rawValue), "route": .string(u.route.rawValue), "strength_mg": .number(Double(u.strengthMg)),
         "close_out": .string(u.rule.rawValue), "state": .string(u.state.rawValue),
         "issued": .string(u.issuedAt.description), "deadline": .string(u.deadline.description)]
    }

    static func releaseJSON(_ r: ReleaseRow) -> JSONValue {
        ["id": .string(r.id.rawValue), "state": .string(r.state.rawValue), "time": .string(r.plan.at.description),
         "patient": .string(r.plan.patient.rawValue), "drug": .string(r.plan.drug.rawValue), "route": .string(r.plan.route.rawValue),
         "dose_mg": .number(Double(r.plan.doseMg)), "units": .number(Double(r.plan.unitCount)),
         "strength_mg": .number(Double(r.plan.unitStrengthMg)), "witness": .string(r.plan.witness.rawValue),
         "prescription": .string("\(r.plan.prescriptionID)@\(r.plan.prescriptionVersion)"),
         "outcome": r.outcome.map { .string($0) } ?? .null]
    }
}

extension CabinetDriver {
    /// Admin writes made outside the state machine are mirrored the same way.
    public func mirrorFromControl(_ record: AuditRecord) { mirror(record) }

    public func recordAdmin(action: String, detail: String, actor: String) {
        commit(.admin(action: action, detail: detail, actor: actor, at: clock.now()))
    }

    /// Whether a refused request of `account` goes on the record one by one (`RefusalRecords`);
    /// when not, it is counted for the account's summary record.
    func admitRefusalRecord(account: UInt32, method: String) -> Bool {
        let admitted = refusalRecords.admit(account, method: method, atBootMillis: clock.now().bootMillis)
        if !admitted, !refusalsUnrecorded.contains(account) {
            refusalsUnrecorded.insert(account)
            logger.warning("uid \(account): more than \(RefusalRecords.perWindow) refused requests in \(RefusalRecords.windowMillis / 60_000) min; further refusals are counted and recorded as one summary")
        }
        return admitted
    }

    /// Records the counted refusals of each account whose window has ended (every account's at
    /// `all`: the daemon is stopping), one `request-refused` summary record each.
    func recordRefusalSummaries(all: Bool = false) {
        for summary in refusalRecords.summaries(atBootMillis: clock.now().bootMillis, all: all) {
            refusalsUnrecorded.remove(summary.account)
            commit(.admin(action: "request-refused",
                          detail: "\(summary.count) refused request(s) of this account not recorded one by one: \(summary.methods)",
                          actor: "uid=\(summary.account)", at: clock.now()))
        }
    }
}
