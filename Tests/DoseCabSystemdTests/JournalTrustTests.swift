@testable import DoseCabSystemd
import Glibc
import Testing

/// Issue 18.10: which entries the reader believes. The real-journald test shows a forged
/// entry ignored by uid; these pin how the daemon and the CLI pick the uid and the unit.
@Suite struct JournalTrustTests {
    @Test func theUnitComesFromTheServicesCgroup() {
        #expect(JournalReader.Trust.unit(fromCgroup: "0::/system.slice/dosecabd.service\n") == "dosecabd.service")
        let v1 = "12:pids:/system.slice/dosecabd.service\n1:name=systemd:/system.slice/dosecabd.service\n0::/\n"
        #expect(JournalReader.Trust.unit(fromCgroup: v1) == nil, "cgroup v2's line wins; '/' names no service")
        #expect(JournalReader.Trust.unit(fromCgroup: "1:name=systemd:/system.slice/dosecabd.service\n") == "dosecabd.service")
        #expect(JournalReader.Trust.unit(fromCgroup: "0::/user.slice/user-1000.slice/session-3.scope\n") == nil)
    }

    @Test func theDaemonTrustsItsOwnUIDAndItsUnitOnlyUnderSystemd() {
        let cgroup = "0::/system.slice/dosecabd.service\n"
        let underSystemd = JournalReader.Trust.ownProcess(environment: ["INVOCATION_ID": "0123abcd"], cgroup: cgroup)
        #expect(underSystemd == JournalReader.Trust(uid: getuid(), unit: "dosecabd.service"))
        #expect(underSystemd.matches == ["_UID=\(getuid())", "_SYSTEMD_UNIT=dosecabd.service"])
        // From a shell (--simulate, tests): no unit to match, the uid alone.
        let fromAShell = JournalReader.Trust.ownProcess(environment: [:], cgroup: cgroup)
        #expect(fromAShell == JournalReader.Trust(uid: getuid(), unit: nil))
        #expect(fromAShell.matches == ["_UID=\(getuid())"])
    }

    @Test func theCLITrustsTheInstalledServicesUserAndUnit() {
        #expect(JournalReader.Trust.service(user: "root") == JournalReader.Trust(uid: 0, unit: "dosecabd.service"))
        #expect(JournalReader.Trust.service(user: "no-such-user-dosecab-test") == nil)
    }
}
