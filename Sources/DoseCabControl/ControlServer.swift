import Dispatch
import DoseCabPOSIX
import Glibc
import Logging
import Synchronization
import SystemPackage

/// The daemon's end of the control socket.
///
/// A dedicated thread accepts connections; each connection gets its own thread doing
/// blocking POSIX I/O, so a slow or hostile client can only ever hold its own thread. A
/// request reaches the handler only after it was framed within the size limit, parsed,
/// validated, found in the method table and authorised for the caller. The handler runs
/// as a `Task` while the connection's thread waits for it, so the cooperative pool is
/// never blocked.
///
/// Every connection is bounded: at most ``Limits/maxConnections`` at once, ``Limits/maxRequestSize``
/// bytes per request (a larger one is refused and the connection closed),
/// ``Limits/readTimeout`` to deliver each complete request (a slow-loris client is closed),
/// and a request rate (a flood is refused and closed). When every slot is taken and a new
/// client arrives, the connection that has waited longest for a complete request (never one
/// whose request is being answered) is told `evicted` and closed to make room, so clients that
/// connect and stall cannot lock out one that sends its request at once (soak finding S1).
/// Only when every connection is in the middle of a request is the newcomer refused.
///
/// No uid may hold more than ``Limits/maxConnectionsPerUID`` of those connections: one more
/// from the same uid is told `too-many-connections-for-uid` and closed without evicting
/// anyone, so one local user cannot take every slot, neither with stalled connections nor
/// with requests that are being answered, and cannot push other users out.
public final class ControlServer: Sendable {
    /// Answers one request. `caller` is who the kernel says connected; journal it for
    /// admin methods. Must return: ``stop()`` waits for handlers that are running.
    public typealias Handler = @Sendable (ControlRequest, Caller) async -> ControlReply

    /// Where the server listens.
    public enum Listener: Sendable {
        /// Create a Unix stream socket at this path with mode 0660, owned by `group` when
        /// given. A stale socket at the path is removed; any other kind of file is an error.
        case path(String, group: gid_t? = nil)
        /// Adopt an already listening Unix stream socket (systemd socket activation). It is
        /// closed by ``stop()``; the path, if any, is left to whoever made it.
        case adopt(fd: Int32)
    }

    /// The bounds every connection lives within.
    public struct Limits: Sendable {
        /// Connections served at once. One more evicts the connection waiting longest for a
        /// request, or is refused when all are busy answering one. Default 16.
        public var maxConnections: Int
        /// Connections one uid (as SO_PEERCRED reports it) may hold at once, 1 to
        /// ``maxConnections``. One more from that uid is refused and evicts nobody. Root is
        /// not exempt. Default 4, or ``maxConnections`` when that is smaller.
        public var maxConnectionsPerUID: Int
        /// Largest request in bytes, excluding the NUL. Default 64 KiB.
        public var maxRequestSize: Int
        /// Time allowed for each complete request to arrive, counted from the accept or
        /// from the previous request, so trickling bytes cannot keep a connection. Default 10 s.
        public var readTimeout: Duration
        /// Time allowed for a reply to be written to a client that does not read. Default 5 s.
        public var writeTimeout: Duration
        /// Requests a connection may send at once before the rate applies. Default 32.
        public var requestBurst: Int
        /// Sustained requests per second per connection. Default 16.
        public var requestsPerSecond: Double

        /// Limits with the given values; every default suits the CLI's one call per connection.
        public init(
            maxConnections: Int = 16,
            maxConnectionsPerUID: Int? = nil,
            maxRequestSize: Int = FrameReader.defaultMaxFrameSize,
            readTimeout: Duration = .seconds(10),
            writeTimeout: Duration = .seconds(5),
            requestBurst: Int = 32,
            requestsPerSecond: Double = 16
        ) {
            self.maxConnections = maxConnections
            // The default follows a smaller global limit, so a caller that lowers only
            // maxConnections still gets valid limits; a value given explicitly is never changed.
            self.maxConnectionsPerUID = maxConnectionsPerUID ?? min(4, maxConnections)
            self.maxRequestSize = maxRequestSize
            self.readTimeout = readTimeout
            self.writeTimeout = writeTimeout
            self.requestBurst = requestBurst
            self.requestsPerSecond = requestsPerSecond
        }
    }

