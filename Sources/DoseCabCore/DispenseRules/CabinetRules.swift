/// No release in lockdown.
public struct LockdownRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        context.lockdown ? [Refusal(.lockdown, "the cabinet is in lockdown")] : []
    }
}

/// The clock a release is recorded by is synchronised and not behind the ledger.
public struct ClockRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        var refusals: [Refusal] = []
        if !context.clockSynchronised {
            refusals.append(Refusal(.clockUnsynchronised, "the system clock is not synchronised"))
        }
        if let newest = context.newestLedgerWallMillis, context.now.wallMillis < newest {
            refusals.append(Refusal(.clockBehindLedger,
                                    "the clock is \((newest - context.now.wallMillis) / 1000) s behind the newest ledger record"))
        }
        return refusals
    }
}

/// Nothing leaves the cabinet unrecorded (I3): the journal and the store both take records.
public struct RecordingRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        var refusals: [Refusal] = []
        if !context.journalHealthy { refusals.append(Refusal(.journalUnavailable, "the journal is not accepting audit events")) }
        if !context.storeHealthy { refusals.append(Refusal(.storeUnavailable, "the store cannot commit a release")) }
        return refusals
    }
}

/// A patient on hold gets nothing until the hold is cleared.
public struct HoldRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        context.history.hold.map { [Refusal(.hold, "patient on hold: \($0)")] } ?? []
    }
}

/// Stock does not move while a blind count is open.
public struct BlindCountRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        context.openCount.map {
            [Refusal(.countInProgress, "blind count \($0.id) is open: releases wait until it is entered or cancelled")]
        } ?? []
    }
}

/// An open discrepancy freezes releases (`ClinicPolicy.freezeScope`): of the whole cabinet,
/// judged with the request, or of its drug, judged with the dose.
public struct DiscrepancyFreezeRule: RequestRule, DoseRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        guard context.policy.freezeScope == .cabinet else { return [] }
        return DiscrepancyRules.freeze(drug: nil, open: context.openDiscrepancies, scope: .cabinet).map { [$0] } ?? []
    }

    public func refusals(_ dose: DoseUnderReview) -> [Refusal] {
        guard dose.policy.freezeScope == .drug else { return [] }
        return DiscrepancyRules.freeze(drug: dose.drug, open: dose.context.openDiscrepancies, scope: .drug).map { [$0] } ?? []
    }
}
