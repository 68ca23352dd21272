import ArgumentParser
import DoseCabControl
import DoseCabCore
import DoseCabSystemd
import Foundation

/// `dosecabctl`: the technician's command line for `dosecabd`.
/// Exit codes: 0 ok, 1 refused or failed, 64 usage, 69 daemon unreachable, 77 permission denied.
@main
struct DoseCabCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dosecabctl",
        abstract: "Talk to dosecabd, the dose cabinet daemon.",
        version: "0.1.0",
        subcommands: [Status.self, Outstanding.self, Releases.self, Holds.self, Hold.self, Confirm.self, Rx.self, Stock.self,
                      Count.self, Discrepancy.self, Override.self, LateEntryVerb.self, ObservationVerb.self, Reauthorise.self,
                      Enroll.self, Lockdown.self, Audit.self, Report.self, Log.self, People.self, Sim.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ControlClientError {
            FileHandle.standardError.write(Data("dosecabctl: \(error)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch let error as Refused {
            FileHandle.standardError.write(Data("dosecabctl: \(error.message)\n".utf8))
            Foundation.exit(error.code)
        } catch {
            // Usage errors exit 64 (EX_USAGE), as the argument parser's own do.
            let code = exitCode(for: error)
            if code == .success {
                // --help, help VERB, --version, completion scripts: to stdout, status 0.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if code.rawValue == 64 || code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(64)
            }
            exit(withError: error)
        }
    }
}

struct Refused: Error {
    var message: String
    var code: Int32 = 1
}

/// Options every verb shares.
struct Common: ParsableArguments {
    @Option(name: .long, help: "Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the reply as JSON.")
    var json = false

    func call(_ method: ControlMethod, _ parameters: [String: JSONValue] = [:]) throws -> [String: JSONValue] {
        let client = ControlClient(socketPath: socket ?? ControlClient.defaultSocketPath())
        let reply = try client.call(method.rawValue, parameters)
        if let error = reply.error {
            if json { print(Render.json(.object(reply.parameters.merging(["error": .string(error)]) { a, _ in a }))) }
            throw Refused(message: error)
        }
        return reply.parameters
    }

    /// Calls and prints: JSON with --json, else a readable rendering.
    func show(_ method: ControlMethod, _ parameters: [String: JSONValue] = [:], table key: String? = nil) throws {
        let reply = try call(method, parameters)
        if json { print(Render.json(.object(reply))); return }
        if let key, let rows = reply[key]?.arrayValue {
            print(rows.isEmpty ? "(none)" : Render.table(rows))
            for (k, v) in reply where k != key { print("\(k): \(Render.scalar(v))") }
        } else {
            print(Render.text(reply))
        }
    }
}

enum Render {
    static var colour: Bool { isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func json(_ v: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(v), as: UTF8.self)) ?? "{}"
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "-"
        case .bool(let b): return b ? "yes" : "no"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array(let a): return a.map(scalar).joined(separator: ", ")
        case .object(let o): return o.keys.sorted().map { "\($0)=\(scalar(o[$0]!))" }.joined(separator: " ")
        }
    }

    static func text(_ o: [String: JSONValue]) -> String {
        let width = o.keys.map(\.count).max() ?? 0
        return o.keys.sorted().map { k in
            let pad = String(repeating: " ", count: width - k.count)
            if let rows = o[k]?.arrayValue, rows.first?.objectValue != nil { return "\(k):\n" + table(rows) }
            if case .string(let s) = o[k]!, s.contains("\n") { return "\(k):\n\(s)" }
            let value = scalar(o[k]!)
            let bold = colour && (k == "lockdown" || k == "alarm") && value != "-" && value != "no"
            return "\(k)\(pad)  " + (bold ? "\u{1B}[1;31m\(value)\u{1B}[0m" : value)
        }.joined(separator: "\n")
    }

    static func table(_ rows: [JSONValue]) -> String {
        let objects = rows.compactMap(\.objectValue)
        guard !objects.isEmpty else { return rows.map(scalar).joined(separator: "\n") }
        var columns: [String] = []
        for o in objects { for k in o.keys.sorted() where !columns.contains(k) { columns.append(k) } }
        let cells = objects.map { o in columns.map { o[$0].map(scalar) ?? "-" } }
        let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
        }
        let header = line(columns.map { $0.uppercased() })
        return ([colour ? "\u{1B}[1m\(header)\u{1B}[0m" : header] + cells.map(line)).joined(separator: "\n")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lock, door, bolt, session, open release, units out, holds, health.")
    @OptionGroup var common: Common
    func run() throws { try common.show(.status) }
}

