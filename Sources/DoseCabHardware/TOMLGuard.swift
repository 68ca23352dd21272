/// The syntax check every TOML text passes before it reaches TOMLKit's parser.
///
/// toml++ 3.4.0 (inside TOMLKit 0.6.0, the only TOML package that resolves here) checks some of
/// its internal preconditions with `assert`, and SwiftPM keeps C++ asserts in release builds:
/// some malformed texts abort the whole process (fuzz finding F1, docs/reliability.md). A bad
/// configuration file must be a clear error, never a crash loop with the cabinet locked.
///
/// Reading the parser (toml.hpp of TOMLKit 0.6.0, TOML 1.0, unreleased features off, built with
/// `TOML_EXCEPTIONS=1`) gives every assertion that malformed text can reach; each needs text
/// that is not valid TOML:
///
/// | class | text | assertion (toml.hpp line) |
/// |---|---|---|
/// | header | a table header whose first key starts with neither a bare-key character nor a quote: `[`␤, `[=`, `[é]`, `[ [x]]`… | 15481 `parse_key` |
/// | date-time | a date and `T`/`t` followed by a non-digit: `1979-05-27T:` | 14790 `parse_time` |
/// | array | an array element starting with `}` or U+0085, U+2028, U+2029: `[}`, `[1,}` | 14994 `parse_value` |
/// | date-space | ten "date" characters, a space, one digit, then a value terminator: `1979-05-27 2`␤ | 15080 `parse_value` (scan) |
/// | long date | the same with more than 114 underscores in the "date": the parser steps back further than its 127-character history | 13017 `step_back` |
///
/// Every other assertion in the parser is implied by the check just before its call (read
/// site by site; the list is in docs/reliability.md). So instead of matching these patterns,
/// this is a recognizer of TOML 1.0 *syntax* that follows the parser's own steps: strings with
/// their escapes and closing runs, comments, line breaks, table headers, keys, arrays, inline
/// tables, and for every unquoted value the exact grammar of TOML's booleans, numbers, dates
/// and times. The parser only ever sees text this recognizer accepted, and none of the classes
/// above is valid TOML. What it does not check (duplicate keys, a month 13, an integer too big)
/// the parser reports as an ordinary error. It also refuses what toml++ would silently cut
/// short (a NUL character: TOMLKit hands the text over as a C string).
public enum TOMLGuard {
    /// Where the text stops being TOML, and why (one line).
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The first syntax problem in `text`, or nil when TOMLKit's parser may be given it.
    public static func check(_ text: String) -> Problem? {
        var recognizer = Recognizer(Array(text.unicodeScalars))
        do {
            try recognizer.document()
            return nil
        } catch {
            return error
        }
    }

    /// `text` with every control character and line break escaped, so a message quoting input
    /// stays one line (finding F4: toml++ quotes the character it stopped at, newline included).
    public static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                    || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// Follows toml++'s `parser` step by step; refuses at the first thing that is not TOML 1.0.
private struct Recognizer {
    typealias Problem = TOMLGuard.Problem
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var lineStart = 0
    /// Deeper nesting is refused (toml++ allows 256; our files need 2).
    static let maxDepth = 32
    /// A longer unquoted value is refused (toml++ cannot type one over 126 characters either).
    static let maxBareValue = 100

    init(_ scalars: [Unicode.Scalar]) {
        s = scalars
        // toml++ skips a UTF-8 byte-order mark at the very start, and only there.
        if s.first == "\u{FEFF}" {
            i = 1
            lineStart = 1
        }
    }

    var cur: Unicode.Scalar? { i < s.count ? s[i] : nil }

    func peek(_ k: Int) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    mutating func advance() {
        if s[i] == "\n" {
            line += 1
            lineStart = i + 1
        }
        i += 1
    }

    func fail(_ message: String) -> Problem {
        Problem(line: line, column: i - lineStart + 1, message: message)
    }

    /// What the recognizer saw, for a message: `'x'`, or `U+000A` for the invisible.
    func saw() -> String {
        guard let c = cur else { return "the end of the file" }
        return Self.show(c)
    }

