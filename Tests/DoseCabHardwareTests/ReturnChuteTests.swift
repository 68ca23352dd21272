import DoseCabCore
import Testing
@testable import DoseCabHardware

@Suite struct ReturnChuteTests {
    let s1 = UnitSerial("1001"), s2 = UnitSerial("1002")
    let second: UInt64 = 1_000_000_000

    @Test func scanThenBeamIsAReturn() {
        var c = ReturnChute()
        #expect(c.scan(s1, at: 10 * second).isEmpty)
        #expect(c.nextDeadline == 12 * second)
        #expect(c.beam(at: 11 * second) == [.returned(s1)])
        #expect(c.nextDeadline == nil)
    }

    @Test func beamThenScanIsAReturn() {
        var c = ReturnChute()
        #expect(c.beam(at: 10 * second).isEmpty)
        #expect(c.scan(s1, at: 11 * second + 999_999_999) == [.returned(s1)])
    }

    @Test func scanWithoutBeamIsAnIssueScanAtTheWindowsEnd() {
        var c = ReturnChute()
        _ = c.scan(s1, at: 10 * second)
        #expect(c.expire(now: 12 * second - 1).isEmpty)
        #expect(c.expire(now: 12 * second) == [.issueScan(s1)])
        // A beam after the window is not that scan's return.
        #expect(c.beam(at: 12 * second + 1).isEmpty)
        #expect(c.expire(now: 20 * second) == [.beamWithoutScan])
    }

    @Test func lateInputExpiresTheOldOneFirst() {
        var c = ReturnChute()
        _ = c.scan(s1, at: 10 * second)
        #expect(c.scan(s2, at: 13 * second) == [.issueScan(s1)])
        #expect(c.beam(at: 14 * second) == [.returned(s2)])
    }

    @Test func pairsFirstInFirstOut() {
        var c = ReturnChute()
        _ = c.scan(s1, at: 10 * second)
        _ = c.scan(s2, at: 10 * second + 100)
        #expect(c.beam(at: 11 * second) == [.returned(s1)])
        #expect(c.beam(at: 11 * second + 1) == [.returned(s2)])
    }

    @Test func doubleReadOfOneTagCountsOnce() {
        var c = ReturnChute()
        _ = c.scan(s1, at: 10 * second)
        _ = c.scan(s1, at: 10 * second + 300_000_000)
        #expect(c.beam(at: 11 * second) == [.returned(s1)])
        #expect(c.expire(now: 100 * second).isEmpty)
    }

    @Test func configurableWindow() {
        var c = ReturnChute(windowNanos: 500_000_000)
        _ = c.beam(at: second)
        #expect(c.scan(s1, at: second + 600_000_000) == [.beamWithoutScan])
        #expect(c.expire(now: 3 * second) == [.issueScan(s1)])
    }

    @Test func cardNumberInDecimalIsTheSerial() {
        var c = ReturnChute()
        _ = c.beam(at: second)
        #expect(c.scan(CardID(format: .h10302, facility: 0, number: 7), at: second) == [.returned(UnitSerial("7"))])
    }
}

@Suite struct DebouncerTests {
    let ms: UInt64 = 1_000_000
    func edge(_ level: Bool, _ t: UInt64) -> LineEvent { LineEvent(role: .door, level: level, timestampNanos: t) }

    @Test func bouncesAreSwallowedAndTheFirstEdgeTimeReported() {
        var d = Debouncer(role: .door, intervalNanos: 20 * ms, initial: true)
        #expect(d.feed(edge(false, 100 * ms)).isEmpty)
        #expect(d.feed(edge(true, 101 * ms)).isEmpty)       // bounce back
        #expect(d.nextDeadline == nil)
        #expect(d.feed(edge(false, 102 * ms)).isEmpty)
        #expect(d.nextDeadline == 122 * ms)
        #expect(d.expire(now: 121 * ms) == nil)
        #expect(d.expire(now: 122 * ms) == edge(false, 102 * ms))
        #expect(d.level == false)
    }

    @Test func aLaterEdgeSettlesThePendingChangeFirst() {
        var d = Debouncer(role: .door, intervalNanos: 20 * ms, initial: true)
        _ = d.feed(edge(false, 100 * ms))
        #expect(d.feed(edge(true, 500 * ms)) == [edge(false, 100 * ms)])
        #expect(d.expire(now: 520 * ms) == edge(true, 500 * ms))
    }

    @Test func zeroIntervalPassesEveryChange() {
        var d = Debouncer(role: .door, intervalNanos: 0, initial: true)
        #expect(d.feed(edge(false, 1)) == [edge(false, 1)])
        #expect(d.feed(edge(false, 2)).isEmpty)           // no change
        #expect(d.feed(edge(true, 3)) == [edge(true, 3)])
    }

    @Test func otherLinesAreIgnored() {
        var d = Debouncer(role: .door, intervalNanos: 0, initial: true)
        #expect(d.feed(LineEvent(role: .tamper, level: false, timestampNanos: 1)).isEmpty)
        #expect(d.level)
    }
}
