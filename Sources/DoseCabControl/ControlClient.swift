import DoseCabPOSIX
import Foundation
import Glibc
import SystemPackage

/// Why a control call did not get a reply it could return. ``exitCode`` is what
/// `dosecabctl` exits with.
public enum ControlClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing is listening: no socket file (ENOENT), no daemon behind it (ECONNREFUSED),
    /// or its backlog is full (EAGAIN). Exit 69.
    case unreachable(socketPath: String, errno: Errno)
    /// The socket refused the connection (EACCES: not in the socket's group), or the daemon
    /// refused the method for this caller. Exit 77.
    case permissionDenied(String)
    /// The conversation broke the protocol: an invalid method name, a malformed or
    /// oversized reply, or the connection closed without a reply. Exit 1.
    case protocolError(String)
    /// No reply within the client's timeout. Exit 1.
    case timedOut(socketPath: String)
    /// Any other system call failure. Exit 1.
    case system(operation: String, errno: Errno)

    /// The exit code `dosecabctl` uses: 69 unreachable, 77 permission denied, 1 otherwise.
    public var exitCode: Int32 {
        switch self {
        case .unreachable: return 69
        case .permissionDenied: return 77
        case .protocolError, .timedOut, .system: return 1
        }
    }

    /// One line for the technician.
    public var description: String {
        switch self {
        case .unreachable(let path, let errno):
            return "dosecabd is not reachable at \(path): \(errno) (is the daemon running? --socket or DOSECAB_SOCKET choose another)"
        case .permissionDenied(let message):
            return message
        case .protocolError(let message):
            return "control protocol error: \(message)"
        case .timedOut(let path):
            return "no reply from dosecabd at \(path) in time"
        case .system(let operation, let errno):
            return "control socket \(operation): \(errno)"
        }
    }

    /// Classifies a failed `connect(2)`.
    static func connectFailed(_ errno: Errno, socketPath: String) -> ControlClientError {
        switch errno {
        case .noSuchFileOrDirectory, .connectionRefused, .notDirectory, .resourceTemporarilyUnavailable:
            return .unreachable(socketPath: socketPath, errno: errno)
        case .permissionDenied, .notPermitted:
            return .permissionDenied("permission denied: cannot connect to \(socketPath) (members of \(AccessPolicy.defaultReadGroup) or \(AccessPolicy.defaultAdminGroup) may)")
        default:
            return .system(operation: "connect to \(socketPath)", errno: errno)
        }
    }
}

/// The CLI's end of the control socket: one connection per call, blocking.
public struct ControlClient: Sendable {
    /// Where `dosecabd` listens unless told otherwise.
    public static let standardSocketPath = "/run/dosecab/control.sock"

    /// The socket path from `DOSECAB_SOCKET` when set and not empty, else
    /// ``standardSocketPath``.
    public static func defaultSocketPath(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let path = environment["DOSECAB_SOCKET"], !path.isEmpty { return path }
        return standardSocketPath
    }

    /// The socket this client calls.
    public var socketPath: String
    /// How long to wait for the daemon to take a request and for its reply. Default 30 s.
    public var timeout: Duration
    /// Largest reply accepted, in bytes. Default 16 MiB (daily reports and logs are long).
    public var maxReplySize: Int

    /// A client of the daemon at `socketPath`.
    public init(
        socketPath: String = ControlClient.defaultSocketPath(),
        timeout: Duration = .seconds(30),
        maxReplySize: Int = 16 << 20
    ) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.maxReplySize = maxReplySize
    }

    /// Sends one request and waits for its reply.
    ///
    /// A reply with an `error` is returned, not thrown, except the daemon's permission
    /// refusal, which throws ``ControlClientError/permissionDenied(_:)`` so the CLI exits 77.
    public func call(_ method: String, _ parameters: [String: JSONValue] = [:]) throws(ControlClientError) -> ControlReply {
        let request: [UInt8]
        do {
            try MethodName.validate(method)
            request = try ControlRequest(method: method, parameters: parameters).framed()
        } catch {
            throw .protocolError(error.description)
        }
        guard socketPath.utf8.count < Sys.sunPathCapacity, !socketPath.isEmpty else {
            throw .unreachable(socketPath: socketPath, errno: .fileNameTooLong)
        }

        let fd: Int32
        do { fd = try Sys.unixStreamSocket() } catch { throw .system(operation: "socket", errno: error) }
        defer { Sys.close(fd) }
        do {
            try Sys.setTimeout(fd, option: SO_RCVTIMEO, timeout)
            try Sys.setTimeout(fd, option: SO_SNDTIMEO, timeout)
        } catch {
            throw .system(operation: "setsockopt", errno: error)
        }
        do { try Sys.connect(fd, path: socketPath) } catch {
            throw .connectFailed(error, socketPath: socketPath)
        }

        var sendError: Errno?
        do { try Sys.sendAll(fd, request) } catch {
            // The daemon may have refused us (too many connections) and closed before
            // reading; its reply can still be waiting, so read before giving up.
            sendError = error
        }

        let reply = try readReply(fd, sendError: sendError)
        if reply.errorCode == .permissionDenied {
            throw .permissionDenied(reply.error ?? "permission denied")
        }
        return reply
    }

    private func readReply(_ fd: Int32, sendError: Errno?) throws(ControlClientError) -> ControlReply {
        var reader = FrameReader(maxFrameSize: maxReplySize)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                if let frame = try reader.nextFrame() {
                    do { return try ControlReply(frame: frame) } catch { throw ControlClientError.protocolError(error.description) }
                }
            } catch let error as ControlClientError {
                throw error
            } catch {
                throw .protocolError("reply larger than \(maxReplySize) bytes")
            }
            let count: Int
            do {
                count = try Sys.recv(fd, into: &buffer)
            } catch .resourceTemporarilyUnavailable {
                throw .timedOut(socketPath: socketPath)
            } catch .connectionReset where !reader.hasPartialFrame {
                throw .protocolError("dosecabd closed the connection without a reply")
            } catch {
                throw .system(operation: "read reply", errno: error)
            }
            if count == 0 {
                if let sendError, !reader.hasPartialFrame {
                    throw .system(operation: "send request", errno: sendError)
                }
                throw .protocolError(reader.hasPartialFrame
                    ? "dosecabd closed the connection in the middle of a reply"
                    : "dosecabd closed the connection without a reply")
            }
            reader.append(buffer[0..<count])
        }
    }
}