struct Outstanding: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Units released and not yet returned or confirmed.")
    @OptionGroup var common: Common
    func run() throws { try common.show(.outstanding, table: "units") }
}

struct Releases: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Releases since a time (default: the last 24 h).")
    @OptionGroup var common: Common
    @Option(help: "Since this date (YYYY-MM-DD, clinic time is not applied) or epoch milliseconds.") var since: String?
    func run() throws {
        var p: [String: JSONValue] = [:]
        if let since {
            if let ms = Int(since) { p["since"] = .number(Double(ms)) } else if let day = dayMillis(since) { p["since"] = .number(Double(day)) } else {
                throw ValidationError("--since must be YYYY-MM-DD or epoch milliseconds")
            }
        }
        try common.show(.releases, p, table: "releases")
    }
}

/// Epoch milliseconds of a `YYYY-MM-DD` day (UTC), by the core's strict date parser.
func dayMillis(_ s: String) -> Int64? { parseDay(s).map { $0 * 86_400_000 } }

struct Holds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Patients on hold.")
    @OptionGroup var common: Common
    func run() throws { try common.show(.holds, table: "holds") }
}

struct StaffAuth: ParsableArguments {
    @Option(help: "Your staff number (e.g. S-02).") var staff: String
    @Option(help: "Your PIN; '-' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.")
    var pin: String
}

/// PINs given as `-`: read from stdin, one a line, in the order the options appear in the
/// usage (`--pin`, then `--witness-pin`), or asked for on the terminal without echo. A PIN on
/// the command line is in /proc/PID/cmdline, readable by every local user (`ps`).
enum PINInput {
    static func resolve(_ entries: [(who: String, value: String?)]) throws -> [String?] {
        try entries.map { entry in
            guard entry.value == "-" else { return entry.value }
            let pin = isatty(STDIN_FILENO) == 1 ? askWithoutEcho("PIN for \(entry.who): ") : readLine(strippingNewline: true)
            guard let pin, !pin.isEmpty else { throw Refused(message: "no PIN for \(entry.who) on stdin (one PIN a line)", code: 64) }
            return pin
        }
    }

    /// Prompts on stderr and reads a line from the terminal with echo off.
    static func askWithoutEcho(_ prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        let haveTerm = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerm {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if haveTerm { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear a hold (clinician or admin badge + PIN).", subcommands: [Clear.self])
    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear a patient's hold with a reason.")
        @OptionGroup var common: Common
        @Argument(help: "Patient number.") var patient: String
        @Option(help: "Why the hold is cleared.") var reason: String
        @OptionGroup var auth: StaffAuth
        func run() throws {
            try common.show(.holdClear, try auth.parameters().merging(["patient": .string(patient), "reason": .string(reason)]) { a, _ in a })
        }
    }
}

struct Confirm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Witnessed close-out: confirm a unit was consumed.")
    @OptionGroup var common: Common
    @Argument(help: "Unit serial.") var unit: String
    @OptionGroup var auth: StaffAuth
    func run() throws { try common.show(.confirm, try auth.parameters().merging(["unit": .string(unit)]) { a, _ in a }) }
}

struct Rx: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Prescriptions.", subcommands: [Import.self, List.self, RevokeKey.self])
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a signed prescription bundle (all or nothing).")
        @OptionGroup var common: Common
        @Argument(help: "Bundle file (JSON, docs/prescriptions.md).") var file: String
        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw Refused(message: "cannot read \(file)") }
            try common.show(.rxImport, ["bundle": .string(String(decoding: data, as: UTF8.self))])
        }
    }
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Current prescriptions.")
        @OptionGroup var common: Common
        func run() throws { try common.show(.rxList, table: "prescriptions") }
    }
    struct RevokeKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-key",
            abstract: "Two-person revocation of a prescriber's key: it signs nothing more and its prescriptions are no longer in force.")
        @OptionGroup var common: Common
        @Argument(help: "The key's id (its file name in the prescribers folder, without .pub).") var key: String
        @Option(help: "Why (key lost, prescriber left, ...).") var reason: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            var p = try auth.parameters(second)
            p["key"] = .string(key)
            p["reason"] = .string(reason)
            try common.show(.rxRevokeKey, p)
        }
    }
}

