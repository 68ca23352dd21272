import Crypto
import DoseCabCore
import Foundation
import _CryptoExtras

/// PIN hashing with scrypt (RFC 7914) and a random 16-byte salt per user. A PIN is never stored
/// or logged in clear; only `PINHash` (salt, derived key, cost) reaches the database.
public struct ScryptPINs: PINVerifier {
    /// scrypt cost parameter N (a power of two). 16384 in production; tests use 16.
    public let rounds: Int

    /// - Precondition: `rounds` is a power of two of at least 2 (a configuration constant).
    public init(rounds: Int = 16384) {
        precondition(rounds >= 2 && rounds & (rounds - 1) == 0, "scrypt rounds must be a power of two >= 2")
        self.rounds = rounds
    }

    /// A new hash of `pin` with a fresh random salt.
    public func hash(pin: String) -> PINHash {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        guard let key = Self.derive(pin: pin, salt: salt, rounds: rounds) else {
            preconditionFailure("scrypt rejected validated parameters")  // rounds checked in init
        }
        return PINHash(salt: salt, hash: key, rounds: rounds)
    }

    /// Length of every derived key.
    static let keyLength = 32

    /// Recomputes with the stored salt and cost and compares in constant time. Only a key of
    /// `keyLength` bytes made at a cost no higher than this verifier's is checked: a row cannot
    /// make a check cost more than the daemon's own hashes do (a cost of 2^20 takes 1 GiB), and
    /// a short key would accept many PINs (one byte: one PIN in 256).
    public func verify(pin: String, against stored: PINHash) -> Bool {
        guard stored.rounds >= 2, stored.rounds & (stored.rounds - 1) == 0, stored.rounds <= rounds,
              stored.hash.count == Self.keyLength,
              let key = Self.derive(pin: pin, salt: stored.salt, rounds: stored.rounds)
        else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(key, stored.hash) { difference |= a ^ b }
        return difference == 0 && key.count == stored.hash.count
    }

    static func derive(pin: String, salt: [UInt8], rounds: Int, length: Int = keyLength) -> [UInt8]? {
        guard let key = try? KDF.Scrypt.deriveKey(
            from: Data(pin.utf8), salt: Data(salt), outputByteCount: length,
            rounds: rounds, blockSize: 8, parallelism: 1)
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }
}
