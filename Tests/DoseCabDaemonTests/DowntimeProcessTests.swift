import DoseCabCore
import Foundation
import Testing

/// ARCHITECTURE §4a "Downtime" through the real socket: `dosecabd --simulate --sim-door-open`
/// starts as after an opening with the mechanical key; two staff members enter the dose given
/// meanwhile from the paper register with `dosecabctl late-entry`, close it, and only then may
/// the lockdown be lifted. Part of `ProcessTests`, so it runs serialized with them.
extension ProcessTests {
    static let clinicianWitness = ["--witness", "S-02", "--witness-pin", "2345"]
    static let nurse = ["--staff", "S-01", "--pin", "1234"]
    /// Lifting a lockdown takes an admin's badge and PIN (issue 18.13).
    static let admin = ["--staff", "S-04", "--pin", "4567"]

    @Test func aMechanicalKeyOpeningIsEnteredLateByTwoStaffBeforeTheLockdownLifts() async throws {
        let d = try await offPool { try SimDaemon(extraArguments: ["--sim-door-open"]) }
        defer { d.stop() }
        let start = await d.status()
        #expect((start["lockdown"] as? String)?.contains("mechanical-key") == true, "\(start)")
        #expect((start["late_entry_owed"] as? String)?.contains("mechanical-key opening") == true, "\(start)")
        await d.run(["sim", "door", "close"])
        let off = await d.run(["lockdown", "off", "--reason", "door inspected"] + Self.admin)
        #expect(off.code == 1 && off.err.contains("late-entry-owed"), "\(off.err)")

        // The downtime: from the daemon's last record (the demo's seeding) to the door found open.
        let downtimes = await d.run(["late-entry", "list"]).json["downtimes"] as? [[String: Any]] ?? []
        let found = try #require(downtimes.first?["found"] as? String)
        #expect(downtimes.first?["state"] as? String == "late entry owed")
        func add(_ given: String, _ serial: String, outcome: String = "returned") async -> SimDaemon.Result {
            await d.run(["late-entry", "add", "--patient", "P-0001", "--drug", "diacetylmorphine", "--route", "injectable",
                         "--given-at", given, "--outcome", outcome, "--note", "downtime sheet 1, line 1", "--serials", serial]
                        + Self.nurse + Self.clinicianWitness)
        }
        // Refused with every failed rule, nothing written: after the door was found open; before
        // the prescription was imported (a fresh demo has no earlier run, so no lower bound);
        // a unit that is not in stock; one person twice.
        let before = await events(d).count
        let late = await add("2099-01-01T08:00", "700001")
        #expect(late.code == 1 && late.err.contains("outside-downtime"), "\(late.err)")
        let early = await add("2020-01-01T08:00", "700001")
        #expect(early.code == 1 && early.err.contains("no-valid-prescription") && !early.err.contains("outside-downtime"), "\(early.err)")
        let unknown = await add(found, "999999")
        #expect(unknown.code == 1 && unknown.err.contains("unit-not-in-stock"), "\(unknown.err)")
        let onePerson = await d.run(["late-entry", "add", "--patient", "P-0001", "--drug", "diacetylmorphine", "--route", "injectable",
                                     "--given-at", found, "--outcome", "returned", "--note", "x", "--serials", "700001"]
                                    + Self.nurse + Self.nurseWitness)
        #expect(onePerson.code == 1 && onePerson.err.contains("same-person"), "\(onePerson.err)")
        // Nothing booked: the only records are the four refusals themselves (I3).
        let after = await events(d)
        #expect(after.count == before + 4, "a refused late entry booked something: \(after.suffix(6))")
        #expect(after.suffix(4).allSatisfy { ($0["fields"] as? [String: Any])?["action"] as? String == "request-refused"
            && (($0["fields"] as? [String: Any])?["detail"] as? String)?.hasPrefix("late.entry ") == true }, "\(after.suffix(4))")

        // The paper register's dose: booked, journaled, on the register.
        let entry = await add(found, "700001")
        #expect(entry.code == 0 && entry.json["dose_mg"] as? Int == 200, "\(entry.err)")
        #expect(await level(d, 200) == 39)
        #expect(journal(d, "late-entry").contains { $0.contains("DOSECAB_STATE=entry") && $0.contains("DOSECAB_OUTCOME=returned") })
        #expect(await report(d).contains("late entry from the paper register"))
        #expect((await d.run(["lockdown", "off", "--reason", "door inspected"] + Self.admin)).code == 1)

        // Closed by two: the lockdown may go, and the dose counts for the patient's interval.
        let close = await d.run(["late-entry", "close", "--note", "paper register checked, nothing more taken"]
                                + Self.nurse + Self.clinicianWitness)
        #expect(close.code == 0 && close.json["closed"] as? Int == 1, "\(close.err)")
        #expect(await d.status()["late_entry_owed"] is NSNull)
        let lifted = await d.run(["lockdown", "off", "--reason", "downtime entered and closed"] + Self.admin)
        #expect(lifted.code == 0, "\(lifted.err)")
        await d.unlockForPatient1Async()
        #expect(await d.status()["lock"] as? String == "locked")
        #expect(await d.refusalReasons().last?.contains(RefusalReason.tooSoon.rawValue) == true)
        #expect(await d.run(["audit", "verify"]).json["intact"] as? Bool == true)
    }
}
