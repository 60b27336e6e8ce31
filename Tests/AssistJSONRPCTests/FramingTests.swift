import AssistProtocol
import Testing

@testable import AssistJSONRPC

/// Feeds `input` to a decoder in chunks of `chunkSize` bytes and collects every event, plus the
/// verdict at end of input.
private func decodeAll(_ input: [UInt8], chunkSize: Int = .max, maxMessageBytes: Int = 1 << 20) -> (events: [FrameEvent], end: FramingError?) {
    var decoder = FrameDecoder(maxMessageBytes: maxMessageBytes)
    var events: [FrameEvent] = []
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + max(1, min(chunkSize, input.count)))
        decoder.append(input[offset..<end])
        offset = end
        while let event = decoder.next() { events.append(event) }
    }
    return (events, decoder.finish())
}

private func message(_ text: String) -> FrameEvent { .message(Array(text.utf8)) }
private func frame(_ body: String) -> String { "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" }

struct FramingCase: CustomTestStringConvertible, Sendable {
    var name: String
    var input: String
    var events: [FrameEvent]
    var end: FramingError? = nil
    var testDescription: String { name }
}

private let ok = #"{"jsonrpc":"2.0","method":"initialized"}"#

@Suite("Framing")
struct FramingTests {
    static let cases: [FramingCase] = [
        FramingCase(name: "one frame", input: frame(ok), events: [message(ok)]),
        FramingCase(name: "empty body", input: "Content-Length: 0\r\n\r\n", events: [message("")]),
        FramingCase(name: "content-type with utf-8 charset", input: "Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}", events: [message("{}")]),
        FramingCase(name: "legacy utf8 charset", input: "Content-Type: application/vscode-jsonrpc; charset=utf8\r\nContent-Length: 2\r\n\r\n{}", events: [message("{}")]),
        FramingCase(name: "header names are case-insensitive", input: "content-LENGTH: 2\r\n\r\n{}", events: [message("{}")]),
        FramingCase(name: "unknown headers are ignored", input: "X-Trace: 1\r\nContent-Length: 2\r\n\r\n{}", events: [message("{}")]),
        FramingCase(name: "spaces around the value", input: "Content-Length:    2  \r\n\r\n{}", events: [message("{}")]),
        FramingCase(name: "several frames in one read", input: frame("[1]") + frame(ok) + frame("{}"), events: [message("[1]"), message(ok), message("{}")]),
        FramingCase(name: "multi-byte body counted in bytes", input: frame(#""héllo 🌍""#), events: [message(#""héllo 🌍""#)]),
        FramingCase(name: "missing Content-Length, then a good frame", input: "Content-Type: x\r\n\r\n{}" + frame("[2]"), events: [.error(.missingContentLength), message("[2]")]),
        FramingCase(name: "non-numeric Content-Length", input: "Content-Length: twelve\r\n\r\n{}" + frame("[3]"), events: [.error(.invalidContentLength("twelve")), message("[3]")]),
        FramingCase(name: "negative Content-Length", input: "Content-Length: -5\r\n\r\n{}" + frame("[4]"), events: [.error(.invalidContentLength("-5")), message("[4]")]),
        FramingCase(name: "empty Content-Length", input: "Content-Length: \r\n\r\n" + frame("[5]"), events: [.error(.invalidContentLength("")), message("[5]")]),
        FramingCase(name: "overflowing Content-Length", input: "Content-Length: 99999999999999999999999\r\n\r\n" + frame("[6]"), events: [.error(.invalidContentLength("99999999999999999999999")), message("[6]")]),
        FramingCase(name: "conflicting Content-Length headers", input: "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}" + frame("[7]"), events: [.error(.invalidContentLength("3")), message("[7]")]),
        FramingCase(name: "header line without a colon", input: "Content-Length 2\r\n\r\n{}" + frame("[8]"), events: [.error(.malformedHeaderLine("Content-Length 2")), message("[8]")]),
        FramingCase(name: "unsupported charset skips the body", input: "Content-Length: 2\r\nContent-Type: application/json; charset=latin1\r\n\r\n{}" + frame("[9]"), events: [.error(.unsupportedCharset("latin1")), message("[9]")]),
        FramingCase(name: "too large is skipped, not kept", input: "Content-Length: 2000000\r\n\r\n" + String(repeating: "x", count: 2_000_000) + frame("[10]"), events: [.error(.messageTooLarge(length: 2_000_000, limit: 1 << 20)), message("[10]")]),
        FramingCase(name: "body shorter than announced, then EOF", input: "Content-Length: 10\r\n\r\n{}", events: [], end: .truncated(expected: 10, received: 2)),
        FramingCase(name: "header cut short by EOF", input: "Content-Len", events: [], end: .truncated(expected: 0, received: 0)),
        FramingCase(name: "EOF inside a skipped body", input: "Content-Length: 2000000\r\n\r\nxyz", events: [.error(.messageTooLarge(length: 2_000_000, limit: 1 << 20))], end: .truncated(expected: 2_000_000, received: 3)),
        FramingCase(name: "stray line breaks between frames", input: frame("[11]") + "\r\n" + frame("[12]"), events: [message("[11]"), message("[12]")]),
        FramingCase(name: "trailing blank line at EOF is fine", input: frame("[13]") + "\r\n", events: [message("[13]")]),
        FramingCase(name: "garbage before a frame resynchronises", input: "garbage\r\n\r\n" + frame("[14]"), events: [.error(.malformedHeaderLine("garbage")), message("[14]")]),
    ]

    @Test("table", arguments: cases)
    func table(_ testCase: FramingCase) {
        let result = decodeAll(Array(testCase.input.utf8))
        #expect(result.events == testCase.events)
        #expect(result.end == testCase.end)
    }

    @Test("byte at a time gives the same events", arguments: cases)
    func byteAtATime(_ testCase: FramingCase) {
        let result = decodeAll(Array(testCase.input.utf8), chunkSize: 1)
        #expect(result.events == testCase.events)
        #expect(result.end == testCase.end)
    }

    @Test("every split point gives the same events")
    func everySplitPoint() {
        let input = Array((frame(ok) + "Content-Length: x\r\n\r\n{}" + frame("[1]") + frame(#"{"a":"é"}"#)).utf8)
        let expected = decodeAll(input).events
        #expect(expected.count == 4)
        for split in 1..<input.count {
            var decoder = FrameDecoder()
            var events: [FrameEvent] = []
            decoder.append(input[..<split])
            while let event = decoder.next() { events.append(event) }
            decoder.append(input[split...])
            while let event = decoder.next() { events.append(event) }
            #expect(events == expected, "split at \(split)")
            #expect(decoder.finish() == nil)
        }
    }

    @Test("a skipped oversized body is never buffered")
    func oversizedBodyIsNotBuffered() {
        var decoder = FrameDecoder(maxMessageBytes: 1024)
        decoder.append(Array("Content-Length: 100000000\r\n\r\n".utf8))
        #expect(decoder.next() == .error(.messageTooLarge(length: 100_000_000, limit: 1024)))
        let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<95 {
            decoder.append(chunk)
            #expect(decoder.next() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
        decoder.append([UInt8](repeating: 0x61, count: 100_000_000 - 95 << 20) + Array(frame("[1]").utf8))
        #expect(decoder.next() == message("[1]"))
    }

    @Test("a header block over the limit is an error, then the stream resynchronises")
    func headerTooLong() {
        let input = Array(("X-Junk: " + String(repeating: "a", count: 10_000)).utf8) + Array(frame("[1]").utf8)
        let result = decodeAll(input)
        #expect(result.events.first == .error(.headerTooLong(limit: 8 << 10)))
        #expect(result.events.last == message("[1]"))
    }

    @Test("a 10 MiB body in one frame")
    func largeBody() {
        let body = "\"" + String(repeating: "z", count: 10 << 20) + "\""
        let result = decodeAll(Array(frame(body).utf8), chunkSize: 65536, maxMessageBytes: 64 << 20)
        #expect(result.events == [message(body)])
    }

    @Test("encodeFrame round-trips")
    func encodeRoundTrip() {
        let bodies = ["{}", ok, "[\"ünïcödé\"]", ""]
        let input = bodies.flatMap { encodeFrame(Array($0.utf8)) }
        #expect(decodeAll(input, chunkSize: 3).events == bodies.map(message))
        #expect(String(decoding: encodeFrame(Array("{}".utf8)), as: UTF8.self) == "Content-Length: 2\r\n\r\n{}")
    }

    @Test("parseHeader is pure and reports the header length")
    func parseHeader() {
        let bytes = Array("Content-Length: 5\r\n\r\nhello".utf8)
        #expect(FrameDecoder.parseHeader(bytes[...]) == .header(FrameHeader(contentLength: 5, contentType: nil), length: 21))
        #expect(FrameDecoder.parseHeader(bytes[..<20]) == .needMoreBytes)
    }
}
