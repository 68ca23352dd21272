#if canImport(Glibc)
import Glibc
#endif

/// Reads typed values off the fuzzer's bytes, front to back. When the bytes run out every
/// read returns zero/false/empty, so any input is a valid (if short) program.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var position = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isEmpty: Bool { position >= bytes.count }
    public var remaining: Int { max(0, bytes.count - position) }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A little-endian unsigned integer of `width` bytes (1…8).
    public mutating func uint(width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(byte()) << UInt64(8 * i) }
        return v
    }

    public mutating func uint16() -> UInt16 { UInt16(truncatingIfNeeded: uint(width: 2)) }
    public mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: uint(width: 4)) }
    public mutating func uint64() -> UInt64 { uint(width: 8) }

    /// `count` bytes (fewer when the input runs out).
    public mutating func take(_ count: Int) -> [UInt8] {
        let n = min(count, remaining)
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// A length byte, then that many bytes.
    public mutating func chunk(max: Int = 255) -> [UInt8] { take(Int(byte()) % (max + 1)) }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] { take(remaining) }
}

/// A property failed: stop with a message libFuzzer shows next to the crashing input.
public func violated(_ property: String, _ detail: @autoclosure () -> String = "",
                     file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("PROPERTY VIOLATED: \(property)\(detail().isEmpty ? "" : " — \(detail())")", file: file, line: line)
}

/// `check(cond, "property")`: `violated` unless `cond`.
@inline(__always)
public func check(_ condition: Bool, _ property: String, _ detail: @autoclosure () -> String = "",
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition { violated(property, detail(), file: file, line: line) }
}

/// libFuzzer's entry for programs that have their own `main` (compiler-rt, LLVM ≥ 11).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Hands the process to libFuzzer with `callback` as the target.
///
/// SwiftPM links every executable with `main` aliased to the module's entry point (so
/// executables can be tested), which keeps libFuzzer's own `main` out of the link; so each
/// target has an `@main` that calls this instead.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}


/// The fuzz callback's pointer may be nil for an empty input.
public func withInput<R>(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (inout FuzzInput) -> R) -> R {
    var input = data.map { FuzzInput($0, size) } ?? FuzzInput(bytes: [])
    return body(&input)
}
