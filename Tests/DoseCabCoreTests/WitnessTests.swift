import Testing
@testable import DoseCabCore

/// Issue 18.4 (ARCHITECTURE §4a "Witnessed close-out"): the scan of a witnessed unit names it, and
/// only the witness's badge + PIN that follows books its consumption; the witness is never the
/// patient. Issue 18.6: a unit scanned before the door opens is refused, so the release records
/// what was really issued.
extension CabinetTests {
    static let cup = UnitSerial("800003")

    /// 50 mg methadone, one witnessed cup, release complete; the nurse's session still open.
    mutating func cupOpenAfterRelease() throws {
        _ = try completedRelease(ReleaseID("R-W"), dose: 50, drug: .methadone, route: .oral, attest: "12#", serials: ["800003"])
        #expect(cab.release == nil && cab.ledger.unit(Self.cup)?.state == .open)
    }

    static func witnessPrompts(_ fx: [CabinetEffect]) -> [String] {
        fx.compactMap { if case .feedback(.prompt(let s)) = $0 { s } else { nil } }
    }

    @Test mutating func aScanAloneNeverBooksAWitnessedConsumption() throws {
        try cupOpenAfterRelease()
        #expect(cab.staffSession != nil)  // a session is open: the old hole needed nothing more
        // The scan names the unit and asks for the witness; nothing is booked.
        var fx = send(.issueScan(Self.cup, stock: nil, at: tick()))
        #expect(Self.consumed(fx).isEmpty && Self.commits(fx).isEmpty)
        #expect(Self.witnessPrompts(fx) == ["unit 800003: witness, present your badge and PIN to confirm it was consumed"])
        #expect(fx.contains { if case .startTimer(.pinEntry, _) = $0 { true } else { false } })
        #expect(cab.ledger.unit(Self.cup)?.state == .open)
        // The badge alone books nothing either.
        fx = send(.card(F.nurseCard, at: tick()))
        #expect(Self.consumed(fx).isEmpty && cab.ledger.unit(Self.cup)?.state == .open)
        #expect(Self.witnessPrompts(fx) == ["S-1: enter PIN to confirm unit 800003 was consumed, then #"])
        // Badge + PIN: consumed, witnessed by the badge's holder.
        fx = send(.keys("1111#", at: tick()))
        #expect(Self.commits(fx).contains { if case .unitConsumed(Self.cup, ReleaseID("R-W"), PatientID("P-1"), StaffID("S-1"), _) = $0 { true } else { false } })
        #expect(fx.contains(.cancelTimer(.closeOut(Self.cup))))
        #expect(cab.ledger.openUnits.isEmpty && cab.ledger.isConsistent && cab.step == .idle)
    }

    @Test mutating func aWrongWitnessPINCountsTowardTheLockout() throws {
        try cupOpenAfterRelease()
        for attempt in 1...3 {
            _ = send(.issueScan(Self.cup, stock: nil, at: tick()))
            _ = send(.card(F.clinicianCard, at: tick()))
            let fx = send(.keys("0000#", at: tick()))
            #expect(Self.refusalReasons(fx) == [attempt < 3 ? .wrongPIN : .pinLockout])
            #expect(Self.consumed(fx).isEmpty)
        }
        #expect(cab.ledger.unit(Self.cup)?.state == .open)
        // Locked out: even the right PIN is never asked for.
        _ = send(.issueScan(Self.cup, stock: nil, at: tick()))
        let fx = send(.card(F.clinicianCard, at: tick()))
        #expect(Self.refusalReasons(fx) == [.pinLockout])
        #expect(Self.consumed(send(.keys("2222#", at: tick()))).isEmpty)
        #expect(cab.ledger.unit(Self.cup)?.state == .open)
    }

    @Test mutating func theWitnessConfirmationTimesOutAndTheUnitStaysOpen() throws {
        try cupOpenAfterRelease()
        _ = send(.issueScan(Self.cup, stock: nil, at: tick()))
        _ = send(.card(F.nurseCard, at: tick()))
        // Before the timeout nothing happens; after it the dialogue is back at idle.
        #expect(send(.timer(.pinEntry, at: tick(5))).isEmpty)
        let fx = send(.timer(.pinEntry, at: tick(31)))
        #expect(Self.witnessPrompts(fx) == ["unit 800003: witness confirmation timed out; the unit stays open"])
        #expect(cab.step == .idle)
        #expect(Self.consumed(send(.keys("1111#", at: tick()))).isEmpty)
        #expect(cab.ledger.unit(Self.cup)?.state == .open)
        // Its close-out deadline still runs: an incident and a hold.
        let late = send(.timer(.closeOut(Self.cup), at: tick(31 * 60)))
        #expect(Self.commits(late).contains { if case .unitIncident(Self.cup, _, _, _, _) = $0 { true } else { false } })
        #expect(cab.holds[PatientID("P-1")] != nil)
    }

