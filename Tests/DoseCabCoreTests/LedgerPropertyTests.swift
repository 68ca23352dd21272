import PropertyBased
import Testing
@testable import DoseCabCore

/// I5 under random event sequences: issued = returned + consumed + open + incidents, per day and
/// drug, whatever order issues, returns, confirmations, repeats and deadlines come in.
@Suite struct LedgerPropertyTests {
    @Test func invariantHoldsUnderRandomSequences() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...99).array(of: 0...80)) { ops in
            var ledger = UnitLedger()
            var issuedSerials = Set<UnitSerial>()
            var clock = F.morning
            for op in ops {
                clock = clock.advanced(byMillis: Int64(op % 7) * 600_000)
                let serial = UnitSerial(String(op % 13))
                let drug: Drug = op % 2 == 0 ? .diacetylmorphine : .methadone
                switch op % 5 {
                case 0, 1:
                    let unit = IssuedUnit(serial: serial, release: ReleaseID("R\(op)"), patient: PatientID("P\(op % 3)"), drug: drug,
                                          route: drug == .methadone ? .oral : .injectable, strengthMg: 100,
                                          rule: drug == .methadone ? .witnessed : .return, issuedAt: clock,
                                          deadline: clock.advanced(byMillis: 3_600_000))
                    let anomaly = ledger.issue(unit)
                    // A serial seen before is never issued twice.
                    #expect((anomaly == .alreadyIssued) == issuedSerials.contains(serial))
                    issuedSerials.insert(serial)
                case 2: _ = ledger.bookReturn(serial, at: clock)
                case 3: _ = ledger.bookConsumed(serial, at: clock)
                default: _ = ledger.expire(now: clock)
                }
                #expect(ledger.isConsistent)
            }
            // Every issued unit is in exactly one state.
            let total = ledger.counters.values.reduce(0) { $0 + $1.issued }
            #expect(total == issuedSerials.count)
            #expect(ledger.counters.values.allSatisfy { $0.balances })
        }
    }

    @Test func closedUnitsNeverReopen() {
        var ledger = UnitLedger()
        let unit = IssuedUnit(serial: UnitSerial("1"), release: ReleaseID("R"), patient: PatientID("P"), drug: .diacetylmorphine,
                              route: .injectable, strengthMg: 200, rule: .return, issuedAt: F.morning,
                              deadline: F.morning.advanced(byMillis: 60_000))
        #expect(ledger.issue(unit) == nil)
        #expect((try? ledger.bookReturn(UnitSerial("1"), at: F.morning).get()) != nil)
        #expect(ledger.bookReturn(UnitSerial("1"), at: F.morning) == .failure(.alreadyClosed))
        #expect(ledger.bookReturn(UnitSerial("2"), at: F.morning) == .failure(.unknownSerial))
        #expect(ledger.bookConsumed(UnitSerial("1"), at: F.morning) == .failure(.alreadyClosed))
        #expect(ledger.expire(now: F.morning.advanced(byMillis: 120_000)).isEmpty)
        // A returned-rule unit cannot be "consumed".
        let other = IssuedUnit(serial: UnitSerial("3"), release: ReleaseID("R"), patient: PatientID("P"), drug: .diacetylmorphine,
                               route: .injectable, strengthMg: 200, rule: .return, issuedAt: F.morning, deadline: F.morning)
        _ = ledger.issue(other)
        #expect(ledger.bookConsumed(UnitSerial("3"), at: F.morning) == .failure(.wrongCloseOutRule))
        let r = ledger.reconcile(day: ClinicCalendar().day(of: F.morning), drug: .diacetylmorphine)
        #expect(r.issued == 2 && r.returned == 1 && r.open == 1 && r.balances)
    }

    @Test func rebuildingFromStoredUnitsKeepsCounts() {
        var ledger = UnitLedger()
        for i in 0..<5 {
            _ = ledger.issue(IssuedUnit(serial: UnitSerial("\(i)"), release: ReleaseID("R"), patient: PatientID("P"), drug: .methadone,
                                        route: .oral, strengthMg: 50, rule: .witnessed, issuedAt: F.morning,
                                        deadline: F.morning.advanced(byMillis: 60_000)))
        }
        _ = ledger.bookConsumed(UnitSerial("0"), at: F.morning)
        _ = ledger.expire(now: F.morning.advanced(byMillis: 61_000))
        let rebuilt = UnitLedger(units: Array(ledger.units.values), calendar: ClinicCalendar())
        #expect(rebuilt.counters == ledger.counters)
        #expect(rebuilt.isConsistent)
    }
}
