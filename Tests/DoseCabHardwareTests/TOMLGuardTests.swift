import DoseCabHardware
import Foundation
import Testing
import TOMLKit

/// Fuzz finding F1 (docs/reliability.md): toml++ 3.4.0 inside TOMLKit 0.6.0 aborts the process
/// on some malformed text. Every class of such text that reading the parser found, with the
/// inputs the fuzzers found; `TOMLGuard` must refuse each before the parser sees it.
@Suite struct TOMLGuardTests {
    /// Class → texts that abort the bare parser (the assertion of each class is in TOMLGuard.swift).
    static let hazards: [String: [String]] = [
        // toml.hpp 15481 parse_key: a table name that starts with neither a bare-key character nor a quote.
        "header": ["[\n", "[=\n", "[.\n", "[é]\n", "[ é]\n", "[[=\n", "[[[1]]]\n", "\u{FEFF}[=\n", "chip = \"x\"\n[\u{85}]\n",
                   "[\u{0301}]\n", "[\u{064D}]\n", "  [\t=]\n", "[[ \n", "[#]\n", "[{]\n", "a = 1\r\n[\r\n"],
        // 14790 parse_time: a date, T, then no digit.
        "date-time": ["x=1979-05-27T:", "chip = 1979-05-27T:", "x=1979-05-27tx:1\n", "[a]\nx = [1979-05-27T:00]\n"],
        // 14994 parse_value: an array element that starts with a value terminator the array loop does not skip.
        "array": ["windows=[}", "p=[1,}]", "p=[ \n # c\n }]", "p=[\u{2028}]", "p=[\u{85}]", "p=[\u{2029}1]", "p={a=[}]}"],
        // 15080 parse_value's scan: ten "date" characters, a space, one digit, a value terminator.
        "date-space": ["p=1979-05-27 2\n", "x=[1979-05-27 2]", "x=1a3a-5a-7a 2,", "x={a=1979-05-27 0}"],
        // 13017 step_back: the same with more than 114 underscores (the parser's history holds 127 characters).
        "long-date": ["x=1" + String(repeating: "_", count: 115) + "979-05-27 2x\n",
                      "x=1" + String(repeating: "_", count: 116) + "979-05-27 2",
                      "x=1" + String(repeating: "_", count: 117) + "979-05-27 x"],
    ]

    static var allHazards: [String] { hazards.values.flatMap { $0 } }

    /// The guard refuses every one, in-process and without touching the parser.
    @Test(arguments: allHazards) func guardRefusesEveryAbortingText(_ text: String) {
        #expect(TOMLGuard.check(text) != nil, "\(text.debugDescription)")
    }

