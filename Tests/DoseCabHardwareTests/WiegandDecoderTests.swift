import DoseCabCore
import PropertyBased
import Testing
@testable import DoseCabHardware

/// Published vectors: facility + number ↔ bits, from vendors' manuals and tools.
struct Vector: Sendable, CustomStringConvertible {
    let source: String
    let card: CardID
    let frame: [Bool]
    var description: String { "\(card) (\(source))" }
}

let publishedVectors: [Vector] = [
    // CIVINTEC CN56 reader manual §6.4.2: data D4 1B 81 → 1 11010100 00011011 10000001 0.
    Vector(source: "CN56 W26", card: CardID(format: .h10301, facility: 0xD4, number: 0x1B81),
           frame: bits("1 11010100 00011011 10000001 0")),
    // Nedap COMBI-BOOSTER manual §6.3: H10301 facility 10, card 1093 → 014088B.
    Vector(source: "Nedap H10301", card: CardID(format: .h10301, facility: 10, number: 1093),
           frame: bits(hex: 0x014088B, count: 26)),
    // CN56 manual §6.4.5: data 89 D4 1B 81 → 1 10001001 11010100 00011011 10000001 1.
    Vector(source: "CN56 W34", card: CardID(format: .h10306, facility: 0x89D4, number: 0x1B81),
           frame: bits("1 10001001 11010100 00011011 10000001 1")),
    // Hikvision Wiegand 34 example: card 1234567890 = 0x499602D2 → 1 …0100 1001 1001 0110 0000 0010 1101 0010 0.
    Vector(source: "Hikvision W34", card: CardID(format: .h10306, facility: 0x4996, number: 0x02D2),
           frame: bits("1 0100 1001 1001 0110 0000 0010 1101 0010 0")),
    // TheTick PR #20 (an iCLASS card encoded by Proxmark3 `-w C1k35s --fc 1337 --cn 2137`):
    // the reader sends 4A72010B3.
    Vector(source: "Proxmark C1k35s", card: CardID(format: .c1000, facility: 1337, number: 2137),
           frame: bits(hex: 0x4A72010B3, count: 35)),
    // Nedap COMBI-BOOSTER manual §6.3: H10302 card 123456789 → 100EB79A2B.
    Vector(source: "Nedap H10302", card: CardID(format: .h10302, facility: 0, number: 123_456_789),
           frame: bits(hex: 0x100EB79A2B, count: 37)),
    // The same 37 bits read as H10304 (same parity windows): facility = bits 1–16 = 235,
    // number = bits 17–35 = 123456789 mod 2^19.
    Vector(source: "Nedap bits as H10304", card: CardID(format: .h10304, facility: 235, number: 249_109),
           frame: bits(hex: 0x100EB79A2B, count: 37)),
]

func decoderConfiguration(for format: CardFormat) -> WiegandDecoder.Configuration {
    .init(thirtySevenBit: format == .h10302 ? .h10302 : .h10304)
}

@Suite struct WiegandVectorTests {
    @Test(arguments: publishedVectors)
    func encodesPublishedVector(_ v: Vector) {
        #expect(WiegandDecoder.encode(v.card) == v.frame)
    }

    @Test(arguments: publishedVectors)
    func decodesPublishedVectorFromEdges(_ v: Vector) {
        let out = decode(edges(v.frame), configuration: decoderConfiguration(for: v.card.format))
        #expect(out == [.card(v.card)])
    }

