// Fuzz target: the Wiegand decoder (`WiegandDecoder.feed`, `frameEnd`), fed edge sequences
// decoded from the fuzz bytes. First byte: bit 0 picks the mode.
//
// Mode A, arbitrary edges: (line, level, timestamp) triples on any line of the cabinet,
// timestamps that may go backwards, timer ticks in between. Properties:
//   - every frame the decoder reports has exactly the falling edges of its reader since the
//     last frame (its bit count says so), and edges of other lines change nothing;
//   - an accepted card re-encodes (`WiegandDecoder.encode`) to exactly those bits, ordered by
//     timestamp; an accepted key re-encodes (`encodeKey`) to them; the card fits its format;
//   - the stream decoder agrees with the timing-free `decodeFrame` on the same bits: it may
//     refuse for timing (pulse too short, D0/D1 low together), otherwise same answer;
//   - at most one frame per call; no frame before its deadline; idle after a frame.
// Mode B, clean frames: a card or key from the fuzz bytes, played with fuzzed but valid
// timing (pulse widths, bit periods, with or without rising edges, falling edges of D0 and
// D1 delivered out of order as two kernel queues drained in turns would) must decode to
// exactly that card or key, once.
import DoseCabCore
import DoseCabHardware
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = data.map { FuzzInput($0, size) } ?? FuzzInput(bytes: [])
    let mode = input.byte()
    if mode & 1 == 0 { arbitraryEdges(&input, mode) } else { cleanFrame(&input, mode) }
    return 0
}

// MARK: - Mode A

/// What the harness knows independently of the decoder: the falling edges of the reader
/// since the last frame, in arrival order.
struct Pending {
    var falls: [(t: UInt64, bit: Bool)] = []

    /// The frame's bits ordered by timestamp (stable: equal timestamps keep arrival order).
    var bitsByTime: [Bool] {
        falls.enumerated().sorted { a, b in
            a.element.t != b.element.t ? a.element.t < b.element.t : a.offset < b.offset
        }.map(\.element.bit)
    }
}

func arbitraryEdges(_ input: inout FuzzInput, _ mode: UInt8) {
    let reader: Reader = mode & 2 == 0 ? .counter : .returnScanner
    let thirtySeven: CardFormat = mode & 4 == 0 ? .h10304 : .h10302
    var config = WiegandDecoder.Configuration(thirtySevenBit: thirtySeven)
    if mode & 8 != 0 {
        // The range the configuration file allows (hardware.wiegand-frame-gap-ms 5…200).
        config.frameGapNanos = UInt64(5 + Int(input.byte()) % 196) * 1_000_000
    }
    var decoder = WiegandDecoder(reader: reader, configuration: config)
    var pending = Pending()
    var now: UInt64 = UInt64(input.uint32()) << 8
    let roles = LineRole.allCases
    var steps = 0
    while !input.isEmpty, steps < 4096 {
        steps += 1
        let op = input.byte()
        // Time moves by a 16-bit count of a unit chosen per edge; sometimes backwards.
        let units: [UInt64] = [1, 1_000, 100_000, 1_000_000]
        let delta = UInt64(input.uint16()) * units[Int(op >> 4) & 3]
        if op & 0x40 != 0 { now = now >= delta ? now - delta : 0 } else { now = now &+ delta }
        let which = Int(op & 0x0F)
        if which >= roles.count {
            // A timer tick at `now`.
            let before = decoder.nextDeadline
            let out = decoder.frameEnd(now: now)
            check(out.count <= 1, "frameEnd returns at most one frame")
            if let deadline = before, now >= deadline {
                check(out.count == 1, "frameEnd at or past the deadline ends the frame")
            } else {
                check(out.isEmpty, "frameEnd before the deadline (or when idle) returns nothing")
            }
            if let frame = out.first {
                judge(frame, pending: pending, decoder: decoder, config: config)
                pending = Pending()
                check(decoder.nextDeadline == nil, "idle after a frame ends")
            }
            continue
        }
        let role = roles[which]
        let level = op & 0x80 != 0
        let event = LineEvent(role: role, level: level, timestampNanos: now)
        let before = decoder.nextDeadline
        let out = decoder.feed(event)
        guard let (edgeReader, bit) = role.wiegand, edgeReader == reader else {
            check(out.isEmpty, "an edge on another line produces no frame", "\(event)")
            check(decoder.nextDeadline == before, "an edge on another line changes no state", "\(event)")
            continue
        }
        check(out.count <= 1, "feed returns at most one frame")
        if let frame = out.first {
            check(before != nil && now >= before!, "a frame ends only once its gap has passed",
                  "deadline \(String(describing: before)), edge at \(now)")
            judge(frame, pending: pending, decoder: decoder, config: config)
            pending = Pending()
        }
        if !level {
            pending.falls.append((now, bit))
            check(decoder.nextDeadline != nil, "a falling edge starts (or continues) a frame")
        } else if pending.falls.isEmpty {
            check(decoder.nextDeadline == nil, "a rising edge alone starts no frame")
        }
    }
}