    private let core: ServerCore

    /// Opens the socket (or adopts it) without accepting yet; call ``start()``.
    ///
    /// - Parameters:
    ///   - listener: a path to create, or a listening fd to adopt.
    ///   - methods: every method the daemon serves, with the access it needs. A method not
    ///     in the table is refused as unknown before the handler sees it.
    ///   - policy: which groups grant which access.
    ///   - limits: connection, size, time and rate bounds.
    ///   - logger: refusals are logged here, with the caller.
    ///   - handler: answers requests that passed every check.
    public convenience init(
        listener: Listener,
        methods: [String: Access],
        policy: AccessPolicy = AccessPolicy(),
        limits: Limits = Limits(),
        logger: Logger,
        handler: @escaping Handler
    ) throws(ControlServerError) {
        try self.init(listener: listener, methods: methods, policy: policy, limits: limits,
                      logger: logger, capUIDForTesting: nil, handler: handler)
    }

    /// TESTS ONLY: the public initialiser passes `nil`. Tests run every client as one uid, so
    /// `capUIDForTesting` says which uid the per-uid cap counts a connection under, given its
    /// accept order (from 0) and the uid the kernel reported. It changes nothing else: the
    /// `Caller` a handler sees and every access check still use the kernel's credentials.
    init(
        listener: Listener,
        methods: [String: Access],
        policy: AccessPolicy,
        limits: Limits,
        logger: Logger,
        capUIDForTesting: CapUIDForTesting?,
        handler: @escaping Handler
    ) throws(ControlServerError) {
        precondition(limits.maxConnections > 0 && limits.maxRequestSize > 0, "limits must be positive")
        precondition(limits.maxConnectionsPerUID >= 1 && limits.maxConnectionsPerUID <= limits.maxConnections,
                     "maxConnectionsPerUID must be between 1 and maxConnections")
        for name in methods.keys {
            precondition(MethodName.isValid(name), "invalid method name in table: \(name)")
        }
        let socket = try ListeningSocket.open(listener)
        do {
            core = try ServerCore(socket: socket, methods: methods, policy: policy, limits: limits,
                                  logger: logger, capUIDForTesting: capUIDForTesting, handler: handler)
        } catch {
            socket.close()
            throw .system(operation: "pipe", path: socket.path, errno: error)
        }
    }

    deinit {
        core.stop()
    }

    /// The socket path, when the server created it.
    public var socketPath: String? { core.socket.path }

    /// Connections being served right now.
    public var connectionCount: Int { core.connectionCount }

    /// Newcomers refused since start because their uid already held
    /// ``Limits/maxConnectionsPerUID`` connections.
    public var refusedOverUIDCap: Int { core.refusedOverUIDCap }

    /// TESTS ONLY: see the internal initialiser.
    typealias CapUIDForTesting = @Sendable (_ acceptIndex: Int, _ kernelUID: uid_t) -> uid_t

    /// Starts accepting. Calling it again does nothing.
    public func start() throws(ControlServerError) {
        try core.start()
    }

    /// Stops accepting, closes every connection, waits for running handlers and joins every
    /// thread, then closes the socket and removes the socket file it created. Idempotent.
    /// Do not call it from inside a handler: it waits for that handler.
    public func stop() {
        core.stop()
    }
}

/// Why the control socket could not be set up.
public enum ControlServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path does not fit in `sun_path`.
    case pathTooLong(String, limit: Int)
    /// Something other than a socket is at the path; it is left alone.
    case notASocket(String)
    /// The adopted descriptor is not a listening Unix stream socket.
    case notAListeningUnixSocket(fd: Int32)
    /// A system call failed.
    case system(operation: String, path: String?, errno: Errno)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .pathTooLong(let path, let limit):
            return "control socket path \(path) is longer than \(limit) bytes"
        case .notASocket(let path):
            return "refusing to replace \(path): it exists and is not a socket"
        case .notAListeningUnixSocket(let fd):
            return "file descriptor \(fd) is not a listening Unix stream socket"
        case .system(let operation, let path, let errno):
            return "control socket \(path ?? "(adopted)"): \(operation): \(errno)"
        }
    }
}

