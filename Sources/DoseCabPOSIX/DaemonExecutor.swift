@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency
import CPOSIX
import Foundation
import Glibc

/// The daemon's global executor: a few worker threads that sleep on a condition variable
/// and one timer thread that sleeps in `poll` on a CLOCK_BOOTTIME timerfd armed for the
/// earliest `Task.sleep` deadline (whoever schedules an earlier one re-arms the timerfd
/// itself, so the timer thread wakes only when a deadline is due). An idle daemon therefore has no thread that wakes on
/// its own: only a deadline someone asked for (the watchdog tick) wakes it.
///
/// Why not the default: on Linux, libdispatch's global queues are watched by a pool monitor
/// (`_dispatch_workq_monitor_pools`, swift-corelibs-libdispatch `src/event/workqueue.c`) that
/// runs on a repeating 1 s timer from the first job a worker of a global queue runs until the
/// process ends, whether or not there is work: one wake-up a second forever, which
/// docs/performance.md measured as the idle daemon's only non-watchdog wake-up.
///
/// Installed once, first thing in `dosecabd`'s `main` (`Daemon.installExecutor()` calls
/// ``installDaemonExecutor()``), through Swift 6.3's `ExecutorFactory` (experimental SPI:
/// re-check on a toolchain upgrade). It is internal because its conformance to the SPI's
/// `SchedulingExecutor` cannot be public. The main executor stays the platform's. Jobs run in FIFO order (priorities are not used);
/// tolerance is ignored (every deadline is exact).
final class DaemonExecutor: TaskExecutor, SchedulingExecutor, @unchecked Sendable {
    private struct Timer {
        let deadline: UInt64  // CLOCK_BOOTTIME ns
        let order: UInt64
        let job: UnownedJob
        func before(_ other: Timer) -> Bool { (deadline, order) < (other.deadline, other.order) }
    }

    /// Guards everything below; workers wait on it.
    private let condition = NSCondition()
    private var ready: [UnownedJob] = []
    private var readyHead = 0
    private var idleWorkers = 0
    /// Binary min-heap on (deadline, order).
    private var timers: [Timer] = []
    private var timerOrder: UInt64 = 0
    /// The deadline the timerfd is armed for (`UInt64.max`: disarmed). Changed only with
    /// `condition` held, together with the timerfd itself.
    private var armedFor = UInt64.max
    private let timerFD: Int32
    /// Worker threads (the timer thread is one more).
    let workers: Int

    /// Starts `workers` worker threads and the timer thread; they live as long as the process.
    init(workers: Int = max(4, ProcessInfo.processInfo.activeProcessorCount)) {
        self.workers = max(1, workers)
        do {
            timerFD = try Sys.timerfdCreate(CLOCK_BOOTTIME, flags: Int32(TFD_CLOEXEC))
        } catch {
            preconditionFailure("DaemonExecutor: timerfd_create: \(error)")
        }
        ready.reserveCapacity(64)
        timers.reserveCapacity(16)
        for i in 0..<self.workers { Self.spawn(name: "dosecab-exec\(i)") { [self] in self.work() } }
        Self.spawn(name: "dosecab-timer") { [self] in self.timerLoop() }
    }

    // MARK: Executor

    func enqueue(_ job: consuming ExecutorJob) {
        push(UnownedJob(job))
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        let delay: Duration
        if let i = instant as? ContinuousClock.Instant {
            delay = ContinuousClock.now.duration(to: i)
        } else if let i = instant as? SuspendingClock.Instant {
            delay = SuspendingClock.now.duration(to: i)
        } else if let d = clock.now.duration(to: instant) as? Duration {
            delay = d
        } else {
            // The standard clocks sleep through the two above; a custom clock's `sleep` does too.
            fatalError("DaemonExecutor: unsupported clock \(C.self)")
        }
        schedule(UnownedJob(job), in: delay)
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        if let d = delay as? Duration {
            schedule(UnownedJob(job), in: d)
        } else {
            enqueue(job, at: clock.now.advanced(by: delay), tolerance: tolerance, clock: clock)
        }
    }

    // MARK: Installing