    static func show(_ c: Unicode.Scalar) -> String {
        let hex = "U+" + String(repeating: "0", count: max(0, 4 - String(c.value, radix: 16).count))
            + String(c.value, radix: 16, uppercase: true)
        if c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value) || isWhitespace(c) { return hex }
        if c.isASCII { return "'\(Character(c))'" }
        return "'\(Character(c))' (\(hex))"
    }

    // MARK: character classes, as toml++ defines them

    static func isBareKey(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    static func isQuote(_ c: Unicode.Scalar) -> Bool { c == "\"" || c == "'" }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    static func isHex(_ c: Unicode.Scalar) -> Bool { isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }

    static func isHorizontalWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x180E, 0x2000...0x200B, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF: true
        default: false
        }
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        isHorizontalWhitespace(c) || (0x0A...0x0D).contains(c.value) || c.value == 0x85 || c.value == 0x2028 || c.value == 0x2029
    }

    static func isValueTerminator(_ c: Unicode.Scalar) -> Bool {
        isWhitespace(c) || c == "]" || c == "}" || c == "," || c == "#"
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool { c.value <= 0x1F || c.value == 0x7F }

    static func isNonTabControl(_ c: Unicode.Scalar) -> Bool { isControl(c) && c != "\t" }

    // MARK: layout

    mutating func skipSpaces() -> Bool {
        var any = false
        while let c = cur, c == " " || c == "\t" {
            advance()
            any = true
        }
        return any
    }

    /// At `\n` or `\r`: a line break (`\r` only as part of `\r\n`).
    mutating func lineBreak() throws(Problem) {
        if cur == "\r" {
            guard peek(1) == "\n" else { throw fail("a carriage return must be followed by a line feed") }
            advance()
        }
        advance()
    }

    /// At `#`: the comment and its line break.
    mutating func comment() throws(Problem) {
        advance()
        while let c = cur {
            if c == "\n" || c == "\r" { return try lineBreak() }
            if Self.isNonTabControl(c) { throw fail("control character \(saw()) in a comment") }
            advance()
        }
    }

    /// After a header or key = value: blanks, then a comment, a line break or the end.
    mutating func endOfLine(after what: String) throws(Problem) {
        _ = skipSpaces()
        guard let c = cur else { return }
        if c == "#" { return try comment() }
        if c == "\n" || c == "\r" { return try lineBreak() }
        throw fail("expected the end of the line after \(what), saw \(saw())")
    }

    // MARK: structure

    mutating func document() throws(Problem) {
        if let nul = s.firstIndex(of: "\0") {
            while i < nul { advance() }
            throw fail("NUL character (U+0000) in the file")
        }
        while let c = cur {
            switch c {
            case " ", "\t", "\n": advance()
            case "\r": try lineBreak()
            case "#": try comment()
            case "[":
                try header()
                try endOfLine(after: "the table header")
            default:
                guard Self.isBareKey(c) || Self.isQuote(c) else {
                    throw fail("expected a key, a [table] header or a comment, saw \(saw())")
                }
                try keyValue(depth: 0)
                try endOfLine(after: "the value")
            }
        }
    }

    /// At `[` at the start of a line: `[key]` or `[[key]]`.
    mutating func header() throws(Problem) {
        advance()
        let spaced = skipSpaces()
        var isArray = false
        if cur == "[" {
            guard !spaced else { throw fail("the brackets of [[array of tables]] must touch") }
            isArray = true
            advance()
            _ = skipSpaces()
        }
        guard let c = cur, c != "]" else { throw fail("a table header needs a name, saw \(saw())") }
        guard Self.isBareKey(c) || Self.isQuote(c) else {
            throw fail("a table name must start with a letter, digit, '_', '-' or a quote, saw \(saw())")
        }
        try key()
        _ = skipSpaces()
        guard cur == "]" else { throw fail("expected ']' to close the table header, saw \(saw())") }
        advance()
        if isArray {
            guard cur == "]" else { throw fail("expected ']]' to close the [[array of tables]] header, saw \(saw())") }
            advance()
        }
    }

    /// A bare, quoted or dotted key.
    mutating func key() throws(Problem) {
        while true {
            guard let c = cur else { throw fail("expected a key, saw the end of the file") }
            if Self.isBareKey(c) {
                while let d = cur, Self.isBareKey(d) { advance() }
            } else if Self.isQuote(c) {
                if try string() { throw fail("a key cannot be a multi-line string") }
            } else {
                throw fail("expected a key, saw \(saw())")
            }
            _ = skipSpaces()
            guard cur == "." else { return }
            advance()
            _ = skipSpaces()
        }
    }

    mutating func keyValue(depth: Int) throws(Problem) {
        try key()
        _ = skipSpaces()
        guard cur == "=" else { throw fail("expected '=' after the key, saw \(saw())") }
        advance()
        _ = skipSpaces()
        guard let c = cur, !Self.isValueTerminator(c) else { throw fail("expected a value after '=', saw \(saw())") }
        try value(depth: depth)
    }

    mutating func value(depth: Int) throws(Problem) {
        guard depth < Self.maxDepth else { throw fail("values nested deeper than \(Self.maxDepth)") }
        guard let c = cur else { throw fail("expected a value, saw the end of the file") }
        if Self.isControl(c) || c == "_" { throw fail("expected a value, saw \(saw())") }
        switch c {
        case "[": try array(depth: depth + 1)
        case "{": try inlineTable(depth: depth + 1)
        case "\"", "'": _ = try string()
        default: try bareValue()
        }
    }

    mutating func array(depth: Int) throws(Problem) {
        advance()
        var afterValue = false
        while true {
            while let c = cur {
                if c == " " || c == "\t" || c == "\n" {
                    advance()
                } else if c == "\r" {
                    try lineBreak()
                } else if c == "#" {
                    try comment()
                } else {
                    break
                }
            }
            guard let c = cur else { throw fail("the array is not closed with ']'") }
            if c == "," {
                guard afterValue else { throw fail("unexpected ',' in the array") }
                afterValue = false
                advance()
                continue
            }
            if c == "]" {
                advance()
                return
            }
            if afterValue { throw fail("expected ',' or ']' after an array value, saw \(saw())") }
            if Self.isValueTerminator(c) { throw fail("expected an array value, saw \(saw())") }
            try value(depth: depth)
            afterValue = true
        }
    }

    /// TOML 1.0 inline tables: one line, no trailing comma.
    mutating func inlineTable(depth: Int) throws(Problem) {
        advance()
        var afterPair = false
        var afterComma = false
        while true {
            _ = skipSpaces()
            guard let c = cur else { throw fail("the inline table is not closed with '}'") }
            if c == "," {
                guard afterPair else { throw fail("unexpected ',' in the inline table") }
                afterPair = false
                afterComma = true
                advance()
            } else if c == "}" {
                guard !afterComma else { throw fail("a trailing ',' is not allowed in an inline table") }
                advance()
                return
            } else if Self.isBareKey(c) || Self.isQuote(c) {
                guard !afterPair else { throw fail("expected ',' or '}' in the inline table, saw \(saw())") }
                try keyValue(depth: depth)
                afterPair = true
                afterComma = false
            } else {
                throw fail("expected a key or '}' in the inline table, saw \(saw())")
            }
        }
    }

    // MARK: strings

    /// At a quote: a basic or literal string, single or multi-line. Returns whether multi-line.
    mutating func string() throws(Problem) -> Bool {
        let quote = s[i]
        let start = (i, line, lineStart)
        advance()
        guard let second = cur else { throw fail("the string is not closed") }
        advance()
        guard let third = cur else {
            if second == quote { return false }  // "" at the end of the file
            throw fail("the string is not closed")
        }
        if second == quote && third == quote {
            advance()
            guard let c = cur else { throw fail("the string is not closed") }
            if c == "\n" || c == "\r" { try lineBreak() }
            guard cur != nil else { throw fail("the string is not closed") }
            try body(quote, multiLine: true)
            return true
        }
        (i, line, lineStart) = start
        advance()
        try body(quote, multiLine: false)
        return false
    }

    mutating func body(_ quote: Unicode.Scalar, multiLine: Bool) throws(Problem) {
        let basic = quote == "\""
        while let c = cur {
            if basic && c == "\\" {
                advance()
                try escape(multiLine: multiLine)
                continue
            }
            if c == quote {
                guard multiLine else {
                    advance()
                    return
                }
                // toml++ reads a run of at most five quotes: three of them end the string.
                var run = 0
                while run < 5, cur == quote {
                    advance()
                    run += 1
                }
                if run >= 3 { return }
                continue
            }
            if multiLine && (c == "\n" || c == "\r") {
                try lineBreak()
                continue
            }
            if Self.isNonTabControl(c) { throw fail("control character \(saw()) in a string; write it as an escape") }
            advance()
        }
        throw fail("the string is not closed")
    }

    /// After a backslash in a basic string.
    mutating func escape(multiLine: Bool) throws(Problem) {
        guard let e = cur else { throw fail("the string is not closed") }
        if multiLine && Self.isWhitespace(e) {
            // A line-ending backslash: blanks, then the line break.
            _ = skipSpaces()
            guard cur == "\n" || cur == "\r" else {
                throw fail("a line-ending backslash must be the last thing on its line, saw \(saw())")
            }
            try lineBreak()
            return
        }
        switch e {
        case "b", "f", "n", "r", "t", "\"", "\\":
            advance()
        case "u", "U":
            advance()
            var value: UInt32 = 0
            for _ in 0..<(e == "u" ? 4 : 8) {
                guard let h = cur, Self.isHex(h) else { throw fail("expected a hex digit in \\\(e), saw \(saw())") }
                value = value &* 16 &+ UInt32(String(Character(h)), radix: 16)!
                advance()
            }
            if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF {
                throw fail("\\\(e) escape names no Unicode scalar")
            }
        default:
            throw fail("unknown escape sequence \\\(Self.show(e))")
        }
    }

    // MARK: unquoted values

    /// Booleans, numbers, dates and times: the run up to the next value terminator must be
    /// exactly one of TOML's forms (so none of the malformed dates and times of the table above).
    mutating func bareValue() throws(Problem) {
        let start = i
        let startLine = (line, lineStart)
        while let c = cur, !Self.isValueTerminator(c) { advance() }
        var token = Array(s[start..<i])
        if token.count <= Self.maxBareValue, Grammar.isLocalDate(token[...]), cur == " ", let d = peek(1), Self.isDigit(d) {
            // A date and a time separated by a space (toml++ looks across the space, too).
            advance()
            while let c = cur, !Self.isValueTerminator(c) { advance() }
            token = Array(s[start..<i])
            if token.count <= Self.maxBareValue && Grammar.isDateTime(token[...], separator: " ") { return }
        } else if token.count <= Self.maxBareValue && Grammar.isScalar(token[...]) {
            return
        }
        (line, lineStart) = startLine
        i = start
        let text = String(String.UnicodeScalarView(token.prefix(40)))
        if token.count > Self.maxBareValue {
            throw fail("value longer than \(Self.maxBareValue) characters")
        }
        throw fail("'\(TOMLGuard.oneLine(text))' is not a TOML value (text needs quotes)")
    }
}