/// The listening descriptor and, when we created it, the file to remove on stop.
struct ListeningSocket: Sendable {
    let fd: Int32
    let path: String?
    /// Device and inode of the socket file we bound, so stop removes only our own file.
    let identity: FileIdentity?

    struct FileIdentity: Sendable, Equatable {
        let device: UInt64
        let inode: UInt64
    }

    static func open(_ listener: ControlServer.Listener) throws(ControlServerError) -> ListeningSocket {
        switch listener {
        case .path(let path, let group): return try create(path: path, group: group)
        case .adopt(let fd): return try adopt(fd: fd)
        }
    }

    private static func create(path: String, group: gid_t?) throws(ControlServerError) -> ListeningSocket {
        guard path.utf8.count < Sys.sunPathCapacity, !path.isEmpty else {
            throw .pathTooLong(path, limit: Sys.sunPathCapacity - 1)
        }
        do {
            switch try Sys.fileType(atPath: path) {
            case nil: break
            case S_IFSOCK?: try removeStaleSocket(path)
            case _?: throw ControlServerError.notASocket(path)
            }
        } catch let error as ControlServerError {
            throw error
        } catch {
            throw .system(operation: "remove stale socket", path: path, errno: error as? Errno ?? .ioError)
        }
        let fd: Int32
        do { fd = try Sys.unixStreamSocket() } catch {
            throw .system(operation: "socket", path: path, errno: error)
        }
        var step = "bind"
        do {
            try Sys.bind(fd, path: path)
            // Before listen(), nobody can connect, so the permissions are final before the
            // first client could use the socket.
            step = "chmod 0660"
            try Sys.chmod(path, 0o660)
            if let group {
                step = "chown to group \(group)"
                try Sys.chown(path, uid_t.max, group)
            }
            step = "listen"
            try Sys.listen(fd, backlog: 64)
            step = "set non-blocking"
            try Sys.setNonBlockingCloexec(fd)
        } catch {
            Sys.close(fd)
            if step != "bind" { try? Sys.unlink(path) }
            throw .system(operation: step, path: path, errno: error)
        }
        let identity = Sys.identity(atPath: path).map {
            FileIdentity(device: UInt64($0.0), inode: UInt64($0.1))
        }
        return ListeningSocket(fd: fd, path: path, identity: identity)
    }

    /// Removes a socket file a previous run left behind; one already gone is fine. (A function
    /// of its own: the same `catch .noSuchFileOrDirectory` nested in `create`'s untyped `do`
    /// sent Swift 6.3.1's compiler into an endless loop.)
    private static func removeStaleSocket(_ path: String) throws(Errno) {
        do { try Sys.unlink(path) } catch {
            if error != .noSuchFileOrDirectory { throw error }
        }
    }

    private static func adopt(fd: Int32) throws(ControlServerError) -> ListeningSocket {
        do {
            guard try Sys.intOption(fd, SO_DOMAIN) == AF_UNIX,
                  try Sys.intOption(fd, SO_TYPE) == Sys.streamType,
                  try Sys.intOption(fd, SO_ACCEPTCONN) == 1
            else { throw ControlServerError.notAListeningUnixSocket(fd: fd) }
            // Non-blocking so that a connection that vanishes between poll and accept
            // cannot stall the accept thread.
            try Sys.setNonBlockingCloexec(fd)
        } catch let error as ControlServerError {
            throw error
        } catch {
            throw .notAListeningUnixSocket(fd: fd)
        }
        return ListeningSocket(fd: fd, path: nil, identity: nil)
    }

    func close() {
        Sys.close(fd)
        if let path, let identity, let now = Sys.identity(atPath: path),
           FileIdentity(device: UInt64(now.0), inode: UInt64(now.1)) == identity {
            try? Sys.unlink(path)
        }
    }
}

