import DoseCabControl
import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18.2, 18.3 and the patient/staff link of 18.13: who may see card numbers, who may
/// create or change staff, and a staff member who is also a patient. Control methods are called
/// as the socket calls them, on the driver rig's real store and actor (the demo clinic: S-01
/// nurse 1234, S-02 clinician 2345, S-03 pharmacist 3456, S-04 admin 4567, S-05 admin 5678;
/// P-0001 card 20:2001 PIN 1111).
extension InsiderTests {
    /// The socket's groups as the daemon resolves them: `dosecab` (read) and `dosecab-admin`.
    static let groups = AccessPolicy(readGroup: "dosecab", adminGroup: "dosecab-admin",
                                     resolveGroup: { ["dosecab": 900, "dosecab-admin": 901][$0] })
    static let technician = groups.caller(uid: 1000, gid: 900, pid: 4300, groups: [900])
    static let admin = groups.caller(uid: 1001, gid: 901, pid: 4301, groups: [901])

    static func two(_ a: String, _ pinA: String, _ b: String, _ pinB: String) -> [String: JSONValue] {
        ["staff": .string(a), "pin": .string(pinA), "witness_staff": .string(b), "witness_pin": .string(pinB)]
    }

    static func newStaff(_ id: String, _ role: String, card: Int, pin: String = "8642") -> [String: JSONValue] {
        ["kind": "staff", "id": .string(id), "role": .string(role), "facility": 10, "card": .number(Double(card)), "new_pin": .string(pin)]
    }

    // MARK: 18.2 card numbers

    @Test func cardNumbersAreShownOnlyToAdmins() async throws {
        let journalPath = NSTemporaryDirectory() + "dosecab-people-\(UUID().uuidString.prefix(8)).journal"
        let s = try await Socket(journalPath: journalPath)
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        // people.list: the read group sees who is enrolled and a fingerprint per card, never the number.
        let asTechnician = await s.methods.handle(ControlRequest(method: "people.list"), Self.technician)
        #expect(asTechnician.isSuccess, "\(asTechnician)")
        let staffSeen = try #require(asTechnician.parameters["staff"]?.arrayValue)
        #expect(!staffSeen.isEmpty)
        for person in staffSeen + (asTechnician.parameters["patients"]?.arrayValue ?? []) {
            #expect(person["card"] == nil, "a technician saw a card number: \(person)")
            #expect(person["card_fingerprint"]?.stringValue?.isEmpty == false)
        }
        let asAdmin = await s.methods.handle(ControlRequest(method: "people.list"), Self.admin)
        let s01 = try #require(asAdmin.parameters["staff"]?.arrayValue?.first { $0["id"]?.stringValue == "S-01" })
        #expect(s01["card"]?.stringValue == "h10301:10:1001", "an admin sees the card: \(s01)")

        // An enrolment, and an unknown card at the counter.
        let enrol = await s.call("enroll", ["kind": "patient", "id": "P-0777", "facility": 20, "card": 48813, "new_pin": "7777"]
                                           .merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a })
        #expect(enrol.isSuccess, "\(enrol)")
        let unknown = CardID(format: .h10301, facility: 99, number: 48_791)
        await s.rig.driver.handle(.card(unknown, at: s.rig.clock.now()))
        #expect(await s.rig.driver.feedback.last?.contains("not enrolled") == true)
        // Every record handed to the journal thread is written before the file is read: an
        // absence check on a half-written mirror would pass by chance.
        #expect(s.rig.journal.flush(timeout: .seconds(10)), "the journal thread wrote the mirror")

