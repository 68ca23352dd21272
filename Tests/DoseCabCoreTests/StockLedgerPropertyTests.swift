import PropertyBased
import Testing
@testable import DoseCabCore

/// Issue #11's extended invariant under random sequences of every stock event: receipts (and
/// refused duplicate receipts), issues, wastes, blind counts that match or open discrepancies,
/// resolutions (loss write-offs and the rest) and overrides:
/// loaded = in cabinet + issued − returned to stock + wasted + resolved as loss, per kind, always.
@Suite struct StockLedgerPropertyTests {
    static let kinds = [StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 200),
                        StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 100),
                        StockKind(drug: .methadone, route: .oral, strengthMg: 20)]
    static let admin = Staff(id: StaffID("S-A"), role: .admin, card: CardID(format: .h10301, facility: 1, number: 9),
                             pin: PlainPINs.hash("9"))

    @Test func balanceHoldsUnderRandomSequencesOfAllStockEvents() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...9999).array(of: 0...70)) { ops in
            var ledger = StockLedger()
            var next = 1
            var open: [Discrepancy] = []
            var clock = F.morning
            for op in ops {
                clock = clock.advanced(byMillis: 60_000)
                let arg = op / 8
                let before = ledger
                switch op % 8 {
                case 0:
                    let kind = Self.kinds[arg % 3]
                    let units = (0..<(1 + arg % 3)).map { i in
                        StockUnit(serial: UnitSerial("\(next + i)"), drug: kind.drug, route: kind.route, strengthMg: kind.strengthMg,
                                  batch: "B\(arg % 5)", expiry: "2027-06-30")
                    }
                    #expect(StockRules.receipt(units, today: 20_000).isEmpty)
                    #expect(ledger.receive(units) == nil)
                    next += units.count
                case 1 where next > 1:
                    // A serial loaded before refuses the whole receipt and changes nothing.
                    let dup = StockUnit(serial: UnitSerial("\(1 + arg % (next - 1))"), drug: .methadone, route: .oral, strengthMg: 20)
                    let fresh = StockUnit(serial: UnitSerial("x\(next)"), drug: .methadone, route: .oral, strengthMg: 20)
                    #expect(ledger.receive([fresh, dup]) != nil)
                    #expect(ledger == before)
                case 2 where next > 1:
                    let serial = UnitSerial("\(1 + arg % (next - 1))")
                    let wasIn = ledger.inStock.contains(serial)
                    #expect((ledger.issue(serial) == nil) == wasIn)
                case 3 where next > 1:
                    let serial = UnitSerial("\(1 + arg % (next - 1))")
                    let wasIn = ledger.inStock.contains(serial)
                    #expect((ledger.waste(serial) == nil) == wasIn)
                    if !wasIn { #expect(ledger == before) }
                case 4 where !ledger.kinds.isEmpty:
                    // A blind count: exact figures, or one kind off by -1/+1.
                    let sheet = try! BlindCount.start(id: "C\(op)", kinds: ledger.kinds, by: F.nurse, witness: F.clinician, at: clock).get()
                    var entered = ledger.expected
                    let off = sheet.kinds[arg % sheet.kinds.count]
                    let delta = arg % 3 - 1
                    entered[off] = max(0, entered[off]! + delta)
                    let lines = try! BlindCount.compare(sheet, entered: entered, expected: ledger.expected,
                                                        by: F.clinician.id, witness: F.nurse.id).get()
                    let found = DiscrepancyRules.open(lines, countID: sheet.id, at: clock, policy: ClinicPolicy()) { "D\(op)-\($0)" }
                    // A count opens a discrepancy exactly when a figure differs from the ledger.
                    #expect(found.count == (entered == ledger.expected ? 0 : 1))
                    #expect(found.allSatisfy { $0.kind == off && $0.shortfall == ledger.expected[off]! - entered[off]! })
                    open += found
                case 5 where !open.isEmpty:
                    let d = open.removeFirst()
                    let candidates = ledger.inStock.filter { ledger.units[$0]!.kind == d.kind }.sorted()
                    if d.shortfall > 0 && candidates.count >= d.shortfall {
                        let named = candidates.prefix(d.shortfall).map { ledger.units[$0]! }
                        // Naming one unit too few is refused; the exact units are written off.
                        #expect(!DiscrepancyRules.resolve(d, resolution: .loss, note: "gone", by: F.nurse, witness: Self.admin,
                                                          writeOff: Array(named.dropLast()), inStock: ledger.inStock).isEmpty)
                        #expect(DiscrepancyRules.resolve(d, resolution: .suspectedTheft, note: "gone", by: F.nurse, witness: Self.admin,
                                                         writeOff: named, inStock: ledger.inStock).isEmpty)
                        let lostBefore = ledger.balances[d.kind]!.lost
                        #expect(ledger.writeOff(named.map(\.serial)) == nil)
                        #expect(ledger.balances[d.kind]!.lost == lostBefore + d.shortfall)
                    } else {
                        #expect(DiscrepancyRules.resolve(d, resolution: .miscount, note: "recounted", by: F.nurse, witness: Self.admin,
                                                         writeOff: [], inStock: ledger.inStock).isEmpty)
                        #expect(ledger == before)
                    }
                case 6:
                    // An override names a dose; opening and expiring it moves no stock.
                    let o = try! OverrideRules.open(id: "O\(op)", patient: PatientID("P-1"), drug: .diacetylmorphine, route: .injectable,
                                                    doseMg: 200, minutes: 30, reason: "rx system down", by: Self.admin,
                                                    second: F.nurse, at: clock, policy: ClinicPolicy()).get()
                    #expect(o.usable(at: clock) && !o.usable(at: clock.advanced(byMillis: 30 * 60_000)))
                    #expect(ledger == before)
                default:
                    // Writing off a unit that is not in stock is refused whole.
                    if next > 1 {
                        let serial = UnitSerial("\(1 + arg % (next - 1))")
                        if !ledger.inStock.contains(serial) {
                            #expect(ledger.writeOff([serial]) != nil)
                            #expect(ledger == before)
                        }
                    }
                }
                #expect(ledger.isConsistent)
            }
            let loaded = ledger.balances.values.reduce(0) { $0 + $1.loaded }
            #expect(loaded == ledger.units.count)
            #expect(ledger.balances.values.allSatisfy { $0.balances })
        }
    }

    @Test func aBrokenCounterIsCaught() {
        // The check can fail: a balance whose terms do not add up is reported.
        var b = StockBalance(loaded: 10, inCabinet: 6, issued: 2, returnedToStock: 0, wasted: 1, lost: 1)
        #expect(b.balances)
        b.inCabinet += 1
        #expect(!b.balances)
    }
}
