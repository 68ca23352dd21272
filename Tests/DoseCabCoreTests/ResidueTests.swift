import Testing
@testable import DoseCabCore

/// Residue (ARCHITECTURE §4a): the units drawn beyond the dose are wasted with a witness before
/// close-out. The arithmetic first, then the cabinet that enforces it.
@Suite struct ResidueAccountTests {
    /// 60 mg methadone from 50 mg cups: two cups drawn, 40 mg residue.
    static let account = ResidueAccount(release: ReleaseID("R-1"), patient: PatientID("P-1"), drug: .methadone, doseMg: 60,
                                        unitStrengthMg: 50, plannedMg: 40, unitsIssued: 2)

    @Test func owedIsTheResidueOfTheUnitsDrawnLessWhatWasWasted() {
        var a = Self.account
        #expect(a.residueMg == 40 && a.owedMg == 40)
        a.wastedMg = 30
        #expect(a.owedMg == 10)
        a.wastedMg = 40
        #expect(a.owedMg == 0)
        // A release that ended short drew less: one cup of 50 mg for a 60 mg dose leaves nothing
        // over, and a release that issued nothing owes nothing.
        var short = Self.account
        short.unitsIssued = 1
        #expect(short.residueMg == 0 && short.owedMg == 0)
        short.unitsIssued = 0
        #expect(short.owedMg == 0)
        // Never more than the plan says, whatever the figures.
        var odd = Self.account
        odd.unitsIssued = 5
        #expect(odd.residueMg == 40)
    }

    @Test func aResidueWasteAboveWhatIsOwedIsRefusedWithTheFigures() {
        var a = Self.account
        #expect(a.wasteProblems(mg: 40).isEmpty)
        #expect(a.wasteProblems(mg: 25).isEmpty)
        let over = a.wasteProblems(mg: 80)
        #expect(over.map(\.reason) == [.badQuantity])
        #expect(over.first?.detail == "release R-1 owes 40 mg residue; 80 mg given")
        a.wastedMg = 40
        #expect(a.wasteProblems(mg: 1).first?.detail.contains("has had its 40 mg residue wasted already") == true)
        var none = Self.account
        none.unitsIssued = 1
        #expect(none.wasteProblems(mg: 10).first?.detail.contains("has no residue") == true)
    }

    /// The store tells residue waste from a dose drawn but not given by the register reason's
    /// category; a not-given waste must never count as residue.
    @Test func theRegisterReasonNamesItsCategory() {
        #expect(WasteReason(reasonText: "residue") == .residue)
        #expect(WasteReason(reasonText: "residue: 60 of 50") == .residue)
        #expect(WasteReason(reasonText: "not-given: patient left") == .notGiven)
        #expect(WasteReason(reasonText: "other: residue spilled") == .other)
        #expect(WasteReason(reasonText: "residues") == nil)
    }
}

extension CabinetTests {
    /// Through a completed release of `dose` mg `drug` (`route`) with the units `serials` issued
    /// from the fixture's stock; returns the plan.
    mutating func completedRelease(_ id: ReleaseID, dose: Int, drug: Drug, route: Route, attest: String,
                                   serials: [String]) throws -> ReleasePlan {
        let req = try #require(identify(attest: attest))
        let ctx = F.context(now: now, prescriptions: [F.prescription(dose: dose, drug: drug, route: route, sessions: 1)])
        let decision = DispensePolicy.decide(req, ctx)
        guard case .release(let plan) = decision else { throw NotReleased(decision: "\(decision)") }
        _ = send(.decided(decision, releaseID: id, at: tick()))
        _ = send(.releaseCommitted(id, at: tick()))
        _ = send(.door(open: true, at: tick()))
        for serial in serials {
            let unit = StockUnit(serial: UnitSerial(serial), drug: drug, route: route, strengthMg: plan.unitStrengthMg,
                                 batch: "B-1", expiry: "2027-12-31")
            _ = send(.issueScan(unit.serial, stock: unit, at: tick()))
        }
        _ = send(.door(open: false, at: tick()))
        _ = send(.bolt(engaged: true, at: tick()))
        return plan
    }

