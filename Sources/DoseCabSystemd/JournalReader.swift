import Foundation
import Glibc

/// Reads dosecab's entries back from the journal, for `dosecabctl log`.
public struct JournalReader: Sendable {
    /// Why reading failed.
    public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The caller may not read the system journal. The audit log itself is served
        /// over the control socket (`dosecabctl audit`).
        case notPermitted(path: String)
        /// A match named an invalid field.
        case invalidField(JournalField.InvalidName)
        /// libsystemd failed.
        case systemd(SystemdError)

        public var description: String {
            switch self {
            case .notPermitted(let path):
                "you may not read the system journal (\(path)): ask for membership of the group "
                    + "systemd-journal or adm, or use `dosecabctl audit` for the audit log itself"
            case .invalidField(let e): e.description
            case .systemd(let e): e.description
            }
        }
    }

    /// Which entries to return. Conditions on different fields must all hold; several
    /// values for one field are alternatives.
    public struct Query: Sendable, Equatable {
        /// `SYSLOG_IDENTIFIER=`; `dosecabd` unless set to nil.
        public var identifier: String?
        /// `MESSAGE_ID=` values, any of them (e.g. from `JournalMessageID.forKind`).
        public var messageIDs: [String]
        /// Other fields, e.g. `DOSECAB_PATIENT`: each must have one of the values.
        public var fields: [JournalField: [String]]
        /// Entries at or after this wall-clock time (microseconds since the epoch).
        public var sinceRealtimeUsec: UInt64?
        /// At most this many entries (the first ones after `since`).
        public var limit: Int?

        /// A query for dosecab's entries.
        public init(identifier: String? = AuditJournalEvent.syslogIdentifier, messageIDs: [String] = [],
                    fields: [JournalField: [String]] = [:], sinceRealtimeUsec: UInt64? = nil, limit: Int? = nil) {
            self.identifier = identifier
            self.messageIDs = messageIDs
            self.fields = fields
            self.sinceRealtimeUsec = sinceRealtimeUsec
            self.limit = limit
        }
    }

    /// `SD_JOURNAL_LOCAL_ONLY` (not imported from the C enum): this machine's journals only.
    static let localOnly: Int32 = 1 << 0

    /// The directory of journal files to read, or nil for the machine's journals.
    public let directory: String?

    /// A reader of the machine's journals (`directory` nil) or of one directory (tests,
    /// or a copied journal).
    public init(directory: String? = nil) {
        self.directory = directory
    }

    /// The matching entries, oldest first, each as field → value (binary values are
    /// decoded as UTF-8 with repair; a repeated field keeps its last value), plus
    /// `__REALTIME_TIMESTAMP` and `__CURSOR` as journalctl's JSON output has them.
    public func entries(_ query: Query) throws(ReadError) -> [[String: String]] {
        if let path = Self.unreadableSystemJournal(directory: directory) {
            throw .notPermitted(path: path)
        }
        let handle: JournalHandle
        do throws(SystemdError) {
            if let directory {
                handle = JournalHandle(try LibSystemd.journalOpenDirectory(directory, flags: 0))
            } else {
                handle = JournalHandle(try LibSystemd.journalOpen(flags: Self.localOnly))
            }
        } catch {
            if error.errno == EACCES || error.errno == EPERM {
                throw .notPermitted(path: directory ?? "/var/log/journal")
            }
            throw .systemd(error)
        }
        do throws(SystemdError) {
            return try read(handle.j, query)
        } catch {
            throw .systemd(error)
        }
    }

    /// The audit records dosecabd's entries since `sinceRealtimeUsec` carry, as
    /// `DOSECAB_AUDIT_SEQ` → `DOSECAB_AUDIT_HASH` (entries without both are skipped). The
    /// daemon compares this with its store at start to find what journald lost.
    public func auditRecords(sinceRealtimeUsec: UInt64?) throws(ReadError) -> [Int64: String] {
        var found: [Int64: String] = [:]
        for entry in try entries(Query(sinceRealtimeUsec: sinceRealtimeUsec)) {
            guard let seq = entry[JournalField.auditSeq.name].flatMap({ Int64($0) }),
                  let hash = entry[JournalField.auditHash.name] else { continue }
            found[seq] = hash
        }
        return found
    }

    private func read(_ j: OpaquePointer, _ query: Query) throws(SystemdError) -> [[String: String]] {
        var groups: [[String]] = []
        if let id = query.identifier { groups.append(["SYSLOG_IDENTIFIER=\(id)"]) }
        if !query.messageIDs.isEmpty { groups.append(query.messageIDs.map { "MESSAGE_ID=\($0)" }) }
        for name in query.fields.keys.sorted() where !(query.fields[name] ?? []).isEmpty {
            groups.append(query.fields[name]!.map { "\(name.name)=\($0)" })
        }
        // Matches on one field are OR-ed by libsystemd, matches on different fields
        // AND-ed; the conjunction keeps groups apart even if two name the same field.
        for (i, group) in groups.enumerated() {
            if i > 0 { try LibSystemd.journalAddConjunction(j) }
            for m in group { try LibSystemd.journalAddMatch(j, Array(m.utf8)) }
        }
        if let since = query.sinceRealtimeUsec {
            try LibSystemd.journalSeekRealtimeUsec(j, since)
        } else {
            try LibSystemd.journalSeekHead(j)
        }
        var out: [[String: String]] = []
        while try LibSystemd.journalNext(j) {
            if let limit = query.limit, out.count >= limit { break }
            let usec = try LibSystemd.journalGetRealtimeUsec(j)
            if let since = query.sinceRealtimeUsec, usec < since { continue }
            var entry: [String: String] = [:]
            for data in try LibSystemd.journalEnumerateData(j) {
                guard let eq = data.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = String(decoding: data[..<eq], as: UTF8.self)
                entry[name] = String(decoding: data[(eq + 1)...], as: UTF8.self)
            }
            entry["__REALTIME_TIMESTAMP"] = String(usec)
            entry["__CURSOR"] = try LibSystemd.journalGetCursor(j)
            out.append(entry)
        }
        return out
    }

    /// sd_journal_open succeeds for anyone but shows an unprivileged caller only their
    /// own user journal, which would look like "no dosecab events". So look first: the
    /// path of a system journal file that exists but cannot be read, or nil.
    static func unreadableSystemJournal(directory: String?) -> String? {
        let dirs: [String]
        if let directory {
            dirs = [directory]
        } else {
            let machineID = ((try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            dirs = ["/var/log/journal", "/run/log/journal"].flatMap { base in
                machineID.isEmpty ? [base] : [base, base + "/" + machineID]
            }
        }
        for dir in dirs {
            if access(dir, F_OK) == 0 && access(dir, R_OK | X_OK) != 0 { return dir }
            let file = dir + "/system.journal"
            if access(file, F_OK) == 0 && access(file, R_OK) != 0 { return file }
        }
        return nil
    }
}

/// Owns one `sd_journal*`; closes it when dropped.
private struct JournalHandle: ~Copyable {
    let j: OpaquePointer
    init(_ j: OpaquePointer) { self.j = j }
    deinit { LibSystemd.journalClose(j) }
}
