import Foundation
import Testing

/// Issue 17 through the real socket: `dosecabd --simulate` and `dosecabctl`. The demo clinic's
/// dosing windows are 8 hours long; P-0001 has 200 mg injectable three times a day; S-01 is a
/// nurse (1234), S-02 a clinician (2345), S-03 a pharmacist (3456).
/// Part of `ProcessTests`, so it runs serialized with them: one daemon at a time on a busy box.
extension ProcessTests {
    /// Door open, the issue scan, door closed, the empty ampoule back through the chute.
    func takeAndReturn(_ d: SimDaemon, _ serial: String) async {
        await d.run(["sim", "door", "open"])
        await d.run(["sim", "scan", serial])
        await d.run(["sim", "door", "close"])
        await d.run(["sim", "return", serial])
    }

    func records(_ d: SimDaemon, _ event: String) async -> [[String: Any]] {
        let all = await d.run(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
        return all.filter { $0["event"] as? String == event }
    }

    @Test func aSecondDoseAfterObservationNeedsNoClearance() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        await d.unlockForPatient1Async()
        #expect(await d.status()["lock"] as? String == "energised")
        await takeAndReturn(d, "700001")
        // Past the 15 min observation and into the next 8-hour window; nobody cleared the patient.
        await d.run(["sim", "advance", "481m"])
        await d.unlockForPatient1Async()
        let lock = await d.status()["lock"] as? String
        let refused = await d.refusalReasons()
        #expect(lock == "energised", "refused: \(refused.last ?? "")")
        #expect(!refused.contains { $0.contains("observation-not-finished") })
        await takeAndReturn(d, "700002")
        let releases = await d.run(["releases"]).json["releases"] as? [[String: Any]] ?? []
        #expect(releases.count == 2)
        // Each release's record says how long its observation ran: it ended by itself.
        let released = d.journalLines(waitingFor: ["release"]).filter { $0.contains("DOSECAB_EVENT=release ") }
        #expect(released.count == 2 && released.allSatisfy { $0.contains("DOSECAB_OBSERVATION_MINUTES=15") }, "\(released)")
    }