struct WitnessAuth: ParsableArguments {
    @Option(name: .customLong("witness"), help: "The second staff member's number.") var witness: String
    @Option(name: .customLong("witness-pin"), help: "The second staff member's PIN; '-' as for --pin (read after it).") var witnessPin: String
}

extension StaffAuth {
    /// Both people's credentials as the control protocol names them (PINs given as `-` read).
    func parameters(_ second: WitnessAuth? = nil) throws -> [String: JSONValue] {
        let pins = try PINInput.resolve([(staff, pin), (second?.witness ?? "", second?.witnessPin)])
        var p: [String: JSONValue] = ["staff": .string(staff), "pin": .string(pins[0]!)]
        if let second, let witnessPin = pins[1] { p["witness_staff"] = .string(second.witness); p["witness_pin"] = .string(witnessPin) }
        return p
    }
}

struct Stock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stock: witnessed receipt and waste, levels and units.",
                                                    subcommands: [Receive.self, Waste.self, List.self])
    struct Receive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Two-person receipt of units (serial, drug, strength, batch, expiry) into the cabinet.", aliases: ["add"])
        @OptionGroup var common: Common
        @Option(help: "diacetylmorphine or methadone.") var drug: String
        @Option(help: "injectable, inhalable or oral.") var route: String
        @Option(name: .customLong("strength-mg"), help: "Strength of each unit in mg.") var strengthMg: Int
        @Option(help: "The manufacturer's batch (lot) number.") var batch: String
        @Option(help: "Expiry date, YYYY-MM-DD (an expired unit is refused).") var expiry: String
        @Option(parsing: .upToNextOption, help: "Unit serials.") var serials: [String]
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.stockReceive, try auth.parameters(second).merging([
                "drug": .string(drug), "route": .string(route), "strength_mg": .number(Double(strengthMg)),
                "batch": .string(batch), "expiry": .string(expiry), "serials": .array(serials.map { .string($0) })]) { a, _ in a })
        }
    }
    struct Waste: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Witnessed waste: a unit from stock (broken, expired, other) or a dose of a release (not-given, residue).")
        @OptionGroup var common: Common
        @Argument(help: "Serial of the unit destroyed (a unit from stock; optional for a release's waste).") var serial: String?
        @Option(help: "broken, expired, not-given, residue or other.") var reason: String
        @Option(help: "The release the dose was drawn for (not-given, residue).") var release: String?
        @Option(help: "Milligrams destroyed (a unit from stock: its strength).") var mg: Int?
        @Option(help: "What happened.") var note: String?
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            var p = try auth.parameters(second)
            p["reason"] = .string(reason)
            if let serial { p["serial"] = .string(serial) }
            if let release { p["release"] = .string(release) }
            if let mg { p["mg"] = .number(Double(mg)) }
            if let note { p["note"] = .string(note) }
            try common.show(.stockWaste, p)
        }
    }
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Units in stock by drug, route and strength (and releasable: batch known, not expired).")
        @OptionGroup var common: Common
        @Flag(help: "Also list each unit with its batch and expiry.") var units = false
        func run() throws {
            let reply = try common.call(.stockList, ["units": .bool(units)])
            if common.json { print(Render.json(.object(reply))); return }
            print(Render.table(reply["levels"]?.arrayValue ?? []))
            if units { print("\n" + Render.table(reply["units"]?.arrayValue ?? [])) }
        }
    }
}

