/// One dose the counter offers a patient: a (drug, route, dose) in force today, from a signed
/// prescription or a break-glass override, with the keypad code that asks for it.
///
/// Codes are stable per drug, so a nurse's habits hold from one patient to the next: `11` is
/// heroin (diacetylmorphine) and `12` methadone while the patient has one dose of that drug in
/// force; with several, a route digit follows (`1` injectable, `2` inhalable, `3` oral: `111`
/// injectable heroin, `112` inhalable heroin), and with several of one drug and route, their
/// place in dose order (`1121`, `1122`).
public struct DoseChoice: Hashable, Sendable, Codable {
    /// The keypad code, entered with `#` after it.
    public var key: String
    /// The prescription (or, with `override`, the override) the dose comes from.
    public var prescriptionID: String
    public var prescriptionVersion: Int
    public var drug: Drug
    public var route: Route
    public var doseMg: Int
    /// The dose stands in for a prescription under a break-glass override.
    public var override: Bool

    public init(key: String, prescriptionID: String, prescriptionVersion: Int, drug: Drug, route: Route, doseMg: Int,
                override: Bool = false) {
        self.key = key
        self.prescriptionID = prescriptionID
        self.prescriptionVersion = prescriptionVersion
        self.drug = drug
        self.route = route
        self.doseMg = doseMg
        self.override = override
    }

    /// "diacetylmorphine injectable 200 mg".
    public var label: String { "\(drug.rawValue) \(route.rawValue) \(doseMg) mg" }

    /// "112# diacetylmorphine inhalable 300 mg (RX-7)": what the counter shows and a refusal names.
    public var offer: String { "\(key)# \(label) (\(override ? "override " : "")\(prescriptionID))" }

    /// The prescription still says what was offered.
    public func matches(_ p: Prescription) -> Bool {
        p.id == prescriptionID && p.drug == drug && p.route == route && p.doseMg == doseMg
    }

    /// The keypad digit of a drug (after the leading `1` of "not intoxicated").
    public static func digit(_ drug: Drug) -> String {
        switch drug {
        case .diacetylmorphine: "1"
        case .methadone: "2"
        }
    }

    public static func digit(_ route: Route) -> String {
        switch route {
        case .injectable: "1"
        case .inhalable: "2"
        case .oral: "3"
        }
    }

    /// The doses in force for `patient` on `today`, with their codes: every prescription valid
    /// that day (its newest version) and a usable override, in drug, route, dose order.
    public static func offered(to patient: PatientID, prescriptions: [Prescription], override: Override?,
                               today: Int64, at now: Moment) -> [DoseChoice] {
        var newest: [String: Prescription] = [:]
        for p in prescriptions where p.patient == patient && (p.validDays?.contains(today) ?? false) {
            if let seen = newest[p.id], seen.version >= p.version { continue }
            newest[p.id] = p
        }
        var doses = newest.values.map {
            DoseChoice(key: "", prescriptionID: $0.id, prescriptionVersion: $0.version, drug: $0.drug, route: $0.route, doseMg: $0.doseMg)
        }
        if let o = override, o.patient == patient, o.usable(at: now) {
            doses.append(DoseChoice(key: "", prescriptionID: o.id, prescriptionVersion: 1, drug: o.drug, route: o.route,
                                    doseMg: o.doseMg, override: true))
        }
        func order(_ c: DoseChoice) -> (Int, Int, Int, Int, String) {
            (Drug.allCases.firstIndex(of: c.drug) ?? 0, Route.allCases.firstIndex(of: c.route) ?? 0, c.doseMg, c.override ? 1 : 0, c.prescriptionID)
        }
        doses.sort { order($0) < order($1) }
        var out: [DoseChoice] = []
        for c in doses {
            let ofDrug = doses.filter { $0.drug == c.drug }
            let ofRoute = ofDrug.filter { $0.route == c.route }
            var keyed = c
            keyed.key = "1" + digit(c.drug)
            if ofDrug.count > 1 { keyed.key += digit(c.route) }
            if ofRoute.count > 1 { keyed.key += String((ofRoute.firstIndex(of: c) ?? 0) + 1) }
            out.append(keyed)
        }
        return out
    }
}
