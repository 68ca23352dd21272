/// The state the audit chain implies (issue 18.5): what the register shows and the counter acts
/// on, rebuilt from the records alone, to be compared with the store's state tables.
///
/// Each record carries the register fields of its one ledger write (`LedgerWrite.auditEvent`), so
/// a fold over the records in sequence order rebuilds: every issued unit (release, patient, state),
/// every release (patient, state, units issued), the open holds per patient, every stock unit's
/// state, the prescription version in force per id (from the `prescriptions-imported` records),
/// revoked prescriber keys, each person's role and card fingerprint (enrolment records name a
/// card by its fingerprint, never its number) and the patient/staff links. What a record does not carry (a release's plan
/// beyond its patient, a unit's deadline, a PIN hash) is not rebuilt: see docs/reliability.md.
public struct ChainState: Sendable, Hashable {
    public struct Unit: Sendable, Hashable {
        public var release: String
        public var patient: String
        public var state: String
    }

    public struct Release: Sendable, Hashable {
        public var patient: String
        public var state: String
        /// Set when the release ended.
        public var unitsIssued: Int?
    }

    public struct Person: Sendable, Hashable {
        /// Staff only.
        public var role: String?
        public var card: String
        /// The keyed fingerprint of the PIN hash the last enrolment set (`pk-…`); nil for records
        /// written before enrolments carried it.
        public var pin: String? = nil
    }

    public struct PrescriptionVersion: Sendable, Hashable {
        public var version: Int
        /// `prescription` or `cancellation`.
        public var type: String
    }

    public private(set) var units: [String: Unit] = [:]
    public private(set) var releases: [String: Release] = [:]
    /// Open holds per patient (a clearance clears them all).
    public private(set) var openHolds: [String: Int] = [:]
    /// Stock unit serial → `in-stock`, `issued`, `wasted` or `lost`.
    public private(set) var stock: [String: String] = [:]
    public private(set) var prescriptions: [String: PrescriptionVersion] = [:]
    public private(set) var revokedKeys: Set<String> = []
    public private(set) var staff: [String: Person] = [:]
    public private(set) var patients: [String: Person] = [:]
    /// Staff member → the patient number they are also treated under (`people-linked`, an
    /// enrolment's `also patient`; `people-unlinked` ends it): who may never witness whose dose.
    public private(set) var links: [String: String] = [:]
    /// Records of a kind whose state this folds in but whose fields or prose it could not read:
    /// the rows they would have set are unchecked, so the check names them rather than skip them.
    public private(set) var unreadable: [Unreadable] = []

    public struct Unreadable: Hashable, Sendable {
        public var seq: Int64?
        /// The record's kind, or its admin action.
        public var what: String
        /// Its admin detail, or its fields.
        public var text: String
    }

    /// The record being folded in, for `unreadable`.
    private var current = Unreadable(seq: nil, what: "", text: "")

    public init() {}

