/// Drugs the cabinet holds. Raw values are the journal's `DOSECAB_DRUG` and the store's column.
public enum Drug: String, Sendable, Codable, CaseIterable, Hashable {
    /// Pharmaceutical heroin (diamorphine, DAM).
    case diacetylmorphine
    case methadone
}

/// How the dose is taken; decides the unit and its close-out rule (ARCHITECTURE §3).
public enum Route: String, Sendable, Codable, CaseIterable, Hashable {
    case injectable
    case inhalable
    case oral
}

/// How a released unit is closed out.
public enum CloseOutRule: String, Sendable, Codable, Hashable {
    /// The empty unit comes back through the return scanner and the chute beam.
    case `return`
    /// A staff witness confirms, badge + PIN, that the unit was consumed on the spot.
    case witnessed
}

/// One serialised unit in stock: an ampoule, a pre-weighed inhalation portion, a cup or tablet.
public struct StockUnit: Hashable, Sendable, Codable {
    public var serial: UnitSerial
    public var drug: Drug
    public var route: Route
    /// Strength of the whole unit in milligrams.
    public var strengthMg: Int
    /// The manufacturer's batch (lot) number; nil when it was never recorded, an unknown batch
    /// that is never released (issue #11).
    public var batch: String?
    /// Last day of use, `YYYY-MM-DD`; nil when never recorded (also never released).
    public var expiry: String?

    public init(serial: UnitSerial, drug: Drug, route: Route, strengthMg: Int, batch: String? = nil, expiry: String? = nil) {
        self.serial = serial
        self.drug = drug
        self.route = route
        self.strengthMg = strengthMg
        self.batch = batch
        self.expiry = expiry
    }

    /// What a blind count counts this unit as.
    public var kind: StockKind { StockKind(drug: drug, route: route, strengthMg: strengthMg) }
}

/// One line of a blind count and of the stock balance: a drug, its route and the unit strength.
public struct StockKind: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var drug: Drug
    public var route: Route
    public var strengthMg: Int

    public init(drug: Drug, route: Route, strengthMg: Int) {
        self.drug = drug
        self.route = route
        self.strengthMg = strengthMg
    }

    /// `drug/route/strength`, e.g. `diacetylmorphine/injectable/200`: how the CLI names a kind.
    public init?(key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let drug = Drug(rawValue: String(parts[0])), let route = Route(rawValue: String(parts[1])),
              let mg = Int(parts[2]), mg > 0 else { return nil }
        self.init(drug: drug, route: route, strengthMg: mg)
    }

    public var key: String { "\(drug.rawValue)/\(route.rawValue)/\(strengthMg)" }
    public var description: String { key }

    public static func < (a: Self, b: Self) -> Bool {
        (a.drug.rawValue, a.route.rawValue, a.strengthMg) < (b.drug.rawValue, b.route.rawValue, b.strengthMg)
    }
}

/// Staff roles (ARCHITECTURE §4a): clinical decisions need a clinician's badge + PIN.
public enum StaffRole: String, Sendable, Codable, CaseIterable, Hashable {
    case nurse, clinician, pharmacist, admin

    /// May clear holds and re-authorise after missed doses.
    public var makesClinicalDecisions: Bool { self == .clinician || self == .admin }

    /// May end a patient's post-dose observation early: the staff who observe patients (nurses)
    /// and those who make clinical decisions; a pharmacist keeps the stock, not the patients.
    public var endsObservationEarly: Bool { self == .nurse || makesClinicalDecisions }
}

/// A PIN hash reference: the core never sees a PIN in clear beyond the keypad frame, and never
/// stores one. The cabinet says which hash an entry is checked against (`PINCheck`); the daemon
/// runs the `PINVerifier` (scrypt, in the store module) off the cabinet's actor (issue 19.7).
public struct PINHash: Hashable, Sendable, Codable {
    public var salt: [UInt8]
    public var hash: [UInt8]
    /// scrypt cost parameter N (log2 kept implicit); recorded so it can be raised later.
    public var rounds: Int

    public init(salt: [UInt8], hash: [UInt8], rounds: Int) {
        self.salt = salt
        self.hash = hash
        self.rounds = rounds
    }
}

/// Checks a keyed-in PIN against its hash: the KDF, expensive by design. The cabinet never calls
/// it; the daemon runs it off the cabinet's actor (`PINCheck.run`).
public protocol PINVerifier: Sendable {
    func verify(pin: String, against hash: PINHash) -> Bool
}

public struct Patient: Hashable, Sendable, Codable {
    public var id: PatientID
    public var card: CardID
    public var pin: PINHash
    /// Staff badge held by the same person (a patient can never witness their own release).
    public var alsoStaff: StaffID?

    public init(id: PatientID, card: CardID, pin: PINHash, alsoStaff: StaffID? = nil) {
        self.id = id
        self.card = card
        self.pin = pin
        self.alsoStaff = alsoStaff
    }
}

public struct Staff: Hashable, Sendable, Codable {
    public var id: StaffID
    public var role: StaffRole
    public var card: CardID
    public var pin: PINHash
    /// Patient record of the same person, if any (§4a: never their own witness).
    public var alsoPatient: PatientID?

    public init(id: StaffID, role: StaffRole, card: CardID, pin: PINHash, alsoPatient: PatientID? = nil) {
        self.id = id
        self.role = role
        self.card = card
        self.pin = pin
        self.alsoPatient = alsoPatient
    }
}
