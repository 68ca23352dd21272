import DoseCabCore
@testable import DoseCabSystemd
import Foundation
import Glibc
import Logging
import Testing

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanos: UInt64 = 1_000_000_000
    func now() -> UInt64 { lock.withLock { nanos } }
    func advance(_ d: Duration) {
        lock.withLock { nanos += UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000) }
    }
}

@Suite struct JournalWriterTests {
    @Test func absentJournaldLosesNothingAndHealthDegradesWithAge() throws {
        let dir = try TestSupport.tempDir()
        defer { TestSupport.remove(dir) }
        let clock = ManualClock()
        let writer = JournalWriter(
            sink: .journald(socketPath: dir + "/no-journald-here"),
            limits: .init(capacity: 16, maxUnsentAge: .seconds(5), maxQueued: 8, retryInterval: .milliseconds(10)),
            clock: clock.now
        )
        defer { writer.shutdown(timeout: .seconds(1)) }
        // Missing socket alone is degraded, even before anything waits.
        #expect(writer.health().reasons == [.socketMissing(path: dir + "/no-journald-here")])

        for event in SampleEvents.all.prefix(3) { #expect(writer.enqueue(event.journalEntry())) }
        usleep(100_000)  // ~10 retries
        let stats = writer.stats
        #expect(stats.unsent == 3)
        #expect(stats.written == 0)
        #expect(stats.failedAttempts >= 2)
        #expect(stats.oldestUnsentAuditSeq == 41)
        #expect(stats.lastWrittenAuditSeq == nil)
        #expect(stats.lastError?.contains("missing") == true)

        #expect(!writer.health().reasons.contains { if case .oldestUnsentTooOld = $0 { true } else { false } })
        clock.advance(.seconds(6))
        let reasons = writer.health().reasons
        #expect(reasons.contains(.oldestUnsentTooOld(age: .seconds(6), limit: .seconds(5))))
        #expect(reasons.contains(.socketMissing(path: dir + "/no-journald-here")))
        #expect(!writer.flush(timeout: .milliseconds(50)))
        // Shutdown reports that entries stayed unsent.
        #expect(!writer.shutdown(timeout: .seconds(1)))
        #expect(writer.stats.unsent == 3)
        #expect(writer.health().reasons.contains(.stopped))
    }

    @Test func fullQueueRefusesWithoutBlockingAndSaysSo() throws {
        let dir = try TestSupport.tempDir()
        defer { TestSupport.remove(dir) }
        let writer = JournalWriter(
            sink: .journald(socketPath: dir + "/absent"),
            limits: .init(capacity: 4, maxQueued: 3, logLinesUpTo: 2, retryInterval: .seconds(10))
        )
        defer { writer.shutdown(timeout: .seconds(1)) }
        let entry = SampleEvents.release.journalEntry()
        #expect(writer.enqueueLog(entry))
        #expect(writer.enqueueLog(entry))
        #expect(!writer.enqueueLog(entry), "log lines may not take the room audit events need")
        #expect(writer.enqueue(entry))
        #expect(writer.enqueue(entry))
        let start = ContinuousClock.now
        #expect(!writer.enqueue(entry))
        #expect(ContinuousClock.now - start < .milliseconds(50))
        #expect(writer.stats.refused == 2)
        let reasons = writer.health().reasons
        #expect(reasons.contains(.queueTooFull(count: 4, limit: 3)))
        #expect(reasons.contains(.entriesRefused(count: 2)))
    }

    @Test func streamSinkWritesReadableLinesAndConfirmsEachEntry() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let confirmed = Confirmed()
        let writer = JournalWriter(sink: .fileDescriptor(fds[1]), onWritten: { e in
            if let s = e.auditSeq { confirmed.append(s) }
        })
        let events = SampleEvents.all.prefix(3)
        for e in events { #expect(writer.enqueue(e.journalEntry())) }
        #expect(writer.flush(timeout: .seconds(5)))
        #expect(writer.shutdown(timeout: .seconds(1)))
        close(fds[1])
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == events.map { $0.journalEntry().readableLine() })
        #expect(lines.first?.hasPrefix("dosecabd <notice> release: Released 200 mg") == true)
        #expect(confirmed.values == [41, 42, 43])
        let stats = writer.stats
        #expect(stats.written == 3 && stats.unsent == 0 && stats.lastWrittenAuditSeq == 43)
        #expect(writer.health().reasons == [.stopped])
    }

    @Test func healthyWhenKeepingUp() throws {
        let fd = open("/dev/null", O_WRONLY)
        defer { close(fd) }
        let writer = JournalWriter(sink: .fileDescriptor(fd))
        defer { writer.shutdown() }
        for e in SampleEvents.all { writer.enqueue(e.journalEntry()) }
        #expect(writer.flush(timeout: .seconds(5)))
        #expect(writer.health() == .healthy)
    }

    @Test func logHandlerMapsLevelLocationAndMetadata() {
        let fd = open("/dev/null", O_WRONLY)
        defer { close(fd) }
        let writer = JournalWriter(sink: .fileDescriptor(fd))
        defer { writer.shutdown() }
        var handler = JournalLogHandler(label: "dosecab.daemon", writer: writer)
        handler[metadataKey: "release-id"] = "R-1"
        let entry = handler.entry(for: LogEvent(
            level: .error, message: "lock fault", metadata: ["MESSAGE": "spoof", "dosecab_event": "x", "9": "nine"],
            source: "DoseCabDaemon", file: "Sources/DoseCabDaemon/Cabinet.swift", function: "energise()", line: 120
        ))
        #expect(entry[.message] == "lock fault")
        #expect(entry[.priority] == "3")
        #expect(entry[.syslogIdentifier] == "dosecabd")
        #expect(entry[.codeFile] == "Sources/DoseCabDaemon/Cabinet.swift")
        #expect(entry[.codeLine] == "120")
        #expect(entry[.codeFunc] == "energise()")
        #expect(entry[try! JournalField("RELEASE_ID")] == "R-1")
        #expect(entry[try! JournalField("META_MESSAGE")] == "spoof")
        #expect(entry[try! JournalField("META_DOSECAB_EVENT")] == "x")
        #expect(entry[try! JournalField("META_9")] == "nine")
        #expect(entry.fields.filter { $0.name == .message }.count == 1)
        #expect(entry[.event] == nil)
        #expect(JournalLogHandler.priority(.trace) == .debug)
        #expect(JournalLogHandler.priority(.critical) == .critical)
    }
}
