import Foundation
import Glibc

/// Reads dosecab's entries back from the journal, for `dosecabctl log` and the daemon's
/// start-up read-back. Only entries the service itself wrote are returned (``Trust``).
public struct JournalReader: Sendable {
    /// Whose entries are believed (issue 18.10). Any local user can send journald an entry
    /// with `SYSLOG_IDENTIFIER=dosecabd` and every `DOSECAB_*` field of an audit record; no
    /// client can set the fields journald adds itself from the sender's kernel credentials
    /// and cgroup (journald drops client fields that start with `_`). Every query matches
    /// `_UID` and, when known, `_SYSTEMD_UNIT`.
    public struct Trust: Sendable, Equatable, CustomStringConvertible {
        /// `_UID=`: the uid the service runs as.
        public var uid: uid_t
        /// `_SYSTEMD_UNIT=`: the service's unit; nil when the writer runs outside any unit
        /// (`--simulate` from a shell, tests), then the uid alone decides.
        public var unit: String?

        public init(uid: uid_t, unit: String?) {
            self.uid = uid
            self.unit = unit
        }

        /// The unit systemd/dosecabd.service installs.
        public static let serviceUnit = "dosecabd.service"
        /// Its `User=` (systemd/dosecab.sysusers): the service's own user, which no person
        /// logs in as; `dosecab` is the read-only technicians' group.
        public static let serviceUser = "dosecabd"

        /// The installed service: `unit` running as `user`; nil when there is no such user.
        public static func service(unit: String = serviceUnit, user: String = serviceUser) -> Trust? {
            guard let uid = uid(ofUser: user) else { return nil }
            return Trust(uid: uid, unit: unit)
        }

        /// The running daemon reading back its own entries: its own uid, and its own unit when
        /// systemd started it (`INVOCATION_ID` set; the unit is the last `.service` in
        /// /proc/self/cgroup). Outside systemd, the uid alone.
        public static func ownProcess(environment: [String: String] = ProcessInfo.processInfo.environment,
                                      cgroup: String? = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) -> Trust {
            let underSystemd = environment["INVOCATION_ID"]?.isEmpty == false
            return Trust(uid: getuid(), unit: underSystemd ? cgroup.flatMap(unit(fromCgroup:)) : nil)
        }

        /// The service unit in /proc/PID/cgroup text (cgroup v2 `0::/system.slice/x.service`, or
        /// v1's `name=systemd` line): the last path component that names a `.service`.
        static func unit(fromCgroup text: String) -> String? {
            let lines = text.split(separator: "\n")
            let line = lines.first { $0.hasPrefix("0::") } ?? lines.first { $0.contains(":name=systemd:") }
            guard let path = line?.split(separator: ":", maxSplits: 2).last else { return nil }
            return path.split(separator: "/").last { $0.hasSuffix(".service") }.map(String.init)
        }

        /// `getpwnam_r`: the uid of `user`, nil when there is none.
        static func uid(ofUser user: String) -> uid_t? {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 4096)
            let rc = getpwnam_r(user, &entry, &buffer, buffer.count, &result)
            guard rc == 0, result != nil else { return nil }
            return entry.pw_uid
        }

        /// The journal matches: `_UID=…` and, when known, `_SYSTEMD_UNIT=…`.
        var matches: [String] {
            ["_UID=\(uid)"] + (unit.map { ["_SYSTEMD_UNIT=\($0)"] } ?? [])
        }

        public var description: String { "uid \(uid)" + (unit.map { ", unit \($0)" } ?? "") }
    }

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
    /// Whose entries are returned: no other entry is, whatever its fields say.
    public let trust: Trust

    /// A reader of the machine's journals (`directory` nil) or of one directory (tests,
    /// or a copied journal), returning only the entries `trust` names as the service's.
    public init(directory: String? = nil, trust: Trust) {
        self.directory = directory
        self.trust = trust
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

    /// Every hash dosecabd's entries since `sinceRealtimeUsec` carry for each
    /// `DOSECAB_AUDIT_SEQ` (a record sent twice with two hashes shows both): the daemon's
    /// read-back raises an alarm for any hash the store does not have (issue 18.9).
    public func auditHashes(sinceRealtimeUsec: UInt64?) throws(ReadError) -> [Int64: Set<String>] {
        var found: [Int64: Set<String>] = [:]
        for entry in try entries(Query(sinceRealtimeUsec: sinceRealtimeUsec)) {
            guard let seq = entry[JournalField.auditSeq.name].flatMap({ Int64($0) }),
                  let hash = entry[JournalField.auditHash.name] else { continue }
            found[seq, default: []].insert(hash)
        }
        return found
    }

    private func read(_ j: OpaquePointer, _ query: Query) throws(SystemdError) -> [[String: String]] {
        // The service's own entries only: each trusted field is a group of its own (AND).
        var groups: [[String]] = trust.matches.map { [$0] }
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
