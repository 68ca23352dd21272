import Foundation
import Glibc
import Logging
import SystemPackage
import Testing

@testable import DoseCabControl
import DoseCabPOSIX

/// Runs blocking socket code on its own thread, never on the cooperative pool: the server's
/// handler Tasks need that pool, and it is only as wide as the machine's two cores.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// A fresh directory under /tmp (short, for sun_path), traversable by other users so the
/// unprivileged-client tests can reach a socket in it.
final class TempDirectory: Sendable {
    let path: String

    init() {
        var template = Array("/tmp/dcc-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
        chmod(path, 0o755)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A server on a socket in a temp directory, stopped and removed when done. `capUID` fakes
/// the uid the per-uid cap counts each connection under (every test client runs as one uid).
func withServer<T>(
    methods: [String: Access] = ["status": .read, "echo": .read, "lockdown": .admin],
    policy: AccessPolicy = AccessPolicy(resolveGroup: { _ in nil }),
    limits: ControlServer.Limits = ControlServer.Limits(),
    group: gid_t? = nil,
    capUID: ControlServer.CapUIDForTesting? = nil,
    logger: Logger? = nil,
    handler: @escaping ControlServer.Handler = echoHandler,
    _ body: (ControlServer, String) async throws -> T
) async throws -> T {
    let directory = TempDirectory()
    let path = directory.file("control.sock")
    let server = try ControlServer(
        listener: .path(path, group: group), methods: methods, policy: policy, limits: limits,
        logger: logger ?? testLogger, capUIDForTesting: capUID, handler: handler)
    try server.start()
    do {
        let result = try await body(server, path)
        server.stop()
        return result
    } catch {
        server.stop()
        throw error
    }
}

/// For the per-uid cap: the connection accepted `n`-th (from 0) counts as `uids[n]`, any
/// other as the test's own uid. Tests connect one after another, so accept order is known.
func capUIDs(_ uids: [Int: uid_t]) -> ControlServer.CapUIDForTesting {
    { index, kernelUID in uids[index] ?? kernelUID }
}

/// Every connection a uid of its own, so the per-uid cap never applies (the S1 tests).
let eachConnectionItsOwnUID: ControlServer.CapUIDForTesting = { index, _ in uid_t(20_000 + index) }

let testLogger: Logger = {
    var logger = Logger(label: "dosecab.control.test")
    logger.logLevel = .critical
    return logger
}()

/// Echoes the method and parameters back, and who called.
let echoHandler: ControlServer.Handler = { request, caller in
    .ok([
        "method": .string(request.method),
        "echo": .object(request.parameters),
        "uid": .number(Double(caller.uid)),
        "pid": .number(Double(caller.pid)),
    ])
}

/// Counts handler invocations, to prove refused requests never reach it.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A raw client connection for sending arbitrary bytes and reading every reply.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(_ path: String, timeout: Duration = .seconds(10)) throws {
        fd = try Sys.unixStreamSocket()
        do {
            try Sys.setTimeout(fd, option: SO_RCVTIMEO, timeout)
            try Sys.setTimeout(fd, option: SO_SNDTIMEO, timeout)
            try Sys.connect(fd, path: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    func write(_ bytes: [UInt8]) throws {
        try Sys.sendAll(fd, bytes)
    }

    func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    private var reader = FrameReader(maxFrameSize: 1 << 20)

    /// The next reply, or `nil` at end of stream (a reset after the server closed counts
    /// as end of stream too).
    func readReply() throws -> ControlReply? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let frame = try reader.nextFrame() { return try ControlReply(frame: frame) }
            let count = try receive(into: &buffer)
            if count == 0 { return nil }
            reader.append(buffer[0..<count])
        }
    }

    private func receive(into buffer: inout [UInt8]) throws(Errno) -> Int {
        do {
            return try Sys.recv(fd, into: &buffer)
        } catch {
            if error == .connectionReset { return 0 }
            throw error
        }
    }

    /// Every reply until the server closes the connection.
    func readAllReplies() throws -> [ControlReply] {
        var replies: [ControlReply] = []
        while let reply = try readReply() { replies.append(reply) }
        return replies
    }
}

func frame(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

/// Polls `condition` until true or `timeout`; for state that settles asynchronously.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
