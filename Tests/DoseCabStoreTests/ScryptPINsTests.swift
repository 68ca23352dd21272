import DoseCabCore
@testable import DoseCabStore
import Testing

/// A PIN hash is checked only with the parameters this daemon hashes with (review M4 of issue
/// 18): a stored row cannot make the check cost more memory and time than the daemon's own
/// hashes do, or compare a key of another length.
@Suite struct ScryptPINsTests {
    @Test func aHashOfTheDaemonsOwnCostVerifies() {
        let pins = ScryptPINs(rounds: 16)
        let stored = pins.hash(pin: "1234")
        #expect(pins.verify(pin: "1234", against: stored))
        #expect(!pins.verify(pin: "4321", against: stored))
    }

    /// Before, any power of two up to 2^20 was computed: about 1 GiB and seconds per check for
    /// a row that asks for it, on the daemon's PIN checker.
    @Test func aRowAskingForAHigherCostIsNotComputed() {
        let costly = ScryptPINs(rounds: 32).hash(pin: "1234")
        #expect(!ScryptPINs(rounds: 16).verify(pin: "1234", against: costly))
        // A lower cost (hashes made before the cost was raised) still verifies.
        #expect(ScryptPINs(rounds: 32).verify(pin: "1234", against: ScryptPINs(rounds: 16).hash(pin: "1234")))
    }

    @Test func aKeyOfAnotherLengthIsNotCompared() throws {
        let pins = ScryptPINs(rounds: 16)
        let stored = pins.hash(pin: "1234")
        let long = try #require(ScryptPINs.derive(pin: "1234", salt: stored.salt, rounds: 16, length: 4096))
        #expect(!pins.verify(pin: "1234", against: PINHash(salt: stored.salt, hash: long, rounds: 16)))
        let short = try #require(ScryptPINs.derive(pin: "1234", salt: stored.salt, rounds: 16, length: 1))
        #expect(!pins.verify(pin: "1234", against: PINHash(salt: stored.salt, hash: short, rounds: 16)))
    }
}
