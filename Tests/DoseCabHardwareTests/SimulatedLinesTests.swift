import DoseCabCore
import Testing
@testable import DoseCabHardware

/// Collects the edges already buffered on the stream (SimulatedLines yields synchronously).
func drain(_ lines: SimulatedLines, count: Int) async -> [LineEvent] {
    var out: [LineEvent] = []
    var it = lines.events.makeAsyncIterator()
    while out.count < count, let item = await it.next() {
        if case .edge(let e) = item { out.append(e) }
    }
    return out
}

@Suite struct SimulatedLinesTests {
    @Test func startsSafeWithDoorClosedAndBoltEngaged() throws {
        let lines = SimulatedLines()
        for role in LineRole.allCases where role.isOutput { #expect(lines.output(role) == false) }
        #expect(try lines.read(.door))
        #expect(try lines.read(.bolt))
        #expect(try !lines.read(.tamper))
        #expect(try lines.read(.counterD0))
    }

    @Test func boltFollowsLockAndDoor() async throws {
        let clock = ManualClock(startNanos: 100)
        let lines = SimulatedLines(clock: { clock.now() })
        try lines.set(.lock, active: true)              // unlock: bolt retracts
        #expect(try !lines.read(.bolt))
        clock.advance(by: 10)
        try lines.drive(.door, active: false)           // door opens
        clock.advance(by: 10)
        try lines.set(.lock, active: false)             // lock drops: bolt cannot engage in an open door
        #expect(try !lines.read(.bolt))
        clock.advance(by: 10)
        try lines.drive(.door, active: true)            // door closes: bolt engages
        #expect(try lines.read(.bolt))
        let events = await drain(lines, count: 3)
        #expect(events.map(\.role) == [.bolt, .door, .door])
        #expect(events.map(\.timestampNanos) == [100, 110, 130])
        var it = lines.events.makeAsyncIterator()
        #expect(await it.next() == .edge(LineEvent(role: .bolt, level: true, timestampNanos: 130)))
    }

    @Test func aQuietAnswerComesAfterTheEdgesBeforeItAtTheSourcesTime() async throws {
        let clock = ManualClock(startNanos: 500)
        let lines = SimulatedLines(clock: { clock.now() })
        try lines.drive(.tamper, active: true)
        clock.advance(by: 20)
        lines.requestQuiet()
        try lines.drive(.tamper, active: false)
        var it = lines.events.makeAsyncIterator()
        #expect(await it.next() == .edge(LineEvent(role: .tamper, level: true, timestampNanos: 500)))
        #expect(await it.next() == .quiet(throughNanos: 520))
        #expect(await it.next() == .edge(LineEvent(role: .tamper, level: false, timestampNanos: 520)))
        lines.close()
        lines.requestQuiet()   // after close: nothing, and no crash
        #expect(await it.next() == nil)
    }

    @Test func injectedBoltFaultPinsTheSensor() throws {
        let lines = SimulatedLines()
        lines.injectBoltFault(stuck: false)             // the bolt did not re-engage
        #expect(try !lines.read(.bolt))
        try lines.set(.lock, active: false)
        #expect(try !lines.read(.bolt))
        lines.clearBoltFault()
        #expect(try lines.read(.bolt))
        lines.injectBoltFault(stuck: true)
        try lines.set(.lock, active: true)
        #expect(try lines.read(.bolt))
    }

    @Test func directionIsEnforcedWithClearErrors() {
        let lines = SimulatedLines()
        #expect(throws: LineError.self) { try lines.set(.door, active: true) }
        do {
            try lines.drive(.lock, active: true)
            Issue.record("driving an output must fail")
        } catch {
            #expect(error.description == "line \"lock\" (role lock): drive: is an output; only inputs can be driven")
        }
        #expect(lines.output(.lock) == false)
    }

    @Test func makeSafeAndCloseDeEnergiseEveryOutput() async throws {
        let lines = SimulatedLines()
        for role in LineRole.allCases where role.isOutput { try lines.set(role, active: true) }
        lines.makeSafe()
        for role in LineRole.allCases where role.isOutput { #expect(lines.output(role) == false) }
        try lines.set(.lock, active: true)
        lines.close()
        #expect(lines.output(.lock) == false)
        #expect(throws: LineError.self) { try lines.set(.lock, active: true) }
        #expect(lines.output(.lock) == false)
        // The stream finishes on close.
        var n = 0
        for await _ in lines.events { n += 1 }
        #expect(n == 4)   // the bolt: out at each unlock, back at makeSafe and at close
    }

    @Test func wiegandEndToEndThroughTheDecoder() async throws {
        let clock = ManualClock(startNanos: 5_000_000_000)
        let lines = SimulatedLines(clock: { clock.now() })
        let card = CardID(format: .h10301, facility: 42, number: 31337)
        let frame = WiegandDecoder.encode(card)
        let end = try lines.playWiegand(reader: .counter, bits: frame, bitPeriodNanos: 1_000_000, pulseNanos: 50_000)
        #expect(end == 5_000_000_000 + 25 * 1_000_000 + 50_000)
        // PIN 12# on the same reader later, 8-bit keys.
        for (i, key) in "12#".enumerated() {
            try lines.playWiegand(reader: .counter, bits: WiegandDecoder.encodeKey(key, width: .eight)!,
                                  startNanos: 6_000_000_000 + UInt64(i) * 300_000_000)
        }
        // An ampoule tag on the return scanner.
        let tag = CardID(format: .h10302, facility: 0, number: 20_260_001)
        try lines.playWiegand(reader: .returnScanner, bits: WiegandDecoder.encode(tag), startNanos: 8_000_000_000)

        let events = await drain(lines, count: 2 * (26 + 3 * 8 + 37))
        #expect(events.filter { $0.role == .counterD0 || $0.role == .counterD1 }.count == 2 * (26 + 24))
        var counter = WiegandDecoder(reader: .counter)
        var scanner = WiegandDecoder(reader: .returnScanner, configuration: .init(thirtySevenBit: .h10302))
        var out: [WiegandOutput] = []
        var returns: [WiegandOutput] = []
        for e in events {
            out += counter.feed(e)
            returns += scanner.feed(e)
        }
        out += counter.frameEnd(now: .max)
        returns += scanner.frameEnd(now: .max)
        #expect(out == [.card(card), .keys("1"), .keys("2"), .keys("#")])
        #expect(returns == [.card(tag)])
        #expect(ReturnChute.serial(of: tag) == UnitSerial("20260001"))
        #expect(try lines.read(.counterD0) && lines.read(.counterD1))   // idle high afterwards
    }
}
