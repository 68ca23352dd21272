@testable import DoseCabControl
import Foundation
import Testing

/// Issue 18.13: a request with a member twice was accepted and the parser chose one of them,
/// so what a reviewer reads in a captured frame need not be what the daemon did. A member
/// named twice in any object of a request is now `malformed-request`.
@Suite struct DuplicateMemberTests {
    static let duplicated: [(String, String)] = [
        (#"{"method":"status","method":"lockdown","parameters":{"state":"off","reason":"x"}}"#, "method"),
        // The same name spelt with an escape is the same member.
        (#"{"method":"status","\u006dethod":"lockdown"}"#, "method"),
        (#"{"parameters":{},"method":"status","parameters":{"state":"off"}}"#, "parameters"),
        (#"{"method":"count.start","parameters":{"staff":"S-01","pin":"1","staff":"S-02"}}"#, "staff"),
        (#"{"method":"count.enter","parameters":{"counts":{"a/b/1":1,"a/b/1":2}}}"#, "a/b/1"),
        (#"{"method":"x","parameters":{"list":[{"k":1},{"k":2,"k":3}]}}"#, "k"),
    ]

    @Test(arguments: duplicated)
    func aRequestWithADuplicateMethodMemberIsMalformed(text: String, member: String) {
        #expect(throws: ProtocolError.duplicateMember(member)) { try ControlRequest(frame: Array(text.utf8)) }
        #expect(ProtocolError.duplicateMember(member).description.hasPrefix("malformed request"))
    }

    @Test func theSameNameInDifferentObjectsIsNotADuplicate() throws {
        let text = #"{"method":"x","parameters":{"method":{"method":1},"a":[{"k":"\"k\":"},{"k":2}],"s":"{\"k\":1,\"k\":2}"}}"#
        let request = try ControlRequest(frame: Array(text.utf8))
        #expect(request.method == "x")
        #expect(request.parameters["a"]?[1]?["k"] == 2)
    }

    @Test func theServerAnswersADuplicateMethodWithMalformedRequestAndNeverCallsTheMethod() async throws {
        let calls = Counter()
        let handler: ControlServer.Handler = { _, _ in
            calls.increment()
            return .ok()
        }
        try await withServer(handler: handler) { _, path in
            let reply = try await blocking {
                let connection = try RawConnection(path)
                try connection.write(frame(#"{"method":"status","method":"lockdown"}"#))
                return try connection.readReply()
            }
            #expect(reply?.errorCode == .malformedRequest)
            #expect(reply?.error?.contains("\"method\"") == true, "\(String(describing: reply))")
            #expect(calls.value == 0)
        }
    }
}
