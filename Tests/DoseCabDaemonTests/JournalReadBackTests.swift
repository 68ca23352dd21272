import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18.9: the start-up read-back must not launder an edit. A journal entry with the same
/// audit sequence number as a store record but another hash is not "lost in a power cut": the
/// store was changed after the record was journaled. It is an alarm (safe, recorded, lockdown)
/// and is never sent again; and the check covers the whole journal of this store's chain, not
/// the re-send window.
extension DriverTests {
    /// The journal's last line that mentions `text`.
    static func journalLine(_ path: String, containing text: String) -> String? {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").last { $0.contains(text) }.map(String.init)
    }

    @Test func readBackDoesNotLaunderAnEditedRecord() async throws {
        let (rig, path, head) = try await Self.readBackRig()
        defer { unlink(path) }
        _ = try await rig.driver.start()
        let plan = try #require(await rig.driver.journalReadBackPlan())
        let stored = try rig.store.auditRecords(fromSeq: 1, limit: Int(head))
        // The journal as the earlier run left it; since then seq 7 was edited in the store (its
        // hash and the chain after it recomputed): the journal still holds the original hash.
        var found: [Int64: String] = [:]
        for r in stored { found[r.seq] = r.hash }
        let journaled = String(repeating: "f", count: 64)
        found[7] = journaled
        for (seq, hash) in plan.probe { found[seq] = hash }
        #expect(rig.journal.flush(timeout: .seconds(2)))
        _ = await rig.driver.finishJournalReadBack(found: found)
        #expect(rig.journal.flush(timeout: .seconds(2)))

        #expect(try Self.sentSeqs(path).filter { $0 <= head }.isEmpty, "the edited record is never sent again")
        let after = try rig.store.auditRecords(fromSeq: head + 1, limit: 1000)
        let alarm = try #require(after.first { $0.event.kind == .alarm && $0.event.fields["reason"] == "journal-mismatch" },
                                 "a hash mismatch is an alarm: \(after.map(\.event.message))")
        let detail = alarm.event.fields["detail"] ?? ""
        #expect(detail.contains("seq 7") && detail.contains(stored[6].hash) && detail.contains(journaled),
                "the alarm names the seq and both hashes: \(detail)")
        #expect(try rig.store.isLockedDown().on, "a broken chain is a lockdown (ARCHITECTURE §4a)")
        #expect(rig.lines.output(.lock) == false)
        let line = try #require(Self.journalLine(path, containing: "ALARM journal-mismatch"), "the alarm is journaled")
        #expect(line.contains("<alert>") || line.contains("<crit>") || line.contains("<err>"), "at error priority or above: \(line)")
        #expect(line.contains("seq 7"))
    }

    @Test func readBackChecksTheWholeJournalNotAWindow() async throws {
        let path = NSTemporaryDirectory() + "dosecab-readback-\(UUID().uuidString.prefix(8)).log"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let rig = try Rig(journalSink: .fileDescriptor(fd))
        // The seed's records are two hours old when an earlier run of the daemon writes more (its
        // start, three refusals, its stop): only those are in the re-send window
        // (`journal.readback-window-seconds`, 900 s).
        rig.clock.advance(millis: 2 * 3600 * 1000)
        try await rig.earlierRun(journalSink: .fileDescriptor(devnull), mirrored: true, events: 3)
        let head = try rig.store.chainHead().lastSeq
        _ = try await rig.driver.start()
        let plan = try #require(await rig.driver.journalReadBackPlan())
        let stored = try rig.store.auditRecords(fromSeq: 1, limit: Int(head))
        #expect(plan.sinceRealtimeUsec <= UInt64(stored[0].event.wallMillis) * 1000, "from the store's first record on")
        var found: [Int64: String] = [:]
        for r in stored { found[r.seq] = r.hash }
        found[2] = String(repeating: "e", count: 64)  // two hours old: outside the window
        for (seq, hash) in plan.probe { found[seq] = hash }
        #expect(rig.journal.flush(timeout: .seconds(2)))
        _ = await rig.driver.finishJournalReadBack(found: found)
        let after = try rig.store.auditRecords(fromSeq: head + 1, limit: 1000)
        let alarm = after.first { $0.event.kind == .alarm && $0.event.fields["reason"] == "journal-mismatch" }
        #expect(alarm?.event.fields["detail"]?.contains("seq 2") == true, "an edit older than the window is found: \(after.map(\.event.message))")
        #expect(try rig.store.isLockedDown().on)
    }
}
