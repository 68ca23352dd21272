import DoseCabCore
import DoseCabSystemd
import Foundation
import Glibc
import Logging
import Testing

/// What the journald helper saw, written as JSON for the test that started it.
struct JournaldHelperReport: Codable {
    var socketPresentAtStart = false
    var reasonsBeforeJournald: [String] = []
    var unsentBeforeJournald = -1
    var writtenBeforeJournald: UInt64 = 0
    var journaldStarted = false
    var flushed = false
    var healthAfter = ""
    var writtenAfter: UInt64 = 0
    var lastWrittenAuditSeq: UInt64?
    var confirmedSeqs: [UInt64] = []
    var readerEntries: [[String: String]] = []
    var readerReleaseCount = -1
    var readerPatientAndKindCount = -1
    var readerFutureCount = -1
    /// `JournalReader.auditRecords`: seq → hash, as the daemon's read-back at start sees them.
    var readerAudit: [Int64: String] = [:]
    var stalledReasons: [String] = []
    var stalledUnsent = -1
    var stalledEnqueueMicros: Int64 = -1
    var resumedFlushed = false
    var resumedHealth = ""
    var resumedWritten: UInt64 = 0
    /// Issue 18.10: `logger --journald` as uid 65534 sent a forged dosecabd audit entry.
    var forgeStatus: Int32 = -1
    /// The forgery as a reader trusting the forger's uid sees it (proves it reached journald).
    var forgedSeenFromItsOwnUID = -1
    /// The forgery among the entries of the service's reader, and among its audit records.
    var forgedReadAsTheService = -1
    var forgedInAuditRecords = true
    var errors: [String] = []
}

/// Entry point of this test binary when re-executed as a helper (DOSECAB_SYSTEMD_HELPER
/// set). In a normal run it is skipped.
@Suite struct HelperEntry {
    static var mode: String? { ProcessInfo.processInfo.environment["DOSECAB_SYSTEMD_HELPER"] }
    static var outDir: String { ProcessInfo.processInfo.environment["DOSECAB_HELPER_OUT"] ?? "/tmp" }

    @Test(.enabled(if: HelperEntry.mode != nil, "only as a re-executed helper"))
    func child() throws {
        switch HelperEntry.mode {
        case "journald": try journald()
        case "listen": try listen()
        default: Issue.record("unknown helper mode")
        }
    }

    /// Inside a private mount namespace with empty tmpfs over journald's directories:
    /// write while journald is absent, start journald, check the backlog drains, read back.
    func journald() throws {
        var report = JournaldHelperReport()
        let confirmed = Confirmed()
        let writer = JournalWriter(
            sink: .journald(),
            limits: .init(maxUnsentAge: .milliseconds(200), retryInterval: .milliseconds(50)),
            onWritten: { entry in if let seq = entry.auditSeq { confirmed.append(seq) } }
        )
        report.socketPresentAtStart = access(JournalWriter.defaultSocketPath, F_OK) == 0
        let events = SampleEvents.all
        for event in events { writer.enqueue(event.journalEntry()) }
        var logger = Logger(label: "dosecab.test") { JournalLogHandler(label: $0, writer: writer) }
        logger[metadataKey: "request-id"] = "42"
        logger.warning("ordinary log line", metadata: ["door": "closed"])
        usleep(400_000)
        report.reasonsBeforeJournald = writer.health().reasons.map(\.description)
        report.unsentBeforeJournald = writer.stats.unsent
        report.writtenBeforeJournald = writer.stats.written

        let journald = Process()
        journald.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
        journald.standardOutput = FileHandle.nullDevice
        journald.standardError = FileHandle.nullDevice
        try journald.run()
        defer {
            journald.terminate()
            journald.waitUntilExit()
        }
        for _ in 0..<200 where access(JournalWriter.defaultSocketPath, F_OK) != 0 { usleep(25_000) }
        report.journaldStarted = access(JournalWriter.defaultSocketPath, F_OK) == 0
        writer.retryNow()
        report.flushed = writer.flush(timeout: .seconds(10))
        report.healthAfter = writer.health().description
        report.writtenAfter = writer.stats.written
        report.lastWrittenAuditSeq = writer.stats.lastWrittenAuditSeq
        report.confirmedSeqs = confirmed.values

        // §4a: a stalled journald (SIGSTOP) fills the socket queue; the writer thread
        // blocks, enqueue does not, and health degrades with the age of the oldest entry.
        let stalled = JournalWriter(
            sink: .journald(), limits: .init(maxUnsentAge: .milliseconds(300), retryInterval: .milliseconds(50)))
        kill(journald.processIdentifier, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(journald.processIdentifier, SIGCONT) } }
        let filler = AuditJournalEvent(kind: .admin, message: "filler while journald is stopped").journalEntry()
        let start = ContinuousClock.now
        for _ in 0..<1500 { stalled.enqueue(filler) }
        report.stalledEnqueueMicros = (ContinuousClock.now - start).components.seconds * 1_000_000
            + (ContinuousClock.now - start).components.attoseconds / 1_000_000_000_000
        usleep(600_000)
        report.stalledReasons = stalled.health().reasons.map(\.description)
        report.stalledUnsent = stalled.stats.unsent
        kill(journald.processIdentifier, SIGCONT)
        resumed = true
        report.resumedFlushed = stalled.flush(timeout: .seconds(20))
        report.resumedHealth = stalled.health().description
        report.resumedWritten = stalled.stats.written
        stalled.shutdown()
        writer.shutdown()

