import DoseCabControl
import DoseCabCore
import DoseCabStore

/// Late entries after a mechanical-key downtime (ARCHITECTURE §4a; docs/control-protocol.md).
/// Both writes take two staff members' badge numbers and PINs, like the stock writes.
extension ControlMethods {

    func downtimeMethod(_ method: ControlMethod, _ p: [String: JSONValue]) async throws -> ControlReply {
        let calendar = driver.config.policy.calendar
        switch method {
        case .lateEntry:
            let (by, witness) = try await twoStaff(p, action: "a late entry")
            guard let drug = Drug(rawValue: try string(p, "drug")), let route = Route(rawValue: try string(p, "route")) else {
                throw MethodError(message: "drug must be diacetylmorphine|methadone and route injectable|inhalable|oral")
            }
            guard let outcome = LateOutcome(rawValue: try string(p, "outcome")) else {
                throw MethodError(message: "outcome must be one of \(LateOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let given = try string(p, "given_at")
            guard let wall = calendar.wallMillis(local: given) else {
                throw MethodError(message: "given_at '\(given)' must be the clinic's local time as YYYY-MM-DDTHH:MM, as on the paper register (a time the clocks skipped does not exist)")
            }
            let request = LateEntryRequest(patient: PatientID(try string(p, "patient")), drug: drug, route: route,
                                           serials: try serialList(p, "serials", required: true).map(UnitSerial.init),
                                           givenWall: wall, outcome: outcome, note: try string(p, "note"), by: by, witness: witness)
            let (entry, records): (LateEntry, [AuditRecord])
            do { (entry, records) = try await withAdminRecord { try await driver.recordLateEntry(request) } } catch let refused as DowntimeRefused {
                throw MethodError(message: refused.description)
            } catch let error as StoreError {
                throw MethodError(error)
            }
            return .ok(["release": .string(entry.release.rawValue), "dose_mg": .number(Double(entry.doseMg)),
                        "units": .array(entry.units.map { .string($0.serial.rawValue) }), "outcome": .string(outcome.rawValue),
                        "hold": entry.holdReason.map { .string($0) } ?? .null, "downtime": .number(Double(entry.downtimeSeq)),
                        "audit_seq": .number(Double(records[0].seq))])

        case .lateClose:
            let (by, witness) = try await twoStaff(p, action: "closing a late entry")
            let note = try string(p, "note")
            let records: [AuditRecord]
            do { records = try await withAdminRecord { try await driver.closeDowntimes(note: note, by: by, witness: witness) } } catch let refused as DowntimeRefused {
                throw MethodError(message: refused.description)
            } catch let error as StoreError {
                throw MethodError(error)
            }
            return .ok(["closed": .number(Double(records.count)), "audit_seq": .array(records.map { .number(Double($0.seq)) })])

        case .lateList:
            let entries = try store.lateEntries()
            return .ok([
                "downtimes": .array(try store.downtimes().map { d in
                    ["alarm_seq": .number(Double(d.alarmSeq)),
                     "found": .string(calendar.civilTime(wallMillis: d.foundWall).localMinute),
                     "since": d.sinceWall.map { .string(calendar.civilTime(wallMillis: $0).localMinute) } ?? .null,
                     "state": .string(d.isOpen ? "late entry owed" : "closed"),
                     "entries": .number(Double(entries.filter { $0.downtimeSeq == d.alarmSeq }.count))]
                }),
                "entries": .array(entries.map { e in
                    ["release": .string(e.release.id.rawValue), "downtime": .number(Double(e.downtimeSeq)),
                     "patient": .string(e.release.plan.patient.rawValue), "drug": .string(e.release.plan.drug.rawValue),
                     "route": .string(e.release.plan.route.rawValue), "dose_mg": .number(Double(e.release.plan.doseMg)),
                     "given": .string(calendar.civilTime(wallMillis: e.release.plan.at.wallMillis).localMinute),
                     "staff": .string(e.release.plan.staff.rawValue), "witness": .string(e.release.plan.witness.rawValue),
                     "units": .array(e.units.map { ["serial": .string($0.serial.rawValue), "state": .string($0.state.rawValue)] }),
                     "note": .string(e.release.plan.identityMethod)]
                }),
            ])

        default:
            throw MethodError.malformed("unknown method \(method.rawValue)")
        }
    }

    /// Status: whether a late entry is owed, and since when the door was found open.
    func downtimeStatus() throws -> [String: JSONValue] {
        let calendar = driver.config.policy.calendar
        guard let d = try store.openDowntimes().first else { return ["late_entry_owed": .null] }
        return ["late_entry_owed": .string("mechanical-key opening found at \(calendar.civilTime(wallMillis: d.foundWall).localMinute) (local): dosecabctl late-entry add, then late-entry close")]
    }
}
