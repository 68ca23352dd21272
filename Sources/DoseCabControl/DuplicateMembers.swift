import Foundation

/// Finds a member named twice in one JSON object. Foundation's parsers keep one of the two
/// silently, so a request could carry `"method"` twice and a reviewer of the frame read the
/// other one than the daemon acted on (issue 18.13). Run on bytes that already parsed as JSON:
/// only the structure is tracked here, never validated.
enum DuplicateMembers {
    /// The first member name that appears twice in the same object, at any depth.
    static func first(in bytes: some Collection<UInt8>) -> String? {
        // One entry per open array or object: the names seen so far (nil for an array) and
        // whether the next string is a member name.
        var open: [(names: Set<String>?, expectingName: Bool)] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): open.append((names: [], expectingName: true))
            case UInt8(ascii: "["): open.append((names: nil, expectingName: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = open.popLast()
            case UInt8(ascii: ","):
                if open.last?.names != nil { open[open.count - 1].expectingName = true }
            case UInt8(ascii: "\""):
                let start = index
                var escaped = false
                var hasEscape = false
                index = bytes.index(after: index)
                while index != bytes.endIndex {
                    let b = bytes[index]
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true; hasEscape = true } else if b == UInt8(ascii: "\"") { break }
                    index = bytes.index(after: index)
                }
                guard index != bytes.endIndex else { return nil }
                // In place, never copying the set out (a frame may hold thousands of names).
                if !open.isEmpty, open[open.count - 1].expectingName {
                    let name = decodeName(bytes[start...index], hasEscape: hasEscape)
                    open[open.count - 1].expectingName = false
                    if open[open.count - 1].names?.insert(name).inserted == false { return name }
                }
            default: break
            }
            index = bytes.index(after: index)
        }
        return nil
    }

    /// A member name as the parser sees it: escapes resolved (`"\u006dethod"` is `method`).
    private static func decodeName(_ quoted: some Collection<UInt8>, hasEscape: Bool) -> String {
        let inner = quoted.dropFirst().dropLast()
        guard hasEscape else { return String(decoding: inner, as: UTF8.self) }
        return (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: inner, as: UTF8.self)
    }
}
