import CGpiod
import DoseCabPOSIX
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The cabinet's lines through the kernel's GPIO character device (libgpiod 1.6, v1 uAPI).
///
/// Opening requests every line of the pin map **by name** with consumer `dosecabd`: outputs
/// first, at their safe value (the lock de-energised), then inputs for edge events. Door,
/// bolt, tamper and beam get both edges. The Wiegand data lines get **falling edges only**:
/// with both edges the v1 kernel labels an edge by reading the line afterwards, which
/// for a 50 µs pulse can say "rising" twice; a falling-only request makes every event a bit,
/// and halves what must fit in the 16-event kernel queue.
///
/// Events are read on one dedicated thread that holds only the event file descriptors and
/// sleeps in `poll()` until one is readable (no timer, no polling loop); each wake drains
/// every ready queue with `gpiod_line_event_read_fd_multiple`, orders the batch by kernel
/// timestamp and yields it. The line handles stay with this object, behind one mutex.
///
/// If `events` finishes before `close()`, the event thread hit an error
/// (`eventThreadError` says which): treat it as a hardware fault and make safe.
///
/// `close()` and deinit drive the outputs safe, stop the thread, then release the lines.
/// A released line may float or return to its default: the board's pull-down on the lock
/// driver's input is what keeps the lock locked then (hardware/README.md).
public final class GpiodLines: CabinetLines {
    private struct Owned {
        var chips: [OpaquePointer] = []
        var lines: [LineRole: OpaquePointer] = [:]
        var closed = false
    }

    /// The pin map the lines were opened from.
    public let pinMap: PinMap
    private let owned: Mutex<Owned>
    private let reader: EventThread
    /// Edges of the input lines with kernel timestamps (CLOCK_MONOTONIC), and `quiet`
    /// answers. One consumer.
    public let events: AsyncStream<LineInput>

    /// Opens the chips and requests every line. Throws (and holds nothing) when a chip cannot
    /// be opened, a line is not on its chip, or the kernel refuses a request (busy, no
    /// permission: the service user needs the `dosecab-gpio` group).
    public init(pinMap: PinMap) throws(LineError) {
        self.pinMap = pinMap
        var owned = Owned()
        var eventLines: [(role: LineRole, fd: Int32, site: Gpiod.Site)] = []
        do throws(LineError) {
            var chipBySpec: [String: OpaquePointer] = [:]
            let outputsFirst = LineRole.allCases.filter(\.isOutput) + LineRole.allCases.filter { !$0.isOutput }
            for role in outputsFirst {
                let config = pinMap[role]
                let site = Gpiod.Site(role: role, line: config.name, chip: config.chip)
                let chip: OpaquePointer
                if let open = chipBySpec[config.chip] {
                    chip = open
                } else {
                    chip = try Gpiod.chipOpenLookup(config.chip, at: site)
                    chipBySpec[config.chip] = chip
                    owned.chips.append(chip)
                }
                let line = try Gpiod.chipFindLine(chip, name: config.name, at: site)
                var flags = config.activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0
                switch config.bias {
                case .asIs: break
                case .pullUp: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP
                case .pullDown: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN
                case .disabled: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE
                }
                let type: Int
                if role.isOutput {
                    type = GPIOD_LINE_REQUEST_DIRECTION_OUTPUT
                } else if role.isWiegandData {
                    type = GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE
                } else {
                    type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES
                }
                try Gpiod.lineRequest(line, type: type, flags: flags, defaultValue: role.safeValue, at: site)
                owned.lines[role] = line
                if !role.isOutput {
                    eventLines.append((role, try Gpiod.lineEventGetFD(line, at: site), site))
                }
            }
        } catch {
            Self.release(&owned)
            throw error
        }
        let thread: EventThread
        do throws(LineError) {
            thread = try EventThread(lines: eventLines)
        } catch {
            Self.release(&owned)
            throw error
        }
        self.owned = Mutex(owned)
        self.reader = thread
        self.events = thread.events
    }

    deinit {
        close()
    }

    /// Wakes the event thread, which reads every line's kernel queue and answers `quiet`.
    public func requestQuiet() {
        reader.requestQuiet()
    }

