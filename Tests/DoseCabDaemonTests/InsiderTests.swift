import DoseCabControl
import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging
import Testing

/// Issue 18 (security review): the paths by which a local user in the socket's groups could
/// divert doses or hide it. Each test is named after the path it closes. Control methods are
/// called as the socket would call them, on the driver rig's real store and actor.
@Suite struct InsiderTests {
    static let root = Caller(uid: 0, gid: 0, pid: 4242, groups: [0], groupNames: [])

    final class Socket: @unchecked Sendable {
        /// The journal mirror's sink: /dev/null, or the file a test reads back.
        let devnull: Int32
        let rig: DriverTests.Rig
        let methods: ControlMethods

        /// `demo: false`: a new cabinet with nobody enrolled (the bootstrap's starting point).
        /// `seed`: writes into the store what an earlier run left; the daemon then starts on it.
        init(journalPath: String? = nil, demo: Bool = true, seed: ((DriverTests.Rig) throws -> Void)? = nil) async throws {
            devnull = journalPath.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o600) } ?? open("/dev/null", O_WRONLY)
            let rig = try DriverTests.Rig(journalSink: .fileDescriptor(devnull), demo: demo)
            if let seed {
                try seed(rig)
                rig.driver = try await rig.restarted()
            }
            self.rig = rig
            _ = try await rig.driver.start()
            methods = ControlMethods(driver: rig.driver, store: rig.store, journal: rig.journal, simLines: rig.lines, pins: rig.pins)
        }

        deinit { close(devnull) }

        func call(_ method: String, _ parameters: [String: JSONValue] = [:]) async -> ControlReply {
            await methods.handle(ControlRequest(method: method, parameters: parameters), InsiderTests.root)
        }

        func auditCount() throws -> Int { try rig.store.auditRecords(fromSeq: 1, limit: 100_000).count }
    }

    // MARK: 18.11 admin requests crash the daemon

    /// Requests whose numbers are out of range: each used to trap in an integer conversion
    /// (`UInt32(-1)`, `UInt64(-5)`) or was taken as it came. Each must be a clear error.
    static let outOfRange: [(String, [String: JSONValue])] = [
        ("enroll", ["kind": "staff", "id": "S-99", "role": "nurse", "facility": -1, "card": 4711, "new_pin": "9876",
                     "staff": "S-04", "pin": "4567", "witness_staff": "S-05", "witness_pin": "5678"]),
        ("enroll", ["kind": "staff", "id": "S-99", "role": "nurse", "facility": .number(4_294_967_296), "card": 4711, "new_pin": "9876",
                     "staff": "S-04", "pin": "4567", "witness_staff": "S-05", "witness_pin": "5678"]),
        ("enroll", ["kind": "staff", "id": "S-99", "role": "nurse", "facility": 10, "card": -5, "new_pin": "9876",
                     "staff": "S-04", "pin": "4567", "witness_staff": "S-05", "witness_pin": "5678"]),
        ("enroll", ["kind": "staff", "id": "S-99", "role": "nurse", "facility": 10, "card": 1e300, "new_pin": "9876",
                     "staff": "S-04", "pin": "4567", "witness_staff": "S-05", "witness_pin": "5678"]),
        ("sim.card", ["card": 1001, "facility": -1]),
        ("sim.card", ["card": -1001, "facility": 10]),
        ("sim.line", ["line": "door", "value": -7]),
        ("sim.advance", ["seconds": -1]),
        ("releases", ["since": -1]),
        ("stock.receive", ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234", "drug": "methadone",
                           "route": "oral", "strength_mg": -10, "serials": ["990001"], "batch": "B", "expiry": "2099-01-01"]),
        ("stock.waste", ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234", "reason": "broken",
                         "serial": "990001", "mg": .number(-9.2e18)]),
    ]

    @Test(arguments: outOfRange)
    func outOfRangeNumbersFromTheSocketAreAClearErrorAndChangeNothing(method: String, parameters: [String: JSONValue]) async throws {
        let s = try await Socket()
        let before = try s.auditCount()
        let staffBefore = try s.rig.store.staffMembers().count
        let reply = await s.call(method, parameters)
        #expect(reply.error?.contains("must be a whole number") == true, "\(method) \(parameters): \(reply)")
        #expect(try s.auditCount() == before, "nothing is written")
        #expect(try s.rig.store.staffMembers().count == staffBefore)
        // Still serving.
        #expect(await s.call("status").isSuccess)
    }

    /// `count.start` with a huge number among its parameters: the count was committed, then the
    /// admin record's summary trapped in `Int64(1e300)`, so the chain lacked the admin record of
    /// the caller and the daemon restarted. Now the number is summarised as it came.
    @Test func aHugeNumberInACountStartNoLongerKillsTheDaemonBetweenTheCountAndItsAdminRecord() async throws {
        let s = try await Socket()
        let reply = await s.call("count.start", ["staff": "S-03", "pin": "3456", "witness_staff": "S-01", "witness_pin": "1234",
                                                 "note": 1e300])
        #expect(reply.isSuccess, "\(reply)")
        let records = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000)
        let count = try #require(records.lastIndex { $0.event.kind == .count })
        let admin = try #require(records.last { $0.event.kind == .admin })
        #expect(admin.seq > records[count].seq, "the caller's admin record follows the count it started")
        #expect(admin.event.fields.values.contains { $0.contains("note=1e+300") }, "\(admin.event.fields)")
        #expect(await s.call("status").isSuccess)
    }

    // MARK: 18.13 smaller holes

    /// `audit.list` with a negative limit: SQLite reads `LIMIT -1` as no limit, so the reply
    /// held the whole log, past the 1000 records a reply may carry.
    @Test func aNegativeAuditListLimitIsAnErrorNotTheWholeLog() async throws {
        let s = try await Socket()
        let reply = await s.call("audit.list", ["from": 1, "limit": -1])
        #expect(reply.error?.contains("limit") == true, "\(reply.error ?? "accepted")")
        let listed = reply.parameters["records"]?.arrayValue?.count
        #expect(listed == nil, "the whole log came back: \(listed ?? 0) records")
        #expect(try s.auditCount() > 2)
        #expect(await s.call("audit.list", ["from": 1, "limit": 2]).parameters["records"]?.arrayValue?.count == 2)
    }

    /// `lockdown off` after a tamper alarm took only the Unix group; now it takes an admin's
    /// badge and PIN (a nurse's, a wrong PIN or none are refused and the lockdown stays), and
    /// the record names the admin. A lockdown switched on by hand is lifted the same way.
    @Test func liftingAnAlarmLockdownTakesAnAdminsBadgeAndPIN() async throws {
        let s = try await Socket()
        await s.rig.driver.handle(.tamper(at: s.rig.clock.now()))
        #expect(await s.rig.driver.snapshot.lockdown != nil)
        let refusals: [[String: JSONValue]] = [
            ["state": "off", "reason": "case closed"],
            ["state": "off", "reason": "case closed", "staff": "S-01", "pin": "1234"],
            ["state": "off", "reason": "case closed", "staff": "S-04", "pin": "0000"],
            ["state": "of", "reason": "case closed", "staff": "S-04", "pin": "4567"],
        ]
        for parameters in refusals {
            let reply = await s.call("lockdown", parameters)
            #expect(reply.error != nil, "\(parameters) lifted the lockdown")
            #expect(await s.rig.driver.snapshot.lockdown != nil, "\(parameters)")
        }
        let lifted = await s.call("lockdown", ["state": "off", "reason": "case closed", "staff": "S-04", "pin": "4567"])
        #expect(lifted.isSuccess, "\(lifted)")
        #expect(await s.rig.driver.snapshot.lockdown == nil)
        let record = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).last { $0.event.kind == .lockdown })
        #expect(record.event.fields.values.contains { $0.hasPrefix("S-04 (uid=0") }, "\(record.event.fields)")

        // By hand: on with the Unix group alone, off only with an admin's badge and PIN.
        #expect(await s.call("lockdown", ["state": "on", "reason": "stocktake"]).isSuccess)
        #expect(await s.call("lockdown", ["state": "off", "reason": "stocktake done"]).error != nil)
        #expect(await s.call("lockdown", ["state": "off", "reason": "stocktake done", "staff": "S-05", "pin": "5678"]).isSuccess)
        #expect(await s.rig.driver.snapshot.lockdown == nil)
    }

    // MARK: 18.8 PIN lockout forgotten on restart

    /// Three wrong PINs lock a badge out; a restart of the daemon (a new driver on the same
    /// store, as `dosecabd` starting again reads it) used to forget that, so a crash or a
    /// restart gave a guesser three more tries. The lockout now holds after the restart, on
    /// the socket and at the counter, and ends when its time is up.
    @Test func aPINLockoutSurvivesARestartAndEndsWithItsTime() async throws {
        let s = try await Socket()
        let rig = s.rig
        var config = DaemonConfig.simulated(stateDirectory: rig.dir)
        config.journalMaxUnsentSeconds = 1
        let policy = config.policy
        let nurse = try #require(try rig.store.staff(id: StaffID("S-01")))
        for _ in 0..<policy.pinAttemptsBeforeLockout {
            _ = try await rig.driver.checkSocketPIN(nurse, pin: "0000", action: "guessing", account: 1001)
        }
        #expect(try await rig.driver.checkSocketPIN(nurse, pin: "1234", action: "test", account: 1001)?.reason == .pinLockout)

        func restart() async throws -> CabinetDriver {
            let driver = try CabinetDriver(config: config, store: rig.store, journal: rig.journal, lines: rig.lines,
                                           clock: rig.clock, pins: rig.pins, logger: Logger(label: "test"), simulate: true,
                                           version: "test", pinMap: rig.lines.pinMap)
            _ = try await driver.start()
            return driver
        }
        let again = try await restart()
        #expect(try await again.checkSocketPIN(nurse, pin: "1234", action: "test", account: 1001)?.reason == .pinLockout,
                "the lockout holds after a restart, even with the right PIN")
        await again.handle(.card(DriverTests.Rig.nurse, at: rig.clock.now()))
        let feedback = await again.feedback
        #expect(feedback.last?.contains("locked out") == true, "\(feedback)")

        // Two wrong PINs (one short of a lockout) are not forgotten either.
        let clinician = try #require(try rig.store.staff(id: StaffID("S-02")))
        for _ in 1..<policy.pinAttemptsBeforeLockout {
            #expect(try await again.checkSocketPIN(clinician, pin: "0000", action: "guessing", account: 1001)?.reason == .wrongPIN)
        }
        let third = try await restart()
        #expect(try await third.checkSocketPIN(clinician, pin: "0000", action: "guessing", account: 1001)?.reason == .pinLockout)

        // Once the lockout time has passed, the right PIN is accepted again, after a restart too.
        rig.clock.advance(millis: Int64(policy.pinLockoutMinutes) * 60_000 + 1000)
        let later = try await restart()
        #expect(try await later.checkSocketPIN(nurse, pin: "1234", action: "test", account: 1001) == nil)
    }

    /// One Unix account in the admin group could give wrong PINs for every staff member in turn:
    /// each badge counts its own wrong PINs, so one guess per badge never locks anything, and the
    /// account could guess on across the whole roster (or lock everyone out, one badge after the
    /// other, three guesses each). Wrong PINs over the socket now also count per account: a few
    /// in the lockout time, across all staff, and that account's PIN checks are refused until
    /// it has passed, while every badge, and every other account, still works.
    @Test func oneAccountCannotGuessPINsAcrossStaffOverTheSocket() async throws {
        let s = try await Socket()
        let policy = DaemonConfig.simulated(stateDirectory: s.rig.dir).policy
        let guesser = Self.groups.caller(uid: 1001, gid: 901, pid: 4301, groups: [901])
        let colleague = Self.groups.caller(uid: 1002, gid: 901, pid: 4302, groups: [901])
        func link(_ caller: Caller, _ people: [String: JSONValue]) async -> ControlReply {
            await s.methods.handle(ControlRequest(method: "people.link", parameters: ["staff_id": "S-01", "patient": "P-0001"]
                .merging(people) { a, _ in a }), caller)
        }
        // One wrong guess at each of as many staff members as the lockout allows tries: no badge
        // reaches its own lockout.
        try #require(policy.pinAttemptsBeforeLockout == 3, "the demo's three tries: one guess each at S-02, S-03, S-05")
        for staff in ["S-02", "S-03", "S-05"] {
            let reply = await link(guesser, Self.two(staff, "0000", "S-04", "4567"))
            #expect(reply.error?.contains("wrong") == true || reply.error?.contains("lockout") == true, "\(staff): \(reply)")
        }
        // The account has used its tries: even the right PINs are refused from it now.
        let right = await link(guesser, Self.two("S-02", "2345", "S-04", "4567"))
        #expect(right.error?.contains("pin-lockout") == true && right.error?.contains("uid=1001") == true, "\(right)")
        #expect(try s.rig.store.staff(id: StaffID("S-01"))?.alsoPatient == nil)
        // No badge is locked out: another account, and the counter, take the same people's PINs.
        let other = await link(colleague, Self.two("S-02", "2345", "S-04", "4567"))
        #expect(other.isSuccess, "\(other)")
        for (card, pin) in [(1002, "2345"), (1003, "3456"), (1005, "5678")] {
            await s.rig.driver.handle(.card(CardID(format: .h10301, facility: 10, number: UInt64(card)), at: s.rig.clock.now()))
            await s.rig.driver.handle(.keys(pin + "#", at: s.rig.clock.now()))
            let feedback = await s.rig.driver.feedback
            #expect(feedback.last?.contains("staff session open") == true, "badge \(card): \(feedback.suffix(2))")
        }
        // The account's lockout is on the record, naming it.
        let refusals = try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).filter { $0.event.kind == .refusal }
        #expect(refusals.contains { "\($0.event.fields)".contains("uid=1001") && "\($0.event.fields)".contains("pin-lockout") }, "\(refusals.map(\.event.fields))")
        // Once the lockout time has passed the account may try again (here: undo the link).
        s.rig.clock.advance(millis: Int64(policy.pinLockoutMinutes) * 60_000 + 1000)
        let later = await s.methods.handle(ControlRequest(method: "people.unlink", parameters: ["staff_id": "S-01", "patient": "P-0001", "reason": "test"]
            .merging(Self.two("S-02", "2345", "S-04", "4567")) { a, _ in a }), guesser)
        #expect(later.isSuccess, "\(later)")
    }

    /// After a reboot the boot clock starts again: a stored lockout ends by the wall clock then,
    /// and one that has ended (with no count left) is dropped from the store.
    @Test func aPINLockoutFromAnEarlierBootEndsByTheWallClock() {
        let card = CardID(format: .h10301, facility: 10, number: 1001)
        let other = CardID(format: .h10301, facility: 10, number: 1002)
        let now = Moment(wallMillis: 1_000_000_000, bootMillis: 5_000, bootID: "boot-b")
        let stored = [
            // Set on the earlier boot with 10 min to go by the wall clock; its boot time means nothing now.
            StoredPINFailures(card: card, failures: 0,
                              lockedUntil: Moment(wallMillis: now.wallMillis + 600_000, bootMillis: 99_999_999, bootID: "boot-a")),
            // Ended a minute ago: nothing left.
            StoredPINFailures(card: other, failures: 0,
                              lockedUntil: Moment(wallMillis: now.wallMillis - 60_000, bootMillis: 1, bootID: "boot-a")),
        ]
        let (restored, stale) = CabinetDriver.restoredPINFailures(stored, now: now)
        #expect(restored[card]?.lockedUntil == now.bootMillis + 600_000)
        #expect(restored[other] == nil)
        #expect(stale == [other])
        // The same boot: its own boot clock decides, whatever the wall clock says now.
        let sameBoot = [StoredPINFailures(card: card, failures: 2,
                                          lockedUntil: Moment(wallMillis: now.wallMillis - 1, bootMillis: 9_000, bootID: "boot-b"))]
        #expect(CabinetDriver.restoredPINFailures(sameBoot, now: now).0[card]?.lockedUntil == 9_000)
        // A wall clock far behind (a board without a real-time clock) never lengthens a lockout
        // beyond the configured one.
        let farAhead = [StoredPINFailures(card: card, failures: 0,
                                          lockedUntil: Moment(wallMillis: now.wallMillis + 90 * 86_400_000, bootMillis: 1, bootID: "boot-a"))]
        #expect(CabinetDriver.restoredPINFailures(farAhead, now: now, longestMillis: 900_000).0[card]?.lockedUntil == now.bootMillis + 900_000)
    }
}