/// After the cabinet was opened with the mechanical key while the daemon was down (ARCHITECTURE
/// §4a "Downtime"): two staff members enter each dose given from the paper register, then close.
struct LateEntryVerb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "late-entry",
        abstract: "Witnessed late entry of what was taken with the mechanical key while the daemon was down.",
        subcommands: [Add.self, Close.self, List.self])
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Two-person entry of one dose given during the downtime, from the paper register.")
        @OptionGroup var common: Common
        @Option(help: "The patient the dose was given to (e.g. P-0001).") var patient: String
        @Option(help: "diacetylmorphine or methadone.") var drug: String
        @Option(help: "injectable, inhalable or oral.") var route: String
        @Option(name: .customLong("given-at"), help: "When it was given, clinic local time: YYYY-MM-DDTHH:MM.") var givenAt: String
        @Option(help: "returned (empties seen by both), consumed (witnessed; witnessed routes only) or missing (incident + hold).")
        var outcome: String
        @Option(help: "Where the paper record is, e.g. \"downtime sheet 3, line 2\".") var note: String
        @Option(parsing: .upToNextOption, help: "Serials of the units taken.") var serials: [String]
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.lateEntry, try auth.parameters(second).merging([
                "patient": .string(patient), "drug": .string(drug), "route": .string(route), "given_at": .string(givenAt),
                "outcome": .string(outcome), "note": .string(note), "serials": .array(serials.map { .string($0) })]) { a, _ in a })
        }
    }
    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Two-person close: everything taken during the downtime is entered (then lockdown off is allowed).")
        @OptionGroup var common: Common
        @Option(help: "What was checked, e.g. \"paper register checked, nothing more taken\".") var note: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.lateClose, try auth.parameters(second).merging(["note": .string(note)]) { a, _ in a })
        }
    }
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mechanical-key downtimes and the late entries made for them.")
        @OptionGroup var common: Common
        func run() throws {
            let reply = try common.call(.lateList)
            if common.json { print(Render.json(.object(reply))); return }
            print(Render.table(reply["downtimes"]?.arrayValue ?? []))
            let entries = reply["entries"]?.arrayValue ?? []
            if !entries.isEmpty { print("\n" + Render.table(entries)) }
        }
    }
}

struct Count: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Blind counts by two staff members.",
                                                    subcommands: [Start.self, Enter.self, Cancel.self, Status.self])
    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a blind count: lists what to count, never the expected figures.")
        @OptionGroup var common: Common
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws { try common.show(.countStart, try auth.parameters(second)) }
    }
    struct Enter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enter the counted figures (the two who started the count); a mismatch opens a discrepancy.")
        @OptionGroup var common: Common
        @Argument(help: "The count id from count start.") var count: String
        @Option(name: .customLong("count"), help: "drug/route/strength=N, once per kind on the sheet (e.g. diacetylmorphine/injectable/200=40).")
        var figures: [String]
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            var counts: [String: JSONValue] = [:]
            for f in figures {
                let parts = f.split(separator: "=")
                guard parts.count == 2, let n = Int(parts[1]) else { throw ValidationError("--count must be drug/route/strength=N") }
                counts[String(parts[0])] = .number(Double(n))
            }
            try common.show(.countEnter, try auth.parameters(second).merging(["count": .string(count), "counts": .object(counts)]) { a, _ in a })
        }
    }
    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel an open count nobody will finish (two staff members and a reason); releases and stock movements resume.")
        @OptionGroup var common: Common
        @Argument(help: "The count id.") var count: String
        @Option(help: "Why the count is cancelled.") var reason: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.countCancel, try auth.parameters(second).merging(["count": .string(count), "reason": .string(reason)]) { a, _ in a })
        }
    }
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The count in progress (kinds only), the last count, and whether one is due.")
        @OptionGroup var common: Common
        func run() throws { try common.show(.countStatus) }
    }
}

struct Discrepancy: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Discrepancies between a blind count and the ledger.",
                                                    subcommands: [List.self, Resolve.self])
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open discrepancies (all with --all), with their escalation time.")
        @OptionGroup var common: Common
        @Flag(help: "Also resolved ones.") var all = false
        func run() throws { try common.show(.discrepancyList, ["all": .bool(all)], table: "discrepancies") }
    }
    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Two staff members resolve a discrepancy: miscount, documented-waste, found, loss or suspected-theft.")
        @OptionGroup var common: Common
        @Argument(help: "The discrepancy id.") var id: String
        @Option(help: "miscount, documented-waste, found, loss or suspected-theft.") var resolution: String
        @Option(help: "What was found and done.") var note: String
        @Option(parsing: .upToNextOption, help: "For a loss or suspected theft: the serials of exactly the missing units.")
        var serials: [String] = []
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.discrepancyResolve, try auth.parameters(second).merging([
                "id": .string(id), "resolution": .string(resolution), "note": .string(note),
                "serials": .array(serials.map { .string($0) })]) { a, _ in a })
        }
    }
}

