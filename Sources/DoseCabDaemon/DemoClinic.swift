import Crypto
import DoseCabCore
import DoseCabStore
import Foundation

/// The demo clinic `--simulate` creates on first run: staff and patients with cards and PINs,
/// a demo prescriber key, signed prescriptions and stock. Everything goes through the same
/// store calls (and audit records) as a real clinic's enrolment and imports.
public enum DemoClinic {
    public struct Person: Sendable {
        public var id: String, role: String, facility: UInt32, card: UInt64, pin: String, note: String
    }

    public static let staff: [Person] = [
        Person(id: "S-01", role: "nurse", facility: 10, card: 1001, pin: "1234", note: "nurse, the usual witness"),
        Person(id: "S-02", role: "clinician", facility: 10, card: 1002, pin: "2345", note: "clinician: clears holds"),
        Person(id: "S-03", role: "pharmacist", facility: 10, card: 1003, pin: "3456", note: "pharmacist: stock"),
        Person(id: "S-04", role: "admin", facility: 10, card: 1004, pin: "4567", note: "admin: opens break-glass overrides"),
        Person(id: "S-05", role: "admin", facility: 10, card: 1005, pin: "5678", note: "second admin: reviews overrides"),
    ]
    public static let patients: [Person] = [
        Person(id: "P-0001", role: "patient", facility: 20, card: 2001, pin: "1111", note: "diacetylmorphine 200 mg injectable, 3x/day"),
        Person(id: "P-0002", role: "patient", facility: 20, card: 2002, pin: "2222", note: "diacetylmorphine 300 mg inhalable + methadone 60 mg oral"),
        Person(id: "P-0003", role: "patient", facility: 20, card: 2003, pin: "3333", note: "methadone 40 mg oral, 1x/day"),
        Person(id: "P-0004", role: "patient", facility: 20, card: 2004, pin: "4444",
               note: "diacetylmorphine 200 mg injectable or 300 mg inhalable + methadone 60 mg oral: keys 111#, 112#, 12#"),
    ]
    public static let prescriberKeyID = "demo-prescriber"

