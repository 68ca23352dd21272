import DoseCabCore

/// What one Wiegand frame turned out to be.
public enum WiegandOutput: Sendable, Hashable, CustomStringConvertible {
    /// A card frame whose length and parity match one of the supported formats.
    case card(CardID)
    /// Keys from the keypad (one frame per key press; `*` and `#` included).
    case keys(String)
    /// A frame that was not accepted, with the reason for the journal.
    case rejected(WiegandRejection)

    public var description: String {
        switch self {
        case .card(let card): "card \(card)"
        case .keys(let keys): "keys \(keys)"
        case .rejected(let why): "rejected: \(why)"
        }
    }
}

/// The frames one call to `WiegandDecoder.feed` or `frameEnd` finished: none or one (an edge
/// ends at most the frame before it). A collection, so callers iterate it like an array, but
/// stored inline: returning it allocates nothing.
public struct WiegandFrames: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral,
    CustomStringConvertible {
    private let frame: WiegandOutput?
    // Kept beside `frame` so asking for the count does not copy the payload (every edge asks).
    public let endIndex: Int

    public init(_ frame: WiegandOutput?) {
        self.frame = frame
        endIndex = frame == nil ? 0 : 1
    }

    /// At most one element (a decoder never finishes two frames in one call).
    public init(arrayLiteral elements: WiegandOutput...) {
        precondition(elements.count <= 1, "WiegandFrames holds at most one frame")
        self.init(elements.first)
    }

    public var startIndex: Int { 0 }
    public subscript(position: Int) -> WiegandOutput {
        precondition(position == 0 && frame != nil, "WiegandFrames index out of range")
        return frame!
    }

    public var description: String { frame.map { "[\($0)]" } ?? "[]" }
}

/// Why a Wiegand frame was not accepted. `description` is one line for the journal; it never
/// contains the frame's bits (a misread badge is still a badge).
public struct WiegandRejection: Sendable, Hashable, CustomStringConvertible {
    /// The class of malformed input.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// A pulse (or the gap between two pulses on one line) shorter than the minimum width.
        case pulseTooShort = "pulse-too-short"
        /// D0 and D1 were low at the same time.
        case simultaneousLow = "d0-d1-low-together"
        /// A bit count no supported format has.
        case unknownLength = "unknown-length"
        /// The length matches a format (or the 8-bit keypad code) but a parity/check bit fails.
        case badParity = "bad-parity"
        /// More bits than any format: noise on the data lines.
        case noiseBurst = "noise-burst"
        /// Fewer bits than the shortest card frame and not a keypad frame: a frame cut short or
        /// with lost bits.
        case truncatedFrame = "truncated-frame"
        /// A card format this reader does not take: on the return scanner anything but an
        /// ampoule tag, at the counter a format the site did not enable.
        case formatNotEnabled = "format-not-enabled"
        /// A well-formed keypad frame carrying a code that is no key.
        case invalidKey = "invalid-key"

        /// Human text for the reason.
        public var text: String {
            switch self {
            case .pulseTooShort: "pulse shorter than the minimum width"
            case .simultaneousLow: "D0 and D1 low together"
            case .unknownLength: "unknown frame length"
            case .badParity: "bad parity"
            case .noiseBurst: "noise burst"
            case .truncatedFrame: "truncated frame"
            case .invalidKey: "invalid keypad code"
            case .formatNotEnabled: "card format not enabled on this reader"
            }
        }
    }

    /// The class of malformed input.
    public let reason: Reason
    /// The reader the frame came from.
    public let reader: Reader
    /// How many bits the frame had.
    public let bitCount: Int
    /// Specifics (format, pulse width), without card data.
    public let detail: String

    public init(reason: Reason, reader: Reader, bitCount: Int, detail: String) {
        self.reason = reason
        self.reader = reader
        self.bitCount = bitCount
        self.detail = detail
    }

    public var description: String {
        "\(reader.rawValue) reader: \(reason.text), \(bitCount)-bit frame" + (detail.isEmpty ? "" : ": \(detail)")
    }
}