    @Test func h10301FacilityOneCardOne() {
        // E=1 (one 1 in bits 1–12), O=0 (one 1 in bits 13–24).
        #expect(WiegandDecoder.encode(CardID(format: .h10301, facility: 1, number: 1))
                == bits("1 00000001 0000000000000001 0"))
    }

    @Test(arguments: publishedVectors)
    func everySingleBitFlipFailsParity(_ v: Vector) {
        for i in v.frame.indices {
            var frame = v.frame
            frame[i].toggle()
            let out = WiegandDecoder.decodeFrame(frame, reader: .counter,
                                                 thirtySevenBit: decoderConfiguration(for: v.card.format).thirtySevenBit)
            #expect(out.rejection == .badParity, "bit \(i) flipped in \(v)")
        }
    }

    @Test(arguments: CardFormat.allCases)
    func parityBitsAloneFlippedAreRejected(_ format: CardFormat) {
        let card = CardID(format: format, facility: format == .h10302 ? 0 : 5, number: 4242)
        let layout = WiegandLayout.of(format)
        for p in layout.parities {
            var frame = WiegandDecoder.encode(card)
            frame[p.position].toggle()
            let out = decode(edges(frame), configuration: decoderConfiguration(for: format))
            #expect(out.map(\.rejection) == [.badParity], "parity bit \(p.position) of \(format)")
            if case .rejected(let r) = out.first {
                #expect(r.description.contains(format.displayName))
            }
        }
    }

    @Test func fitsChecksFieldWidths() {
        #expect(WiegandDecoder.fits(CardID(format: .h10301, facility: 255, number: 65535)))
        #expect(!WiegandDecoder.fits(CardID(format: .h10301, facility: 256, number: 1)))
        #expect(!WiegandDecoder.fits(CardID(format: .h10301, facility: 1, number: 65536)))
        #expect(!WiegandDecoder.fits(CardID(format: .h10302, facility: 1, number: 1)))
        #expect(WiegandDecoder.fits(CardID(format: .h10302, facility: 0, number: (1 << 35) - 1)))
        #expect(WiegandDecoder.fits(CardID(format: .c1000, facility: 4095, number: (1 << 20) - 1)))
    }
}

@Suite struct WiegandTimingTests {
    let card26 = CardID(format: .h10301, facility: 212, number: 7041)
    let card34 = CardID(format: .h10306, facility: 35284, number: 7041)

    @Test func fastestSpecTimingDecodes() {
        // 20 µs pulses every 200 µs: the fast edge of the interface.
        let out = decode(edges(WiegandDecoder.encode(card26), period: 200_000, pulse: 20_000))
        #expect(out == [.card(card26)])
    }

    @Test func slowestSpecTimingDecodes() {
        // 100 µs pulses every 20 ms: the slow edge, still below the 25 ms frame gap.
        let out = decode(edges(WiegandDecoder.encode(card26), period: 20_000_000, pulse: 100_000))
        #expect(out == [.card(card26)])
    }

    @Test func bitIntervalJustUnderTheGapStaysOneFrame() {
        let out = decode(edges(WiegandDecoder.encode(card26), period: 24_999_999))
        #expect(out == [.card(card26)])
    }

    @Test func bitIntervalAtTheGapSplitsTheFrame() {
        // The same 26 bits with one 25 ms pause after bit 12's pulse ends (the gap counts from
        // the last edge): two truncated frames, no card.
        let out = decode(edges(WiegandDecoder.encode(card26), gaps: [13: 50_000 + 25_000_000]))
        #expect(out.map(\.rejection) == [.truncatedFrame, .truncatedFrame])
        // One nanosecond less and it is one frame.
        #expect(decode(edges(WiegandDecoder.encode(card26), gaps: [13: 50_000 + 24_999_999])) == [.card(card26)])
    }

    @Test func bitIntervalAtTheGapSplitsFallingOnlyFrames() {
        let out = decode(edges(WiegandDecoder.encode(card26), rising: false, gaps: [13: 25_000_000]))
        #expect(out.map(\.rejection) == [.truncatedFrame, .truncatedFrame])
    }

    @Test func widePulsesAndCatchUpGapsDecode() {
        // What the gpio-sim player under qemu produced: pulses 58–300 µs, a 4.7 ms stall on one
        // pulse, then catch-up gaps of 60 µs after the pulse ends.
        var gaps: [Int: UInt64] = [:]
        var pulses: [Int: UInt64] = [:]
        for i in 0..<26 { pulses[i] = [58_000, 300_000, 120_000][i % 3] }
        pulses[9] = 4_700_000
        gaps[10] = 4_760_000
        gaps[11] = 60_000 + 300_000   // bit 10's pulse is 300 µs wide, then 60 µs
        gaps[12] = 6_000_000
        let out = decode(edges(WiegandDecoder.encode(card26), gaps: gaps, pulses: pulses))
        #expect(out == [.card(card26)])
    }

    @Test func fallingEdgesOnlyDecode() {
        // The libgpiod backend requests only falling edges on data lines.
        let out = decode(edges(WiegandDecoder.encode(card34), rising: false))
        #expect(out == [.card(card34)])
    }

    @Test func edgesDrainedLineByLineDecodeInTimestampOrder() {
        // All of D0's queue first, then D1's: bits are ordered by their kernel timestamps.
        let all = edges(WiegandDecoder.encode(card34), rising: false)
        let byLine = all.filter { $0.role == .counterD0 } + all.filter { $0.role == .counterD1 }
        #expect(decode(byLine) == [.card(card34)])
    }