    /// The error that stopped the event thread, if it stopped by itself.
    public var eventThreadError: LineError? { reader.failure }

    public func set(_ role: LineRole, active: Bool) throws(LineError) {
        let name = pinMap[role].name
        guard role.isOutput else { throw .notAnOutput(role, line: name, function: "set") }
        try owned.withLock { (o: inout Owned) throws(LineError) in
            guard !o.closed, let line = o.lines[role] else { throw .closed(role, line: name, function: "set") }
            try Gpiod.lineSetValue(line, active, at: .init(role: role, line: name, chip: pinMap[role].chip))
        }
    }

    public func read(_ role: LineRole) throws(LineError) -> Bool {
        let name = pinMap[role].name
        return try owned.withLock { (o: inout Owned) throws(LineError) -> Bool in
            guard !o.closed, let line = o.lines[role] else { throw .closed(role, line: name, function: "read") }
            return try Gpiod.lineGetValue(line, at: .init(role: role, line: name, chip: pinMap[role].chip))
        }
    }

    public func makeSafe() {
        owned.withLock { o in
            Self.driveSafe(o)
        }
    }

    public func close() {
        let wasOpen = owned.withLock { o in
            Self.driveSafe(o)
            return !o.closed
        }
        guard wasOpen else { return }
        // Stop the reader before its fds are closed under it, then release the lines.
        reader.stop()
        owned.withLock { o in
            Self.driveSafe(o)
            Self.release(&o)
            o.closed = true
        }
    }

    private static func driveSafe(_ o: borrowing Owned) {
        guard !o.closed else { return }
        for role in LineRole.allCases where role.isOutput {
            // Best effort on every output; one failing line must not stop the others.
            if let line = o.lines[role] { _ = gpiod_line_set_value(line, role.safeValue ? 1 : 0) }
        }
    }

    private static func release(_ o: inout Owned) {
        for (_, line) in o.lines { Gpiod.lineRelease(line) }
        for chip in o.chips { Gpiod.chipClose(chip) }
        o.lines = [:]
        o.chips = []
    }
}

/// The one thread that reads GPIO events. It holds only event fds (plain integers), a stop
/// pipe and a quiet-request pipe; it never touches a line handle.
///
/// A quiet request (`requestQuiet()`) is answered in order on `events`: the thread takes the
/// time, reads every line's kernel queue (so every edge stamped before that time is read: the
/// kernel stamps an edge as it queues it), delivers those edges, then `.quiet(throughNanos:)`
/// with the time taken.
final class EventThread: Sendable {
    private struct Source: Sendable {
        let role: LineRole
        let fd: Int32
        let line: String
        let chip: String?
    }

    private let sources: [Source]
    private let stopRead: Int32
    private let stopWrite: Int32
    private let quietRead: Int32
    private let quietWrite: Int32
    private let continuation: AsyncStream<LineInput>.Continuation
    let events: AsyncStream<LineInput>
    private let state = Mutex<(thread: POSIXThread?, failure: LineError?, stopped: Bool)>((nil, nil, false))

    /// Kernel queue depth of the v1 uAPI: one read takes everything a line can hold.
    static let batch = 16

    init(lines: [(role: LineRole, fd: Int32, site: Gpiod.Site)]) throws(LineError) {
        sources = lines.map { Source(role: $0.role, fd: $0.fd, line: $0.site.line, chip: $0.site.chip) }
        // The stop pipe must not leak into children. The quiet-request pipe is written from
        // the daemon's actor, which must never block on a full pipe (a full pipe already
        // holds a request), so both its ends are non-blocking.
        do {
            (stopRead, stopWrite) = try Sys.pipe(flags: O_CLOEXEC)
        } catch {
            throw LineError(role: nil, line: "event thread", function: "pipe2", errno: error.rawValue)
        }
        do {
            (quietRead, quietWrite) = try Sys.pipe(flags: O_CLOEXEC | O_NONBLOCK)
        } catch {
            Sys.close(stopRead)
            Sys.close(stopWrite)
            throw LineError(role: nil, line: "event thread", function: "pipe2", errno: error.rawValue)
        }
        // Bounded: a line flapping faster than the daemon reads must not exhaust memory. Newest
        // edges are kept, since they carry the current level.
        (events, continuation) = AsyncStream.makeStream(of: LineInput.self, bufferingPolicy: .bufferingNewest(4096))
        // The thread holds the object until it ends.
        let thread: POSIXThread
        do {
            thread = try POSIXThread(name: "dosecab-gpio") { [self] in run() }
        } catch {
            for fd in [stopRead, stopWrite, quietRead, quietWrite] { Sys.close(fd) }
            throw LineError(role: nil, line: "event thread", function: "pthread_create", errno: error.rawValue)
        }
        state.withLock { $0.thread = thread }
    }

