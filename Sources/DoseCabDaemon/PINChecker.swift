import DoseCabCore
import Foundation

/// Runs PIN checks off the cabinet's actor (issue 19.7): scrypt (N=16384, r=8) takes tens of
/// milliseconds on x86 and several times that on an ARM board, and door, bolt and tamper edges
/// and timers must not wait behind it. The checks run one at a time on a serial Dispatch queue of
/// their own, not on the cooperative pool the actor runs on (two threads on a two-core board),
/// which also bounds the KDF's memory to one check's (N·r·128 bytes = 16 MiB).
final class PINChecker: Sendable {
    let verifier: any PINVerifier
    private let queue = DispatchQueue(label: "dosecab.pin-check")

    init(_ verifier: any PINVerifier) {
        self.verifier = verifier
    }

    func run(_ check: PINCheck) async -> PINCheck.Verdict {
        await withCheckedContinuation { continuation in
            queue.async { [verifier] in continuation.resume(returning: check.run(verifier)) }
        }
    }
}
