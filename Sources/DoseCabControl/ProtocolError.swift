import Foundation

/// Why a control frame was not accepted as a request or reply. Each case says what an
/// operator (or the author of a client) needs to fix, and becomes the `error` of the reply.
public enum ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The frame had no bytes before its NUL terminator.
    case emptyFrame
    /// The frame is not valid UTF-8 JSON; the detail is the parser's complaint.
    case malformedJSON(String)
    /// Arrays and objects nest deeper than the limit.
    case tooDeep(limit: Int)
    /// The frame is valid JSON but not an object; the associated value names what it is.
    case notAnObject(String)
    /// A request object has a member other than `method` and `parameters`.
    case unexpectedMember(String)
    /// An object in a request names the same member twice (issue 18.13: the parser kept one
    /// of them silently, so a frame could say one thing to a reader and another to the daemon).
    case duplicateMember(String)
    /// A request object has no `method`.
    case missingMethod
    /// `method` is not a string.
    case methodNotString
    /// `method` is empty, too long, or uses characters outside `[a-z0-9.-]`.
    case invalidMethodName(String)
    /// `parameters` is present but not a JSON object.
    case parametersNotObject
    /// A reply's `error` is present but not a string.
    case errorNotString
    /// A value could not be encoded as JSON (for example a NaN or infinite number).
    case unencodable(String)

    /// One line for a log or an error reply.
    public var description: String {
        switch self {
        case .emptyFrame:
            return "malformed request: empty frame"
        case .malformedJSON(let detail):
            return "malformed request: not valid JSON (\(detail))"
        case .tooDeep(let limit):
            return "malformed request: JSON nested deeper than \(limit) levels"
        case .notAnObject(let kind):
            return "malformed request: expected a JSON object, got \(kind)"
        case .unexpectedMember(let name):
            return "malformed request: unexpected member \(Self.quoted(name)) (only \"method\" and \"parameters\")"
        case .duplicateMember(let name):
            return "malformed request: member \(Self.quoted(name)) appears more than once in one object"
        case .missingMethod:
            return "malformed request: missing \"method\""
        case .methodNotString:
            return "malformed request: \"method\" must be a string"
        case .invalidMethodName(let name):
            return "malformed request: invalid method name \(Self.quoted(name)) (1 to \(MethodName.maxLength) characters of a-z, 0-9, '.', '-')"
        case .parametersNotObject:
            return "malformed request: \"parameters\" must be a JSON object"
        case .errorNotString:
            return "malformed reply: \"error\" must be a string"
        case .unencodable(let detail):
            return "cannot encode as JSON: \(detail)"
        }
    }

    /// Quotes untrusted text for a message, cut short so a hostile name cannot flood a log.
    static func quoted(_ text: String) -> String {
        let limit = 80
        // Cut by Unicode scalars, not Characters: one letter with thousands of combining marks
        // is a single Character (fuzz finding F2).
        let scalars = text.unicodeScalars
        let cut = scalars.count > limit ? String(String.UnicodeScalarView(scalars.prefix(limit))) + "…" : text
        return "\"" + cut.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == "\\"
                ? String(format: "\\u%04x", scalar.value) : String(scalar)
        }.joined() + "\""
    }
}
