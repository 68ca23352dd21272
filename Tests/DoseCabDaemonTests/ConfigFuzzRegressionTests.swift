@testable import DoseCabDaemon
import Testing

/// Fuzz findings F1 and F3 (docs/reliability.md) for the daemon's configuration.
@Suite struct ConfigFuzzRegressionTests {
    @Test func malformedHeaderIsAConfigErrorNotACrash() {
        for text in ["[\n", "[=\n", "[é]\n", "[[[1]]]\n", "[daemon]\nsocket = \"/x\"\n[\u{85}\n"] {
            var config = DaemonConfig()
            #expect(throws: ConfigError.self) { try config.apply(toml: text, file: "f.toml") }
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
