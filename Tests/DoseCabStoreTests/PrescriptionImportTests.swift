import Crypto
import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

@Suite struct PrescriptionImportTests {
    let policy = ClinicPolicy()

    func seeded() throws -> Fixture {
        let f = try Fixture()
        try f.seed()
        return f
    }

    /// Imports `bytes`, expects the whole bundle refused with nothing changed; returns the problems.
    func expectRejected(_ f: Fixture, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let before = try f.snapshot()
        let error = storeError { _ = try f.store.importBundle(bytes, policy: policy, now: f.at(minutes: 5), actor: "S-02") }
        #expect(try f.snapshot() == before, "the database changed", sourceLocation: sourceLocation)
        guard case .bundleRejected(let problems) = error else {
            Issue.record("expected bundleRejected, got \(String(describing: error))", sourceLocation: sourceLocation)
            return []
        }
        #expect(error!.description.hasPrefix("store: prescription bundle rejected"), sourceLocation: sourceLocation)
        return problems
    }

    @Test func aGoodBundleIsInstalledWithOneAuditRecord() throws {
        let f = try seeded()
        let head = try f.store.chainHead()
        let report = try f.store.importBundle(
            try Fixture.bundle([f.prescription(), f.prescription("rx-2", drug: .methadone, route: .oral, dose: 50, sessions: 2)]),
            policy: policy, now: f.at(minutes: 5), actor: "S-02")
        #expect(report.installed == ["rx-1@1", "rx-2@1"])
        let record = try #require(report.record)
        #expect(record.seq == head.lastSeq + 1)
        #expect(record.event.kind == .admin && record.event.fields["action"] == "prescriptions-imported")
        #expect(try f.store.chainHead().lastSeq == record.seq)
        #expect(try f.store.activePrescriptions(for: f.patient).map(\.id) == ["rx-1", "rx-2"])
        #expect(try f.store.prescriptionBook().entries.count == 2)
    }

    @Test func anIdenticalReSendIsANoOp() throws {
        let f = try seeded()
        let bytes = try Fixture.bundle([f.prescription()])
        _ = try f.store.importBundle(bytes, policy: policy, now: f.at(minutes: 5), actor: "S-02")
        let before = try f.snapshot()
        let again = try f.store.importBundle(bytes, policy: policy, now: f.at(minutes: 6), actor: "S-02")
        #expect(again.unchanged == ["rx-1@1"] && again.installed.isEmpty && again.record == nil)
        #expect(try f.snapshot() == before)
    }

