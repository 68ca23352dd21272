@testable import DoseCabSystemd
import Foundation
import Glibc
import Testing

/// A datagram socket standing in for systemd's notify socket; NOTIFY_SOCKET points at it
/// while `body` runs.
func withNotifySocket<R>(_ body: (NotifySocket) throws -> R) throws -> R {
    let dir = try TestSupport.tempDir()
    defer { TestSupport.remove(dir) }
    let socket = try NotifySocket(path: dir + "/notify")
    defer { close(socket.fd) }
    environmentLock.lock()
    defer {
        unsetenv("NOTIFY_SOCKET")
        environmentLock.unlock()
    }
    setenv("NOTIFY_SOCKET", socket.path, 1)
    return try body(socket)
}

struct NotifySocket {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, r == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    /// Every datagram waiting now (or arriving within `wait`).
    func drain(wait: Double = 0.05) -> [String] {
        var out: [String] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, Int32(wait * 1000)) > 0 {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out.append(String(decoding: buf[0..<n], as: UTF8.self))
        }
        return out
    }
}

@Suite(.serialized) struct NotifierTests {
    @Test func sendsReadyStatusWatchdogStopping() throws {
        try withNotifySocket { (sock: NotifySocket) throws -> Void in
            let n = Notifier()
            #expect(n.hasNotifySocket)
            #expect(try n.ready())
            #expect(try n.status("ready: 3 open units\nlines ok"))
            #expect(try n.watchdog())
            #expect(try n.stopping())
            #expect(sock.drain() == ["READY=1", "STATUS=ready: 3 open units lines ok", "WATCHDOG=1", "STOPPING=1"])
        }
    }

    @Test func withoutNotifySocketNothingIsSentAndItSaysSo() throws {
        environmentLock.lock()
        defer { environmentLock.unlock() }
        unsetenv("NOTIFY_SOCKET")
        let n = Notifier()
        #expect(!n.hasNotifySocket)
        #expect(try !n.ready())
        #expect(try !n.watchdog())
    }

    @Test func watchdogIntervalComesFromTheServiceManager() throws {
        environmentLock.lock()
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
            environmentLock.unlock()
        }
        unsetenv("WATCHDOG_USEC")
        #expect(try Notifier().watchdogInterval() == nil)
        setenv("WATCHDOG_USEC", "10000000", 1)
        setenv("WATCHDOG_PID", String(getpid()), 1)
        #expect(try Notifier().watchdogInterval() == .seconds(10))
        // Meant for another process (e.g. our parent): not ours to feed.
        setenv("WATCHDOG_PID", "1", 1)
        #expect(try Notifier().watchdogInterval() == nil)
    }

    @Test func gateRefusesStaleReusedAndUnhealthyResults() throws {
        let sent = Confirmed()
        var gate = WatchdogGate(interval: .seconds(10), send: { () throws(SystemdError) -> Bool in
            sent.append(1)
            return true
        })
        let s: UInt64 = 1_000_000_000
        #expect(try gate.offer(.init(checkedAtNanos: 100 * s, healthy: true), nowNanos: 101 * s) == .pinged)
        #expect(try gate.offer(.init(checkedAtNanos: 100 * s, healthy: true), nowNanos: 104 * s) == .reused)
        #expect(try gate.offer(.init(checkedAtNanos: 101 * s, healthy: true), nowNanos: 102 * s) == .notDue)
        #expect(try gate.offer(.init(checkedAtNanos: 104 * s, healthy: true), nowNanos: 110 * s) == .stale)
        #expect(try gate.offer(.init(checkedAtNanos: 110 * s, healthy: false), nowNanos: 110 * s) == .unhealthy)
        #expect(try gate.offer(.init(checkedAtNanos: 111 * s, healthy: true), nowNanos: 112 * s) == .pinged)
        #expect(sent.values.count == 2)
    }

    /// The main loop pings through the gate after each health check; when it stalls, a
    /// timer re-offering the last result sends nothing, so systemd's watchdog would fire.
    @Test func stalledMainLoopStopsThePings() throws {
        try withNotifySocket { (sock: NotifySocket) throws -> Void in
            var gate = WatchdogGate(interval: .milliseconds(200))
            var last = HealthCheckResult(checkedAtNanos: 0, healthy: true)
            var pinged = 0
            for _ in 0..<6 {
                last = HealthCheckResult(checkedAtNanos: JournalWriter.bootTimeNanos(), healthy: true)
                if try gate.offer(last, nowNanos: JournalWriter.bootTimeNanos()) == .pinged { pinged += 1 }
                usleep(60_000)
            }
            let whileRunning = sock.drain()
            #expect(pinged >= 3)
            #expect(whileRunning.count == pinged)
            #expect(whileRunning.allSatisfy { $0 == "WATCHDOG=1" })

            // Stall: no new health check; something keeps offering the last result.
            var decisions: Set<WatchdogGate.Decision> = []
            for _ in 0..<6 {
                decisions.insert(try gate.offer(last, nowNanos: JournalWriter.bootTimeNanos()))
                usleep(60_000)
            }
            #expect(sock.drain().isEmpty)
            #expect(decisions == [.reused])
            // A check that finished long ago (the loop was stuck after it) is refused too.
            let old = HealthCheckResult(checkedAtNanos: JournalWriter.bootTimeNanos() - 150_000_000, healthy: true)
            #expect(try gate.offer(old, nowNanos: JournalWriter.bootTimeNanos()) == .stale)
            #expect(sock.drain().isEmpty)
        }
    }
}
