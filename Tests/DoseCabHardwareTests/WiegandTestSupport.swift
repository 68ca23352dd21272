import DoseCabCore
@testable import DoseCabHardware

/// Bits from a string of 0/1 (spaces ignored).
func bits(_ s: String) -> [Bool] {
    s.compactMap { $0 == "1" ? true : $0 == "0" ? false : nil }
}

/// Bits of a hex value as an `n`-bit frame.
func bits(hex: UInt64, count: Int) -> [Bool] {
    WiegandBits.bits(of: hex, count: count)
}

/// The edges a reader puts on its data lines for a frame: for bit `i`, D0 (bit 0) or D1 (bit 1)
/// falls at `start + Σ gaps` and rises `pulse` later. `gaps[i]` (if given) replaces the period
/// before bit `i`.
func edges(
    _ frame: [Bool], reader: Reader = .counter, start: UInt64 = 1_000_000_000,
    period: UInt64 = 2_000_000, pulse: UInt64 = 50_000, rising: Bool = true,
    gaps: [Int: UInt64] = [:], pulses: [Int: UInt64] = [:]
) -> [LineEvent] {
    let (d0, d1) = LineRole.dataLines(of: reader)
    var out: [LineEvent] = []
    var t = start
    for (i, b) in frame.enumerated() {
        if i > 0 { t += gaps[i] ?? period }
        let role = b ? d1 : d0
        out.append(LineEvent(role: role, level: false, timestampNanos: t))
        if rising {
            out.append(LineEvent(role: role, level: true, timestampNanos: t + (pulses[i] ?? pulse)))
        }
    }
    return out
}

/// Feeds edges and then ends the frame at the decoder's deadline.
func decode(_ events: [LineEvent], decoder: inout WiegandDecoder) -> [WiegandOutput] {
    var out: [WiegandOutput] = []
    for e in events { out += decoder.feed(e) }
    if let deadline = decoder.nextDeadline { out += decoder.frameEnd(now: deadline) }
    return out
}

func decode(_ events: [LineEvent], reader: Reader = .counter,
            configuration: WiegandDecoder.Configuration = .init()) -> [WiegandOutput] {
    var d = WiegandDecoder(reader: reader, configuration: configuration)
    return decode(events, decoder: &d)
}

extension WiegandOutput {
    var rejection: WiegandRejection.Reason? {
        if case .rejected(let r) = self { return r.reason }
        return nil
    }

    var card: CardID? {
        if case .card(let c) = self { return c }
        return nil
    }
}