    @Test func aForgedSignatureRejectsTheBundle() throws {
        let f = try seeded()
        var entry = try SignedPrescriptionEntry.sign(f.prescription(), keyID: "dr-a", with: Fixture.prescriberKey)
        entry.payload = Array(String(decoding: entry.payload, as: UTF8.self).replacingOccurrences(of: "\"dose_mg\":200", with: "\"dose_mg\":900").utf8)
        let good = try SignedPrescriptionEntry.sign(f.prescription("rx-2"), keyID: "dr-a", with: Fixture.prescriberKey)
        let problems = try expectRejected(f, try PrescriptionBundle.encode([good, entry]))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("entry 2: signature does not verify") == true)
    }

    @Test func aSignatureByAnotherKeyRejectsTheBundle() throws {
        let f = try seeded()
        let problems = try expectRejected(f, try Fixture.bundle([f.prescription()], keyID: "dr-a", key: Fixture.otherKey))
        #expect(problems == ["entry 1: signature does not verify with key 'dr-a'"])
    }

    @Test func anUnknownPrescriberRejectsTheBundle() throws {
        let f = try seeded()
        let problems = try expectRejected(f, try Fixture.bundle([f.prescription(prescriber: "dr-x")], keyID: "dr-x", key: Fixture.otherKey))
        #expect(problems == ["entry 1: unknown prescriber key 'dr-x'"])
    }

    @Test func anOlderOrRewrittenVersionRejectsTheBundle() throws {
        let f = try seeded()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription(version: 2)]), policy: policy, now: f.at(minutes: 1), actor: "S-02")
        let older = try expectRejected(f, try Fixture.bundle([f.prescription(version: 1)]))
        #expect(older == ["entry 1 (rx-1 v1): version 1 is older than the installed version 2"])
        let rewritten = try expectRejected(f, try Fixture.bundle([f.prescription(version: 2, dose: 150)]))
        #expect(rewritten == ["entry 1 (rx-1 v2): version 2 is already installed with other content"])
        let newer = try f.store.importBundle(try Fixture.bundle([f.prescription(version: 3, dose: 150)]), policy: policy,
                                             now: f.at(minutes: 2), actor: "S-02")
        #expect(newer.installed == ["rx-1@3"])
        #expect(try f.store.activePrescriptions(for: f.patient).first?.doseMg == 150)
    }

    @Test func aDoseAboveTheCeilingsRejectsTheBundle() throws {
        let f = try seeded()
        let problems = try expectRejected(f, try Fixture.bundle([
            f.prescription("rx-1", dose: 1200, sessions: 1),
            f.prescription("rx-2", dose: 400, sessions: 3),
            f.prescription("rx-3", drug: .methadone, route: .oral, dose: 100, sessions: 2),
        ]))
        #expect(problems.count == 3)
        #expect(problems[0].contains("dose 1200 mg exceeds the clinic ceiling of 1000 mg"))
        #expect(problems[1].contains("400 mg x 3 sessions exceeds the clinic ceiling of 1000 mg"))
        #expect(problems[2].contains("ceiling of 150 mg a day of methadone"))
    }

    @Test func anUnknownPatientRejectsTheBundle() throws {
        let f = try seeded()
        let problems = try expectRejected(f, try Fixture.bundle([f.prescription(), f.prescription("rx-2", patient: PatientID("P-404"))]))
        #expect(problems == ["entry 2 (rx-2 v1): patient P-404 is not enrolled"])
    }

    @Test func malformedInputRejectsTheBundle() throws {
        let f = try seeded()
        #expect(try expectRejected(f, Array("{not json".utf8)).first?.hasPrefix("bundle: malformed entry") == true)
        #expect(try expectRejected(f, Array("{\"entries\": []}".utf8)) == ["bundle: it has no entries"])
        // A signed payload that is not a prescription document.
        let key = Fixture.prescriberKey
        let payload = Array("{\"type\":\"prescription\",\"id\":\"rx-1\"}".utf8)
        let entry = SignedPrescriptionEntry(keyID: "dr-a", payload: payload, signature: Array(try key.signature(for: Data(payload))))
        let problems = try expectRejected(f, try PrescriptionBundle.encode([entry]))
        #expect(problems.first?.hasPrefix("entry 1: malformed entry") == true)
    }

    @Test func cancellationEndsAPrescription() throws {
        let f = try seeded()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription()]), policy: policy, now: f.at(minutes: 1), actor: "S-02")
        let cancel = PrescriptionDocument.cancellation(PrescriptionCancellation(id: "rx-1", version: 2, patient: f.patient,
                                                                                prescriber: "dr-a", reason: "treatment ended"))
        let report = try f.store.importBundle(try Fixture.bundle([cancel]), policy: policy, now: f.at(minutes: 2), actor: "S-02")
        #expect(report.cancelled == ["rx-1@2"])
        #expect(try f.store.activePrescriptions(for: f.patient).isEmpty)
        let after = try expectRejected(f, try Fixture.bundle([f.prescription(version: 3)]))
        #expect(after == ["entry 1 (rx-1 v3): prescription rx-1 was cancelled at version 2"])
        let nothing = PrescriptionDocument.cancellation(PrescriptionCancellation(id: "rx-9", version: 1, patient: f.patient,
                                                                                 prescriber: "dr-a", reason: "x"))
        #expect(try expectRejected(f, try Fixture.bundle([nothing])) == ["entry 1 (rx-9 v1): cancels prescription rx-9, which is not installed"])
    }

    /// Issue 18.13: a revoked key signs nothing more, and what it signed is no longer in force
    /// from the revocation on (a late entry for a dose given before it is still judged by it).
    @Test func aRevokedKeySignsNoMoreAndItsPrescriptionsAreNoLongerInForce() throws {
        let f = try seeded()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription()]), policy: policy, now: f.at(minutes: 1), actor: "S-02")
        try f.store.revokePrescriberKey("dr-a", reason: "key lost", by: StaffID("S-01"), witness: StaffID("S-02"), actor: "test",
                                         at: f.at(minutes: 2))
        #expect(try expectRejected(f, try Fixture.bundle([f.prescription("rx-2")])) == ["entry 1: prescriber key 'dr-a' is revoked"])
        #expect(try f.store.activePrescriptions(for: f.patient).isEmpty)
        #expect(try f.store.prescriptionsInForce(for: f.patient, atWall: f.at(minutes: 1).wallMillis + 1).map(\.id) == ["rx-1"])
        #expect(try f.store.prescriptionsInForce(for: f.patient, atWall: f.at(minutes: 3).wallMillis).isEmpty)
        #expect(try f.store.prescriberKeys().first?.revokedAtMillis == f.at(minutes: 2).wallMillis)
        #expect(storeError { try f.store.installPrescriberKey(PrescriberKey(keyID: "dr-a", publicKey: Array(Fixture.prescriberKey.publicKey.rawRepresentation)), by: "admin", at: f.at(minutes: 3)) } != nil)
    }

    @Test func aPrescriptionEditedInTheDatabaseIsNotDispensed() throws {
        let f = try seeded()
        _ = try f.store.importBundle(try Fixture.bundle([f.prescription()]), policy: policy, now: f.at(minutes: 1), actor: "S-02")
        let intruder = try DatabaseQueue(path: f.store.path)
        try intruder.write { db in
            try db.execute(sql: "UPDATE prescription SET payload = CAST(replace(CAST(payload AS TEXT), '\"dose_mg\":200', '\"dose_mg\":900') AS BLOB)")
        }
        let error = storeError { _ = try f.store.activePrescriptions(for: f.patient) }
        guard case .corrupt = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func prescriberKeyFilesAreReadAsBase64OrPEM() throws {
        let raw = Array(Fixture.prescriberKey.publicKey.rawRepresentation)
        #expect(try Store.prescriberKey(keyID: "dr-a", fileContents: Data(raw).base64EncodedString() + "\n").publicKey == raw)
        let spki: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + raw
        let pem = "-----BEGIN PUBLIC KEY-----\n\(Data(spki).base64EncodedString())\n-----END PUBLIC KEY-----\n"
        #expect(try Store.prescriberKey(keyID: "dr-a", fileContents: pem).publicKey == raw)
        #expect(storeError { _ = try Store.prescriberKey(keyID: "x", fileContents: "not a key") } != nil)
    }
}
