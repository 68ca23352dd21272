import Crypto
import Foundation
@testable import DoseCabCore

/// PIN "verification" for tests: the hash bytes are the PIN's UTF-8 (the real scrypt lives in the store).
struct PlainPINs: PINVerifier {
    func verify(pin: String, against hash: PINHash) -> Bool { Array(pin.utf8) == hash.hash }
    static func hash(_ pin: String) -> PINHash { PINHash(salt: [], hash: Array(pin.utf8), rounds: 0) }
}

extension Cabinet {
    /// Feeds `event` as the daemon does (CabinetDriver+Counter): keys one entry at a time, a PIN
    /// entry with the verdict of its check (`PlainPINs`).
    mutating func handleAsTheDaemonDoes(_ event: CabinetEvent) -> [CabinetEffect] {
        guard case .keys(let keys, let at) = event else { return handle(event) }
        var fx: [CabinetEffect] = []
        for segment in Cabinet.keySegments(keys) {
            if let check = pinCheck(forKeys: segment, at: at) {
                fx += handle(.checkedKeys(segment, check.run(PlainPINs()), at: at))
            } else {
                fx += handle(.keys(segment, at: at))
            }
        }
        return fx
    }
}

enum F {
    /// 2026-11-25 08:00 UTC (morning window), boot clock at 1 000 000 ms.
    static let morning = Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 8), bootMillis: 1_000_000)
    static let today = "2026-11-25"

    static let nurseCard = CardID(format: .h10301, facility: 10, number: 100)
    static let clinicianCard = CardID(format: .h10301, facility: 10, number: 101)
    static let patientCard = CardID(format: .h10301, facility: 20, number: 500)
    static let otherPatientCard = CardID(format: .h10301, facility: 20, number: 501)
    static let nurse = Staff(id: StaffID("S-1"), role: .nurse, card: nurseCard, pin: PlainPINs.hash("1111"))
    static let clinician = Staff(id: StaffID("S-2"), role: .clinician, card: clinicianCard, pin: PlainPINs.hash("2222"))
    static let patient = Patient(id: PatientID("P-1"), card: patientCard, pin: PlainPINs.hash("4321"))
    static let otherPatient = Patient(id: PatientID("P-2"), card: otherPatientCard, pin: PlainPINs.hash("9999"))
    static let roster = Roster(patients: [patient, otherPatient], staff: [nurse, clinician])

    static func prescription(dose: Int = 200, drug: Drug = .diacetylmorphine, route: Route = .injectable,
                             sessions: Int = 3, titrating: Bool = false, from: String = "2026-11-01",
                             until: String = "2026-12-31", version: Int = 1, patient: PatientID = PatientID("P-1")) -> Prescription {
        Prescription(id: "RX-\(patient)-\(drug.rawValue)", version: version, patient: patient, drug: drug, route: route,
                     doseMg: dose, maxSessionsPerDay: sessions, validFrom: from, validUntil: until,
                     prescriber: "dr-a", titrating: titrating)
    }

    static let stock = [StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 200, count: 10),
                        StockLevel(drug: .methadone, route: .oral, strengthMg: 50, count: 10)]

    static func request(attested: Bool = true, witness: StaffID? = StaffID("S-1"), drug: Drug? = nil) -> DispenseRequest {
        DispenseRequest(patient: PatientID("P-1"), identity: IdentityCheck(cardPresented: true, pinVerified: true),
                        witness: witness, notIntoxicatedAttested: attested, drug: drug)
    }

    static func context(now: Moment = morning, prescriptions: [Prescription] = [prescription()],
                        history: PatientHistory = PatientHistory(), stock: [StockLevel] = stock,
                        policy: ClinicPolicy = ClinicPolicy()) -> DispenseContext {
        DispenseContext(now: now, policy: policy, prescriptions: prescriptions, history: history, stock: stock)
    }

    static func past(_ daysAgo: Int64, hour: Int64 = 8, dose: Int = 200, drug: Drug = .diacetylmorphine) -> PastRelease {
        let at = Moment(wallMillis: morning.wallMillis - daysAgo * 86_400_000 + (hour - 8) * 3_600_000,
                        bootMillis: morning.bootMillis - daysAgo * 86_400_000 + (hour - 8) * 3_600_000)
        return PastRelease(id: ReleaseID("R-\(daysAgo)-\(hour)"), drug: drug, doseMg: dose, at: at)
    }

    static func minutes(_ m: Int64, after base: Moment = morning) -> Moment { base.advanced(byMillis: m * 60_000) }
}
