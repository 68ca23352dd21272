#if canImport(Glibc)
import Glibc
#endif

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
