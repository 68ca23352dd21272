import DoseCabControl
import DoseCabCore
import DoseCabStore

extension ControlMethods {
    /// `audit.verify` (issue 18.5): walks the chain (the first edited, deleted or reordered
    /// record), checks it against a head held elsewhere (`expect_seq` + `expect_hash`, e.g. from
    /// the printed register or an off-box copy), and compares every state table with the state
    /// the chain implies. Any finding is an error reply that still carries every field.
    func auditVerify(_ p: [String: JSONValue]) throws -> ControlReply {
        let expectSeq = try optionalInt(p, "expect_seq", in: 1...Self.largestExact)
        let expectHash = p["expect_hash"]?.stringValue
        var expected: AuditChain?
        switch (expectSeq, expectHash) {
        case (nil, nil): break
        case (let seq?, let hash?) where hash.count == 64 && hash.allSatisfy(\.isHexDigit):
            expected = AuditChain(lastSeq: Int64(seq), lastHash: hash.lowercased())
        default:
            throw MethodError(message: "expect_seq (a sequence number) and expect_hash (64 hex digits) go together; nothing was checked")
        }
        let result = try store.verifyAudit(expecting: expected)
        let head = try store.chainHead()
        let differences = try store.verifyState()
        var reply: [String: JSONValue] = [
            "last_seq": .number(Double(head.lastSeq)), "head": .string(head.lastHash),
            "differences": .array(differences.map { d in
                .object(["table": .string(d.table), "key": .string(d.key), "field": .string(d.field),
                         "chain": .string(d.chain), "stored": .string(d.stored)])
            }),
        ]
        var problems: [String] = []
        switch result {
        case .intact(let n, _):
            reply["records"] = .number(Double(n))
        case .broken(let pos, let seq, let problem):
            reply["position"] = .number(Double(pos))
            reply["seq"] = .number(Double(seq))
            reply["problem"] = .string(problem.rawValue)
            if let expected, problem == .missing, seq == head.lastSeq + 1, head.lastSeq < expected.lastSeq {
                problems.append("the chain is shorter than the expected head: it ends at seq \(head.lastSeq), the head held elsewhere is seq \(expected.lastSeq) (\(expected.lastHash)); records were deleted")
            } else if let expected, seq == expected.lastSeq, problem == .edited,
                      let record = try store.auditRecords(fromSeq: seq, limit: 1).first, record.seq == seq,
                      record.hash != expected.lastHash, record.isSelfConsistent {
                problems.append("seq \(seq) carries hash \(record.hash) in the store, not the expected \(expected.lastHash): the chain was changed (recomputed) since that head was taken")
            } else {
                problems.append(result.description)
            }
        }
        if let expected { reply["expected"] = .string("\(expected.lastSeq):\(expected.lastHash)") }
        if !differences.isEmpty {
            let shown = differences.prefix(5).map(\.description).joined(separator: "; ")
            let more = differences.count > 5 ? "; and \(differences.count - 5) more" : ""
            problems.append("\(differences.count) state table difference(s) from the chain: \(shown)\(more)")
        }
        reply["intact"] = .bool(problems.isEmpty)
        return problems.isEmpty ? .ok(reply) : ControlReply(parameters: reply, error: problems.joined(separator: "; "))
    }
}
