// Fuzz target: the pin map (`PinMap.parse`, TOML through TOMLKit/toml++).
// Input: the file's text (bytes decoded as UTF-8, invalid sequences repaired, as `load` does).
// Properties:
//   - an accepted map has every role exactly once, no line name twice, non-empty chip and
//     line names, debounce 0…1000 ms and only on the slow mechanical inputs;
//   - the same lines given to `PinMap(lines:)` make the same map (both paths check alike);
//   - written back out as TOML and parsed again, it is the same map;
//   - a refusal is one line (it is the daemon's startup error);
//   - a text `TOMLGuard` refuses (text that would abort toml++, finding F1) is refused as that
//     syntax error, and toml++ only ever sees the rest: a gap in the guard is a crash here.
import DoseCabHardware
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    let problem = TOMLGuard.check(text)
    let map: PinMap
    do {
        map = try PinMap.parse(text)
    } catch {
        check(!error.description.contains("\n") && !error.description.contains("\r"), "a pin map error is one line", error.description)
        if let problem {
            guard case .syntax(problem.line, problem.column, problem.message) = error else {
                violated("a text the guard refuses is that syntax error", "\(error) vs \(problem)")
            }
        }
        return 0
    }
    check(problem == nil, "parse accepts only what the guard accepts")
    var names: Set<String> = []
    for role in LineRole.allCases {
        guard let line = map.lines[role] else { violated("an accepted map has every role", role.rawValue) }
        check(line.role == role, "a line is filed under its own role")
        check(!line.chip.isEmpty && !line.name.isEmpty, "chip and line names are non-empty")
        check((0...1000).contains(line.debounceMillis), "debounce is 0…1000 ms")
        check(line.debounceMillis == 0 || role.mayDebounce, "debounce only where allowed", role.rawValue)
        check(names.insert(line.name).inserted, "no line name twice", line.name)
    }
    check(map.lines.count == LineRole.allCases.count, "no role beyond the cabinet's")
    do {
        let rebuilt = try PinMap(lines: Array(map.lines.values))
        check(rebuilt == map, "PinMap(lines:) makes the same map")
    } catch {
        violated("PinMap(lines:) accepts what parse accepted", error.description)
    }
    var out = ""
    for role in LineRole.allCases {
        let l = map[role]
        out += "[lines.\(role.rawValue)]\nchip = \(tomlString(l.chip))\nline = \(tomlString(l.name))\n"
        out += "active-low = \(l.activeLow)\nbias = \(tomlString(l.bias.rawValue))\ndebounce-ms = \(l.debounceMillis)\n\n"
    }
    do {
        let again = try PinMap.parse(out)
        check(again == map, "a map written back out parses to the same map")
    } catch {
        violated("a map written back out parses", "\(error)\n\(out)")
    }
    return 0
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
