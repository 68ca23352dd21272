/// The rule for method names, checked before any lookup or dispatch.
public enum MethodName {
    /// The longest method name accepted, in bytes.
    public static let maxLength = 64

    /// Whether `name` is 1 to ``maxLength`` characters of `a-z`, `0-9`, `.` and `-`.
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
    }

    /// Throws ``ProtocolError/invalidMethodName(_:)`` unless ``isValid(_:)``.
    public static func validate(_ name: String) throws(ProtocolError) {
        guard isValid(name) else { throw .invalidMethodName(name) }
    }
}
