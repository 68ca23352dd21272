import DoseCabControl
import DoseCabDaemon
import DoseCabSystemd
import Testing

/// The Unix groups of ARCHITECTURE §4a "Insiders" (issue 18): the service runs as its own user
/// and group `dosecabd`, which no person is in; `dosecab` (read-only technicians) and
/// `dosecab-admin` reach the daemon only through the control socket.
@Suite struct RoleGroupTests {
    @Test func defaultsAreTheInstalledGroups() {
        let config = DaemonConfig()
        #expect(config.readGroup == "dosecab")
        #expect(config.adminGroup == "dosecab-admin")
        #expect(AccessPolicy().readGroup == "dosecab")
        #expect(AccessPolicy().adminGroup == "dosecab-admin")
        #expect(DaemonConfig.serviceUser == "dosecabd")
        #expect(DaemonConfig.serviceGroup == "dosecabd")
        // The journal's trusted writer is the same user (issue 18.10).
        #expect(JournalReader.Trust.serviceUser == DaemonConfig.serviceUser)
    }

    @Test func theDefaultRoleGroupsAreAccepted() {
        #expect(DaemonConfig().roleGroupProblem(runningGroup: "dosecabd") == nil)
        #expect(DaemonConfig().roleGroupProblem(runningGroup: nil) == nil)
    }

    /// A member of the service's own group could read the store's files and hold its write
    /// lock (issue 18.1); a member of `dosecab-gpio` could drive the lock line. Neither group may
    /// be a role group, whatever user the daemon happens to run as (root in a test, say).
    @Test func aGroupNoPersonMayBeInIsRefusedAsARoleGroup() throws {
        for (read, admin) in [("dosecabd", "dosecab-admin"), ("dosecab", "dosecabd"), ("dosecab-gpio", "dosecab-admin"), ("dosecab", "dosecab-gpio")] {
            var config = DaemonConfig()
            config.readGroup = read
            config.adminGroup = admin
            let problem = try #require(config.roleGroupProblem(runningGroup: nil), "\(read)/\(admin) accepted")
            let refused = read == "dosecab" ? admin : read
            #expect(problem.contains("'\(refused)'"), "\(problem)")
            #expect(problem.contains("dosecab or dosecab-admin"), "\(problem)")
        }
    }

    /// Installed under another name (a packager's user, say), the group the daemon runs as is
    /// refused too.
    @Test func theGroupTheDaemonRunsAsIsRefusedAsARoleGroup() throws {
        var config = DaemonConfig()
        config.adminGroup = "cabinet-svc"
        let problem = try #require(config.roleGroupProblem(runningGroup: "cabinet-svc"))
        #expect(problem.contains("'cabinet-svc'") && problem.contains("service's own group"), "\(problem)")
        #expect(DaemonConfig().roleGroupProblem(runningGroup: "cabinet-svc") == nil)
    }
}