func judge(_ frame: WiegandOutput, pending: Pending, decoder: WiegandDecoder, config: WiegandDecoder.Configuration) {
    let n = pending.falls.count
    check(n > 0, "a frame has at least one bit")
    let bits = pending.bitsByTime
    // Beyond the decoder's 64-bit store only the count matters (always a noise burst).
    let stat = WiegandDecoder.decodeFrame(n <= WiegandDecoder.capacity ? bits : Array(repeating: false, count: n),
                                          reader: decoder.reader, thirtySevenBit: config.thirtySevenBit)
    if n <= WiegandDecoder.capacity, let span = decoder.lastFrame {
        let stamps = pending.falls.map(\.t)
        check(span.start == stamps.min()! && span.end == stamps.max()!, "lastFrame spans the frame's bits")
    }
    switch frame {
    case .card(let card):
        check(n == card.format.bitCount, "an accepted card has its format's length", "\(n) bits, \(card.format)")
        check(WiegandDecoder.fits(card), "an accepted card fits its format", "\(card)")
        check(WiegandDecoder.encode(card) == bits, "an accepted card re-encodes to the same bits", "\(card)")
        check(stat == frame, "stream and timing-free decode agree on an accepted card")
    case .keys(let keys):
        check(keys.count == 1 && (n == 4 || n == 8), "a keypad frame is one key of 4 or 8 bits", "\(keys), \(n) bits")
        let width: WiegandDecoder.KeypadWidth = n == 4 ? .four : .eight
        check(WiegandDecoder.encodeKey(keys.first!, width: width) == bits, "an accepted key re-encodes to the same bits")
        check(stat == frame, "stream and timing-free decode agree on an accepted key")
    case .rejected(let why):
        check(why.bitCount == n, "a rejection counts the frame's bits", "\(why.bitCount) vs \(n)")
        check(why.reader == decoder.reader, "a rejection names its reader")
        check(!why.description.contains("\n"), "a rejection is one journal line")
        switch why.reason {
        case .pulseTooShort, .simultaneousLow:
            break
        default:
            guard case .rejected(let s) = stat, s.reason == why.reason else {
                violated("a rejection not about timing is the timing-free decoder's rejection",
                         "stream \(why.reason), timing-free \(stat)")
            }
        }
    }
}

// MARK: - Mode B

/// Field widths per format (HID's published layouts), to build a card that fits.
func fieldWidths(_ f: CardFormat) -> (facility: Int, number: Int) {
    switch f {
    case .h10301: (8, 16)
    case .h10306: (16, 16)
    case .c1000: (12, 20)
    case .h10302: (0, 35)
    case .h10304: (16, 19)
    }
}

