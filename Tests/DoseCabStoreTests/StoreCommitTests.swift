import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

@Suite struct StoreCommitTests {
    @Test func walSynchronousFullAndForeignKeysReadBack() throws {
        let f = try Fixture()
        let (mode, sync, fk) = try f.store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        #expect(fk == 1)
        let readerSync = try f.store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(readerSync == 2)
        #expect(try f.freshConnection().read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func releaseIntentIsVisibleFromAFreshConnectionWhenCommitReturns() throws {
        let f = try Fixture()
        try f.seed()
        let record = try f.store.commit(.releaseIntent(ReleaseID("R-1"), f.plan(at: f.at(minutes: 1))))
        #expect(record.event.kind == .release)
        let other = try f.freshConnection()
        let (state, hash) = try other.read { db in
            (try String.fetchOne(db, sql: "SELECT state FROM dose_release WHERE id = 'R-1'"),
             try String.fetchOne(db, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [record.seq]))
        }
        #expect(state == "intent")
        #expect(hash == record.hash)
    }

    @Test func aRefusedWriteLeavesNothing() throws {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.releaseIntent(ReleaseID("R-1"), f.plan(at: f.at(minutes: 1))))
        let before = try f.snapshot()
        let headBefore = try f.store.chainHead()
        // Not in stock.
        let unknown = storeError { try f.store.commit(.issue(f.unit(UnitSerial("X-999"), release: ReleaseID("R-1"), at: f.at(minutes: 2)))) }
        guard case .unitRefused(_, .unknownSerial, _) = unknown else { Issue.record("got \(String(describing: unknown))"); return }
        // Wrong drug for the release.
        let wrong = storeError { try f.store.commit(.issue(f.unit(f.cup(1), release: ReleaseID("R-1"), drug: .methadone, route: .oral, strength: 50, at: f.at(minutes: 2)))) }
        guard case .unitRefused(_, .unitMismatch, _) = wrong else { Issue.record("got \(String(describing: wrong))"); return }
        // Scan claims another strength than the stock register.
        #expect(storeError { try f.store.commit(.issue(f.unit(f.ampoule(1), release: ReleaseID("R-1"), strength: 50, at: f.at(minutes: 2)))) } != nil)
        // A batch whose second write fails: the first is not kept either.
        #expect(storeError {
            try f.store.commitAll([.issue(f.unit(f.ampoule(1), release: ReleaseID("R-1"), at: f.at(minutes: 2))),
                                   .unitReturned(f.ampoule(2), release: ReleaseID("R-1"), patient: f.patient, at: f.at(minutes: 3))])
        } != nil)
        // A return of a unit never issued; a second intent under the same id.
        #expect(storeError { try f.store.commit(.unitReturned(f.ampoule(3), release: ReleaseID("R-1"), patient: f.patient, at: f.at(minutes: 3))) } != nil)
        #expect(storeError { try f.store.commit(.releaseIntent(ReleaseID("R-1"), f.plan(at: f.at(minutes: 1)))) } != nil)
        #expect(try f.snapshot() == before)
        #expect(try f.store.chainHead() == headBefore)
        // The chain goes on where it was.
        let next = try f.store.commit(.issue(f.unit(f.ampoule(1), release: ReleaseID("R-1"), at: f.at(minutes: 2))))
        #expect(next.seq == headBefore.lastSeq + 1)
        #expect(next.previousHash == headBefore.lastHash)
    }

    @Test func unitCloseOutRules() throws {
        let f = try Fixture()
        try f.seed()
        let r = ReleaseID("R-1")
        try f.store.commit(.releaseIntent(r, f.plan(at: f.at(minutes: 1))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 2))))
        try f.store.commit(.issue(f.unit(f.ampoule(2), release: r, at: f.at(minutes: 2))))
        // A third unit is more than the release's count.
        #expect(storeError { try f.store.commit(.issue(f.unit(f.ampoule(3), release: r, at: f.at(minutes: 2)))) } != nil)
        // The same serial twice.
        let twice = storeError { try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 2)))) }
        guard case .unitRefused(_, .alreadyIssued, _) = twice else { Issue.record("got \(String(describing: twice))"); return }
        try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "door closed", at: f.at(minutes: 3)))
        #expect(storeError { try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "again", at: f.at(minutes: 3))) } != nil)
        // An ampoule closes out by return, not by a witness.
        let witnessed = storeError { try f.store.commit(.unitConsumed(f.ampoule(1), release: r, patient: f.patient, witness: f.nurse, at: f.at(minutes: 4))) }
        guard case .unitRefused(_, .wrongCloseOutRule, _) = witnessed else { Issue.record("got \(String(describing: witnessed))"); return }
        // Another patient's unit.
        let others = storeError { try f.store.commit(.unitReturned(f.ampoule(1), release: r, patient: f.other, at: f.at(minutes: 4))) }
        guard case .unitRefused(_, .anotherPatientsUnit, _) = others else { Issue.record("got \(String(describing: others))"); return }
        try f.store.commit(.unitReturned(f.ampoule(1), release: r, patient: f.patient, at: f.at(minutes: 5)))
        let again = storeError { try f.store.commit(.unitReturned(f.ampoule(1), release: r, patient: f.patient, at: f.at(minutes: 6))) }
        guard case .unitRefused(_, .alreadyClosed, _) = again else { Issue.record("got \(String(describing: again))"); return }
        try f.store.commit(.unitIncident(f.ampoule(2), release: r, patient: f.patient, reason: "deadline passed", at: f.at(minutes: 70)))
        let late = storeError { try f.store.commit(.unitReturned(f.ampoule(2), release: r, patient: f.patient, at: f.at(minutes: 71))) }
        guard case .unitRefused(_, .lateReturn, _) = late else { Issue.record("got \(String(describing: late))"); return }

        let ledger = try f.store.unitLedger(now: f.at(minutes: 80))
        #expect(ledger.isConsistent)
        let line = try f.store.reconciliation(day: f.day)[.diacetylmorphine]
        #expect(line?.issued == 2 && line?.returned == 1 && line?.incidents == 1 && line?.balances == true)
        #expect(try f.store.stockUnit(serial: f.ampoule(1))?.state == .issued)
        #expect(try f.store.stockLevels().first { $0.drug == .diacetylmorphine }?.count == 8)
        #expect(try f.store.verifyAudit() == .intact(records: Int(try f.store.chainHead().lastSeq), head: try f.store.chainHead().lastHash))
    }

    @Test func witnessedConsumption() throws {
        let f = try Fixture()
        try f.seed()
        let r = ReleaseID("R-M")
        try f.store.commit(.releaseIntent(r, f.plan(drug: .methadone, route: .oral, dose: 50, strength: 50, count: 1, at: f.at(minutes: 1))))
        try f.store.commit(.issue(f.unit(f.cup(1), release: r, drug: .methadone, route: .oral, strength: 50, at: f.at(minutes: 2))))
        try f.store.commit(.unitConsumed(f.cup(1), release: r, patient: f.patient, witness: f.nurse, at: f.at(minutes: 3)))
        #expect(try f.store.openUnits().isEmpty)
        #expect(try f.store.reconciliation(day: f.day)[.methadone]?.consumed == 1)
    }

    @Test func pinIsNeverStoredInClear() throws {
        let f = try Fixture()
        try f.seed()
        let stored = try #require(try f.store.patient(card: CardID(format: .h10301, facility: 1, number: 1001)))
        #expect(Fixture.pins.verify(pin: Fixture.patientPIN, against: stored.pin))
        #expect(!Fixture.pins.verify(pin: "58316093", against: stored.pin))
        #expect(stored.pin.salt.count == 16)
        var bytes: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: f.store.path + suffix) { bytes += data }
        }
        let needle = Array(Fixture.patientPIN.utf8)
        #expect(!bytes.isEmpty)
        let found = bytes.count >= needle.count && (0...(bytes.count - needle.count)).contains { i in
            bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
        }
        #expect(!found)
        // Two hashes of one PIN differ (per-user salt).
        #expect(Fixture.pins.hash(pin: "1234") != Fixture.pins.hash(pin: "1234"))
    }

    @Test func credentialsAreKeyedByFormatFacilityAndNumber() throws {
        let f = try Fixture()
        try f.seed()
        #expect(try f.store.patient(card: CardID(format: .h10301, facility: 2, number: 1001)) == nil)
        #expect(try f.store.patient(card: CardID(format: .h10306, facility: 1, number: 1001)) == nil)
        #expect(try f.store.staff(card: CardID(format: .h10306, facility: 7, number: 2))?.role == .clinician)
        // A card already held by a staff member cannot be a patient's.
        let clash = storeError {
            try f.store.enroll(Patient(id: PatientID("P-9"), card: CardID(format: .h10306, facility: 7, number: 1),
                                       pin: Fixture.pins.hash(pin: "1")), by: "x", at: Fixture.t0)
        }
        guard case .conflict = clash else { Issue.record("got \(String(describing: clash))"); return }
        // Replacing a card: the old one no longer identifies the patient.
        try f.store.enroll(Patient(id: f.patient, card: CardID(format: .h10301, facility: 1, number: 5555),
                                   pin: Fixture.pins.hash(pin: "9")), by: "S-01+S-02", at: f.at(minutes: 1))
        #expect(try f.store.patient(card: CardID(format: .h10301, facility: 1, number: 1001)) == nil)
        #expect(try f.store.patient(card: CardID(format: .h10301, facility: 1, number: 5555))?.id == f.patient)
        #expect(try f.store.patients().count == 2)
        #expect(try f.store.staffMembers().map(\.id) == [f.nurse, f.clinician])
    }

    @Test func stockReceiptRefusesDuplicates() throws {
        let f = try Fixture()
        try f.seed()
        let dup = storeError {
            try f.store.commit(.stockReceived([StockUnit(serial: f.ampoule(1), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "B-1", expiry: "2099-12-31")],
                                              by: f.nurse, witness: f.clinician, at: f.at(minutes: 1)))
        }
        guard case .conflict = dup else { Issue.record("got \(String(describing: dup))"); return }
        #expect(try f.store.stockList().count == 15)
        #expect(try f.store.stockLevels() == [
            StockLevel(drug: .diacetylmorphine, route: .injectable, strengthMg: 100, count: 10),
            StockLevel(drug: .methadone, route: .oral, strengthMg: 50, count: 5),
        ])
    }

    @Test func patientHistoryHoldsLockdownAndDecisions() throws {
        let f = try Fixture()
        try f.seed()
        let policy = ClinicPolicy()
        // An old release (10 days ago) and one yesterday; one today that lapsed unused.
        let old = Fixture.t0.advanced(byMillis: -10 * 86_400_000)
        let yesterday = Fixture.t0.advanced(byMillis: -86_400_000)
        try f.store.commit(.releaseIntent(ReleaseID("R-old"), f.plan(at: old)))
        try f.store.commit(.releaseIntent(ReleaseID("R-y"), f.plan(at: yesterday)))
        try f.store.commit(.releaseIntent(ReleaseID("R-lapsed"), f.plan(at: f.at(minutes: 1))))
        try f.store.commit(.releaseCompleted(ReleaseID("R-lapsed"), patient: f.patient, unitsIssued: 0, unitsExpected: 2,
                                             outcome: "window lapsed", at: f.at(minutes: 2)))
        try f.store.commit(.observationCleared(f.patient, by: f.clinician, reason: "seen", release: nil, at: f.at(minutes: 3)))
        try f.store.commit(.reauthorised(f.patient, by: f.clinician, reason: "reviewed", missedDays: 3, at: f.at(minutes: 4)))
        try f.store.commit(.hold(f.patient, reason: "unit A-101 not returned", at: f.at(minutes: 5)))
        var h = try f.store.patientHistory(f.patient, now: f.at(minutes: 10), policy: policy)
        #expect(h.recentReleases.map(\.id) == [ReleaseID("R-y")])
        #expect(h.lastReleaseAt == yesterday)
        #expect(h.observationClearedAt == f.at(minutes: 3))
        #expect(h.reauthorisedAt == f.at(minutes: 4))
        #expect(h.hold == "unit A-101 not returned")
        #expect(try f.store.holds().map(\.patient) == [f.patient])
        #expect(storeError { try f.store.commit(.holdCleared(f.other, by: f.clinician, reason: "x", at: f.at(minutes: 6))) } != nil)
        try f.store.commit(.holdCleared(f.patient, by: f.clinician, reason: "returned late", at: f.at(minutes: 6)))
        h = try f.store.patientHistory(f.patient, now: f.at(minutes: 10), policy: policy)
        #expect(h.hold == nil)
        #expect(try f.store.holds().isEmpty)

        #expect(try f.store.isLockedDown().on == false)
        try f.store.commit(.lockdown(on: true, reason: "tamper", by: "S-02", at: f.at(minutes: 7)))
        #expect(try f.store.isLockedDown() == (true, "tamper"))
        try f.store.commit(.lockdown(on: false, reason: "checked", by: "S-02", at: f.at(minutes: 8)))
        #expect(try f.store.isLockedDown().on == false)
        #expect(try f.store.newestLedgerWallMillis() == f.at(minutes: 8).wallMillis)
        #expect(try f.store.releases(since: yesterday.wallMillis).map(\.id) == [ReleaseID("R-y"), ReleaseID("R-lapsed")])
    }

    @Test func diskFullGivesAClearErrorAndNoRelease() throws {
        let f = try Fixture()
        try f.seed()
        let pages = try f.store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") } ?? 0
        let full = try Fixture(maxPageCount: pages, directory: f.directory)
        // Fill the audit table's last page so the next record needs a new page the file may not have.
        var size = 2000
        var filled = 0
        while size >= 50 && filled < 10_000 {
            do {
                try full.store.commit(.admin(action: "filler", detail: String(repeating: "x", count: size), actor: "test", at: f.at(minutes: 1)))
                filled += 1
            } catch {
                size /= 2
            }
        }
        let before = try full.snapshot()
        let error = storeError { try full.store.commit(.releaseIntent(ReleaseID("R-full"), f.plan(at: f.at(minutes: 2)))) }
        #expect(error?.description.hasPrefix("store: cannot commit:") == true)
        #expect(error?.description.contains("SQLITE_FULL") == true)
        #expect(try full.store.release(id: ReleaseID("R-full")) == nil)
        #expect(try full.snapshot() == before)
        #expect(try full.store.verifyAudit().description.hasPrefix("audit chain intact"))
    }

    @Test func concurrentWritersKeepOneUnbrokenChain() throws {
        let f = try Fixture()
        try f.seed()
        let start = try f.store.chainHead().lastSeq
        let store = f.store
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<25 {
                do {
                    try store.commit(.admin(action: "note", detail: "worker \(worker) write \(i)", actor: "test", at: Fixture.t0))
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try f.store.chainHead().lastSeq == start + 100)
        #expect(try f.store.verifyAudit() == .intact(records: Int(start) + 100, head: try f.store.chainHead().lastHash))
    }

    @Test func aStateDirectoryThatIsAFileCannotOpen() throws {
        let parent = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let path = parent + "/not-a-dir"
        _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        let error = storeError { _ = try Store(directory: path, calendar: ClinicCalendar()) }
        guard case .cannotOpen = error else { Issue.record("got \(String(describing: error))"); return }
    }
}