    /// Folds one record in (records in sequence order); `seq` names it in `unreadable`.
    public mutating func apply(_ event: AuditEvent, seq: Int64? = nil) {
        let f = event.fields
        current = Unreadable(seq: seq, what: event.kind == .admin ? f["action"] ?? "admin" : event.kind.rawValue,
                             text: event.kind == .admin ? f["detail"] ?? ""
                                 : f.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        switch event.kind {
        case .release:
            guard let id = f["release"], let patient = f["patient"] else { return unread() }
            releases[id] = Release(patient: patient, state: "intent")
        case .releaseCompleted:
            guard let id = f["release"] else { return unread() }
            releases[id]?.state = "completed"
            releases[id]?.unitsIssued = f["units_issued"].flatMap { Int($0) }
        case .recovery:
            // `releaseInterrupted`: the store counts the units issued on the release. The
            // recovery summary at start names no release and changes no state.
            guard let id = f["release"] else { return }
            releases[id]?.state = "interrupted"
            releases[id]?.unitsIssued = units.values.filter { $0.release == id }.count
        case .issue:
            guard let serial = f["unit"], let release = f["release"], let patient = f["patient"] else { return unread() }
            units[serial] = Unit(release: release, patient: patient, state: UnitState.open.rawValue)
            if stock[serial] != nil { stock[serial] = "issued" }
        case .return:
            close(f, UnitState.returned)
        case .consumed:
            close(f, UnitState.consumed)
        case .incident:
            // A unit not closed out names its release; an anomaly (a scan not booked) does not.
            if f["release"] != nil { close(f, UnitState.incident) }
        case .lateEntry:
            guard f["state"] == "entry" else { return }
            guard let id = f["release"], let patient = f["patient"] else { return unread() }
            let serials = (f["units"] ?? "").split(separator: ",").map(String.init)
            let state: UnitState = switch f["outcome"] ?? "" {
            case "returned": .returned
            case "consumed": .consumed
            default: .incident
            }
            for serial in serials {
                units[serial] = Unit(release: id, patient: patient, state: state.rawValue)
                if stock[serial] != nil { stock[serial] = "issued" }
            }
            releases[id] = Release(patient: patient, state: "completed", unitsIssued: serials.count)
        case .hold:
            guard let patient = f["patient"] else { return unread() }
            openHolds[patient, default: 0] += 1
        case .holdCleared:
            guard let patient = f["patient"] else { return unread() }
            openHolds[patient] = nil
        case .receipt:
            for serial in (f["units"] ?? "").split(separator: ",") { stock[String(serial)] = "in-stock" }
        case .waste:
            // A unit destroyed from stock; one that was issued stays issued in the stock register.
            if f["release"] == nil, let serial = f["unit"] { stock[serial] = "wasted" }
        case .discrepancyResolved:
            for serial in (f["units"] ?? "").split(separator: ",").map(String.init) where stock[serial] == "in-stock" {
                stock[serial] = "lost"
            }
        case .keyRevoked:
            if let key = f["key"] { revokedKeys.insert(key) }
        case .admin:
            admin(action: f["action"] ?? "", detail: f["detail"] ?? "")
        default:
            break
        }
    }

    private mutating func unread() {
        unreadable.append(current)
    }

    private mutating func close(_ f: [String: String], _ state: UnitState) {
        guard let serial = f["unit"] else { return unread() }
        guard units[serial] != nil else { return }
        units[serial]?.state = state.rawValue
    }

    private mutating func admin(action: String, detail: String) {
        switch action {
        case "prescriptions-imported":
            // "2 installed (rx-1@2, rx-2@1), 1 cancelled (rx-3@4), 0 unchanged"
            for (word, type) in [("installed", "prescription"), ("cancelled", "cancellation")] {
                guard let open = detail.range(of: " \(word) ("), let close = detail[open.upperBound...].firstIndex(of: ")") else { continue }
                for raw in detail[open.upperBound..<close].split(separator: ",") {
                    let name = String(raw.drop { $0 == " " })
                    guard let at = name.lastIndex(of: "@"), let version = Int(name[name.index(after: at)...]) else { unread(); continue }
                    prescriptions[String(name[..<at])] = PrescriptionVersion(version: version, type: type)
                }
            }
        case "staff-enrolled", "staff-re-enrolled", "staff-bootstrapped":
            // "S-01 (nurse) card fp-0a1b2c3d pin pk-…[: changes][, also patient P]"; the bootstrap names two, split by "; ".
            for part in detail.split(separator: ";") {
                let words = part.split(separator: " ")
                guard words.count >= 4, words[2] == "card", words[1].hasPrefix("("), words[1].hasSuffix(")") else { unread(); continue }
                let pin = words.count >= 6 && words[4] == "pin" ? Self.fingerprint(words[5]) : nil
                staff[String(words[0])] = Person(role: String(words[1].dropFirst().dropLast()), card: Self.fingerprint(words[3]), pin: pin)
                if let also = part.range(of: ", also patient ") {
                    links[String(words[0])] = String(part[also.upperBound...].prefix { $0 != "," && $0 != ";" && $0 != " " })
                }
            }
        case "people-linked":
            // "staff member S-01 is also patient P-0042"
            let words = detail.split(separator: " ")
            guard words.count == 7, words[4] == "also", words[5] == "patient" else { return unread() }
            links[String(words[2])] = String(words[6])
        case "people-unlinked":
            // "staff member S-01 is no longer patient P-0042: reason"
            let words = detail.split(separator: " ")
            guard words.count >= 7, words[4] == "no", words[5] == "longer" else { return unread() }
            links[String(words[2])] = nil
        case "patient-enrolled", "patient-re-enrolled":
            // "P-0001 card fp-… pin pk-…[, also staff S]"
            let words = detail.split(separator: " ")
            guard words.count >= 3, words[1] == "card" else { return unread() }
            let pin = words.count >= 5 && words[3] == "pin" ? Self.fingerprint(words[4]) : nil
            patients[String(words[0])] = Person(role: nil, card: Self.fingerprint(words[2]), pin: pin)
        default:
            break
        }
    }

    private static func fingerprint(_ word: Substring) -> String {
        String(word.prefix { $0 != "," && $0 != ":" && $0 != ";" })
    }
}