/// Everything the threads share. The lock guards `state`; the rest is immutable.
final class ServerCore: Sendable {
    let socket: ListeningSocket
    let methods: [String: Access]
    let policy: AccessPolicy
    let limits: ControlServer.Limits
    let logger: Logger
    let handler: ControlServer.Handler
    let capUIDForTesting: ControlServer.CapUIDForTesting?
    /// Written once by stop(); never read, so it stays readable and wakes every poll.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// CLOCK_BOOTTIME at creation: `now()` counts from here.
    private let origin = POSIXClocks.bootTimeNanos()

    private struct State: Sendable {
        var phase: Phase = .idle
        var acceptThread: POSIXThread?
        var nextID = 0
        /// Open connections. A connection removes itself before closing its fd, so stop()
        /// and eviction can shut down any fd in here without hitting a reused number.
        var connections: [Int: Connection] = [:]
        /// Threads not yet joined; `finished` are those whose body has returned.
        var threads: [Int: POSIXThread] = [:]
        var finished: Set<Int> = []
        /// Set while connections are being turned away, so a connection storm logs once.
        var refusing = false
        /// Evictions since the last one logged (a storm logs once a second).
        var evictedUnlogged = 0
        var lastEvictionLog: Duration?
        /// Newcomers refused over their uid's cap: in all, and since the last one logged (a
        /// user hammering the socket logs once a second).
        var refusedOverUIDCap = 0
        var uidRefusalsUnlogged = 0
        var lastUIDRefusalLog: Duration?
        /// Callers in neither role group turned away since the last one logged: any local user
        /// can connect, and one log line per attempt would let them flood the journal.
        var strangersUnlogged = 0
        var lastStrangerLog: Duration?
    }

    /// One open connection, as the accept thread sees it when it needs a slot.
    private struct Connection: Sendable {
        let fd: Int32
        /// Whose slot this is, for the per-uid cap (SO_PEERCRED, read at accept).
        let uid: uid_t
        /// Since the accept or the last reply: how long it has waited for a complete request.
        var waitingSince: Duration
        /// A request of it is being answered: never evicted then.
        var busy = false
        /// Told to make room; its read side is shut, it answers what it already has and ends.
        var evicted = false
    }

    private enum Phase { case idle, running, stopped }

    private let state = Mutex(State())

    init(socket: ListeningSocket, methods: [String: Access], policy: AccessPolicy,
         limits: ControlServer.Limits, logger: Logger,
         capUIDForTesting: ControlServer.CapUIDForTesting?,
         handler: @escaping ControlServer.Handler) throws(Errno) {
        self.socket = socket
        self.methods = methods
        self.policy = policy
        self.limits = limits
        self.logger = logger
        self.handler = handler
        self.capUIDForTesting = capUIDForTesting
        (wakeRead, wakeWrite) = try Sys.pipe()
    }

    private func locked<T: Sendable>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    var connectionCount: Int { locked { $0.connections.count } }

    var refusedOverUIDCap: Int { locked { $0.refusedOverUIDCap } }

    /// Connections that still hold a slot (not being evicted).
    private static func occupied(_ state: State) -> Int {
        state.connections.values.count(where: { !$0.evicted })
    }

    /// Slots held by `uid` (connections being evicted are on their way out and hold none).
    private static func occupied(by uid: uid_t, _ state: State) -> Int {
        state.connections.values.count(where: { !$0.evicted && $0.uid == uid })
    }

    func start() throws(ControlServerError) {
        let started: Result<Bool, Errno> = state.withLock { state in
            guard state.phase == .idle else { return .success(false) }
            do throws(Errno) {
                state.acceptThread = try POSIXThread(name: "dosecab-accept") { [self] in acceptLoop() }
            } catch {
                return .failure(error)
            }
            state.phase = .running
            return .success(true)
        }
        switch started {
        case .success(false): return
        case .success(true):
            logger.info("control socket listening", metadata: ["socket": "\(socket.path ?? "(adopted)")"])
        case .failure(let error):
            throw .system(operation: "start accept thread", path: socket.path, errno: error)
        }
    }

