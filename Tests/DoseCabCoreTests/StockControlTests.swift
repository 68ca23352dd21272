import Testing
@testable import DoseCabCore

/// Issue #11's rules one by one: who may do what, with which input, and what each refuses.
@Suite struct StockControlTests {
    static let admin = Staff(id: StaffID("S-A"), role: .admin, card: CardID(format: .h10301, facility: 1, number: 7), pin: PlainPINs.hash("7"))
    static let admin2 = Staff(id: StaffID("S-B"), role: .admin, card: CardID(format: .h10301, facility: 1, number: 8), pin: PlainPINs.hash("8"))
    static let kind200 = StockKind(drug: .diacetylmorphine, route: .injectable, strengthMg: 200)
    static let today = parseDay(F.today)!

    static func unit(_ serial: String, batch: String? = "B-7", expiry: String? = "2027-01-31") -> StockUnit {
        StockUnit(serial: UnitSerial(serial), drug: .diacetylmorphine, route: .injectable, strengthMg: 200, batch: batch, expiry: expiry)
    }

    @Test func twoPeopleNeverOneAndOverridesNeedAnAdmin() {
        #expect(TwoPerson.check(F.nurse, F.clinician, action: "x").isEmpty)
        #expect(TwoPerson.check(F.nurse, F.nurse, action: "x").map(\.reason) == [.samePerson])
        #expect(TwoPerson.check(F.nurse, F.clinician, action: "x", needsAdmin: true).map(\.reason) == [.needsAdmin])
        #expect(TwoPerson.check(Self.admin, Self.admin, action: "x", needsAdmin: true).map(\.reason) == [.samePerson])
        #expect(TwoPerson.check(F.nurse, Self.admin, action: "x", needsAdmin: true).isEmpty)
    }

    @Test func receiptNeedsBatchAndUnexpiredDate() {
        #expect(StockRules.receipt([Self.unit("1")], today: Self.today).isEmpty)
        let reasons = StockRules.receipt([Self.unit("1", batch: nil), Self.unit("2", expiry: "2026-13-01"),
                                          Self.unit("3", expiry: "2026-11-24"), Self.unit("3")], today: Self.today).map(\.reason)
        #expect(reasons == [.missingBatch, .badExpiry, .expired, .badUnit])
        // Expiring today is still usable today.
        #expect(StockRules.receipt([Self.unit("4", expiry: F.today)], today: Self.today).isEmpty)
        #expect(StockRules.receipt([], today: Self.today).map(\.reason) == [.badUnit])
    }

    @Test func expiredOrUnknownBatchNeverLeaves() {
        #expect(StockRules.releasable(Self.unit("1"), today: Self.today) == nil)
        #expect(StockRules.releasable(Self.unit("1", expiry: F.today), today: Self.today) == nil)
        #expect(StockRules.releasable(Self.unit("1", expiry: "2026-11-24"), today: Self.today) == .expired)
        #expect(StockRules.releasable(Self.unit("1", batch: nil), today: Self.today) == .unknownBatch)
        #expect(StockRules.releasable(Self.unit("1", batch: ""), today: Self.today) == .unknownBatch)
    }