struct Override: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Break-glass override: two staff, one an admin; reviewed by a second admin.",
                                                    subcommands: [Open.self, Close.self, Review.self, List.self])
    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open an override for one named dose, for a bounded window (replaces the prescription check only).")
        @OptionGroup var common: Common
        @Option(help: "Patient number.") var patient: String
        @Option(help: "diacetylmorphine or methadone.") var drug: String
        @Option(help: "injectable, inhalable or oral.") var route: String
        @Option(name: .customLong("dose-mg"), help: "The dose ordered, mg.") var doseMg: Int
        @Option(help: "Window in minutes (at most the configured override-max-minutes).") var minutes: Int
        @Option(help: "Why the normal path cannot be used, and who ordered the dose.") var reason: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.overrideOpen, try auth.parameters(second).merging([
                "patient": .string(patient), "drug": .string(drug), "route": .string(route), "dose_mg": .number(Double(doseMg)),
                "minutes": .number(Double(minutes)), "reason": .string(reason)]) { a, _ in a })
        }
    }
    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an override before its window ends.")
        @OptionGroup var common: Common
        @Argument(help: "The override id.") var id: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var auth: StaffAuth
        func run() throws { try common.show(.overrideClose, try auth.parameters().merging(["id": .string(id), "reason": .string(reason)]) { a, _ in a }) }
    }
    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign off a closed or expired override (an admin who did not open it).")
        @OptionGroup var common: Common
        @Argument(help: "The override id.") var id: String
        @Option(help: "What the review found.") var note: String
        @OptionGroup var auth: StaffAuth
        func run() throws { try common.show(.overrideReview, try auth.parameters().merging(["id": .string(id), "note": .string(note)]) { a, _ in a }) }
    }
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Overrides open or awaiting review (all with --all).")
        @OptionGroup var common: Common
        @Flag(help: "Also reviewed ones.") var all = false
        func run() throws { try common.show(.overrideList, ["all": .bool(all)], table: "overrides") }
    }
}

struct Enroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol or change a staff member or a patient (two other staff members' badges + PINs; a new cabinet starts with --bootstrap).",
        discussion: """
            Staff: two staff members (--staff/--pin, --witness/--witness-pin), neither the one enrolled; an admin among them \
            for the role admin or clinician. An id that exists is changed only with --replace (same rule). Patients: two staff \
            members, neither of them the patient. A new cabinet (no staff yet): --bootstrap enrols the first admin and a \
            second person (--second-*) in one step, once; docs/install.md, "First boot".
            """)
    @OptionGroup var common: Common
    @Argument(help: "staff or patient.") var kind: String
    @Option(help: "Staff or patient number.") var id: String
    @Option(help: "Card facility code.") var facility: Int
    @Option(help: "Card number.") var card: Int
    @Option(help: "Card format (h10301, h10306, c1000, h10302, h10304).") var format = "h10301"
    @Option(name: .customLong("new-pin"), help: "The new person's PIN (4-8 digits); '-' reads it from stdin or the terminal.") var newPin: String
    @Option(help: "Staff role (nurse, clinician, pharmacist, admin).") var role: String?
    @Option(help: "First staff member vouching (staff and patients).") var staff: String?
    @Option(help: "Their PIN; '-' reads it from stdin or the terminal (after the new PINs).") var pin: String?
    @Option(help: "Second staff member vouching (staff and patients).") var witness: String?
    @Option(name: .customLong("witness-pin"), help: "Second staff PIN; '-' as for --pin (read after it).") var witnessPin: String?
    @Flag(help: "Staff: change the role, card and PIN of an enrolled id (two other staff members).") var replace = false
    @Flag(help: "Staff, new cabinet only, once: enrol the first admin (--id, --role admin, ...) and a second person (--second-*).")
    var bootstrap = false
    @Option(name: .customLong("second-id"), help: "Bootstrap: the second person's staff number.") var secondID: String?
    @Option(name: .customLong("second-role"), help: "Bootstrap: the second person's role.") var secondRole: String?
    @Option(name: .customLong("second-facility"), help: "Bootstrap: the second person's card facility code.") var secondFacility: Int?
    @Option(name: .customLong("second-card"), help: "Bootstrap: the second person's card number.") var secondCard: Int?
    @Option(name: .customLong("second-format"), help: "Bootstrap: the second person's card format.") var secondFormat = "h10301"
    @Option(name: .customLong("second-new-pin"), help: "Bootstrap: the second person's PIN; '-' reads it (after --new-pin).")
    var secondNewPin: String?
    func validate() throws {
        if bootstrap {
            guard kind == "staff", secondID != nil, secondRole != nil, secondFacility != nil, secondCard != nil, secondNewPin != nil else {
                throw ValidationError("--bootstrap enrols two staff members: --second-id, --second-role, --second-facility, --second-card and --second-new-pin")
            }
        }
    }
    func run() throws {
        let pins = try PINInput.resolve([("the new \(kind) \(id)", newPin), ("the second person \(secondID ?? "")", secondNewPin),
                                         (staff ?? "", pin), (witness ?? "", witnessPin)])
        var p: [String: JSONValue] = ["kind": .string(kind), "id": .string(id), "facility": .number(Double(facility)),
                                      "card": .number(Double(card)), "format": .string(format), "new_pin": .string(pins[0]!)]
        if let role { p["role"] = .string(role) }
        if let staff { p["staff"] = .string(staff) }
        if let pin = pins[2] { p["pin"] = .string(pin) }
        if let witness { p["witness_staff"] = .string(witness) }
        if let witnessPin = pins[3] { p["witness_pin"] = .string(witnessPin) }
        if replace { p["replace"] = true }
        if bootstrap, let secondID, let secondRole, let secondFacility, let secondCard, let secondPIN = pins[1] {
            p.merge(["bootstrap": true, "second_id": .string(secondID), "second_role": .string(secondRole),
                     "second_facility": .number(Double(secondFacility)), "second_card": .number(Double(secondCard)),
                     "second_format": .string(secondFormat), "second_new_pin": .string(secondPIN)]) { a, _ in a }
        }
        try common.show(.enroll, p)
    }
}

