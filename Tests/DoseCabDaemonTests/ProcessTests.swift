import Foundation
import Testing

/// Tier 3 (ARCHITECTURE §7): the real `dosecabd --simulate` as a child process, driven only
/// through the real `dosecabctl` over the real control socket.
final class SimDaemon: @unchecked Sendable {
    let dir: String
    let socket: String
    let process = Process()
    /// The daemon's stderr: without journald, `--simulate` mirrors the journal here.
    let stderrPath: String

    static var binDir: String {
        // The test runner lives beside the built products (.build/debug).
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("dosecabd").path) && url.path != "/" {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }

    init(extraArguments: [String] = []) throws {
        dir = NSTemporaryDirectory() + "dosecab-proc-\(UUID().uuidString.prefix(8))"
        socket = dir + "/control.sock"
        stderrPath = NSTemporaryDirectory() + "dosecab-proc-\(UUID().uuidString.prefix(8)).stderr"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.binDir + "/dosecabd")
        process.arguments = ["--simulate", "--state-dir", dir] + extraArguments
        // A file, not a pipe: an unread pipe would fill and stall the journal thread.
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) {
            usleep(50_000)
            guard process.isRunning else { break }
        }
        guard FileManager.default.fileExists(atPath: socket) else {
            throw NSError(domain: "SimDaemon", code: 1, userInfo: [NSLocalizedDescriptionKey: "dosecabd did not create its socket"])
        }
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    /// Journal mirror lines (`--simulate` without journald writes them readably to stderr).
    /// The daemon's journal entries (stderr without journald). The journal thread writes them
    /// after the control answer, so `waitingFor` events are polled for (up to `timeout` s):
    /// reading at once made a loaded machine miss the last one.
    func journalLines(waitingFor events: [String] = [], timeout: Double = 15) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let lines = ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                .filter { $0.contains("DOSECAB_EVENT=") }
            let missing = events.filter { e in !lines.contains { $0.contains("DOSECAB_EVENT=\(e) ") } }
            if missing.isEmpty || Date() > deadline { return lines }
            usleep(50_000)
        }
    }

    struct Result {
        var code: Int32
        var out: String
        var err: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:] }
    }

    /// Runs dosecabctl with `args` (JSON output), optionally as another user via setpriv.
    @discardableResult
    func ctl(_ args: [String], asUID uid: Int? = nil, stdin: String? = nil) -> Result {
        let p = Process()
        var argv = args + ["--socket", socket]
        if args.first != "--help" { argv.append("--json") }
        if let uid {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", Self.binDir + "/dosecabctl"] + argv
        } else {
            p.executableURL = URL(fileURLWithPath: Self.binDir + "/dosecabctl")
            p.arguments = argv
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try? p.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func status() -> [String: Any] { ctl(["status"]).json }

    /// Moves the simulated clock past midnight when fewer than `hours` remain of the clinic day
    /// (UTC under --simulate), so that what a test does lands on one register day whatever the
    /// hour the test runs at.
    func sameClinicDay(forHours hours: Int = 4) {
        guard let now = status()["now"] as? String, let hour = Int(now.dropFirst(11).prefix(2)) else { return }
        if hour >= 24 - hours { ctl(["sim", "advance", "\(24 - hour)h"]) }
    }

    // The demo clinic's people (DemoClinic).
    func nurse() { ctl(["sim", "card", "counter", "1001", "--facility", "10", "--pin", "1234"]) }
    func patient1(pin: String = "1111") { ctl(["sim", "card", "counter", "2001", "--facility", "20", "--pin", pin]) }

    /// Through to an unlocked cabinet for P-0001's 200 mg injectable.
    func unlockForPatient1() {
        nurse()
        patient1()
        ctl(["sim", "keys", "1#"])
    }

    func refusals() -> [String] {
        let records = ctl(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
        return records.filter { $0["event"] as? String == "refusal" }
            .compactMap { ($0["fields"] as? [String: Any])?["reason"] as? String }
    }
}

@Suite(.serialized) struct ProcessTests {
    @Test func fullDispenseAndReturn() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        d.unlockForPatient1()
        var s = d.status()
        #expect(s["lock"] as? String == "energised")
        #expect(s["lock_line"] as? Int == 1)
        d.ctl(["sim", "door", "open"])
        #expect(d.status()["lock_line"] as? Int == 0, "the lock goes safe when the door opens")
        d.ctl(["sim", "scan", "700001"])
        d.ctl(["sim", "door", "close"])
        let out = d.ctl(["outstanding"]).json["units"] as? [[String: Any]] ?? []
        #expect(out.count == 1 && out.first?["unit"] as? String == "700001" && out.first?["patient"] as? String == "P-0001")
        d.ctl(["sim", "return", "700001"])
        #expect((d.ctl(["outstanding"]).json["units"] as? [Any])?.isEmpty == true)
        s = d.status()
        #expect(s["lock"] as? String == "locked" && s["open_release"] is NSNull && s["lockdown"] is NSNull)
        let releases = d.ctl(["releases"]).json["releases"] as? [[String: Any]] ?? []
        #expect(releases.count == 1 && releases.first?["outcome"] as? String == "complete")
        let report = d.ctl(["report", "daily", "--format", "csv"]).json["report"] as? String ?? ""
        #expect(report.contains("700001"))
        let verify = d.ctl(["audit", "verify"])
        #expect(verify.code == 0 && verify.json["intact"] as? Bool == true)
        // Every audit record of the dispense is mirrored to the journal with its fields.
        let lines = d.journalLines(waitingFor: ["release", "issue", "release-completed", "return"])
        for event in ["release", "issue", "release-completed", "return"] {
            let line = lines.first { $0.contains("DOSECAB_EVENT=\(event) ") }
            #expect(line != nil, "no journal entry for \(event)")
            #expect(line?.contains("DOSECAB_PATIENT=P-0001") == true && line?.contains("DOSECAB_AUDIT_SEQ=") == true
                    && line?.contains("MESSAGE_ID=") == true, "\(line ?? "")")
        }
        #expect(lines.contains { $0.contains("DOSECAB_EVENT=return ") && $0.contains("DOSECAB_AMPOULE=700001") })
        #expect(lines.contains { $0.contains("DOSECAB_EVENT=release ") && $0.contains("DOSECAB_DOSE_MG=200") && $0.contains("DOSECAB_WITNESS=S-01") })
        // Never a PIN in the journal: no PIN field, no keyed-in digits.
        #expect(!lines.contains { $0.contains("PIN=") || $0.contains("1111#") || $0.contains("keys 1111") })
    }

    @Test func refusalClasses() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        // Patient first: no staff witness.
        d.patient1()
        // Unknown card.
        d.ctl(["sim", "card", "counter", "4242", "--facility", "99"])
        // Wrong PIN three times: lockout.
        d.nurse()
        for _ in 0..<3 { d.patient1(pin: "0000") }
        var reasons = d.refusals()
        #expect(reasons.contains("no-staff-witness"))
        #expect(reasons.contains("unknown-card"))
        #expect(reasons.filter { $0 == "wrong-pin" }.count == 2)
        #expect(reasons.contains("pin-lockout"))
        // Another patient, witness declines the attestation.
        d.nurse()
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "0#"])
        reasons = d.refusals()
        #expect(reasons.contains { $0.contains("no-intoxication-attestation") })
        #expect(d.status()["lock"] as? String == "locked")
        // Two drugs, no choice: nothing is decided, the counter asks for the dose's key.
        d.ctl(["sim", "card", "counter", "2002", "--facility", "20", "--pin", "2222"])
        let asked = d.ctl(["sim", "keys", "1#"]).json["feedback"] as? [String] ?? []
        #expect(asked.last?.contains("choose the dose: 11# diacetylmorphine inhalable 300 mg") == true, "\(asked)")
        #expect(d.refusals().count == reasons.count && d.status()["lock"] as? String == "locked")
        // Dosed, then again in the same window: too soon, same window, observation.
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "1#"])
        #expect(d.status()["lock"] as? String == "energised")
        d.ctl(["sim", "door", "open"])
        d.ctl(["sim", "scan", "800001"])
        d.ctl(["sim", "scan", "800002"])
        d.ctl(["sim", "door", "close"])
        d.nurse()
        d.ctl(["sim", "card", "counter", "2003", "--facility", "20", "--pin", "3333"])
        d.ctl(["sim", "keys", "1#"])
        let last = d.refusals().last ?? ""
        for r in ["too-soon", "already-dosed-this-window", "session-limit", "observation-not-finished"] {
            #expect(last.contains(r), "missing \(r) in \(last)")
        }
    }

    @Test func unreturnedAmpouleBecomesHoldAndOnlyAClinicianClearsIt() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        d.unlockForPatient1()
        d.ctl(["sim", "door", "open"])
        d.ctl(["sim", "scan", "700002"])
        d.ctl(["sim", "door", "close"])
        #expect((d.ctl(["holds"]).json["holds"] as? [Any])?.isEmpty == true)
        d.ctl(["sim", "advance", "61m"])
        let holds = d.ctl(["holds"]).json["holds"] as? [[String: Any]] ?? []
        #expect(holds.count == 1 && holds.first?["patient"] as? String == "P-0001")
        // A hold blocks the next release.
        d.ctl(["sim", "advance", "2h"])
        d.unlockForPatient1()
        #expect(d.refusals().last?.contains("hold") == true)
        #expect(d.status()["lock"] as? String == "locked")
        // A nurse cannot clear it; a clinician can, with badge + PIN.
        let nurse = d.ctl(["hold", "clear", "P-0001", "--reason", "x", "--staff", "S-01", "--pin", "1234"])
        #expect(nurse.code == 1)
        let wrongPIN = d.ctl(["hold", "clear", "P-0001", "--reason", "x", "--staff", "S-02", "--pin", "9999"])
        #expect(wrongPIN.code == 1)
        let ok = d.ctl(["hold", "clear", "P-0001", "--reason", "broken ampoule found in chute", "--staff", "S-02", "--pin", "2345"])
        #expect(ok.code == 0)
        #expect((d.ctl(["holds"]).json["holds"] as? [Any])?.isEmpty == true)
    }

    @Test func forcedDoorRaisesAlarmAndLockdown() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        d.ctl(["sim", "door", "open"])
        let s = d.status()
        #expect(s["alarm"] as? Bool == true)
        #expect((s["lockdown"] as? String)?.contains("forced-door") == true)
        d.ctl(["sim", "door", "close"])
        d.unlockForPatient1()
        #expect(d.refusals().last?.contains("lockdown") == true)
        #expect(d.status()["lock"] as? String == "locked")
        // Lifting it takes an admin's badge and PIN, not only the Unix group (issue 18.13).
        #expect(d.ctl(["lockdown", "off", "--reason", "door inspected, no loss"]).code != 0)
        #expect(d.ctl(["lockdown", "off", "--reason", "door inspected, no loss", "--staff", "S-01", "--pin", "1234"]).code == 1)
        #expect((d.status()["lockdown"] as? String)?.contains("forced-door") == true)
        let off = d.ctl(["lockdown", "off", "--reason", "door inspected, no loss", "--staff", "S-04", "--pin", "-"], stdin: "4567\n")
        #expect(off.code == 0, "\(off.err)")
        #expect(d.status()["lockdown"] is NSNull)
    }

    @Test func nonAdminCallerIsRefusedAndGarbageIsHarmless() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        // uid 65534 (nobody) with no groups: refused with exit 77, for admin and read verbs.
        let admin = d.ctl(["lockdown", "on", "--reason", "test"], asUID: 65534)
        #expect(admin.code == 77, "got \(admin.code): \(admin.err)")
        #expect(d.status()["lockdown"] is NSNull)
        // Garbage on the socket: the daemon answers the next client as before.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in d.socket.utf8.enumerated() where i < buf.count - 1 { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(rc == 0)
        let garbage: [UInt8] = Array("{\"method\": 42}\0not json\0".utf8) + [0xff, 0xfe, 0]
        _ = garbage.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &reply, reply.count)
        #expect(n > 0 && String(decoding: reply.prefix(max(0, n)), as: UTF8.self).contains("error"))
        close(fd)
        // Unknown method and an unreachable socket map to their exit codes.
        #expect(d.status()["lock"] as? String == "locked")
        let gone = SimDaemon.Result(code: 0, out: "", err: "")
        _ = gone
        let p = Process()
        p.executableURL = URL(fileURLWithPath: SimDaemon.binDir + "/dosecabctl")
        p.arguments = ["status", "--socket", d.dir + "/nothing.sock"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 69)
        let usage = d.ctl(["lockdown", "sideways", "--reason", "x"])
        #expect(usage.code == 64)
    }
}
