import Foundation

/// One request from a client: `{"method": "...", "parameters": {...}}`, NUL-terminated on
/// the wire.
public struct ControlRequest: Sendable, Hashable {
    /// The method name; see ``MethodName`` for the characters allowed.
    public var method: String
    /// The method's arguments.
    public var parameters: [String: JSONValue]

    /// A request for `method` with `parameters`.
    public init(method: String, parameters: [String: JSONValue] = [:]) {
        self.method = method
        self.parameters = parameters
    }

    /// The deepest nesting of arrays and objects accepted in a request.
    public static let maxDepth = 32

    /// Parses and validates one frame (without its NUL). Nothing in the frame is trusted
    /// until this returns: the nesting depth is checked on the raw bytes before parsing,
    /// then that no object names a member twice, then the shape, then the method name.
    public init(frame: some Collection<UInt8>) throws(ProtocolError) {
        let members = try FrameCodec.decodeObject(frame, maxDepth: Self.maxDepth)
        if let name = DuplicateMembers.first(in: frame) { throw .duplicateMember(name) }
        for key in members.keys where key != "method" && key != "parameters" {
            throw .unexpectedMember(key)
        }
        guard let methodValue = members["method"] else { throw .missingMethod }
        guard let method = methodValue.stringValue else { throw .methodNotString }
        try MethodName.validate(method)
        self.method = method
        switch members["parameters"] {
        case nil: self.parameters = [:]
        case .object(let parameters)?: self.parameters = parameters
        case _?: throw .parametersNotObject
        }
    }

    /// The request as JSON followed by its NUL terminator, ready to write.
    public func framed() throws(ProtocolError) -> [UInt8] {
        try FrameCodec.frame(.object(["method": .string(method), "parameters": .object(parameters)]))
    }

    /// Decodes ``parameters`` into a `Decodable` payload.
    public func decodeParameters<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONValue.object(parameters).decode(as: type)
    }
}

/// One reply from the daemon: `{"parameters": {...}}` on success, or
/// `{"error": "...", "parameters": {...}}` on failure.
public struct ControlReply: Sendable, Hashable {
    /// The results, or on failure any details that help (for example `code`).
    public var parameters: [String: JSONValue]
    /// A message for the operator when the request failed; `nil` on success.
    public var error: String?

    /// A reply with `parameters` and, when it failed, an `error` message.
    public init(parameters: [String: JSONValue] = [:], error: String? = nil) {
        self.parameters = parameters
        self.error = error
    }

    /// Success with `parameters`.
    public static func ok(_ parameters: [String: JSONValue] = [:]) -> ControlReply {
        ControlReply(parameters: parameters)
    }

    /// Success with the members of an `Encodable` payload as parameters.
    public static func ok(encoding payload: some Encodable) throws -> ControlReply {
        ControlReply(parameters: try JSONValue.parameters(encoding: payload))
    }

    /// Failure with a message for the operator and optional details.
    public static func failure(_ message: String, _ parameters: [String: JSONValue] = [:]) -> ControlReply {
        ControlReply(parameters: parameters, error: message)
    }

    /// Failure raised by the protocol layer itself, tagged with a machine-readable `code`.
    public static func failure(_ code: ControlErrorCode, _ message: String,
                               _ parameters: [String: JSONValue] = [:]) -> ControlReply {
        var parameters = parameters
        parameters["code"] = .string(code.rawValue)
        return ControlReply(parameters: parameters, error: message)
    }

    /// Whether the request succeeded.
    public var isSuccess: Bool { error == nil }

    /// The protocol-layer error code, when the server (not a method) refused the request.
    public var errorCode: ControlErrorCode? {
        guard error != nil, let raw = parameters["code"]?.stringValue else { return nil }
        return ControlErrorCode(rawValue: raw)
    }

    /// Parses one reply frame (without its NUL). Members other than `parameters` and
    /// `error` are ignored, so a newer daemon may add some.
    public init(frame: some Collection<UInt8>) throws(ProtocolError) {
        let members = try FrameCodec.decodeObject(frame, maxDepth: FrameCodec.replyMaxDepth)
        switch members["parameters"] {
        case nil, .null?: self.parameters = [:]
        case .object(let parameters)?: self.parameters = parameters
        case _?: throw .parametersNotObject
        }
        switch members["error"] {
        case nil, .null?: self.error = nil
        case .string(let message)?: self.error = message
        case _?: throw .errorNotString
        }
    }

