/// Residue (ARCHITECTURE §4a, "Units match the release"): when the units drawn for a release
/// hold more than its dose (60 mg methadone from 50 mg cups), what is left over is a controlled
/// drug that must be destroyed under witness, on the register, before the release's units are
/// closed out by a witness. Pure arithmetic: the store feeds it figures from its tables, the
/// cabinet keeps one account per release that still owes residue.

/// One release's residue: what was drawn, what is left over, what has been wasted.
public struct ResidueAccount: Hashable, Sendable, Codable {
    public var release: ReleaseID
    public var patient: PatientID
    public var drug: Drug
    public var doseMg: Int
    public var unitStrengthMg: Int
    /// The plan's residue: units planned × strength − dose.
    public var plannedMg: Int
    /// Units taken out and bound to the release by their issue scan.
    public var unitsIssued: Int
    /// Witnessed waste recorded against the release with the reason `residue` (never `not-given`:
    /// a dose drawn but not given is not the left-over of a dose that was given).
    public var wastedMg: Int

    public init(release: ReleaseID, patient: PatientID, drug: Drug, doseMg: Int, unitStrengthMg: Int, plannedMg: Int,
                unitsIssued: Int, wastedMg: Int = 0) {
        self.release = release
        self.patient = patient
        self.drug = drug
        self.doseMg = doseMg
        self.unitStrengthMg = unitStrengthMg
        self.plannedMg = plannedMg
        self.unitsIssued = unitsIssued
        self.wastedMg = wastedMg
    }

    /// A release's account before any unit was issued.
    public init(_ id: ReleaseID, plan: ReleasePlan) {
        self.init(release: id, patient: plan.patient, drug: plan.drug, doseMg: plan.doseMg, unitStrengthMg: plan.unitStrengthMg,
                  plannedMg: plan.residueMg, unitsIssued: 0)
    }

    /// What the issued units hold beyond the dose, never more than the plan's residue. A release
    /// that ended short (window lapsed, count mismatch) drew less: residue is of what was drawn,
    /// so a release that issued nothing owes nothing.
    public var residueMg: Int { min(max(0, plannedMg), max(0, unitsIssued * unitStrengthMg - doseMg)) }

    /// Residue still to be wasted with a witness.
    public var owedMg: Int { max(0, residueMg - wastedMg) }

    /// The rule for a witnessed `residue` waste of `mg` on this release: at most what it owes.
    /// A refusal says what is owed, so the staff can correct the figure.
    public func wasteProblems(mg: Int) -> [Refusal] {
        if owedMg == 0 {
            let why = residueMg == 0 ? "has no residue (\(unitsIssued) x \(unitStrengthMg) mg issued for a \(doseMg) mg dose)"
                                     : "has had its \(residueMg) mg residue wasted already"
            return [Refusal(.badQuantity, "release \(release) \(why); \(mg) mg given")]
        }
        if mg > owedMg {
            return [Refusal(.badQuantity, "release \(release) owes \(owedMg) mg residue; \(mg) mg given")]
        }
        return []
    }

    /// The command that records the waste of what is owed (two people, as every waste).
    public var instruction: String {
        "dosecabctl stock waste --release \(release) --mg \(owedMg) --reason residue"
    }

    /// Why a witnessed close-out waits, and what to do.
    public var refusalText: String {
        "release \(release): \(owedMg) mg residue must be wasted with a witness first (\(instruction))"
    }
}
