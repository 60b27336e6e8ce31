import Testing

@testable import AssistBackends

/// Feeds a text to a fresh SSE parser in pieces of a given size.
private func sse(_ text: String, pieceSize: Int? = nil) -> (events: [SSEEvent], partial: Bool) {
    var parser = SSEParser()
    let bytes = Array(text.utf8)
    var events: [SSEEvent] = []
    let size = pieceSize ?? max(1, bytes.count)
    var start = 0
    while start < bytes.count {
        events += parser.feed(bytes[start..<min(bytes.count, start + size)])
        start += size
    }
    return (events, parser.hasPartialEvent)
}

@Suite struct SSEParserTests {
    static let cases: [(name: String, input: String, expected: [SSEEvent])] = [
        ("one event", "data: hello\n\n", [SSEEvent(data: "hello")]),
        ("CRLF line ends", "data: a\r\n\r\ndata: b\r\n\r\n", [SSEEvent(data: "a"), SSEEvent(data: "b")]),
        ("CR line ends", "data: a\r\rdata: b\r\r", [SSEEvent(data: "a"), SSEEvent(data: "b")]),
        ("event type", "event: message_start\ndata: {}\n\n", [SSEEvent(event: "message_start", data: "{}")]),
        ("comment ignored", ": keep-alive\n\ndata: x\n\n", [SSEEvent(data: "x")]),
        ("comment inside an event", "data: x\n: ping\ndata: y\n\n", [SSEEvent(data: "x\ny")]),
        ("multi-line data", "data: one\ndata: two\ndata:\n\n", [SSEEvent(data: "one\ntwo\n")]),
        ("no space after colon", "data:tight\n\n", [SSEEvent(data: "tight")]),
        ("only one space dropped", "data:  two spaces\n\n", [SSEEvent(data: " two spaces")]),
        ("field without colon", "data\n\n", [SSEEvent(data: "")]),
        ("event without data is dropped", "event: ping\n\n", []),
        ("id kept for later events", "id: 7\ndata: a\n\ndata: b\n\n", [SSEEvent(data: "a", id: "7"), SSEEvent(data: "b", id: "7")]),
        ("retry and unknown fields ignored", "retry: 10\nfoo: bar\ndata: z\n\n", [SSEEvent(data: "z")]),
        ("DONE is plain data", "data: {\"a\":1}\n\ndata: [DONE]\n\n", [SSEEvent(data: "{\"a\":1}"), SSEEvent(data: "[DONE]")]),
        ("colon in the value", "data: {\"k\": \"v:w\"}\n\n", [SSEEvent(data: "{\"k\": \"v:w\"}")]),
        ("UTF-8 kept", "data: é 🙂\n\n", [SSEEvent(data: "é 🙂")]),
        ("byte order mark skipped", "\u{FEFF}data: a\n\n", [SSEEvent(data: "a")]),
        ("blank lines between events", "\n\n\ndata: a\n\n\n\n", [SSEEvent(data: "a")]),
    ]

    @Test(arguments: cases.indices)
    func wholeInput(_ index: Int) {
        let item = Self.cases[index]
        #expect(sse(item.input).events == item.expected, "\(item.name)")
    }

    @Test(arguments: cases.indices)
    func byteAtATime(_ index: Int) {
        let item = Self.cases[index]
        #expect(sse(item.input, pieceSize: 1).events == item.expected, "\(item.name)")
    }

    @Test(arguments: [2, 3, 5, 7])
    func piecesOfEverySize(_ size: Int) {
        let text = "event: a\r\ndata: x\r\n\r\n: c\r\ndata: y\r\ndata: z\r\n\r\n"
        #expect(sse(text, pieceSize: size).events == [SSEEvent(event: "a", data: "x"), SSEEvent(data: "y\nz")])
    }

    @Test func crlfSplitBetweenReadsIsOneLineEnd() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        // The \n completing the \r must not count as a blank line that dispatches early.
        #expect(parser.feed(Array("\ndata: b\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r\n".utf8)) == [SSEEvent(data: "a\nb")])
    }

    @Test func unfinishedEventIsReportedAsPartial() {
        #expect(sse("data: a\n\ndata: cut").partial)
        #expect(sse("data: a\n\ndata: b\n").partial)
        #expect(!sse("data: a\n\n").partial)
        #expect(sse("data: a\n\ndata: cut").events == [SSEEvent(data: "a")])
    }
}

@Suite struct NDJSONSplitterTests {
    static let cases: [(input: String, lines: [String], last: String?)] = [
        ("{\"a\":1}\n{\"b\":2}\n", ["{\"a\":1}", "{\"b\":2}"], nil),
        ("{\"a\":1}\r\n\r\n{\"b\":2}", ["{\"a\":1}"], "{\"b\":2}"),
        ("\n  \n{\"a\":1}\n", ["{\"a\":1}"], nil),
        ("{\"a\":\"x\\ny\"}\n", ["{\"a\":\"x\\ny\"}"], nil),
        ("", [], nil),
    ]

    @Test(arguments: cases.indices, [1, 2, 1000])
    func splits(_ index: Int, pieceSize: Int) {
        let item = Self.cases[index]
        var splitter = NDJSONSplitter()
        let bytes = Array(item.input.utf8)
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            lines += splitter.feed(bytes[start..<min(bytes.count, start + pieceSize)]).map { String(decoding: $0, as: UTF8.self) }
            start += pieceSize
        }
        #expect(lines == item.lines)
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == item.last)
    }
}
