import DoseCabSystemd
import Foundation
import Glibc
import Testing

/// The files in systemd/: verified by systemd's own tools where they can be, and pinned
/// where the tools cannot see (a missing hardening line would still verify).
@Suite(.serialized) struct UnitFileTests {
    static let systemdDir = TestSupport.repoRoot + "/systemd"

    static func read(_ name: String) throws -> String {
        try String(contentsOfFile: systemdDir + "/" + name, encoding: .utf8)
    }

    /// Copies the units into a temp dir; when /usr/bin/dosecabd is not installed, the
    /// copies run /bin/true instead (verify refuses a missing binary). Nothing else changes.
    static func stagedUnits() throws -> String {
        let dir = try TestSupport.tempDir()
        for name in ["dosecabd.service", "dosecabd.socket"] {
            var text = try read(name)
            if access("/usr/bin/dosecabd", X_OK) != 0 {
                text = text.replacingOccurrences(of: "=/usr/bin/dosecabd ", with: "=/bin/true ")
            }
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// systemd-analyze leaves this behind (MACHINE-FACTS); remove it if we made it.
    static func removingAnalyzeLeftover<R>(_ body: () throws -> R) rethrows -> R {
        let leftover = "/run/systemd/systemd-units-load"
        let existed = access(leftover, F_OK) == 0
        defer { if !existed { unlink(leftover) } }
        return try body()
    }

    @Test func serviceAndSocketVerifyClean() throws {
        let dir = try Self.stagedUnits()
        defer { TestSupport.remove(dir) }
        try Self.removingAnalyzeLeftover { () throws -> Void in
            // --man=no: the pages are not installed on a build machine; the next test checks
            // that every page a unit names is one the repository ships.
            let out = try TestSupport.run(
                ["/usr/bin/systemd-analyze", "verify", "--man=no", dir + "/dosecabd.service", dir + "/dosecabd.socket"])
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(out.stderr)")
        }
    }

    /// Every `man:` page in the units' Documentation= is one `make install` installs.
    @Test func documentationNamesShippedManualPages() throws {
        let manDir = URL(fileURLWithPath: Self.systemdDir).deletingLastPathComponent().appendingPathComponent("docs/man").path
        for unit in ["dosecabd.service", "dosecabd.socket"] {
            let docs = try Self.read(unit).split(separator: "\n").filter { $0.hasPrefix("Documentation=") }
                .flatMap { $0.dropFirst("Documentation=".count).split(separator: " ") }
            #expect(docs.first?.hasPrefix("man:") == true, "\(unit): the manual first")
            for page in docs where page.hasPrefix("man:") {
                // man:NAME(SECTION) -> docs/man/NAME.SECTION
                let spec = page.dropFirst(4)
                let name = spec.prefix { $0 != "(" }, section = spec.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }
                #expect(FileManager.default.fileExists(atPath: "\(manDir)/\(name).\(section)"), "\(unit): \(page) is not in docs/man")
            }
        }
    }

    @Test func serviceExposureIsAtMostOnePointFive() throws {
        let dir = try Self.stagedUnits()
        defer { TestSupport.remove(dir) }
        try Self.removingAnalyzeLeftover { () throws -> Void in
            let out = try TestSupport.run(
                ["/usr/bin/systemd-analyze", "security", "--offline=yes", "--threshold=15", "--no-pager",
                 dir + "/dosecabd.service"])
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
            let line = try #require(out.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
            let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
            #expect(score != nil && score! <= 1.5, "\(line)")
        }
    }

    @Test func serviceHasTheDirectivesTheDesignRequires() throws {
        let text = try Self.read("dosecabd.service")
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for required in [
            "Type=notify", "NotifyAccess=main", "Restart=on-failure",
            "ExecStart=/usr/bin/dosecabd --config /etc/dosecab/dosecab.toml",
            "ExecStopPost=/usr/bin/dosecabd --safe-state", "User=dosecabd", "Group=dosecabd",
            "SupplementaryGroups=dosecab-gpio systemd-journal", "StateDirectory=dosecab", "RuntimeDirectory=dosecab",
            "RuntimeDirectoryMode=0755", "DevicePolicy=closed", "DeviceAllow=char-gpiochip rw",
            "LogRateLimitIntervalSec=0", "LogRateLimitBurst=0", "Requires=dosecabd.socket",
            "SystemCallFilter=setpriority", "LimitNICE=-5", "UMask=0077", "StateDirectoryMode=0700",
            "RestartPreventExitStatus=78",
        ] {
            #expect(lines.contains(required), "missing \(required)")
        }
        // Issue 21.4: the manual first; time-sync.target ordered after, never pulled in; the
        // config folder's mode kept in one place (tmpfiles), not again in a ConfigurationDirectory=.
        #expect(lines.first { $0.hasPrefix("Documentation=") }?.hasPrefix("Documentation=man:") == true)
        #expect(!lines.contains { $0.hasPrefix("Wants=") && $0.contains("time-sync.target") })
        #expect(lines.contains { $0.hasPrefix("After=") && $0.contains("time-sync.target") })
        #expect(!lines.contains { $0.hasPrefix("ConfigurationDirectory") })
        // The user the journal readers trust is the user the unit runs as (issue 18.10).
        #expect(lines.contains("User=\(JournalReader.Trust.serviceUser)"))
        #expect(lines.contains { $0.hasPrefix("WatchdogSec=") })
        #expect(lines.contains { $0.hasPrefix("TimeoutAbortSec=") })
        // Every directive in [Service] has a comment saying why, directly above it or above
        // the group of lines it belongs to (at most 2 directives under one comment).
        var inService = false
        var sinceComment = 99
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { inService = line == "[Service]"; sinceComment = 99; continue }
            guard inService else { continue }
            if line.isEmpty { sinceComment = 99; continue }
            if line.hasPrefix("#") { sinceComment = 0; continue }
            sinceComment += 1
            if line.hasPrefix("ExecStart=") { continue }
            #expect(sinceComment <= 3, "no comment says why: \(line)")
        }
    }