/// Decodes one reader's Wiegand edges into frames. Pure: edges with kernel timestamps in,
/// frames out; no clock, no I/O.
///
/// A bit is a falling edge on a data line (D0 low = 0, D1 low = 1); rising edges are optional
/// (the libgpiod backend requests falling edges only on data lines, see `GpiodLines`) and,
/// when present, measure the pulse width. A frame ends when no edge came for the frame gap
/// (default 25 ms): either an edge arrives later than that (`feed` returns the finished frame
/// first), or the caller's timer reaches `nextDeadline` and it calls `frameEnd(now:)`.
///
/// Frames are judged by timestamps and bit count, not by lab-perfect timing: wide pulses and
/// short catch-up gaps between bits are accepted, and bits are ordered by their timestamps, so
/// edges of D0 and D1 drained from two event queues in any interleaving decode the same.
/// Storage is fixed at `capacity` bits and reserved once, the format layouts are built once,
/// and a finished frame comes back inline (`WiegandFrames`), so decoding a card or key frame
/// allocates nothing (the benchmark counts it: `make bench`, figure 6).
public struct WiegandDecoder: Sendable {
    /// Timing and format choices.
    public struct Configuration: Sendable, Hashable {
        /// No edge for this long ends a frame (default 25 ms: longer than the 20 ms maximum
        /// bit interval of the Wiegand interface, shorter than any pause between two cards).
        public var frameGapNanos: UInt64
        /// Pulses narrower than this are glitches (default 10 µs; the interface specifies
        /// 20–100 µs). Two falling edges on D0 and D1 closer than this are "low together".
        public var minPulseNanos: UInt64
        /// A line low for longer than this with no rising edge is taken to have lost that edge
        /// (the v1 kernel queue drops events when full) rather than to be still low.
        public var maxPulseNanos: UInt64
        /// H10302 and H10304 are both 37 bits with the same parity bits: the site says which
        /// its cards use.
        public var thirtySevenBit: CardFormat
        /// The card formats this reader takes; a frame of any other is rejected
        /// (`format-not-enabled`) even when its parity holds. A site lists only the formats its
        /// cards use: a 35-bit C1000 card that loses a bit on the wire is a 34-bit frame whose
        /// H10306 parity holds one time in four, and would read as another number. Keypad frames
        /// are not cards and are always taken.
        public var cardFormats: Set<CardFormat>

        public init(
            frameGapNanos: UInt64 = 25_000_000,
            minPulseNanos: UInt64 = 10_000,
            maxPulseNanos: UInt64 = 5_000_000,
            thirtySevenBit: CardFormat = .h10304,
            cardFormats: Set<CardFormat> = Set(CardFormat.allCases)
        ) {
            self.frameGapNanos = frameGapNanos
            self.minPulseNanos = minPulseNanos
            self.maxPulseNanos = maxPulseNanos
            self.thirtySevenBit = thirtySevenBit == .h10302 ? .h10302 : .h10304
            self.cardFormats = cardFormats
        }
    }

    /// Bits kept per frame; a frame with more is a noise burst anyway.
    public static let capacity = 64
    /// The longest supported frame.
    static let longestFrame = 37

    private struct LineState: Sendable {
        var lowSince: UInt64?
        var lastFall: UInt64?
    }

    /// D0 and D1 side by side, indexed 0 and 1 (inline: no array, no uniqueness checks).
    private struct Pair<T: Sendable>: Sendable {
        var d0: T
        var d1: T
        subscript(i: Int) -> T {
            get { i == 0 ? d0 : d1 }
            set { if i == 0 { d0 = newValue } else { d1 = newValue } }
        }
    }

    /// The reader whose data lines this decoder listens to; other roles are ignored.
    public let reader: Reader
    /// Timing and format choices.
    public let configuration: Configuration

    private var stamps: [UInt64]
    private var values: [Bool]
    private var lines = Pair(d0: LineState(), d1: LineState())
    private var tracksRising = Pair(d0: false, d1: false)
    private var bitsInFrame = 0
    private var inFrame = false
    private var lastEdge: UInt64 = 0
    private var shortestPulse: UInt64?
    private var overlapped = false

    /// Timestamp of the first and of the last bit of the most recently finished frame.
    public private(set) var lastFrame: (start: UInt64, end: UInt64)?