    func stop() {
        let (accept, wasOpen) = locked { state -> (POSIXThread?, Bool) in
            let wasOpen = state.phase != .stopped
            state.phase = .stopped
            defer { state.acceptThread = nil }
            return (state.acceptThread, wasOpen)
        }
        guard wasOpen else { return }
        _ = try? Sys.write(wakeWrite, [1])
        accept?.join()
        // No thread is created after the accept thread ended. Shut down every open
        // connection so a thread blocked in send() wakes too, then join them all.
        let threads = locked { state -> [POSIXThread] in
            for connection in state.connections.values { Sys.shutdown(connection.fd, Int32(SHUT_RDWR)) }
            defer { state.threads = [:]; state.finished = [] }
            return Array(state.threads.values)
        }
        for thread in threads { thread.join() }
        socket.close()
        Sys.close(wakeRead)
        Sys.close(wakeWrite)
    }

    // MARK: Accepting

    private func acceptLoop() {
        // Only for the test hook: the accept order of each connection.
        var acceptIndex = 0
        while true {
            let ready: [Bool]
            do { ready = try Sys.pollReadable([socket.fd, wakeRead], timeout: nil) } catch {
                logger.error("control socket poll failed: \(error)")
                return
            }
            if ready[1] { return }
            guard ready[0] else { continue }
            let fd: Int32
            do { fd = try Sys.accept(socket.fd) } catch {
                switch error {
                case .resourceTemporarilyUnavailable, .connectionAbort, .protocolError:
                    continue
                default:
                    // EMFILE and friends: the pending connection stays queued, so back off
                    // instead of spinning on a socket that keeps polling readable.
                    logger.warning("control socket accept failed: \(error)")
                    if (try? Sys.pollReadable([wakeRead], timeout: .milliseconds(200)))?.first == true { return }
                    continue
                }
            }
            reapFinishedThreads()
            admit(fd, acceptIndex: acceptIndex)
            acceptIndex += 1
        }
    }

    private func reapFinishedThreads() {
        let done = locked { state -> [POSIXThread] in
            let done = state.finished.compactMap { state.threads.removeValue(forKey: $0) }
            state.finished = []
            return done
        }
        for thread in done { thread.join() }
    }

    private func admit(_ fd: Int32, acceptIndex: Int) {
        // The per-uid cap needs the uid before a slot is given, so the credentials are read
        // here, on the accept thread (one getsockopt on a connected socket: it does not block),
        // and handed to the connection's thread: they are still read once per connection.
        let credentials: Sys.PeerCredentials
        do { credentials = try Sys.peerCredentials(fd) } catch {
            logger.warning("control connection dropped: cannot read peer credentials: \(error)")
            Sys.close(fd)
            return
        }
        let uid = capUIDForTesting?(acceptIndex, credentials.uid) ?? credentials.uid
        let admission = state.withLock { decide(&$0, fd: fd, uid: uid, credentials: credentials) }
        switch admission {
        case .admitted:
            break
        case .stopped:
            Sys.close(fd)
        case .overUIDCap(let held, let logCount):
            if let logCount {
                logger.warning("control connection refused: uid \(uid) already holds \(held) connections (limit \(limits.maxConnectionsPerUID) per uid)",
                               metadata: ["uid": "\(uid)", "pid": "\(credentials.pid)", "refused": "\(logCount)"])
            }
            refuse(fd, .failure(.tooManyConnectionsForUID,
                                "uid \(uid) already has \(held) control connections open (limit \(limits.maxConnectionsPerUID))"))
        case .full(let firstRefusal):
            if firstRefusal {
                logger.warning("control connections refused: \(limits.maxConnections) already open, each answering a request")
            }
            refuse(fd, .failure(.tooManyConnections, "too many connections (limit \(limits.maxConnections)); try again"))
        case .threadFailed(let error):
            logger.error("control connection dropped: cannot start its thread: \(error)")
            Sys.close(fd)
        }
    }

    /// What `admit` does with a newcomer: decided under the lock; logging, refusing and
    /// closing happen after it.
    private enum Admission {
        case stopped
        case overUIDCap(held: Int, logCount: Int?)
        case full(firstRefusal: Bool)
        case admitted
        case threadFailed(Errno)
    }

