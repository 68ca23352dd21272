@testable import DoseCabPOSIX
import Foundation
import Glibc
import Synchronization
import Testing

/// The daemon's own executor (installed by `dosecabd`'s main; here an instance used as a task
/// executor preference): jobs run on its named threads, sleeps resume no earlier than asked and
/// in deadline order, cancellation ends a sleep.
@Suite struct DaemonExecutorTests {
    static let executor = DaemonExecutor(workers: 2)
    static let single = DaemonExecutor(workers: 1)

    /// The calling thread's name as the kernel shows it.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func jobsRunOnTheExecutorsThreads() async {
        let names = await Task(executorPreference: Self.executor) {
            var seen: [String] = [Self.threadName()]
            await withTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { Self.threadName() } }
                for await n in group { seen.append(n) }
            }
            return seen
        }.value
        #expect(names.count == 21)
        #expect(names.allSatisfy { $0.hasPrefix("dosecab-exec") }, "\(Set(names))")
    }

    @Test func sleepResumesNoEarlierThanItsDeadlineOnTheExecutor() async throws {
        let (elapsed, name) = try await Task(executorPreference: Self.executor) {
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(50))
            return (ContinuousClock.now - start, Self.threadName())
        }.value
        #expect(elapsed >= .milliseconds(50))
        #expect(name.hasPrefix("dosecab-exec"))
    }

    final class Order: Sendable {
        let ends = Mutex<[Int]>([])
        func append(_ i: Int) { ends.withLock { $0.append(i) } }
        var list: [Int] { ends.withLock { $0 } }
    }

    @Test func sleepsEndInDeadlineOrder() async throws {
        let order = Order()
        try await Task(executorPreference: Self.single) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in [5, 1, 4, 2, 3] {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(20 * i))
                        order.append(i)
                    }
                }
                try await group.waitForAll()
            }
        }.value
        #expect(order.list == [1, 2, 3, 4, 5])
    }

    @Test func cancellingASleepEndsIt() async {
        let task = Task(executorPreference: Self.executor) { () -> Bool in
            do {
                try await Task.sleep(for: .seconds(600))
                return false
            } catch {
                return error is CancellationError
            }
        }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await task.value)
    }

    @Test func anEarlierSleepIsNotHeldUpByALaterOne() async throws {
        // A long sleep is armed first; a short one after it must still end on its own deadline.
        let long = Task(executorPreference: Self.executor) { try? await Task.sleep(for: .seconds(600)) }
        defer { long.cancel() }
        try await Task.sleep(for: .milliseconds(10))
        let done = try await Task(executorPreference: Self.executor) {
            try await Task.sleep(for: .milliseconds(30))
            return true
        }.value
        #expect(done)
    }
}