    @Test func wasteNamesWhatAndWhyAndHasAWitness() {
        let s1 = StaffID("S-1"), s2 = StaffID("S-2")
        #expect(WasteRequest(serial: UnitSerial("1"), release: nil, mg: 200, reason: .broken, note: "", by: s1, witness: s2).problems().isEmpty)
        #expect(WasteRequest(serial: nil, release: ReleaseID("R"), mg: 50, reason: .notGiven, note: "patient left", by: s1, witness: s2).problems().isEmpty)
        #expect(WasteRequest(serial: nil, release: nil, mg: 50, reason: .notGiven, note: "", by: s1, witness: s2).problems().map(\.reason) == [.wasteShape])
        #expect(WasteRequest(serial: UnitSerial("1"), release: ReleaseID("R"), mg: 200, reason: .broken, note: "", by: s1, witness: s2)
            .problems().map(\.reason) == [.wasteShape])
        #expect(WasteRequest(serial: UnitSerial("1"), release: nil, mg: 0, reason: .expired, note: "", by: s1, witness: s1)
            .problems().map(\.reason) == [.badQuantity, .samePerson])
        #expect(WasteRequest(serial: UnitSerial("1"), release: nil, mg: 5, reason: .other, note: "", by: s1, witness: s2)
            .problems().map(\.reason) == [.noReason])
        #expect(WasteRequest(serial: nil, release: ReleaseID("R"), mg: 50, reason: .residue, note: "60 of 50", by: s1, witness: s2)
            .reasonText == "residue: 60 of 50")
    }

    @Test func blindCountIsEnteredByItsTwoCountersForEveryKind() throws {
        let other = StockKind(drug: .methadone, route: .oral, strengthMg: 20)
        let sheet = try BlindCount.start(id: "C-1", kinds: [Self.kind200, other], by: F.nurse, witness: F.clinician, at: F.morning).get()
        #expect(sheet.kinds == [Self.kind200, other])
        // The sheet carries no figures: only kinds.
        #expect(throws: StockRefused.self) { try BlindCount.start(id: "C-2", kinds: [Self.kind200], by: F.nurse, witness: F.nurse, at: F.morning).get() }
        let expected = [Self.kind200: 40, other: 60]
        let ok = try BlindCount.compare(sheet, entered: [Self.kind200: 40, other: 60], expected: expected,
                                        by: F.clinician.id, witness: F.nurse.id).get()
        #expect(ok.allSatisfy { $0.matches })
        let short = try BlindCount.compare(sheet, entered: [Self.kind200: 39, other: 60], expected: expected,
                                           by: F.nurse.id, witness: F.clinician.id).get()
        #expect(short.filter { !$0.matches } == [CountLine(kind: Self.kind200, expected: 40, counted: 39)])
        let bad = BlindCount.compare(sheet, entered: [Self.kind200: 39, StockKind(drug: .methadone, route: .oral, strengthMg: 5): 1],
                                     expected: expected, by: F.nurse.id, witness: Self.admin.id)
        guard case .failure(let refused) = bad else { Issue.record("accepted"); return }
        #expect(refused.refusals.map(\.reason) == [.notTheCounters, .countIncomplete, .unknownKind])
    }

    @Test func countIsDueAtEachShiftChangeAndOverdueAfterItsGrace() {
        let policy = ClinicPolicy()  // 07:00, 15:00, 23:00; grace 60 min; UTC
        let at0830 = F.morning.advanced(byMillis: 30 * 60_000)
        let seven = CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 7)
        #expect(CountSchedule.lastDue(now: at0830, policy: policy) == seven)
        #expect(CountSchedule.overdue(now: at0830, lastCountWall: nil, policy: policy) == seven)
        #expect(CountSchedule.overdue(now: at0830, lastCountWall: seven + 1, policy: policy) == nil)
        // Within the grace it is due, not overdue: the count before it (yesterday 23:00) decides.
        let yesterday23 = CivilTime.wallMillis(year: 2026, month: 11, day: 24, hour: 23)
        let in0759 = Moment(wallMillis: seven + 59 * 60_000, bootMillis: 0)
        #expect(CountSchedule.overdue(now: in0759, lastCountWall: yesterday23 + 1, policy: policy) == nil)
        #expect(CountSchedule.overdue(now: in0759, lastCountWall: nil, policy: policy) == yesterday23)
        // Within the 23:00 grace, a 15:00 count nobody made is still overdue (it used to read as
        // "nothing overdue" for that hour: found by a driver test that failed from 23:00 to 24:00).
        let fifteen = CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 15)
        let at2330 = Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 23, minute: 30), bootMillis: 0)
        #expect(CountSchedule.overdue(now: at2330, lastCountWall: seven + 1, policy: policy) == fifteen)
        #expect(CountSchedule.overdue(now: at2330, lastCountWall: fifteen + 1, policy: policy) == nil)
        #expect(CountSchedule.nextCheck(after: at0830, policy: policy) == CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 16))
        // Just after midnight the last due count is yesterday's 23:00.
        let night = Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 11, day: 26, hour: 0, minute: 30), bootMillis: 0)
        #expect(CountSchedule.lastDue(now: night, policy: policy) == CivilTime.wallMillis(year: 2026, month: 11, day: 25, hour: 23))
    }

    @Test func escalationIsDueAtTheEndOfTheNextBusinessDay() {
        var policy = ClinicPolicy()
        #expect(Weekday(day: 0) == .thu)
        #expect(Weekday(day: parseDay("2026-11-25")!) == .wed)
        func at(_ d: Int64) -> Moment { Moment(wallMillis: CivilTime.wallMillis(year: 2026, month: 11, day: d, hour: 10), bootMillis: 0) }
        // Wednesday: end of Thursday. Friday and Saturday: end of Monday.
        #expect(DiscrepancyRules.escalationDeadline(discoveredAt: at(25), policy: policy) == CivilTime.wallMillis(year: 2026, month: 11, day: 27))
        #expect(DiscrepancyRules.escalationDeadline(discoveredAt: at(27), policy: policy) == CivilTime.wallMillis(year: 2026, month: 12, day: 1))
        #expect(DiscrepancyRules.escalationDeadline(discoveredAt: at(28), policy: policy) == CivilTime.wallMillis(year: 2026, month: 12, day: 1))
        // A clinic working seven days: the next day.
        policy.businessDays = Set(Weekday.allCases)
        #expect(DiscrepancyRules.escalationDeadline(discoveredAt: at(27), policy: policy) == CivilTime.wallMillis(year: 2026, month: 11, day: 29))
        // Local time: at UTC+2 the deadline is local midnight.
        policy.calendar = ClinicCalendar(utcOffsetMinutes: 120)
        #expect(DiscrepancyRules.escalationDeadline(discoveredAt: at(27), policy: policy) == CivilTime.wallMillis(year: 2026, month: 11, day: 28, hour: 22))
        let lines = [CountLine(kind: Self.kind200, expected: 40, counted: 39), CountLine(kind: Self.kind200, expected: 1, counted: 1)]
        let opened = DiscrepancyRules.open(lines, countID: "C", at: at(25), policy: ClinicPolicy()) { "D-\($0)" }
        #expect(opened.map(\.id) == ["D-1"])
        #expect(DiscrepancyRules.dueForEscalation(opened, now: at(26)).isEmpty)
        #expect(DiscrepancyRules.dueForEscalation(opened, now: at(27)).map(\.id) == ["D-1"])
    }

    @Test func resolutionNeedsTwoPeopleAReasonAndTheExactMissingUnits() {
        let d = Discrepancy(id: "D-1", countID: "C", kind: Self.kind200, expected: 3, counted: 1, openedAt: F.morning, escalateAtWall: 0)
        let inStock: Set<UnitSerial> = [UnitSerial("1"), UnitSerial("2"), UnitSerial("3")]
        let two = [Self.unit("1"), Self.unit("2")]
        #expect(DiscrepancyRules.resolve(d, resolution: .loss, note: "gone", by: F.nurse, witness: F.clinician, writeOff: two, inStock: inStock).isEmpty)
        #expect(DiscrepancyRules.resolve(d, resolution: .loss, note: "gone", by: F.nurse, witness: F.nurse, writeOff: two, inStock: inStock)
            .map(\.reason) == [.samePerson])
        #expect(DiscrepancyRules.resolve(d, resolution: .loss, note: "", by: F.nurse, witness: F.clinician, writeOff: [Self.unit("1")], inStock: inStock)
            .map(\.reason) == [.noReason, .writeOffMismatch])
        let foreign = StockUnit(serial: UnitSerial("9"), drug: .methadone, route: .oral, strengthMg: 20, batch: "b", expiry: "2030-01-01")
        #expect(DiscrepancyRules.resolve(d, resolution: .suspectedTheft, note: "x", by: F.nurse, witness: F.clinician,
                                         writeOff: [Self.unit("1"), foreign], inStock: inStock).map(\.reason) == [.writeOffMismatch])
        #expect(DiscrepancyRules.resolve(d, resolution: .miscount, note: "recount 3", by: F.nurse, witness: F.clinician, writeOff: two, inStock: inStock)
            .map(\.reason) == [.writeOffMismatch])
        var done = d
        done.state = .resolved
        #expect(DiscrepancyRules.resolve(done, resolution: .found, note: "x", by: F.nurse, witness: F.clinician, writeOff: [], inStock: inStock)
            .map(\.reason) == [.discrepancyNotOpen])
        let surplus = Discrepancy(id: "D-2", countID: "C", kind: Self.kind200, expected: 1, counted: 2, openedAt: F.morning, escalateAtWall: 0)
        #expect(DiscrepancyRules.resolve(surplus, resolution: .loss, note: "x", by: F.nurse, witness: F.clinician, writeOff: [], inStock: inStock)
            .map(\.reason) == [.writeOffMismatch])
    }

    @Test func anOpenDiscrepancyFreezesItsDrugOrTheCabinet() {
        let d = Discrepancy(id: "D-1", countID: "C", kind: Self.kind200, expected: 3, counted: 2, openedAt: F.morning, escalateAtWall: 0)
        var policy = ClinicPolicy()
        var ctx = F.context(prescriptions: [F.prescription(), F.prescription(dose: 50, drug: .methadone, route: .oral)], policy: policy)
        ctx.openDiscrepancies = [d]
        #expect(DispensePolicy.decide(F.request(drug: .diacetylmorphine), ctx).refusals.map(\.reason) == [.discrepancyFreeze])
        if case .release = DispensePolicy.decide(F.request(drug: .methadone), ctx) {} else { Issue.record("methadone frozen by a heroin discrepancy") }
        policy.freezeScope = .cabinet
        ctx.policy = policy
        #expect(DispensePolicy.decide(F.request(drug: .methadone), ctx).refusals.map(\.reason) == [.discrepancyFreeze])
        var resolved = d
        resolved.state = .resolved
        ctx.openDiscrepancies = [resolved]
        if case .release = DispensePolicy.decide(F.request(drug: .methadone), ctx) {} else { Issue.record("a resolved discrepancy still freezes") }
    }

    func override(minutes: Int = 30, by: Staff = Self.admin, second: Staff = F.nurse, dose: Int = 200) -> Result<Override, StockRefused> {
        OverrideRules.open(id: "O-1", patient: PatientID("P-1"), drug: .diacetylmorphine, route: .injectable, doseMg: dose,
                           minutes: minutes, reason: "prescription system down; Dr A ordered by phone", by: by, second: second,
                           at: F.morning, policy: ClinicPolicy())
    }

    @Test func overrideNeedsTwoPeopleOneAdminAndABoundedWindow() {
        #expect((try? override().get()) != nil)
        func reasons(_ r: Result<Override, StockRefused>) -> [RefusalReason] {
            if case .failure(let f) = r { return f.refusals.map(\.reason) } else { return [] }
        }
        #expect(reasons(override(by: Self.admin, second: Self.admin)) == [.samePerson])
        #expect(reasons(override(by: F.nurse, second: F.clinician)) == [.needsAdmin])
        #expect(reasons(override(minutes: 61)) == [.overrideWindow])
        #expect(reasons(override(minutes: 0)) == [.overrideWindow])
        #expect(reasons(override(dose: 1001)) == [.badQuantity])
    }

    @Test func overrideStandsInForThePrescriptionOnlyAndExpires() throws {
        let o = try override(dose: 100).get()
        // No prescription at all: the override releases exactly what it names.
        var ctx = F.context(prescriptions: [])
        ctx.override = o
        guard case .release(let plan) = DispensePolicy.decide(F.request(), ctx) else { Issue.record("override did not release"); return }
        #expect(plan.doseMg == 100 && plan.drug == .diacetylmorphine && plan.overrideID == "O-1" && plan.prescriptionID == "O-1")
        #expect(plan.prescriber == "override:S-A+S-1")
        // Every other rule still applies: intoxication, ceiling, interval.
        #expect(DispensePolicy.decide(F.request(attested: false), ctx).refusals.map(\.reason) == [.noIntoxicationAttestation])
        var heavy = ctx
        heavy.history = PatientHistory(recentReleases: [F.past(0, hour: 7, dose: 950)], observationClearedAt: F.minutes(-30))
        #expect(DispensePolicy.decide(F.request(), heavy).refusals.map(\.reason).contains(.dailyCeiling))
        // Another drug is not named; after its window, or once used, it releases nothing.
        #expect(DispensePolicy.decide(F.request(drug: .methadone), ctx).refusals.map(\.reason) == [.noValidPrescription])
        ctx.now = F.minutes(30)
        #expect(DispensePolicy.decide(F.request(), ctx).refusals.map(\.reason) == [.noValidPrescription])
        var used = o
        used.usedBy = ReleaseID("R-9")
        ctx.now = F.morning
        ctx.override = used
        #expect(DispensePolicy.decide(F.request(), ctx).refusals.map(\.reason) == [.noValidPrescription])
    }

    /// The override replaces only the prescription's existence and validity: a titrating
    /// patient stays within the titration step, and the prescription's interval and session cap
    /// still bind (review of issue #11, finding 1).
    @Test func overrideKeepsTitrationIntervalAndSessionsOfTheRealPrescription() throws {
        let o = try override(dose: 200).get()
        // Titrating, prescription expired yesterday (why the override was opened): 100 mg yesterday,
        // so one dose may be at most 50 mg today; the override names 200.
        let expired = F.prescription(dose: 100, titrating: true, from: "2026-11-01", until: "2026-11-24")
        var ctx = F.context(prescriptions: [expired],
                            history: PatientHistory(recentReleases: [F.past(1, dose: 100)], observationClearedAt: F.minutes(-1400)))
        ctx.override = o
        #expect(DispensePolicy.decide(F.request(), ctx).refusals.map(\.reason) == [.titrationLimit])
        // No prescription at all: the strictest, titrating.
        ctx.prescriptions = []
        #expect(DispensePolicy.decide(F.request(), ctx).refusals.map(\.reason) == [.titrationLimit])
        // Not titrating: released.
        ctx.prescriptions = [F.prescription(dose: 100, until: "2026-11-24")]
        if case .release = DispensePolicy.decide(F.request(), ctx) {} else { Issue.record("a non-titrating patient's override refused") }

        // The prescription's own interval (5 h) and session cap (1) still apply: 13:00, last dose 09:00.
        var rx = F.prescription(dose: 100, sessions: 1, until: "2026-11-24")
        rx.minIntervalMinutes = 300
        var later = F.context(now: F.minutes(300), prescriptions: [rx],
                              history: PatientHistory(recentReleases: [F.past(0, hour: 9, dose: 100)], observationClearedAt: F.minutes(90)))
        later.override = try OverrideRules.open(id: "O-2", patient: PatientID("P-1"), drug: .diacetylmorphine, route: .injectable,
                                                doseMg: 200, minutes: 30, reason: "phone order", by: Self.admin, second: F.nurse,
                                                at: F.minutes(300), policy: ClinicPolicy()).get()
        #expect(DispensePolicy.decide(F.request(), later).refusals.map(\.reason) == [.sessionLimit, .tooSoon])
        // With no prescription the clinic's interval (30 min) applies: a dose 10 min ago is too soon.
        later.prescriptions = []
        later.history = PatientHistory(recentReleases: [F.past(0, hour: 9, dose: 100)], lastReleaseAt: F.minutes(290),
                                       observationClearedAt: F.minutes(295))
        later.history.recentReleases = [PastRelease(id: ReleaseID("R-x"), drug: .diacetylmorphine, doseMg: 100, at: F.minutes(290))]
        #expect(DispensePolicy.decide(F.request(), later).refusals.map(\.reason).contains(.tooSoon))

        // Missed doses: the stand-in starts today, but it is not a re-titrated prescription.
        var gap = F.context(prescriptions: [F.prescription(dose: 100, titrating: true, from: "2026-11-01", until: "2026-11-24")],
                            history: PatientHistory(recentReleases: [], lastReleaseAt: F.past(7).at, reauthorisedAt: F.minutes(-10)))
        gap.override = try override(dose: 100).get()
        #expect(DispensePolicy.decide(F.request(), gap).refusals.map(\.reason) == [.missedDoseRetitration])
        gap.prescriptions = []
        #expect(DispensePolicy.decide(F.request(), gap).refusals.map(\.reason) == [.missedDoseRetitration])
    }

    /// No release while a blind count is open (review of #11, finding 4).
    @Test func noReleaseWhileACountIsOpen() throws {
        var ctx = F.context()
        ctx.openCount = try BlindCount.start(id: "C-1", kinds: [Self.kind200], by: F.nurse, witness: F.clinician, at: F.morning).get()
        #expect(DispensePolicy.decide(F.request(), ctx).refusals.map(\.reason) == [.countInProgress])
        ctx.openCount = nil
        if case .release = DispensePolicy.decide(F.request(), ctx) {} else { Issue.record("refused without a count") }
        let sheet = try BlindCount.start(id: "C-1", kinds: [Self.kind200], by: F.nurse, witness: F.clinician, at: F.morning).get()
        #expect(!BlindCount.abandoned(sheet, now: F.minutes(59), policy: ClinicPolicy()))
        #expect(BlindCount.abandoned(sheet, now: F.minutes(60), policy: ClinicPolicy()))
    }

    @Test func aSecondAdminWhoDidNotOpenItReviewsAClosedOverride() throws {
        var o = try override().get()
        #expect(OverrideRules.review(o, by: Self.admin2).map(\.reason) == [.overrideStillOpen])
        #expect(OverrideRules.close(o).isEmpty)
        o.state = .expired
        #expect(OverrideRules.close(o).map(\.reason) == [.overrideNotOpen])
        #expect(OverrideRules.review(o, by: Self.admin).map(\.reason) == [.reviewerOpened])
        #expect(OverrideRules.review(o, by: F.clinician).map(\.reason) == [.needsAdmin])
        #expect(OverrideRules.review(o, by: F.nurse).map(\.reason) == [.needsAdmin, .reviewerOpened])
        #expect(OverrideRules.review(o, by: Self.admin2).isEmpty)
        o.reviewedBy = Self.admin2.id
        #expect(OverrideRules.review(o, by: Self.admin2).map(\.reason) == [.alreadyReviewed])
    }
}

extension CabinetTests {
    @Test mutating func expiredOrUnknownBatchUnitIsRefusedAtTheIssueScan() throws {
        _ = try #require(unlock())
        _ = send(.door(open: true, at: tick()))
        let expired = StockUnit(serial: UnitSerial("700009"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                                batch: "B-1", expiry: "2026-11-24")
        var fx = send(.issueScan(expired.serial, stock: expired, at: tick()))
        #expect(Self.commits(fx).contains { if case .anomaly(.expired, UnitSerial("700009"), _, _, _) = $0 { true } else { false } })
        #expect(cab.release?.issued.isEmpty == true && cab.ledger.unit(expired.serial) == nil)
        let noBatch = StockUnit(serial: UnitSerial("700010"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200)
        fx = send(.issueScan(noBatch.serial, stock: noBatch, at: tick()))
        #expect(Self.commits(fx).contains { if case .anomaly(.unknownBatch, _, _, _, _) = $0 { true } else { false } })
        // A good unit is still taken.
        let good = StockUnit(serial: UnitSerial("700011"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                             batch: "B-1", expiry: F.today)
        fx = send(.issueScan(good.serial, stock: good, at: tick()))
        #expect(Self.commits(fx).contains { if case .issue = $0 { true } else { false } })
    }
}
