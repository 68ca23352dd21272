import DoseCabHardware
import Testing

/// Fuzz finding F1 (docs/reliability.md): table headers that made toml++ abort the process.
@Suite struct PinMapFuzzRegressionTests {
    static let hazards = ["[\n", "[=\n", "[.\n", "[é]\n", "[ é]\n", "[[=\n", "[[[1]]]\n", "\u{FEFF}[=\n", "chip = \"x\"\n[\u{85}]\n"]

    @Test(arguments: hazards) func malformedHeaderIsAnErrorNotACrash(_ text: String) {
        #expect(throws: PinMapError.self) { try PinMap.parse(text) }
        #expect(TOMLGuard.hazardousHeaderLine(in: text) != nil)
    }

    @Test func wellFormedHeadersPass() {
        for ok in ["[lines.lock]\n", "[ lines ]\n", "[\"quoted\"]\n", "[[array]]\n", "x = [\n  1,\n]\n"] {
            #expect(TOMLGuard.hazardousHeaderLine(in: ok) == nil, "\(ok)")
        }
        #expect(TOMLGuard.hazardousHeaderLine(in: "a = 1\nb = 2\n[=\n") == 3)
    }
}