    /// Creates the demo clinic if the store has nobody yet. Returns true when it did.
    @discardableResult
    public static func seed(store: Store, directory: String, pins: ScryptPINs, now: Moment, calendar: ClinicCalendar) throws -> Bool {
        guard try store.staffMembers().isEmpty else { return false }
        let actor = "demo-setup"
        // Staff the way a real cabinet gets them (issue 18.3): the one-time bootstrap of the first
        // admin and a second person (the two admins), then everyone else approved by those two,
        // through the store's checked calls (two different people, neither the subject, an admin
        // for a clinician). The demo set every PIN a line above, so it does not verify them again.
        let members = staff.map { s in
            Staff(id: StaffID(s.id), role: StaffRole(rawValue: s.role)!,
                  card: CardID(format: .h10301, facility: s.facility, number: s.card), pin: pins.hash(pin: s.pin))
        }
        let founders = members.filter { $0.role == .admin }
        _ = try store.bootstrapStaff(founders[0], founders[1], actor: actor, at: now)
        for member in members where member.role != .admin {
            _ = try store.enroll(member, approvedBy: founders[0].id, founders[1].id, replace: false, actor: actor, at: now)
        }
        // Patients by two staff members, as `enroll patient` names them.
        for p in patients {
            let patient = Patient(id: PatientID(p.id), card: CardID(format: .h10301, facility: p.facility, number: p.card), pin: pins.hash(pin: p.pin))
            _ = try store.enroll(patient, by: "S-01+S-04 (\(actor))", at: now)
        }
        // The demo prescriber key is created on first run and kept beside the state.
        let key = Curve25519.Signing.PrivateKey()
        let keyDir = directory + "/prescribers"
        try FileManager.default.createDirectory(atPath: keyDir, withIntermediateDirectories: true)
        try Data(key.rawRepresentation).write(to: URL(fileURLWithPath: directory + "/demo-prescriber.key"))
        try Data(key.publicKey.rawRepresentation.base64EncodedString().utf8).write(to: URL(fileURLWithPath: keyDir + "/\(prescriberKeyID).pub"))
        _ = try store.installPrescriberKey(PrescriberKey(keyID: prescriberKeyID, publicKey: Array(key.publicKey.rawRepresentation)), by: actor, at: now)

        let today = calendar.day(of: now)
        let from = calendar.dateString(day: today - 1), until = calendar.dateString(day: today + 90)
        func rx(_ id: String, _ p: String, _ drug: Drug, _ route: Route, _ dose: Int, _ sessions: Int) -> Prescription {
            Prescription(id: id, version: 1, patient: PatientID(p), drug: drug, route: route, doseMg: dose, maxSessionsPerDay: sessions,
                         validFrom: from, validUntil: until, prescriber: prescriberKeyID)
        }
        let docs: [Prescription] = [
            rx("RX-0001-DAM", "P-0001", .diacetylmorphine, .injectable, 200, 3),
            rx("RX-0002-DAM", "P-0002", .diacetylmorphine, .inhalable, 300, 3),
            rx("RX-0002-MTD", "P-0002", .methadone, .oral, 60, 1),
            rx("RX-0003-MTD", "P-0003", .methadone, .oral, 40, 1),
            rx("RX-0004-INJ", "P-0004", .diacetylmorphine, .injectable, 200, 3),
            rx("RX-0004-INH", "P-0004", .diacetylmorphine, .inhalable, 300, 3),
            rx("RX-0004-MTD", "P-0004", .methadone, .oral, 60, 1),
        ]
        let entries = try docs.map { try SignedPrescriptionEntry.sign(.prescription($0), keyID: prescriberKeyID, with: key) }
        let bundle = try PrescriptionBundle.encode(entries)
        try Data(bundle).write(to: URL(fileURLWithPath: directory + "/demo-prescriptions.json"))
        _ = try store.importBundle(bundle, policy: ClinicPolicy(), now: now, actor: actor)

        // Stock: numeric serials, because the return scanner's tag number is the serial.
        // Each batch with its manufacturer's lot number and an expiry a year ahead (issue #11).
        let expiry = calendar.dateString(day: today + 365)
        func units(_ first: Int, _ n: Int, _ drug: Drug, _ route: Route, _ mg: Int) -> [StockUnit] {
            (first..<(first + n)).map { StockUnit(serial: UnitSerial(String($0)), drug: drug, route: route, strengthMg: mg,
                                                  batch: "DEMO-\(first / 1000)", expiry: expiry) }
        }
        let pharmacist = StaffID("S-03"), nurse = StaffID("S-01")
        for batch in [units(700001, 40, .diacetylmorphine, .injectable, 200), units(710001, 20, .diacetylmorphine, .injectable, 100),
                      units(720001, 40, .diacetylmorphine, .inhalable, 100), units(800001, 60, .methadone, .oral, 20)] {
            _ = try store.commit(.stockReceived(batch, by: pharmacist, witness: nurse, at: now))
        }
        return true
    }

    /// What the README shows after starting the demo.
    public static func guide(socket: String) -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().standardizedFileURL.path
        var s = "\nSimulated cabinet is up. In another terminal:\n\n"
        s += "  export DOSECAB_SOCKET=\(socket) PATH=\(bin):$PATH\n\n"
        s += "  People:\n"
        for p in staff + patients { s += "    \(p.id)  card \(p.facility):\(p.card)  PIN \(p.pin)   \(p.note)\n" }
        s += """

          A full dispense of P-0001's heroin:
            dosecabctl sim card counter 1001 --facility 10 --pin 1234    # nurse badges in
            dosecabctl sim card counter 2001 --facility 20 --pin 1111    # patient card + PIN
            dosecabctl sim keys 1#                                       # nurse attests: not intoxicated (the one dose in force)
            dosecabctl sim door open
            dosecabctl sim scan 700001                                   # take the ampoule out: issue scan
            dosecabctl sim door close
            dosecabctl sim return 700001                                 # the empty ampoule back through the chute
            dosecabctl status; dosecabctl releases; dosecabctl report daily
          A patient with several doses in force (P-0004): the counter lists each with its key,
            e.g. dosecabctl sim keys 112#                              # inhalable heroin 300 mg
          Skip ahead: dosecabctl sim advance 3600   (an unreturned ampoule becomes a hold)
          Stock control: dosecabctl count start --staff S-03 --pin 3456 --witness S-01 --witness-pin 1234
                         (then count enter, discrepancy list, override open; docs/operations.md)

        """
        return s
    }
}