    var failure: LineError? { state.withLock { $0.failure } }

    /// Asks for a `quiet` answer. Never blocks: when the pipe is full a request is pending
    /// already, and its answer serves this one too. After `stop()` it does nothing.
    func requestQuiet() {
        state.withLock { s in
            guard !s.stopped else { return }
            _ = try? Sys.write(quietWrite, [1])
        }
    }

    /// Wakes the thread through the pipe and waits for it to end. Idempotent.
    func stop() {
        let thread: POSIXThread? = state.withLock { s in
            guard !s.stopped else { return nil }
            s.stopped = true
            return s.thread
        }
        guard let thread else { return }
        _ = try? Sys.write(stopWrite, [1])
        thread.join()
        for fd in [stopRead, stopWrite, quietRead, quietWrite] { Sys.close(fd) }
    }

    private func run() {
        var pfds = sources.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        let stopIndex = sources.count, quietIndex = sources.count + 1
        pfds.append(pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0))
        pfds.append(pollfd(fd: quietRead, events: Int16(POLLIN), revents: 0))
        let buffer = UnsafeMutablePointer<gpiod_line_event>.allocate(capacity: Self.batch)
        defer { buffer.deallocate() }
        var pending: [LineEvent] = []
        pending.reserveCapacity(Self.batch * max(sources.count, 1))
        var drain = [UInt8](repeating: 0, count: 64)
        loop: while true {
            let rc = poll(&pfds, nfds_t(pfds.count), -1)
            if rc < 0 {
                if errno == EINTR { continue }
                fail(LineError(role: nil, line: "event thread", function: "poll", errno: errno))
                break
            }
            if pfds[stopIndex].revents != 0 { break }
            var quietThrough: UInt64?
            if pfds[quietIndex].revents != 0 {
                while Glibc.read(quietRead, &drain, drain.count) > 0 {}
                // The time first, then a fresh look at every queue: an edge stamped before
                // this time is queued by now, so this round reads it.
                quietThrough = MonotonicClock.now()
                while poll(&pfds, nfds_t(sources.count), 0) < 0 && errno == EINTR {}
            }
            for (i, source) in sources.enumerated() where pfds[i].revents != 0 {
                let site = Gpiod.Site(role: source.role, line: source.line, chip: source.chip)
                guard pfds[i].revents & Int16(POLLIN) != 0 else {
                    fail(site.error("poll", EIO, reason: "event fd reported an error or hang-up"))
                    break loop
                }
                do throws(LineError) {
                    let n = try Gpiod.lineEventReadFDMultiple(source.fd, into: buffer, capacity: Self.batch, at: site)
                    for k in 0..<n {
                        let e = buffer[k]
                        pending.append(LineEvent(
                            role: source.role,
                            level: e.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE),
                            timestampNanos: UInt64(e.ts.tv_sec) * 1_000_000_000 + UInt64(e.ts.tv_nsec)))
                    }
                } catch {
                    fail(error)
                    break loop
                }
            }
            pending.sort { $0.timestampNanos < $1.timestampNanos }
            for e in pending { continuation.yield(.edge(e)) }
            pending.removeAll(keepingCapacity: true)
            if let quietThrough { continuation.yield(.quiet(throughNanos: quietThrough)) }
        }
        continuation.finish()
    }

    private func fail(_ error: LineError) {
        state.withLock { $0.failure = error }
    }
}