        // Outside systemd: this process's uid is the service's.
        let reader = JournalReader(trust: .init(uid: getuid(), unit: nil))
        let releaseID = JournalMessageID.forKind(.release)
        do {
            // journald writes each datagram to its files as it receives it; poll briefly.
            for _ in 0..<100 {
                report.readerEntries = try reader.entries(.init(limit: events.count + 1))
                if report.readerEntries.count >= events.count + 1 { break }
                usleep(50_000)
            }
            report.readerReleaseCount = try reader.entries(.init(messageIDs: [releaseID])).count
            report.readerPatientAndKindCount = try reader.entries(.init(
                fields: [.patient: ["P-0042"], .event: ["hold", "incident"]])).count
            let future = UInt64(Date().timeIntervalSince1970 * 1e6) + 3_600_000_000
            report.readerFutureCount = try reader.entries(.init(sinceRealtimeUsec: future)).count
            report.readerAudit = try reader.auditRecords(sinceRealtimeUsec: nil)
            try forge(&report, reader: reader)
        } catch {
            report.errors.append("\(error)")
        }
        let data = try JSONEncoder().encode(report)
        try data.write(to: URL(fileURLWithPath: HelperEntry.outDir + "/report.json"))
    }

    /// Another local user (uid 65534) sends an entry that claims every field of a dosecabd
    /// audit record, journald's own `_UID` and `_SYSTEMD_UNIT` included (journald drops those).
    /// Needs real root to switch uid; in a user namespace only root is mapped, and it is skipped.
    func forge(_ report: inout JournaldHelperReport, reader: JournalReader) throws {
        let forger: uid_t = 65534
        let fields = [
            "MESSAGE=forged: released 200 mg DAM to patient P-0042", "SYSLOG_IDENTIFIER=\(AuditJournalEvent.syslogIdentifier)",
            "MESSAGE_ID=\(JournalMessageID.forKind(.release))", "DOSECAB_EVENT=release", "DOSECAB_PATIENT=P-0042",
            "DOSECAB_AUDIT_SEQ=999", "DOSECAB_AUDIT_HASH=\(String(repeating: "ab", count: 32))",
            "_UID=\(getuid())", "_SYSTEMD_UNIT=\(JournalReader.Trust.serviceUnit)",
        ]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=\(forger)", "--regid=\(forger)", "--clear-groups", "/usr/bin/logger", "--journald"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(fields.joined(separator: "\n").utf8 + [0x0A]))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        report.forgeStatus = p.terminationStatus
        guard p.terminationStatus == 0 else { return }
        let forged = { (e: [String: String]) in e["MESSAGE"]?.hasPrefix("forged:") == true }
        let asForger = JournalReader(trust: .init(uid: forger, unit: nil))
        for _ in 0..<100 {
            report.forgedSeenFromItsOwnUID = try asForger.entries(.init()).filter(forged).count
            if report.forgedSeenFromItsOwnUID > 0 { break }
            usleep(50_000)
        }
        report.forgedReadAsTheService = try reader.entries(.init()).filter(forged).count
        report.forgedInAuditRecords = try reader.auditRecords(sinceRealtimeUsec: nil)[999] != nil
    }

    /// Under systemd-socket-activate: report what ListenFDs found and answer one client.
    func listen() throws {
        let fd = ListenFDs.controlSocket()
        var text = "fd=\(fd.map(String.init) ?? "none")\n"
        text += "LISTEN_FDS=\(getenv("LISTEN_FDS").map { String(cString: $0) } ?? "unset")\n"
        if let fd {
            let client = accept(fd, nil, nil)
            if client >= 0 {
                _ = "dosecab\n".withCString { write(client, $0, 8) }
                close(client)
                text += "accepted\n"
            }
        }
        try text.write(toFile: HelperEntry.outDir + "/listen.txt", atomically: true, encoding: .utf8)
    }
}

final class Confirmed: @unchecked Sendable {
    private let lock = NSLock()
    private var seqs: [UInt64] = []
    func append(_ s: UInt64) { lock.withLock { seqs.append(s) } }
    var values: [UInt64] { lock.withLock { seqs } }
}
