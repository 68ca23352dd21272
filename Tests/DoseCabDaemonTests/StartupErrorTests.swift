import Foundation
import Testing

/// Bad configuration, a malformed pin map or a missing line: one clear line on stderr, a
/// non-zero exit, and the daemon does not start (I6; issue 3 and 6). A file the administrator
/// must fix exits 78 (EX_CONFIG), which the unit's RestartPreventExitStatus= does not restart
/// into; a machine fault (a missing line) exits 1 and is restarted (issue 21.4).
@Suite struct StartupErrorTests {
    struct Run { var code: Int32; var err: String }

    func dosecabd(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: SimDaemon.binDir + "/dosecabd")
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(code: p.terminationStatus, err: String(decoding: data, as: UTF8.self))
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "dosecab-start-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func config(_ dir: String, pinmap: String, extra: String = "") throws -> String {
        let path = dir + "/dosecab.toml"
        try """
        [daemon]
        state-directory = "\(dir)/state"
        socket = "\(dir)/control.sock"
        pinmap = "\(pinmap)"
        prescribers-directory = "\(dir)/prescribers"
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func oneLine(_ r: Run) -> Bool { r.err.split(separator: "\n").count == 1 }

    @Test func unknownKeyAndBadValueAndBadDropIn() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "ceiling = 5")])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("daemon.ceiling") && r.err.contains("unknown key"), "\(r.err)")
        r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "[policy]\nobservation-minutes = -3")])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("policy.observation-minutes"), "\(r.err)")
        // A drop-in that breaks a rule: overlapping windows.
        let path = try config(dir, pinmap: "/nonexistent")
        try FileManager.default.createDirectory(atPath: path + ".d", withIntermediateDirectories: true)
        try "[policy]\nwindows = [\"07:00-10:00\", \"09:00-11:00\"]\n".write(toFile: path + ".d/50-windows.toml", atomically: true, encoding: .utf8)
        r = try dosecabd(["--config", path])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("overlap"), "\(r.err)")
        // Inputs on which TOMLKit's parser aborts (fuzz finding F1): a syntax error naming the
        // file and line, refused by the guard (so the sandboxed child does not crash either).
        for crash in ["[policy]\nwindows=[}\n", "[daemon]\nx=1979-05-27T:\n", "x=1979-05-27 2\n", "[\n"] {
            let bad = dir + "/crash.toml"
            try crash.write(toFile: bad, atomically: true, encoding: .utf8)
            r = try dosecabd(["--config", bad])
            #expect(r.code == 78 && oneLine(r) && r.err.contains("\(bad): TOML syntax error at line "), "\(r.err)")
        }
        // A clinic time zone the tz database does not know (issue 19.1).
        r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "time-zone = \"Europe/Amsterdm\"")])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("daemon.time-zone") && r.err.contains("unknown time zone 'Europe/Amsterdm'"), "\(r.err)")
        r = try dosecabd(["--config", dir + "/missing.toml"])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("cannot read"), "\(r.err)")
    }

    /// A configuration naming the service's own group (or the gpio group) as a role group stops
    /// the daemon before it opens anything: exit 78 and one line naming the group (issue 18.1).
    @Test func aRoleGroupNoPersonMayBeInIsRefused() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "read-group = \"dosecabd\"")])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("'dosecabd'") && r.err.contains("dosecab or dosecab-admin"), "\(r.err)")
        r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "admin-group = \"dosecab-gpio\"")])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("'dosecab-gpio'"), "\(r.err)")
        // The new read group itself is fine: the start goes on to the (missing) pin map.
        r = try dosecabd(["--config", try config(dir, pinmap: "/nonexistent", extra: "read-group = \"dosecab\"")])
        #expect(!r.err.contains("role group") && r.err.contains("/nonexistent"), "\(r.err)")
    }

    @Test func malformedPinMapAndMissingChip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = dir + "/pinmap.toml"
        try "chip = \"gpiochip0\"\n[lines.lock]\nline = \"lock\"\n[lines.kettle]\nline = \"k\"\n".write(toFile: bad, atomically: true, encoding: .utf8)
        var r = try dosecabd(["--config", try config(dir, pinmap: bad)])
        #expect(r.code == 78 && oneLine(r) && r.err.contains("kettle"), "\(r.err)")
        // The shipped pin map is valid, but this machine has no chip with those lines.
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hardware/pinmap.toml").path
        let copy = dir + "/shipped.toml"
        try String(contentsOfFile: shipped, encoding: .utf8).replacingOccurrences(of: "chip = \"gpiochip0\"", with: "chip = \"/dev/nonexistent-gpiochip\"")
            .write(toFile: copy, atomically: true, encoding: .utf8)
        r = try dosecabd(["--config", try config(dir, pinmap: copy)])
        #expect(r.code == 1 && oneLine(r) && r.err.contains("nonexistent-gpiochip"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/control.sock"), "the daemon must not have started")
    }
}