    struct NotReleased: Error { var decision: String }

    static func consumed(_ fx: [CabinetEffect]) -> [UnitSerial] {
        commits(fx).compactMap { if case .unitConsumed(let s, _, _, _, _) = $0 { s } else { nil } }
    }

    @Test mutating func aWitnessedCloseOutWaitsUntilTheResidueIsWasted() throws {
        // 60 mg methadone from 50 mg cups: two cups, 40 mg residue.
        let id = ReleaseID("R-M")
        let plan = try completedRelease(id, dose: 60, drug: .methadone, route: .oral, attest: "12#", serials: ["800001", "800002"])
        #expect(plan.unitCount == 2 && plan.residueMg == 40)
        #expect(log.contains(.feedback(.prompt(
            "release R-M: 40 mg residue must be wasted with a witness before close-out: dosecabctl stock waste --release R-M --mg 40 --reason residue"))))
        #expect(cab.residue[id]?.owedMg == 40)

        // Refused with its own reason and the command that clears it; audited; nothing booked.
        var fx = send(.confirmConsumed(UnitSerial("800001"), witness: StaffID("S-1"), at: tick()))
        #expect(Self.refusalReasons(fx) == [.residueNotWasted])
        #expect(fx.contains(.feedback(.refused(
            "residue-not-wasted: unit 800001 not closed out: release R-M: 40 mg residue must be wasted with a witness first (dosecabctl stock waste --release R-M --mg 40 --reason residue)"))))
        #expect(Self.consumed(fx).isEmpty && !fx.contains { if case .cancelTimer = $0 { true } else { false } })
        #expect(cab.ledger.openUnits.count == 2)
        // The counter path (the witness scans the unit) is the same close-out, refused the same way.
        _ = send(.card(F.nurseCard, at: tick()))
        _ = send(.keys("1111#", at: tick()))
        fx = send(.issueScan(UnitSerial("800002"), stock: nil, at: tick()))
        #expect(Self.refusalReasons(fx) == [.residueNotWasted] && Self.consumed(fx).isEmpty)

        // Part of it wasted: still refused, for what is left.
        _ = send(.residueWasted(id, mg: 30, at: tick()))
        fx = send(.confirmConsumed(UnitSerial("800001"), witness: StaffID("S-1"), at: tick()))
        #expect(Self.refusalReasons(fx) == [.residueNotWasted])
        #expect(fx.contains { if case .feedback(.refused(let s)) = $0 { s.contains("10 mg residue") } else { false } })

        // All of it: both units close out.
        _ = send(.residueWasted(id, mg: 10, at: tick()))
        #expect(cab.residue[id] == nil)
        #expect(Self.consumed(send(.confirmConsumed(UnitSerial("800001"), witness: StaffID("S-1"), at: tick()))) == [UnitSerial("800001")])
        #expect(Self.consumed(send(.confirmConsumed(UnitSerial("800002"), witness: StaffID("S-1"), at: tick()))) == [UnitSerial("800002")])
        #expect(cab.ledger.openUnits.isEmpty && cab.ledger.isConsistent)
    }

    @Test mutating func aReleaseWithoutResidueClosesOutAtOnce() throws {
        // 50 mg from one 50 mg cup: nothing left over, nothing to wait for.
        let plan = try completedRelease(ReleaseID("R-N"), dose: 50, drug: .methadone, route: .oral, attest: "12#", serials: ["800003"])
        #expect(plan.residueMg == 0 && cab.residue.isEmpty)
        #expect(Self.consumed(send(.confirmConsumed(UnitSerial("800003"), witness: StaffID("S-1"), at: tick()))) == [UnitSerial("800003")])
    }

    /// After a restart the cabinet is built with the store's open residue: the close-out still waits.
    @Test mutating func theResidueOwedSurvivesARestart() {
        var ledger = UnitLedger()
        _ = ledger.issue(IssuedUnit(serial: UnitSerial("800009"), release: ReleaseID("R-9"), patient: PatientID("P-1"), drug: .methadone,
                                    route: .oral, strengthMg: 50, rule: .witnessed, issuedAt: now,
                                    deadline: now.advanced(byMillis: 1_800_000)))
        let owed = ResidueAccount(release: ReleaseID("R-9"), patient: PatientID("P-1"), drug: .methadone, doseMg: 60,
                                  unitStrengthMg: 50, plannedMg: 40, unitsIssued: 2, wastedMg: 10)
        cab = Cabinet(policy: ClinicPolicy(), roster: F.roster, ledger: ledger, residueOwed: [owed])
        let fx = send(.confirmConsumed(UnitSerial("800009"), witness: StaffID("S-1"), at: tick()))
        #expect(Self.refusalReasons(fx) == [.residueNotWasted] && Self.consumed(fx).isEmpty)
        #expect(fx.contains { if case .feedback(.refused(let s)) = $0 { s.contains("--mg 30") } else { false } })
    }

    /// A return is physical reality and always booked (I5); when it closes out the last unit of
    /// a release that still owes residue, a record names release, patient and mg. No hold.
    @Test mutating func aReturnIsBookedAndAnOpenResidueIsRecorded() throws {
        // 150 mg heroin from a 200 mg ampoule: 50 mg residue, closed out by return.
        let id = ReleaseID("R-H")
        let plan = try completedRelease(id, dose: 150, drug: .diacetylmorphine, route: .injectable, attest: "11#", serials: ["700001"])
        #expect(plan.unitCount == 1 && plan.residueMg == 50 && plan.closeOut.rule == .return)
        let fx = send(.returned(UnitSerial("700001"), at: tick()))
        let writes = Self.commits(fx)
        #expect(writes.contains { if case .unitReturned(UnitSerial("700001"), _, _, _) = $0 { true } else { false } })
        let outstanding = writes.compactMap { w -> (ResidueAccount, UnitSerial)? in
            if case .residueOutstanding(let a, let last, _) = w { (a, last) } else { nil }
        }
        #expect(outstanding.count == 1)
        #expect(outstanding.first?.0.release == id && outstanding.first?.0.patient == PatientID("P-1") && outstanding.first?.0.owedMg == 50
                && outstanding.first?.1 == UnitSerial("700001"))
        let event = try #require(writes.last).auditEvent
        #expect(event.kind == .residueOutstanding && event.fields["residue_mg"] == "50" && event.fields["release"] == "R-H"
                && event.fields["patient"] == "P-1")
        #expect(!writes.contains { if case .hold = $0 { true } else { false } } && cab.holds.isEmpty)
        #expect(cab.ledger.openUnits.isEmpty)
        // Still owed until the waste is recorded; then it is settled.
        #expect(cab.residue[id]?.owedMg == 50)
        _ = send(.residueWasted(id, mg: 50, at: tick()))
        #expect(cab.residue.isEmpty)
    }

    /// A witnessed unit whose residue was never wasted runs into its deadline: the usual
    /// incident and hold, and the open residue is recorded too.
    @Test mutating func anIncidentThatClosesTheLastUnitRecordsTheOpenResidue() throws {
        _ = try completedRelease(ReleaseID("R-I"), dose: 60, drug: .methadone, route: .oral, attest: "12#", serials: ["800004", "800005"])
        let fx = send(.timer(.closeOut(UnitSerial("800004")), at: now.advanced(byMillis: 31 * 60_000)))
        let writes = Self.commits(fx)
        #expect(writes.filter { if case .unitIncident = $0 { true } else { false } }.count == 2)
        #expect(writes.filter { if case .residueOutstanding(let a, _, _) = $0 { a.owedMg == 40 } else { false } }.count == 1)
    }
}
