import Foundation
import Testing

/// Issue 18.5: an auditor checks the chain against a head printed earlier or held off the box,
/// through the real `dosecabctl audit verify --expect SEQ:HASH`.
extension ProcessTests {
    @Test func expectHeadMismatchFails() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let verify = d.ctl(["audit", "verify"])
        #expect(verify.code == 0 && verify.json["intact"] as? Bool == true, "\(verify)")
        let seq = try #require(verify.json["last_seq"] as? Int)
        let head = try #require(verify.json["head"] as? String)
        #expect(verify.json["differences"] as? [Any] != nil, "the reply lists the state differences (none): \(verify.out)")

        let same = d.ctl(["audit", "verify", "--expect", "\(seq):\(head)"])
        #expect(same.code == 0 && same.json["intact"] as? Bool == true, "the head printed earlier matches: \(same)")

        let other = String(repeating: "0", count: 64)
        let edited = d.ctl(["audit", "verify", "--expect", "\(seq):\(other)"])
        #expect(edited.code != 0 && edited.json["intact"] as? Bool == false, "\(edited)")
        #expect(edited.err.contains("seq \(seq)") && edited.err.contains(other), "names the seq and the expected hash: \(edited.err)")

        let longer = d.ctl(["audit", "verify", "--expect", "\(seq + 5):\(other)"])
        #expect(longer.code != 0 && longer.err.contains("shorter"), "a chain shorter than the head held off the box fails: \(longer.err)")

        let garbage = d.ctl(["audit", "verify", "--expect", "nonsense"])
        #expect(garbage.code == 64, "a malformed head is a usage error: \(garbage)")
    }
}