    @Test func aNurseEndsAnObservationEarlyWithBadgeAndPIN() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        // Nothing to end before any dose.
        let none = await d.run(["observation", "end", "--patient", "P-0001", "--reason", "x", "--staff", "S-01", "--pin", "1234"])
        #expect(none.code == 1 && none.err.contains("no-observation-running"), "\(none.err)")
        await d.unlockForPatient1Async()
        await takeAndReturn(d, "700001")
        // A pharmacist may not; a wrong PIN is refused; the nurse's PIN from stdin ends it.
        let pharmacist = await d.run(["observation", "end", "--patient", "P-0001", "--reason", "x", "--staff", "S-03", "--pin", "3456"])
        #expect(pharmacist.code == 1 && pharmacist.err.contains("role-not-allowed"), "\(pharmacist.err)")
        let wrong = await d.run(["observation", "end", "--patient", "P-0001", "--reason", "x", "--staff", "S-01", "--pin", "0000"])
        #expect(wrong.code == 1 && wrong.err.contains("wrong-pin"), "\(wrong.err)")
        #expect(await records(d, "observation-ended").isEmpty)
        let end = await d.run(["observation", "end", "--patient", "P-0001", "--reason", "alert, breathing normally",
                               "--staff", "S-01", "--pin", "-"], stdin: "1234\n")
        #expect(end.code == 0, "\(end.err)")
        #expect(end.json["ended_by"] as? String == "S-01" && end.json["route"] as? String == "injectable")
        let ended = await records(d, "observation-ended")
        #expect(ended.count == 1)
        let fields = ended.first?["fields"] as? [String: Any] ?? [:]
        #expect(fields["patient"] as? String == "P-0001" && fields["staff"] as? String == "S-01"
                && fields["reason"] as? String == "alert, breathing normally")
        let release = (await d.run(["releases"]).json["releases"] as? [[String: Any]])?.first?["id"] as? String
        #expect(release != nil && fields["release"] as? String == release)
        // Ended: a second end has nothing to end.
        let again = await d.run(["observation", "end", "--patient", "P-0001", "--reason", "x", "--staff", "S-01", "--pin", "1234"])
        #expect(again.code == 1 && again.err.contains("no-observation-running"), "\(again.err)")
        let lines = d.journalLines(waitingFor: ["observation-ended"]).filter { $0.contains("DOSECAB_EVENT=observation-ended ") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("MESSAGE_ID=0b33ee900d5842f3aa75281e94655752") == true
                && lines.first?.contains("DOSECAB_STAFF=S-01") == true && lines.first?.contains("DOSECAB_PATIENT=P-0001") == true,
                "\(lines.first ?? "")")
        #expect(!lines.contains { ProcessTests.words(Array(ProcessTests.journalFields($0).values)).contains("1234") },
                "never a PIN in the journal")
    }

    @Test func onlyAClinicianReauthorisesAfterThreeMissedDays() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        await d.unlockForPatient1Async()
        await takeAndReturn(d, "700001")
        // Nothing missed yet: nothing to re-authorise.
        let early = await d.run(["reauthorise", "--patient", "P-0001", "--reason", "x", "--staff", "S-02", "--pin", "2345"])
        #expect(early.code == 1 && early.err.contains("reauthorisation-not-needed"), "\(early.err)")
        // Four days on: three whole days without a dose.
        await d.run(["sim", "advance", "4d"])
        await d.unlockForPatient1Async()
        #expect(await d.status()["lock"] as? String == "locked")
        let missed = await d.refusalReasons().last ?? ""
        #expect(missed.contains("missed-dose-reauthorisation"), "\(missed)")
        // A nurse may not re-authorise, even with her own badge and PIN.
        let nurse = await d.run(["reauthorise", "--patient", "P-0001", "--reason", "seen", "--staff", "S-01", "--pin", "1234"])
        #expect(nurse.code == 1 && nurse.err.contains("role-not-allowed") && nurse.err.contains("clinician or admin"), "\(nurse.err)")
        #expect(await records(d, "reauthorised").isEmpty)
        let ok = await d.run(["reauthorise", "--patient", "P-0001", "--reason", "reviewed by Dr. A: tolerance assessed",
                              "--staff", "S-02", "--pin", "-"], stdin: "2345\n")
        #expect(ok.code == 0, "\(ok.err)")
        #expect(ok.json["missed_days"] as? Int == 3 && ok.json["reauthorised_by"] as? String == "S-02")
        let fields = (await records(d, "reauthorised")).first?["fields"] as? [String: Any] ?? [:]
        #expect(fields["staff"] as? String == "S-02" && fields["reason"] as? String == "reviewed by Dr. A: tolerance assessed")
        // Now the dose goes through.
        await d.unlockForPatient1Async()
        let lock = await d.status()["lock"] as? String
        let refused = await d.refusalReasons().last ?? ""
        #expect(lock == "energised", "refused: \(refused)")
        await takeAndReturn(d, "700002")
        let lines = d.journalLines(waitingFor: ["reauthorised"]).filter { $0.contains("DOSECAB_EVENT=reauthorised ") }
        #expect(lines.count == 1 && lines.first?.contains("MESSAGE_ID=aa5aa1ea7a944a58b6ab066b3e3a0de1") == true, "\(lines)")
    }

    /// Issue 17.1 at the counter, through the simulated reader and keypad only: `8#` or `9#`, a
    /// reason code, the staff member's PIN. The wrong role (a nurse re-authorising) is refused
    /// with the words `dosecabctl` uses and records nothing; the records and journal events are
    /// the CLI's.
    @Test func theCounterEndsAnObservationAndReauthorisesWithTheCLIsRules() async throws {
        let d = try await SimDaemon.started()
        defer { d.stop() }
        func badgeAndPatient1(_ card: String, _ pin: String) async {
            await d.run(["sim", "card", "counter", card, "--facility", "10", "--pin", pin])
            await d.run(["sim", "card", "counter", "2001", "--facility", "20", "--pin", "1111"])
        }
        func keys(_ k: String) async -> String {
            (await d.run(["sim", "keys", k]).json["feedback"] as? [String] ?? []).joined(separator: "\n")
        }
        func roleRule(_ r: SimDaemon.Result) -> String? {
            r.err.range(of: "role-not-allowed: [^;\n]*", options: .regularExpression).map { String(r.err[$0]) }
        }
        await d.unlockForPatient1Async()
        await takeAndReturn(d, "700001")
        let release = (await d.run(["releases"]).json["releases"] as? [[String: Any]])?.first?["id"] as? String

        // The nurse: badge + PIN, the patient's card + PIN, 8#, reason 1#, her PIN.
        await badgeAndPatient1("1001", "1234")
        let listed = await keys("8#")
        #expect(listed.contains("1# seen by staff: alert, breathing normally"), "\(listed)")
        let ended = await keys("1#1234#")
        #expect(ended.contains("OK: observation of P-0001 after release \(release ?? "?") ended early by S-01"), "\(ended)")

        // Four days on: a nurse may not re-authorise at the counter either; a clinician may, and
        // the dose then goes through in the same dialogue.
        await d.run(["sim", "advance", "4d"])
        let cliNurse = await d.run(["reauthorise", "--patient", "P-0001", "--reason", "x", "--staff", "S-01", "--pin", "1234"])
        let nurseRule = try #require(roleRule(cliNurse), "\(cliNurse.err)")
        await badgeAndPatient1("1001", "1234")
        let nurse = await keys("9#1#1234#")
        #expect(nurse.contains("REFUSED: " + nurseRule), "counter: \(nurse)\ncli: \(nurseRule)")
        await badgeAndPatient1("1002", "2345")
        let ok = await keys("9#2#2345#")
        #expect(ok.contains("OK: P-0001 re-authorised by S-02 after 3 missed day(s)"), "\(ok)")
        let dose = await keys("1#")
        let lock = await d.status()["lock"] as? String
        #expect(lock == "energised", "\(dose)")

        // One record each, the CLI's: the refused attempts recorded nothing.
        let all = await d.run(["audit", "list", "--from", "1", "--limit", "1000"]).json["records"] as? [[String: Any]] ?? []
        func fields(_ event: String) -> [[String: Any]] {
            all.filter { $0["event"] as? String == event }.map { $0["fields"] as? [String: Any] ?? [:] }
        }
        let endedRecords = fields("observation-ended")
        #expect(endedRecords.count == 1)
        #expect(endedRecords.first?["staff"] as? String == "S-01" && endedRecords.first?["patient"] as? String == "P-0001"
                && endedRecords.first?["reason"] as? String == "seen by staff: alert, breathing normally"
                && endedRecords.first?["release"] as? String == release, "\(endedRecords)")
        let reauthorised = fields("reauthorised")
        #expect(reauthorised.count == 1)
        #expect(reauthorised.first?["staff"] as? String == "S-02"
                && reauthorised.first?["reason"] as? String == "clinical review at the counter: re-titration prescribed", "\(reauthorised)")
        let journaled = d.journalLines(waitingFor: ["observation-ended", "reauthorised"])
        #expect(journaled.filter { $0.contains("DOSECAB_EVENT=observation-ended ") && $0.contains("MESSAGE_ID=0b33ee900d5842f3aa75281e94655752") }.count == 1)
        #expect(journaled.filter { $0.contains("DOSECAB_EVENT=reauthorised ") && $0.contains("MESSAGE_ID=aa5aa1ea7a944a58b6ab066b3e3a0de1") }.count == 1)
    }
}
