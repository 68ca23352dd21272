import Testing

@testable import DoseCabControl

@Suite struct FrameReaderTests {
    @Test func oneFrame() throws {
        var reader = FrameReader()
        #expect(try reader.feed(frame("abc")) == [Array("abc".utf8)])
        #expect(!reader.hasPartialFrame)
    }

    @Test func frameSplitIntoSingleBytes() throws {
        var reader = FrameReader()
        var frames: [[UInt8]] = []
        for byte in frame("hello") + frame("world") {
            frames += try reader.feed([byte])
        }
        #expect(frames == [Array("hello".utf8), Array("world".utf8)])
    }

    @Test func manyFramesInOneChunkAndARemainder() throws {
        var reader = FrameReader()
        let frames = try reader.feed(frame("a") + frame("") + frame("ccc") + Array("part".utf8))
        #expect(frames == [Array("a".utf8), [], Array("ccc".utf8)])
        #expect(reader.bufferedByteCount == 4)
        #expect(try reader.feed([0]) == [Array("part".utf8)])
    }

    @Test func exactlyTheLimitIsAccepted() throws {
        var reader = FrameReader(maxFrameSize: 8)
        #expect(try reader.feed(Array(repeating: 65, count: 8) + [0]) == [Array(repeating: 65, count: 8)])
    }

    @Test func overLimitWithoutTerminatorFailsAsSoonAsItIsOver() throws {
        var reader = FrameReader(maxFrameSize: 8)
        #expect(try reader.feed(Array(repeating: 65, count: 8)).isEmpty)
        expectTooLarge { () throws(FrameError) in _ = try reader.feed([65]) }
        // Stays failed: the stream cannot be resynchronised.
        expectTooLarge { () throws(FrameError) in _ = try reader.feed(frame("ok")) }
        #expect(reader.bufferedByteCount == 0)
    }

    @Test func overLimitInOneChunkWithTerminatorFails() throws {
        var reader = FrameReader(maxFrameSize: 8)
        expectTooLarge { () throws(FrameError) in _ = try reader.feed(frame(String(repeating: "x", count: 9))) }
    }

    @Test func framesBeforeAnOversizedOneAreStillDelivered() throws {
        var reader = FrameReader(maxFrameSize: 8)
        reader.append(frame("ok") + Array(repeating: 65, count: 20))
        #expect(try reader.nextFrame() == Array("ok".utf8))
        expectTooLarge { () throws(FrameError) in _ = try reader.nextFrame() }
    }

    @Test func longStreamsDoNotGrowTheBuffer() throws {
        var reader = FrameReader(maxFrameSize: 64)
        for index in 0..<10_000 {
            let frames = try reader.feed(frame("request \(index)"))
            #expect(frames.count == 1)
        }
        #expect(reader.bufferedByteCount == 0)
    }
}

@Suite struct RateLimiterTests {
    @Test func burstThenRefusedThenRefilled() {
        var limiter = RateLimiter(burst: 3, perSecond: 2)
        let results = [
            limiter.allow(at: .zero), limiter.allow(at: .zero), limiter.allow(at: .zero),
            limiter.allow(at: .zero),
            limiter.allow(at: .milliseconds(400)),
            limiter.allow(at: .milliseconds(500)), limiter.allow(at: .milliseconds(500)),
            // Refill never exceeds the burst.
            limiter.allow(at: .seconds(100)), limiter.allow(at: .seconds(100)),
            limiter.allow(at: .seconds(100)), limiter.allow(at: .seconds(100)),
        ]
        #expect(results == [true, true, true, false, false, true, false, true, true, true, false])
    }

    @Test func timeGoingBackwardsGrantsNothing() {
        var limiter = RateLimiter(burst: 1, perSecond: 1)
        let results = [
            limiter.allow(at: .seconds(10)), limiter.allow(at: .seconds(5)),
            limiter.allow(at: .seconds(10.5)), limiter.allow(at: .seconds(11)),
        ]
        #expect(results == [true, false, false, true])
    }
}

@Suite struct AccessPolicyTests {
    let policy = AccessPolicy(resolveGroup: { ["dosecab": 500, "dosecab-admin": 501][$0] })

    /// ARCHITECTURE §4a: `dosecab` is the read-only technicians' group, `dosecab-admin` the
    /// admins'; the service's own group `dosecabd` is neither.
    @Test func defaultGroupsAreTheInstalledRoleGroups() {
        let installed = AccessPolicy(resolveGroup: { _ in nil })
        #expect(installed.readGroup == "dosecab" && installed.adminGroup == "dosecab-admin")
    }

    @Test func rootMayDoAnything() {
        let root = policy.caller(uid: 0, gid: 0, pid: 1, groups: [])
        #expect(policy.allows(root, .read) && policy.allows(root, .admin))
    }

    @Test func readGroupReadsOnly() {
        let nurse = policy.caller(uid: 1000, gid: 1000, pid: 2, groups: [500])
        #expect(nurse.groupNames == ["dosecab"])
        #expect(policy.allows(nurse, .read))
        #expect(!policy.allows(nurse, .admin))
    }

    @Test func adminGroupMayReadAndAdminister() {
        let admin = policy.caller(uid: 1001, gid: 501, pid: 3, groups: [])
        #expect(admin.groups == [501])
        #expect(policy.allows(admin, .read) && policy.allows(admin, .admin))
    }

    @Test func strangersMayDoNothing() {
        let stranger = policy.caller(uid: 1002, gid: 1002, pid: 4, groups: [27, 100])
        #expect(stranger.groupNames.isEmpty)
        #expect(!policy.allows(stranger, .read) && !policy.allows(stranger, .admin))
    }

    @Test func missingGroupsGrantNothing() {
        let none = AccessPolicy(resolveGroup: { _ in nil })
        let caller = none.caller(uid: 1000, gid: 500, pid: 5, groups: [501])
        #expect(!none.allows(caller, .read))
    }

    @Test func groupNamesAreConfigurable() {
        let custom = AccessPolicy(readGroup: "pharmacy", adminGroup: "pharmacy-lead",
                                  resolveGroup: { ["pharmacy": 700, "pharmacy-lead": 701][$0] })
        #expect(custom.allows(custom.caller(uid: 9, gid: 9, pid: 9, groups: [700]), .read))
        #expect(!custom.allows(custom.caller(uid: 9, gid: 9, pid: 9, groups: [500]), .read))
        #expect(custom.allows(custom.caller(uid: 9, gid: 9, pid: 9, groups: [701]), .admin))
    }

    @Test func descriptionForTheJournal() {
        let caller = policy.caller(uid: 1000, gid: 1000, pid: 4242, groups: [501, 500])
        #expect(caller.description == "uid=1000 pid=4242 groups=dosecab,dosecab-admin")
        #expect(policy.caller(uid: 7, gid: 7, pid: 8, groups: []).description == "uid=7 pid=8 groups=")
    }

    @Test func productionResolverReadsTheGroupDatabase() {
        #expect(GroupDirectory.gid(named: "root") == 0)
        #expect(GroupDirectory.gid(named: "no-such-group-dosecab-test") == nil)
    }
}

/// `#expect(throws:)` cannot capture a mutating reader; this can.
func expectTooLarge(_ body: () throws(FrameError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected tooLarge", sourceLocation: sourceLocation)
    } catch {
        #expect(error == .tooLarge(limit: 8), sourceLocation: sourceLocation)
    }
}