    @Test func twentySixAndThirtyFourAreNeverConfused() {
        // A 34-bit frame, then 30 ms later a 26-bit frame: two cards, each its own format.
        var d = WiegandDecoder(reader: .counter)
        let first = edges(WiegandDecoder.encode(card34), start: 1_000_000_000)
        let secondStart = first.last!.timestampNanos + 30_000_000
        let second = edges(WiegandDecoder.encode(card26), start: secondStart)
        #expect(decode(first + second, decoder: &d) == [.card(card34), .card(card26)])
        // 20 ms apart they are one 60-bit burst, never a 26- or 34-bit card.
        let close = edges(WiegandDecoder.encode(card26), start: first.last!.timestampNanos + 20_000_000)
        #expect(decode(first + close).map(\.rejection) == [.noiseBurst])
    }

    @Test func deadlineIsTheLastEdgePlusTheGap() {
        var d = WiegandDecoder(reader: .counter)
        #expect(d.nextDeadline == nil)
        let e = edges(WiegandDecoder.encode(card26))
        for x in e { #expect(d.feed(x).isEmpty) }
        let last = e.last!.timestampNanos
        #expect(d.nextDeadline == last + 25_000_000)
        #expect(d.frameEnd(now: last + 24_999_999).isEmpty)
        #expect(d.frameEnd(now: last + 25_000_000) == [.card(card26)])
        #expect(d.nextDeadline == nil)
        #expect(d.lastFrame?.start == e.first!.timestampNanos)
    }

    @Test func configurableGap() {
        let config = WiegandDecoder.Configuration(frameGapNanos: 5_000_000)
        // 6 ms between bits is two frames under a 5 ms gap.
        let out = decode(edges(WiegandDecoder.encode(card26), period: 6_000_000), configuration: config)
        #expect(out.count == 26)
        #expect(out.allSatisfy { $0.rejection == .truncatedFrame })
    }

    @Test func otherReadersEdgesAreIgnored() {
        var d = WiegandDecoder(reader: .returnScanner)
        for x in edges(WiegandDecoder.encode(card26), reader: .counter) { #expect(d.feed(x).isEmpty) }
        for role in [LineRole.door, .returnBeam, .lock] {
            #expect(d.feed(LineEvent(role: role, level: false, timestampNanos: 5)).isEmpty)
        }
        #expect(d.nextDeadline == nil)
        #expect(decode(edges(WiegandDecoder.encode(card26), reader: .returnScanner), decoder: &d) == [.card(card26)])
    }
}

@Suite struct WiegandMalformedTests {
    let frame = WiegandDecoder.encode(CardID(format: .h10301, facility: 1, number: 1))

    @Test func glitchPulseIsRejected() {
        let out = decode(edges(frame, pulses: [7: 5_000]))
        #expect(out.map(\.rejection) == [.pulseTooShort])
        if case .rejected(let r) = out.first {
            #expect(r.description == "counter reader: pulse shorter than the minimum width, 26-bit frame: 5 µs, minimum 10 µs")
        }
    }

    @Test func lonelySpikeOnAnIdleLineIsRejected() {
        let spike = [LineEvent(role: .counterD1, level: false, timestampNanos: 100),
                     LineEvent(role: .counterD1, level: true, timestampNanos: 1_100)]
        #expect(decode(spike).map(\.rejection) == [.pulseTooShort])
    }

    @Test func doubleFallingEdgeWithoutRisingEdgesIsAGlitch() {
        var e = edges(frame, rising: false)
        e.insert(LineEvent(role: e[3].role, level: false, timestampNanos: e[3].timestampNanos + 3_000), at: 4)
        #expect(decode(e).map(\.rejection) == [.pulseTooShort])
    }

    @Test func bothLinesFallingTogetherIsRejected() {
        var e = edges(frame)
        let t = e[10].timestampNanos
        e.insert(LineEvent(role: e[10].role == .counterD0 ? .counterD1 : .counterD0, level: false, timestampNanos: t), at: 11)
        #expect(decode(e).map(\.rejection) == [.simultaneousLow])
    }

    @Test func overlappingPulsesAreRejected() {
        // D1 falls 30 µs into a 50 µs D0 pulse, on a decoder that has seen rising edges (exact
        // overlap needs them; with falling edges only, "together" means within the minimum width).
        var d = WiegandDecoder(reader: .counter)
        #expect(decode(edges(frame, start: 1_000), decoder: &d).first?.card != nil)
        let e = [LineEvent(role: .counterD0, level: false, timestampNanos: 1_000_000),
                 LineEvent(role: .counterD1, level: false, timestampNanos: 1_030_000),
                 LineEvent(role: .counterD0, level: true, timestampNanos: 1_050_000),
                 LineEvent(role: .counterD1, level: true, timestampNanos: 1_080_000)]
        #expect(decode(e.map { LineEvent(role: $0.role, level: $0.level, timestampNanos: $0.timestampNanos + 1_000_000_000) },
                       decoder: &d).map(\.rejection) == [.simultaneousLow])
    }