    /// Both role groups reach the socket (issue 18: an admin-only technician was locked out by
    /// its group); the daemon decides who may do what. MaxConnectionsPerSource= does nothing on
    /// an Accept=no socket, so it is not there to suggest a limit that does not exist.
    @Test func socketIsTheControlSocketForBothRoleGroups() throws {
        let lines = Set(try Self.read("dosecabd.socket").split(separator: "\n").map(String.init))
        for required in ["ListenStream=/run/dosecab/control.sock", "SocketMode=0666", "SocketUser=dosecabd", "SocketGroup=dosecabd", "DirectoryMode=0755"] {
            #expect(lines.contains(required), "missing \(required)")
        }
        #expect(!lines.contains { $0.hasPrefix("MaxConnectionsPerSource=") })
        #expect(!lines.contains { $0.hasPrefix("Accept=yes") })
    }

    @Test func sysusersAndTmpfilesApplyToAnEmptyRoot() throws {
        let root = try TestSupport.tempDir()
        defer { TestSupport.remove(root) }
        for d in ["etc", "var/lib", "run"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        let sysusers = try TestSupport.run(["/bin/sh", "-c",
            "systemd-sysusers --root=\"$1\" - < \"$2\"", "sh", root, Self.systemdDir + "/dosecab.sysusers"])
        #expect(sysusers.status == 0, "\(sysusers.stderr)")
        let group = try String(contentsOfFile: root + "/etc/group", encoding: .utf8)
        let groups = Dictionary(uniqueKeysWithValues: group.split(separator: "\n").map { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            return (String(f[0]), f.count > 3 ? String(f[3]) : "")
        })
        // ARCHITECTURE §4a: the service runs as its own user and group `dosecabd`, which no
        // person is in; `dosecab` (read-only technicians) and `dosecab-admin` are the role
        // groups, empty until the administrator adds people (18.1).
        #expect(groups["dosecabd"] == "", "members of the service's private group: \(groups["dosecabd"] ?? "none")")
        #expect(groups["dosecab"] == "", "the read-only technicians' group: \(groups["dosecab"] ?? "none")")
        #expect(groups["dosecab-admin"] == "", "the admin group: \(groups["dosecab-admin"] ?? "none")")
        #expect(groups["dosecab-read"] == nil, "dosecab-read is the old name of the read group")
        #expect(groups["dosecab-gpio"] == "dosecabd", "the service user is the only member of dosecab-gpio")
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8).split(separator: "\n")
        let service = try #require(passwd.first { $0.hasPrefix("\(JournalReader.Trust.serviceUser):x:") }, "no service user")
        #expect(!passwd.contains { $0.hasPrefix("dosecab:") }, "no person-facing name is a user")
        let serviceIDs = service.split(separator: ":").dropFirst(2).prefix(2).compactMap { UInt32($0) }
        let groupLine = try #require(group.split(separator: "\n").first { $0.hasPrefix("dosecabd:") })
        #expect(serviceIDs.count == 2 && UInt32(groupLine.split(separator: ":")[2]) == serviceIDs[1],
                "the service user's primary group is dosecabd: \(service)")

