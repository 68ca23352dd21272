import Glibc

/// The access level a method needs.
public enum Access: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Looking: members of the read group or the admin group, or root.
    case read
    /// Changing anything: members of the admin group, or root.
    case admin

    /// `read` or `admin`, as in the "permission denied: METHOD needs ACCESS" message.
    public var description: String { rawValue }
}

/// Who is on the other end of a control connection, as the kernel reported it when the
/// client connected (SO_PEERCRED and SO_PEERGROUPS). Never taken from the request.
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    /// The client's effective uid.
    public var uid: uid_t
    /// The client's effective primary gid.
    public var gid: gid_t
    /// The client's pid (in the daemon's pid namespace).
    public var pid: pid_t
    /// Every gid the client had: the primary gid first, then the supplementary groups.
    public var groups: [gid_t]
    /// The names of the role groups (``AccessPolicy/readGroup``, ``AccessPolicy/adminGroup``)
    /// the client belongs to, resolved when the connection was accepted.
    public var groupNames: Set<String>
    /// The most the caller may do (``AccessPolicy/allows(_:_:)``), resolved with the groups:
    /// methods that answer both groups give the admin group more (card numbers in
    /// `people.list`, issue 18.2). `nil`: neither.
    public var access: Access?

    /// A caller with the given credentials. `access` defaults to `admin` for root, else none
    /// (``AccessPolicy/caller(uid:gid:pid:groups:)`` resolves it from the groups).
    public init(uid: uid_t, gid: gid_t, pid: pid_t, groups: [gid_t], groupNames: Set<String>, access: Access? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.groups = groups
        self.groupNames = groupNames
        self.access = access ?? (uid == 0 ? .admin : nil)
    }

    /// `uid=1000 pid=4242 groups=dosecab`: what the journal records for an admin call.
    /// `groups=` lists only role groups, sorted; it is empty for a caller in none.
    public var description: String {
        "uid=\(uid) pid=\(pid) groups=\(groupNames.sorted().joined(separator: ","))"
    }
}

/// Who may call what: root, the read group and the admin group.
///
/// The installed role groups (systemd/dosecab.sysusers, ARCHITECTURE §4a "Insiders") are
/// ``defaultReadGroup`` and ``defaultAdminGroup``; the service's own group is neither and has
/// no members.
///
/// The decision itself (``allows(_:_:)``) is pure: it looks only at the caller's uid and
/// resolved role groups. Group names are resolved to gids by ``resolveGroup``, which is
/// `getgrnam_r` in production and injectable in tests.
public struct AccessPolicy: Sendable {
    /// The read-only technicians' group: `dosecab`.
    public static let defaultReadGroup = "dosecab"
    /// The group whose members may also call admin methods: `dosecab-admin`.
    public static let defaultAdminGroup = "dosecab-admin"

    /// Members may call `read` methods. Default ``defaultReadGroup``.
    public var readGroup: String
    /// Members may call `read` and `admin` methods. Default ``defaultAdminGroup``.
    public var adminGroup: String
    /// Group name → gid, `nil` when no such group exists (then nobody is in it).
    public var resolveGroup: @Sendable (String) -> gid_t?

    /// A policy with the given group names, resolved with `getgrnam_r` unless told otherwise.
    public init(
        readGroup: String = AccessPolicy.defaultReadGroup,
        adminGroup: String = AccessPolicy.defaultAdminGroup,
        resolveGroup: @escaping @Sendable (String) -> gid_t? = GroupDirectory.gid(named:)
    ) {
        self.readGroup = readGroup
        self.adminGroup = adminGroup
        self.resolveGroup = resolveGroup
    }

    /// Whether `caller` may call a method that needs `access`.
    public func allows(_ caller: Caller, _ access: Access) -> Bool {
        if caller.uid == 0 { return true }
        switch access {
        case .read:
            return caller.groupNames.contains(readGroup) || caller.groupNames.contains(adminGroup)
        case .admin:
            return caller.groupNames.contains(adminGroup)
        }
    }

    /// Builds a ``Caller`` from kernel credentials, naming the role groups among `groups`.
    public func caller(uid: uid_t, gid: gid_t, pid: pid_t, groups: [gid_t]) -> Caller {
        var all = [gid]
        for group in groups where !all.contains(group) { all.append(group) }
        var names = Set<String>()
        for name in [readGroup, adminGroup] {
            if let roleGID = resolveGroup(name), all.contains(roleGID) { names.insert(name) }
        }
        var caller = Caller(uid: uid, gid: gid, pid: pid, groups: all, groupNames: names)
        caller.access = allows(caller, .admin) ? .admin : allows(caller, .read) ? .read : nil
        return caller
    }
}

/// The system group database.
public enum GroupDirectory {
    /// The gid of group `name` from `getgrnam_r`, `nil` if there is none or it cannot be read.
    public static func gid(named name: String) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>? = nil
        var size = 1024
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let rc = buffer.withUnsafeMutableBufferPointer { buffer in
                getgrnam_r(name, &entry, buffer.baseAddress, buffer.count, &result)
            }
            if rc == ERANGE { size *= 2; continue }
            guard rc == 0, result != nil else { return nil }
            return entry.gr_gid
        }
        return nil
    }
}
