import Foundation
import Testing

@testable import DoseCabControl

@Suite struct JSONValueTests {
    @Test func roundTripsEveryKind() throws {
        let list: [JSONValue] = [.number(1), .string("two"), .array([.number(3)])]
        let nested: [String: JSONValue] = ["deep": .object(["deeper": .bool(true)])]
        let value = JSONValue.object([
            "null": .null, "yes": .bool(true), "no": .bool(false), "count": .number(3),
            "dose": .number(12.5), "name": .string("ampoule"),
            "list": .array(list), "nested": .object(nested),
        ])
        let bytes = try ControlReply.ok(value.objectValue!).framed()
        let back = try ControlReply(frame: bytes.dropLast())
        #expect(JSONValue.object(back.parameters) == value)
    }

    @Test func booleansStayBooleansAndIntegersStayIntegers() throws {
        let request = try ControlRequest(frame: Array(#"{"method":"x","parameters":{"b":true,"n":1,"big":9007199254740992}}"#.utf8))
        #expect(request.parameters["b"] == .bool(true))
        #expect(request.parameters["n"]?.intValue == 1)
        #expect(request.parameters["n"]?.boolValue == nil)
        #expect(request.parameters["big"]?.intValue == 9_007_199_254_740_992)
        let encoded = String(decoding: try request.framed().dropLast(), as: UTF8.self)
        #expect(encoded.contains(#""n":1"#))
    }

    @Test func accessors() {
        let value = JSONValue.object(["a": .array([.number(1.5), .string("s")]), "t": .bool(true)])
        #expect(value["a"]?[0]?.doubleValue == 1.5)
        #expect(value["a"]?[0]?.intValue == nil)
        #expect(value["a"]?[1]?.stringValue == "s")
        #expect(value["a"]?[2] == nil)
        #expect(value["t"]?.boolValue == true)
        #expect(value["missing"] == nil)
        #expect(JSONValue.null.isNull)
    }

    struct Stock: Codable, Equatable {
        var serial: String
        var received: Date
        var count: Int
    }

    @Test func codablePayloadsConvertBothWays() throws {
        let stock = Stock(serial: "A-1", received: Date(timeIntervalSince1970: 1_700_000_000), count: 4)
        let parameters = try JSONValue.parameters(encoding: stock)
        #expect(parameters["received"] == .string("2023-11-14T22:13:20Z"))
        let reply = try ControlReply.ok(encoding: stock)
        #expect(try reply.decodeParameters(as: Stock.self) == stock)
        #expect(throws: ProtocolError.parametersNotObject) { try JSONValue.parameters(encoding: [1, 2]) }
    }

    @Test func nonFiniteNumbersAreRefusedOnEncoding() {
        #expect(throws: ProtocolError.self) { try ControlReply.ok(["x": .number(.nan)]).framed() }
    }
}

@Suite struct RequestParsingTests {
    func parse(_ text: String) throws(ProtocolError) -> ControlRequest {
        try ControlRequest(frame: Array(text.utf8))
    }

    @Test func acceptsAWellFormedRequest() throws {
        let request = try parse(#"{"method":"hold.clear","parameters":{"patient":"P-17","reason":"ok"}}"#)
        #expect(request.method == "hold.clear")
        #expect(request.parameters["patient"] == "P-17")
        #expect(try parse(#"{"method":"status"}"#).parameters.isEmpty)
    }

    @Test func framingEndsWithOneNul() throws {
        let bytes = try ControlRequest(method: "status").framed()
        #expect(bytes.last == 0)
        #expect(bytes.dropLast().contains(0) == false)
        // A NUL inside a string is escaped by the encoder, never raw.
        let nul = try ControlRequest(method: "echo", parameters: ["s": "a\u{0}b"]).framed()
        #expect(nul.filter { $0 == 0 }.count == 1)
        #expect(try ControlRequest(frame: nul.dropLast()).parameters["s"] == "a\u{0}b")
    }

    static let malformed: [(String, ProtocolError?)] = {
        var cases: [(String, ProtocolError?)] = []
        cases.append(("", .emptyFrame))
        cases.append(("{", nil))
        cases.append(("not json", nil))
        cases.append(("[1,2]", .notAnObject("an array")))
        cases.append(("\"status\"", .notAnObject("a string")))
        cases.append(("42", .notAnObject("a number")))
        cases.append(("null", .notAnObject("null")))
        cases.append((#"{"parameters":{}}"#, .missingMethod))
        cases.append((#"{"method":7}"#, .methodNotString))
        cases.append((#"{"method":""}"#, .invalidMethodName("")))
        cases.append((#"{"method":"Status"}"#, .invalidMethodName("Status")))
        cases.append((#"{"method":"rm -rf"}"#, .invalidMethodName("rm -rf")))
        cases.append((#"{"method":"status","parameters":[]}"#, .parametersNotObject))
        cases.append((#"{"method":"status","parameters":null}"#, .parametersNotObject))
        cases.append((#"{"method":"status","id":1}"#, .unexpectedMember("id")))
        return cases
    }()

    @Test(arguments: malformed)
    func refusesMalformedRequests(text: String, expected: ProtocolError?) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            if let expected { #expect(error == expected) } else {
                guard case .malformedJSON = error else { Issue.record("\(error)"); return }
            }
            #expect(error.description.hasPrefix("malformed request"))
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: ProtocolError.self) { try ControlRequest(frame: [0x7B, 0xFF, 0xFE, 0x7D]) }
    }

    @Test func refusesHostileNestingBeforeParsing() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: ProtocolError.tooDeep(limit: ControlRequest.maxDepth)) {
            try parse(#"{"method":"x","parameters":{"a":"# + deep + "}}")
        }
        // Brackets inside strings do not count.
        let quoted = #"{"method":"x","parameters":{"a":""# + String(repeating: "[", count: 100) + #"\"["}}"#
        #expect(throws: Never.self) { try parse(quoted) }
    }

    @Test func methodNameRules() {
        #expect(MethodName.isValid("sim.card"))
        #expect(MethodName.isValid("audit.verify"))
        #expect(MethodName.isValid("report-daily2"))
        #expect(!MethodName.isValid(""))
        #expect(!MethodName.isValid("a_b"))
        #expect(!MethodName.isValid("é"))
        #expect(MethodName.isValid(String(repeating: "a", count: 64)))
        #expect(!MethodName.isValid(String(repeating: "a", count: 65)))
    }

    @Test func hostileMethodNamesAreQuotedAndCut() {
        let message = ProtocolError.invalidMethodName("x\n\"" + String(repeating: "y", count: 500)).description
        #expect(!message.contains("\n"))
        #expect(message.count < 300)
    }
}

@Suite struct ReplyTests {
    @Test func shapesOnTheWire() throws {
        let ok = String(decoding: try ControlReply.ok(["a": .number(1)]).framed().dropLast(), as: UTF8.self)
        #expect(ok == #"{"parameters":{"a":1}}"#)
        let failed = String(decoding: try ControlReply.failure("no", ["why": .string("x")]).framed().dropLast(), as: UTF8.self)
        #expect(failed == #"{"error":"no","parameters":{"why":"x"}}"#)
    }

    @Test func errorCodes() throws {
        let reply = ControlReply.failure(.permissionDenied, "permission denied: lockdown needs admin")
        #expect(reply.errorCode == .permissionDenied)
        #expect(!reply.isSuccess)
        #expect(ControlReply.ok(["code": "permission-denied"]).errorCode == nil)
    }

    @Test func parsesLeniently() throws {
        let reply = try ControlReply(frame: Array(#"{"parameters":{"x":1},"extra":true}"#.utf8))
        #expect(reply.isSuccess && reply.parameters["x"] == 1)
        #expect(throws: ProtocolError.errorNotString) { try ControlReply(frame: Array(#"{"error":5}"#.utf8)) }
    }
}
