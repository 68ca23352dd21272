/// Every method of the control socket, declared once (issue 19.5): its name on the wire, who may
/// call it and how its call is recorded. The daemon's access table and dispatch (a `switch` the
/// compiler checks for every case) and the CLI derive from this list.
public enum ControlMethod: String, CaseIterable, Sendable {
    // Looking (the `dosecab` group).
    case status, outstanding, releases, holds
    case rxList = "rx.list"
    case stockList = "stock.list"
    case auditVerify = "audit.verify"
    case auditList = "audit.list"
    case reportDaily = "report.daily"
    case peopleList = "people.list"
    case countStatus = "count.status"
    case discrepancyList = "discrepancy.list"
    case overrideList = "override.list"
    case lateList = "late.list"

    // Changing (the `dosecab-admin` group).
    case holdClear = "hold.clear"
    case confirm
    case rxImport = "rx.import"
    case rxRevokeKey = "rx.revoke-key"
    case stockAdd = "stock.add"
    case enroll
    case lockdown
    case stockReceive = "stock.receive"
    case stockWaste = "stock.waste"
    case countStart = "count.start"
    case countEnter = "count.enter"
    case countCancel = "count.cancel"
    case discrepancyResolve = "discrepancy.resolve"
    case overrideOpen = "override.open"
    case overrideClose = "override.close"
    case overrideReview = "override.review"
    case lateEntry = "late.entry"
    case lateClose = "late.close"
    case observationEnd = "observation.end"
    case reauthorise
    case peopleLink = "people.link"
    case peopleUnlink = "people.unlink"

    // Driving the simulated hardware (`dosecabd --simulate` only; the admin group).
    case simCard = "sim.card"
    case simKeys = "sim.keys"
    case simScan = "sim.scan"
    case simReturn = "sim.return"
    case simDoor = "sim.door"
    case simLine = "sim.line"
    case simAdvance = "sim.advance"
    case simBoltFault = "sim.bolt-fault"

    /// Who may call it.
    public var access: Access {
        switch self {
        case .status, .outstanding, .releases, .holds, .rxList, .stockList, .auditVerify, .auditList, .reportDaily,
             .peopleList, .countStatus, .discrepancyList, .overrideList, .lateList:
            .read
        case .holdClear, .confirm, .rxImport, .rxRevokeKey, .stockAdd, .enroll, .lockdown, .stockReceive, .stockWaste,
             .countStart, .countEnter, .countCancel, .discrepancyResolve, .overrideOpen, .overrideClose, .overrideReview,
             .lateEntry, .lateClose, .observationEnd, .reauthorise, .peopleLink, .peopleUnlink,
             .simCard, .simKeys, .simScan, .simReturn, .simDoor, .simLine, .simAdvance, .simBoltFault:
            .admin
        }
    }

    /// It drives the simulated hardware, and exists only with `--simulate`.
    public var isSimulation: Bool { rawValue.hasPrefix("sim.") }

    /// An admin method whose call is recorded by an `admin` record of its own (the caller's uid
    /// and pid, its parameters), committed in the transaction of the action's first write (issue
    /// 18.11). The other admin methods name the caller in the record the action writes itself
    /// (an enrolment, an import, a lockdown, a link).
    public var recordsCallWithAction: Bool {
        switch self {
        case .holdClear, .confirm, .stockAdd, .stockReceive, .stockWaste, .countStart, .countEnter, .countCancel,
             .discrepancyResolve, .overrideOpen, .overrideClose, .overrideReview, .lateEntry, .lateClose,
             .observationEnd, .reauthorise:
            true
        // Listed one by one, so that a new method must be placed on one side or the other.
        case .status, .outstanding, .releases, .holds, .rxList, .stockList, .auditVerify, .auditList, .reportDaily,
             .peopleList, .countStatus, .discrepancyList, .overrideList, .lateList,
             .rxImport, .rxRevokeKey, .enroll, .lockdown, .peopleLink, .peopleUnlink,
             .simCard, .simKeys, .simScan, .simReturn, .simDoor, .simLine, .simAdvance, .simBoltFault:
            false
        }
    }
}