/// TOML 1.0's unquoted values, exactly (ABNF of toml.io/en/v1.0.0).
private enum Grammar {
    typealias Text = ArraySlice<Unicode.Scalar>

    static func isScalar(_ t: Text) -> Bool {
        if t.elementsEqual("true".unicodeScalars) || t.elementsEqual("false".unicodeScalars) { return true }
        return isInfNaN(t) || isInteger(t) || isFloat(t) || isLocalDate(t) || isLocalTime(t)
            || isDateTime(t, separator: "T") || isDateTime(t, separator: "t")
    }

    static func digit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    static func dropSign(_ t: Text) -> Text {
        if let f = t.first, f == "+" || f == "-" { return t.dropFirst() }
        return t
    }

    static func isInfNaN(_ t: Text) -> Bool {
        let u = dropSign(t)
        return u.elementsEqual("inf".unicodeScalars) || u.elementsEqual("nan".unicodeScalars)
    }

    /// `d` then `(_? d)*` for the digit class `d`.
    static func isDigits(_ t: Text, _ d: (Unicode.Scalar) -> Bool) -> Bool {
        guard let f = t.first, d(f) else { return false }
        var previousUnderscore = false
        for c in t.dropFirst() {
            if c == "_" {
                if previousUnderscore { return false }
                previousUnderscore = true
            } else if d(c) {
                previousUnderscore = false
            } else {
                return false
            }
        }
        return !previousUnderscore
    }