        let tmpfiles = try TestSupport.run(["/bin/sh", "-c",
            "systemd-tmpfiles --root=\"$1\" --create - < \"$2\"", "sh", root, Self.systemdDir + "/dosecab.tmpfiles"])
        #expect(tmpfiles.status == 0, "\(tmpfiles.stderr)")
        // The store's folder is the service user's alone (issue 18.1); the config folder (nothing
        // secret) and the socket folder are open to look into: the daemon checks its callers.
        let uid = serviceIDs.first ?? 0, gid = serviceIDs.last ?? 0
        for (d, mode, owner) in [("/etc/dosecab", 0o755, (0, 0)), ("/var/lib/dosecab", 0o700, (uid, gid)), ("/run/dosecab", 0o755, (uid, gid))] {
            var st = stat()
            #expect(stat(root + d, &st) == 0 && Int(st.st_mode & 0o7777) == mode, "\(d)")
            #expect(st.st_uid == owner.0 && st.st_gid == owner.1, "\(d) is \(st.st_uid):\(st.st_gid)")
        }
        // An upgraded cabinet's store still belongs to the old service user `dosecab`: tmpfiles
        // gives the whole tree to dosecabd (the unit's StateDirectory= chown looks only at the
        // folder, which the `d` line has already given away) and leaves the files' modes alone.
        let db = root + "/var/lib/dosecab/dosecab.sqlite"
        #expect(FileManager.default.createFile(atPath: db, contents: Data("x".utf8), attributes: [.posixPermissions: 0o600]))
        #expect(chown(db, 4242, 4242) == 0 && chown(root + "/var/lib/dosecab", 4242, 4242) == 0)
        let again = try TestSupport.run(["/bin/sh", "-c",
            "systemd-tmpfiles --root=\"$1\" --create - < \"$2\"", "sh", root, Self.systemdDir + "/dosecab.tmpfiles"])
        #expect(again.status == 0, "\(again.stderr)")
        for path in [root + "/var/lib/dosecab", db] {
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid, "\(path) is \(st.st_uid):\(st.st_gid)")
        }
        var st = stat()
        #expect(stat(db, &st) == 0 && st.st_mode & 0o7777 == 0o600, "the store's mode is kept")
    }

    @Test func catalogCompilesAndListsEveryMessageID() throws {
        let root = try TestSupport.tempDir()
        defer { TestSupport.remove(root) }
        let catalogDir = root + "/usr/lib/systemd/catalog"
        try FileManager.default.createDirectory(atPath: catalogDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/lib/systemd/catalog", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.systemdDir + "/dosecab.catalog", toPath: catalogDir + "/dosecab.catalog")
        let update = try TestSupport.run(["/usr/bin/journalctl", "--root=\(root)", "--update-catalog"])
        #expect(update.status == 0 && update.stderr.isEmpty, "\(update.stderr)")
        let list = try TestSupport.run(["/usr/bin/journalctl", "--root=\(root)", "--list-catalog", "--no-pager"])
        let listed = Set(list.stdout.split(separator: "\n").map { String($0.prefix(32)) })
        for (name, id) in JournalMessageID.all {
            #expect(listed.contains(id), "catalog lacks \(name) \(id)")
        }
        // Each entry says what to do, not only what happened.
        let text = try Self.read("dosecab.catalog")
        for block in text.components(separatedBy: "\n-- ").dropFirst() {
            #expect(block.contains("Subject: ") && block.contains("Defined-By: dosecab"))
            let body = block.components(separatedBy: "\n\n").dropFirst().joined()
            #expect(body.count > 80, "\(block.prefix(40))")
        }
    }

    @Test func udevRuleGivesGpioChipsToTheGpioGroupOnly() throws {
        let rules = try Self.read("60-dosecab-gpio.rules").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(rules == [#"SUBSYSTEM=="gpio", KERNEL=="gpiochip[0-9]*", GROUP="dosecab-gpio", MODE="0660""#])
    }
}
