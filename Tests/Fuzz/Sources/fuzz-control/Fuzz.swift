// Fuzz target: the control socket's request reader — NUL framing with its size limit
// (`FrameReader`), then each frame as a request (`ControlRequest(frame:)`: depth limit, JSON,
// shape, method name, parameters), and the client's reply parser (`ControlReply(frame:)`).
//
// Input: byte 0 picks the size limit, byte 1 seeds how the rest is cut into reads (as a
// socket would deliver it); the rest is the byte stream a client sent.
// Properties:
//   - framing matches a reference split on NUL, however the stream is cut into reads; no
//     frame holds a NUL or exceeds the limit; the reader never buffers more than the limit;
//     a frame over the limit fails the reader for good (and only then);
//   - a rejected frame changes nothing: the frames after it come out the same;
//   - an accepted request has a valid method name, only `method`/`parameters`, nesting
//     within the limit, and round-trips: framed() parses back to the same request;
//   - an error is one line of bounded length (it goes into a reply and the journal).
import DoseCabControl
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = data.map { FuzzInput($0, size) } ?? FuzzInput(bytes: [])
    let limits = [FrameReader.defaultMaxFrameSize, 1, 2, 7, 16, 64, 256, 1024]
    let limit = limits[Int(input.byte()) % limits.count]
    var cut = UInt64(input.byte()) | 1
    let stream = input.rest()

    // Reference: split on NUL; the first frame over the limit (terminated or not) fails.
    var expected: [[UInt8]] = []
    var expectFailure = false
    var current: [UInt8] = []
    for b in stream {
        if b == 0 {
            if current.count > limit { expectFailure = true; break }
            expected.append(current)
            current = []
        } else {
            current.append(b)
            if current.count > limit { expectFailure = true; break }
        }
    }

    var reader = FrameReader(maxFrameSize: limit)
    var got: [[UInt8]] = []
    var failed = false
    var offset = 0
    reads: while offset < stream.count {
        // Read sizes 1…~300 bytes, from a tiny LCG seeded by the input.
        cut = cut &* 6364136223846793005 &+ 1442695040888963407
        let n = min(stream.count - offset, 1 + Int((cut >> 33) % 300))
        reader.append(stream[offset..<offset + n])
        offset += n
        while true {
            do {
                guard let frame = try reader.nextFrame() else { break }
                check(!frame.contains(0), "a frame holds no NUL")
                check(frame.count <= limit, "a frame is within the limit", "\(frame.count) > \(limit)")
                got.append(frame)
            } catch {
                failed = true
                check(error == .tooLarge(limit: limit), "the only framing error is the size limit")
                break reads
            }
        }
        check(reader.bufferedByteCount <= limit, "the reader never buffers more than the limit",
              "\(reader.bufferedByteCount) > \(limit)")
    }
    if failed {
        check(expectFailure, "the reader fails only on a frame over the limit")
        check(got == Array(expected.prefix(got.count)) && got.count == expected.count,
              "frames before an oversize frame all come out, in order")
        // Failed for good.
        reader.append([0x7B, 0x7D, 0])
        do { _ = try reader.nextFrame(); violated("a failed reader stays failed") } catch {}
    } else {
        check(!expectFailure, "an oversize frame fails the reader")
        check(got == expected, "frames match the reference split, whatever the read sizes")
        check(reader.bufferedByteCount == current.count, "the unterminated tail stays buffered")
        check(reader.hasPartialFrame == !current.isEmpty, "hasPartialFrame says whether a tail is buffered")
    }

    // Each frame as a request: judged alone, so a rejected one cannot affect the next.
    for frame in got.prefix(64) {
        judgeRequest(frame)
        judgeReply(frame)
    }
    // And the whole stream as one frame (most fuzz inputs carry no NUL at all).
    if !stream.contains(0), stream.count <= FrameReader.defaultMaxFrameSize {
        judgeRequest(stream)
        judgeReply(stream)
    }
    return 0
}

func depth(_ v: JSONValue) -> Int {
    switch v {
    case .array(let a): 1 + (a.map(depth).max() ?? 0)
    case .object(let o): 1 + (o.values.map(depth).max() ?? 0)
    default: 0
    }
}

func validMethod(_ s: String) -> Bool {
    let b = Array(s.utf8)
    return (1...64).contains(b.count) && b.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
}

func judgeRequest(_ frame: [UInt8]) {
    let request: ControlRequest
    do {
        request = try ControlRequest(frame: frame)
    } catch {
        let text = error.description
        check(!text.contains("\n") && !text.contains("\r"), "a protocol error is one line", text)
        check(text.utf8.count <= 1024, "a protocol error is short", "\(text.utf8.count) bytes")
        if frame.isEmpty { check(error == .emptyFrame, "an empty frame is reported as such") }
        return
    }
    check(!frame.isEmpty, "an empty frame is never a request")
    check(validMethod(request.method), "an accepted method name is [a-z0-9.-]{1,64}", request.method)
    check(MethodName.isValid(request.method), "MethodName agrees")
    check(1 + depth(.object(request.parameters)) <= ControlRequest.maxDepth,
          "an accepted request nests within the limit")
    // Round trip: what the client library would send for it parses back to the same request.
    let framed: [UInt8]
    do { framed = try request.framed() } catch {
        violated("an accepted request can be framed again", "\(error)")
    }
    check(framed.last == 0 && framed.dropLast().allSatisfy { $0 != 0 }, "framed() ends with the only NUL")
    do {
        let again = try ControlRequest(frame: framed.dropLast())
        check(again == request, "an accepted request round-trips", "\(request) → \(again)")
    } catch {
        violated("a re-framed request parses", "\(error)")
    }
}

func judgeReply(_ frame: [UInt8]) {
    guard let reply = try? ControlReply(frame: frame) else { return }
    guard let framed = try? reply.framed() else { return } // a NaN/∞ cannot come from JSON
    do {
        let again = try ControlReply(frame: framed.dropLast())
        check(again == reply, "an accepted reply round-trips")
    } catch {
        violated("a re-framed reply parses", "\(error)")
    }
}

@main enum Main {
    static func main() { runFuzzer(fuzz) }
}
