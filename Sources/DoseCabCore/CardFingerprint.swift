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
        let mac = HMAC<SHA256>.authenticationCode(for: Array(card.description.utf8), using: SymmetricKey(data: key))
        return "fp-" + mac.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
