import DoseCabSystemd
import Foundation
import Glibc
import Testing

@Suite struct SocketActivationTests {
    @Test func withoutSystemdThereIsNoControlSocket() {
        #expect(ListenFDs.controlSocket() == nil)
    }

    /// A helper (this test binary, re-executed) run under systemd-socket-activate finds
    /// the listening socket through sd_listen_fds and serves a client on it.
    @Test func helperUnderSystemdSocketActivateFindsTheControlSocket() throws {
        let activate = try #require(TestSupport.which("systemd-socket-activate"))
        let dir = try TestSupport.tempDir()
        defer { TestSupport.remove(dir) }
        let path = dir + "/control.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: activate)
        p.arguments = ["--listen=\(path)", "-E", "DOSECAB_SYSTEMD_HELPER", "-E", "DOSECAB_HELPER_OUT",
                       TestSupport.testBinary] + TestSupport.helperArguments
        p.environment = ProcessInfo.processInfo.environment.merging(
            ["DOSECAB_SYSTEMD_HELPER": "listen", "DOSECAB_HELPER_OUT": dir]) { _, new in new }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        for _ in 0..<200 where access(path, F_OK) != 0 { usleep(25_000) }

        // Connecting makes systemd-socket-activate start the helper with the socket as fd 3.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(r == 0)
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        #expect(n > 0 && String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "dosecab\n")

        let deadline = Date(timeIntervalSinceNow: 30)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let report = (try? String(contentsOfFile: dir + "/listen.txt", encoding: .utf8)) ?? ""
        #expect(report.contains("fd=3\n"), "\(report)")
        #expect(report.contains("LISTEN_FDS=unset"), "the variables are unset for children")
        #expect(report.contains("accepted"))
    }
}