    /// Called with the lock held: gives the newcomer a slot and its thread, or says why not.
    private func decide(_ state: inout State, fd: Int32, uid: uid_t, credentials: Sys.PeerCredentials) -> Admission {
        guard state.phase == .running else { return .stopped }
        // Checked before the global limit, and it never evicts: a user over their own cap
        // must not push out anyone else's connection. Not even one of their own idle ones:
        // the refusal is then the same whatever their other connections are doing, and its
        // message says what to do (close one). Root is not exempt: dosecabctl makes one
        // connection per call, so four are plenty even for root's scripts, and a runaway root
        // job (a monitoring loop, a timer) could otherwise fill every slot and lock staff out;
        // root can restart the daemon anyway, so an exemption would buy nothing.
        let held = Self.occupied(by: uid, state)
        if held >= limits.maxConnectionsPerUID {
            state.refusedOverUIDCap += 1
            state.uidRefusalsUnlogged += 1
            let t = now()
            var logCount: Int?
            if state.lastUIDRefusalLog.map({ t - $0 >= .seconds(1) }) ?? true {
                logCount = state.uidRefusalsUnlogged
                state.uidRefusalsUnlogged = 0
                state.lastUIDRefusalLog = t
            }
            return .overUIDCap(held: held, logCount: logCount)
        }
        if Self.occupied(state) >= limits.maxConnections { evictLongestWaiting(&state) }
        guard Self.occupied(state) < limits.maxConnections else {
            let first = !state.refusing
            state.refusing = true
            return .full(firstRefusal: first)
        }
        state.refusing = false
        let id = state.nextID
        state.nextID += 1
        state.connections[id] = Connection(fd: fd, uid: uid, waitingSince: now())
        // Still holding the lock: the thread cannot report itself finished before its
        // handle is recorded.
        do throws(Errno) {
            state.threads[id] = try POSIXThread(name: "dosecab-ctl-\(id % 10000)") { [self] in
                serve(fd, id: id, credentials: credentials)
                locked { state in
                    state.connections[id] = nil
                    state.finished.insert(id)
                }
                closeGracefully(fd)
            }
            return .admitted
        } catch {
            state.connections[id] = nil
            return .threadFailed(error)
        }
    }

    /// Tells a newcomer why it gets no slot, and closes it.
    private func refuse(_ fd: Int32, _ reply: ControlReply) {
        // The send buffer of a fresh socket is empty, so this cannot block.
        try? Sys.sendAll(fd, (try? reply.framed()) ?? [], flags: Int32(MSG_DONTWAIT))
        closeGracefully(fd)
    }

    /// Called with the lock held and every slot taken: marks a connection waiting for a
    /// complete request as evicted and shuts its read side. Its thread then answers any
    /// complete request it already received (shut-down Unix sockets still deliver what was
    /// queued), tells the client `evicted` and ends. Busy connections are left alone.
    ///
    /// The victim is the longest-waiting connection of the uid holding the most slots. Waiting
    /// time alone is not enough under the per-uid cap: a user at the cap can close and reopen
    /// connections so theirs are always the freshest, and each newcomer would then evict
    /// another user's idle connection. Counting slots first makes the heaviest user pay; with
    /// equal holdings it is the S1 rule unchanged.
    private func evictLongestWaiting(_ state: inout State) {
        var holdings: [uid_t: Int] = [:]
        for connection in state.connections.values where !connection.evicted { holdings[connection.uid, default: 0] += 1 }
        let candidates = state.connections.filter { !$0.value.busy && !$0.value.evicted }
        guard let victim = candidates.min(by: { a, b in
            let (heldA, heldB) = (holdings[a.value.uid] ?? 0, holdings[b.value.uid] ?? 0)
            return heldA != heldB ? heldA > heldB : a.value.waitingSince < b.value.waitingSince
        }) else { return }
        state.connections[victim.key]?.evicted = true
        Sys.shutdown(victim.value.fd, Int32(SHUT_RD))
        state.evictedUnlogged += 1
        let t = now()
        if state.lastEvictionLog.map({ t - $0 >= .seconds(1) }) ?? true {
            logger.notice("control connection evicted to make room: \(limits.maxConnections) open, it had waited longest for a request among those of the uid holding the most",
                          metadata: ["evicted": "\(state.evictedUnlogged)", "uid": "\(victim.value.uid)"])
            state.evictedUnlogged = 0
            state.lastEvictionLog = t
        }
    }

