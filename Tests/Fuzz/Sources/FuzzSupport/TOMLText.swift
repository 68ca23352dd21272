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
/// inputs. (Scalars, not Characters: `[` + a combining mark is one Character.) The other
/// toml++ assertions F1 lists have no such filter; campaigns use `-fork=1 -ignore_crashes=1`.
public func tomlHeaderHazard(_ text: String) -> Bool {
    var scalars = Array(text.unicodeScalars)
    // toml++ skips a byte-order mark at the start of the text.
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
    var i = 0
    while i < scalars.count {
        // At the start of a line: skip blanks, look for `[` or `[[`.
        var j = i
        while j < scalars.count, scalars[j] == " " || scalars[j] == "\t" { j += 1 }
        if j < scalars.count, scalars[j] == "[" {
            j += 1
            if j < scalars.count, scalars[j] == "[" { j += 1 }
            while j < scalars.count, scalars[j] == " " || scalars[j] == "\t" { j += 1 }
            if j < scalars.count {
                let c = scalars[j]
                let ok = c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c)
                    || ("0"..."9").contains(c) || c == "_" || c == "-" || c == "\"" || c == "'")
                if !ok { return true }
            }
        }
        while i < scalars.count, scalars[i] != "\n" { i += 1 }
        i += 1
    }
    return false
}
