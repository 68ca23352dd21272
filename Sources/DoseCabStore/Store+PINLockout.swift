import DoseCabCore
import GRDB

/// A card's wrong PINs in a row, and the lockout they led to, as the counter keeps them
/// (`Cabinet.pinFailures`), stored so that a restart does not forget them (issue 18.8).
public struct StoredPINFailures: Sendable, Hashable {
    public var card: CardID
    /// Wrong PINs since the last right one or the last lockout.
    public var failures: Int
    /// Until when the card is locked out: the wall clock, and the boot clock of that boot.
    public var lockedUntil: Moment?

    public init(card: CardID, failures: Int, lockedUntil: Moment?) {
        self.card = card
        self.failures = failures
        self.lockedUntil = lockedUntil
    }
}

extension Store {
    /// Every card with wrong PINs or a lockout on record.
    public func pinFailures() throws(StoreError) -> [StoredPINFailures] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pin_failure ORDER BY card_format, card_facility, card_number").map { row in
                StoredPINFailures(card: try row.card(), failures: row["failures"], lockedUntil: row.moment("locked_until"))
            }
        }
    }

    /// Writes the cards whose count or lockout changed, and forgets `cleared` (a right PIN).
    public func savePINFailures(_ changed: [StoredPINFailures], cleared: [CardID]) throws(StoreError) {
        guard !changed.isEmpty || !cleared.isEmpty else { return }
        try transaction(carriesCompanion: false) { tx throws(StoreError) in
            for card in cleared {
                try tx.exec("DELETE FROM pin_failure WHERE card_format = ? AND card_facility = ? AND card_number = ?", card.arguments)
            }
            for entry in changed {
                let until = entry.lockedUntil
                try tx.exec("""
                    INSERT OR REPLACE INTO pin_failure (card_format, card_facility, card_number, failures,
                        locked_until_wall, locked_until_boot, locked_until_boot_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, entry.card.arguments + [entry.failures, until?.wallMillis, until?.bootMillis, until?.bootID])
            }
        }
    }
}
