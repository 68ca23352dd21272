import DoseCabCore
import Synchronization

/// The cabinet's lines in memory, for tests and `dosecabd --simulate`.
///
/// Inputs are driven with `drive(_:active:)` (or `playWiegand`), outputs observed with
/// `output(_:)`; every input edge is timestamped by the injected clock and delivered on
/// `events`. The bolt sensor follows the lock as the mechanism would: engaged exactly when the
/// lock is de-energised *and* the door is closed (the bolt cannot engage in an open door),
/// unless `injectBoltFault(stuck:)` pins it.
///
/// Initial state: outputs at their safe value, door closed, bolt engaged, tamper and beam
/// inactive, Wiegand data lines idle high.
public final class SimulatedLines: CabinetLines {
    private struct State {
        var levels: [LineRole: Bool]
        var boltFault: Bool?
        var closed = false
    }

    /// The pin map whose line names appear in errors.
    public let pinMap: PinMap
    private let clock: @Sendable () -> UInt64
    private let state: Mutex<State>
    private let continuation: AsyncStream<LineInput>.Continuation
    /// Edges of the input lines and `quiet` answers; one consumer; finishes on `close()`.
    public let events: AsyncStream<LineInput>

    /// - Parameters:
    ///   - pinMap: names the lines (defaults to the reference names on a chip "dosecab-sim").
    ///   - clock: nanoseconds for edge timestamps; inject a `ManualClock` in tests.
    public init(pinMap: PinMap = .reference(chip: "dosecab-sim"),
                clock: @escaping @Sendable () -> UInt64 = MonotonicClock.now) {
        self.pinMap = pinMap
        self.clock = clock
        var levels: [LineRole: Bool] = [:]
        for role in LineRole.allCases {
            levels[role] = role.isOutput ? role.safeValue : false
        }
        for role in [LineRole.door, .bolt, .counterD0, .counterD1, .returnD0, .returnD1] {
            levels[role] = true
        }
        state = Mutex(State(levels: levels))
        (events, continuation) = AsyncStream.makeStream(of: LineInput.self, bufferingPolicy: .unbounded)
    }

    deinit {
        close()
    }

    private func name(_ role: LineRole) -> String { pinMap.lines[role]?.name ?? role.rawValue }

    public func set(_ role: LineRole, active: Bool) throws(LineError) {
        guard role.isOutput else { throw .notAnOutput(role, line: name(role), function: "set") }
        try state.withLock { (s: inout State) throws(LineError) in
            guard !s.closed else { throw .closed(role, line: name(role), function: "set") }
            s.levels[role] = active
            if role == .lock { followBolt(&s, at: clock()) }
        }
    }

    public func read(_ role: LineRole) throws(LineError) -> Bool {
        try state.withLock { (s: inout State) throws(LineError) in
            guard !s.closed else { throw .closed(role, line: name(role), function: "read") }
            return s.levels[role]!
        }
    }

    public func makeSafe() {
        state.withLock { s in
            for role in LineRole.allCases where role.isOutput { s.levels[role] = role.safeValue }
            followBolt(&s, at: clock())
        }
    }

    /// Every edge is delivered the moment it is driven, so the answer is the clock's now
    /// (under the lock, so no edge driven at the same time can overtake it).
    public func requestQuiet() {
        state.withLock { s in
            guard !s.closed else { return }
            continuation.yield(.quiet(throughNanos: clock()))
        }
    }

    public func close() {
        state.withLock { s in
            for role in LineRole.allCases where role.isOutput { s.levels[role] = role.safeValue }
            if !s.closed { followBolt(&s, at: clock()) }
            s.closed = true
        }
        continuation.finish()
    }

    /// The current level of any line, outputs included; works after `close()` too.
    public func output(_ role: LineRole) -> Bool {
        state.withLock { $0.levels[role]! }
    }

    /// Drives an input line (an edge is delivered when the level changes). The bolt can be
    /// driven too; it follows the lock again at the lock's or door's next change.
    public func drive(_ role: LineRole, active: Bool) throws(LineError) {
        guard !role.isOutput else { throw .notAnInput(role, line: name(role), function: "drive") }
        try state.withLock { (s: inout State) throws(LineError) in
            guard !s.closed else { throw .closed(role, line: name(role), function: "drive") }
            let t = clock()
            change(&s, role, to: active, at: t)
            if role == .door { followBolt(&s, at: t) }
        }
    }

    /// Pins the bolt sensor: `stuck: true` reads engaged, `false` disengaged, whatever the lock.
    public func injectBoltFault(stuck: Bool) {
        state.withLock { s in
            s.boltFault = stuck
            followBolt(&s, at: clock())
        }
    }

    /// Lets the bolt follow the lock again.
    public func clearBoltFault() {
        state.withLock { s in
            s.boltFault = nil
            followBolt(&s, at: clock())
        }
    }

    /// Plays a Wiegand frame on a reader's data lines: for bit `i`, D0 (0) or D1 (1) falls at
    /// `start + i × bitPeriodNanos` and rises `pulseNanos` later. Timestamps are synthetic
    /// (nothing sleeps); `start` defaults to the clock's now. Returns the last edge's time;
    /// a decoder sees the frame end at that time plus its frame gap.
    @discardableResult
    public func playWiegand(reader: Reader, bits: [Bool], bitPeriodNanos: UInt64 = 2_000_000,
                            pulseNanos: UInt64 = 50_000, startNanos: UInt64? = nil) throws(LineError) -> UInt64 {
        let (d0, d1) = LineRole.dataLines(of: reader)
        return try state.withLock { (s: inout State) throws(LineError) -> UInt64 in
            guard !s.closed else { throw .closed(d0, line: name(d0), function: "playWiegand") }
            var t = startNanos ?? clock()
            for (i, bit) in bits.enumerated() {
                let role = bit ? d1 : d0
                let fall = t + UInt64(i) * bitPeriodNanos
                change(&s, role, to: false, at: fall)
                change(&s, role, to: true, at: fall + pulseNanos)
                if i == bits.count - 1 { t = fall + pulseNanos }
            }
            return t
        }
    }

    private func change(_ s: inout State, _ role: LineRole, to level: Bool, at t: UInt64) {
        guard s.levels[role] != level else { return }
        s.levels[role] = level
        continuation.yield(.edge(LineEvent(role: role, level: level, timestampNanos: t)))
    }

    private func followBolt(_ s: inout State, at t: UInt64) {
        let engaged = s.boltFault ?? (!s.levels[.lock]! && s.levels[.door]!)
        change(&s, .bolt, to: engaged, at: t)
    }
}