struct Lockdown: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Switch lockdown on (admin group) or off (admin group and an admin's badge + PIN).")
    @OptionGroup var common: Common
    @Argument(help: "on or off.") var state: String
    @Option(help: "Why.") var reason: String
    @Option(help: "off: the admin's staff number (e.g. S-04).") var staff: String?
    @Option(help: "off: the admin's PIN; '-' reads it from stdin (one PIN a line) or asks on the terminal without echo.")
    var pin: String?
    func validate() throws {
        guard state == "on" || state == "off" else { throw ValidationError("state must be on or off") }
        if state == "off" && (staff == nil || pin == nil) {
            throw ValidationError("lockdown off takes an admin's badge and PIN: --staff S --pin PIN|-")
        }
    }
    func run() throws {
        var p: [String: JSONValue] = ["state": .string(state), "reason": .string(reason)]
        if let staff, let pin {
            p["staff"] = .string(staff)
            p["pin"] = .string(try PINInput.resolve([(staff, pin)])[0]!)
        }
        try common.show(.lockdown, p)
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The hash-chained audit log.", subcommands: [Verify.self, List.self])
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the chain and compare every state table with the state it implies.",
            discussion: """
                Reports the first edited, deleted or reordered record, and every row of the register, \
                the stock, the holds, the prescriptions in force and the people that differs from what \
                the chain says. With --expect, also checks the chain against a head printed earlier or \
                held off the box (the daily register prints it): a record with another hash at that \
                sequence number, or a chain shorter than it, fails. Exits non-zero on any finding.
                """)
        @OptionGroup var common: Common
        @Option(help: ArgumentHelp("A head taken earlier: sequence number and hash.", valueName: "SEQ:HASH"))
        var expect: String?

        func validate() throws {
            if let expect, Self.head(expect) == nil {
                throw ValidationError("--expect takes SEQ:HASH, a sequence number and the 64 hex digits of its hash (as `audit verify` prints them)")
            }
        }

        static func head(_ text: String) -> (seq: Int, hash: String)? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let seq = Int(parts[0]), seq > 0, parts[1].count == 64,
                  parts[1].allSatisfy(\.isHexDigit) else { return nil }
            return (seq, parts[1].lowercased())
        }

        func run() throws {
            var p: [String: JSONValue] = [:]
            if let expect, let head = Self.head(expect) {
                p["expect_seq"] = .number(Double(head.seq))
                p["expect_hash"] = .string(head.hash)
            }
            try common.show(.auditVerify, p)
        }
    }
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Audit records from a sequence number.")
        @OptionGroup var common: Common
        @Option var from = 1
        @Option var limit = 100
        func run() throws { try common.show(.auditList, ["from": .number(Double(from)), "limit": .number(Double(limit))], table: "records") }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports.", subcommands: [Daily.self])
    struct Daily: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The daily register and reconciliation.")
        @OptionGroup var common: Common
        @Option(help: "YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "text, json or csv.") var format = "text"
        func run() throws {
            var p: [String: JSONValue] = ["format": .string(format)]
            if let date { p["date"] = .string(date) }
            let reply = try common.call(.reportDaily, p)
            if common.json { print(Render.json(.object(reply))) } else { print(reply["report"]?.stringValue ?? "") }
        }
    }
}