    private enum Factory: ExecutorFactory {
        static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }
        static var defaultExecutor: any TaskExecutor { DaemonExecutor.shared }
    }

    static let shared = DaemonExecutor()

    static func install() {
        _createExecutors(factory: Factory.self)
    }

    /// Whether `install()` has made this the default executor.
    static var isInstalled: Bool { Task.defaultExecutor is DaemonExecutor }

    // MARK: Queues

    // Signals go out after the unlock, so the woken worker does not block at once on the lock
    // the signaller still holds (one context switch fewer per hand-over).
    private func push(_ job: UnownedJob) {
        condition.lock()
        ready.append(job)
        let wake = idleWorkers > 0
        condition.unlock()
        if wake { condition.signal() }
    }

    private func schedule(_ job: UnownedJob, in delay: Duration) {
        let (s, a) = delay.components
        guard s > 0 || (s == 0 && a > 0) else { return push(job) }
        let nanos = s >= Int64(UInt64.max / 2_000_000_000) ? UInt64.max / 2 : UInt64(s) * 1_000_000_000 + UInt64(a / 1_000_000_000)
        let deadline = Self.bootNanos() &+ nanos
        condition.lock()
        timerOrder &+= 1
        heapPush(Timer(deadline: deadline, order: timerOrder, job: job))
        if deadline < armedFor { arm(deadline) }
        condition.unlock()
    }

    /// Arms the timerfd for `deadline` (`UInt64.max`: disarms). Call with `condition` held.
    private func arm(_ deadline: UInt64) {
        armedFor = deadline
        var spec = itimerspec()  // it_value zero disarms
        if deadline != UInt64.max {
            spec.it_value = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        }
        // It can fail only for a bad descriptor (the wrapper stops on that) or an out-of-range
        // value, which the deadline arithmetic above never makes.
        _ = try? Sys.timerfdSetTime(timerFD, flags: Int32(TFD_TIMER_ABSTIME), spec)
    }

    private func work() {
        condition.lock()
        while true {
            if readyHead < ready.count {
                let job = ready[readyHead]
                readyHead += 1
                var wake = false
                if readyHead == ready.count {
                    ready.removeAll(keepingCapacity: true)
                    readyHead = 0
                } else {
                    wake = idleWorkers > 0
                }
                condition.unlock()
                if wake { condition.signal() }
                job.runSynchronously(on: asUnownedTaskExecutor())
                condition.lock()
            } else {
                idleWorkers += 1
                condition.wait()
                idleWorkers -= 1
            }
        }
    }

    /// Moves due timers to the ready queue, arms the timerfd for the next one, sleeps in poll.
    private func timerLoop() {
        var fd = pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0)
        var expirations: UInt64 = 0
        while true {
            let now = Self.bootNanos()
            condition.lock()
            var moved = 0
            while let first = timers.first, first.deadline <= now {
                ready.append(heapPop().job)
                moved += 1
            }
            let next = timers.first?.deadline ?? UInt64.max
            if next != armedFor { arm(next) }
            condition.unlock()
            if moved == 1 { condition.signal() } else if moved > 1 { condition.broadcast() }
            if poll(&fd, 1, -1) > 0 { _ = read(timerFD, &expirations, 8) }  // else EINTR: look again
        }
    }

    // MARK: Heap

    private func heapPush(_ t: Timer) {
        timers.append(t)
        var i = timers.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard timers[i].before(timers[p]) else { break }
            timers.swapAt(i, p)
            i = p
        }
    }

    private func heapPop() -> Timer {
        let top = timers[0]
        let last = timers.removeLast()
        if !timers.isEmpty {
            timers[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < timers.count && timers[l].before(timers[m]) { m = l }
                if r < timers.count && timers[r].before(timers[m]) { m = r }
                if m == i { break }
                timers.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    // MARK: Threads and clocks

    static func bootNanos() -> UInt64 {
        POSIXClocks.bootTimeNanos()
    }

    /// The executor's threads live as long as the process, so nobody joins them.
    private static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        do {
            try POSIXThread(name: name, body).detach()
        } catch {
            preconditionFailure("DaemonExecutor: pthread_create: \(error)")
        }
    }
}

/// Makes the daemon's own executor (``DaemonExecutor``) the default for every task that has no
/// other. Call once, before the first job reaches a global queue: first thing in `main`.
public func installDaemonExecutor() {
    DaemonExecutor.install()
}
