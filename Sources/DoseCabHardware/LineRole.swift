import DoseCabCore

/// The named GPIO lines of the cabinet (ARCHITECTURE §2). The raw value is the role's name in
/// the pin map, in `dosecabctl sim`, and the line name the reference device tree gives it.
///
/// Levels are *logical* everywhere in this module (after the pin map's active-low):
/// - `lock` active = energised = unlocked (fail-secure solenoid: inactive = locked);
/// - `bolt` active = the bolt is physically engaged;
/// - `door` active = the door is closed (reed switch);
/// - `tamper` active = the case switch reports the enclosure open;
/// - `return-beam` active = the chute's beam is broken;
/// - the Wiegand data lines carry the Wiegand *line level*: idle high (`true`), a bit is a low
///   pulse (`false`). Set active-low in the pin map only behind an inverting level shifter.
public enum LineRole: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case lock
    case bolt
    case door
    case counterD0 = "counter-d0"
    case counterD1 = "counter-d1"
    case returnD0 = "return-d0"
    case returnD1 = "return-d1"
    case returnBeam = "return-beam"
    case tamper
    case buzzer
    case ledOK = "led-ok"
    case ledFault = "led-fault"

    /// The daemon drives this line (everything else is an input with edge events).
    public var isOutput: Bool {
        switch self {
        case .lock, .buzzer, .ledOK, .ledFault: true
        default: false
        }
    }

    /// The logical value an output is requested with and returned to by `makeSafe()`:
    /// inactive for every output (for `lock`: de-energised, i.e. locked).
    public var safeValue: Bool { false }

    /// Software debounce is allowed only on the slow mechanical inputs (ARCHITECTURE §4a);
    /// never on the Wiegand data lines, whose 50 µs pulses it would swallow.
    public var mayDebounce: Bool {
        switch self {
        case .door, .bolt, .tamper, .returnBeam: true
        default: false
        }
    }

    /// A Wiegand data line: D0 or D1 of one of the two readers.
    public var isWiegandData: Bool { wiegand != nil }

    /// The reader and data bit of a Wiegand data line (`bit` is 0 for D0, 1 for D1).
    public var wiegand: (reader: Reader, bit: Bool)? {
        switch self {
        case .counterD0: (.counter, false)
        case .counterD1: (.counter, true)
        case .returnD0: (.returnScanner, false)
        case .returnD1: (.returnScanner, true)
        default: nil
        }
    }

    /// The D0 and D1 lines of a reader.
    public static func dataLines(of reader: Reader) -> (d0: LineRole, d1: LineRole) {
        switch reader {
        case .counter: (.counterD0, .counterD1)
        case .returnScanner: (.returnD0, .returnD1)
        }
    }

    public var description: String { rawValue }
}

/// What an input source delivers, in order: edges, and now and then the news that every edge
/// up to a time has been delivered.
public enum LineInput: Sendable, Hashable, CustomStringConvertible {
    /// One edge.
    case edge(LineEvent)
    /// Every edge stamped at or before `throughNanos` (CLOCK_MONOTONIC) came before this: the
    /// source's answer to `CabinetLines.requestQuiet()`. Deadlines that ask "did no edge come
    /// for 25 ms" (a Wiegand frame's end, a debounce, the chute's window) are judged against
    /// this time, never against the consumer's clock: an edge can sit in the kernel queue, the
    /// event thread or the stream for longer than a frame gap when the machine is busy, and
    /// judging by the clock would cut its frame in two.
    case quiet(throughNanos: UInt64)

    public var description: String {
        switch self {
        case .edge(let e): e.description
        case .quiet(let t): "quiet@\(t)"
        }
    }
}

/// One edge on an input line, as the backend saw it.
public struct LineEvent: Sendable, Hashable, CustomStringConvertible {
    /// The line that changed.
    public var role: LineRole
    /// The logical level after the edge (after active-low): `true` = active.
    public var level: Bool
    /// When the edge happened, in nanoseconds of CLOCK_MONOTONIC (the kernel's timestamp for
    /// the libgpiod backend, the injected clock for the simulated one).
    public var timestampNanos: UInt64

    public init(role: LineRole, level: Bool, timestampNanos: UInt64) {
        self.role = role
        self.level = level
        self.timestampNanos = timestampNanos
    }

    public var description: String { "\(role)=\(level ? 1 : 0)@\(timestampNanos)" }
}