    public init(reader: Reader, configuration: Configuration = Configuration()) {
        self.reader = reader
        self.configuration = configuration
        stamps = []
        stamps.reserveCapacity(Self.capacity)
        values = []
        values.reserveCapacity(Self.capacity)
    }

    /// When the frame in progress ends if no further edge comes; `nil` when idle.
    public var nextDeadline: UInt64? {
        inFrame ? lastEdge.saturatingAdd(configuration.frameGapNanos) : nil
    }

    /// Feeds one edge. Returns the previous frame when this edge came after the frame gap.
    public mutating func feed(_ edge: LineEvent) -> WiegandFrames {
        guard let (edgeReader, bit) = edge.role.wiegand, edgeReader == reader else { return [] }
        let t = edge.timestampNanos
        var out: WiegandFrames = []
        if inFrame, t >= lastEdge.saturatingAdd(configuration.frameGapNanos) {
            out = WiegandFrames(finishFrame())
        }
        if edge.level {
            rising(line: bit ? 1 : 0, at: t)
        } else {
            falling(line: bit ? 1 : 0, at: t)
        }
        return out
    }

    /// Ends the frame in progress if `now` is at or past its deadline.
    public mutating func frameEnd(now: UInt64) -> WiegandFrames {
        guard let deadline = nextDeadline, now >= deadline else { return [] }
        return WiegandFrames(finishFrame())
    }

    private mutating func falling(line i: Int, at t: UInt64) {
        if !inFrame {
            inFrame = true
            lastEdge = t
        }
        let other = 1 - i
        if let otherFall = lines[other].lastFall {
            let apart = t >= otherFall ? t - otherFall : otherFall - t
            if apart < configuration.minPulseNanos {
                overlapped = true
            } else if tracksRising[other], let low = lines[other].lowSince, low <= t,
                      t - low < configuration.maxPulseNanos {
                overlapped = true
            }
        }
        if let previous = lines[i].lastFall, t >= previous, t - previous < configuration.minPulseNanos {
            notePulse(width: t - previous)
        }
        lines[i].lastFall = t
        lines[i].lowSince = t
        record(bit: i == 1, at: t)
        lastEdge = max(lastEdge, t)
    }

    private mutating func rising(line i: Int, at t: UInt64) {
        tracksRising[i] = true
        guard inFrame, let low = lines[i].lowSince else { return }
        lines[i].lowSince = nil
        if t >= low, t - low < configuration.minPulseNanos {
            notePulse(width: t - low)
        }
        lastEdge = max(lastEdge, t)
    }

    private mutating func notePulse(width: UInt64) {
        shortestPulse = min(shortestPulse ?? width, width)
    }

    /// Keeps bits ordered by timestamp (insertion: edges nearly always arrive in order).
    private mutating func record(bit: Bool, at t: UInt64) {
        bitsInFrame += 1
        guard stamps.count < Self.capacity else { return }
        stamps.append(t)
        values.append(bit)
        var j = stamps.count - 1
        while j > 0, stamps[j - 1] > t {
            stamps.swapAt(j, j - 1)
            values.swapAt(j, j - 1)
            j -= 1
        }
    }

    private mutating func finishFrame() -> WiegandOutput {
        let n = bitsInFrame
        let output: WiegandOutput
        if overlapped {
            output = .rejected(reject(.simultaneousLow, n, "a falling edge on one data line while the other was low"))
        } else if let width = shortestPulse {
            output = .rejected(reject(.pulseTooShort, n,
                "\(width / 1000) µs, minimum \(configuration.minPulseNanos / 1000) µs"))
        } else {
            var value: UInt64 = 0
            for b in values.prefix(64) { value = (value << 1) | (b ? 1 : 0) }
            output = Self.decodeFrame(value: value, count: n, reader: reader,
                                      thirtySevenBit: configuration.thirtySevenBit, cardFormats: configuration.cardFormats)
        }
        if let first = stamps.first, let last = stamps.last { lastFrame = (first, last) }
        stamps.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        lines[0] = LineState()
        lines[1] = LineState()
        bitsInFrame = 0
        inFrame = false
        shortestPulse = nil
        overlapped = false
        return output
    }

