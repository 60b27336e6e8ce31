// libFuzzer target for `FrameDecoder` (LSP base-protocol framing). Built by `scripts/fuzz`.
//
// Input layout: byte 0 picks the largest chunk size, byte 1 seeds the chunk-size sequence (0: every
// chunk has the largest size), byte 2 picks the limits (maxMessageBytes, maxHeaderBytes); the rest
// is the byte stream. Properties checked, each with a trap that libFuzzer reports as a crash:
//   1. every `.message` body is at most maxMessageBytes long;
//   2. `bufferedByteCount` never exceeds maxMessageBytes + maxHeaderBytes + the last chunk's size,
//      and once `next()` answers nil it is below one body or one header block;
//   3. chunked, byte-at-a-time and all-at-once feeding give the same events and the same `finish()`;
//   4. frames built with `encodeFrame` from bodies taken from the input decode back to exactly those
//      bodies (a body over the limit to one `.messageTooLarge`), with `finish() == nil`.

import AssistJSONRPC

private let messageLimits = [16, 256, 4096]
private let headerLimits = [32, 256, 8 << 10]

/// Traps with a message (kept in -O builds, unlike `precondition`'s).
@inline(never)
private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("FrameDecoder property violated: \(message())") }
}

/// Chunk sizes derived from the input's prefix.
private struct Chunker {
    var largest: Int
    var seed: UInt32

    init(selector: UInt8, seed: UInt8) {
        // 1...200 bytes, then coarser steps up to 7 KiB, so both the byte-level paths and the
        // "a chunk holds several frames / the rest of a skipped body and more" paths are reached.
        largest = selector < 200 ? Int(selector) + 1 : (Int(selector) - 199) * 128
        self.seed = UInt32(seed) &* 0x9E37_79B9 | UInt32(seed)
    }

    static let byteAtATime = Chunker(largest: 1)
    static func whole(_ count: Int) -> Chunker { Chunker(largest: max(count, 1)) }

    private init(largest: Int) {
        self.largest = largest
        seed = 0
    }

    mutating func next() -> Int {
        guard seed != 0 else { return largest }
        seed ^= seed << 13
        seed ^= seed >> 17
        seed ^= seed << 5
        return 1 + Int(seed % UInt32(largest))
    }
}

private struct Outcome: Equatable {
    var events: [FrameEvent] = []
    var finish: FramingError?
}

/// Where two outcomes part, in a few lines.
private func difference(_ a: Outcome, _ b: Outcome) -> String {
    func show(_ event: FrameEvent?) -> String {
        switch event {
        case nil: "(none)"
        case .message(let body)?: "message of \(body.count) bytes"
        case .error(let error)?: "error \(error)"
        }
    }
    let common = min(a.events.count, b.events.count)
    let firstDifference = (0..<common).first { a.events[$0] != b.events[$0] }
    if let index = firstDifference ?? (a.events.count != b.events.count ? common : nil) {
        let left = index < a.events.count ? a.events[index] : nil
        let right = index < b.events.count ? b.events[index] : nil
        return "event \(index) of \(a.events.count) vs \(b.events.count): \(show(left)) vs \(show(right))"
    }
    return "finish() \(String(describing: a.finish)) vs \(String(describing: b.finish))"
}

private func decode(
    _ stream: ArraySlice<UInt8>, _ chunker: Chunker, maxMessageBytes: Int, maxHeaderBytes: Int
) -> Outcome {
    var chunker = chunker
    var decoder = FrameDecoder(maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
    var outcome = Outcome()
    // What may stay buffered once `next()` answers nil: less than one body, one header block (its
    // terminator included), or the tail kept while looking for the next "Content-Length".
    let drainedBound = max(maxMessageBytes - 1, maxHeaderBytes + 3, 13)
    var offset = stream.startIndex
    while offset < stream.endIndex {
        let size = min(chunker.next(), stream.endIndex - offset)
        decoder.append(stream[offset..<offset + size])
        offset += size
        let bound = maxMessageBytes + maxHeaderBytes + size
        check(decoder.bufferedByteCount <= bound,
              "\(decoder.bufferedByteCount) bytes buffered after a chunk of \(size) (bound \(bound))")
        while let event = decoder.next() {
            if case .message(let body) = event {
                check(body.count <= maxMessageBytes, "a body of \(body.count) bytes (limit \(maxMessageBytes))")
            }
            check(decoder.bufferedByteCount <= bound,
                  "\(decoder.bufferedByteCount) bytes buffered while draining (bound \(bound))")
            outcome.events.append(event)
        }
        check(decoder.bufferedByteCount <= drainedBound,
              "\(decoder.bufferedByteCount) bytes buffered after draining (bound \(drainedBound))")
    }
    outcome.finish = decoder.finish()
    return outcome
}

/// Splits `payload` into bodies: two bytes of length (little-endian) then that many bytes; a body
/// longer than what is left is padded with a pattern, so bodies over the limit need no long input.
private func bodies(from payload: ArraySlice<UInt8>, maxMessageBytes: Int) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var cursor = payload.startIndex
    while payload.endIndex - cursor >= 2, result.count < 32 {
        let raw = Int(payload[cursor]) | Int(payload[cursor + 1]) << 8
        cursor += 2
        // Mostly within the limit; about one in eight over it (by up to the limit again).
        let length = raw & 7 == 7 ? maxMessageBytes + 1 + (raw >> 3) % maxMessageBytes : (raw >> 3) % (maxMessageBytes + 1)
        let taken = min(length, payload.endIndex - cursor)
        var body = Array(payload[cursor..<cursor + taken])
        cursor += taken
        while body.count < length { body.append(UInt8(truncatingIfNeeded: body.count &* 31 &+ raw)) }
        result.append(body)
    }
    return result
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let chunker = Chunker(selector: input[0], seed: input[1])
    let maxMessageBytes = messageLimits[Int(input[2]) % messageLimits.count]
    let maxHeaderBytes = headerLimits[Int(input[2] / 3) % headerLimits.count]
    let stream = input[3...]

    // 1–3: arbitrary bytes.
    let chunked = decode(stream, chunker, maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
    let byByte = decode(stream, .byteAtATime, maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
    check(chunked == byByte, "chunked vs byte-at-a-time feeding: \(difference(chunked, byByte))")
    let whole = decode(stream, .whole(stream.count), maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
    check(chunked == whole, "chunked vs all-at-once feeding: \(difference(chunked, whole))")

    // 4: well-formed frames round-trip.
    let framed = bodies(from: stream, maxMessageBytes: maxMessageBytes)
    let wire = framed.flatMap { encodeFrame($0) }
    var expected = Outcome()
    expected.events = framed.map {
        $0.count <= maxMessageBytes
            ? .message($0) : .error(.messageTooLarge(length: $0.count, limit: maxMessageBytes))
    }
    let roundTrip = decode(wire[...], chunker, maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
    check(roundTrip == expected, "encodeFrame round trip of bodies sized \(framed.map(\.count)): \(difference(roundTrip, expected))")
    return 0
}
