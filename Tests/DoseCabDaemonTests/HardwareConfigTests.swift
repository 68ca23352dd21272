import DoseCabCore
@testable import DoseCabDaemon
import Testing

/// `[hardware] counter-card-formats` (docs/configuration.md): the default, a site's list, and
/// bad lists refused whole.
@Suite struct HardwareConfigTests {
    @Test func theCounterTakesTheListedFormats() throws {
        #expect(DaemonConfig().counterCardFormats == [.h10301, .h10306, .c1000, .h10304])
        var c = DaemonConfig()
        try c.apply(toml: "[hardware]\ncounter-card-formats = [\"c1000\", \"h10301\", \"c1000\"]", file: "t.toml")
        #expect(c.counterCardFormats == [.c1000, .h10301])
        try c.apply(toml: "[hardware]\ncounter-card-formats = [\"h10302\"]", file: "t.toml")
        #expect(c.counterCardFormats == [.h10302])
    }

    @Test func badListsAreErrorsAndChangeNothing() {
        for toml in ["counter-card-formats = []", "counter-card-formats = [\"h10399\"]", "counter-card-formats = \"h10301\"",
                     "counter-card-formats = [\"h10302\", \"h10304\"]", "counter-card-formats = [26]"] {
            var c = DaemonConfig()
            do {
                try c.apply(toml: "[hardware]\n" + toml, file: "t.toml")
                Issue.record("accepted: \(toml)")
            } catch {
                #expect(error.key == "hardware.counter-card-formats", "\(toml)")
                #expect(!error.description.contains("\n"), "one line: \(error)")
            }
            #expect(c == DaemonConfig(), "\(toml)")
        }
    }
}
