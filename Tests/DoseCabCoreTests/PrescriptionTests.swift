import Crypto
import Foundation
import Testing
@testable import DoseCabCore

@Suite struct PrescriptionTests {
    let key = Curve25519.Signing.PrivateKey()
    let otherKey = Curve25519.Signing.PrivateKey()
    var verifier: PrescriptionVerifier {
        PrescriptionVerifier(keys: [PrescriberKey(keyID: "dr-a", publicKey: Array(key.publicKey.rawRepresentation))])
    }

    func signed(_ p: Prescription = F.prescription(), with k: Curve25519.Signing.PrivateKey? = nil, keyID: String = "dr-a") throws -> SignedPrescriptionEntry {
        try SignedPrescriptionEntry.sign(.prescription(p), keyID: keyID, with: k ?? key)
    }

    @Test func goodSignatureVerifiesAndParses() throws {
        let entry = try signed()
        #expect(try verifier.verify(entry, nowMillis: 0).get() == .prescription(F.prescription()))
    }

    @Test func forgedPayloadIsRejected() throws {
        var entry = try signed()
        // Raise the dose in the signed bytes: 200 → 900.
        let text = String(decoding: entry.payload, as: UTF8.self).replacingOccurrences(of: "\"dose_mg\":200", with: "\"dose_mg\":900")
        #expect(text.contains("900"))
        entry.payload = Array(text.utf8)
        #expect(verifier.verify(entry, nowMillis: 0) == .failure(.badSignature("dr-a")))
    }

    @Test func wrongKeyUnknownKeyRevokedKeyAndSignerMismatch() throws {
        #expect(verifier.verify(try signed(with: otherKey), nowMillis: 0) == .failure(.badSignature("dr-a")))
        #expect(verifier.verify(try signed(keyID: "dr-x"), nowMillis: 0) == .failure(.unknownPrescriber("dr-x")))
        let revoked = PrescriptionVerifier(keys: [PrescriberKey(keyID: "dr-a", publicKey: Array(key.publicKey.rawRepresentation), revokedAtMillis: 100)])
        #expect(revoked.verify(try signed(), nowMillis: 99).isSuccess)
        #expect(revoked.verify(try signed(), nowMillis: 100) == .failure(.revokedKey("dr-a")))
        // Dr B signs a prescription claiming to be Dr A's.
        let two = PrescriptionVerifier(keys: [PrescriberKey(keyID: "dr-a", publicKey: Array(key.publicKey.rawRepresentation)),
                                              PrescriberKey(keyID: "dr-b", publicKey: Array(otherKey.publicKey.rawRepresentation))])
        #expect(two.verify(try signed(with: otherKey, keyID: "dr-b"), nowMillis: 0) == .failure(.signerMismatch(signedBy: "dr-b", claims: "dr-a")))
    }

    @Test func malformedPayloadsAreRejectedAfterVerification() throws {
        for bad in ["{", "[]", "{\"type\":\"prescription\"}", "{\"type\":\"poem\"}", "null"] {
            let payload = Array(bad.utf8)
            let entry = SignedPrescriptionEntry(keyID: "dr-a", payload: payload, signature: Array(try key.signature(for: Data(payload))))
            guard case .failure(.malformed) = verifier.verify(entry, nowMillis: 0) else {
                Issue.record("accepted \(bad)"); continue
            }
        }
        let invalid = F.prescription(dose: -5)
        guard case .failure(.invalid(_, let problems)) = verifier.verify(try signed(invalid), nowMillis: 0) else {
            Issue.record("negative dose accepted"); return
        }
        #expect(problems.contains("dose_mg must be positive"))
    }

    @Test func versionsOnlyMoveForward() throws {
        var book = PrescriptionBook()
        let v2 = try signed(F.prescription(dose: 250, version: 2))
        let v1 = try signed(F.prescription(dose: 200, version: 1))
        let d2 = try verifier.verify(v2, nowMillis: 0).get()
        let d1 = try verifier.verify(v1, nowMillis: 0).get()
        #expect(book.accept(d2, payload: v2.payload) == .installed)
        // The older version can never come back.
        #expect(book.accept(d1, payload: v1.payload) == .stale(current: 2))
        // The identical version again is a no-op.
        #expect(book.accept(d2, payload: v2.payload) == .unchanged)
        // The same version with other bytes is refused.
        let v2b = try signed(F.prescription(dose: 300, version: 2))
        #expect(book.accept(try verifier.verify(v2b, nowMillis: 0).get(), payload: v2b.payload) == .stale(current: 2))
        #expect(book.active(for: PatientID("P-1")).map(\.doseMg) == [250])
        // A signed cancellation at a newer version ends it.
        let cancel = try SignedPrescriptionEntry.sign(.cancellation(PrescriptionCancellation(id: "RX-P-1-diacetylmorphine", version: 3,
                                                                                             patient: PatientID("P-1"), prescriber: "dr-a", reason: "stopped")),
                                                      keyID: "dr-a", with: key)
        #expect(book.accept(try verifier.verify(cancel, nowMillis: 0).get(), payload: cancel.payload) == .installed)
        #expect(book.active(for: PatientID("P-1")).isEmpty)
        // And the cancelled prescription cannot be replayed.
        #expect(book.accept(d2, payload: v2.payload) == .stale(current: 3))
    }

    @Test func bundleRoundTripAndGarbage() throws {
        let entries = [try signed(), try signed(F.prescription(dose: 60, drug: .methadone, route: .oral))]
        let bytes = try PrescriptionBundle.encode(entries)
        #expect(try PrescriptionBundle.parse(bytes) == entries)
        for garbage in ["", "{}", "{\"entries\": 5}", "{\"entries\": [{\"key\": \"a\", \"payload\": \"!!\", \"signature\": \"\"}]}"] {
            #expect(throws: PrescriptionError.self) { try PrescriptionBundle.parse(Array(garbage.utf8)) }
        }
    }

    @Test func datesAreStrict() {
        #expect(parseDay("2026-11-25") == CivilTime.wallMillis(year: 2026, month: 11, day: 25) / 86_400_000)
        for bad in ["2026-02-30", "2026-13-01", "26-11-25", "2026-1-05", "yesterday", ""] { #expect(parseDay(bad) == nil) }
        #expect(CivilTime(wallMillis: F.morning.wallMillis, utcOffsetMinutes: 0).iso8601 == "2026-11-25T08:00:00.000Z")
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
