import Crypto
import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB

/// A store in a fresh temporary directory, with a small clinic: one patient, staff, stock.
final class Fixture: @unchecked Sendable {
    let directory: String
    private(set) var store: Store
    let calendar: ClinicCalendar
    static let pins = ScryptPINs(rounds: 16)
    /// A PIN no other bytes of the file could contain by chance.
    static let patientPIN = "58316092"
    /// Fixed test keys (a private key is not Sendable, its seed is).
    static var prescriberKey: Curve25519.Signing.PrivateKey { key(seed: 1) }
    static var otherKey: Curve25519.Signing.PrivateKey { key(seed: 2) }
    static func key(seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    /// 2026-03-02 08:00 UTC, in the morning window.
    static let t0 = Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 3, day: 2, hour: 8), bootMillis: 5_000_000, bootID: "boot-a")
    var day: Int64 { calendar.day(of: Fixture.t0) }

    let patient = PatientID("P-0001")
    let other = PatientID("P-0002")
    let nurse = StaffID("S-01")
    let clinician = StaffID("S-02")

    /// Removes the directory when done (only when the fixture made it).
    private let ownsDirectory: Bool

    init(maxPageCount: Int? = nil, directory: String? = nil, calendar: ClinicCalendar = ClinicCalendar()) throws {
        self.directory = directory ?? Fixture.temporaryDirectory()
        self.calendar = calendar
        ownsDirectory = directory == nil
        store = try Store(directory: self.directory, calendar: calendar, maxPageCount: maxPageCount)
    }

    deinit { if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) } }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "dosecab-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Opens the store again (as after a restart).
    func reopen() throws {
        store = try Store(directory: directory, calendar: calendar)
    }

    func at(minutes: Int64) -> Moment { Fixture.t0.advanced(byMillis: minutes * 60_000) }

    /// Patients, staff, a prescriber key and stock: 10 x 100 mg DAM ampoules, 5 x 50 mg methadone cups.
    func seed() throws {
        try store.enroll(Patient(id: patient, card: CardID(format: .h10301, facility: 1, number: 1001),
                                 pin: Fixture.pins.hash(pin: Fixture.patientPIN)), by: "S-01+S-02", at: Fixture.t0)
        try store.enroll(Patient(id: other, card: CardID(format: .h10301, facility: 1, number: 1002),
                                 pin: Fixture.pins.hash(pin: "1234")), by: "S-01+S-02", at: Fixture.t0)
        try store.enroll(Staff(id: nurse, role: .nurse, card: CardID(format: .h10306, facility: 7, number: 1),
                               pin: Fixture.pins.hash(pin: "2468")), by: "admin", at: Fixture.t0)
        try store.enroll(Staff(id: clinician, role: .clinician, card: CardID(format: .h10306, facility: 7, number: 2),
                               pin: Fixture.pins.hash(pin: "1357")), by: "admin", at: Fixture.t0)
        try store.installPrescriberKey(PrescriberKey(keyID: "dr-a", publicKey: Array(Fixture.prescriberKey.publicKey.rawRepresentation)),
                                       by: "admin", at: Fixture.t0)
        try store.commit(.stockReceived((1...10).map { StockUnit(serial: ampoule($0), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "B-1", expiry: "2099-12-31") }
                                        + (1...5).map { StockUnit(serial: cup($0), drug: .methadone, route: .oral, strengthMg: 50, batch: "B-1", expiry: "2099-12-31") },
                                        by: nurse, witness: clinician, at: Fixture.t0))
    }

    func ampoule(_ n: Int) -> UnitSerial { UnitSerial("A-\(100 + n)") }
    func cup(_ n: Int) -> UnitSerial { UnitSerial("M-\(100 + n)") }

    func plan(_ patient: PatientID? = nil, drug: Drug = .diacetylmorphine, route: Route = .injectable, dose: Int = 200,
              strength: Int = 100, count: Int = 2, at: Moment) -> ReleasePlan {
        ReleasePlan(at: at, patient: patient ?? self.patient, identityMethod: "card+PIN", prescriptionID: "rx-1",
                    prescriptionVersion: 1, prescriber: "dr-a", drug: drug, route: route, doseMg: dose,
                    unitStrengthMg: strength, unitCount: count, residueMg: strength * count - dose, staff: nurse,
                    witness: nurse, closeOut: CloseOutPolicy(rule: route == .injectable ? .return : .witnessed, deadlineMinutes: 60))
    }

    func unit(_ serial: UnitSerial, release: ReleaseID, patient: PatientID? = nil, drug: Drug = .diacetylmorphine,
              route: Route = .injectable, strength: Int = 100, at: Moment) -> IssuedUnit {
        IssuedUnit(serial: serial, release: release, patient: patient ?? self.patient, drug: drug, route: route,
                   strengthMg: strength, rule: route == .injectable ? .return : .witnessed, issuedAt: at,
                   deadline: at.advanced(byMillis: 60 * 60_000))
    }

    /// A second, independent connection to the file (what another process would see).
    func freshConnection() throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: store.path, configuration: config)
    }

    /// Every row of every table, as text: two dumps are equal when nothing changed.
    func snapshot() throws -> String {
        try freshConnection().read { db in
            var out = ""
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for table in tables {
                out += "## \(table)\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY rowid") { out += "\(row)\n" }
            }
            return out
        }
    }

    /// A signed bundle of `documents`, each signed by `key` under `keyID`.
    static func bundle(_ documents: [PrescriptionDocument], keyID: String = "dr-a",
                       key: Curve25519.Signing.PrivateKey = prescriberKey) throws -> [UInt8] {
        try PrescriptionBundle.encode(documents.map { try SignedPrescriptionEntry.sign($0, keyID: keyID, with: key) })
    }

    func prescription(_ id: String = "rx-1", version: Int = 1, patient: PatientID? = nil, drug: Drug = .diacetylmorphine,
                      route: Route = .injectable, dose: Int = 200, sessions: Int = 3, prescriber: String = "dr-a") -> PrescriptionDocument {
        .prescription(Prescription(id: id, version: version, patient: patient ?? self.patient, drug: drug, route: route,
                                   doseMg: dose, maxSessionsPerDay: sessions, validFrom: "2026-03-01", validUntil: "2026-03-31",
                                   prescriber: prescriber))
    }
}

/// The StoreError thrown by `body`, or nil.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do { try body() } catch let error as StoreError { return error } catch { return nil }
    return nil
}
