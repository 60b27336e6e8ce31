/// What went wrong while reading a frame. After each one the decoder has resynchronised and
/// reads on.
public enum FramingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The header block had no `Content-Length`.
    case missingContentLength
    /// `Content-Length` was not a non-negative decimal number.
    case invalidContentLength(String)
    /// A header line had no `:`.
    case malformedHeaderLine(String)
    /// The header block grew past the limit without its closing blank line.
    case headerTooLong(limit: Int)
    /// `Content-Type` named a charset other than UTF-8; the body was skipped.
    case unsupportedCharset(String)
    /// The announced body is over the limit; the body is skipped without being kept in memory.
    case messageTooLarge(length: Int, limit: Int)
    /// The input ended inside a frame.
    case truncated(expected: Int, received: Int)

    public var description: String {
        switch self {
        case .missingContentLength:
            "header block without a Content-Length header"
        case .invalidContentLength(let value):
            "Content-Length must be a non-negative decimal number, got '\(value)'"
        case .malformedHeaderLine(let line):
            "malformed header line '\(line)' (expected 'Name: value')"
        case .headerTooLong(let limit):
            "header block longer than \(limit) bytes without a blank line"
        case .unsupportedCharset(let charset):
            "unsupported charset '\(charset)': only utf-8 is accepted"
        case .messageTooLarge(let length, let limit):
            "message of \(length) bytes exceeds the limit of \(limit) bytes (server.maxMessageBytes); it was skipped"
        case .truncated(let expected, let received):
            "input ended inside a frame: \(received) of \(expected) bytes received"
        }
    }
}

/// The parsed header block of one frame.
public struct FrameHeader: Sendable, Hashable {
    public var contentLength: Int
    public var contentType: String?
}

/// The outcome of `parseHeader(_:)` on the start of a buffer.
public enum HeaderParse: Sendable, Hashable {
    /// No complete header block yet.
    case needMoreBytes
    /// A header block of `length` bytes (its closing `\r\n\r\n` included).
    case header(FrameHeader, length: Int)
    /// A complete but unusable header block of `length` bytes.
    case invalid(FramingError, length: Int)
}

/// One thing a `FrameDecoder` read.
public enum FrameEvent: Sendable, Hashable {
    /// A complete body.
    case message([UInt8])
    /// A frame that could not be read; the decoder has skipped it.
    case error(FramingError)
}

/// Splits a byte stream into LSP base-protocol frames (`Content-Length: N\r\n\r\n` + N bytes).
///
/// Pure: it does no IO. Feed it bytes as they arrive with `append(_:)` and take events with `next()`
/// until it answers `nil` ("need more bytes"). It never holds more than one header block, one body
/// within the limit, or the bytes not read yet: a body over the limit is counted off, not kept.
/// After a header block without a usable length it resynchronises at the next `Content-Length`.
public struct FrameDecoder: Sendable {
    /// The largest body accepted, in bytes.
    public var maxMessageBytes: Int
    /// The largest header block accepted, in bytes.
    public var maxHeaderBytes: Int

    private enum State: Sendable {
        case header
        case body(length: Int)
        case skipping(remaining: Int, length: Int)
        case resynchronising
    }

