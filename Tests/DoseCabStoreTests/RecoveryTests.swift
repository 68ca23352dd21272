import DoseCabCore
@testable import DoseCabStore
import Foundation
import GRDB
import Testing

@Suite struct RecoveryTests {
    @Test func aReleaseInFlightBecomesInterruptedAndItsUnitsStayOpen() throws {
        let f = try Fixture()
        try f.seed()
        let r = ReleaseID("R-1")
        try f.store.commit(.releaseIntent(r, f.plan(at: f.at(minutes: 1))))
        try f.store.commit(.issue(f.unit(f.ampoule(1), release: r, at: f.at(minutes: 2))))
        let headBefore = try f.store.chainHead()
        try f.reopen()
        let now = Moment(wallMillis: f.at(minutes: 10).wallMillis, bootMillis: 1_000, bootID: "boot-b")
        let report = try f.store.recover(now: now)
        #expect(report.interrupted.map(\.id) == [r])
        #expect(report.interrupted.first?.state == .interrupted)
        #expect(report.openUnits.map(\.serial) == [f.ampoule(1)])
        #expect(report.openUnits.first?.deadline == f.at(minutes: 62))
        #expect(report.headIntact)
        #expect(report.records.map(\.event.kind) == [.recovery, .recovery])
        #expect(report.records.first?.seq == headBefore.lastSeq + 1)
        #expect(report.records.first?.previousHash == headBefore.lastHash)
        #expect(report.summary.contains("1 release(s) interrupted (R-1), 1 unit(s) open"))
        #expect(try f.store.release(id: r)?.state == .interrupted)
        #expect(try f.store.release(id: r)?.unitsIssued == 1)
        // The interrupted release cannot be completed any more, but its unit can be returned.
        #expect(storeError { try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 1, unitsExpected: 2, outcome: "late", at: now)) } != nil)
        try f.store.commit(.unitReturned(f.ampoule(1), release: r, patient: f.patient, at: now.advanced(byMillis: 1000)))
        #expect(try f.store.reconciliation(day: f.day)[.diacetylmorphine]?.balances == true)
        #expect(try f.store.verifyAudit().description.hasPrefix("audit chain intact"))
        // Interrupted releases still count for the dose rules (what was taken is not known).
        #expect(try f.store.patientHistory(f.patient, now: now, policy: ClinicPolicy()).recentReleases.map(\.id) == [r])
    }

    /// Recovery reads only what is open: every query it runs is answered through an index, so a
    /// year of history costs it nothing. (Checked on the query plans, not on a stopwatch.)
    @Test func recoveryAndPolicyQueriesUseIndexesNotScans() throws {
        let f = try Fixture()
        try f.seed()
        let queries: [(String, StatementArguments)] = [
            (Store.inFlightSQL, []),
            (Store.openUnitsSQL, []),
            ("SELECT * FROM audit ORDER BY seq DESC LIMIT 1", []),
            ("SELECT count(*) FROM issued_unit WHERE release_id = ?", ["R-1"]),
            ("SELECT id FROM dose_release WHERE patient = ? AND NOT (state = 'completed' AND units_issued = 0) AND at_wall >= ?", ["P-0001", 0]),
            ("SELECT reason FROM hold WHERE patient = ? AND cleared_wall IS NULL", ["P-0001"]),
            ("SELECT wall FROM clinical_decision WHERE patient = ? AND kind = ? ORDER BY wall DESC LIMIT 1", ["P-0001", "reauthorised"]),
            ("SELECT max(wall) FROM audit", []),
            ("SELECT * FROM issued_unit WHERE day = ?", [1]),
            ("SELECT * FROM dose_release WHERE day = ?", [1]),
            ("SELECT * FROM audit WHERE seq > (SELECT upto_seq FROM audit_mirror WHERE id = 1) ORDER BY seq LIMIT 10", []),
            ("SELECT drug, route, strength_mg, count(*) FROM stock_unit WHERE state = 'in-stock' GROUP BY drug, route, strength_mg", []),
            (Store.residueOpenSQL, []),
        ]
        for (sql, arguments) in queries {
            let plan = try f.store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            let scans = plan.filter { $0.hasPrefix("SCAN ") && !$0.contains(" USING ") }
            #expect(scans.isEmpty, "\(sql): \(plan)")
        }
    }

    @Test func recoveryCostDoesNotGrowWithHistory() throws {
        let f = try Fixture()
        try f.seed()
        // A lot of closed history, then one release in flight.
        try f.store.commit(.stockReceived((1...200).map { StockUnit(serial: UnitSerial("H-\($0)"), drug: .diacetylmorphine, route: .injectable, strengthMg: 50, batch: "B-1", expiry: "2099-12-31") },
                                          by: f.nurse, witness: f.clinician, at: Fixture.t0))
        for i in 0..<100 {
            let r = ReleaseID("H-R-\(i)")
            let t = Fixture.t0.advanced(byMillis: Int64(-i - 1) * 86_400_000)
            try f.store.commitAll([
                .releaseIntent(r, f.plan(dose: 100, strength: 50, count: 2, at: t)),
                .issue(f.unit(UnitSerial("H-\(2 * i + 1)"), release: r, strength: 50, at: t)),
                .issue(f.unit(UnitSerial("H-\(2 * i + 2)"), release: r, strength: 50, at: t)),
                .releaseCompleted(r, patient: f.patient, unitsIssued: 2, unitsExpected: 2, outcome: "ok", at: t),
                .unitReturned(UnitSerial("H-\(2 * i + 1)"), release: r, patient: f.patient, at: t),
                .unitReturned(UnitSerial("H-\(2 * i + 2)"), release: r, patient: f.patient, at: t),
            ])
        }
        try f.store.commit(.releaseIntent(ReleaseID("R-now"), f.plan(at: f.at(minutes: 1))))
        try f.reopen()
        let report = try f.store.recover(now: f.at(minutes: 5))
        #expect(report.interrupted.map(\.id) == [ReleaseID("R-now")])
        #expect(report.openUnits.isEmpty)
        #expect(try f.store.verifyAudit().description.hasPrefix("audit chain intact"))
    }
}
