import DoseCabPOSIX
import Foundation
import Glibc
import SystemPackage

/// Writes journal entries on its own thread behind a bounded queue, so the journal never
/// blocks the lock or the control socket (ARCHITECTURE §4a).
///
/// Nothing is dropped silently: an entry that cannot be written stays at the head of the
/// queue and is retried; `health(nowNanos:)` turns degraded when the oldest unsent entry
/// is older than the limit or the queue too full; `enqueue` returns false when the queue
/// is full, and that too is reported (`Stats.refused`) so the daemon replays from the
/// store's audit log. `sd_journal_sendv` returns success when journald is absent, so
/// before each write the writer checks that journald's socket exists.
public final class JournalWriter: Sendable {
    /// Where entries go.
    public enum Sink: Sendable, Equatable {
        /// journald, via `sd_journal_sendv`. `socketPath` is where the writer looks for
        /// journald's socket before each write (tests point it elsewhere to simulate an
        /// absent journald); libsystemd itself always sends to journald's own socket.
        case journald(socketPath: String = JournalWriter.defaultSocketPath)
        /// One readable line per entry on stderr (`--simulate` without journald).
        case stderr
        /// One readable line per entry on a file descriptor the caller owns (tests).
        case fileDescriptor(Int32)
    }

    /// Queue size and health limits.
    public struct Limits: Sendable, Equatable {
        /// At most this many entries wait; `enqueue` refuses more.
        public var capacity: Int
        /// Degraded when the oldest unsent entry is older than this.
        public var maxUnsentAge: Duration
        /// Degraded when at least this many entries wait.
        public var maxQueued: Int
        /// `enqueueLog` (ordinary log lines) refuses once this many wait, so chatty logs
        /// never take room that audit events need.
        public var logLinesUpTo: Int
        /// Pause between attempts while writes fail.
        public var retryInterval: Duration

        /// Defaults: 4096 entries, degraded after 5 s unsent or 1024 queued, log lines
        /// up to 512 queued, retry every 250 ms.
        public init(
            capacity: Int = 4096, maxUnsentAge: Duration = .seconds(5), maxQueued: Int? = nil,
            logLinesUpTo: Int? = nil, retryInterval: Duration = .milliseconds(250)
        ) {
            self.capacity = max(1, capacity)
            self.maxUnsentAge = maxUnsentAge
            self.maxQueued = maxQueued ?? max(1, capacity / 4)
            self.logLinesUpTo = logLinesUpTo ?? max(1, capacity / 8)
            self.retryInterval = retryInterval
        }
    }

    /// Counters, for status and for the daemon's replay bookkeeping.
    public struct Stats: Sendable, Equatable {
        /// Entries written (handed to journald / the stream) since start.
        public var written: UInt64 = 0
        /// Entries waiting, including one being written.
        public var unsent: Int = 0
        /// Entries `enqueue`/`enqueueLog` refused because the queue was full.
        public var refused: UInt64 = 0
        /// Write attempts that failed (each is retried).
        public var failedAttempts: UInt64 = 0
        /// `DOSECAB_AUDIT_SEQ` of the last audit entry written: the daemon's replay mark.
        public var lastWrittenAuditSeq: UInt64?
        /// `DOSECAB_AUDIT_SEQ` of the oldest audit entry still waiting.
        public var oldestUnsentAuditSeq: UInt64?
        /// Why the last attempt failed, cleared by the next success.
        public var lastError: String?
    }

    /// journald's native-protocol socket.
    public static let defaultSocketPath = "/run/systemd/journal/socket"

    /// CLOCK_BOOTTIME in nanoseconds: the default clock (keeps counting in suspend, and
    /// setting the wall clock cannot make an entry look young).
    public static func bootTimeNanos() -> UInt64 {
        POSIXClocks.bootTimeNanos()
    }

    /// The sink this writer uses.
    public let sink: Sink
    /// Its limits.
    public let limits: Limits
    private let clock: @Sendable () -> UInt64
    private let state: State

