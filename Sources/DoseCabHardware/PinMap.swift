import SystemPackage
import TOMLKit

/// Which chip and line each role uses, with its electrical settings; loaded from TOML
/// (`hardware/pinmap.toml`; the format is in `hardware/README.md`).
///
/// Loading checks everything that can be checked without the kernel: every role present
/// once, no unknown role or key, no line used twice, values in range, debounce only where
/// allowed. Whether each line exists on its chip is checked when `GpiodLines` opens them.
public struct PinMap: Sendable, Hashable {
    /// Bias (pull resistor) requested for a line.
    public enum Bias: String, Sendable, Hashable, CaseIterable {
        /// Leave whatever the board or device tree configured.
        case asIs = "as-is"
        case pullUp = "pull-up"
        case pullDown = "pull-down"
        /// No pull resistor.
        case disabled
    }

    /// One role's line.
    public struct Line: Sendable, Hashable {
        /// The role this line plays.
        public let role: LineRole
        /// The chip: its label (`pinctrl-bcm2711`), name (`gpiochip0`), number or `/dev` path.
        public let chip: String
        /// The line's name on the chip (`gpio-line-names`), never an offset.
        public let name: String
        /// The electrical level is inverted: logical active = physically low.
        public let activeLow: Bool
        /// Pull resistor.
        public let bias: Bias
        /// Software debounce in milliseconds (door, bolt, tamper, return-beam only); 0 = none.
        public let debounceMillis: Int

        public init(role: LineRole, chip: String, name: String, activeLow: Bool = false,
                    bias: Bias = .asIs, debounceMillis: Int = 0) {
            self.role = role
            self.chip = chip
            self.name = name
            self.activeLow = activeLow
            self.bias = bias
            self.debounceMillis = debounceMillis
        }

        /// The debounce interval in nanoseconds.
        public var debounceNanos: UInt64 { UInt64(debounceMillis) * 1_000_000 }
    }

    /// Every role's line.
    public let lines: [LineRole: Line]

    /// The line of a role (every role is present in a loaded map).
    public subscript(role: LineRole) -> Line {
        lines[role]!
    }

    /// Builds a map from lines; the same checks as parsing (all roles once, no duplicate
    /// line names, debounce only where allowed).
    public init(lines: [Line]) throws(PinMapError) {
        var byRole: [LineRole: Line] = [:]
        for line in lines {
            if let earlier = byRole[line.role] {
                throw .duplicateRole(role: line.role, lines: (earlier.name, line.name))
            }
            byRole[line.role] = line
        }
        try Self.validate(byRole)
        self.lines = byRole
    }

    /// Every role on one chip, with line names equal to the role names, the reference
    /// device tree's and gpio-sim's naming (`hardware/dosecab-overlay.dts`).
    public static func reference(chip: String) -> PinMap {
        let lines = LineRole.allCases.map { role in
            Line(role: role, chip: chip, name: role.rawValue,
                 activeLow: false,
                 bias: role.isOutput ? .asIs : .pullUp,
                 debounceMillis: role.mayDebounce ? 20 : 0)
        }
        return PinMap(validated: Dictionary(uniqueKeysWithValues: lines.map { ($0.role, $0) }))
    }

