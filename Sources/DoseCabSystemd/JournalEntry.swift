import Glibc

/// One journal entry: fields in the order they were added. Values are bytes, so they may
/// hold newlines or binary data; `sd_journal_sendv` sends those in journald's
/// length-prefixed form.
public struct JournalEntry: Sendable, Equatable {
    /// One `NAME=value` pair.
    public struct Field: Sendable, Equatable {
        /// The validated name.
        public let name: JournalField
        /// The raw value.
        public let value: [UInt8]
        /// The value as text (invalid UTF-8 is repaired).
        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// The fields, in order. A name may repeat; journald keeps every value.
    public private(set) var fields: [Field] = []

    /// An empty entry.
    public init() {}

    /// An entry of text fields, in order.
    public init(_ fields: [(JournalField, String)]) {
        for (name, value) in fields { append(name, value) }
    }

    /// Appends a text field.
    public mutating func append(_ name: JournalField, _ value: String) {
        fields.append(Field(name: name, value: Array(value.utf8)))
    }

    /// Appends a field with a binary value.
    public mutating func append(_ name: JournalField, bytes: [UInt8]) {
        fields.append(Field(name: name, value: bytes))
    }

    /// The first value of `name` as text, or nil.
    public subscript(_ name: JournalField) -> String? {
        fields.first { $0.name == name }?.text
    }

    /// `DOSECAB_AUDIT_SEQ` as a number, when present: what the daemon records as the last
    /// audit record mirrored to the journal.
    public var auditSeq: UInt64? { self[.auditSeq].flatMap { UInt64($0) } }

    /// Calls `body` with one `iovec` per field (`NAME=value`), as `sd_journal_sendv` wants.
    /// The memory is valid only inside `body`.
    func withIOVecs<R>(_ body: (UnsafeBufferPointer<iovec>) throws -> R) rethrows -> R {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        buffer.reserveCapacity(fields.reduce(0) { $0 + $1.name.name.utf8.count + 1 + $1.value.count })
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value)
            ranges.append(start..<buffer.count)
        }
        return try buffer.withUnsafeMutableBytes { raw in
            let iovecs = ranges.map { r in
                iovec(iov_base: raw.baseAddress.map { $0 + r.lowerBound }, iov_len: r.count)
            }
            return try iovecs.withUnsafeBufferPointer { try body($0) }
        }
    }

    /// A readable one-line form for stderr (`--simulate` without journald):
    /// `dosecabd <notice> release: Released … | DOSECAB_EVENT=release DOSECAB_PATIENT=P-1 …`.
    /// Newlines and control characters in values are escaped, so one entry is one line.
    public func readableLine() -> String {
        let identifier = self[.syslogIdentifier] ?? "dosecabd"
        let priority = self[.priority].flatMap { Int($0) }.flatMap(JournalPriority.init(rawValue:))
        var line = identifier
        line += " <\(priority?.name ?? "info")>"
        if let event = self[.event] { line += " \(event):" }
        line += " " + JournalEntry.escaped(self[.message] ?? "", quoteIfNeeded: false)
        let rest = fields.filter { ![.message, .priority, .syslogIdentifier].contains($0.name) }
        if !rest.isEmpty {
            line += " |"
            for field in rest {
                line += " \(field.name.name)=\(JournalEntry.escaped(field.text, quoteIfNeeded: true))"
            }
        }
        return line
    }

    static func escaped(_ s: String, quoteIfNeeded: Bool) -> String {
        var out = ""
        var needsQuotes = s.isEmpty
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            case "\"":
                out += "\\\""
                needsQuotes = true
            case " ":
                out += " "
                needsQuotes = true
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return quoteIfNeeded && needsQuotes ? "\"\(out)\"" : out
    }
}