    /// The reply as JSON followed by its NUL terminator, ready to write.
    public func framed() throws(ProtocolError) -> [UInt8] {
        var members: [String: JSONValue] = ["parameters": .object(parameters)]
        if let error { members["error"] = .string(error) }
        return try FrameCodec.frame(.object(members))
    }

    /// Decodes ``parameters`` into a `Decodable` payload.
    public func decodeParameters<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONValue.object(parameters).decode(as: type)
    }
}

/// Codes the protocol layer puts in `parameters.code` of the error replies it makes itself,
/// so a client can act on them without parsing the message.
public enum ControlErrorCode: String, Sendable, Hashable, CaseIterable {
    /// The frame was not a valid request (JSON, shape or method name).
    case malformedRequest = "malformed-request"
    /// The request exceeded the size limit; the connection is closed.
    case requestTooLarge = "request-too-large"
    /// No such method.
    case unknownMethod = "unknown-method"
    /// The caller's uid and groups do not grant the method's access level.
    case permissionDenied = "permission-denied"
    /// The connection sent requests faster than allowed; it is closed.
    case rateLimited = "rate-limited"
    /// No complete request arrived in time; the connection is closed.
    case timedOut = "timed-out"
    /// The server already serves its maximum of connections, each answering a request; this
    /// one is closed.
    case tooManyConnections = "too-many-connections"
    /// The caller's uid already holds its maximum of connections; this one is closed and
    /// nobody is evicted for it. Closing one of the uid's own connections makes room.
    case tooManyConnectionsForUID = "too-many-connections-for-uid"
    /// Every slot was taken when a new client arrived, and this connection had waited longest
    /// for a complete request among those of the uid holding the most slots: it is closed to
    /// make room (a request it had sent whole is answered first).
    case evicted = "evicted"
    /// The method's reply could not be encoded.
    case internalError = "internal-error"
}

/// JSON ↔ frame bytes, shared by requests and replies.
enum FrameCodec {
    /// Replies come from the daemon, which the client trusts more, but still not unbounded.
    static let replyMaxDepth = 128

    static func frame(_ value: JSONValue) throws(ProtocolError) -> [UInt8] {
        var bytes: [UInt8]
        do {
            bytes = Array(try JSONValue.makeEncoder().encode(value))
        } catch {
            throw .unencodable(String(describing: error))
        }
        // JSONEncoder escapes control characters, so a NUL can only be the terminator.
        bytes.append(0)
        return bytes
    }

    static func decodeObject(_ frame: some Collection<UInt8>, maxDepth: Int) throws(ProtocolError) -> [String: JSONValue] {
        guard !frame.isEmpty else { throw .emptyFrame }
        guard nestingDepth(of: frame, exceeds: maxDepth) == false else { throw .tooDeep(limit: maxDepth) }
        let value: JSONValue
        do {
            value = try JSONValue.makeDecoder().decode(JSONValue.self, from: Data(frame))
        } catch {
            throw .malformedJSON(briefly(error))
        }
        switch value {
        case .object(let members): return members
        case .null: throw .notAnObject("null")
        case .bool: throw .notAnObject("a boolean")
        case .number: throw .notAnObject("a number")
        case .string: throw .notAnObject("a string")
        case .array: throw .notAnObject("an array")
        }
    }

    /// Scans the raw bytes (outside strings) for `[` and `{` nesting deeper than `limit`,
    /// so the recursive parser never sees a hostile depth.
    static func nestingDepth(of bytes: some Collection<UInt8>, exceeds limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default: break
            }
        }
        return false
    }

    /// The parser's complaint in one short line.
    private static func briefly(_ error: any Error) -> String {
        let text: String
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context):
                text = (context.underlyingError.map { String(describing: $0) }) ?? context.debugDescription
            default:
                text = context(of: decoding)
            }
        } else {
            text = String(describing: error)
        }
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }

    private static func context(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }
}
