/// Identifiers and the physical credentials the cabinet sees.
///
/// Patients are known to the cabinet only by a pseudonymous number: the journal is readable
/// by the `adm` group, so no name ever enters the core, the store's audit chain or the journal.

/// Identifiers are plain strings on the wire (signed prescriptions, the store, the journal):
/// `"patient": "P-0042"`, never an object, so signed bytes stay readable and stable.
public protocol StringIdentifier: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    var rawValue: String { get }
    init(_ rawValue: String)
}

extension StringIdentifier {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Pseudonymous patient number, as issued by the clinic (e.g. "P-0042").
public struct PatientID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Staff member number (e.g. "S-07").
public struct StaffID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A release of one dose from the cabinet; assigned by the daemon (randomness comes in as a value).
public struct ReleaseID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Serial printed/encoded on one unit (ampoule, portion, cup); the return scanner reads it.
public struct UnitSerial: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Wiegand card formats the counter reader can deliver.
public enum CardFormat: String, Sendable, Codable, CaseIterable, Hashable {
    /// 26-bit H10301: 8-bit facility, 16-bit number, even/odd parity.
    case h10301
    /// 34-bit H10306: 16-bit facility, 16-bit number.
    case h10306
    /// 35-bit HID Corporate 1000: 12-bit company, 20-bit number, three parity bits.
    case c1000
    /// 37-bit H10302: 35-bit number, no facility.
    case h10302
    /// 37-bit H10304: 16-bit facility, 19-bit number.
    case h10304

    /// Frame length in bits.
    public var bitCount: Int {
        switch self {
        case .h10301: 26
        case .h10306: 34
        case .c1000: 35
        case .h10302, .h10304: 37
        }
    }
}

/// A card as the reader saw it. Credentials are keyed by all three parts (ARCHITECTURE §4a):
/// the same number under another facility or format is another card.
public struct CardID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let format: CardFormat
    public let facility: UInt32
    public let number: UInt64

    public init(format: CardFormat, facility: UInt32, number: UInt64) {
        self.format = format
        self.facility = facility
        self.number = number
    }

    public var description: String { "\(format.rawValue):\(facility):\(number)" }
}

/// The two Wiegand readers of the cabinet.
public enum Reader: String, Sendable, Codable, CaseIterable, Hashable {
    /// Card + keypad reader at the counter: staff badges, patient cards, PINs.
    case counter
    /// The ampoule-return scanner in the return chute.
    case returnScanner = "return"
}
