/// One server-sent event: the fields of the lines before a blank line.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, or `nil` when absent (a plain "message").
    public var event: String?
    /// The `data:` lines joined with line feeds.
    public var data: String
    /// The `id:` field, or `nil` when absent.
    public var id: String?

    /// Creates an event.
    /// - Parameters:
    ///   - event: The event type, or `nil`.
    ///   - data: The data.
    ///   - id: The id, or `nil`.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental parser of a `text/event-stream` body (the WHATWG server-sent events format).
///
/// Bytes may be fed in pieces of any size: an event, a line or a `\r\n` may be split across reads.
/// Lines end with `\r\n`, `\n` or `\r`; lines starting with `:` are comments; a line without a
/// colon is a field with an empty value; one space after the colon is dropped; several `data:`
/// lines join with `\n`; a blank line dispatches the event, unless it has no data field; a
/// leading UTF-8 byte order mark is skipped.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var skipLineFeed = false
    private var event: String?
    private var data: String?
    private var id: String?
    /// How many bytes of a leading UTF-8 byte order mark have been matched; `nil` once past it.
    private var byteOrderMark: Int? = 0

    /// Creates a parser.
    public init() {}

    /// Whether bytes of an unfinished event are buffered: after the body ends, that means the
    /// stream was cut in the middle of an event.
    public var hasPartialEvent: Bool { !line.isEmpty || data != nil || event != nil }

    /// Feeds bytes of the body.
    /// - Parameter bytes: The next bytes, in order.
    /// - Returns: The events completed by these bytes, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in bytes {
            if let matched = byteOrderMark {
                let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
                if byte == mark[matched] {
                    byteOrderMark = matched + 1 == mark.count ? nil : matched + 1
                    continue
                }
                byteOrderMark = nil
                line += mark[..<matched]
            }
            if skipLineFeed {
                skipLineFeed = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\r"):
                skipLineFeed = true
                if let event = endLine() { events.append(event) }
            case UInt8(ascii: "\n"):
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> SSEEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer { event = nil; data = nil }
            guard let data else { return nil }
            return SSEEvent(event: event, data: data, id: id)
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: String
        var value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var start = colon + 1
            if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
            value = String(decoding: line[start...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data": data = data.map { $0 + "\n" + value } ?? value
        case "event": event = value
        case "id": if !value.contains("\0") { id = value }
        default: value = ""  // `retry` and unknown fields are ignored
        }
        return nil
    }
}

/// An incremental splitter of newline-delimited JSON (one JSON value per line).
///
/// Bytes may be fed in pieces of any size. Lines end with `\n`; a `\r` before it is dropped;
/// blank lines are skipped.
public struct NDJSONSplitter: Sendable {
    private var line: [UInt8] = []

    /// Creates a splitter.
    public init() {}

    /// Whether bytes of an unfinished line are buffered.
    public var hasPartialLine: Bool { line.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") } }

    /// Feeds bytes of the body.
    /// - Parameter bytes: The next bytes, in order.
    /// - Returns: The lines completed by these bytes, without their line ends.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) { lines.append(line) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        return lines
    }

    /// Ends the body: a last line without a line feed is returned as a line.
    /// - Returns: The last line, or `nil` when nothing is buffered.
    public mutating func finish() -> [UInt8]? {
        defer { line.removeAll() }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) ? line : nil
    }
}
