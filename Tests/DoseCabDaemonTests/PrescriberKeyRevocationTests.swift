import DoseCabControl
import DoseCabCore
@testable import DoseCabDaemon
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18.13: a prescriber key could not be revoked through any interface, and a revoked
/// key's prescriptions stayed in force. `rx.revoke-key` (admin group, two staff badges + PINs,
/// neither needed to be an admin, audited and journaled) revokes it, and from then on what it
/// signed is no longer dispensed.
extension InsiderTests {
    @Test func aPrescriberKeyIsRevokedByTwoStaffAndItsPrescriptionsAreNoLongerInForce() async throws {
        let s = try await Socket()
        let key = DemoClinic.prescriberKeyID
        let patient = PatientID("P-0001")
        #expect(try !s.rig.store.activePrescriptions(for: patient).isEmpty)
        let refusals: [[String: JSONValue]] = [
            ["key": .string(key), "reason": "key lost"],
            ["key": .string(key), "reason": "key lost", "staff": "S-04", "pin": "4567"],
            ["key": .string(key), "reason": "key lost", "staff": "S-04", "pin": "4567", "witness_staff": "S-04", "witness_pin": "4567"],
            ["key": .string(key), "reason": "key lost", "staff": "S-04", "pin": "4567", "witness_staff": "S-01", "witness_pin": "9999"],
            ["key": "no-such-key", "reason": "key lost", "staff": "S-04", "pin": "4567", "witness_staff": "S-01", "witness_pin": "1234"],
        ]
        for parameters in refusals {
            let reply = await s.call("rx.revoke-key", parameters)
            #expect(reply.error != nil, "\(parameters) revoked the key")
        }
        #expect(try s.rig.store.prescriberKeys().allSatisfy { $0.revokedAtMillis == nil }, "nothing revoked by a refusal")
        let reply = await s.call("rx.revoke-key", ["key": .string(key), "reason": "key lost", "staff": "S-04", "pin": "4567",
                                                   "witness_staff": "S-01", "witness_pin": "1234"])
        #expect(reply.isSuccess, "\(reply)")
        #expect(try s.rig.store.prescriberKeys().first { $0.keyID == key }?.revokedAtMillis != nil)
        let record = try #require(try s.rig.store.auditRecords(fromSeq: 1, limit: 100_000).last { $0.event.fields["key"] == key },
                                  "the revocation is audited")
        #expect(record.event.fields["staff"] == "S-04" && record.event.fields["witness"] == "S-01")
        #expect(record.event.fields["reason"] == "key lost")
        #expect(try s.rig.store.activePrescriptions(for: patient).isEmpty, "what the revoked key signed is no longer in force")
        await s.rig.ask()
        #expect(s.rig.lines.output(.lock) == false, "no release on a revoked key's prescription")
    }
}
