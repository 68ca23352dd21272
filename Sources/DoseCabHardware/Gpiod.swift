import CGpiod
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers around libgpiod 1.6 (v1 API), one per C call: each documents the function
/// it wraps, turns its failure into a `LineError` carrying the line, the function and errno,
/// and nothing more. Only `GpiodLines` calls them.
enum Gpiod {
    /// Where an error happened, for `LineError`.
    struct Site {
        let role: LineRole?
        let line: String
        let chip: String?

        func error(_ function: String, _ code: Int32 = Glibc.errno, reason: String? = nil) -> LineError {
            LineError(role: role, line: line, chip: chip, function: function, errno: code, reason: reason)
        }
    }

    /// `gpiod_chip_open_lookup`: opens a chip by name, path, label or number.
    static func chipOpenLookup(_ spec: String, at site: Site) throws(LineError) -> OpaquePointer {
        guard let chip = gpiod_chip_open_lookup(spec) else {
            throw site.error("gpiod_chip_open_lookup", reason: "cannot open chip")
        }
        return chip
    }

    /// `gpiod_chip_close`: closes the chip and releases its requested lines.
    static func chipClose(_ chip: OpaquePointer) {
        gpiod_chip_close(chip)
    }

    /// `gpiod_chip_find_line`: finds a line by its name on one chip.
    static func chipFindLine(_ chip: OpaquePointer, name: String, at site: Site) throws(LineError) -> OpaquePointer {
        guard let line = gpiod_chip_find_line(chip, name) else {
            let code = Glibc.errno
            throw site.error("gpiod_chip_find_line", code == 0 ? ENOENT : code, reason: "no line of that name on the chip")
        }
        return line
    }

    /// `gpiod_line_request`: requests one line with a type, flags and (outputs) an initial value.
    static func lineRequest(_ line: OpaquePointer, type: Int, flags: Int, defaultValue: Bool, at site: Site) throws(LineError) {
        let rc = "dosecabd".withCString { consumer in
            var config = gpiod_line_request_config(consumer: consumer, request_type: Int32(type), flags: Int32(flags))
            return gpiod_line_request(line, &config, defaultValue ? 1 : 0)
        }
        guard rc == 0 else { throw site.error("gpiod_line_request") }
    }

    /// `gpiod_line_release`: gives the line back to the kernel.
    static func lineRelease(_ line: OpaquePointer) {
        gpiod_line_release(line)
    }

    /// `gpiod_line_set_value`: sets an output's logical value.
    static func lineSetValue(_ line: OpaquePointer, _ value: Bool, at site: Site) throws(LineError) {
        guard gpiod_line_set_value(line, value ? 1 : 0) == 0 else { throw site.error("gpiod_line_set_value") }
    }

    /// `gpiod_line_get_value`: reads a line's logical value.
    static func lineGetValue(_ line: OpaquePointer, at site: Site) throws(LineError) -> Bool {
        let v = gpiod_line_get_value(line)
        guard v >= 0 else { throw site.error("gpiod_line_get_value") }
        return v == 1
    }

    /// `gpiod_line_event_get_fd`: the event file descriptor of a line requested for events.
    static func lineEventGetFD(_ line: OpaquePointer, at site: Site) throws(LineError) -> Int32 {
        let fd = gpiod_line_event_get_fd(line)
        guard fd >= 0 else { throw site.error("gpiod_line_event_get_fd") }
        return fd
    }

    /// `gpiod_line_event_read_fd_multiple`: reads up to `capacity` queued events from an event
    /// fd (the v1 kernel queue holds 16 per line). Retries EINTR here, in one place.
    static func lineEventReadFDMultiple(
        _ fd: Int32, into buffer: UnsafeMutablePointer<gpiod_line_event>, capacity: Int, at site: Site
    ) throws(LineError) -> Int {
        while true {
            let n = gpiod_line_event_read_fd_multiple(fd, buffer, UInt32(capacity))
            if n >= 0 { return Int(n) }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw site.error("gpiod_line_event_read_fd_multiple", code)
        }
    }
}
