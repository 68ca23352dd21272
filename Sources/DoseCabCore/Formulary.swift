/// The formulary, in one place (issue 19.3): which drug is given by which route, and what a unit
/// taken for a dose must be. Prescriptions, receipts, overrides, the counter's issue scan, late
/// entries and the store's re-checks in its transactions all ask here.
public enum Formulary {
    /// The routes each drug is given by. Methadone is not inhaled.
    public static let routes: [Drug: Set<Route>] = [
        .diacetylmorphine: [.injectable, .inhalable, .oral],
        .methadone: [.injectable, .oral],
    ]

    /// Nil when `drug` is given by `route`; otherwise why not, for a refusal.
    public static func problem(_ drug: Drug, _ route: Route) -> String? {
        routes[drug, default: []].contains(route) ? nil : "\(drug.rawValue) is not given by the \(route.rawValue) route"
    }
}

extension StockKind {
    /// Read from a row's text columns; nil when a drug or route is not one the cabinet knows.
    public init?(drug: String, route: String, strengthMg: Int) {
        guard let d = Drug(rawValue: drug), let r = Route(rawValue: route) else { return nil }
        self.init(drug: d, route: r, strengthMg: strengthMg)
    }
}

extension ReleasePlan {
    /// The kind of unit this release takes.
    public var unitKind: StockKind { StockKind(drug: drug, route: route, strengthMg: unitStrengthMg) }
}

/// Whether a unit may be taken for a dose (issue 19.3).
public enum UnitMatch {
    /// Every way `unit` differs from the units the dose takes (drug, route, strength), and a
    /// problem when the `planned` units were all `taken` already; empty when it may be taken.
    public static func problems(_ unit: StockKind, wanted: StockKind, taken: Int = 0, planned: Int = .max) -> [String] {
        var out: [String] = []
        if unit.drug != wanted.drug { out.append("drug \(unit.drug.rawValue), the dose is \(wanted.drug.rawValue)") }
        if unit.route != wanted.route { out.append("route \(unit.route.rawValue), the dose is \(wanted.route.rawValue)") }
        if unit.strengthMg != wanted.strengthMg { out.append("\(unit.strengthMg) mg, the dose takes \(wanted.strengthMg) mg units") }
        if taken >= planned { out.append("the dose already has its \(planned) unit(s)") }
        return out
    }
}
