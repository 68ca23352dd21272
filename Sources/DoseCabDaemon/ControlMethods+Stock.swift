import DoseCabControl
import DoseCabCore
import DoseCabStore
import Foundation

/// The stock control methods (issue #11; docs/control-protocol.md). Every write takes the
/// badge number and PIN of each person it needs (two for receipt, waste, counts, resolutions
/// and overrides), verified like the counter does; the core's rules decide, the store books.
extension ControlMethods {

    /// Two people: `staff`/`pin` and `witness_staff`/`witness_pin`, each badge + PIN verified;
    /// neither of them `subject` nor `patient` when given (`TwoPerson.check`).
    func twoStaff(_ p: [String: JSONValue], action: String, needsAdmin: Bool = false, subject: StaffID? = nil,
                  patient: PatientID? = nil) async throws -> (Staff, Staff) {
        let a = try await identifyStaff(p, action: action)
        let b = try await identifyStaff(p, prefix: "witness_", action: action)
        let problems = TwoPerson.check(a, b, action: action, needsAdmin: needsAdmin, subject: subject, patient: patient)
        guard problems.isEmpty else { throw MethodError(message: "refused: " + problems.map(\.description).joined(separator: "; ")) }
        return (a, b)
    }

    /// A list of serials, all or nothing: a list that is not one, or an entry that is not a
    /// string, refuses the whole request (a partial receipt or write-off is never booked).
    func serialList(_ p: [String: JSONValue], _ key: String, required: Bool) throws -> [String] {
        guard let value = p[key] else {
            if required { throw MethodError.malformed("parameter '\(key)' must be a list of 1-1000 serials") }
            return []
        }
        guard let list = value.arrayValue, list.count <= 1000, !(required && list.isEmpty) else {
            throw MethodError.malformed("parameter '\(key)' must be a list of \(required ? 1 : 0)-1000 serials")
        }
        let serials = list.compactMap(\.stringValue)
        guard serials.count == list.count else {
            let bad = list.firstIndex { $0.stringValue == nil }!
            throw MethodError.malformed("parameter '\(key)': entry \(bad + 1) is not a string (serials are strings, e.g. \"700041\"); nothing was changed")
        }
        return serials
    }

    /// A blind count is blind: while one is open, nothing that shows what the ledger expects is
    /// answered to anyone (the counters could look the figure up instead of counting). The
    /// audit list stays readable: it is the auditor's, and computing a level from it is work a
    /// two-person count would notice.
    func hiddenDuringABlindCount(_ what: String) throws {
        let refusals = BlindCount.frozenByCount(try store.openCount(), action: "reading \(what)")
        guard refusals.isEmpty else { throw refused(refusals) }
    }

    func refused(_ problems: [Refusal]) -> MethodError {
        MethodError(message: "refused: " + problems.map(\.description).joined(separator: "; "))
    }

    /// Runs a store write on the driver's actor; a refusal by the core's rules is the reply's error.
    /// The request's admin record commits in the write's transaction (issue 18.11).
    func write<T: Sendable>(_ body: @escaping @Sendable (Store, Moment) throws -> (T, [AuditRecord])) async throws -> T {
        do { return try await driver.stockWrite(admin: Self.adminRecord, body) } catch let error as StoreError {
            throw MethodError(error)
        }
    }