    /// An unsigned decimal integer: `0` or no leading zero.
    static func isDecimal(_ t: Text) -> Bool {
        guard isDigits(t, digit) else { return false }
        return t.first != "0" || t.count == 1
    }

    static func isInteger(_ t: Text) -> Bool {
        if isDecimal(dropSign(t)) { return true }
        guard t.count > 2, t.first == "0" else { return false }
        let rest = t.dropFirst(2)
        switch t[t.startIndex + 1] {
        case "x": return isDigits(rest) { digit($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }
        case "o": return isDigits(rest) { ("0"..."7").contains($0) }
        case "b": return isDigits(rest) { $0 == "0" || $0 == "1" }
        default: return false
        }
    }

    static func isFloat(_ t: Text) -> Bool {
        let u = dropSign(t)
        let expAt = u.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = u[..<(expAt ?? u.endIndex)]
        let dot = mantissa.firstIndex(of: ".")
        guard isDecimal(mantissa[..<(dot ?? mantissa.endIndex)]) else { return false }
        if let dot, !isDigits(mantissa[mantissa.index(after: dot)...], digit) { return false }
        if let expAt {
            let exponent = dropSign(u[u.index(after: expAt)...])
            if !isDigits(exponent, digit) { return false }
        }
        return dot != nil || expAt != nil
    }

    /// `n` digits exactly.
    static func isN(_ t: Text, _ n: Int) -> Bool { t.count == n && t.allSatisfy(digit) }

    static func isLocalDate(_ t: Text) -> Bool {
        guard t.count == 10 else { return false }
        let b = t.startIndex
        return isN(t[b..<b + 4], 4) && t[b + 4] == "-" && isN(t[b + 5..<b + 7], 2) && t[b + 7] == "-" && isN(t[b + 8..<b + 10], 2)
    }

    /// `HH:MM:SS` with an optional fraction.
    static func isLocalTime(_ t: Text) -> Bool {
        guard t.count >= 8 else { return false }
        let b = t.startIndex
        guard isN(t[b..<b + 2], 2), t[b + 2] == ":", isN(t[b + 3..<b + 5], 2), t[b + 5] == ":", isN(t[b + 6..<b + 8], 2) else {
            return false
        }
        let fraction = t[(b + 8)...]
        if fraction.isEmpty { return true }
        return fraction.first == "." && fraction.count > 1 && fraction.dropFirst().allSatisfy(digit)
    }

    /// Date, separator, time, then an optional `Z` or `±HH:MM`.
    static func isDateTime(_ t: Text, separator: Unicode.Scalar) -> Bool {
        guard t.count >= 19 else { return false }
        let b = t.startIndex
        guard isLocalDate(t[b..<b + 10]), t[b + 10] == separator else { return false }
        var time = t[(b + 11)...]
        if let last = time.last, last == "Z" || last == "z" {
            time = time.dropLast()
        } else if time.count >= 6 {
            let offset = time.suffix(6)
            let o = offset.startIndex
            if offset[o] == "+" || offset[o] == "-", isN(offset[o + 1..<o + 3], 2), offset[o + 3] == ":", isN(offset[o + 4..<o + 6], 2) {
                time = time.dropLast(6)
            }
        }
        return isLocalTime(time)
    }
}