struct People: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrolled staff and patients (numbers, card fingerprints; card numbers for the admin group only; never names).",
        subcommands: [List.self, Link.self, Unlink.self], defaultSubcommand: List.self)
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Staff and patients: ids, roles, links, card fingerprints (the card itself for the admin group).")
        @OptionGroup var common: Common
        func run() throws {
            let reply = try common.call(.peopleList)
            if common.json { print(Render.json(.object(reply))); return }
            print("STAFF\n" + Render.table(reply["staff"]?.arrayValue ?? []) + "\n\nPATIENTS\n" + Render.table(reply["patients"]?.arrayValue ?? []))
        }
    }
    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A staff member is also a patient: they never witness their own dose (two other staff members).")
        @OptionGroup var common: Common
        @Argument(help: "The staff number (e.g. S-01).") var staffID: String
        @Argument(help: "Their patient number (e.g. P-0042).") var patient: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.peopleLink, try auth.parameters(second).merging(
                ["staff_id": .string(staffID), "patient": .string(patient)]) { a, _ in a })
        }
    }
    struct Unlink: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo a link set on the wrong patient number, with a reason (two other staff members).")
        @OptionGroup var common: Common
        @Argument(help: "The staff number (e.g. S-01).") var staffID: String
        @Argument(help: "The patient number they are linked to.") var patient: String
        @Option(help: "Why the link is undone (it goes into the audit record).") var reason: String
        @OptionGroup var auth: StaffAuth
        @OptionGroup var second: WitnessAuth
        func run() throws {
            try common.show(.peopleUnlink, try auth.parameters(second).merging(
                ["staff_id": .string(staffID), "patient": .string(patient), "reason": .string(reason)]) { a, _ in a })
        }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "dosecabd's events from the systemd journal.")
    @Flag(help: "JSON lines.") var json = false
    @Option(help: "Only since then: a duration ago (90s, 15m, 2h, 1d) or a date YYYY-MM-DD (UTC).") var since: String?
    @Option(help: "Only this event kind (release, return, refusal, hold, ...).") var event: String?
    @Option(help: "Read a journal directory instead of the system journal.") var directory: String?
    @Option(help: "Only entries journald attributes to this systemd unit (_SYSTEMD_UNIT); '' for any unit (a --simulate daemon).")
    var unit = JournalReader.Trust.serviceUnit
    @Option(help: "Only entries journald attributes to this user, a name or a uid (_UID): the user dosecabd runs as.")
    var user = JournalReader.Trust.serviceUser
    func run() throws {
        // Anyone can send an entry that says SYSLOG_IDENTIFIER=dosecabd; only journald's own
        // fields tell the service's from a forgery (issue 18.10).
        guard let uid = uid_t(user) ?? JournalReader.Trust.service(unit: unit, user: user)?.uid else {
            throw Refused(message: "no user '\(user)' on this machine: pass --user, the user (or uid) dosecabd runs as", code: 64)
        }
        let trust = JournalReader.Trust(uid: uid, unit: unit.isEmpty ? nil : unit)
        var query = JournalReader.Query()
        if let since {
            if let seconds = parseDuration(since) {
                query.sinceRealtimeUsec = UInt64(max(0, Date().timeIntervalSince1970 - Double(seconds)) * 1e6)
            } else if let ms = dayMillis(since) {
                query.sinceRealtimeUsec = UInt64(max(0, ms)) * 1000
            } else {
                throw ValidationError("--since must be a duration (15m, 2h) or a date (YYYY-MM-DD)")
            }
        }
        if let event { query.fields[.event] = [event] }
        do {
            let entries = try JournalReader(directory: directory, trust: trust).entries(query)
            for e in entries {
                if json { print(Render.json(.object(e.mapValues { .string($0) }))) } else {
                    print("\(e["DOSECAB_EVENT"] ?? "-")\t\(e["MESSAGE"] ?? "")")
                }
            }
        } catch {
            // Say plainly why: reading the journal needs the adm or systemd-journal group.
            if case .notPermitted = error { throw Refused(message: "\(error)", code: 77) }
            throw Refused(message: "\(error)")
        }
    }
}

struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive the simulated cabinet (dosecabd --simulate only).",
        subcommands: [Card.self, Keys.self, Scan.self, Return.self, Door.self, Line.self, Advance.self])
    struct Card: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Present a card (real Wiegand edges), optionally with a PIN.")
        @OptionGroup var common: Common
        @Argument(help: "counter or return.") var reader: String
        @Argument(help: "Card number.") var card: Int
        @Option var facility = 0
        @Option(help: "h10301, h10306, c1000, h10302 or h10304.") var format = "h10301"
        @Option(help: "PIN digits, entered after the card, with #.") var pin: String?
        func run() throws {
            var p: [String: JSONValue] = ["reader": .string(reader), "card": .number(Double(card)), "facility": .number(Double(facility)), "format": .string(format)]
            if let pin { p["pin"] = .string(pin) }
            try common.show(.simCard, p)
        }
    }
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Type keys on the counter keypad (e.g. 1#).")
        @OptionGroup var common: Common
        @Argument var keys: String
        func run() throws { try common.show(.simKeys, ["keys": .string(keys)]) }
    }
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scan a unit with no beam: an issue scan.")
        @OptionGroup var common: Common
        @Argument var serial: String
        func run() throws { try common.show(.simScan, ["serial": .string(serial)]) }
    }
    struct Return: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scan a unit and break the chute beam: a return.")
        @OptionGroup var common: Common
        @Argument var serial: String
        func run() throws { try common.show(.simReturn, ["serial": .string(serial)]) }
    }
    struct Door: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open or close the door.")
        @OptionGroup var common: Common
        @Argument(help: "open or close.") var state: String
        func run() throws { try common.show(.simDoor, ["state": .string(state)]) }
    }
    struct Line: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set any input line (or read an output).")
        @OptionGroup var common: Common
        @Argument var name: String
        @Argument var value: Int
        func run() throws { try common.show(.simLine, ["line": .string(name), "value": .number(Double(value))]) }
    }
    struct Advance: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move the simulated clock (e.g. 90s, 15m, 2h).")
        @OptionGroup var common: Common
        @Argument var duration: String
        func run() throws {
            guard let seconds = parseDuration(duration) else { throw ValidationError("duration like 90, 90s, 15m or 2h") }
            try common.show(.simAdvance, ["seconds": .number(Double(seconds))])
        }
    }
}

func parseDuration(_ s: String) -> Int? {
    let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    if let last = s.last, let mult = units[last], let n = Int(s.dropLast()), n >= 0 { return n * mult }
    return Int(s).flatMap { $0 >= 0 ? $0 : nil }
}

/// Clinical decisions (ARCHITECTURE §3 step 3, §4a "People and roles"): each takes the staff
/// member's own badge number and PIN and a reason, never a Unix account alone.
struct ObservationVerb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observation",
        abstract: "Post-dose observation: it ends by itself when its route's time has run out; staff may end it early.",
        subcommands: [End.self])
    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a patient's running observation early (a nurse, clinician or admin: badge + PIN and a reason).")
        @OptionGroup var common: Common
        @Option(help: "Patient number (e.g. P-0001).") var patient: String
        @Option(help: "Why the observation ends early, e.g. \"seen by nurse, alert, breathing normal\".") var reason: String
        @OptionGroup var auth: StaffAuth
        func run() throws {
            try common.show(.observationEnd, try auth.parameters().merging(["patient": .string(patient), "reason": .string(reason)]) { a, _ in a })
        }
    }
}

struct Reauthorise: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-authorise a patient after missed doses (a clinician or admin: badge + PIN and a reason).")
    @OptionGroup var common: Common
    @Option(help: "Patient number (e.g. P-0001).") var patient: String
    @Option(help: "The clinical review, e.g. \"reviewed by Dr. A: tolerance assessed\".") var reason: String
    @OptionGroup var auth: StaffAuth
    func run() throws {
        try common.show(.reauthorise, try auth.parameters().merging(["patient": .string(patient), "reason": .string(reason)]) { a, _ in a })
    }
}
