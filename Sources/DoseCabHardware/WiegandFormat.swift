import DoseCabCore

/// Bit layouts of the card formats the readers deliver, and the keypad codes.
///
/// Bits are numbered in transmission order: bit 0 is the first bit on the wire (the leading
/// parity bit of every format here). A frame of `n` bits is held MSB-first in a `UInt64`:
/// bit `i` is `(value >> (n - 1 - i)) & 1`.
struct WiegandLayout: Sendable {
    /// One parity bit: the bit at `position` makes the count of ones over `covers` ∪ {position}
    /// even (or odd). Positions are in transmission order; the masks are built once per format.
    struct Parity: Sendable {
        /// Where the parity bit is in the frame.
        let position: Int
        /// The parity bit itself, as a mask of the frame value.
        let bit: UInt64
        /// The bits it covers, as a mask of the frame value.
        let covers: UInt64
        let odd: Bool

        init(position: Int, covers: some Sequence<Int>, odd: Bool, bitCount: Int) {
            func mask(_ i: Int) -> UInt64 { UInt64(1) << UInt64(bitCount - 1 - i) }
            self.position = position
            bit = mask(position)
            self.covers = covers.reduce(0) { $0 | mask($1) }
            self.odd = odd
        }
    }

    let format: CardFormat
    let facility: (start: Int, width: Int)?
    let number: (start: Int, width: Int)
    /// In the order an encoder must compute them (a parity covering another comes after it).
    let parities: [Parity]

    var bitCount: Int { format.bitCount }

    private init(format: CardFormat, facility: (start: Int, width: Int)?, number: (start: Int, width: Int),
                 parities: [(position: Int, covers: [Int], odd: Bool)]) {
        self.format = format
        self.facility = facility
        self.number = number
        self.parities = parities.map { Parity(position: $0.position, covers: $0.covers, odd: $0.odd, bitCount: format.bitCount) }
    }

    /// The layout of `format`: built once per format (decoding a frame allocates nothing).
    static func of(_ format: CardFormat) -> WiegandLayout {
        switch format {
        case .h10301: h10301
        case .h10306: h10306
        case .c1000: c1000
        case .h10302: h10302
        case .h10304: h10304
        }
    }

    // E FFFFFFFF NNNNNNNNNNNNNNNN O: even over 1–12, odd over 13–24.
    private static let h10301 = WiegandLayout(
        format: .h10301, facility: (1, 8), number: (9, 16),
        parities: [(0, Array(1...12), false), (25, Array(13...24), true)])
    // E F×16 N×16 O: even over 1–16, odd over 17–32.
    private static let h10306 = WiegandLayout(
        format: .h10306, facility: (1, 16), number: (17, 16),
        parities: [(0, Array(1...16), false), (33, Array(17...32), true)])
    // O E F×12 N×20 O. Bit 1: even over 2,3,5,6,…,32,33; bit 34: odd over 1,2,4,5,…,31,32;
    // bit 0: odd over every other bit (so it is computed last).
    private static let c1000 = WiegandLayout(
        format: .c1000, facility: (2, 12), number: (14, 20),
        parities: [(1, (2...33).filter { $0 % 3 != 1 }, false),
                   (34, (1...33).filter { $0 % 3 != 0 }, true),
                   (0, Array(1...34), true)])
    // E N×35 O: even over 1–18, odd over 18–35.
    private static let h10302 = WiegandLayout(
        format: .h10302, facility: nil, number: (1, 35),
        parities: [(0, Array(1...18), false), (36, Array(18...35), true)])
    // E F×16 N×19 O: same parity windows as H10302.
    private static let h10304 = WiegandLayout(
        format: .h10304, facility: (1, 16), number: (17, 19),
        parities: [(0, Array(1...18), false), (36, Array(18...35), true)])

    private func field(_ value: UInt64, _ f: (start: Int, width: Int)) -> UInt64 {
        (value >> UInt64(bitCount - f.start - f.width)) & ((UInt64(1) << UInt64(f.width)) - 1)
    }

    /// True when every parity bit of the frame holds.
    func parityHolds(_ value: UInt64) -> Bool {
        for p in parities where ((value & (p.covers | p.bit)).nonzeroBitCount % 2 == 1) != p.odd {
            return false
        }
        return true
    }

    /// The card in a frame whose parity holds.
    func card(_ value: UInt64) -> CardID {
        let facility = self.facility.map { UInt32(field(value, $0)) } ?? 0
        return CardID(format: format, facility: facility, number: field(value, number))
    }

    /// Whether the card's facility and number fit this format's fields.
    func fits(_ card: CardID) -> Bool {
        guard card.format == format else { return false }
        let facilityOK: Bool
        if let f = facility {
            facilityOK = UInt64(card.facility) < (UInt64(1) << UInt64(f.width))
        } else {
            facilityOK = card.facility == 0
        }
        return facilityOK && card.number < (UInt64(1) << UInt64(number.width))
    }

    /// The frame for a card (fields wider than the format are truncated to their low bits).
    func encode(_ card: CardID) -> UInt64 {
        var value: UInt64 = 0
        func put(_ v: UInt64, _ f: (start: Int, width: Int)) {
            let masked = v & ((UInt64(1) << UInt64(f.width)) - 1)
            value |= masked << UInt64(bitCount - f.start - f.width)
        }
        if let f = facility { put(UInt64(card.facility), f) }
        put(card.number, number)
        for p in parities {
            let ones = (value & p.covers).nonzeroBitCount
            let bit = p.odd ? (ones % 2 == 0) : (ones % 2 == 1)
            if bit { value |= p.bit }
        }
        return value
    }
}

/// Keypad codes: 4 bits per key (0–9, `*` = 10, `#` = 11), or 8 bits per key whose high
/// nibble is the complement of the low one (HID's "8-bit keypad" mode).
enum WiegandKeypad {
    static let symbols: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]

    static func code(of key: Character) -> UInt8? {
        symbols.firstIndex(of: key).map { UInt8($0) }
    }

    static func key(for code: UInt8) -> Character? {
        Int(code) < symbols.count ? symbols[Int(code)] : nil
    }
}

/// Bits of a frame as an MSB-first value, and back.
enum WiegandBits {
    static func value(of bits: [Bool]) -> UInt64 {
        bits.reduce(0) { ($0 << 1) | ($1 ? 1 : 0) }
    }

    static func bits(of value: UInt64, count: Int) -> [Bool] {
        (0..<count).map { (value >> UInt64(count - 1 - $0)) & 1 == 1 }
    }
}
