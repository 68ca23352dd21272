import DoseCabControl
import DoseCabCore
import DoseCabStore

/// Clinical decisions over the control socket (docs/control-protocol.md): each takes the staff
/// member's badge number and PIN (ARCHITECTURE §4a: a Unix account alone never decides) and a
/// reason; the role rules are the core's (`ClinicalRules`).
extension ControlMethods {

    func clinicalMethod(_ method: ControlMethod, _ p: [String: JSONValue]) async throws -> ControlReply {
        switch method {
        case .observationEnd:
            let patient = try knownPatient(p)
            let reason = try string(p, "reason")
            let staff = try await identifyStaff(p, action: "ending an observation early")
            let (running, record): (RunningObservation, AuditRecord)
            do { (running, record) = try await withAdminRecord { try await driver.endObservation(patient, by: staff, reason: reason) } } catch let refused as ClinicalRefused {
                throw MethodError(message: refused.description)
            } catch let error as StoreError {
                throw MethodError(error)
            }
            return .ok(["patient": .string(patient.rawValue), "ended_by": .string(staff.id.rawValue),
                        "release": running.release.map { .string($0.rawValue) } ?? .null,
                        "route": running.route.map { .string($0.rawValue) } ?? .null,
                        "observation_minutes": .number(Double(running.minutes)),
                        "audit_seq": .number(Double(record.seq))])
        case .reauthorise:
            let patient = try knownPatient(p)
            let reason = try string(p, "reason")
            let staff = try await identifyStaff(p, action: "a re-authorisation after missed doses")
            let (missed, record): (Int64, AuditRecord)
            do { (missed, record) = try await withAdminRecord { try await driver.reauthorise(patient, by: staff, reason: reason) } } catch let refused as ClinicalRefused {
                throw MethodError(message: refused.description)
            } catch let error as StoreError {
                throw MethodError(error)
            }
            return .ok(["patient": .string(patient.rawValue), "reauthorised_by": .string(staff.id.rawValue),
                        "missed_days": .number(Double(missed)), "audit_seq": .number(Double(record.seq))])
        default:
            throw MethodError.malformed("unknown method \(method.rawValue)")
        }
    }

    private func knownPatient(_ p: [String: JSONValue]) throws -> PatientID {
        let patient = PatientID(try string(p, "patient"))
        guard try store.patient(id: patient) != nil else { throw MethodError(message: "patient \(patient): unknown") }
        return patient
    }
}
