import DoseCabCore
@testable import DoseCabSystemd
import Foundation
import Glibc
import Testing

/// Tests against a real journald that the test starts itself in a private mount and PID
/// namespace (MACHINE-FACTS: tmpfs over /run/systemd, /run/log, /var/log/journal). The
/// writer runs in a re-executed copy of this test binary inside that namespace; the PID
/// namespace ends with its shell, so no journald is left behind.
@Suite(.serialized) struct RealJournaldTests {
    struct Run {
        let report: JournaldHelperReport
        let journal: [[String: String]]
        let log: String
    }

    static func runInNamespace() throws -> Run {
        let dir = try TestSupport.tempDir()
        defer { TestSupport.remove(dir) }
        let script = """
            set -e
            mount -t tmpfs tmpfs /run/systemd
            mount -t tmpfs tmpfs /run/log
            mount -t tmpfs tmpfs /var/log/journal
            "$0" \(TestSupport.helperArguments.joined(separator: " ")) > "$DOSECAB_HELPER_OUT/helper.log" 2>&1 \
              || echo "helper exited $?" >> "$DOSECAB_HELPER_OUT/helper.log"
            journalctl -o json --no-pager SYSLOG_IDENTIFIER=dosecabd _UID=0 > "$DOSECAB_HELPER_OUT/journal.json"
            """
        // As root a mount namespace is enough; otherwise map ourselves to root in a user ns.
        let userNS = geteuid() == 0 ? [] : ["--user", "--map-root-user"]
        let out = try TestSupport.run(
            ["/usr/bin/unshare"] + userNS + ["--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc",
             "/bin/sh", "-c", script, TestSupport.testBinary],
            environment: ["DOSECAB_SYSTEMD_HELPER": "journald", "DOSECAB_HELPER_OUT": dir],
            timeout: 90
        )
        let log = ((try? String(contentsOfFile: dir + "/helper.log", encoding: .utf8)) ?? "") + out.stderr
        guard out.status == 0,
              let data = FileManager.default.contents(atPath: dir + "/report.json")
        else {
            throw HelperFailed(detail: "status \(out.status)\n\(log)")
        }
        let report = try JSONDecoder().decode(JournaldHelperReport.self, from: data)
        let json = (try? String(contentsOfFile: dir + "/journal.json", encoding: .utf8)) ?? ""
        return Run(report: report, journal: TestSupport.parseJournalJSON(json), log: log)
    }

    struct HelperFailed: Error, CustomStringConvertible {
        let detail: String
        var description: String { "journald helper failed: \(detail)" }
    }

