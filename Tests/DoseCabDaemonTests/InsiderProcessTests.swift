import Foundation
import Testing

/// Issue 18.11 through the real `dosecabctl` and `dosecabd --simulate`: an admin-group request
/// with a negative facility used to kill the daemon (a trap in `UInt32(-1)`).
extension ProcessTests {
    @Test func anEnrolmentWithANegativeFacilityIsAnErrorAndTheDaemonLivesOn() throws {
        let d = try SimDaemon()
        defer { d.stop() }
        let before = d.ctl(["people"]).json["staff"] as? [Any]
        let enrol = d.ctl(["enroll", "staff", "--id", "S-99", "--role", "nurse", "--facility=-1", "--card", "4711", "--new-pin", "9876",
                            "--staff", "S-04", "--pin", "4567", "--witness", "S-05", "--witness-pin", "5678"])
        #expect(enrol.code == 1 && enrol.err.contains("must be a whole number"), "exit \(enrol.code): \(enrol.err)")
        #expect(d.process.isRunning, "dosecabd died")
        #expect(d.status()["lock"] as? String == "locked")
        #expect((d.ctl(["people"]).json["staff"] as? [Any])?.count == before?.count, "nothing was enrolled")
    }
}