    func stockMethod(_ method: ControlMethod, _ p: [String: JSONValue], _ caller: Caller) async throws -> ControlReply {
        let policy = driver.config.policy
        let cal = policy.calendar
        switch method {
        case .stockAdd, .stockReceive:
            let (by, witness) = try await twoStaff(p, action: "a stock receipt")
            guard let drug = Drug(rawValue: try string(p, "drug")), let route = Route(rawValue: try string(p, "route")) else {
                throw MethodError(message: "drug must be diacetylmorphine|methadone and route injectable|inhalable|oral")
            }
            let strength = try int(p, "strength_mg", in: 1...2000)
            let serials = try serialList(p, "serials", required: true)
            let batch = try string(p, "batch"), expiry = try string(p, "expiry")
            let units = serials.map { StockUnit(serial: UnitSerial($0), drug: drug, route: route, strengthMg: strength, batch: batch, expiry: expiry) }
            let problems = StockRules.receipt(units, today: cal.day(of: await driver.now()))
            guard problems.isEmpty else { throw refused(problems) }
            let seq = try await write { store, now in
                let r = try store.commit(.stockReceived(units, by: by.id, witness: witness.id, at: now))
                return (r.seq, [r])
            }
            return .ok(["added": .number(Double(units.count)), "batch": .string(batch), "expiry": .string(expiry),
                        "audit_seq": .number(Double(seq))])

        case .stockWaste:
            let (by, witness) = try await twoStaff(p, action: "a waste")
            guard let reason = WasteReason(rawValue: try string(p, "reason")) else {
                throw MethodError(message: "reason must be one of \(WasteReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let serial = p["serial"]?.stringValue.map(UnitSerial.init)
            let release = p["release"]?.stringValue.map(ReleaseID.init)
            var mg = try optionalInt(p, "mg", in: 1...100_000)
            if let serial, release == nil {
                // A whole unit from stock: how much is its strength.
                guard let unit = try store.stockUnit(serial: serial) else { throw MethodError(message: "unit \(serial) is not in the stock register") }
                guard unit.state == .inStock else { throw MethodError(message: "unit \(serial) is \(unit.state.rawValue), not in stock") }
                if let m = mg, m != unit.unit.strengthMg { throw MethodError(message: "unit \(serial) is \(unit.unit.strengthMg) mg; a whole unit is wasted") }
                mg = unit.unit.strengthMg
            }
            let request = WasteRequest(serial: serial, release: release, mg: mg ?? 0, reason: reason,
                                       note: p["note"]?.stringValue ?? "", by: by.id, witness: witness.id)
            let problems = request.problems()
            guard problems.isEmpty else { throw refused(problems) }
            let seq: Int64
            do { seq = try await withAdminRecord { try await driver.recordWaste(request) }.seq } catch {
                throw MethodError(message: "\(error)")
            }
            return .ok(["wasted_mg": .number(Double(request.mg)), "serial": serial.map { .string($0.rawValue) } ?? .null,
                        "release": release.map { .string($0.rawValue) } ?? .null, "reason": .string(request.reasonText),
                        "audit_seq": .number(Double(seq))])

        case .countStart:
            let (by, witness) = try await twoStaff(p, action: "a blind count")
            let id = await driver.newID("C")
            let sheet = try await write { store, now in
                let (sheet, record) = try store.startCount(id: id, by: by, witness: witness, at: now)
                return (sheet, [record])
            }
            // Blind: the kinds to count, never the figures expected.
            return .ok(["count": .string(sheet.id), "kinds": .array(sheet.kinds.map { .string($0.key) }),
                        "counters": .array([.string(by.id.rawValue), .string(witness.id.rawValue)])])

        case .countEnter:
            let id = try string(p, "count")
            let (by, witness) = try await twoStaff(p, action: "a blind count")
            guard let figures = p["counts"]?.objectValue, !figures.isEmpty else {
                throw MethodError(message: "parameter 'counts' must be an object like {\"diacetylmorphine/injectable/200\": 40}")
            }
            var entered: [StockKind: Int] = [:]
            for (key, value) in figures {
                guard let kind = StockKind(key: key), let n = value.intValue, (0...1_000_000).contains(n) else {
                    throw MethodError(message: "count '\(key)' must be drug/route/strength = a whole number from 0 to 1000000")
                }
                entered[kind] = n
            }
            let prefix = id.replacingOccurrences(of: "C-", with: "D-")
            let figuresEntered = entered
            let result = try await write { store, now in
                let r = try store.enterCount(id: id, entered: figuresEntered, by: by.id, witness: witness.id, at: now, policy: policy) { "\(prefix)-\($0)" }
                return ((r.lines, r.discrepancies), r.records)
            }
            let lines = result.0.map { l -> JSONValue in
                ["kind": .string(l.kind.key), "counted": .number(Double(l.counted)), "expected": .number(Double(l.expected)),
                 "matches": .bool(l.matches)]
            }
            return .ok(["count": .string(id), "matched": .bool(result.1.isEmpty), "lines": .array(lines),
                        "discrepancies": .array(result.1.map { .string($0.id) })])

        case .countCancel:
            let id = try string(p, "count")
            let reason = try string(p, "reason")
            let (by, witness) = try await twoStaff(p, action: "cancelling a blind count")
            let seq = try await write { store, now in
                let r = try store.cancelCount(id: id, reason: reason, by: by, witness: witness, at: now)
                return (r.seq, [r])
            }
            return .ok(["count": .string(id), "state": "cancelled", "audit_seq": .number(Double(seq))])

        case .countStatus:
            let now = await driver.now()
            let open = try store.openCount()
            let last = try store.lastCount()
            let due = CountSchedule.lastDue(now: now, policy: policy)
            let overdue = CountSchedule.overdue(now: now, lastCountWall: last?.enteredWall, policy: policy)
            return .ok([
                "open": open.map { s in
                    ["count": .string(s.id), "kinds": .array(s.kinds.map { .string($0.key) }), "by": .string(s.by.rawValue),
                     "witness": .string(s.witness.rawValue), "started": .string(s.startedAt.description),
                     "open_minutes": .number(Double(max(0, now.millisSince(s.startedAt)) / 60_000)),
                     "abandoned": .bool(BlindCount.abandoned(s, now: now, policy: policy))]
                } ?? .null,
                "last": last.map { l in
                    ["count": .string(l.id), "time": .string(CivilTime(wallMillis: l.enteredWall, utcOffsetMinutes: 0).iso8601),
                     "matched": .bool(l.matched), "by": .string(l.by.rawValue), "witness": .string(l.witness.rawValue)]
                } ?? .null,
                "last_due": due.map { .string(CivilTime(wallMillis: $0, utcOffsetMinutes: 0).iso8601) } ?? .null,
                "overdue": .bool(overdue != nil),
                "count_times": .array(policy.countTimes.map { .string(DispensePolicy.hhmm($0)) }),
            ])

        case .discrepancyList:
            let now = await driver.now()
            let all = p["all"]?.boolValue ?? false
            return .ok(["discrepancies": .array(try store.discrepancies(includingResolved: all).map { Self.discrepancyJSON($0, now) })])

        case .discrepancyResolve:
            let id = try string(p, "id")
            guard let resolution = DiscrepancyResolution(rawValue: try string(p, "resolution")) else {
                throw MethodError(message: "resolution must be one of \(DiscrepancyResolution.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let note = try string(p, "note")
            let (by, witness) = try await twoStaff(p, action: "resolving a discrepancy")
            let serials = try serialList(p, "serials", required: false).map(UnitSerial.init)
            let seq = try await write { store, now in
                let r = try store.resolveDiscrepancy(id: id, resolution: resolution, note: note, by: by, witness: witness,
                                                     writeOff: serials, at: now)
                return (r.seq, [r])
            }
            return .ok(["id": .string(id), "resolution": .string(resolution.rawValue), "written_off": .array(serials.map { .string($0.rawValue) }),
                        "audit_seq": .number(Double(seq))])

        case .overrideOpen:
            let (by, second) = try await twoStaff(p, action: "a break-glass override", needsAdmin: true)
            guard let drug = Drug(rawValue: try string(p, "drug")), let route = Route(rawValue: try string(p, "route")) else {
                throw MethodError(message: "drug must be diacetylmorphine|methadone and route injectable|inhalable|oral")
            }
            let patient = PatientID(try string(p, "patient"))
            guard try store.patient(id: patient) != nil else { throw MethodError(message: "patient \(patient) is not enrolled") }
            let id = await driver.newID("O")
            let now = await driver.now()
            let result = OverrideRules.open(id: id, patient: patient, drug: drug, route: route, doseMg: try int(p, "dose_mg", in: 1...100_000),
                                            minutes: try int(p, "minutes", in: 1...10_080), reason: try string(p, "reason"), by: by, second: second,
                                            at: now, policy: policy)
            let o: Override
            switch result {
            case .failure(let r): throw refused(r.refusals)
            case .success(let v): o = v
            }
            _ = try await write { store, _ in
                let r = try store.commit(.overrideOpened(o))
                return (r.seq, [r])
            }
            return .ok(["override": .string(o.id), "expires": .string(o.expiresAt.description), "alarm_output": .bool(true)])

        case .overrideClose:
            let id = try string(p, "id")
            let reason = try string(p, "reason")
            let by = try await identifyStaff(p, action: "closing an override")
            guard let o = try store.override(id: id) else { throw MethodError(message: "unknown override \(id)") }
            let problems = OverrideRules.close(o)
            guard problems.isEmpty else { throw refused(problems) }
            _ = try await write { store, now in
                let r = try store.commit(.overrideClosed(id: id, reason: reason, by: by.id, at: now))
                return (r.seq, [r])
            }
            return .ok(["override": .string(id), "state": "closed"])

        case .overrideReview:
            let id = try string(p, "id")
            let note = try string(p, "note")
            let by = try await identifyStaff(p, action: "reviewing an override")
            guard let o = try store.override(id: id) else { throw MethodError(message: "unknown override \(id)") }
            let problems = OverrideRules.review(o, by: by)
            guard problems.isEmpty else { throw refused(problems) }
            _ = try await write { store, now in
                let r = try store.commit(.overrideReviewed(id: id, by: by.id, note: note, at: now))
                return (r.seq, [r])
            }
            return .ok(["override": .string(id), "reviewed_by": .string(by.id.rawValue)])

        case .overrideList:
            let all = p["all"]?.boolValue ?? false
            let now = await driver.now()
            return .ok(["overrides": .array(try store.overrides(all: all).map { Self.overrideJSON($0, now) })])

        default:
            throw MethodError.malformed("unknown method \(method.rawValue)")
        }
    }

    static func discrepancyJSON(_ d: Discrepancy, _ now: Moment) -> JSONValue {
        ["id": .string(d.id), "kind": .string(d.kind.key), "expected": .number(Double(d.expected)), "counted": .number(Double(d.counted)),
         "shortfall": .number(Double(d.shortfall)), "state": .string(d.state.rawValue), "opened": .string(d.openedAt.description),
         "escalates_at": .string(CivilTime(wallMillis: d.escalateAtWall, utcOffsetMinutes: 0).iso8601),
         "escalates_in_s": .number(Double(max(0, d.escalateAtWall - now.wallMillis) / 1000)),
         "escalated": .bool(d.escalatedAtWall != nil), "resolution": d.resolution.map { .string($0.rawValue) } ?? .null]
    }

    static func overrideJSON(_ o: Override, _ now: Moment) -> JSONValue {
        ["id": .string(o.id), "patient": .string(o.patient.rawValue), "drug": .string(o.drug.rawValue), "route": .string(o.route.rawValue),
         "dose_mg": .number(Double(o.doseMg)), "state": .string(o.state.rawValue), "opened_by": .string(o.openedBy.rawValue),
         "second": .string(o.secondBy.rawValue), "opened": .string(o.openedAt.description), "expires": .string(o.expiresAt.description),
         "usable": .bool(o.usable(at: now)), "used_by": o.usedBy.map { .string($0.rawValue) } ?? .null,
         "reviewed_by": o.reviewedBy.map { .string($0.rawValue) } ?? .null, "reason": .string(o.reason)]
    }
}