        // No audit record, journal entry, counter message or status carries a full card number.
        let cards = try s.rig.store.staffMembers().map(\.card) + s.rig.store.patients().map(\.card) + [unknown]
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000)
        let auditText = records.map { r in ([r.event.message] + r.event.fields.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
        let journal = (try? String(contentsOfFile: journalPath, encoding: .utf8)) ?? ""
        #expect(journal.contains("DOSECAB_EVENT"), "the journal mirror was written")
        let status = await s.methods.handle(ControlRequest(method: "status"), Self.technician)
        let statusText = "\(status.parameters)"
        let feedback = await s.rig.driver.feedback.joined(separator: "\n")
        for card in cards {
            let full = "\(card.facility):\(card.number)"
            for line in auditText { #expect(!line.contains(full), "audit record carries card \(card): \(line)") }
            #expect(!journal.contains(full), "the journal carries card \(card)")
            #expect(!statusText.contains(full), "status carries card \(card)")
            #expect(!feedback.contains(full), "the counter shows card \(card)")
        }
        // What tells cards apart instead: the fingerprint, in the unknown card's refusal.
        let refusals = records.filter { $0.event.kind == .refusal }.map { "\($0.event.fields)" }
        let named = try #require(refusals.last, "the unknown card was refused on the record")
        let fingerprint = try #require(named.firstRange(of: /fp-[0-9a-f]{8}/).map { String(named[$0]) },
                                       "the refusal names the card by a fingerprint: \(named)")
        // Another card, another fingerprint; the same card, the same one.
        await s.rig.driver.handle(.card(CardID(format: .h10301, facility: 99, number: 48_792), at: s.rig.clock.now()))
        await s.rig.driver.handle(.card(unknown, at: s.rig.clock.now()))
        let later = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).filter { $0.event.kind == .refusal }.suffix(2).map { "\($0.event.fields)" }
        #expect(later.count == 2 && !later[0].contains(fingerprint) && later[1].contains(fingerprint), "\(later)")
        #expect(records.contains { $0.event.message.contains("P-0777") }, "the enrolment is on the record")
    }

    // MARK: 18.3 staff enrolment and changes

    /// Review finding: whether an admin must approve was decided from the new role alone, so two
    /// nurses could re-enrol an admin as a nurse with their own card and PIN (taking the account
    /// and its rights away), and with the last admin gone nobody could ever grant admin again.
    /// Taking a clinical or admin role away needs an admin as granting it does, and no change may
    /// leave the cabinet without an admin.
    @Test func nursesCannotDemoteAnAdminNorLeaveTheCabinetWithoutOne() async throws {
        let s = try await Socket()
        let before = try s.rig.store.staffMembers()
        // S-01 (nurse) and S-03 (pharmacist) take S-04's admin account over as a nurse.
        let takeover = await s.call("enroll", Self.newStaff("S-04", "nurse", card: 1104, pin: "1111").merging(["replace": true]) { a, _ in a }
                                        .merging(Self.two("S-01", "1234", "S-03", "3456")) { a, _ in a })
        #expect(takeover.error != nil, "two non-admins demoted an admin: \(takeover)")
        #expect(try s.rig.store.staffMembers() == before)
        // With an admin's approval S-04 may become a nurse (S-05 stays admin) ...
        let demote = await s.call("enroll", Self.newStaff("S-04", "nurse", card: 1004, pin: "4567").merging(["replace": true]) { a, _ in a }
                                      .merging(Self.two("S-05", "5678", "S-01", "1234")) { a, _ in a })
        #expect(demote.isSuccess, "\(demote)")
        // ... but the last admin cannot be demoted, whoever approves.
        let last = await s.call("enroll", Self.newStaff("S-05", "nurse", card: 1005, pin: "5678").merging(["replace": true]) { a, _ in a }
                                    .merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a })
        #expect(last.error != nil, "the last admin was demoted: \(last)")
        #expect(try s.rig.store.staff(id: StaffID("S-05"))?.role == .admin)
    }

    @Test func staffEnrolmentNeedsTwoPINsNeitherTheSubject() async throws {
        let s = try await Socket()
        let refused: [(String, [String: JSONValue])] = [
            ("no PINs", Self.newStaff("S-10", "nurse", card: 1010)),
            ("one person", Self.newStaff("S-10", "nurse", card: 1010).merging(["staff": "S-04", "pin": "4567"]) { a, _ in a }),
            ("the same person twice", Self.newStaff("S-10", "nurse", card: 1010).merging(Self.two("S-04", "4567", "S-04", "4567")) { a, _ in a }),
            ("a wrong PIN", Self.newStaff("S-10", "nurse", card: 1010).merging(Self.two("S-04", "4567", "S-01", "9999")) { a, _ in a }),
            ("a clinician granted without an admin", Self.newStaff("S-10", "clinician", card: 1010).merging(Self.two("S-01", "1234", "S-03", "3456")) { a, _ in a }),
            ("an admin granted without an admin", Self.newStaff("S-10", "admin", card: 1010).merging(Self.two("S-01", "1234", "S-02", "2345")) { a, _ in a }),
            // Re-enrolling an existing id is a change: never silent, never by the subject.
            ("S-01 re-enrolled without replace", Self.newStaff("S-01", "nurse", card: 1001, pin: "1111").merging(Self.two("S-04", "4567", "S-05", "5678")) { a, _ in a }),
            ("S-01 promotes themselves", Self.newStaff("S-01", "admin", card: 1001).merging(["replace": true]) { a, _ in a }.merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a }),
            ("S-04 changes their own PIN", Self.newStaff("S-04", "admin", card: 1004).merging(["replace": true]) { a, _ in a }.merging(Self.two("S-05", "5678", "S-04", "4567")) { a, _ in a }),
        ]
        let staffBefore = try s.rig.store.staffMembers()
        for (what, parameters) in refused {
            let reply = await s.call("enroll", parameters)
            #expect(reply.error != nil, "\(what): accepted")
            #expect(try s.rig.store.staffMembers() == staffBefore, "\(what): the staff changed")
        }
        // Two staff, neither the subject; a nurse needs no admin.
        let nurse = await s.call("enroll", Self.newStaff("S-10", "nurse", card: 1010).merging(Self.two("S-01", "1234", "S-03", "3456")) { a, _ in a })
        #expect(nurse.isSuccess, "\(nurse)")
        #expect(try s.rig.store.staff(id: StaffID("S-10"))?.role == .nurse)
        // Granting clinician: an admin among the two.
        let clinician = await s.call("enroll", Self.newStaff("S-11", "clinician", card: 1011).merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a })
        #expect(clinician.isSuccess, "\(clinician)")
        // A change of S-01 (new PIN) by two others, said to be a change.
        let change = await s.call("enroll", Self.newStaff("S-01", "nurse", card: 1001, pin: "1357").merging(["replace": true]) { a, _ in a }
                                            .merging(Self.two("S-03", "3456", "S-10", "8642")) { a, _ in a })
        #expect(change.isSuccess, "\(change)")
        let s01 = try #require(try s.rig.store.staff(id: StaffID("S-01")))
        #expect(s.rig.pins.verify(pin: "1357", against: s01.pin))
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).filter { $0.event.kind == .admin }
        let changed = try #require(records.last { $0.event.fields["action"] == "staff-re-enrolled" })
        #expect(changed.event.fields["detail"]?.contains("PIN") == true, "the record says what changed: \(changed.event.fields)")
        #expect(changed.event.fields["actor"]?.contains("S-03+S-10") == true, "the record names both staff: \(changed.event.fields)")
        // The new PIN works at the counter; the old one does not.
        #expect(try await s.rig.driver.checkSocketPIN(s01, pin: "1357", action: "test", account: 1001) == nil)
    }

    @Test func bootstrapAdminOnlyOnce() async throws {
        let s = try await Socket(demo: false)
        #expect(try s.rig.store.staffMembers().isEmpty)
        let first = Self.newStaff("S-03", "admin", card: 1003, pin: "3456")
        let second: [String: JSONValue] = ["second_id": "S-02", "second_role": "clinician", "second_facility": 10,
                                           "second_card": 1002, "second_new_pin": "2345"]
        // Without the bootstrap flag, an empty cabinet takes no enrolment (nobody can vouch).
        let plain = await s.call("enroll", first)
        #expect(plain.error?.contains("bootstrap") == true, "\(plain)")
        // The bootstrap names an admin first, and a second person (two are needed to enrol a third).
        let notAdmin = await s.call("enroll", Self.newStaff("S-03", "nurse", card: 1003).merging(second) { a, _ in a }.merging(["bootstrap": true]) { a, _ in a })
        #expect(notAdmin.error != nil)
        let alone = await s.call("enroll", first.merging(["bootstrap": true]) { a, _ in a })
        #expect(alone.error != nil)
        #expect(try s.rig.store.staffMembers().isEmpty)

        let boot = await s.call("enroll", first.merging(second) { a, _ in a }.merging(["bootstrap": true]) { a, _ in a })
        #expect(boot.isSuccess, "\(boot)")
        #expect(try s.rig.store.staffMembers().map(\.id.rawValue) == ["S-02", "S-03"])
        let record = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 1000).last { $0.event.fields["action"] == "staff-bootstrapped" })
        #expect(record.event.fields["detail"]?.contains("S-03 (admin)") == true && record.event.fields["detail"]?.contains("S-02") == true)

        // Only once: a second bootstrap is refused, whatever it names.
        let again = await s.call("enroll", Self.newStaff("S-08", "admin", card: 1008).merging(
            ["second_id": "S-09", "second_role": "admin", "second_facility": 10, "second_card": 1009, "second_new_pin": "9090", "bootstrap": true]) { a, _ in a })
        #expect(again.error?.contains("bootstrap") == true, "\(again)")
        #expect(try s.rig.store.staffMembers().count == 2)
        // From then on the two-PIN rule: the two bootstrapped people enrol the third.
        let third = await s.call("enroll", Self.newStaff("S-01", "nurse", card: 1001, pin: "1234").merging(Self.two("S-03", "3456", "S-02", "2345")) { a, _ in a })
        #expect(third.isSuccess, "\(third)")
    }

    // MARK: 18.13 the patient/staff link

    @Test func linkedStaffCannotWitnessOwnDose() async throws {
        let s = try await Socket()
        let link: [String: JSONValue] = ["staff_id": "S-01", "patient": "P-0001"]
        for parameters in [link, link.merging(["staff": "S-04", "pin": "4567"]) { a, _ in a },
                           link.merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a },
                           link.merging(Self.two("S-04", "4567", "S-04", "4567")) { a, _ in a },
                           ["staff_id": "S-01", "patient": "P-9999"].merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a }] {
            let reply = await s.call("people.link", parameters)
            #expect(reply.error != nil, "\(parameters): linked")
        }
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == nil)
        let reply = await s.call("people.link", link.merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a })
        #expect(reply.isSuccess, "\(reply)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == PatientID("P-0001"))
        #expect(try s.rig.store.patient(id: PatientID("P-0001"))?.alsoStaff == StaffID("S-01"))
        let record = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).last { $0.event.fields["action"] == "people-linked" })
        #expect(record.event.fields["actor"]?.contains("S-02+S-04") == true, "\(record.event.fields)")

        // A re-enrolment of S-01 (a change, by two others) keeps the link.
        let change = await s.call("enroll", Self.newStaff("S-01", "nurse", card: 1001, pin: "1234").merging(["replace": true]) { a, _ in a }
                                            .merging(Self.two("S-03", "3456", "S-04", "4567")) { a, _ in a })
        #expect(change.isSuccess, "\(change)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == PatientID("P-0001"), "re-enrolment dropped the link")

        // S-01 badges in as the witness and P-0001 asks for a dose: the witness rule refuses it.
        await s.rig.ask()
        #expect(s.rig.lines.output(.lock) == false, "S-01 witnessed their own dose")
        let refusal = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).last { $0.event.kind == .refusal })
        #expect("\(refusal.event.fields)".contains("witness"), "\(refusal.event)")
    }

    // MARK: refused people changes are on the record (I3), and a link can be undone

    /// The `request-refused` admin records of `method`, newest last.
    static func refusals(_ s: Socket, _ method: String) throws -> [AuditRecord] {
        try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).filter {
            $0.event.fields["action"] == "request-refused" && $0.event.fields["detail"]?.hasPrefix(method + " ") == true
        }
    }

    @Test func aRefusedEnrolmentIsOnTheRecord() async throws {
        let s = try await Socket()
        // S-01 tries to make themselves admin with a colleague: the subject cannot approve their own change.
        let attempt = Self.newStaff("S-01", "admin", card: 1001, pin: "1234").merging(["replace": true]) { a, _ in a }
            .merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a }
        let reply = await s.call("enroll", attempt)
        #expect(reply.error != nil, "\(reply)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.role == .nurse)
        let record = try #require(try Self.refusals(s, "enroll").last, "a refused enrolment left no audit record")
        let detail = record.event.fields["detail"] ?? ""
        #expect(detail.contains("id=S-01") && detail.contains("role=admin") && detail.contains("staff=S-01"), "\(detail)")
        #expect(detail.contains(reply.error ?? "?"), "the record says why: \(detail)")
        #expect(record.event.fields["actor"] == InsiderTests.root.description)
        // What identifies a card or proves a person never goes into the record.
        for key in ["card=", "facility=", "pin=", "new_pin=", "witness_pin="] {
            #expect(!detail.contains(key), "\(key) in \(detail)")
        }
        // A request whose PIN is wrong is refused too, and on the record besides its wrong-PIN refusal.
        let wrongPIN = await s.call("enroll", Self.newStaff("S-09", "nurse", card: 1009).merging(Self.two("S-02", "0000", "S-04", "4567")) { a, _ in a })
        #expect(wrongPIN.error != nil)
        #expect(try Self.refusals(s, "enroll").count == 2)
        #expect(try s.rig.store.staff(id: StaffID("S-09")) == nil)
    }

    /// Not only people changes: any admin request a rule refuses is on the record (a nurse
    /// re-authorising a patient after missed doses, which takes a clinician), while a malformed
    /// one changes nothing.
    @Test func aRefusedClinicalDecisionIsOnTheRecordAMalformedRequestIsNot() async throws {
        let s = try await Socket()
        let before = try s.auditCount()
        let malformed = await s.call("reauthorise", ["patient": "P-0001", "staff": "S-01", "pin": "1234"])
        #expect(malformed.error?.contains("reason") == true, "\(malformed)")
        #expect(try s.auditCount() == before, "a malformed request wrote a record")
        let nurse = await s.call("reauthorise", ["patient": "P-0001", "reason": "seen", "staff": "S-01", "pin": "1234"])
        #expect(nurse.error != nil, "\(nurse)")
        let record = try #require(try Self.refusals(s, "reauthorise").last, "a refused clinical decision left no audit record")
        #expect(record.event.fields["detail"]?.contains("staff=S-01") == true && record.event.fields["detail"]?.contains(nurse.error ?? "?") == true,
                "\(record.event.fields)")
    }

    /// The summary records of refusals counted beyond an account's budget.
    static func summaries(_ s: Socket) throws -> [AuditRecord] {
        try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).filter {
            $0.event.fields["action"] == "request-refused" && $0.event.fields["detail"]?.contains("not recorded one by one") == true
        }
    }

    /// A loop of refused requests from one account must not fill the store and the journal:
    /// each account has a budget of refusal records; beyond it refusals are counted per method and
    /// recorded as one summary when the window ends or the daemon stops. A request with long
    /// parameter names gives a short record that still names everything it asked.
    @Test func aFloodOfRefusedRequestsIsCountedNotRecordedOneByOne() async throws {
        let s = try await Socket()
        let flooder = Self.groups.caller(uid: 1001, gid: 901, pid: 4301, groups: [901])
        var junk: [String: JSONValue] = ["staff_id": "S-01", "patient": "P-0001", "staff": "S-99", "pin": "0000"]
        for i in 0..<(ControlMethods.maxParameters - junk.count) { junk[String(repeating: "k", count: 200) + "\(i)"] = .string(String(repeating: "v", count: 500)) }
        for _ in 0..<(RefusalRecords.perWindow + 5) {
            let reply = await s.methods.handle(ControlRequest(method: "people.link", parameters: junk), flooder)
            #expect(reply.error?.contains("unknown") == true, "\(reply)")
        }
        var records = try Self.refusals(s, "people.link")
        #expect(records.count == RefusalRecords.perWindow, "\(records.count) records")
        #expect(records.allSatisfy { ($0.event.fields["detail"]?.count ?? 0) < 3_000 && $0.event.fields["detail"]?.contains("staff_id=S-01") == true },
                "\(records.first?.event.fields["detail"]?.count ?? 0) characters")
        // Another account still has its own budget.
        _ = await s.methods.handle(ControlRequest(method: "people.link", parameters: junk),
                                   Self.groups.caller(uid: 1002, gid: 901, pid: 4302, groups: [901]))
        #expect(try Self.refusals(s, "people.link").count == RefusalRecords.perWindow + 1)
        // When the window ends, the tick records what was counted, per method: nothing refused goes unrecorded.
        _ = await s.methods.handle(ControlRequest(method: "reauthorise", parameters: ["patient": "P-0001", "reason": "x", "staff": "S-99", "pin": "0"]), flooder)
        _ = await s.rig.driver.tick()
        #expect(try Self.summaries(s).isEmpty, "summarised before the window ended")
        s.rig.clock.advance(millis: RefusalRecords.windowMillis + 1000)
        _ = await s.rig.driver.tick()
        let summary = try Self.summaries(s)
        #expect(summary.count == 1 && summary.first?.event.fields["actor"] == "uid=1001", "\(summary.map(\.event.fields))")
        #expect(summary.first?.event.fields["detail"]?.contains("6 refused request(s)") == true
                && summary.first?.event.fields["detail"]?.contains("people.link ×5, reauthorise ×1") == true, "\(summary.map(\.event.fields))")
        // A new window: recorded one by one again.
        _ = await s.methods.handle(ControlRequest(method: "people.link", parameters: junk), flooder)
        records = try Self.refusals(s, "people.link")
        #expect(records.count == RefusalRecords.perWindow + 2)
        // Counted refusals still pending when the daemon stops are recorded as it stops.
        for _ in 0..<RefusalRecords.perWindow { _ = await s.methods.handle(ControlRequest(method: "people.link", parameters: junk), flooder) }
        await s.rig.driver.shutdown()
        #expect(try Self.summaries(s).count == 2)
    }

    /// The records name people among other words, and `audit verify` reads them back: an id with
    /// a space or a colon could be read as someone else's role, card or PIN. And a request with
    /// more parameters than any method takes could push what it asked out of its record.
    @Test func oddIdsAndOverlongRequestsAreMalformedAndWriteNothing() async throws {
        let s = try await Socket()
        let before = try s.auditCount()
        for id in ["S-02 (admin) card fp-00000000 pin pk-0", "S 09", "S-09;x", String(repeating: "S", count: 33)] {
            let reply = await s.call("enroll", Self.newStaff(id, "nurse", card: 1009).merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a })
            #expect(reply.error?.contains("letters, digits") == true, "\(id): \(reply)")
        }
        var padded = Self.newStaff("S-09", "nurse", card: 1009).merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a }
        for i in padded.count...ControlMethods.maxParameters { padded["a\(i)"] = "x" }
        let reply = await s.call("enroll", padded)
        #expect(reply.error?.contains("malformed-request") == true, "\(reply)")
        #expect(try s.auditCount() == before)
        #expect(try s.rig.store.staff(id: StaffID("S-09")) == nil)
    }

    @Test func aRefusedLinkIsOnTheRecord() async throws {
        let s = try await Socket()
        let reply = await s.call("people.link", ["staff_id": "S-01", "patient": "P-0001"].merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a })
        #expect(reply.error != nil, "\(reply)")
        let record = try #require(try Self.refusals(s, "people.link").last, "a refused link left no audit record")
        #expect(record.event.fields["detail"]?.contains("staff_id=S-01") == true, "\(record.event.fields)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == nil)
    }

    @Test func aLinkIsUndoneByTwoOtherStaff() async throws {
        let s = try await Socket()
        let link: [String: JSONValue] = ["staff_id": "S-01", "patient": "P-0001"]
        #expect(await s.call("people.link", link.merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a }).isSuccess)
        let unlink = link.merging(["reason": "linked to the wrong patient number"]) { a, _ in a }
        // Not by the linked staff member, not by one person twice, not without a reason.
        for parameters in [unlink.merging(Self.two("S-01", "1234", "S-04", "4567")) { a, _ in a },
                           unlink.merging(Self.two("S-04", "4567", "S-04", "4567")) { a, _ in a },
                           link.merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a },
                           link.merging(["reason": "   "]) { a, _ in a }.merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a },
                           ["staff_id": "S-01", "patient": "P-0002", "reason": "x"].merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a }] {
            let reply = await s.call("people.unlink", parameters)
            #expect(reply.error != nil, "\(parameters): unlinked")
            #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == PatientID("P-0001"))
        }
        // Three refusals on the record; the requests without a reason were malformed, and changed nothing.
        #expect(try Self.refusals(s, "people.unlink").count == 3)
        let reply = await s.call("people.unlink", unlink.merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a })
        #expect(reply.isSuccess, "\(reply)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == nil)
        #expect(try s.rig.store.patient(id: PatientID("P-0001"))?.alsoStaff == nil)
        let record = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).last { $0.event.fields["action"] == "people-unlinked" })
        #expect(record.event.fields["actor"]?.contains("S-02+S-04") == true, "\(record.event.fields)")
        #expect(record.event.fields["detail"]?.contains("linked to the wrong patient number") == true)
        // The roster follows: S-01 may now witness P-0001's dose.
        await s.rig.ask()
        #expect(s.rig.lines.output(.lock) == true, "the unlinked staff member still could not witness")
        #expect(await s.call("audit.verify").isSuccess)
    }
}
