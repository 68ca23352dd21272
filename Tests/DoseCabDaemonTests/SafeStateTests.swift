@testable import DoseCabDaemon
import DoseCabSystemd
import Foundation
import Testing

/// Issue 18.13: `dosecabd --safe-state` (systemd's ExecStopPost) makes the lock safe whatever
/// happened, so a configuration that does not parse must not stop it; but it must say so, and it
/// must still find the pin map the configuration names. (No GPIO chip here: requesting the lines
/// fails, so what is checked is which pin map it tried and what it said.)
extension StartupErrorTests {
    @Test func safeStateWithABrokenConfigSaysSoAndStillUsesThePinMapItNames() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let custom = dir + "/site-pinmap.toml"
        let path = try config(dir, pinmap: custom, extra: "no-such-key = 1")
        let run = try dosecabd(["--safe-state", "--config", path])
        #expect(run.code != 0)
        #expect(run.err.contains(path), "names the configuration that does not parse: \(run.err)")
        #expect(run.err.contains("no-such-key"), "says what is wrong with it: \(run.err)")
        #expect(run.err.contains(custom), "still tries the pin map the configuration names: \(run.err)")
    }

    @Test func safeStateUsesANonDefaultPinMapTheConfigNames() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let custom = dir + "/site-pinmap.toml"
        let path = try config(dir, pinmap: custom)
        let run = try dosecabd(["--safe-state", "--config", path])
        #expect(run.code != 0, "no pin map there, no GPIO here")
        #expect(run.err.contains(custom), "\(run.err)")
        #expect(!run.err.contains("/etc/dosecab/pinmap.toml"), "\(run.err)")
    }

    @Test func safeStateFindsThePinMapOfABrokenConfigAndItsDropInsAndSaysSoInItsEntry() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try config(dir, pinmap: dir + "/first.toml", extra: "[policy]\nwindows = [")
        try FileManager.default.createDirectory(atPath: path + ".d", withIntermediateDirectories: true)
        try "[daemon]\npinmap = '\(dir)/second.toml'\n".write(toFile: path + ".d/10-site.toml", atomically: true, encoding: .utf8)
        let (pinMap, problem) = Daemon.safeStatePinMap(configPath: path)
        #expect(pinMap == dir + "/second.toml", "the last drop-in wins, as in DaemonConfig.load")
        #expect(problem != nil)
        let other = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let good = try config(other, pinmap: other + "/good.toml")
        let parsed = Daemon.safeStatePinMap(configPath: good)
        #expect(parsed.path == other + "/good.toml" && parsed.configProblem == nil)
        // Scenario 35 asserts the ordinary entry: PRIORITY 5, DOSECAB_REASON outputs-safe.
        let ok = Daemon.safeStateEntry("x", outcome: .safe)
        #expect(ok[.priority] == "5" && ok[.reason] == "outputs-safe")
        let broken = Daemon.safeStateEntry("x", outcome: .configBroken)
        #expect(broken[.priority] == "3" && broken[.reason] == "outputs-safe-config-broken")
    }
}