    @Test func auditEventsReachJournaldFieldByFieldAndNothingIsLostWhileItIsAbsent() throws {
        let run = try Self.runInNamespace()
        let r = run.report
        let events = SampleEvents.all

        // Before journald: nothing written, nothing lost, health degraded by socket and age.
        #expect(!r.socketPresentAtStart)
        #expect(r.writtenBeforeJournald == 0)
        #expect(r.unsentBeforeJournald == events.count + 1)
        #expect(r.reasonsBeforeJournald.contains { $0.contains("socket") && $0.contains("missing") })
        #expect(r.reasonsBeforeJournald.contains { $0.contains("oldest unsent") })

        // journald came: the backlog drained, in order, and the writer confirmed each.
        #expect(r.journaldStarted)
        #expect(r.flushed)
        #expect(r.healthAfter == "healthy")
        #expect(r.writtenAfter == UInt64(events.count + 1))
        #expect(r.lastWrittenAuditSeq == events.compactMap(\.auditSeq).max())
        #expect(r.confirmedSeqs == events.compactMap(\.auditSeq))
        #expect(r.errors.isEmpty, "\(r.errors)")

        // journalctl -o json shows every field of every entry exactly as sent.
        let audit = run.journal.filter { $0["DOSECAB_EVENT"] != nil && $0["MESSAGE"] != "filler while journald is stopped" }
        try #require(audit.count == events.count, "journal:\n\(run.journal)\nlog:\n\(run.log)")
        for (event, got) in zip(events, audit) {
            for field in event.journalEntry().fields {
                #expect(got[field.name.name] == field.text, "\(event.kind) \(field.name)")
            }
        }
        // The release, pinned literally, so a field dropped from journalEntry() fails here too.
        let release = audit[0]
        #expect(release["MESSAGE_ID"] == "47686d4e4a2240219b94b7cb1daca31f")
        #expect(release["PRIORITY"] == "5")
        #expect(release["SYSLOG_IDENTIFIER"] == "dosecabd")
        #expect(release["DOSECAB_EVENT"] == "release")
        #expect(release["DOSECAB_RELEASE_ID"] == "R-2026-0001")
        #expect(release["DOSECAB_PATIENT"] == "P-0042")
        #expect(release["DOSECAB_STAFF"] == "S-007")
        #expect(release["DOSECAB_DRUG"] == "diacetylmorphine")
        #expect(release["DOSECAB_ROUTE"] == "injectable")
        #expect(release["DOSECAB_DOSE_MG"] == "200")
        #expect(release["DOSECAB_AMPOULE"] == "AMP-123456")
        #expect(release["DOSECAB_PRESCRIPTION"] == "RX-88")
        #expect(release["DOSECAB_REASON"] == "all rules passed\nwitness: S-007 (sober)")
        #expect(release["DOSECAB_AUDIT_SEQ"] == "41")
        #expect(release["DOSECAB_AUDIT_HASH"] == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        #expect(release["MESSAGE"] == "Released 200 mg DAM (injectable) to patient P-0042")

        // The log line: priority, code location, metadata as valid fields.
        let line = try #require(run.journal.first { $0["MESSAGE"] == "ordinary log line" })
        #expect(line["PRIORITY"] == "4")
        #expect(line["CODE_FILE"]?.hasSuffix("HelperEntry.swift") == true)
        #expect(line["CODE_FUNC"]?.hasPrefix("journald") == true)
        #expect(Int(line["CODE_LINE"] ?? "") ?? 0 > 0)
        #expect(line["REQUEST_ID"] == "42")
        #expect(line["DOOR"] == "closed")
        #expect(line["LOGGER"] == "dosecab.test")
        #expect(line["DOSECAB_EVENT"] == nil)

        // JournalReader (sd_journal_*) sees the same entries and its matches work.
        #expect(r.readerEntries.count == events.count + 1)
        #expect(r.readerEntries.first?["DOSECAB_RELEASE_ID"] == "R-2026-0001")
        #expect(r.readerEntries.first?["__REALTIME_TIMESTAMP"] != nil)
        #expect(r.readerReleaseCount == 1)
        #expect(r.readerPatientAndKindCount == 2)
        #expect(r.readerFutureCount == 0)
        // What the daemon's start-up read-back compares with its store: every audit entry's
        // seq with its hash, log lines (no DOSECAB_AUDIT_SEQ) left out.
        var expectedAudit: [Int64: String] = [:]
        for e in events { if let seq = e.auditSeq, let hash = e.auditHash { expectedAudit[Int64(seq)] = hash } }
        #expect(!expectedAudit.isEmpty)
        #expect(r.readerAudit == expectedAudit)

        // Issue 18.10: an entry another local user sent with SYSLOG_IDENTIFIER=dosecabd and every
        // field of an audit record (journald's own _UID and _SYSTEMD_UNIT claimed too) reaches
        // the journal, and the service's reader ignores it, in `log` and in the read-back.
        if geteuid() == 0 {
            #expect(r.forgeStatus == 0, "logger --journald as uid 65534: \(r.forgeStatus)\n\(run.log)")
            #expect(r.forgedSeenFromItsOwnUID == 1, "the forged entry did not reach journald")
            #expect(r.forgedReadAsTheService == 0, "the reader returned the forged entry")
            #expect(!r.forgedInAuditRecords, "the read-back took the forged entry for an audit record")
        }

        // journald stopped (SIGSTOP): enqueue stayed fast, entries waited, health degraded
        // by age; after SIGCONT everything was written and health recovered.
        #expect(r.stalledEnqueueMicros >= 0 && r.stalledEnqueueMicros < 200_000, "\(r.stalledEnqueueMicros) µs")
        #expect(r.stalledUnsent > 0)
        #expect(r.stalledReasons.contains { $0.contains("oldest unsent") }, "\(r.stalledReasons)")
        #expect(!r.stalledReasons.contains { $0.contains("missing") }, "socket-activated journald: the socket is there")
        #expect(r.resumedFlushed)
        #expect(r.resumedHealth == "healthy")
        #expect(r.resumedWritten == 1500)
        #expect(run.journal.filter { $0["MESSAGE"] == "filler while journald is stopped" }.count == 1500)
    }
}