    /// Ends our side, discards what the client still had in flight (so it reads our last
    /// reply and then end-of-stream rather than a reset), and closes.
    private func closeGracefully(_ fd: Int32) {
        Sys.shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        var drained = 0
        while drained < 1 << 20 {
            let count = (try? Sys.recv(fd, into: &scratch, flags: Int32(MSG_DONTWAIT))) ?? 0
            if count <= 0 { break }
            drained += count
        }
        Sys.close(fd)
    }

    // MARK: One connection

    private func now() -> Duration { .nanoseconds(Int64(POSIXClocks.bootTimeNanos() - origin)) }

    private func serve(_ fd: Int32, id: Int, credentials: Sys.PeerCredentials) {
        let caller: Caller
        do {
            try Sys.setTimeout(fd, option: SO_SNDTIMEO, limits.writeTimeout)
            let supplementary: [gid_t]
            do {
                supplementary = try Sys.peerGroups(fd)
            } catch .protocolNotAvailable {
                // Kernel before 4.13: only the primary group is known, which can only
                // grant less, never more.
                supplementary = []
            }
            caller = policy.caller(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid,
                                   groups: supplementary)
        } catch {
            logger.warning("control connection dropped: cannot read peer groups or set the send timeout: \(error)")
            return
        }
        var log = logger
        log[metadataKey: "caller"] = "\(caller)"
        // The socket is open to every local user (both role groups must reach it), so a caller
        // in neither group may call nothing and is turned away with its first request, or after
        // a second if it sends none: it must not hold a connection slot for the read timeout.
        // (Not before it has sent: closing on a request not yet read would reset the connection
        // and the client would see "connection reset" instead of the reason.)
        let stranger = !policy.allows(caller, .read)
        let patience: Duration = stranger ? min(limits.readTimeout, .seconds(1)) : limits.readTimeout
        let turnAway = ControlReply.failure(.permissionDenied,
            "permission denied: only members of \(policy.readGroup) or \(policy.adminGroup) may use the control socket")
        log.debug("control connection accepted")

        var reader = FrameReader(maxFrameSize: limits.maxRequestSize)
        var limiter = RateLimiter(burst: limits.requestBurst, perSecond: limits.requestsPerSecond)
        var deadline = now() + patience
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)

