import DoseCabCore
import Foundation

/// Runs PIN checks off the cabinet's actor (issue 19.7): scrypt (N=16384, r=8) takes tens of
/// milliseconds on x86 and several times that on an ARM board, and door, bolt and tamper edges
/// and timers must not wait behind it. The checks run on serial Dispatch queues of their own, not
/// on the cooperative pool the actor runs on (two threads on a two-core board).
///
/// Two lanes, one check at a time on each: the counter's (at most one check: its later frames
/// wait for it, `CabinetDriver+Counter`) and the control socket's. A local user's socket
/// requests therefore never hold up a PIN typed at the counter, and the socket's lane is capped
/// (`socketLimit`, counted by the driver; beyond it a request is answered `busy`). The KDF's
/// memory is bounded to two checks' (2 × N·r·128 bytes = 32 MiB).
final class PINChecker: Sendable {
    /// Which queue a check runs on.
    enum Lane: Sendable {
        case counter
        case controlSocket
    }

    /// How many control-socket checks may run or wait at once; one more is refused `busy`.
    static let socketLimit = 4

    let verifier: any PINVerifier
    private let counterQueue = DispatchQueue(label: "dosecab.pin-check.counter", qos: .userInitiated)
    private let socketQueue = DispatchQueue(label: "dosecab.pin-check.socket", qos: .utility)

    init(_ verifier: any PINVerifier) {
        self.verifier = verifier
    }

    func run(_ check: PINCheck, on lane: Lane) async -> PINCheck.Verdict {
        let queue = lane == .counter ? counterQueue : socketQueue
        return await withCheckedContinuation { continuation in
            queue.async { [verifier] in continuation.resume(returning: check.run(verifier)) }
        }
    }
}

/// A control-socket PIN that was not checked: nothing was counted, recorded or changed.
public enum PINCheckUnavailable: Error, Sendable, CustomStringConvertible {
    /// `PINChecker.socketLimit` socket checks are already running or waiting.
    case busy(waiting: Int)
    /// `shutdown()` has begun.
    case stopping

    public var description: String {
        switch self {
        case .busy(let waiting):
            "busy: \(waiting) PIN check(s) over the control socket are already running or waiting; nothing was checked or changed; try again"
        case .stopping:
            "stopping: dosecabd is shutting down; nothing was checked or changed"
        }
    }
}
