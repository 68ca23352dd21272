// Fuzz target: the journal field encoder — `JournalField` (validation, `sanitized`),
// `JournalLogHandler.field(forMetadataKey:)` and `entry(for:)`, `AuditJournalEvent.journalEntry()`,
// `JournalEntry` and its `readableLine()` (the stderr form under `--simulate`).
// Input: a sequence of NUL-separated strings (bytes decoded as UTF-8, repaired), used as
// candidate names, event fields, log messages and metadata; byte 0 picks kind and priority.
// Properties (the validity rule is journald's own, written out here independently):
//   - `JournalField(name)` accepts exactly the names journald keeps: 1–64 of A-Z 0-9 _,
//     not starting with a digit or `_`; `problem(with:)` agrees;
//   - `sanitized` always yields a valid name, and leaves a valid name as it is;
//   - a metadata key never becomes a reserved journald field or a DOSECAB_* audit field;
//   - every field of an audit event's or a log line's entry has a valid name; values
//     round-trip byte for byte (the dose as a number, the sequence as an integer);
//   - `readableLine()` is one line with no control character, whatever the values.
import DoseCabCore
import DoseCabSystemd
import Foundation
import FuzzSupport
import Logging

func journaldAccepts(_ name: String) -> Bool {
    let b = Array(name.utf8)
    guard (1...64).contains(b.count), b[0] != 0x5F, !(0x30...0x39).contains(b[0]) else { return false }
    return b.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
}

let reserved: Set<String> = [
    "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
    "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "LOGGER_SOURCE", "ERRNO", "DOCUMENTATION",
    "TID", "UNIT", "USER_UNIT",
]

let devNull = open("/dev/null", O_WRONLY)
let writer = JournalWriter(sink: .fileDescriptor(devNull))

func oneLine(_ line: String, _ what: String) {
    for s in line.unicodeScalars where s.value < 0x20 || s.value == 0x7F {
        violated("\(what) is one line without control characters", "U+\(String(s.value, radix: 16)) in \(line.debugDescription)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let selector = bytes.first else { return 0 }
    let raw = bytes.dropFirst().split(separator: 0, maxSplits: 31, omittingEmptySubsequences: false)
    let strings = raw.map { String(decoding: $0, as: UTF8.self) }
    func s(_ i: Int) -> String? { i < strings.count ? strings[i] : nil }

    // Names.
    for str in strings {
        let valid = journaldAccepts(str)
        check((JournalField.problem(with: str) == nil) == valid, "problem(with:) agrees with journald", str.debugDescription)
        let field = try? JournalField(str)
        check((field != nil) == valid, "JournalField accepts exactly the names journald keeps", str.debugDescription)
        if let field { check(field.name == str, "a valid name is kept as given") }
        let clean = JournalField.sanitized(str)
        check(journaldAccepts(clean.name), "sanitized() yields a valid name", "\(str.debugDescription) → \(clean.name)")
        if valid { check(clean.name == str, "sanitized() leaves a valid name as it is", str.debugDescription) }
        let audit = JournalField.sanitized(str.uppercased(), prefix: "DOSECAB_")
        check(journaldAccepts(audit.name), "sanitized(prefix: DOSECAB_) yields a valid name", audit.name)
        let meta = JournalLogHandler.field(forMetadataKey: str)
        check(journaldAccepts(meta.name), "a metadata key becomes a valid name", meta.name)
        check(!reserved.contains(meta.name) && !meta.name.hasPrefix("DOSECAB_"),
              "a metadata key never becomes a reserved or audit field", "\(str.debugDescription) → \(meta.name)")
    }

    // An audit event.
    let kind = AuditEventKind.allCases[Int(selector) % AuditEventKind.allCases.count]
    let priority: JournalPriority? = selector & 0x80 != 0 ? JournalPriority.allCases[Int(selector >> 4) & 7 % JournalPriority.allCases.count] : nil
    let doseBits = raw.count > 12 ? raw[12].prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
    let dose = doseBits.map { Double(bitPattern: $0) }
    let seq = raw.count > 13 ? raw[13].prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
    let extra: [(JournalField, String)] = strings.dropFirst(14).map { (JournalField.sanitized($0, prefix: "DOSECAB_"), $0) }
    let event = AuditJournalEvent(
        kind: kind, message: s(0) ?? "", releaseID: s(1), patient: s(2), staff: s(3), drug: s(4), route: s(5),
        doseMg: dose, unit: s(6), prescription: s(7), reason: s(8), auditSeq: seq, auditHash: s(9),
        priority: priority, extra: extra)
    let entry = event.journalEntry()
    for f in entry.fields { check(journaldAccepts(f.name.name), "every field name is valid", f.name.name) }
    check(entry[.message] == event.message, "MESSAGE round-trips")
    check(entry.fields.first { $0.name == .message }?.value == Array(event.message.utf8), "MESSAGE bytes round-trip")
    check(entry[.event] == kind.rawValue, "DOSECAB_EVENT is the kind")
    check(entry[.priority] == String((priority ?? kind.journalPriority).rawValue), "PRIORITY is the level")
    let pairs: [(JournalField, String?)] = [(.releaseID, s(1)), (.patient, s(2)), (.staff, s(3)), (.drug, s(4)),
        (.route, s(5)), (.ampoule, s(6)), (.prescription, s(7)), (.reason, s(8)), (.auditHash, s(9))]
    for (name, value) in pairs {
        check(entry[name] == value, "\(name.name) round-trips", "\(String(describing: entry[name])) vs \(String(describing: value))")
    }
    check(entry.auditSeq == seq, "DOSECAB_AUDIT_SEQ round-trips as an integer")
    if let dose {
        guard let text = entry[.doseMg], let back = Double(text) else { violated("DOSECAB_DOSE_MG is a number", "\(dose)") }
        check(back == dose || (back.isNaN && dose.isNaN), "DOSECAB_DOSE_MG round-trips", "\(dose) → \(text)")
    } else {
        check(entry[.doseMg] == nil, "no dose, no DOSECAB_DOSE_MG")
    }
    let extras = entry.fields.suffix(extra.count)
    for (f, (name, value)) in zip(extras, extra) {
        check(f.name == name && f.value == Array(value.utf8), "extra fields round-trip, in order")
    }
    oneLine(entry.readableLine(), "an audit event's readable line")

    // A log line, as swift-log hands it to the journal handler.
    var handler = JournalLogHandler(label: s(10) ?? "dosecab", writer: writer)
    var metadata: Logger.Metadata = [:]
    for (i, k) in strings.enumerated() where i % 2 == 1 { metadata[k] = .string(strings[i - 1]) }
    handler.metadata = metadata
    let log = LogEvent(level: Logger.Level.allCases[Int(selector) % Logger.Level.allCases.count],
                       message: "\(s(11) ?? "")", metadata: [(s(12) ?? "k"): .string(s(0) ?? "")],
                       source: s(13), file: "f.swift", function: "f()", line: 1)
    let logEntry = handler.entry(for: log)
    for f in logEntry.fields { check(journaldAccepts(f.name.name), "every log field name is valid", f.name.name) }
    check(logEntry[.message] == (s(11) ?? ""), "a log message round-trips")
    oneLine(logEntry.readableLine(), "a log line's readable line")
    return 0
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