    private var state: State = .header
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the header terminator resumes, so a header fed byte by byte is scanned once.
    private var headerScanFrom = 0

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - maxMessageBytes: The largest body accepted (default 64 MiB).
    ///   - maxHeaderBytes: The largest header block accepted (default 8 KiB).
    public init(maxMessageBytes: Int = 64 << 20, maxHeaderBytes: Int = 8 << 10) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// How many bytes are held and not yet returned.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds bytes read from the stream.
    ///
    /// - Parameter bytes: The bytes, in stream order.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if case .skipping(let remaining, let length) = state, start == buffer.count {
            // Count off a skipped body without buffering it.
            let dropped = min(remaining, bytes.count)
            if dropped == bytes.count {
                state = remaining == dropped ? .header : .skipping(remaining: remaining - dropped, length: length)
                return
            }
            state = .header
            compact()
            buffer.append(contentsOf: bytes.dropFirst(dropped))
            return
        }
        if start > 0, start >= buffer.count / 2 { compact() }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next event, or `nil` when more bytes are needed.
    ///
    /// - Returns: A body or a framing error, or `nil`.
    public mutating func next() -> FrameEvent? {
        while true {
            switch state {
            case .header:
                switch Self.parseHeader(buffer[start...], maxHeaderBytes: maxHeaderBytes, scanFrom: headerScanFrom) {
                case .needMoreBytes:
                    headerScanFrom = max(0, bufferedByteCount - 3)
                    return nil
                case .header(let header, let length):
                    start += length
                    headerScanFrom = 0
                    if let charset = Self.charset(of: header.contentType), !Self.isUTF8(charset) {
                        state = .skipping(remaining: header.contentLength, length: header.contentLength)
                        dropSkipped()
                        return .error(.unsupportedCharset(charset))
                    }
                    if header.contentLength > maxMessageBytes {
                        state = .skipping(remaining: header.contentLength, length: header.contentLength)
                        dropSkipped()
                        return .error(.messageTooLarge(length: header.contentLength, limit: maxMessageBytes))
                    }
                    state = .body(length: header.contentLength)
                case .invalid(let error, let length):
                    start += length
                    headerScanFrom = 0
                    state = .resynchronising
                    return .error(error)
                }
            case .body(let length):
                guard bufferedByteCount >= length else { return nil }
                let body = Array(buffer[start..<start + length])
                start += length
                state = .header
                if start == buffer.count { buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20); start = 0 }
                return .message(body)
            case .skipping:
                dropSkipped()
                if case .skipping = state { return nil }
            case .resynchronising:
                if let found = Self.find(Self.contentLengthName, in: buffer[start...], caseInsensitive: true) {
                    start = found
                    state = .header
                } else {
                    // Keep a tail that could be the start of the header name.
                    start = max(start, buffer.count - (Self.contentLengthName.count - 1))
                    return nil
                }
            }
        }
    }

    /// Says whether the stream may end here: at EOF, a partial frame is an error.
    ///
    /// - Returns: `.truncated` when the input ended inside a frame, else `nil`.
    public func finish() -> FramingError? {
        switch state {
        case .header:
            let pending = bufferedByteCount
            if pending == 0 || buffer[start...].allSatisfy({ $0 == 0x0D || $0 == 0x0A || $0 == 0x20 }) { return nil }
            if case .header(let header, let length) = Self.parseHeader(buffer[start...], maxHeaderBytes: maxHeaderBytes) {
                return .truncated(expected: header.contentLength, received: pending - length)
            }
            return .truncated(expected: 0, received: 0)
        case .body(let length):
            return .truncated(expected: length, received: bufferedByteCount)
        case .skipping(let remaining, let length):
            return .truncated(expected: length, received: length - remaining)
        case .resynchronising:
            return nil
        }
    }

    private mutating func dropSkipped() {
        guard case .skipping(let remaining, let length) = state else { return }
        let dropped = min(remaining, bufferedByteCount)
        start += dropped
        state = remaining == dropped ? .header : .skipping(remaining: remaining - dropped, length: length)
    }

    private mutating func compact() {
        buffer.removeSubrange(0..<start)
        start = 0
    }

    // MARK: - Pure header parsing

    static let contentLengthName = Array("content-length".utf8)
    private static let terminator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]

    /// Parses the header block at the start of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The stream from the first byte of a frame on.
    ///   - maxHeaderBytes: The largest header block accepted.
    ///   - scanFrom: An offset before which the terminator is known to be absent.
    /// - Returns: What the bytes hold: not enough yet, a header, or an invalid header block.
    public static func parseHeader(
        _ bytes: ArraySlice<UInt8>, maxHeaderBytes: Int = 8 << 10, scanFrom: Int = 0
    ) -> HeaderParse {
        // Look for the terminator only within the limit, so garbage is never scanned twice.
        let window = bytes.prefix(maxHeaderBytes + terminator.count)
        let searchStart = window.startIndex + min(scanFrom, window.count)
        guard let end = find(terminator, in: window[searchStart...], caseInsensitive: false) else {
            // Drop the limit's worth and let the decoder resynchronise at the next Content-Length.
            return window.count == maxHeaderBytes + terminator.count
                ? .invalid(.headerTooLong(limit: maxHeaderBytes), length: maxHeaderBytes) : .needMoreBytes
        }
        let length = end - bytes.startIndex + terminator.count
        var contentLength: Int?
        var contentType: String?
        let block = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
        for line in block.split(separator: "\r\n", omittingEmptySubsequences: false) where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                return .invalid(.malformedHeaderLine(String(line.prefix(200))), length: length)
            }
            let name = line[..<colon].trimmingSpaces().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            switch name {
            case "content-length":
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(value),
                    contentLength == nil || contentLength == parsed
                else {
                    return .invalid(.invalidContentLength(String(value.prefix(200))), length: length)
                }
                contentLength = parsed
            case "content-type":
                contentType = String(value)
            default:
                break  // Unknown headers are ignored.
            }
        }
        guard let contentLength else { return .invalid(.missingContentLength, length: length) }
        return .header(FrameHeader(contentLength: contentLength, contentType: contentType), length: length)
    }

    static func charset(of contentType: String?) -> String? {
        guard let contentType else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingSpaces().lowercased() == "charset" {
                return pair[1].trimmingSpaces().trimmingCharacters(in: "\"")
            }
        }
        return nil
    }

    static func isUTF8(_ charset: String) -> Bool {
        ["utf-8", "utf8"].contains(charset.lowercased())
    }

    /// The index in `haystack` where `needle` starts, or `nil`.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, caseInsensitive: Bool) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            let byte = caseInsensitive ? lowercased(haystack[index]) : haystack[index]
            if byte == first {
                var matched = true
                for offset in 1..<needle.count {
                    let candidate = haystack[index + offset]
                    if (caseInsensitive ? lowercased(candidate) : candidate) != needle[offset] {
                        matched = false
                        break
                    }
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }
}

/// Frames a body for the wire: `Content-Length: N\r\n\r\n` followed by the body.
///
/// - Parameter body: The UTF-8 JSON body.
/// - Returns: The bytes to write.
public func encodeFrame(_ body: some Collection<UInt8>) -> [UInt8] {
    var frame = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
    frame.reserveCapacity(frame.count + body.count)
    frame.append(contentsOf: body)
    return frame
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }

    func trimmingCharacters(in characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
