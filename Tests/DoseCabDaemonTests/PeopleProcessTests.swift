import Foundation
import Testing

/// Issue 18.2, 18.3 and the 18.13 link through the real `dosecabctl` and `dosecabd --simulate`
/// (the demo clinic: S-01 nurse 1234, S-02 clinician 2345, S-04 admin 4567, S-05 admin 5678).
extension ProcessTests {
    @Test func staffAreEnrolledThroughTheRealCLIWithTwoPINs() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let newNurse = ["enroll", "staff", "--id", "S-20", "--role", "nurse", "--facility", "10", "--card", "1020", "--new-pin", "2020"]
        // An admin-group account alone no longer creates staff.
        let alone = d.ctl(newNurse)
        #expect(alone.code == 1, "exit \(alone.code): \(alone.out) \(alone.err)")
        // Two staff PINs, read from stdin (new PIN first, then --pin, then --witness-pin).
        let ok = d.ctl(["enroll", "staff", "--id", "S-20", "--role", "nurse", "--facility", "10", "--card", "1020", "--new-pin", "-",
                        "--staff", "S-01", "--pin", "-", "--witness", "S-04", "--witness-pin", "-"], stdin: "2020\n1234\n4567\n")
        #expect(ok.code == 0, "exit \(ok.code): \(ok.err)")
        // Re-enrolling S-20 as an admin: a change, so --replace, and an admin among the two.
        let promote = ["enroll", "staff", "--id", "S-20", "--role", "admin", "--facility", "10", "--card", "1020", "--new-pin", "2020",
                       "--staff", "S-01", "--pin", "1234", "--witness", "S-02", "--witness-pin", "2345"]
        #expect(d.ctl(promote).code == 1, "a silent overwrite")
        #expect(d.ctl(promote + ["--replace"]).code == 1, "admin granted without an admin")
        #expect(d.ctl(promote.dropLast(4) + ["--witness", "S-05", "--witness-pin", "5678", "--replace"]).code == 0)
        let staff = d.ctl(["people"]).json["staff"] as? [[String: Any]] ?? []
        #expect(staff.first { $0["id"] as? String == "S-20" }?["role"] as? String == "admin")
        // A bootstrap on a cabinet that has staff is refused.
        let boot = d.ctl(["enroll", "staff", "--bootstrap", "--id", "S-30", "--role", "admin", "--facility", "10", "--card", "1030",
                          "--new-pin", "3030", "--second-id", "S-31", "--second-role", "admin", "--second-facility", "10",
                          "--second-card", "1031", "--second-new-pin", "3131"])
        #expect(boot.code == 1 && boot.err.contains("bootstrap"), "exit \(boot.code): \(boot.err)")
        // The link, through `people link`.
        let link = d.ctl(["people", "link", "S-01", "P-0001", "--staff", "S-02", "--pin", "2345", "--witness", "S-04", "--witness-pin", "4567"])
        #expect(link.code == 0, "exit \(link.code): \(link.err)")
        let linked = d.ctl(["people"]).json["staff"] as? [[String: Any]] ?? []
        #expect(linked.first { $0["id"] as? String == "S-01" }?["also_patient"] as? String == "P-0001")
        // And undone, through `people unlink`, with a reason.
        let unlink = d.ctl(["people", "unlink", "S-01", "P-0001", "--reason", "wrong number",
                            "--staff", "S-02", "--pin", "2345", "--witness", "S-04", "--witness-pin", "4567"])
        #expect(unlink.code == 0, "exit \(unlink.code): \(unlink.err)")
        let unlinked = d.ctl(["people"]).json["staff"] as? [[String: Any]] ?? []
        #expect(unlinked.first { $0["id"] as? String == "S-01" }.map { $0["also_patient"] is NSNull } == true, "\(unlinked)")
    }
}
