// Fuzz target: prescription bundles (`PrescriptionBundle.parse`), signature verification
// (`PrescriptionVerifier.verify`), the signed document parser (`PrescriptionCodec.decode`)
// and the version rule (`PrescriptionBook`).
//
// Installed keys: dr-a (valid), dr-b (valid, revoked at wall-clock millis 1000), dr-c (bytes
// that are no Ed25519 key). The harness also holds dr-x's private key, which is not installed.
// Byte 0 picks the mode:
//   even: the rest is a bundle file, verified entry by entry (a forger's view: the fuzzer
//         holds no private key, so anything that verifies is a property failure);
//   odd:  the rest is a payload the harness signs (as dr-a, dr-b, dr-x claiming dr-a or
//         dr-c's id) so the fuzzer reaches the document parser behind the signature check;
//         then the same payload with one flipped signature bit and one flipped payload bit.
// Properties:
//   - a verified entry was signed by an installed, unrevoked key under the entry's key id
//     (checked again with Curve25519 directly), claims that prescriber, has no shape error,
//     and its payload decodes to the same document;
//   - a flipped bit in signature or payload never verifies; an uninstalled key never does;
//   - a bundle re-encodes to the same entries;
//   - the book: a refused (stale) document changes nothing; an installed one is there.
import Crypto
import DoseCabCore
import Foundation
import FuzzSupport

func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
    try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
}

nonisolated(unsafe) let drA = key(0xA1), drB = key(0xB2), drX = key(0xE5)
let installed: [PrescriberKey] = [
    PrescriberKey(keyID: "dr-a", publicKey: Array(drA.publicKey.rawRepresentation)),
    PrescriberKey(keyID: "dr-b", publicKey: Array(drB.publicKey.rawRepresentation), revokedAtMillis: 1000),
    PrescriberKey(keyID: "dr-c", publicKey: [UInt8](repeating: 7, count: 31)),
]
let verifier = PrescriptionVerifier(keys: installed)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = data.map { FuzzInput($0, size) } ?? FuzzInput(bytes: [])
    let mode = input.byte()
    // "now": before, at or after dr-b's revocation.
    let now: Int64 = [0, 999, 1000, 1_700_000_000_000][Int(mode >> 1) & 3]
    var book = PrescriptionBook()
    if mode & 1 == 0 {
        let bytes = input.rest()
        guard let entries = try? PrescriptionBundle.parse(bytes) else { return 0 }
        do {
            let again = try PrescriptionBundle.parse(try PrescriptionBundle.encode(entries))
            check(again == entries, "a bundle re-encodes to the same entries")
        } catch {
            violated("a parsed bundle can be encoded and parsed again", "\(error)")
        }
        for entry in entries.prefix(32) {
            let result = verifier.verify(entry, nowMillis: now)
            if case .success = result {
                violated("nothing verifies without a private key", "entry by '\(entry.keyID)'")
            }
            judge(entry, result, now: now, book: &book)
        }
    } else {
        let signer = Int(mode >> 3) & 3
        let payload = input.rest()
        let (privateKey, keyID): (Curve25519.Signing.PrivateKey, String) =
            [(drA, "dr-a"), (drB, "dr-b"), (drX, "dr-a"), (drX, "dr-c")][signer]
        let signature = Array(try! privateKey.signature(for: Data(payload)))
        let entry = SignedPrescriptionEntry(keyID: keyID, payload: payload, signature: signature)
        let result = verifier.verify(entry, nowMillis: now)
        if signer >= 2, case .success = result {
            violated("a key that is not installed never verifies")
        }
        judge(entry, result, now: now, book: &book)
        // One flipped bit, anywhere in the signature or the payload, never verifies. (Checked
        // when the original verifies, the only case where it says something; crypto is slow.)
        if case .success = result {
            let bit = Int(payload.first ?? 0) &+ payload.count
            var badSig = entry
            badSig.signature[(bit / 8) % badSig.signature.count] ^= UInt8(1 << (bit % 8))
            if case .success = verifier.verify(badSig, nowMillis: now) { violated("a flipped signature bit verifies") }
            if !payload.isEmpty {
                var badPayload = entry
                badPayload.payload[(bit / 8) % payload.count] ^= UInt8(1 << (bit % 8))
                if case .success = verifier.verify(badPayload, nowMillis: now) { violated("a flipped payload bit verifies") }
            }
        }
        // The same document twice is a no-op; a bundle of it survives the bundle codec.
        if case .success(let doc) = result {
            check(book.accept(doc, payload: payload) == .unchanged, "the same version and bytes again change nothing")
            let reparsed = try? PrescriptionBundle.parse(try PrescriptionBundle.encode([entry]))
            check(reparsed == [entry], "a signed entry survives the bundle codec")
        }
    }
    return 0
}

func judge(_ entry: SignedPrescriptionEntry, _ result: Result<PrescriptionDocument, PrescriptionError>,
           now: Int64, book: inout PrescriptionBook) {
    switch result {
    case .failure(let error):
        check(!error.description.contains("\n"), "a refusal is one line")
    case .success(let doc):
        guard let key = installed.first(where: { $0.keyID == entry.keyID }) else {
            violated("a verified entry names an installed key", entry.keyID)
        }
        check(key.revokedAtMillis.map { now < $0 } ?? true, "a verified entry's key is not revoked")
        guard let pub = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey) else {
            violated("a verified entry's key is a valid Ed25519 key", entry.keyID)
        }
        check(pub.isValidSignature(entry.signature, for: entry.payload),
              "a verified entry was signed by the installed key of its key id")
        check(doc.prescriber == entry.keyID, "a verified document claims its signer")
        check((try? PrescriptionCodec.decode(entry.payload)) == doc, "a verified payload decodes to the same document")
        if case .prescription(let p) = doc {
            check(p.shapeErrors().isEmpty, "a verified prescription has no shape error")
            check(p.validDays != nil, "a verified prescription has valid days")
        }
        // The version rule: a refused document leaves the book as it was.
        let before = book
        let expected = book.check(doc, payload: entry.payload)
        check(book == before, "check() changes nothing")
        let outcome = book.accept(doc, payload: entry.payload)
        check(outcome == expected, "accept() does what check() said")
        if outcome == .installed {
            check(book.entries[doc.id]?.document == doc, "an installed document is in the book")
        } else {
            check(book == before, "a refused or repeated document changes nothing")
        }
    }
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