    /// Starts the writer thread. `onWritten` runs on the writer thread after each entry
    /// is written (keep it short; it must not block).
    public init(
        sink: Sink, limits: Limits = Limits(),
        clock: @escaping @Sendable () -> UInt64 = JournalWriter.bootTimeNanos,
        onWritten: (@Sendable (JournalEntry) -> Void)? = nil
    ) {
        self.sink = sink
        self.limits = limits
        self.clock = clock
        self.state = State(capacity: limits.capacity)
        let state = self.state
        let send = Self.sender(for: sink)
        let retry = limits.retryInterval
        // The writer ends by itself once stopped (`deinit`); nobody waits for it.
        do {
            try POSIXThread(name: "dosecab-journal") {
                Self.run(state: state, send: send, retryInterval: retry, onWritten: onWritten)
            }.detach()
        } catch {
            preconditionFailure("JournalWriter: pthread_create: \(error)")
        }
    }

    deinit {
        state.requestStop()
    }

    /// Queues an audit entry; never blocks. False when the queue is full (counted in
    /// `Stats.refused`; the daemon must replay it from the store's audit log).
    @discardableResult
    public func enqueue(_ entry: JournalEntry) -> Bool {
        state.enqueue(entry, now: clock(), limit: limits.capacity)
    }

    /// Queues an ordinary log line; never blocks. Refused (false) once
    /// `Limits.logLinesUpTo` entries wait, keeping the rest of the queue for audit events.
    @discardableResult
    public func enqueueLog(_ entry: JournalEntry) -> Bool {
        state.enqueue(entry, now: clock(), limit: min(limits.logLinesUpTo, limits.capacity))
    }

    /// The writer's current counters.
    public var stats: Stats { state.snapshot().stats }

    /// Health at `nowNanos` (same clock as the writer's `clock`): degraded when journald's
    /// socket is missing, the oldest unsent entry is older than `maxUnsentAge`, the queue
    /// holds `maxQueued` or more, entries were refused since the queue last drained, or
    /// the writer was stopped.
    public func health(nowNanos: UInt64) -> JournalHealth {
        let snap = state.snapshot()
        var reasons: [JournalHealth.Reason] = []
        if case .journald(let path) = sink, !Self.isSocket(path) {
            reasons.append(.socketMissing(path: path))
        }
        if let oldest = snap.oldestEnqueuedAt {
            let age = Duration.nanoseconds(Int64(nowNanos &- min(oldest, nowNanos)))
            if age > limits.maxUnsentAge {
                reasons.append(.oldestUnsentTooOld(age: age, limit: limits.maxUnsentAge))
            }
        }
        if snap.stats.unsent >= limits.maxQueued {
            reasons.append(.queueTooFull(count: snap.stats.unsent, limit: limits.maxQueued))
        }
        if snap.refusedSinceDrained > 0 {
            reasons.append(.entriesRefused(count: snap.refusedSinceDrained))
        }
        if snap.stopped { reasons.append(.stopped) }
        if !reasons.isEmpty, let error = snap.stats.lastError, snap.stats.unsent > 0 {
            reasons.append(.lastWriteFailed(error))
        }
        return reasons.isEmpty ? .healthy : .degraded(reasons)
    }

    /// Health now, by the writer's own clock.
    public func health() -> JournalHealth { health(nowNanos: clock()) }

    /// Wakes the writer to retry at once (e.g. the daemon saw journald come back).
    public func retryNow() { state.wake() }

    /// Blocks the caller until the queue is empty or `timeout` passes; true when empty.
    /// For shutdown and tests, never for the lock path.
    public func flush(timeout: Duration) -> Bool {
        state.waitUntil(timeout: timeout) { $0.count == 0 }
    }

