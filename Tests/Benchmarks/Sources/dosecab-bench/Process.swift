import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `dosecabd --simulate --state-dir DIR` with NOTIFY_SOCKET on a datagram socket we bound.
final class DaemonProcess {
    let process = Process()
    let notifyPath: String
    let notifyFD: Int32
    let spawnedAt: UInt64

    init(binary: String, stateDir: String) throws {
        let notifyPath = stateDir + "/notify.sock"
        self.notifyPath = notifyPath
        unlink(notifyPath)
        let notifyFD = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.notifyFD = notifyFD
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(notifyPath.utf8)
            for (i, b) in bytes.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(notifyFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(rc == 0, "bind \(notifyPath): errno \(errno)")
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--simulate", "--state-dir", stateDir]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notifyPath
        env.removeValue(forKey: "WATCHDOG_USEC")
        env.removeValue(forKey: "LISTEN_FDS")
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: stateDir + "/daemon.stderr") ?? {
            FileManager.default.createFile(atPath: stateDir + "/daemon.stderr", contents: nil)
            return FileHandle(forWritingAtPath: stateDir + "/daemon.stderr")!
        }()
        let t = nowNanos()
        try process.run()
        spawnedAt = t
    }

    /// Milliseconds from spawn to READY=1, or nil on timeout.
    func waitReady(timeoutSeconds: Double = 120) -> Double? {
        let deadline = nowNanos() + UInt64(timeoutSeconds * 1e9)
        var buf = [UInt8](repeating: 0, count: 4096)
        while nowNanos() < deadline {
            var pfd = pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else {
                if !process.isRunning { return nil }
                continue
            }
            let n = recv(notifyFD, &buf, buf.count, 0)
            let t = nowNanos()
            if n > 0, String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").contains("READY=1") {
                return ms(t - spawnedAt)
            }
        }
        return nil
    }

    var pid: pid_t { process.processIdentifier }

    func stop() {
        if process.isRunning { kill(pid, SIGTERM) }
        let deadline = nowNanos() + 10_000_000_000
        while process.isRunning && nowNanos() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        close(notifyFD)
        unlink(notifyPath)
    }
}

// MARK: 3. Start to READY=1

func benchStartup(_ report: Report, binary: String, stores: [(String, String)], runs: Int) {
    var json: [String: Any] = [:]
    for (name, dir) in stores {
        print("3. start to READY=1: \(name)"); fflush(nil)
        var samples: [Double] = []
        for _ in 0..<runs {
            guard let d = try? DaemonProcess(binary: binary, stateDir: dir) else { continue }
            if let t = d.waitReady() { samples.append(t) } else { print("   no READY=1 (see \(dir)/daemon.stderr)") }
            d.stop()
        }
        let s = Summary(samples)
        report.row("3 start", "\(name): median / max (ms, n=\(s.count))", "\(fmt(s.p50, 0)) / \(fmt(s.max, 0))")
        json[name] = s.json
    }
    report.set("startup", json)
}

/// A fresh state folder: the daemon seeds the demo clinic itself (six scrypt hashes at the
/// production cost), as on a first `make demo`.
func benchFirstStart(_ report: Report, binary: String) {
    let dir = tempDir("first-start")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard let d = try? DaemonProcess(binary: binary, stateDir: dir) else { return }
    let t = d.waitReady()
    d.stop()
    report.row("3 start", "first run, empty folder (seeds the demo clinic) (ms)", t.map { fmt($0, 0) } ?? "no READY")
    report.set("firstStartMs", t ?? -1)
}

// MARK: 4. Idle cost

func benchIdle(_ report: Report, binary: String, stateDir: String, seconds: Int) {
    print("4. idle cost over \(seconds) s"); fflush(nil)
    guard let d = try? DaemonProcess(binary: binary, stateDir: stateDir), d.waitReady() != nil else {
        report.row("4 idle", "daemon", "did not start"); return
    }
    defer { d.stop() }
    sleep(5)  // let start-up work finish
    let pid = d.pid
    func snapshot() -> [pid_t: (name: String, vol: Int, invol: Int, cpu: Int)] {
        var out: [pid_t: (String, Int, Int, Int)] = [:]
        for t in Proc.tasks(pid) {
            out[t] = (Proc.comm(pid, task: t), Proc.status(pid, "voluntary_ctxt_switches", task: t) ?? 0,
                      Proc.status(pid, "nonvoluntary_ctxt_switches", task: t) ?? 0, Proc.cpuTicks(pid, task: t) ?? 0)
        }
        return out
    }
    let a = snapshot(), cpuA = Proc.cpuTicks(pid) ?? 0
    let t0 = nowNanos()
    sleep(UInt32(seconds))
    let b = snapshot(), cpuB = Proc.cpuTicks(pid) ?? 0
    let elapsed = Double(nowNanos() - t0) / 1e9
    var total = 0
    var threads: [[String: Any]] = []
    for (tid, after) in b.sorted(by: { $0.key < $1.key }) {
        let before = a[tid] ?? (after.name, 0, 0, 0)
        let wakes = (after.vol - before.vol) + (after.invol - before.invol)
        total += wakes
        threads.append(["tid": Int(tid), "name": after.name, "wakeups": wakes, "voluntary": after.vol - before.vol,
                        "cpuTicks": after.cpu - before.cpu])
    }
    let cpuSeconds = Double(cpuB - cpuA) / Proc.ticksPerSecond
    let rss = Proc.status(pid, "VmRSS") ?? 0, hwm = Proc.status(pid, "VmHWM") ?? 0
    report.row("4 idle", "wake-ups/s (all threads, context switches)", fmt(Double(total) / elapsed, 2))
    report.row("4 idle", "CPU time over \(Int(elapsed)) s (ms; % of one core)", "\(fmt(cpuSeconds * 1000, 0)) (\(fmt(cpuSeconds / elapsed * 100, 3)) %)")
    for t in threads where (t["wakeups"] as? Int ?? 0) > 0 {
        report.row("4 idle", "  thread \(t["name"]!) (\(t["tid"]!)) wake-ups/s", fmt(Double(t["wakeups"] as! Int) / elapsed, 2))
    }
    report.row("4 idle", "daemon RSS / peak RSS idle (MiB)", "\(fmt(Double(rss) / 1024, 1)) / \(fmt(Double(hwm) / 1024, 1))")
    report.set("idle", ["seconds": elapsed, "wakeupsPerSecond": Double(total) / elapsed, "cpuSeconds": cpuSeconds,
                        "threads": threads, "rssKiB": rss, "hwmKiB": hwm])
}