    /// Each class really aborts the bare parser (so the table is not guesswork); when a TOMLKit
    /// release fixes one, this fails and the class can leave the guard's documentation.
    @Test(arguments: ["header", "date-time", "array", "date-space", "long-date"])
    func eachClassAbortsTheBareParser(_ name: String) async {
        let first: String = Self.hazards[name]![0]
        await #expect(processExitsWith: .signal(SIGABRT)) { [first = first as String] in
            _ = try? TOMLTable(string: first)
        }
    }

    /// Through the real entry points, every hazard is a one-line syntax error naming its line,
    /// never an abort (an exit test, so a regression fails this test instead of the whole run).
    @Test func pinMapParseRefusesEveryHazardWithoutAborting() async {
        let texts: [String] = Self.allHazards
        await #expect(processExitsWith: .success) { [texts = texts as [String]] in
            for text in texts {
                do throws(PinMapError) {
                    _ = try PinMap.parse(text)
                    fatalError("accepted \(text.debugDescription)")
                } catch {
                    guard case .syntax = error else { fatalError("not a syntax error: \(error)") }
                    precondition(!error.description.contains("\n"), error.description)
                }
            }
        }
    }

    @Test func problemNamesLineAndColumn() {
        let p = TOMLGuard.check("a = 1\nb = 2\n  [=\n")
        #expect(p?.line == 3 && p?.column == 4, "\(String(describing: p))")
        #expect(TOMLGuard.check("a = \"x\"\nb = 1979-05-27T:\n")?.line == 2)
        let e = try? #require(throws: PinMapError.self) { try PinMap.parse("chip = \"x\"\n[lines.lock\n") }
        #expect(e?.description.hasPrefix("pin map: TOML syntax error at line 2, column 12: expected ']'") == true, "\(String(describing: e))")
    }

    /// A NUL would silently end the text for toml++ (TOMLKit passes a C string).
    @Test func nulIsRefused() {
        #expect(TOMLGuard.check("chip = \"x\"\n\0garbage")?.message.contains("NUL") == true)
    }

    /// Valid TOML 1.0 of every kind passes the guard and parses: the guard is not stricter than
    /// the language where our files could use it.
    static let valid: [String] = [
        "", "\n", "# only a comment", "\u{FEFF}a = 1\n", "a = 1\r\nb = 2\r\n", "a=1 # comment\n",
        "[t]\n[t.u]\n[\"q k\".'l k']\n[ spaced . key ]\n[[arr]]\n[[arr]]\n",
        "a.b.c = 1\n\"x\".y = 2\n'lit' = 3\n\"\" = 4\n",
        "s1 = \"esc \\\" \\\\ \\b \\f \\n \\r \\t \\u00E9 \\U0001F600\"\n",
        "s2 = 'C:\\path\\no escapes'\n",
        "s3 = \"\"\"\nmulti\nline \\\n    joined\n\"\"\"\n",
        "s4 = \"\"\"one \"quote\", two \"\"quotes\"\" \"\"\"\"\"\n",
        "s5 = '''\nliteral 'quote' and ''two'' '''''\n",
        "s6 = \"\"\n", "s7 = ''\n", "s8 = \"\"\"\"\"\"\n",
        "i = [0, +1, -17, 1_000, 0xDEAD_beef, 0o755, 0b1101, 9223372036854775807]\n",
        "f = [0.0, -1.5, +3.14, 1e5, 1E-5, 6.626e-34, 1_000.000_1, inf, -inf, +nan, nan]\n",
        "b = [true, false]\n",
        "d = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00-07:00, 1979-05-27T00:32:00.999999+01:00, 1979-05-27 07:32:00, 1979-05-27t07:32:00z, 1979-05-27, 07:32:00, 00:32:00.999999]\n",
        "d2 = 1979-05-27 07:32:00.5\n",
        "a = [\n  1, # one\n  2,\n]\n", "n = [[1, 2], [\"a\", 'b'], [], [ [ 3 ] ]]\n",
        "t = {}\nu = { a = 1, b.c = \"x\", d = { e = [1, {f = 2}] } }\n",
        "chip = \"sim\"\n[lines.lock]\nline = \"lock\"\nactive-low = false\ndebounce-ms = 0\n",
    ]

    @Test(arguments: valid) func validTOMLPassesAndParses(_ text: String) throws {
        #expect(TOMLGuard.check(text) == nil, "\(text.debugDescription): \(String(describing: TOMLGuard.check(text)))")
        _ = try TOMLTable(string: text)
    }

    @Test func shippedFilesPass() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for file in ["hardware/pinmap.toml", "docs/examples/dosecab.toml"] {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            #expect(TOMLGuard.check(text) == nil, "\(file): \(String(describing: TOMLGuard.check(text)))")
        }
    }

    /// Random short texts over TOML's significant characters: whatever the guard lets through,
    /// the parser survives (in a child process, so a failure cannot take the run down).
    @Test func whatTheGuardAcceptsNeverAbortsTheParser() async {
        await #expect(processExitsWith: .success) {
            let alphabet = Array("[]{}=.,#\"'\\ \t\n\r_-+:Tt0123456789aexzé\u{2028}\u{85}".unicodeScalars)
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<20_000 {
                var s = String.UnicodeScalarView()
                for _ in 0..<Int.random(in: 1...24, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
                let text = String(s)
                if TOMLGuard.check(text) == nil { _ = try? TOMLTable(string: text) }
            }
        }
    }

    /// F4: a message that quotes the input stays one line.
    @Test func errorsAreOneLine() {
        for text in ["c=t\n", "\"a\\nb\" = 1\n", "[lines.\"x\\ny\"]\n", "a = 1\na = 2\n"] {
            do {
                _ = try PinMap.parse(text)
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\r"), "\(error.description.debugDescription)")
            }
        }
        #expect(TOMLGuard.oneLine("a\nb\r\u{1}\u{2028}") == "a\\nb\\r\\u{1}\\u{2028}")
    }

    /// F4: `load` names the file, the line and the problem.
    @Test func loadNamesTheFile() throws {
        let path = NSTemporaryDirectory() + "pinmap-\(UUID().uuidString.prefix(8)).toml"
        try "chip = \"x\"\nc=t\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let e = try? #require(throws: PinMapError.self) { try PinMap.load(path: path) }
        let text = e?.description ?? ""
        #expect(text.hasPrefix("pin map \(path): TOML syntax error at line 2, column 3: ") && !text.contains("\n"), "\(text)")
    }
}
