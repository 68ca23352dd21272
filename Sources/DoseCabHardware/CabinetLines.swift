/// The cabinet's GPIO lines, whatever drives them: the kernel through libgpiod (`GpiodLines`)
/// or memory (`SimulatedLines`). Levels are logical (after the pin map's active-low); see
/// `LineRole` for what active means per line.
public protocol CabinetLines: AnyObject, Sendable {
    /// Drives an output. Throws for an input role, after `close()`, or when the kernel refuses.
    func set(_ role: LineRole, active: Bool) throws(LineError)
    /// Reads any line's current logical level.
    func read(_ role: LineRole) throws(LineError) -> Bool
    /// Edges of the input lines, oldest first, and the `quiet` answers to `requestQuiet()`.
    /// One consumer; it finishes on `close()`.
    var events: AsyncStream<LineInput> { get }
    /// Asks the source to deliver every edge that has happened by now and then
    /// `.quiet(throughNanos: now)` on `events`. Returns at once; safe from any thread.
    /// Requests made before the answer arrives may share it.
    func requestQuiet()
    /// Drives every output to its safe value (lock de-energised) now. Never throws and
    /// waits for nothing but the set-value call itself: the lock goes safe before any record.
    func makeSafe()
    /// Makes the outputs safe, stops the events and releases the lines. Idempotent.
    func close()
}

/// A line operation that failed: which line, which call, and errno when it was a C call.
public struct LineError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The role of the line, when the error concerns one line.
    public let role: LineRole?
    /// The line name from the pin map (or the chip, for chip-level errors).
    public let line: String
    /// The chip, as the pin map names it, when known.
    public let chip: String?
    /// The C function that failed (`gpiod_line_request`, …) or the Swift operation refused.
    public let function: String
    /// errno from the failing C call; 0 when the error is not a C call's.
    public let errno: Int32
    /// Why, when it is not a C error (wrong direction, closed, not found).
    public let reason: String?

    public init(role: LineRole?, line: String, chip: String? = nil, function: String, errno: Int32, reason: String? = nil) {
        self.role = role
        self.line = line
        self.chip = chip
        self.function = function
        self.errno = errno
        self.reason = reason
    }

    static func notAnOutput(_ role: LineRole, line: String, function: String) -> LineError {
        LineError(role: role, line: line, function: function, errno: 0, reason: "is an input; only outputs can be set")
    }

    static func notAnInput(_ role: LineRole, line: String, function: String) -> LineError {
        LineError(role: role, line: line, function: function, errno: 0, reason: "is an output; only inputs can be driven")
    }

    static func closed(_ role: LineRole, line: String, function: String) -> LineError {
        LineError(role: role, line: line, function: function, errno: 0, reason: "the lines are closed")
    }

    public var description: String {
        var s = "line \"\(line)\""
        if let role { s += " (role \(role.rawValue))" }
        if let chip { s += " on chip \"\(chip)\"" }
        s += ": \(function)"
        if let reason { s += ": \(reason)" }
        if errno != 0 { s += ": \(Self.errnoText(errno)) (errno \(errno))" }
        return s
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