    /// Reads and parses a pin map file.
    public static func load(path: String) throws(PinMapError) -> PinMap {
        let text: String
        do {
            let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            defer { try? fd.close() }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                if n == 0 { break }
                bytes += chunk[..<n]
                if bytes.count > 1 << 20 { throw Errno.fileTooLarge }
            }
            text = String(decoding: bytes, as: UTF8.self)
        } catch let e as Errno {
            throw .unreadable(path: path, reason: "\(e.description) (errno \(e.rawValue))")
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        do {
            return try parse(text)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// Parses a pin map from TOML text.
    public static func parse(_ toml: String) throws(PinMapError) -> PinMap {
        // toml++ aborts the process on some malformed text (finding F1): it only sees text the
        // guard recognised as TOML.
        if let problem = TOMLGuard.check(toml) {
            throw .syntax(line: problem.line, column: problem.column, message: problem.message)
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: toml)
        } catch let e as TOMLParseError {
            throw .syntax(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: "\(error)")
        }

        var defaultChip: String?
        var linesTable: TOMLTable?
        for (key, value) in root {
            switch key {
            case "chip":
                guard let s = value.string, !s.isEmpty else {
                    throw .invalidValue(role: nil, line: nil, key: "chip", reason: "must be a non-empty string")
                }
                defaultChip = s
            case "lines":
                guard let t = value.table else {
                    throw .invalidValue(role: nil, line: nil, key: "lines", reason: "must be a table of roles")
                }
                linesTable = t
            default:
                throw .unknownKey(role: nil, key: key)
            }
        }
        guard let linesTable else { throw .missingRole(LineRole.allCases[0]) }

        var byRole: [LineRole: Line] = [:]
        for (key, value) in linesTable {
            guard let role = LineRole(rawValue: key) else { throw .unknownRole(key) }
            guard let t = value.table else {
                throw .invalidValue(role: role, line: nil, key: key, reason: "must be a table")
            }
            byRole[role] = try parseLine(role, t, defaultChip: defaultChip)
        }
        try validate(byRole)
        return PinMap(validated: byRole)
    }

    private init(validated: [LineRole: Line]) {
        lines = validated
    }

    private static func parseLine(_ role: LineRole, _ t: TOMLTable, defaultChip: String?) throws(PinMapError) -> Line {
        var name = role.rawValue
        var chip = defaultChip
        var activeLow = false
        var bias = Bias.asIs
        var debounce = 0
        // The line name first, so every later error can name it.
        if let v = t["line"] {
            guard let s = v.string, !s.isEmpty else {
                throw .invalidValue(role: role, line: nil, key: "line", reason: "must be a non-empty string")
            }
            name = s
        }
        for (key, value) in t {
            switch key {
            case "line":
                break
            case "chip":
                guard let s = value.string, !s.isEmpty else {
                    throw .invalidValue(role: role, line: name, key: key, reason: "must be a non-empty string")
                }
                chip = s
            case "active-low":
                guard let b = value.bool else {
                    throw .invalidValue(role: role, line: name, key: key, reason: "must be true or false")
                }
                activeLow = b
            case "bias":
                guard let s = value.string, let b = Bias(rawValue: s) else {
                    throw .invalidValue(role: role, line: name, key: key,
                                        reason: "must be one of \(Bias.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                bias = b
            case "debounce-ms":
                guard let ms = value.int, (0...1000).contains(ms) else {
                    throw .invalidValue(role: role, line: name, key: key, reason: "must be an integer from 0 to 1000")
                }
                debounce = ms
            default:
                throw .unknownKey(role: role, key: key)
            }
        }
        guard let chip else { throw .missingChip(role: role, line: name) }
        return Line(role: role, chip: chip, name: name, activeLow: activeLow, bias: bias, debounceMillis: debounce)
    }

    private static func validate(_ byRole: [LineRole: Line]) throws(PinMapError) {
        for role in LineRole.allCases {
            guard let line = byRole[role] else { throw .missingRole(role) }
            if line.debounceMillis != 0, !role.mayDebounce {
                throw .debounceNotAllowed(role: role, line: line.name)
            }
        }
        var seen: [String: LineRole] = [:]
        for role in LineRole.allCases {
            let name = byRole[role]!.name
            if let other = seen[name] { throw .duplicateLine(line: name, roles: (other, role)) }
            seen[name] = role
        }
    }
}

/// A pin map that cannot be used. `description` is one line naming the file (when loaded from
/// one), the role and line, or the line and column of a syntax error.
public indirect enum PinMapError: Error, CustomStringConvertible, Sendable {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The TOML is malformed.
    case syntax(line: Int, column: Int, message: String)
    /// A `[lines.X]` table for a role the cabinet does not have.
    case unknownRole(String)
    /// A role has no line.
    case missingRole(LineRole)
    /// A role listed twice (only possible through `PinMap(lines:)`).
    case duplicateRole(role: LineRole, lines: (String, String))
    /// Two roles name the same line.
    case duplicateLine(line: String, roles: (LineRole, LineRole))
    /// A key no pin map has (a typo would otherwise be silently ignored).
    case unknownKey(role: LineRole?, key: String)
    /// A value of the wrong type or out of range.
    case invalidValue(role: LineRole?, line: String?, key: String, reason: String)
    /// Debounce on a line where it is not allowed (Wiegand data, outputs).
    case debounceNotAllowed(role: LineRole, line: String)
    /// Neither the line nor the file names a chip.
    case missingChip(role: LineRole, line: String)
    /// Any of the above, found in the file at `path` (what `load` throws).
    case inFile(path: String, PinMapError)

    /// One line, whatever the file held (a quoted key may hold a newline; toml++ quotes the
    /// character it stopped at): finding F4.
    public var description: String {
        switch self {
        case .unreadable: TOMLGuard.oneLine(detail)
        case .inFile(let path, .unreadable(_, let reason)): TOMLGuard.oneLine("pin map \(path): cannot be read: \(reason)")
        case .inFile(let path, let error): TOMLGuard.oneLine("pin map \(path): \(error.detail)")
        default: TOMLGuard.oneLine("pin map: " + detail)
        }
    }

    /// The problem without the "pin map" prefix.
    var detail: String {
        switch self {
        case .unreadable(let path, let reason):
            "pin map \(path): cannot be read: \(reason)"
        case .inFile(_, let error):
            error.detail
        case .syntax(let line, let column, let message):
            "TOML syntax error at line \(line), column \(column): \(message)"
        case .unknownRole(let name):
            "unknown role \"\(name)\" in [lines.\(name)]; roles are \(LineRole.allCases.map(\.rawValue).joined(separator: ", "))"
        case .missingRole(let role):
            "role \(role.rawValue) is missing: add [lines.\(role.rawValue)] with its line name"
        case .duplicateRole(let role, let lines):
            "role \(role.rawValue) is given twice (lines \"\(lines.0)\" and \"\(lines.1)\")"
        case .duplicateLine(let line, let roles):
            "line \"\(line)\" is used by both role \(roles.0.rawValue) and role \(roles.1.rawValue)"
        case .unknownKey(let role, let key):
            if let role {
                "role \(role.rawValue): unknown key \"\(key)\" (keys are line, chip, active-low, bias, debounce-ms)"
            } else {
                "unknown top-level key \"\(key)\" (keys are chip, lines)"
            }
        case .invalidValue(let role, let line, let key, let reason):
            if let role {
                "role \(role.rawValue)" + (line.map { " (line \"\($0)\")" } ?? "") + ": \(key) \(reason)"
            } else {
                "\(key) \(reason)"
            }
        case .debounceNotAllowed(let role, let line):
            "role \(role.rawValue) (line \"\(line)\"): debounce-ms is allowed only on door, bolt, tamper and return-beam"
        case .missingChip(let role, let line):
            "role \(role.rawValue) (line \"\(line)\"): no chip; set chip for the line or at the top of the file"
        }
    }
}