    @Test func lostBitIsTruncated() {
        for i in frame.indices {
            var f = frame
            f.remove(at: i)
            #expect(decode(edges(f)).map(\.rejection) == [.truncatedFrame])
        }
    }

    @Test func extraBitIsUnknownLength() {
        #expect(decode(edges(frame + [true])).map(\.rejection) == [.unknownLength])
        #expect(decode(edges(Array(repeating: false, count: 30))).map(\.rejection) == [.unknownLength])
    }

    @Test func noiseBurstIsRejected() {
        // 200 falling edges in 2 ms, alternating lines, 10 µs apart.
        let e = (0..<200).map { i in
            LineEvent(role: i % 2 == 0 ? .counterD0 : .counterD1, level: false, timestampNanos: 1_000 + UInt64(i) * 10_000)
        }
        var d = WiegandDecoder(reader: .counter)
        let out = decode(e, decoder: &d)
        #expect(out.count == 1)
        #expect(out.first?.rejection != nil)
        #expect(out.first?.card == nil)
        // Many slow bits are a noise burst by length alone.
        #expect(decode(edges(Array(repeating: true, count: 64))).map(\.rejection) == [.noiseBurst])
        // And the decoder is ready for the next frame.
        #expect(decode(edges(frame, start: 10_000_000_000), decoder: &d) == [.card(CardID(format: .h10301, facility: 1, number: 1))])
    }

    @Test func everyRejectionHasHumanText() {
        for reason in WiegandRejection.Reason.allCases {
            let r = WiegandRejection(reason: reason, reader: .returnScanner, bitCount: 3, detail: "")
            #expect(r.description.hasPrefix("return reader: \(reason.text), 3-bit frame"))
        }
    }
}

@Suite struct WiegandKeypadTests {
    func keyFrames(_ keys: String, width: WiegandDecoder.KeypadWidth) -> [LineEvent] {
        var t: UInt64 = 1_000_000_000
        var out: [LineEvent] = []
        for k in keys {
            out += edges(WiegandDecoder.encodeKey(k, width: width)!, start: t)
            t += 400_000_000   // a person presses keys hundreds of ms apart
        }
        return out
    }

    @Test(arguments: WiegandDecoder.KeypadWidth.allCases)
    func pinSequenceDecodesKeyByKey(_ width: WiegandDecoder.KeypadWidth) {
        let out = decode(keyFrames("1234#", width: width))
        #expect(out == ["1", "2", "3", "4", "#"].map { .keys($0) })
        #expect(decode(keyFrames("*09", width: width)) == ["*", "0", "9"].map { .keys($0) })
    }

    @Test func keyCodesMatchTheReaderTables() {
        #expect(WiegandDecoder.encodeKey("5", width: .four) == bits("0101"))
        #expect(WiegandDecoder.encodeKey("*", width: .four) == bits("1010"))
        #expect(WiegandDecoder.encodeKey("#", width: .four) == bits("1011"))
        #expect(WiegandDecoder.encodeKey("1", width: .eight) == bits("1110 0001"))
        #expect(WiegandDecoder.encodeKey("*", width: .eight) == bits("0101 1010"))
        #expect(WiegandDecoder.encodeKey("#", width: .eight) == bits("0100 1011"))
        #expect(WiegandDecoder.encodeKey("A") == nil)
    }

    @Test func eightBitKeyWithBadCheckNibbleIsRejected() {
        #expect(decode(edges(bits("1111 0001"))).map(\.rejection) == [.badParity])
    }

