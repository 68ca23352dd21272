import Synchronization

/// A value behind a lock. The store's writer state (the chain head) lives here so that
/// appending to the chain and committing the transaction happen as one step. A class around
/// `Mutex` (which cannot be copied), so closures and tasks can share it.
final class Locked<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    init(_ state: State) { mutex = Mutex(state) }

    func withLock<R: Sendable, E: Error>(_ body: (inout State) throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (state) throws(E) -> R in try body(&state) }
    }
}
