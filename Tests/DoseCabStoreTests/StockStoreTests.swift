import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

/// Issue #11 in the store: each stock record with its audit record in one transaction, the
/// stock balance from independent tables, and what the daily register shows.
@Suite struct StockStoreTests {
    static let kind100 = StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 100)
    static let kind50 = StockKind(drug: .methadone, route: .oral, strengthMg: 50)

    func staff(_ f: Fixture) throws -> (nurse: Staff, clinician: Staff, admin: Staff, admin2: Staff) {
        let admin = Staff(id: StaffID("S-04"), role: .admin, card: CardID(format: .h10306, facility: 7, number: 4), pin: Fixture.pins.hash(pin: "4444"))
        let admin2 = Staff(id: StaffID("S-05"), role: .admin, card: CardID(format: .h10306, facility: 7, number: 5), pin: Fixture.pins.hash(pin: "5555"))
        try f.store.enroll(admin, by: "test", at: Fixture.t0)
        try f.store.enroll(admin2, by: "test", at: Fixture.t0)
        return (try #require(try f.store.staff(id: f.nurse)), try #require(try f.store.staff(id: f.clinician)), admin, admin2)
    }

    @Test func receiptKeepsBatchAndExpiryAndRefusesBadInputWhole() throws {
        let f = try Fixture()
        try f.seed()
        let unit = try #require(try f.store.stockUnit(serial: f.ampoule(1)))
        #expect(unit.unit.batch == "B-1" && unit.unit.expiry == "2099-12-31")
        let before = try f.snapshot()
        let good = StockUnit(serial: UnitSerial("N-1"), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "L-9", expiry: "2027-01-01")
        for bad in [StockUnit(serial: UnitSerial("N-2"), drug: .diacetylmorphine, route: .injectable, strengthMg: 100),
                    StockUnit(serial: UnitSerial("N-2"), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "L-9", expiry: "2026-03-01")] {
            let error = storeError { try f.store.commit(.stockReceived([good, bad], by: f.nurse, witness: f.clinician, at: Fixture.t0)) }
            guard case .invalidInput(let why) = error else { Issue.record("accepted: \(String(describing: error))"); continue }
            #expect(why.contains("missing-batch") || why.contains("expired"))
        }
        #expect(try f.snapshot() == before)
        let record = try f.store.commit(.stockReceived([good], by: f.nurse, witness: f.clinician, at: Fixture.t0))
        #expect(record.event.kind == .receipt && record.event.fields["batch"] == "L-9 exp 2027-01-01" && record.event.fields["witness"] == "S-02")
    }

    @Test func countsAreOwedFromTheFirstReceiptThenFromTheLastCount() throws {
        let f = try Fixture()
        #expect(try f.store.countsOwedSinceWall() == nil, "nothing received, nothing to count")
        try f.seed()
        let firstReceipt = try #require(try f.store.read { db in try Int64.fetchOne(db, sql: "SELECT min(received_wall) FROM stock_unit") })
        #expect(try f.store.countsOwedSinceWall() == firstReceipt)
        try f.store.commit(.stockReceived([StockUnit(serial: UnitSerial("L-1"), drug: .methadone, route: .oral, strengthMg: 50,
                                                     batch: "L", expiry: "2099-01-01")], by: f.nurse, witness: f.clinician, at: f.at(minutes: 30)))
        #expect(try f.store.countsOwedSinceWall() == firstReceipt, "a later receipt does not move it")
        let s = try staff(f)
        let kinds = try f.store.startCount(id: "C-1", by: s.nurse, witness: s.clinician, at: f.at(minutes: 40)).0.kinds
        let levels = Dictionary(uniqueKeysWithValues: try f.store.stockLevels().map { (StockKind(drug: $0.drug, route: $0.route, strengthMg: $0.strengthMg), $0.count) })
        _ = try f.store.enterCount(id: "C-1", entered: Dictionary(uniqueKeysWithValues: kinds.map { ($0, levels[$0] ?? 0) }),
                                   by: s.nurse.id, witness: s.clinician.id, at: f.at(minutes: 45), policy: ClinicPolicy()) { "D-\($0)" }
        #expect(try f.store.countsOwedSinceWall() == f.at(minutes: 45).wallMillis)
    }

    @Test func expiredStockIsNotReleasableAndItsIssueIsRefused() throws {
        let f = try Fixture()
        try f.seed()
        // Received the day before it expires; released the day after.
        let soon = StockUnit(serial: UnitSerial("E-1"), drug: .diacetylmorphine, route: .injectable, strengthMg: 500, batch: "L-1", expiry: "2026-03-02")
        try f.store.commit(.stockReceived([soon], by: f.nurse, witness: f.clinician, at: Fixture.t0))
        let tomorrow = f.at(minutes: 24 * 60)
        #expect(try f.store.stockLevels(releasableOn: f.day).contains { $0.strengthMg == 500 })
        #expect(try !f.store.stockLevels(releasableOn: f.day + 1).contains { $0.strengthMg == 500 })
        #expect(try f.store.stockLevels().contains { $0.strengthMg == 500 })
        let r = ReleaseID("R-E")
        try f.store.commit(.releaseIntent(r, f.plan(dose: 500, strength: 500, count: 1, at: tomorrow)))
        let error = storeError { try f.store.commit(.issue(f.unit(soon.serial, release: r, strength: 500, at: tomorrow))) }
        guard case .unitRefused(_, .expired, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(try f.store.stockUnit(serial: soon.serial)?.state == .inStock)
    }

    @Test func blindCountMismatchOpensADiscrepancyInTheSameTransactionAndALossWritesOffTheNamedUnits() throws {
        let f = try Fixture()
        try f.seed()
        let s = try staff(f)
        let (sheet, started) = try f.store.startCount(id: "C-1", by: s.nurse, witness: s.clinician, at: f.at(minutes: 1))
        #expect(sheet.kinds == [Self.kind100, Self.kind50] && started.event.kind == .count)
        // A second count cannot start while one is open.
        #expect(storeError { _ = try f.store.startCount(id: "C-2", by: s.nurse, witness: s.clinician, at: f.at(minutes: 1)) } != nil)
        // Entered by others than the counters: refused, nothing written.
        let before = try f.snapshot()
        let wrong = storeError {
            _ = try f.store.enterCount(id: "C-1", entered: [Self.kind100: 10, Self.kind50: 5], by: s.nurse.id, witness: s.admin.id,
                                       at: f.at(minutes: 5), policy: ClinicPolicy()) { "D-\($0)" }
        }
        guard case .stockRefused(let refused) = wrong else { Issue.record("\(String(describing: wrong))"); return }
        #expect(refused.refusals.map(\.reason) == [.notTheCounters])
        #expect(try f.snapshot() == before)

        let head = try f.store.chainHead().lastSeq
        let result = try f.store.enterCount(id: "C-1", entered: [Self.kind100: 8, Self.kind50: 5], by: s.clinician.id, witness: s.nurse.id,
                                            at: f.at(minutes: 5), policy: ClinicPolicy()) { "D-\($0)" }
        #expect(result.records.map(\.event.kind) == [.count, .discrepancy])
        #expect(result.records.map(\.seq) == [head + 1, head + 2])
        #expect(result.discrepancies.map(\.shortfall) == [2])
        #expect(try f.store.discrepancies().map(\.id) == ["D-1"])
        #expect(try f.store.openCount() == nil && f.store.lastCount()?.matched == false)

        // A loss names exactly the two missing units of that kind, in stock.
        let one = storeError {
            _ = try f.store.resolveDiscrepancy(id: "D-1", resolution: .loss, note: "not found", by: s.nurse, witness: s.clinician,
                                               writeOff: [f.ampoule(9)], at: f.at(minutes: 30))
        }
        guard case .stockRefused = one else { Issue.record("\(String(describing: one))"); return }
        let same = storeError {
            _ = try f.store.resolveDiscrepancy(id: "D-1", resolution: .loss, note: "not found", by: s.nurse, witness: s.nurse,
                                               writeOff: [f.ampoule(9), f.ampoule(10)], at: f.at(minutes: 30))
        }
        guard case .stockRefused = same else { Issue.record("\(String(describing: same))"); return }
        let record = try f.store.resolveDiscrepancy(id: "D-1", resolution: .loss, note: "not found after search", by: s.nurse,
                                                    witness: s.clinician, writeOff: [f.ampoule(9), f.ampoule(10)], at: f.at(minutes: 30))
        #expect(record.event.kind == .discrepancyResolved && record.event.fields["units"] == "A-109,A-110")
        #expect(try f.store.stockUnit(serial: f.ampoule(9))?.state == .lost)
        #expect(try f.store.discrepancies().isEmpty)
        let balance = try f.store.stockBalance()
        #expect(balance[Self.kind100] == StockBalance(loaded: 10, inCabinet: 8, issued: 0, returnedToStock: 0, wasted: 0, lost: 2))
        #expect(balance.values.allSatisfy { $0.balances })

        // The register shows the count, the discrepancy and its resolution, and the balance.
        let register = try f.store.dailyRegister(day: f.day)
        #expect(register.entries.map(\.event).filter { $0.contains("count") || $0.contains("discrepancy") }
                == ["count-mismatch", "discrepancy", "discrepancy-resolved"])
        #expect(register.stockBalances && register.openDiscrepancies.isEmpty)
        #expect(register.render(format: .text, calendar: f.calendar).contains("diacetylmorphine/injectable/100: 10 = 8 + 0 - 0 + 0 + 2  ok"))
        #expect(try f.store.verifyAudit() == .intact(records: Int(try f.store.chainHead().lastSeq), head: try f.store.chainHead().lastHash))
    }

    /// A kind with an open discrepancy is not counted again, so the same shortfall cannot open a
    /// second discrepancy and be written off twice (review of #11, finding 3).
    @Test func aShortfallCannotBeWrittenOffTwice() throws {
        let f = try Fixture()
        try f.seed()
        let s = try staff(f)
        func count(_ id: String, at minute: Int64, _ figures: [StockKind: Int]) throws -> [Discrepancy] {
            let (sheet, _) = try f.store.startCount(id: id, by: s.nurse, witness: s.clinician, at: f.at(minutes: minute))
            return try f.store.enterCount(id: id, entered: figures.filter { sheet.kinds.contains($0.key) }, by: s.nurse.id,
                                          witness: s.clinician.id, at: f.at(minutes: minute + 1), policy: ClinicPolicy()) { "D-\(id)-\($0)" }.discrepancies
        }
        #expect(try count("C-1", at: 1, [Self.kind100: 9, Self.kind50: 5]).map(\.shortfall) == [1])
        // The next count leaves the unresolved kind off its sheet: no second discrepancy.
        let (sheet, _) = try f.store.startCount(id: "C-2", by: s.nurse, witness: s.clinician, at: f.at(minutes: 10))
        #expect(sheet.kinds == [Self.kind50])
        _ = try f.store.enterCount(id: "C-2", entered: [Self.kind50: 5], by: s.nurse.id, witness: s.clinician.id,
                                   at: f.at(minutes: 11), policy: ClinicPolicy()) { "D-C-2-\($0)" }
        #expect(try f.store.discrepancies().count == 1)
        _ = try f.store.resolveDiscrepancy(id: "D-C-1-1", resolution: .loss, note: "gone", by: s.nurse, witness: s.clinician,
                                           writeOff: [f.ampoule(10)], at: f.at(minutes: 20))
        // Resolved: the kind is counted again, and now matches.
        #expect(try count("C-3", at: 30, [Self.kind100: 9, Self.kind50: 5]).isEmpty)
        #expect(try f.store.stockBalance()[Self.kind100] == StockBalance(loaded: 10, inCabinet: 9, issued: 0, returnedToStock: 0, wasted: 0, lost: 1))

        // With every kind unresolved a count is refused with its reason, nothing written.
        _ = try count("C-4", at: 40, [Self.kind100: 8, Self.kind50: 4])
        let before = try f.snapshot()
        let error = storeError { _ = try f.store.startCount(id: "C-5", by: s.nurse, witness: s.clinician, at: f.at(minutes: 50)) }
        guard case .stockRefused(let refused) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(refused.refusals.map(\.reason) == [.discrepancyOpen])
        #expect(try f.snapshot() == before)
    }

    /// Stock does not move while a count is open (its expected figures cannot change under the
    /// counters' hands); a count does not start while a release is open; two people can cancel a
    /// count nobody finishes (review of #11, finding 4).
    @Test func stockDoesNotMoveDuringACountAndTwoPeopleCanCancelIt() throws {
        let f = try Fixture()
        try f.seed()
        let s = try staff(f)
        // A release still open: no count.
        let r = ReleaseID("R-1")
        try f.store.commit(.releaseIntent(r, f.plan(dose: 100, count: 1, at: f.at(minutes: 1))))
        let busy = storeError { _ = try f.store.startCount(id: "C-0", by: s.nurse, witness: s.clinician, at: f.at(minutes: 2)) }
        guard case .stockRefused(let whyBusy) = busy else { Issue.record("\(String(describing: busy))"); return }
        #expect(whyBusy.refusals.map(\.reason) == [.releaseOpen])
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 2))))
        try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 1, unitsExpected: 1, outcome: "door closed", at: f.at(minutes: 3)))

        _ = try f.store.startCount(id: "C-1", by: s.nurse, witness: s.clinician, at: f.at(minutes: 4))
        let before = try f.snapshot()
        let fresh = StockUnit(serial: UnitSerial("N-1"), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "L", expiry: "2099-01-01")
        for move in [LedgerWrite.stockReceived([fresh], by: f.nurse, witness: f.clinician, at: f.at(minutes: 5)),
                     .waste(release: nil, serial: f.ampoule(2), mg: 100, by: f.nurse, witness: f.clinician, reason: "broken", at: f.at(minutes: 5))] {
            let error = storeError { try f.store.commit(move) }
            guard case .stockRefused(let why) = error else { Issue.record("moved during a count: \(String(describing: error))"); continue }
            #expect(why.refusals.map(\.reason) == [.countInProgress])
        }
        #expect(try f.snapshot() == before)

        // Cancelling: two different people, a reason, the open count's id.
        func refusal(_ body: () throws -> Void) -> [RefusalReason] {
            if case .stockRefused(let why) = storeError(body) { return why.refusals.map(\.reason) }
            return []
        }
        #expect(refusal { _ = try f.store.cancelCount(id: "C-1", reason: "x", by: s.nurse, witness: s.nurse, at: f.at(minutes: 6)) } == [.samePerson])
        #expect(refusal { _ = try f.store.cancelCount(id: "C-1", reason: "", by: s.nurse, witness: s.admin, at: f.at(minutes: 6)) } == [.noReason])
        #expect(refusal { _ = try f.store.cancelCount(id: "C-9", reason: "x", by: s.nurse, witness: s.admin, at: f.at(minutes: 6)) } == [.countNotOpen])
        #expect(try f.snapshot() == before)
        let record = try f.store.cancelCount(id: "C-1", reason: "called to an emergency", by: s.admin, witness: s.clinician, at: f.at(minutes: 6))
        #expect(record.event.kind == .count && record.event.fields["state"] == "cancelled" && record.event.fields["staff"] == "S-04")
        #expect(try f.store.openCount() == nil)
        #expect(storeError { _ = try f.store.enterCount(id: "C-1", entered: [Self.kind100: 9, Self.kind50: 5], by: s.nurse.id,
                                                        witness: s.clinician.id, at: f.at(minutes: 7), policy: ClinicPolicy()) { "D-\($0)" } } != nil)
        // Stock moves again, and a new count may start.
        try f.store.commit(.stockReceived([fresh], by: f.nurse, witness: f.clinician, at: f.at(minutes: 8)))
        _ = try f.store.startCount(id: "C-2", by: s.nurse, witness: s.clinician, at: f.at(minutes: 9))
        #expect(try f.store.openCount()?.id == "C-2")
        #expect(try f.store.verifyAudit() == .intact(records: Int(try f.store.chainHead().lastSeq), head: try f.store.chainHead().lastHash))
    }

    @Test func theBalanceComesFromIndependentTablesSoATamperedStoreDoesNotBalance() throws {
        let f = try Fixture()
        try f.seed()
        try f.store.commit(.waste(release: nil, serial: f.ampoule(3), mg: 100, by: f.nurse, witness: f.clinician,
                                  reason: "broken: dropped", at: f.at(minutes: 2)))
        let r = ReleaseID("R-1")
        try f.store.commit(.releaseIntent(r, f.plan(dose: 100, count: 1, at: f.at(minutes: 3))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 4))))
        var balance = try f.store.stockBalance()[Self.kind100]
        #expect(balance == StockBalance(loaded: 10, inCabinet: 8, issued: 1, returnedToStock: 0, wasted: 1, lost: 0))
        #expect(try f.store.dailyRegister(day: f.day).stockBalances)
        // Behind the store's back: the wasted ampoule is put back "in stock".
        try f.store.pool.write { db in try db.execute(sql: "UPDATE stock_unit SET state = 'in-stock' WHERE serial = ?", arguments: [f.ampoule(3).rawValue]) }
        balance = try f.store.stockBalance()[Self.kind100]
        #expect(balance?.balances == false)
        let register = try f.store.dailyRegister(day: f.day)
        #expect(!register.stockBalances && register.render(format: .text, calendar: f.calendar).contains("DOES NOT BALANCE"))
    }

    @Test func overrideIsUsedOnceByItsReleaseAndReviewedByASecondAdmin() throws {
        let f = try Fixture()
        try f.seed()
        let s = try staff(f)
        let o = try OverrideRules.open(id: "O-1", patient: f.patient, drug: .diacetylmorphine, route: .injectable, doseMg: 100,
                                       minutes: 30, reason: "rx server down", by: s.admin, second: s.nurse, at: f.at(minutes: 1),
                                       policy: ClinicPolicy()).get()
        #expect(try f.store.commit(.overrideOpened(o)).event.kind == .override)
        #expect(try f.store.usableOverride(for: f.patient, now: f.at(minutes: 2))?.id == "O-1")
        #expect(try f.store.usableOverride(for: f.patient, now: f.at(minutes: 31)) == nil)
        var plan = f.plan(dose: 100, count: 1, at: f.at(minutes: 2))
        plan.overrideID = "O-1"
        plan.prescriptionID = "O-1"
        // A release that is not what the override names is refused.
        var other = plan
        other.doseMg = 200
        other.unitCount = 2
        #expect(storeError { try f.store.commit(.releaseIntent(ReleaseID("R-X"), other)) } != nil)
        let intent = try f.store.commit(.releaseIntent(ReleaseID("R-1"), plan))
        #expect(intent.event.fields["override"] == "O-1")
        #expect(try f.store.override(id: "O-1")?.usedBy == ReleaseID("R-1"))
        #expect(try f.store.release(id: ReleaseID("R-1"))?.plan.overrideID == "O-1")
        // Used once: a second release under it is refused.
        #expect(storeError { try f.store.commit(.releaseIntent(ReleaseID("R-2"), plan)) } != nil)
        // Review only after it closed, and not by one who opened it.
        #expect(storeError { try f.store.commit(.overrideReviewed(id: "O-1", by: s.admin2.id, note: "ok", at: f.at(minutes: 5))) } != nil)
        try f.store.commit(.overrideClosed(id: "O-1", reason: "window ended", by: nil, at: f.at(minutes: 31)))
        #expect(try f.store.override(id: "O-1")?.state == .expired)
        #expect(storeError { try f.store.commit(.overrideReviewed(id: "O-1", by: s.admin.id, note: "ok", at: f.at(minutes: 40))) } != nil)
        #expect(try f.store.dailyRegister(day: f.day).overridesAwaitingReview.map(\.id) == ["O-1"])
        try f.store.commit(.overrideReviewed(id: "O-1", by: s.admin2.id, note: "phone order confirmed", at: f.at(minutes: 40)))
        let register = try f.store.dailyRegister(day: f.day)
        #expect(register.overridesAwaitingReview.isEmpty)
        #expect(register.entries.map(\.event).filter { $0.lowercased().contains("override") } == ["OVERRIDE", "override-expired", "override-reviewed"])
    }

    @Test func escalationAndOverdueCountsAreRecordedOnce() throws {
        let f = try Fixture()
        try f.seed()
        let s = try staff(f)
        _ = try f.store.startCount(id: "C-1", by: s.nurse, witness: s.clinician, at: f.at(minutes: 1))
        let result = try f.store.enterCount(id: "C-1", entered: [Self.kind100: 11, Self.kind50: 5], by: s.nurse.id, witness: s.clinician.id,
                                            at: f.at(minutes: 2), policy: ClinicPolicy()) { "D-\($0)" }
        let d = try #require(result.discrepancies.first)
        #expect(d.shortfall == -1)
        try f.store.commit(.discrepancyEscalated(id: d.id, kind: d.kind, at: f.at(minutes: 3 * 24 * 60)))
        #expect(storeError { try f.store.commit(.discrepancyEscalated(id: d.id, kind: d.kind, at: f.at(minutes: 3 * 24 * 60))) } != nil)
        #expect(try f.store.discrepancies().first?.escalatedAtWall != nil)
        try f.store.commit(.countOverdue(dueWall: 42, at: f.at(minutes: 10)))
        #expect(try f.store.countOverdueReported(dueWall: 42))
        #expect(storeError { try f.store.commit(.countOverdue(dueWall: 42, at: f.at(minutes: 11))) } != nil)
        // A surplus cannot be written off; found is a resolution without write-off.
        #expect(storeError { _ = try f.store.resolveDiscrepancy(id: d.id, resolution: .loss, note: "x", by: s.nurse, witness: s.clinician,
                                                                writeOff: [], at: f.at(minutes: 20)) } != nil)
        _ = try f.store.resolveDiscrepancy(id: d.id, resolution: .found, note: "an ampoule of the next delivery was counted",
                                           by: s.nurse, witness: s.clinician, writeOff: [], at: f.at(minutes: 20))
        #expect(try f.store.discrepancies().isEmpty)
    }

    @Test func migrationFromV1KeepsStockAsUnknownBatch() throws {
        let dir = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let pool = try DatabasePool(path: dir + "/" + Store.fileName)
            try Schema.migrator().migrate(pool, upTo: "v1")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO stock_unit (serial, drug, route, strength_mg, received_wall, received_by, witness, state, state_wall, audit_seq)
                    VALUES ('OLD-1', 'diacetylmorphine', 'injectable', 200, 0, 'S-01', 'S-02', 'in-stock', 0, 0)
                    """)
            }
        }
        let store = try Store(directory: dir, calendar: ClinicCalendar())
        let old = try #require(try store.stockUnit(serial: UnitSerial("OLD-1")))
        #expect(old.state == .inStock && old.unit.batch == nil && old.unit.expiry == nil)
        #expect(try store.stockLevels().count == 1)
        #expect(try store.stockLevels(releasableOn: 20_000).isEmpty)
        #expect(StockRules.releasable(old.unit, today: 20_000) == .unknownBatch)
    }
}