    private func reject(_ reason: WiegandRejection.Reason, _ n: Int, _ detail: String) -> WiegandRejection {
        WiegandRejection(reason: reason, reader: reader, bitCount: n, detail: detail)
    }

    /// Decodes a complete frame by its length and bits alone (no timing).
    public static func decodeFrame(
        _ bits: [Bool], reader: Reader, thirtySevenBit: CardFormat = .h10304,
        cardFormats: Set<CardFormat> = Set(CardFormat.allCases)
    ) -> WiegandOutput {
        decodeFrame(value: bits.count <= 64 ? WiegandBits.value(of: bits) : 0, count: bits.count,
                    reader: reader, thirtySevenBit: thirtySevenBit, cardFormats: cardFormats)
    }

    static func decodeFrame(value: UInt64, count n: Int, reader: Reader, thirtySevenBit: CardFormat,
                            cardFormats: Set<CardFormat>) -> WiegandOutput {
        func reject(_ reason: WiegandRejection.Reason, _ detail: String) -> WiegandOutput {
            .rejected(WiegandRejection(reason: reason, reader: reader, bitCount: n, detail: detail))
        }
        let format: CardFormat
        switch n {
        case 4:
            guard let key = WiegandKeypad.key(for: UInt8(value)) else {
                return reject(.invalidKey, "4-bit code \(value)")
            }
            return .keys(String(key))
        case 8:
            let high = UInt8(value >> 4), low = UInt8(value & 0xF)
            guard high == ~low & 0xF else { return reject(.badParity, "8-bit keypad check nibble") }
            guard let key = WiegandKeypad.key(for: low) else { return reject(.invalidKey, "8-bit code \(low)") }
            return .keys(String(key))
        case 26: format = .h10301
        case 34: format = .h10306
        case 35: format = .c1000
        case 37: format = thirtySevenBit
        case let n where n > longestFrame:
            return reject(.noiseBurst, "more bits than the longest format (\(longestFrame))")
        case let n where n < 26:
            return reject(.truncatedFrame, "shorter than the shortest card format (26) and no keypad frame (4 or 8)")
        default:
            return reject(.unknownLength, "no supported format has \(n) bits")
        }
        guard cardFormats.contains(format) else {
            return reject(.formatNotEnabled, "\(format.displayName) is not among this reader's card formats")
        }
        let layout = WiegandLayout.of(format)
        guard layout.parityHolds(value) else {
            return reject(.badParity, format.displayName)
        }
        return .card(layout.card(value))
    }

    /// The frame a reader sends for `card`, first bit first. Fields wider than the format
    /// are truncated to their low bits; check `fits(_:)` first.
    public static func encode(_ card: CardID) -> [Bool] {
        let layout = WiegandLayout.of(card.format)
        return WiegandBits.bits(of: layout.encode(card), count: layout.bitCount)
    }

    /// Whether the card's facility and number fit its format's fields (H10302 has no
    /// facility, so only facility 0 fits).
    public static func fits(_ card: CardID) -> Bool {
        WiegandLayout.of(card.format).fits(card)
    }

    /// Bits per key of a keypad.
    public enum KeypadWidth: Int, Sendable, CaseIterable {
        /// 4 bits per key: 0–9, `*` = 10, `#` = 11.
        case four = 4
        /// 8 bits per key: the complement of the key's 4-bit code, then the code.
        case eight = 8
    }

    /// The frame a keypad sends for one key (`0`–`9`, `*`, `#`), or `nil` for another character.
    public static func encodeKey(_ key: Character, width: KeypadWidth = .four) -> [Bool]? {
        guard let code = WiegandKeypad.code(of: key) else { return nil }
        switch width {
        case .four: return WiegandBits.bits(of: UInt64(code), count: 4)
        case .eight: return WiegandBits.bits(of: UInt64((~code & 0xF) << 4 | code), count: 8)
        }
    }
}

extension CardFormat {
    /// The name HID and panel documentation use.
    var displayName: String {
        switch self {
        case .h10301: "26-bit H10301"
        case .h10306: "34-bit H10306"
        case .c1000: "35-bit HID Corporate 1000"
        case .h10302: "37-bit H10302"
        case .h10304: "37-bit H10304"
        }
    }
}

extension UInt64 {
    func saturatingAdd(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
