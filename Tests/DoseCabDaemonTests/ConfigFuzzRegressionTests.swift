import Foundation
@testable import DoseCabDaemon
import Testing

/// Fuzz findings F1 and F3 (docs/reliability.md) for the daemon's configuration.
@Suite struct ConfigFuzzRegressionTests {
    /// F1: every class of text that aborts toml++ (TOMLGuardTests lists them) is a one-line
    /// configuration error naming the file and line; run in a child so a regression cannot take
    /// the test run down.
    @Test func abortingTOMLIsAConfigErrorNotACrash() async {
        await #expect(processExitsWith: .success) {
            let cases: [(String, Int)] = [
                ("[\n", 1), ("[=\n", 1), ("[é]\n", 1), ("[[[1]]]\n", 1), ("[daemon]\nsocket = \"/x\"\n[\u{85}\n", 3),
                ("[policy]\nx=1979-05-27T:", 2), ("[policy]\nwindows=[}\n", 2), ("[policy]\nwindows=[\"07:00-08:00\",\u{2028}]\n", 2),
                ("[policy]\nx=1979-05-27 2\n", 2), ("[policy]\n\nx=1" + String(repeating: "_", count: 115) + "979-05-27 2x\n", 3),
            ]
            for (text, line) in cases {
                var config = DaemonConfig()
                do throws(ConfigError) {
                    try config.apply(toml: text, file: "/etc/dosecab/dosecab.toml.d/50-x.toml")
                    fatalError("accepted \(text.debugDescription)")
                } catch {
                    let d = error.description
                    precondition(d.hasPrefix("configuration error in /etc/dosecab/dosecab.toml.d/50-x.toml: TOML syntax error at line \(line), column "), d)
                    precondition(!d.contains("\n"), d)
                    precondition(config == DaemonConfig(), "a refused document changes nothing")
                }
            }
        }
    }

    /// F4: an error that quotes the file (toml++'s "saw '…'", a key holding an escaped newline)
    /// is still one line naming file, position or key, and problem.
    @Test func errorsAreOneLine() {
        for (text, needle) in [("[daemon]\nsocket=t\n", "line 2, column 8"), ("[daemon]\n\"a\\nb\" = 1\n", "daemon.a\\nb"),
                               ("[daemon]\nsocket = \"/a\"\nsocket = \"/b\"\n", "line 3")] {
            var config = DaemonConfig()
            do {
                try config.apply(toml: text, file: "dosecab.toml")
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect(!error.description.contains("\n") && error.description.contains("dosecab.toml")
                        && error.description.contains(needle), "\(error.description)")
            }
        }
    }

    /// F5: `load` read files with `String(contentsOfFile:encoding:)`, which drops a leading
    /// byte-order mark, so a file was not the text `apply` checks: two marks then a key were
    /// refused in memory (the guard, like toml++, skips only one) but accepted from the file.
    @Test func loadReadsTheFileByteForByte() throws {
        let dir = NSTemporaryDirectory() + "dosecab-bom-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/dosecab.toml"
        for text in ["\u{FEFF}\u{FEFF}[daemon]\nsocket = \"/run/x.sock\"\n", "\u{FEFF}\u{FEFF}licy]", "\u{FEFF}[daemon]\nsocket = \"/run/y.sock\"\n"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            var inMemory = DaemonConfig()
            let applied = Result { () throws(ConfigError) in try inMemory.apply(toml: text, file: path) }
            let loaded = Result { () throws(ConfigError) in try DaemonConfig.load(path: path) }
            switch (applied, loaded) {
            case (.success, .success(let config)): #expect(config == inMemory)
            case (.failure(let a), .failure(let l)): #expect(a == l)
            default: Issue.record("\(text.debugDescription): apply \(applied) but load \(loaded)")
            }
        }
    }

    @Test func refusedDocumentChangesNothing() {
        var config = DaemonConfig()
        let before = config
        #expect(throws: ConfigError.self) {
            try config.apply(toml: "[daemon]\nsocket = \"/run/x.sock\"\nzzz = 1\n", file: "drop-in.toml")
        }
        #expect(config == before)
        #expect(config.socketPath == "/run/dosecab/control.sock")
        // A good document still applies.
        #expect(throws: Never.self) { try config.apply(toml: "[daemon]\nsocket = \"/run/y.sock\"\n", file: "ok.toml") }
        #expect(config.socketPath == "/run/y.sock")
    }
}