    @Test mutating func aPatientsOwnStaffBadgeNeverWitnessesTheirUnit() throws {
        // P-1 also holds a staff badge (the roster's staff/patient link).
        let selfStaff = Staff(id: StaffID("S-9"), role: .nurse, card: CardID(format: .h10301, facility: 10, number: 109),
                              pin: PlainPINs.hash("5555"), alsoPatient: PatientID("P-1"))
        try cupOpenAfterRelease()
        _ = send(.roster(Roster(patients: [F.patient, F.otherPatient], staff: [F.nurse, F.clinician, selfStaff])))
        _ = send(.issueScan(Self.cup, stock: nil, at: tick()))
        _ = send(.card(selfStaff.card, at: tick()))
        let fx = send(.keys("5555#", at: tick()))
        #expect(Self.refusalReasons(fx) == [.witnessIsPatient] && Self.consumed(fx).isEmpty)
        #expect(cab.ledger.unit(Self.cup)?.state == .open)
    }

    /// The witness dialogue leaves the rest of the counter as it was: a staff badge without a scan
    /// still opens a session, and a patient's dose is still chosen with its key.
    @Test mutating func theCounterDialogueStillWorksAfterAWitnessedCloseOut() throws {
        try cupOpenAfterRelease()
        _ = send(.issueScan(Self.cup, stock: nil, at: tick()))
        _ = send(.card(F.nurseCard, at: tick()))
        _ = send(.keys("1111#", at: tick()))
        #expect(cab.ledger.openUnits.isEmpty)
        staffLogin()
        _ = send(.card(F.patientCard, at: tick()))
        _ = send(.keys("4321#", at: tick()))
        #expect(cab.step == .attestation(F.patient))
        #expect(send(.keys("12#", at: tick())).contains { if case .evaluate(let r) = $0 { r.drug == .methadone } else { false } })
    }

    // MARK: 18.6

    @Test mutating func aUnitScannedBeforeTheDoorOpensIsRefusedAndTheReleaseRecordsWhatWasIssued() throws {
        _ = try #require(unlock())
        let stock = StockUnit(serial: UnitSerial("700010"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                              batch: "B-1", expiry: "2027-12-31")
        // Lock energised, door still closed: the unit cannot have come out of this cabinet.
        var fx = send(.issueScan(stock.serial, stock: stock, at: tick()))
        #expect(!Self.commits(fx).contains { if case .issue = $0 { true } else { false } })
        #expect(Self.commits(fx).contains { if case .anomaly(let kind, stock.serial, PatientID("P-1"), _, _) = $0 { kind.rawValue == "scan-before-door-open" } else { false } })
        #expect(fx.contains(.feedback(.refused("unit 700010: the door is not open yet: open the door, then scan each unit as you take it"))))
        #expect(cab.ledger.unit(stock.serial) == nil && cab.release?.issued == [])
        // The window expires: the release records the 0 units really issued and leaves nothing open.
        fx = send(.timer(.unlockWindow(ReleaseID("R-1")), at: tick(21)))
        #expect(Self.commits(fx).contains { if case .releaseCompleted(ReleaseID("R-1"), _, 0, 1, _, _) = $0 { true } else { false } })
        #expect(cab.ledger.openUnits.isEmpty && cab.ledger.isConsistent)
    }

    @Test mutating func aUnitScannedAfterTheDoorOpensIsIssuedAndAStaleUnlockWindowKeepsIt() throws {
        _ = try #require(unlock())
        let stock = StockUnit(serial: UnitSerial("700011"), drug: .diacetylmorphine, route: .injectable, strengthMg: 200,
                              batch: "B-1", expiry: "2027-12-31")
        _ = send(.bolt(engaged: false, at: tick()))  // the solenoid pulls the bolt back
        _ = send(.door(open: true, at: tick()))
        #expect(Self.commits(send(.issueScan(stock.serial, stock: stock, at: tick()))).contains { if case .issue = $0 { true } else { false } })
        _ = send(.door(open: false, at: tick()))
        // The bolt has not confirmed yet when a stale unlock-window timer fires: nothing is dropped.
        #expect(send(.timer(.unlockWindow(ReleaseID("R-1")), at: tick(21))).isEmpty)
        let fx = send(.bolt(engaged: true, at: tick()))
        #expect(Self.commits(fx).contains { if case .releaseCompleted(ReleaseID("R-1"), _, 1, 1, "complete", _) = $0 { true } else { false } })
        #expect(cab.ledger.unit(stock.serial)?.state == .open)
    }
}
