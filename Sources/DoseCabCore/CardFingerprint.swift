import Crypto

/// A short name for a card that tells cards apart without giving its number away (issue 18.2).
///
/// With a card's facility and number, and its PIN, a badge can be cloned; the audit log (read
/// group), the journal (`adm`), `status` and the counter's messages name a card by this instead.
/// It is `fp-` and the first 4 bytes, in hex, of HMAC-SHA256 over `format:facility:number`
/// (`CardID.description`) keyed with the store's random key: a plain hash of a 24-bit card space
/// is reversed by trying every card, a keyed one only by whoever holds the key (and so the
/// database, which has the numbers anyway). 32 bits keep two of a clinic's few hundred cards
/// apart (a clash between any two of 500 cards: about 3 in 100 000).
public struct CardFingerprinter: Sendable, Hashable {
    let key: [UInt8]

    /// A fingerprinter with `key` (the store's 32 random bytes).
    public init(key: [UInt8]) { self.key = key }

    /// No key: for tests and tools without a store. Anyone can reverse it by trying every card.
    public static let unkeyed = CardFingerprinter(key: [])

    /// `fp-` and 8 hex digits.
    public func callAsFunction(_ card: CardID) -> String {
        "fp-" + mac(Array(card.description.utf8))
    }

    /// `pk-` and 32 hex digits, over a PIN hash (salt, hash, rounds): an enrolment record says
    /// which hash it set without giving away anything to guess the PIN from, so `audit verify`
    /// can tell a hash copied in behind the chain's back (issue 18.5). 128 bits, not the card's
    /// 32: whoever writes the database holds the key, and could otherwise try salts until a hash
    /// of a PIN they know matched a recorded fingerprint.
    public func pin(_ pin: PINHash) -> String {
        "pk-" + mac(Array("pin:\(pin.rounds):".utf8) + pin.salt + [0x3a] + pin.hash, bytes: 16)
    }

    private func mac(_ message: [UInt8], bytes: Int = 4) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return mac.prefix(bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