    /// Asks the thread to write what it can and stop (entries that fail stay counted as
    /// unsent); waits up to `timeout` for it. True when it stopped with nothing unsent.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(2)) -> Bool {
        state.requestStop()
        let finished = state.waitUntil(timeout: timeout) { $0.finished }
        return finished && state.snapshot().stats.unsent == 0
    }

    // MARK: - The thread

    private typealias Sender = @Sendable (JournalEntry) -> String?

    /// nil on success, else why it failed.
    private static func sender(for sink: Sink) -> Sender {
        switch sink {
        case .journald(let path):
            return { entry in
                guard isSocket(path) else { return "journal socket \(path) is missing" }
                let result = entry.withIOVecs { iov in
                    Result { () throws(SystemdError) in try LibSystemd.journalSendv(iov) }
                }
                if case .failure(let error) = result { return error.description }
                return nil
            }
        case .stderr:
            return { entry in writeLine(entry.readableLine(), to: 2) }
        case .fileDescriptor(let fd):
            return { entry in writeLine(entry.readableLine(), to: fd) }
        }
    }

    private static func writeLine(_ line: String, to fd: Int32) -> String? {
        let bytes = Array((line + "\n").utf8)
        do {
            _ = try bytes.withUnsafeBytes { try FileDescriptor(rawValue: fd).writeAll($0) }
            return nil
        } catch {
            return "write to fd \(fd): \(error)"
        }
    }

    static func isSocket(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }

    private static func run(
        state: State, send: Sender, retryInterval: Duration,
        onWritten: (@Sendable (JournalEntry) -> Void)?
    ) {
        while let entry = state.next() {
            if let failure = send(entry) {
                if !state.failed(failure, retryAfter: retryInterval) { break }
            } else {
                state.written()
                onWritten?(entry)
            }
        }
        state.finish()
    }

    // MARK: - Shared state

    /// Guarded by `condition`; everything the thread and callers share.
    private final class State: @unchecked Sendable {
        struct Item {
            let entry: JournalEntry
            let enqueuedAt: UInt64
            let auditSeq: UInt64?
        }
        struct Snapshot {
            var stats: Stats
            var oldestEnqueuedAt: UInt64?
            var refusedSinceDrained: UInt64
            var stopped: Bool
        }

        let condition = NSCondition()
        // A ring would save the O(n) removeFirst; the head index does the same.
        var queue: [Item] = []
        var head = 0
        // The audit seqs of waiting entries, oldest first: O(1) `oldestUnsentAuditSeq`.
        var seqs: [UInt64] = []
        var seqHead = 0
        var stats = Stats()
        var refusedSinceDrained: UInt64 = 0
        var stopping = false
        var finished = false

        init(capacity: Int) { queue.reserveCapacity(min(capacity, 4096)) }

        var count: Int { queue.count - head }

        func enqueue(_ entry: JournalEntry, now: UInt64, limit: Int) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            guard !stopping, count < limit else {
                stats.refused += 1
                refusedSinceDrained += 1
                return false
            }
            let seq = entry.auditSeq
            queue.append(Item(entry: entry, enqueuedAt: now, auditSeq: seq))
            if let seq { seqs.append(seq) }
            stats.unsent = count
            stats.oldestUnsentAuditSeq = seqHead < seqs.count ? seqs[seqHead] : nil
            condition.broadcast()
            return true
        }

        /// The head entry, waiting for one; nil when the thread should end.
        func next() -> JournalEntry? {
            condition.lock()
            defer { condition.unlock() }
            while count == 0 && !stopping { condition.wait() }
            return count == 0 ? nil : queue[head].entry
        }

        func written() {
            condition.lock()
            defer { condition.unlock() }
            let item = queue[head]
            head += 1
            if let seq = item.auditSeq {
                seqHead += 1
                stats.lastWrittenAuditSeq = seq
            }
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            if seqHead > 1024 && seqHead * 2 > seqs.count {
                seqs.removeFirst(seqHead)
                seqHead = 0
            }
            stats.written += 1
            stats.unsent = count
            stats.lastError = nil
            stats.oldestUnsentAuditSeq = seqHead < seqs.count ? seqs[seqHead] : nil
            if count == 0 {
                queue.removeAll(keepingCapacity: true)
                head = 0
                seqs.removeAll(keepingCapacity: true)
                seqHead = 0
                refusedSinceDrained = 0
            }
            condition.broadcast()
        }

        /// Records a failure and waits before the retry; false when stopping (give up,
        /// leaving the entry counted as unsent).
        func failed(_ why: String, retryAfter: Duration) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            stats.failedAttempts += 1
            stats.lastError = why
            condition.broadcast()
            if stopping { return false }
            let c = retryAfter.components
            let seconds = Double(c.seconds) + Double(c.attoseconds) / 1e18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
            return !stopping
        }

        func finish() {
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }

        func requestStop() {
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
        }

        func wake() {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }

        func waitUntil(timeout: Duration, _ done: (State) -> Bool) -> Bool {
            let c = timeout.components
            let deadline = Date(timeIntervalSinceNow: Double(c.seconds) + Double(c.attoseconds) / 1e18)
            condition.lock()
            defer { condition.unlock() }
            while !done(self) {
                if !condition.wait(until: deadline) { return done(self) }
            }
            return true
        }

        func snapshot() -> Snapshot {
            condition.lock()
            defer { condition.unlock() }
            return Snapshot(
                stats: stats, oldestEnqueuedAt: count > 0 ? queue[head].enqueuedAt : nil,
                refusedSinceDrained: refusedSinceDrained, stopped: stopping
            )
        }
    }
}
