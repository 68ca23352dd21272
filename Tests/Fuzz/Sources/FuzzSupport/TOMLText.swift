/// A TOML basic string for `s`: the harness's own emitter, used to write a parsed value
/// back out and parse it again (the round-trip properties).
public func tomlString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Whether the finding `id` is muted for this run (`FUZZ_MUTE=id1,id2`): a known, reported
/// property failure awaiting its fix, so a campaign can go on looking for others.
public func muted(_ id: String) -> Bool { mutedFindings.contains(id) }

nonisolated(unsafe) let mutedFindings: Set<String> = {
    guard let raw = getenv("FUZZ_MUTE") else { return [] }
    return Set(String(cString: raw).split(separator: ",").map(String.init))
}()

#if canImport(Glibc)
import Glibc
#endif

/// Whether `text` has a table header whose first key starts with a character that is neither
/// a bare-key character nor a quote (`[\n`, `[=`, `[é]`, `[[[1]]]`): the toml++ inside
/// TOMLKit 0.6.0 then fails an assertion and aborts the process (finding F1 in
/// docs/reliability.md). With `FUZZ_MUTE=toml-header-assert` the TOML targets skip such
/// inputs so a campaign can look for other failures until the fix lands.
public func tomlHeaderHazard(_ text: String) -> Bool {
    // toml++ skips a byte-order mark at the start of the text.
    let text = text.first == "\u{FEFF}" ? String(text.dropFirst()) : text
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard rest.first == "[" else { continue }
        rest = rest.dropFirst()
        if rest.first == "[" { rest = rest.dropFirst() }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard let c = rest.first else {
            if line.endIndex != text.endIndex { return true } // a newline follows the bracket
            continue
        }
        let ok = c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == "\"" || c == "'")
        if !ok { return true }
    }
    return false
}
