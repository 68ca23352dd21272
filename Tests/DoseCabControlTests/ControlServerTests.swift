import Foundation
import Glibc
import SystemPackage
import Testing

@testable import DoseCabControl
import DoseCabPOSIX

@Suite struct ControlServerTests {
    @Test func roundTripOverARealSocketIdentifiesTheCaller() async throws {
        let seen = CallerBox()
        let handler: ControlServer.Handler = { request, caller in
            seen.set(caller)
            return await echoHandler(request, caller)
        }
        try await withServer(handler: handler) { server, path in
            let reply = try await blocking {
                try ControlClient(socketPath: path).call("echo", ["x": .number(1), "s": .string("ampoule")])
            }
            #expect(reply.isSuccess)
            let expected = JSONValue.object(["x": .number(1), "s": .string("ampoule")])
            #expect(reply.parameters["echo"] == expected)
            let caller = try #require(seen.get())
            #expect(caller.pid == getpid())
            #expect(caller.uid == getuid())
            #expect(caller.gid == getgid())
            #expect(caller.groups.first == getgid())
            #expect(caller.description.hasPrefix("uid=\(getuid()) pid=\(getpid()) groups="))
        }
    }

    @Test func requestSplitIntoTinyWrites() async throws {
        try await withServer { _, path in
            let replies = try await blocking {
                let connection = try RawConnection(path)
                for byte in frame(#"{"method":"echo","parameters":{"n":7}}"#) { try connection.write([byte]) }
                return try connection.readReply()
            }
            #expect(replies?.parameters["echo"]?["n"]?.intValue == 7)
        }
    }

    @Test func manyRequestsInOneWriteAreAnsweredInOrder() async throws {
        try await withServer { _, path in
            let replies = try await blocking {
                let connection = try RawConnection(path)
                try connection.write((1...5).flatMap { frame(#"{"method":"echo","parameters":{"n":\#($0)}}"#) })
                return try (1...5).map { _ in try connection.readReply() }
            }
            #expect(replies.map { $0?.parameters["echo"]?["n"]?.intValue } == [1, 2, 3, 4, 5])
        }
    }

    @Test func oversizedRequestIsRefusedAndClosedWhileOthersAreServed() async throws {
        let calls = Counter()
        let handler: ControlServer.Handler = { request, caller in
            calls.increment()
            return await echoHandler(request, caller)
        }
        let limits = ControlServer.Limits(maxRequestSize: 1024)
        try await withServer(limits: limits, handler: handler) { _, path in
            let (replies, other) = try await blocking {
                let big = try RawConnection(path)
                let bystander = try RawConnection(path)
                try big.write(frame(#"{"method":"echo"}"#))
                // 4 KiB with no terminator: refused once 1 KiB is buffered.
                try? big.write(Array(repeating: UInt8(ascii: "a"), count: 4096))
                let replies = try big.readAllReplies()
                try bystander.write(frame(#"{"method":"status"}"#))
                return (replies, try bystander.readReply())
            }
            #expect(replies.count == 2)
            #expect(replies.first?.isSuccess == true)
            #expect(replies.last?.errorCode == .requestTooLarge)
            #expect(replies.last?.error == "request too large (limit 1024 bytes)")
            #expect(other?.isSuccess == true)
            #expect(calls.value == 2)
        }
    }

    @Test func malformedAndUnknownRequestsGetErrorsAndNeverReachTheHandler() async throws {
        let calls = Counter()
        let handler: ControlServer.Handler = { _, _ in
            calls.increment()
            return .ok()
        }
        try await withServer(handler: handler) { _, path in
            let inputs = [
                "{not json", "[1,2,3]", "\"status\"", "", #"{"parameters":{}}"#,
                #"{"method":"../../etc"}"#, #"{"method":"status","parameters":5}"#,
                #"{"method":"nope"}"#,
            ]
            let replies = try await blocking {
                let connection = try RawConnection(path)
                try connection.write(inputs.flatMap(frame))
                return try inputs.map { _ in try connection.readReply() }
            }
            #expect(replies.count == inputs.count)
            for reply in replies.dropLast() {
                #expect(reply?.errorCode == .malformedRequest)
                #expect(reply?.error?.hasPrefix("malformed request") == true)
            }
            #expect(replies.last??.error == "unknown method nope")
            #expect(replies.last??.errorCode == .unknownMethod)
            #expect(calls.value == 0)
        }
    }

    @Test func floodIsRefusedAndClosedWhileAnotherClientIsAnswered() async throws {
        let calls = Counter()
        let handler: ControlServer.Handler = { request, caller in
            calls.increment()
            return await echoHandler(request, caller)
        }
        // A refill this slow cannot add a token during the test: exact counts.
        let limits = ControlServer.Limits(requestBurst: 5, requestsPerSecond: 0.001)
        try await withServer(limits: limits, handler: handler) { _, path in
            async let flood = blocking {
                let connection = try RawConnection(path)
                try? connection.write((0..<500).flatMap { _ in frame(#"{"method":"status"}"#) })
                return try connection.readAllReplies()
            }
            async let polite = blocking {
                try (0..<3).map { _ in try ControlClient(socketPath: path).call("status").isSuccess }
            }
            let (flooded, answered) = try await (flood, polite)
            #expect(flooded.count == 6)
            #expect(flooded.prefix(5).filter(\.isSuccess).count == 5)
            #expect(flooded.last?.errorCode == .rateLimited)
            #expect(answered == [true, true, true])
            #expect(calls.value == 8)
        }
    }

    @Test func slowClientIsTimedOut() async throws {
        let limits = ControlServer.Limits(readTimeout: .milliseconds(300))
        try await withServer(limits: limits) { server, path in
            let (replies, elapsed) = try await blocking {
                let start = ContinuousClock.now
                let connection = try RawConnection(path)
                try connection.write(#"{"method":"sta"#)
                return (try connection.readAllReplies(), ContinuousClock.now - start)
            }
            #expect(replies.map(\.errorCode) == [.timedOut])
            #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(5))
            #expect(try await eventually { server.connectionCount == 0 })
        }
    }

    @Test func tricklingClientCannotExtendItsDeadline() async throws {
        let limits = ControlServer.Limits(readTimeout: .milliseconds(300))
        try await withServer(limits: limits) { _, path in
            let replies = try await blocking {
                let connection = try RawConnection(path)
                let writer = Thread {
                    // One byte every 50 ms: 2 s for the whole request, far past the deadline.
                    for byte in frame(#"{"method":"status","parameters":{}}"#) {
                        guard (try? connection.write([byte])) != nil else { return }
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                }
                writer.start()
                return try connection.readAllReplies()
            }
            #expect(replies.map(\.errorCode) == [.timedOut])
        }
    }

    @Test func slowMethodDoesNotUseUpTheClientsTime() async throws {
        let handler: ControlServer.Handler = { request, caller in
            if request.method == "status" { try? await Task.sleep(for: .milliseconds(500)) }
            return await echoHandler(request, caller)
        }
        let limits = ControlServer.Limits(readTimeout: .milliseconds(300))
        try await withServer(limits: limits, handler: handler) { _, path in
            let replies = try await blocking {
                let connection = try RawConnection(path)
                try connection.write(frame(#"{"method":"status"}"#))
                let first = try connection.readReply()
                try connection.write(frame(#"{"method":"echo"}"#))
                return [first, try connection.readReply()]
            }
            #expect(replies.map { $0?.isSuccess } == [true, true])
        }
    }

    @Test func twentyConcurrentClientsAreServedTogether() async throws {
        let arrived = Counter()
        let handler: ControlServer.Handler = { request, caller in
            arrived.increment()
            // Every handler waits for all twenty: only possible if none blocks another.
            let deadline = ContinuousClock.now + .seconds(10)
            while arrived.value < 20, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return .ok(["together": .bool(arrived.value >= 20)])
        }
        let limits = ControlServer.Limits(maxConnections: 20, maxConnectionsPerUID: 20)
        try await withServer(limits: limits, handler: handler) { _, path in
            let results = try await withThrowingTaskGroup(of: ControlReply.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await blocking { try ControlClient(socketPath: path).call("echo", ["i": .number(Double(index))]) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 20)
            #expect(results.allSatisfy { $0.parameters["together"] == true })
        }
    }

    /// At the limit, a newcomer evicts the connection that has waited longest for a complete
    /// request: that one is told `evicted` and closed, the newcomer is answered (soak finding
    /// S1). Only when every connection is busy answering a request is the newcomer refused.
    @Test func connectionsBeyondTheLimitAreToldAndClosed() async throws {
        let entered = Counter()
        let release = Counter()
        let handler: ControlServer.Handler = { request, caller in
            if request.parameters["hold"] == true {
                entered.increment()
                let deadline = ContinuousClock.now + .seconds(10)
                while release.value == 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            }
            return await echoHandler(request, caller)
        }
        let limits = ControlServer.Limits(maxConnections: 2)
        // Several users: the per-uid cap (2 here, as the global limit) is not what is tested.
        try await withServer(limits: limits, capUID: eachConnectionItsOwnUID, handler: handler) { server, path in
            // Two idle connections (each answered once), the first one waiting longest.
            let held = try await blocking { () throws -> [RawConnection] in
                let held = try (0..<2).map { _ in try RawConnection(path) }
                for connection in held {
                    try connection.write(frame(#"{"method":"status"}"#))
                    _ = try connection.readReply()
                    Thread.sleep(forTimeInterval: 0.02)
                }
                return held
            }
            let (answered, toldOldest, oldestAfter) = try await blocking { () throws -> (ControlReply, ControlReply?, ControlReply?) in
                let answered = try ControlClient(socketPath: path).call("status")
                return (answered, try held[0].readReply(), try held[0].readReply())
            }
            #expect(answered.isSuccess, "\(answered)")
            #expect(toldOldest?.errorCode == .evicted, "\(String(describing: toldOldest))")
            #expect(oldestAfter == nil, "the evicted connection is closed")
            let newerStillServed = try await blocking { () throws -> ControlReply? in
                try held[1].write(frame(#"{"method":"status"}"#))
                return try held[1].readReply()
            }
            #expect(newerStillServed?.isSuccess == true)

            // Both slots busy answering a request: the newcomer is refused, nobody is evicted.
            let busy = try await blocking { () throws -> RawConnection in
                let busy = try RawConnection(path)
                try busy.write(frame(#"{"method":"echo","parameters":{"hold":true}}"#))
                try held[1].write(frame(#"{"method":"echo","parameters":{"hold":true}}"#))
                return busy
            }
            #expect(try await eventually { entered.value == 2 })
            let refused = try await blocking { try ControlClient(socketPath: path).call("status") }
            #expect(refused.errorCode == .tooManyConnections)
            #expect(server.connectionCount == 2)
            release.increment()
            let finished = try await blocking { [busy] in (try busy.readReply(), try held[1].readReply()) }
            #expect(finished.0?.isSuccess == true && finished.1?.isSuccess == true)
        }
    }

    /// S1 (socket soak): clients that connect, send half a request and stall used to hold
    /// every slot for the read timeout and lock `dosecabctl status` out. Now each newcomer
    /// evicts the longest-stalled one, so a well-behaved client is answered at once, again and
    /// again, while stalled clients keep arriving.
    @Test func stalledClientsCannotLockOutAWellBehavedOne() async throws {
        let limits = ControlServer.Limits(maxConnections: 4, readTimeout: .seconds(10))
        // The stalled clients are several users, each under the per-uid cap.
        try await withServer(limits: limits, capUID: eachConnectionItsOwnUID) { server, path in
            let stalled = try await blocking { () throws -> [RawConnection] in
                try (0..<4).map { _ in
                    let c = try RawConnection(path)
                    try c.write(#"{"method":"sta"#)
                    return c
                }
            }
            #expect(try await eventually { server.connectionCount == 4 })
            let started = ContinuousClock.now
            let replies = try await blocking { () throws -> [ControlReply] in
                var replies: [ControlReply] = []
                var more: [RawConnection] = []
                for _ in 0..<8 {
                    replies.append(try ControlClient(socketPath: path).call("status"))
                    let c = try RawConnection(path)
                    try c.write(#"{"method":"sta"#)
                    more.append(c)
                }
                _ = more.count
                return replies
            }
            #expect(replies.allSatisfy { $0.isSuccess }, "\(replies.filter { !$0.isSuccess })")
            #expect(ContinuousClock.now - started < .seconds(5), "answered at once, not after the read timeout")
            let told = try await blocking { try stalled[0].readReply() }
            #expect(told?.errorCode == .evicted, "the longest-stalled client is told why")
        }
    }

    @Test func perUIDLimitDefaultsToFourOrTheGlobalLimit() {
        #expect(ControlServer.Limits().maxConnectionsPerUID == 4)
        #expect(ControlServer.Limits(maxConnections: 2).maxConnectionsPerUID == 2)
        #expect(ControlServer.Limits(maxConnections: 2, maxConnectionsPerUID: 1).maxConnectionsPerUID == 1)
    }

    /// The per-uid cap without any test hook: the uid the kernel reports is what counts.
    @Test func theKernelsUIDIsCapped() async throws {
        let limits = ControlServer.Limits(maxConnections: 4, maxConnectionsPerUID: 2)
        try await withServer(limits: limits) { server, path in
            let (held, refused) = try await blocking { () throws -> ([RawConnection], [ControlReply]) in
                let held = try (0..<2).map { _ in try RawConnection(path) }
                for connection in held {
                    try connection.write(frame(#"{"method":"status"}"#))
                    _ = try connection.readReply()
                }
                return (held, try RawConnection(path).readAllReplies())
            }
            #expect(refused.map(\.errorCode) == [.tooManyConnectionsForUID])
            #expect(refused.first?.error == "uid \(getuid()) already has 2 control connections open (limit 2)")
            #expect(server.refusedOverUIDCap == 1)
            #expect(held.count == 2)
        }
    }

    /// One user cannot hold every slot: at their cap, a newcomer of theirs is refused and
    /// closed, evicts nobody (not even at the global limit), and their other connections and
    /// other users are served as before. Closing one of their own makes room again.
    @Test func aUIDAtItsCapIsRefusedAndEvictsNobody() async throws {
        let (alice, bob): (uid_t, uid_t) = (5001, 5002)
        // Accept order: 0, 1 alice; 2 alice (over); 3 bob (the global limit of 3 is reached);
        // 4 alice (over, at the global limit); 5 alice after one of hers closed.
        let uids: [Int: uid_t] = [0: alice, 1: alice, 2: alice, 3: bob, 4: alice, 5: alice]
        let limits = ControlServer.Limits(maxConnections: 3, maxConnectionsPerUID: 2)
        try await withServer(limits: limits, capUID: capUIDs(uids)) { server, path in
            let ask: @Sendable (RawConnection) throws -> ControlReply? = { connection in
                try connection.write(frame(#"{"method":"status"}"#))
                return try connection.readReply()
            }
            let aliceHeld = try await blocking { () throws -> [RawConnection] in
                let held = try (0..<2).map { _ in try RawConnection(path) }
                for connection in held { _ = try ask(connection) }
                return held
            }
            let over = try await blocking { try RawConnection(path).readAllReplies() }
            #expect(over.map(\.errorCode) == [.tooManyConnectionsForUID], "\(over)")
            #expect(over.first?.error == "uid 5001 already has 2 control connections open (limit 2)")
            #expect(over.first?.parameters["code"] == .string("too-many-connections-for-uid"))

            let bobs = try await blocking { () throws -> (RawConnection, ControlReply?) in
                let connection = try RawConnection(path)
                return (connection, try ask(connection))
            }
            #expect(bobs.1?.isSuccess == true, "another uid is served")
            #expect(server.connectionCount == 3)

            // Every slot taken and alice's connections idle: without the cap her newcomer would
            // evict her oldest connection under S1. It is refused instead, and nobody is evicted.
            let overAtTheLimit = try await blocking { try RawConnection(path).readAllReplies() }
            #expect(overAtTheLimit.map(\.errorCode) == [.tooManyConnectionsForUID], "\(overAtTheLimit)")
            let stillServed = try await blocking { [aliceHeld, bobs] in
                try (aliceHeld + [bobs.0]).map { try ask($0)?.isSuccess }
            }
            #expect(stillServed == [true, true, true])
            #expect(server.refusedOverUIDCap == 2)

            // One of alice's closes: she may connect again.
            Glibc.shutdown(aliceHeld[0].fd, Int32(SHUT_RDWR))
            #expect(try await eventually { server.connectionCount == 2 })
            let again = try await blocking { () throws -> ControlReply? in try ask(try RawConnection(path)) }
            #expect(again?.isSuccess == true, "\(String(describing: again))")
            #expect(server.refusedOverUIDCap == 2)
        }
    }

    /// At the global limit, a newcomer under its cap evicts an idle connection of the uid
    /// holding the most slots, even when another user's idle connection has waited longer.
    @Test func evictionAtTheLimitPrefersTheUIDHoldingTheMost() async throws {
        let (alice, bob, carol): (uid_t, uid_t, uid_t) = (5001, 5002, 5003)
        let limits = ControlServer.Limits(maxConnections: 3, maxConnectionsPerUID: 2)
        try await withServer(limits: limits, capUID: capUIDs([0: bob, 1: alice, 2: alice, 3: carol])) { _, path in
            let ask: @Sendable (RawConnection) throws -> ControlReply? = { connection in
                try connection.write(frame(#"{"method":"status"}"#))
                return try connection.readReply()
            }
            // bob's connection has waited longest; alice holds two.
            let held = try await blocking { () throws -> [RawConnection] in
                let held = try (0..<3).map { _ in try RawConnection(path) }
                for connection in held {
                    _ = try ask(connection)
                    Thread.sleep(forTimeInterval: 0.02)
                }
                return held
            }
            let (carols, alicesOldest) = try await blocking { () throws -> (ControlReply, [ControlReply]) in
                (try ControlClient(socketPath: path).call("status"), try held[1].readAllReplies())
            }
            #expect(carols.isSuccess, "\(carols)")
            #expect(alicesOldest.map(\.errorCode) == [.evicted], "\(alicesOldest)")
            let others = try await blocking { [held] in try [held[0], held[2]].map { try ask($0)?.isSuccess } }
            #expect(others == [true, true], "bob's and alice's newer connection are kept")
        }
    }

    @Test func clientVanishingMidRequestHarmsNoOne() async throws {
        let calls = Counter()
        let handler: ControlServer.Handler = { request, caller in
            calls.increment()
            return await echoHandler(request, caller)
        }
        try await withServer(handler: handler) { server, path in
            try await blocking {
                let quitter = try RawConnection(path)
                try quitter.write(#"{"method":"lockdown","parameters":{"on":"#)
            }
            #expect(try await eventually { server.connectionCount == 0 })
            let reply = try await blocking { try ControlClient(socketPath: path).call("status") }
            #expect(reply.isSuccess)
            #expect(calls.value == 1)
        }
    }

    @Test func stopClosesIdleAndHalfSentConnectionsAndRemovesTheSocket() async throws {
        let directory = TempDirectory()
        let path = directory.file("s.sock")
        let server = try ControlServer(listener: .path(path), methods: ["status": .read],
                                       logger: testLogger, handler: echoHandler)
        try server.start()
        let (replies, elapsed) = try await blocking { () throws -> ([ControlReply], Duration) in
            let idle = try RawConnection(path)
            let half = try RawConnection(path)
            try half.write("{\"meth")
            try idle.write(frame(#"{"method":"status"}"#))
            _ = try idle.readReply()
            let start = ContinuousClock.now
            server.stop()
            let elapsed = ContinuousClock.now - start
            return (try idle.readAllReplies() + half.readAllReplies(), elapsed)
        }
        #expect(elapsed < .seconds(5))
        #expect(replies.isEmpty)
        #expect(server.connectionCount == 0)
        #expect(access(path, F_OK) != 0)
        server.stop()  // idempotent
        let error = try await blocking { () -> ControlClientError? in
            do { _ = try ControlClient(socketPath: path).call("status"); return nil } catch let error as ControlClientError { return error }
        }
        #expect(error?.exitCode == 69)
    }
}

@Suite struct ControlSocketFileTests {
    @Test func createdWithMode0660() throws {
        let directory = TempDirectory()
        let path = directory.file("control.sock")
        let server = try ControlServer(listener: .path(path), methods: [:], logger: testLogger, handler: echoHandler)
        defer { server.stop() }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(server.socketPath == path)
    }

    @Test func staleSocketIsReplaced() async throws {
        let directory = TempDirectory()
        let path = directory.file("control.sock")
        // A crashed daemon leaves its socket file behind.
        let stale = try Sys.unixStreamSocket()
        try Sys.bind(stale, path: path)
        Glibc.close(stale)
        let server = try ControlServer(listener: .path(path), methods: ["status": .read],
                                       logger: testLogger, handler: echoHandler)
        try server.start()
        defer { server.stop() }
        let reply = try await blocking { try ControlClient(socketPath: path).call("status") }
        #expect(reply.isSuccess)
    }

    @Test func somethingElseAtThePathIsLeftAlone() throws {
        let directory = TempDirectory()
        let path = directory.file("control.sock")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        #expect(throws: ControlServerError.notASocket(path)) {
            _ = try ControlServer(listener: .path(path), methods: [:], logger: testLogger, handler: echoHandler)
        }
        #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
    }

    @Test func tooLongPathIsAClearError() {
        let path = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: ControlServerError.self) {
            _ = try ControlServer(listener: .path(path), methods: [:], logger: testLogger, handler: echoHandler)
        }
    }

    @Test func adoptsAListeningSocketAndLeavesItsFileAlone() async throws {
        let directory = TempDirectory()
        let path = directory.file("activated.sock")
        let fd = try Sys.unixStreamSocket()
        try Sys.bind(fd, path: path)
        try Sys.listen(fd, backlog: 8)
        let server = try ControlServer(listener: .adopt(fd: fd), methods: ["status": .read],
                                       logger: testLogger, handler: echoHandler)
        try server.start()
        let reply = try await blocking { try ControlClient(socketPath: path).call("status") }
        #expect(reply.isSuccess)
        #expect(server.socketPath == nil)
        server.stop()
        #expect(access(path, F_OK) == 0)
    }

    @Test func refusesToAdoptSomethingThatIsNotAListeningSocket() throws {
        let fd = try Sys.unixStreamSocket()
        defer { Glibc.close(fd) }
        #expect(throws: ControlServerError.notAListeningUnixSocket(fd: fd)) {
            _ = try ControlServer(listener: .adopt(fd: fd), methods: [:], logger: testLogger, handler: echoHandler)
        }
    }
}

@Suite struct ControlClientTests {
    @Test func missingSocketIsUnreachable() {
        let directory = TempDirectory()
        #expect(throws: ControlClientError.unreachable(socketPath: directory.file("none.sock"), errno: .noSuchFileOrDirectory)) {
            _ = try ControlClient(socketPath: directory.file("none.sock")).call("status")
        }
    }

    @Test func socketWithoutADaemonIsUnreachable() throws {
        let directory = TempDirectory()
        let path = directory.file("dead.sock")
        let fd = try Sys.unixStreamSocket()
        defer { Glibc.close(fd) }
        try Sys.bind(fd, path: path)  // bound, never listening: ECONNREFUSED
        do {
            _ = try ControlClient(socketPath: path).call("status")
            Issue.record("connected to a dead socket")
        } catch {
            #expect(error == .unreachable(socketPath: path, errno: .connectionRefused))
            #expect(error.exitCode == 69)
        }
    }

    @Test func connectErrorsMapToExitCodes() {
        #expect(ControlClientError.connectFailed(.permissionDenied, socketPath: "/x").exitCode == 77)
        #expect(ControlClientError.connectFailed(.noSuchFileOrDirectory, socketPath: "/x").exitCode == 69)
        #expect(ControlClientError.connectFailed(.connectionRefused, socketPath: "/x").exitCode == 69)
        #expect(ControlClientError.connectFailed(.ioError, socketPath: "/x").exitCode == 1)
    }

    @Test func invalidMethodIsRefusedBeforeConnecting() {
        #expect(throws: ControlClientError.self) {
            _ = try ControlClient(socketPath: "/nonexistent/x.sock").call("Bad Method")
        }
    }

    @Test func defaultSocketPath() {
        #expect(ControlClient.defaultSocketPath(environment: [:]) == "/run/dosecab/control.sock")
        #expect(ControlClient.defaultSocketPath(environment: ["DOSECAB_SOCKET": ""]) == "/run/dosecab/control.sock")
        #expect(ControlClient.defaultSocketPath(environment: ["DOSECAB_SOCKET": "/tmp/s"]) == "/tmp/s")
    }

    @Test func silentServerTimesOut() async throws {
        let directory = TempDirectory()
        let path = directory.file("mute.sock")
        let fd = try Sys.unixStreamSocket()
        defer { Glibc.close(fd) }
        try Sys.bind(fd, path: path)
        try Sys.listen(fd, backlog: 1)  // accepts in the kernel, never answers
        let error = try await blocking { () -> ControlClientError? in
            do { _ = try ControlClient(socketPath: path, timeout: .milliseconds(200)).call("status"); return nil } catch let error as ControlClientError { return error }
        }
        #expect(error == .timedOut(socketPath: path))
    }
}

final class CallerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var caller: Caller?
    func set(_ value: Caller) { lock.lock(); caller = value; lock.unlock() }
    func get() -> Caller? { lock.lock(); defer { lock.unlock() }; return caller }
}
