/// A PIN to be checked against one stored hash: a keypad entry at a PIN step of the counter
/// dialogue (`Cabinet.pinCheck(forKeys:at:)` says which entry and which hash), or a staff PIN
/// given over the control socket. The KDF (scrypt, tens of milliseconds and more) is run by the
/// daemon off the cabinet's actor; the cabinet takes back a `Verdict` and uses it only while its
/// step still expects that entry against that hash (issue 19.7).
public struct PINCheck: Hashable, Sendable, CustomStringConvertible {
    /// The PIN as keyed (never logged, never stored).
    public var entry: String
    public var hash: PINHash

    public init(entry: String, hash: PINHash) {
        self.entry = entry
        self.hash = hash
    }

    /// Runs the check. Blocking and expensive: never on the cabinet's actor.
    public func run(_ verifier: any PINVerifier) -> Verdict {
        Verdict(self, matches: verifier.verify(pin: entry, against: hash))
    }

    /// Names the hash, never the PIN.
    public var description: String { "PIN check against hash \(hash.hash.prefix(4).map { String($0, radix: 16) }.joined())…" }

    /// The outcome of one `PINCheck`, tied to the exact entry and hash it was run on. Made only
    /// by `run(_:)`, and not changed after.
    public struct Verdict: Hashable, Sendable, CustomStringConvertible {
        public let check: PINCheck
        public let matches: Bool

        init(_ check: PINCheck, matches: Bool) {
            self.check = check
            self.matches = matches
        }

        public var description: String { "\(check): \(matches ? "matches" : "does not match")" }
    }
}
