import DoseCabCore
@testable import DoseCabStore
import Foundation
import Testing

/// Issue #11's extended invariant, on the product: random sequences of receipts, releases with
/// their issue scans, returns, waste from stock, blind counts (matching or short), loss
/// write-offs and overrides, committed to a real `Store` in a temporary directory; after every
/// step `stockBalance()` must balance per kind and agree with what the sequence did:
/// loaded = in cabinet + issued − returned to stock + wasted + resolved as loss.
@Suite struct StockBalancePropertyTests {
    /// SplitMix64: seeded, so a failing sequence is replayed from its seed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let kinds = [StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 100),
                        StockKind(drug: .methadone, route: .oral, strengthMg: 50)]

    @Test(arguments: 1...24) func theStoreBalancesAfterEveryStep(seed: UInt64) throws {
        var rng = Seeded(state: seed)
        let f = try Fixture()
        try f.seed()
        let nurse = try #require(try f.store.staff(id: f.nurse)), clinician = try #require(try f.store.staff(id: f.clinician))
        let admin = Staff(id: StaffID("S-04"), role: .admin, card: CardID(format: .h10306, facility: 7, number: 4), pin: Fixture.pins.hash(pin: "4444"))
        try f.store.enroll(admin, by: "test", at: Fixture.t0)
        // The model: what the sequence did, per kind.
        var model: [StockKind: StockBalance] = [Self.kinds[0]: StockBalance(loaded: 10, inCabinet: 10, issued: 0, returnedToStock: 0, wasted: 0, lost: 0),
                                                Self.kinds[1]: StockBalance(loaded: 5, inCabinet: 5, issued: 0, returnedToStock: 0, wasted: 0, lost: 0)]
        var inStock: [StockKind: [UnitSerial]] = [Self.kinds[0]: (1...10).map(f.ampoule), Self.kinds[1]: (1...5).map(f.cup)]
        var open: [(serial: UnitSerial, release: ReleaseID)] = []
        var minute: Int64 = 1
        var next = 1
        var log: [String] = []
        for step in 0..<40 {
            minute += 1
            let at = f.at(minutes: minute)
            let kind = Self.kinds[Int.random(in: 0...1, using: &rng)]
            switch Int.random(in: 0..<8, using: &rng) {
            case 0:
                let units = (0..<Int.random(in: 1...3, using: &rng)).map { _ -> StockUnit in
                    next += 1
                    return StockUnit(serial: UnitSerial("P-\(seed)-\(next)"), drug: kind.drug, route: kind.route, strengthMg: kind.strengthMg,
                                     batch: "L-\(seed)", expiry: "2099-01-01")
                }
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    // A serial loaded before refuses the whole receipt and changes nothing.
                    let again = StockUnit(serial: f.ampoule(1), drug: .diacetylmorphine, route: .injectable, strengthMg: 100, batch: "B", expiry: "2099-01-01")
                    #expect(throws: StoreError.self) { try f.store.commit(.stockReceived(units + [again], by: f.nurse, witness: f.clinician, at: at)) }
                    log.append("duplicate receipt refused")
                    break
                }
                try f.store.commit(.stockReceived(units, by: f.nurse, witness: f.clinician, at: at))
                model[kind]!.loaded += units.count
                model[kind]!.inCabinet += units.count
                inStock[kind]! += units.map(\.serial)
                log.append("receive \(units.count) \(kind.key)")
            case 1...2 where !(inStock[kind]!.isEmpty):
                let serial = inStock[kind]!.removeFirst()
                let r = ReleaseID("R-\(step)")
                try f.store.commit(.releaseIntent(r, f.plan(drug: kind.drug, route: kind.route, dose: kind.strengthMg, strength: kind.strengthMg,
                                                            count: 1, at: at)))
                try f.store.commit(.issue(f.unit(serial, release: r, drug: kind.drug, route: kind.route, strength: kind.strengthMg, at: at)))
                try f.store.commit(.releaseCompleted(r, patient: f.patient, unitsIssued: 1, unitsExpected: 1, outcome: "door closed", at: at))
                model[kind]!.inCabinet -= 1
                model[kind]!.issued += 1
                if kind.route == .injectable { open.append((serial, r)) }
                log.append("release \(serial)")
            case 3 where !open.isEmpty:
                let u = open.removeFirst()
                try f.store.commit(.unitReturned(u.serial, release: u.release, patient: f.patient, at: at))
                log.append("return \(u.serial)")
            case 4 where !(inStock[kind]!.isEmpty):
                let serial = inStock[kind]!.removeLast()
                try f.store.commit(.waste(release: nil, serial: serial, mg: kind.strengthMg, by: f.nurse, witness: f.clinician,
                                          reason: "broken", at: at))
                model[kind]!.inCabinet -= 1
                model[kind]!.wasted += 1
                log.append("waste \(serial)")
            case 5:
                // A blind count, sometimes one short; each short kind opens a discrepancy.
                let started = Result<(CountSheet, AuditRecord), any Error> { try f.store.startCount(id: "C-\(step)", by: nurse, witness: clinician, at: at) }
                guard case .success(let (sheet, _)) = started else {
                    // Every kind has an open discrepancy: refused, nothing changed (checked below).
                    if case .failure(let error) = started { #expect("\(error)".contains("discrepancy-open"), "\(error)") }
                    log.append("count refused")
                    break
                }
                var figures: [StockKind: Int] = [:]
                for k in sheet.kinds { figures[k] = max(0, inStock[k]!.count - (Bool.random(using: &rng) ? 1 : 0)) }
                let r = try f.store.enterCount(id: sheet.id, entered: figures, by: nurse.id, witness: clinician.id,
                                               at: f.at(minutes: minute), policy: ClinicPolicy()) { "D-\(step)-\($0)" }
                log.append("count \(figures.map { "\($0.key.key)=\($0.value)" }.sorted()) -> \(r.discrepancies.count) discrepancies")
            case 6:
                // Resolve the oldest open discrepancy: as a loss of the missing units, or as a miscount.
                guard let d = try f.store.discrepancies().first else { continue }
                if d.shortfall > 0 && d.shortfall <= inStock[d.kind]!.count && Bool.random(using: &rng) {
                    let gone = Array(inStock[d.kind]!.suffix(d.shortfall))
                    inStock[d.kind]!.removeLast(d.shortfall)
                    _ = try f.store.resolveDiscrepancy(id: d.id, resolution: .loss, note: "not found", by: nurse, witness: clinician,
                                                       writeOff: gone, at: at)
                    model[d.kind]!.inCabinet -= gone.count
                    model[d.kind]!.lost += gone.count
                    log.append("loss \(gone)")
                } else {
                    _ = try f.store.resolveDiscrepancy(id: d.id, resolution: .miscount, note: "recounted", by: nurse, witness: clinician,
                                                       writeOff: [], at: at)
                    log.append("miscount \(d.id)")
                }
            case 7:
                let o = try OverrideRules.open(id: "O-\(step)", patient: f.patient, drug: kind.drug, route: kind.route, doseMg: kind.strengthMg,
                                               minutes: 30, reason: "rx down", by: admin, second: nurse, at: at, policy: ClinicPolicy()).get()
                try f.store.commit(.overrideOpened(o))
                log.append("override \(o.id)")
            default:
                continue
            }
            let balance = try f.store.stockBalance()
            let balances = balance.values.allSatisfy { $0.balances }
            #expect(balances, "seed \(seed) after \(log): \(balance)")
            #expect(balance == model, "seed \(seed) after \(log)")
            if balance != model || !balances { return }
        }
        #expect(try f.store.dailyRegister(day: f.day).stockBalances)
    }
}