        while true {
            // Answer every complete request already buffered, in order.
            while true {
                let frame: [UInt8]?
                do { frame = try reader.nextFrame() } catch {
                    log.warning("control request refused: \(error)")
                    send(.failure(.requestTooLarge, error.description), to: fd, log)
                    return
                }
                guard let frame else { break }
                if stranger {
                    turnStrangerAway(fd, caller, turnAway, log)
                    return
                }
                locked { $0.connections[id]?.busy = true }
                deadline = now() + limits.readTimeout
                guard limiter.allow(at: now()) else {
                    log.warning("control connection closed: request rate limit exceeded")
                    send(.failure(.rateLimited,
                                  "too many requests (burst \(limits.requestBurst), \(limits.requestsPerSecond) per second); connection closed"),
                         to: fd, log)
                    return
                }
                guard send(respond(to: frame, from: caller, log), to: fd, log) else { return }
                // A slow method must not count against the client's time for the next request.
                deadline = now() + limits.readTimeout
                let t = now()
                locked { state in
                    state.connections[id]?.busy = false
                    state.connections[id]?.waitingSince = t
                }
            }

            let remaining = deadline - now()
            let ready: [Bool]
            do {
                ready = remaining > .zero
                    ? try Sys.pollReadable([fd, wakeRead], timeout: remaining) : [false, false]
            } catch {
                log.warning("control connection poll failed: \(error)")
                return
            }
            if ready[1] { return }
            guard ready[0] else {
                if now() < deadline { continue }
                if stranger {
                    turnStrangerAway(fd, caller, turnAway, log)
                    return
                }
                log.notice("control connection closed: no complete request within \(limits.readTimeout)")
                send(.failure(.timedOut, "timed out waiting for a complete request"), to: fd, log)
                return
            }
            let count: Int
            do {
                count = try Sys.recv(fd, into: &buffer)
            } catch {
                log.debug("control connection read failed: \(error)")
                return
            }
            if count == 0 {
                if locked({ $0.connections[id]?.evicted ?? false }) {
                    log.debug("control connection evicted")
                    let reply = ControlReply.failure(.evicted, """
                        connection closed to make room for a new one: it had waited longest for a complete request \
                        among the connections of the uid holding the most (at most \(limits.maxConnections) connections)
                        """)
                    try? Sys.sendAll(fd, (try? reply.framed()) ?? [], flags: Int32(MSG_DONTWAIT))
                    return
                }
                if reader.hasPartialFrame {
                    log.notice("control connection closed by client in the middle of a request")
                }
                return
            }
            reader.append(buffer[0..<count])
        }
    }

    /// Answers a caller in neither role group and logs it, at most once a second with the count
    /// since the last line.
    private func turnStrangerAway(_ fd: Int32, _ caller: Caller, _ reply: ControlReply, _ log: Logger) {
        let t = now()
        let count: Int? = locked { state in
            state.strangersUnlogged += 1
            guard state.lastStrangerLog.map({ t - $0 >= .seconds(1) }) ?? true else { return nil }
            defer { state.strangersUnlogged = 0; state.lastStrangerLog = t }
            return state.strangersUnlogged
        }
        if let count {
            log.notice("control connection refused: the caller is in neither role group",
                       metadata: ["refused": "\(count)", "uid": "\(caller.uid)"])
        }
        send(reply, to: fd, log)
    }

    /// The checks in order: shape, method table, access. Only then the handler.
    private func respond(to frame: [UInt8], from caller: Caller, _ log: Logger) -> ControlReply {
        let request: ControlRequest
        do { request = try ControlRequest(frame: frame) } catch {
            log.notice("control request refused: \(error)")
            return .failure(.malformedRequest, error.description)
        }
        guard let access = methods[request.method] else {
            log.notice("control request refused: unknown method \(request.method)")
            return .failure(.unknownMethod, "unknown method \(request.method)")
        }
        guard policy.allows(caller, access) else {
            log.notice("control request refused: permission denied", metadata: [
                "method": "\(request.method)", "access": "\(access)",
            ])
            return .failure(.permissionDenied, "permission denied: \(request.method) needs \(access)",
                            ["method": .string(request.method), "access": .string(access.rawValue)])
        }
        return runHandler(request, caller)
    }

    /// Bridges to the async handler: the Task runs on the cooperative pool while this
    /// connection's own thread waits.
    private func runHandler(_ request: ControlRequest, _ caller: Caller) -> ControlReply {
        let result = ReplySlot()
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        Task {
            result.reply = await handler(request, caller)
            done.signal()
        }
        done.wait()
        return result.reply ?? .failure(.internalError, "internal error: no reply")
    }

    @discardableResult
    private func send(_ reply: ControlReply, to fd: Int32, _ log: Logger) -> Bool {
        let bytes: [UInt8]
        do { bytes = try reply.framed() } catch {
            log.error("control reply not encodable: \(error)")
            bytes = (try? ControlReply.failure(.internalError, "internal error: reply not encodable").framed()) ?? []
        }
        do {
            try Sys.sendAll(fd, bytes)
            return true
        } catch {
            log.debug("control reply not delivered: \(error)")
            return false
        }
    }
}

/// Hands a reply from the handler's Task to the waiting thread; the semaphore orders the
/// write before the read, the lock makes that visible to the checker too.
private final class ReplySlot: Sendable {
    private let value = Mutex<ControlReply?>(nil)
    var reply: ControlReply? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
