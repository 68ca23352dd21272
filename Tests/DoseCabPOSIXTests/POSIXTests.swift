@testable import DoseCabPOSIX
import Glibc
import Synchronization
import SystemPackage
import Testing

/// The plumbing every other module stands on: a thread runs under its name and is joined,
/// the clocks move forward, a failing call comes back as its errno.
@Suite struct POSIXTests {
    @Test func aThreadRunsUnderItsNameAndIsJoined() throws {
        let seen = Mutex<String?>(nil)
        let thread = try POSIXThread(name: "dosecab-test") {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.withLock { $0 = name.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        thread.join()
        #expect(seen.withLock { $0 } == "dosecab-test")
    }

    @Test func theClocksMoveForward() {
        let (m0, b0, r0) = (POSIXClocks.monotonicNanos(), POSIXClocks.bootTimeNanos(), POSIXClocks.realtimeNanos())
        let (m1, b1) = (POSIXClocks.monotonicNanos(), POSIXClocks.bootTimeNanos())
        #expect(m1 >= m0 && b1 >= b0)
        #expect(b0 >= m0, "CLOCK_BOOTTIME counts suspend too, so it is never behind CLOCK_MONOTONIC")
        #expect(r0 > 1_700_000_000 * 1_000_000_000)
    }

    @Test func aFailedCallIsItsErrno() throws {
        #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.unlink("/nonexistent/dosecab-posix-test") }
        #expect(try Sys.fileType(atPath: "/nonexistent/dosecab-posix-test") == nil)
    }

    @Test func aPipeCarriesBytes() throws {
        let (r, w) = try Sys.pipe(flags: O_CLOEXEC | O_NONBLOCK)
        defer { Sys.close(r); Sys.close(w) }
        #expect(try Sys.write(w, [7, 8]) == 2)
        #expect(try Sys.pollReadable([r], timeout: .zero) == [true])
        var buffer = [UInt8](repeating: 0, count: 4)
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) -> Int in try Sys.read(r, into: raw) }
        }.get()
        #expect(Array(buffer.prefix(count)) == [7, 8])
        #expect(throws: Errno.resourceTemporarilyUnavailable) {
            _ = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) -> Int in try Sys.read(r, into: raw) }
            }.get()
        }
    }
}
