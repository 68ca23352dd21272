import Testing
@testable import DoseCabHardware

/// The libgpiod backend is built and exercised on every run; the real-kernel run (gpio-sim
/// under qemu) is the system-test issue's.
@Suite struct GpiodLinesTests {
    func openError(_ map: PinMap) -> LineError? {
        do {
            let lines = try GpiodLines(pinMap: map)
            lines.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func nonexistentChipGivesAClearError() throws {
        let e = try #require(openError(.reference(chip: "dosecab-no-such-chip")))
        // Outputs are requested first, the lock first of all.
        #expect(e.role == .lock)
        #expect(e.line == "lock")
        #expect(e.chip == "dosecab-no-such-chip")
        #expect(e.function == "gpiod_chip_open_lookup")
        #expect(e.errno != 0)
        #expect(e.description.hasPrefix(
            "line \"lock\" (role lock) on chip \"dosecab-no-such-chip\": gpiod_chip_open_lookup: cannot open chip: "))
        #expect(!e.description.contains("\n"))
    }

    @Test func aFileThatIsNoChipIsRefused() throws {
        let e = try #require(openError(.reference(chip: "/dev/null")))
        #expect(e.function == "gpiod_chip_open_lookup")
        #expect(e.chip == "/dev/null")
        #expect(e.errno != 0)
    }

    @Test func lineErrorTextNamesEverything() {
        let e = LineError(role: .door, line: "reed", chip: "gpiochip0", function: "gpiod_line_request", errno: 16)
        #expect(e.description == "line \"reed\" (role door) on chip \"gpiochip0\": gpiod_line_request: Device or resource busy (errno 16)")
        let notFound = LineError(role: .bolt, line: "bolt", chip: "sim", function: "gpiod_chip_find_line", errno: 2,
                                 reason: "no line of that name on the chip")
        #expect(notFound.description == "line \"bolt\" (role bolt) on chip \"sim\": gpiod_chip_find_line: no line of that name on the chip: No such file or directory (errno 2)")
    }
}

#if canImport(Glibc)
import Glibc
import DoseCabCore
import DoseCabPOSIX
import CGpiod

/// The event thread against pipes carrying the kernel's v1 `struct gpioevent_data` records
/// (u64 timestamp, u32 id: 1 rising, 2 falling, 4 bytes padding): poll, batched reads,
/// timestamp ordering and stop, without a GPIO chip.
@Suite struct EventThreadTests {
    func pipePair() throws -> (read: Int32, write: Int32) {
        try Sys.pipe()
    }

    func writeEvent(_ fd: Int32, nanos: UInt64, rising: Bool) {
        var record = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: nanos.littleEndian) { for i in 0..<8 { record[i] = $0[i] } }
        record[8] = rising ? 1 : 2
        #expect(Glibc.write(fd, record, 16) == 16)
    }

    @Test func drainsBothLinesAndDecodesACard() async throws {
        let d0 = try pipePair(), d1 = try pipePair()
        let site0 = Gpiod.Site(role: .counterD0, line: "counter-d0", chip: "pipe")
        let site1 = Gpiod.Site(role: .counterD1, line: "counter-d1", chip: "pipe")
        let thread = try EventThread(lines: [(.counterD0, d0.read, site0), (.counterD1, d1.read, site1)])
        let card = CardID(format: .h10306, facility: 0x89D4, number: 0x1B81)
        let frame = WiegandDecoder.encode(card)
        // Everything on D0 first, then D1, as two kernel queues could be drained.
        for (i, bit) in frame.enumerated() where !bit { writeEvent(d0.write, nanos: 1_000_000 + UInt64(i) * 2_000_000, rising: false) }
        for (i, bit) in frame.enumerated() where bit { writeEvent(d1.write, nanos: 1_000_000 + UInt64(i) * 2_000_000, rising: false) }
        var decoder = WiegandDecoder(reader: .counter)
        var got = 0
        var out: [WiegandOutput] = []
        for await item in thread.events {
            guard case .edge(let e) = item else { Issue.record("unasked quiet answer \(item)"); continue }
            #expect(e.level == false)
            out += decoder.feed(e)
            got += 1
            if got == frame.count { break }
        }
        out += decoder.frameEnd(now: .max)
        #expect(out == [.card(card)])
        thread.stop()
        #expect(thread.failure == nil)
        for fd in [d0.read, d0.write, d1.read, d1.write] { Glibc.close(fd) }
    }

    @Test func levelFollowsTheEventTypeAndTimestampsPassThrough() async throws {
        let p = try pipePair()
        let thread = try EventThread(lines: [(.door, p.read, Gpiod.Site(role: .door, line: "door", chip: "pipe"))])
        writeEvent(p.write, nanos: 5_000_000_123, rising: true)
        writeEvent(p.write, nanos: 5_000_000_456, rising: false)
        var it = thread.events.makeAsyncIterator()
        #expect(await it.next() == .edge(LineEvent(role: .door, level: true, timestampNanos: 5_000_000_123)))
        #expect(await it.next() == .edge(LineEvent(role: .door, level: false, timestampNanos: 5_000_000_456)))
        thread.stop()
        #expect(await it.next() == nil)   // the stream finishes when the thread stops
        Glibc.close(p.read); Glibc.close(p.write)
    }

    /// Edges already in a kernel queue when the daemon asks for a quiet answer come before the
    /// answer, and the answer's time is taken after they were queued.
    @Test func aQuietAnswerFollowsEveryEdgeQueuedBeforeTheRequest() async throws {
        let d0 = try pipePair(), d1 = try pipePair()
        let thread = try EventThread(lines: [
            (.counterD0, d0.read, Gpiod.Site(role: .counterD0, line: "counter-d0", chip: "pipe")),
            (.counterD1, d1.read, Gpiod.Site(role: .counterD1, line: "counter-d1", chip: "pipe")),
        ])
        var it = thread.events.makeAsyncIterator()
        for round in 0..<50 {
            let queued = MonotonicClock.now()
            writeEvent(d0.write, nanos: queued, rising: false)
            writeEvent(d1.write, nanos: queued + 1, rising: false)
            thread.requestQuiet()
            var edges: [LineEvent] = []
            var answer: UInt64?
            while answer == nil, let item = await it.next() {
                switch item {
                case .edge(let e): edges.append(e)
                case .quiet(let t): answer = t
                }
            }
            #expect(edges.map(\.role) == [.counterD0, .counterD1], "round \(round)")
            #expect((answer ?? 0) >= queued, "round \(round)")
        }
        thread.stop()
        thread.requestQuiet()   // after stop: nothing, and no crash
        #expect(await it.next() == nil)
        for fd in [d0.read, d0.write, d1.read, d1.write] { Glibc.close(fd) }
    }

    @Test func aBrokenEventFdEndsTheStreamWithAnError() async throws {
        let p = try pipePair()
        let thread = try EventThread(lines: [(.tamper, p.read, Gpiod.Site(role: .tamper, line: "tamper", chip: "pipe"))])
        Glibc.close(p.write)   // hang-up
        var it = thread.events.makeAsyncIterator()
        #expect(await it.next() == nil)
        #expect(thread.failure?.role == .tamper)
        #expect(thread.failure?.description.contains("line \"tamper\" (role tamper)") == true)
        thread.stop()
        Glibc.close(p.read)
    }
}
#endif
