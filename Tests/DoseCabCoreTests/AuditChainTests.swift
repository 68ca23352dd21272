import Testing
@testable import DoseCabCore

@Suite struct AuditChainTests {
    func chain(_ n: Int) -> [AuditRecord] {
        var c = AuditChain()
        return (0..<n).map { i in
            c.append(AuditEvent(kind: i % 2 == 0 ? .release : .return, wallMillis: 1_000 + Int64(i),
                                message: "event \(i)", fields: ["patient": "P-\(i)", "release": "R-\(i)"]))
        }
    }

    @Test func intactChainVerifies() {
        let records = chain(10)
        #expect(AuditChain.verify(records) == .intact(records: 10, head: records.last!.hash))
        #expect(records.first!.previousHash == AuditRecord.genesisHash)
        #expect(records.allSatisfy { $0.hash.count == 64 })
    }

    @Test func editIsDetectedAtTheEditedRecord() {
        var records = chain(10)
        records[4].event.fields["patient"] = "P-999"
        #expect(AuditChain.verify(records) == .broken(position: 4, seq: 5, problem: .edited))
        var msg = chain(10)
        msg[7].event.message = "nothing happened"
        #expect(AuditChain.verify(msg) == .broken(position: 7, seq: 8, problem: .edited))
        // Recomputing the edited record's own hash breaks the link to the next one instead.
        var rehashed = chain(10)
        rehashed[4].event.wallMillis += 1
        rehashed[4].hash = AuditRecord.computeHash(seq: 5, event: rehashed[4].event, previousHash: rehashed[4].previousHash)
        #expect(AuditChain.verify(rehashed) == .broken(position: 5, seq: 6, problem: .unlinked))
    }

    @Test func deletionIsDetected() {
        var records = chain(10)
        records.remove(at: 3)
        #expect(AuditChain.verify(records) == .broken(position: 3, seq: 5, problem: .missing))
        // Deleting the tail cannot be seen from the chain alone: the head is compared off-box.
        let head = chain(10).last!.hash
        #expect(AuditChain.verify(chain(10).dropLast()) != .intact(records: 10, head: head))
    }

    @Test func reorderIsDetected() {
        var records = chain(10)
        records.swapAt(2, 6)
        #expect(AuditChain.verify(records) == .broken(position: 2, seq: 7, problem: .missing))
        var adjacent = chain(10)
        adjacent.swapAt(5, 6)
        #expect(AuditChain.verify(adjacent) == .broken(position: 5, seq: 7, problem: .missing))
        var dup = chain(5)
        dup.insert(dup[1], at: 2)
        #expect(AuditChain.verify(dup) == .broken(position: 2, seq: 2, problem: .reordered))
    }

    @Test func continuesFromAStoredHead() {
        let records = chain(6)
        let head = AuditChain(lastSeq: 3, lastHash: records[2].hash)
        #expect(AuditChain.verify(records[3...], from: head) == .intact(records: 3, head: records[5].hash))
        var resumed = head
        let next = resumed.append(AuditEvent(kind: .startup, wallMillis: 9, message: "restart"))
        #expect(next.seq == 4 && next.previousHash == records[2].hash)
    }

    @Test func fieldOrderDoesNotMatterButContentDoes() {
        let a = AuditEvent(kind: .refusal, wallMillis: 5, message: "m", fields: ["a": "1", "b": "2"])
        let b = AuditEvent(kind: .refusal, wallMillis: 5, message: "m", fields: ["b": "2", "a": "1"])
        #expect(AuditRecord.computeHash(seq: 1, event: a, previousHash: "x") == AuditRecord.computeHash(seq: 1, event: b, previousHash: "x"))
        // Length-prefixing: moving a character between fields changes the hash.
        let c = AuditEvent(kind: .refusal, wallMillis: 5, message: "m", fields: ["a": "12", "b": ""])
        let d = AuditEvent(kind: .refusal, wallMillis: 5, message: "m", fields: ["a": "1", "b": "2"])
        #expect(AuditRecord.computeHash(seq: 1, event: c, previousHash: "x") != AuditRecord.computeHash(seq: 1, event: d, previousHash: "x"))
    }

    @Test func everyLedgerWriteYieldsOneEventOfTheRightKind() {
        let at = F.morning
        let cases: [(LedgerWrite, AuditEventKind)] = [
            (.hold(PatientID("P"), reason: "r", at: at), .hold),
            (.holdCleared(PatientID("P"), by: StaffID("S"), reason: "r", at: at), .holdCleared),
            (.alarm(.tamper, detail: "d", at: at), .alarm),
            (.lockdown(on: true, reason: "r", by: "b", at: at), .lockdown),
            (.refusal(patient: nil, staff: nil, refusals: [Refusal(.lockdown, "x")], at: at), .refusal),
            (.unitReturned(UnitSerial("1"), release: ReleaseID("R"), patient: PatientID("P"), at: at), .return),
            (.startup(version: "1", at: at), .startup),
        ]
        for (write, kind) in cases {
            #expect(write.auditEvent.kind == kind)
            #expect(write.auditEvent.wallMillis == at.wallMillis)
            #expect(!write.auditEvent.message.isEmpty)
        }
    }
}