    @Test func codesThatAreNoKeyAreRejected() {
        #expect(decode(edges(bits("1101"))).map(\.rejection) == [.invalidKey])
        #expect(decode(edges(bits("0000 1111"))).map(\.rejection) == [.invalidKey])
    }
}

@Suite struct WiegandPropertyTests {
    static let cards = zip(Gen.int(in: 0...4), Gen.uint64(), Gen.uint64()).map { (t: (Int, UInt64, UInt64)) in
        let format = CardFormat.allCases[t.0]
        let layout = WiegandLayout.of(format)
        let facility = layout.facility.map { t.1 & ((1 << UInt64($0.width)) - 1) } ?? 0
        let number = t.2 & ((1 << UInt64(layout.number.width)) - 1)
        return CardID(format: format, facility: UInt32(facility), number: number)
    }

    @Test func randomCardRoundTripsThroughEdges() async {
        await propertyCheck(count: 200, input: Self.cards) { card in
            let frame = WiegandDecoder.encode(card)
            #expect(frame.count == card.format.bitCount)
            let out = decode(edges(frame, period: 1_000_000), configuration: decoderConfiguration(for: card.format))
            #expect(out == [.card(card)])
        }
    }

    @Test func garbageNeverYieldsACardUnlessParityHolds() async {
        await propertyCheck(count: 200, input: Gen.bool.array(of: 0...70)) { frame in
            let out = WiegandDecoder.decodeFrame(frame, reader: .counter)
            if case .card(let card) = out {
                // Accepted: the frame is exactly what that card encodes to (parity holds).
                #expect(WiegandDecoder.encode(card) == frame)
            }
            if frame.count > 37 { #expect(out.rejection == .noiseBurst) }
        }
    }

    @Test func randomEdgesNeverCrash() async {
        let edge = zip(Gen.int(in: 0...5), Gen.bool, Gen.uint64(in: 0...40_000_000))
        await propertyCheck(count: 200, input: edge.array(of: 0...120)) { raw in
            var d = WiegandDecoder(reader: .counter)
            var t: UInt64 = 0
            var outputs: [WiegandOutput] = []
            for (r, level, dt) in raw {
                t += dt
                let role: LineRole = [.counterD0, .counterD1, .returnD0, .door, .counterD0, .counterD1][r]
                outputs += d.feed(LineEvent(role: role, level: level, timestampNanos: t))
                if let deadline = d.nextDeadline, Bool.random() { outputs += d.frameEnd(now: deadline) }
            }
            outputs += d.frameEnd(now: .max)
            #expect(d.nextDeadline == nil)
            for case .card(let card) in outputs {
                #expect(WiegandDecoder.fits(card))
            }
        }
    }
}

/// A reader takes only the card formats it is configured for; keypad frames always pass.
@Suite struct WiegandCardFormatTests {
    @Test func aFormatNotEnabledIsRejectedEvenWithGoodParity() {
        var c1000Only = WiegandDecoder.Configuration()
        c1000Only.cardFormats = [.c1000]
        // A valid H10306 frame: the 34 bits a C1000 card that lost a bit could turn into.
        let h10306 = CardID(format: .h10306, facility: 0x89D4, number: 0x1B81)
        #expect(decode(edges(WiegandDecoder.encode(h10306)), configuration: c1000Only).map(\.rejection) == [.formatNotEnabled])
        let c1000 = CardID(format: .c1000, facility: 1337, number: 2137)
        #expect(decode(edges(WiegandDecoder.encode(c1000)), configuration: c1000Only).map(\.card) == [c1000])
        #expect(decode(edges(WiegandDecoder.encodeKey("7")!), configuration: c1000Only) == [.keys("7")])
        // By default every format is taken, as before.
        #expect(decode(edges(WiegandDecoder.encode(h10306))).map(\.card) == [h10306])
    }

    @Test func theRejectionNamesTheFormatAndNoCardData() {
        let card = CardID(format: .h10301, facility: 20, number: 2001)
        let out = WiegandDecoder.decodeFrame(WiegandDecoder.encode(card), reader: .returnScanner, cardFormats: [.h10302])
        guard case .rejected(let r) = out else { Issue.record("accepted \(out)"); return }
        #expect(r.reason == .formatNotEnabled && r.bitCount == 26)
        #expect(r.description.contains("H10301") || r.description.contains("26-bit"), "\(r)")
        #expect(!r.description.contains("2001"), "a rejection must not carry card data: \(r)")
    }
}
