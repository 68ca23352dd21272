/// A frame exceeded the size limit; the connection cannot be resynchronised and is closed.
public enum FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More than `limit` bytes arrived without a NUL terminator.
    case tooLarge(limit: Int)

    /// One line for a log or an error reply.
    public var description: String {
        switch self {
        case .tooLarge(let limit): return "request too large (limit \(limit) bytes)"
        }
    }
}

/// Incremental NUL framing: bytes go in as they arrive, complete frames come out.
///
/// Pure: no I/O. A frame is every byte before a NUL (the NUL is not part of it). A frame
/// longer than ``maxFrameSize`` is refused as soon as that many bytes are buffered without
/// a terminator, so a peer can never make the reader hold more than the limit plus one read.
/// After ``FrameError/tooLarge(limit:)`` the reader stays failed.
public struct FrameReader: Sendable {
    /// The default limit: 64 KiB.
    public static let defaultMaxFrameSize = 64 * 1024

    /// The largest frame accepted, excluding its NUL terminator.
    public let maxFrameSize: Int

    private var buffer: [UInt8] = []
    /// Start of the first frame not yet returned.
    private var start = 0
    /// Bytes before this index (from `start`) are known to hold no NUL.
    private var scanned = 0
    private var failed = false

    /// A reader that refuses frames longer than `maxFrameSize` bytes.
    public init(maxFrameSize: Int = FrameReader.defaultMaxFrameSize) {
        precondition(maxFrameSize > 0, "maxFrameSize must be positive")
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether a frame has begun but not ended (a peer that closes now left a partial request).
    public var hasPartialFrame: Bool { bufferedByteCount > 0 }

    /// Adds received bytes. Call ``nextFrame()`` until it returns `nil` afterwards.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard !failed else { return }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, `nil` when none is complete yet.
    public mutating func nextFrame() throws(FrameError) -> [UInt8]? {
        guard !failed else { throw .tooLarge(limit: maxFrameSize) }
        if let end = buffer[scanned...].firstIndex(of: 0) {
            guard end - start <= maxFrameSize else { try fail() }
            let frame = Array(buffer[start..<end])
            start = end + 1
            scanned = start
            compactIfWorthwhile()
            return frame
        }
        scanned = buffer.count
        guard buffer.count - start <= maxFrameSize else { try fail() }
        return nil
    }

    /// Appends `bytes` and returns every frame now complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(FrameError) -> [[UInt8]] {
        append(bytes)
        var frames: [[UInt8]] = []
        while let frame = try nextFrame() { frames.append(frame) }
        return frames
    }

    private mutating func fail() throws(FrameError) -> Never {
        failed = true
        buffer = []
        start = 0
        scanned = 0
        throw .tooLarge(limit: maxFrameSize)
    }

    // Dropping consumed bytes costs a copy; do it once they are most of the buffer.
    private mutating func compactIfWorthwhile() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if start > 4096, start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
        } else {
            return
        }
        scanned -= start
        start = 0
    }
}
