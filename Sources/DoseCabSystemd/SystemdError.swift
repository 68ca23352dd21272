import SystemPackage

/// A libsystemd call failed: which C function, and the errno it reported
/// (libsystemd returns `-errno`; this holds the positive value).
public struct SystemdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function that failed, e.g. `sd_journal_open`.
    public let function: String
    /// The positive errno value.
    public let errno: Int32

    /// Creates an error for `function` from its negative return value or a positive errno.
    public init(function: String, errno: Int32) {
        self.function = function
        self.errno = errno < 0 ? -errno : errno
    }

    /// `sd_journal_open: Permission denied (errno 13)`.
    public var description: String {
        "\(function): \(Errno(rawValue: errno).description) (errno \(errno))"
    }
}
