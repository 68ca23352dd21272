/// Text checks made before TOML reaches TOMLKit's parser.
///
/// toml++ 3 (inside TOMLKit 0.6.0) asserts, i.e. aborts the whole process, on a table header
/// whose first key starts with neither a bare-key character nor a quote (`[`, `[=`, `[é]`,
/// `[[[1]]]`): finding F1 of the fuzzers (docs/reliability.md). A bad configuration must be a
/// clear error, never a crash loop with the cabinet locked, so such text is refused here first.
/// Fixed upstream in toml++ (PR #301); drop this when TOMLKit ships it.
public enum TOMLGuard {
    /// The 1-based line of the first header the parser cannot survive, or nil.
    public static func hazardousHeaderLine(in text: String) -> Int? {
        // toml++ skips a byte-order mark at the start of the text.
        let body = text.first == "\u{FEFF}" ? String(text.dropFirst()) : text
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let c = rest.first else {
                if index < lines.count - 1 { return index + 1 }  // a newline follows the bracket
                continue
            }
            let ok = c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == "\"" || c == "'")
            if !ok { return index + 1 }
        }
        return nil
    }
}