func cleanFrame(_ input: inout FuzzInput, _ mode: UInt8) {
    let reader: Reader = mode & 2 == 0 ? .counter : .returnScanner
    let withRising = mode & 4 != 0
    // Key or card.
    let selector = input.byte()
    let expected: WiegandOutput
    let bits: [Bool]
    var thirtySeven: CardFormat = .h10304
    if selector < 40 {
        let key = Array("0123456789*#")[Int(selector) % 12]
        let width: WiegandDecoder.KeypadWidth = selector & 0x10 != 0 ? .eight : .four
        bits = WiegandDecoder.encodeKey(key, width: width)!
        expected = .keys(String(key))
    } else {
        let format = CardFormat.allCases[Int(selector) % CardFormat.allCases.count]
        let w = fieldWidths(format)
        let facility = w.facility == 0 ? 0 : UInt32(truncatingIfNeeded: input.uint32() & ((1 << UInt64(w.facility)) - 1))
        let number = input.uint64() & ((1 << UInt64(w.number)) - 1)
        let card = CardID(format: format, facility: facility, number: number)
        check(WiegandDecoder.fits(card), "a card built within its fields fits", "\(card)")
        bits = WiegandDecoder.encode(card)
        check(bits.count == format.bitCount, "encode gives the format's length")
        if format == .h10302 { thirtySeven = .h10302 }
        expected = .card(card)
    }
    let config = WiegandDecoder.Configuration(thirtySevenBit: thirtySeven)
    // Timing: pulse 10 µs … ~2.6 ms, gap after the pulse 10 µs … ~7.7 ms, so a bit period
    // stays under 10.3 ms; arrival delays (falling-only) up to 10 ms. Period + delay < 25 ms.
    var edges: [(arrival: UInt64, event: LineEvent)] = []
    let (d0, d1) = LineRole.dataLines(of: reader)
    var t: UInt64 = 1_000_000_000 + UInt64(input.uint16()) * 1_000
    for bit in bits {
        let pulse = config.minPulseNanos + UInt64(input.byte()) * 10_000
        let gap = config.minPulseNanos + UInt64(input.byte()) * 30_000
        let line = bit ? d1 : d0
        let fall = t
        let delay: UInt64 = withRising ? 0 : UInt64(input.byte()) * 39_000
        edges.append((fall + delay, LineEvent(role: line, level: false, timestampNanos: fall)))
        if withRising {
            edges.append((fall + pulse, LineEvent(role: line, level: true, timestampNanos: fall + pulse)))
        }
        t = fall + pulse + gap
    }
    // Arrival order: by arrival time; ties in generation order (stable).
    let ordered = edges.enumerated().sorted { a, b in
        a.element.arrival != b.element.arrival ? a.element.arrival < b.element.arrival : a.offset < b.offset
    }.map(\.element.event)
    var decoder = WiegandDecoder(reader: reader, configuration: config)
    var outputs: [WiegandOutput] = []
    for e in ordered { outputs += decoder.feed(e) }
    check(outputs.isEmpty, "a clean frame is not split", "\(outputs)")
    guard let deadline = decoder.nextDeadline else { violated("a clean frame leaves a deadline") }
    check(decoder.frameEnd(now: deadline &- 1).isEmpty, "nothing before the deadline")
    outputs = Array(decoder.frameEnd(now: deadline))
    check(outputs == [expected], "a clean frame decodes to what was sent",
          "sent \(expected), got \(outputs), rising edges: \(withRising)")
    // A lost bit (the v1 kernel queue drops events when full) is never the same card.
    if bits.count > 1 {
        let lost = Int(input.byte()) % bits.count
        var shorter = bits
        shorter.remove(at: lost)
        let out = WiegandDecoder.decodeFrame(shorter, reader: reader, thirtySevenBit: thirtySeven)
        if case .card(let c) = out, case .card(let sent) = expected {
            check(c.format != sent.format, "a frame with a lost bit never decodes as the same format")
        }
        if case .keys = expected, case .rejected = out {} else if case .keys = expected {
            violated("a keypad frame with a lost bit is rejected", "\(out)")
        }
    }
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
