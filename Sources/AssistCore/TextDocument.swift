/// A position in a text document, as the Language Server Protocol counts it.
///
/// Lines are 0-based and separated by `\n`, `\r\n` or `\r`. The character is a 0-based offset
/// in UTF-16 code units from the start of the line, which is what LSP clients send unless they
/// negotiate another encoding.
public struct TextPosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 0-based line number.
    public var line: Int
    /// The 0-based offset in UTF-16 code units from the start of the line.
    public var character: Int

    /// Creates a position.
    /// - Parameters:
    ///   - line: The 0-based line number.
    ///   - character: The 0-based offset in UTF-16 code units from the start of the line.
    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    /// Orders positions by line, then by character, as LSP does.
    /// - Parameters:
    ///   - lhs: The first position.
    ///   - rhs: The second position.
    /// - Returns: `true` when `lhs` comes before `rhs`.
    public static func < (lhs: TextPosition, rhs: TextPosition) -> Bool {
        (lhs.line, lhs.character) < (rhs.line, rhs.character)
    }

    /// The position as `line:character`, both 0-based.
    public var description: String { "\(line):\(character)" }
}

/// A range between two positions in a text document; the end is exclusive, as in LSP.
public struct TextRange: Hashable, Sendable, CustomStringConvertible {
    /// The first position in the range.
    public var start: TextPosition
    /// The position just after the range.
    public var end: TextPosition

    /// Creates a range.
    /// - Parameters:
    ///   - start: The first position in the range.
    ///   - end: The position just after the range.
    public init(start: TextPosition, end: TextPosition) {
        self.start = start
        self.end = end
    }

    /// The range as `start-end`, with 0-based `line:character` positions.
    public var description: String { "\(start)-\(end)" }
}

/// One content change of an LSP `textDocument/didChange` notification.
public struct TextChange: Sendable, Equatable {
    /// The range to replace, or `nil` to replace the whole text.
    public var range: TextRange?
    /// The new text for the range.
    public var text: String

    /// Creates a content change.
    /// - Parameters:
    ///   - range: The range to replace, or `nil` to replace the whole text.
    ///   - text: The new text for the range.
    public init(range: TextRange?, text: String) {
        self.range = range
        self.text = text
    }
}

/// Why a `textDocument/didChange` could not be applied to a ``TextDocument``.
public enum TextDocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A change's range starts after it ends.
    case invalidRange(TextRange)
    /// The new version is not greater than the document's current version.
    case versionNotIncreasing(current: Int, received: Int)

    /// A sentence that describes the error.
    public var description: String {
        switch self {
        case .invalidRange(let range):
            return "invalid range \(range): the start is after the end"
        case .versionNotIncreasing(let current, let received):
            return "version \(received) is not greater than the document's version \(current)"
        }
    }
}

/// An open text document, kept in sync with an editor through LSP text synchronization.
///
/// Positions follow LSP: lines break at `\n`, `\r\n` and `\r`; characters are UTF-16 code units.
/// Out-of-range positions are clamped rather than rejected: a character past the end of its line
/// means the end of that line (before its line break), and a line past the last line means the end
/// of the text. A position that falls inside a character encoded as a UTF-16 surrogate pair snaps
/// to the start of that character; when it is the end of a non-empty range, it snaps to the end
/// of that character instead, so a change that covers part of a character covers all of it.
///
/// The document keeps a table of line starts (UTF-8 offsets) that it updates incrementally, so
/// finding a line is O(1) and finding a character is O(length of the line before it), with an O(1)
/// path for ASCII-only text. A change costs O(size of the text after the change point) for the
/// byte move plus O(number of lines) for the table, with no per-`Character` iteration.
public struct TextDocument: Sendable, Equatable {
    /// The document's URI, as the client sent it.
    public let uri: String
    /// The document's language identifier, for example `swift`.
    public let languageID: String
    /// The version after the last applied change.
    public private(set) var version: Int
    /// The full current text.
    public private(set) var text: String

    /// UTF-8 offsets of the start of every line; the first is always 0.
    private var lineStarts: [Int]
    /// How many bytes of `text` are not ASCII; when zero, UTF-16 and UTF-8 offsets coincide.
    private var nonASCIIByteCount: Int

    /// Creates a document, as for LSP `textDocument/didOpen`.
    /// - Parameters:
    ///   - uri: The document's URI.
    ///   - languageID: The document's language identifier.
    ///   - version: The document's version.
    ///   - text: The document's full text.
    public init(uri: String, languageID: String, version: Int, text: String) {
        self.uri = uri
        self.languageID = languageID
        self.version = version
        var text = text
        text.makeContiguousUTF8()
        self.text = text
        (lineStarts, nonASCIIByteCount) = Self.lineTable(of: text)
    }

    /// Compares the URI, language, version and text of two documents.
    /// - Parameters:
    ///   - lhs: The first document.
    ///   - rhs: The second document.
    /// - Returns: `true` when both documents have the same URI, language, version and text.
    public static func == (lhs: TextDocument, rhs: TextDocument) -> Bool {
        lhs.uri == rhs.uri && lhs.languageID == rhs.languageID && lhs.version == rhs.version
            && lhs.text == rhs.text
    }

    /// The number of lines; an empty text, or a text that ends with a line break, ends with an
    /// empty line.
    public var lineCount: Int { lineStarts.count }

    /// Applies the content changes of one `textDocument/didChange` notification, in order.
    ///
    /// Each change's range refers to the text as left by the changes before it. Either every change
    /// is applied and the version is updated, or (when this throws) the document is left unchanged.
    /// - Parameters:
    ///   - changes: The content changes, in the order the client sent them.
    ///   - version: The document's version after the changes.
    /// - Throws: ``TextDocumentError/versionNotIncreasing(current:received:)`` when `version` is not
    ///   greater than the current version, and ``TextDocumentError/invalidRange(_:)`` when a
    ///   change's range starts after it ends.
    public mutating func apply(_ changes: [TextChange], version: Int) throws(TextDocumentError) {
        guard version > self.version else {
            throw .versionNotIncreasing(current: self.version, received: version)
        }
        // Validity does not depend on the text, so check everything before changing anything.
        for change in changes {
            if let range = change.range, range.end < range.start {
                throw .invalidRange(range)
            }
        }
        for change in changes {
            apply(change)
        }
        self.version = version
    }

    /// The index for a position, clamped to the text as described in ``TextDocument``.
    /// - Parameter position: A position in LSP coordinates.
    /// - Returns: An index in ``text`` at a Unicode scalar boundary.
    public func index(of position: TextPosition) -> String.Index {
        let offset = utf8Offset(of: position, roundUp: false).offset
        return text.utf8.index(text.utf8.startIndex, offsetBy: offset)
    }

    /// The position of an index in ``text``.
    ///
    /// An index inside a Unicode scalar counts as the start of that scalar; an index between the
    /// `\r` and `\n` of a line break counts as the end of its line; an index past the end counts
    /// as the end of the text.
    /// - Parameter index: An index in ``text``.
    /// - Returns: The index's position in LSP coordinates.
    public func position(of index: String.Index) -> TextPosition {
        let utf8 = text.utf8
        let offset = min(max(utf8.distance(from: utf8.startIndex, to: index), 0), utf8.count)
        return withBytes { bytes in
            var offset = offset
            while offset > 0, offset < bytes.count, Self.isContinuation(bytes[offset]) { offset -= 1 }
            let line = lineIndex(containing: offset)
            let start = lineStarts[line]
            let end = min(offset, contentEnd(ofLine: line, in: bytes))
            let character = nonASCIIByteCount == 0 ? end - start : Self.utf16Count(bytes[start..<end])
            return TextPosition(line: line, character: character)
        }
    }

    // MARK: - Applying one change

    private mutating func apply(_ change: TextChange) {
        guard let range = change.range else {
            replaceAll(with: change.text)
            return
        }
        let lower = utf8Offset(of: range.start, roundUp: false)
        // On one line, scan for the end from the start rather than from the start of the line.
        let upper = utf8Offset(
            of: range.end, roundUp: range.start != range.end,
            resumingFrom: range.start.line == range.end.line ? lower : nil)
        replace(lower.offset..<max(lower.offset, upper.offset), with: change.text)
    }

    private mutating func replaceAll(with newText: String) {
        var newText = newText
        newText.makeContiguousUTF8()
        text = newText
        (lineStarts, nonASCIIByteCount) = Self.lineTable(of: text)
    }

    /// The line starts and the number of non-ASCII bytes of a whole text.
    private static func lineTable(of text: String) -> (lineStarts: [Int], nonASCIIByteCount: Int) {
        withBytes(of: text) { bytes in
            (lineStarts(in: bytes, from: 1, through: bytes.count, first: [0]), nonASCIICount(bytes[...]))
        }
    }

    /// Replaces the UTF-8 bytes in `range` and updates the line table around the change.
    private mutating func replace(_ range: Range<Int>, with newText: String) {
        let removedNonASCII = withBytes { Self.nonASCIICount($0[range]) }
        let insertedCount = newText.utf8.count
        let insertedNonASCII = newText.utf8.withContiguousStorageIfAvailable { Self.nonASCIICount($0[...]) }
            ?? newText.utf8.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }

        // Make the indices without keeping a view of `text` alive: a live view holds a second
        // reference to the storage and would turn the in-place replacement into a full copy.
        let lowerIndex = text.utf8.index(text.utf8.startIndex, offsetBy: range.lowerBound)
        let upperIndex = text.utf8.index(text.utf8.startIndex, offsetBy: range.upperBound)
        text.replaceSubrange(lowerIndex..<upperIndex, with: newText)
        text.makeContiguousUTF8()
        nonASCIIByteCount += insertedNonASCII - removedNonASCII

        // A line starts at p when byte p-1 is \n, or is \r not followed by \n. The change can only
        // affect starts whose bytes p-1 or p changed: old starts in [lower, upper] and new starts
        // in [lower, lower + inserted].
        let lower = range.lowerBound
        let delta = insertedCount - range.count
        let firstRemoved = firstLineStart(atOrAfter: max(lower, 1))
        let pastRemoved = firstLineStart(atOrAfter: range.upperBound + 1)
        let added = withBytes { bytes in
            Self.lineStarts(in: bytes, from: max(lower, 1), through: lower + insertedCount, first: [])
        }
        if delta != 0 {
            lineStarts.withUnsafeMutableBufferPointer { starts in
                for i in pastRemoved..<starts.count { starts[i] += delta }
            }
        }
        lineStarts.replaceSubrange(firstRemoved..<pastRemoved, with: added)
    }

    // MARK: - Offsets

    /// The UTF-8 offset of a position, clamped; see ``TextDocument`` for the rules.
    ///
    /// Returns the offset and the UTF-16 column it is at. `resumingFrom` is an earlier result on
    /// the same line, at or before the position, to scan from instead of the start of the line.
    private func utf8Offset(
        of position: TextPosition, roundUp: Bool, resumingFrom hint: (offset: Int, column: Int)? = nil
    ) -> (offset: Int, column: Int) {
        withBytes { bytes in
            guard position.line >= 0 else { return (0, 0) }
            guard position.line < lineStarts.count else { return (bytes.count, 0) }
            let start = lineStarts[position.line]
            let end = contentEnd(ofLine: position.line, in: bytes)
            let column = max(position.character, 0)
            if nonASCIIByteCount == 0 {
                let offset = min(start + column, end)
                return (offset, offset - start)
            }
            let from = hint.map { $0.column <= column ? $0 : (start, 0) } ?? (start, 0)
            return Self.utf8Offset(
                ofUTF16Column: column, in: bytes, from: from, to: end, roundUp: roundUp)
        }
    }

    /// The UTF-8 offset where a line's content ends, before its line break.
    private func contentEnd(ofLine line: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard line + 1 < lineStarts.count else { return bytes.count }
        let next = lineStarts[line + 1]
        if next >= 2, bytes[next - 1] == UInt8(ascii: "\n"), bytes[next - 2] == UInt8(ascii: "\r") {
            return next - 2
        }
        return next - 1
    }

    /// The index in `lineStarts` of the first start that is at least `offset`.
    private func firstLineStart(atOrAfter offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count
        while low < high {
            let mid = (low + high) / 2
            if lineStarts[mid] < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The line that contains a UTF-8 offset.
    private func lineIndex(containing offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    private func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        Self.withBytes(of: text, body)
    }

    private static func withBytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    // MARK: - Byte scanning

    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let lowBits: UInt64 = 0x0101_0101_0101_0101

    /// Loads eight bytes starting at `offset`; the caller checks that they exist.
    private static func word(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        // The base address exists: the caller checked that the buffer holds these eight bytes.
        UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped).loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }

    /// Whether any byte of `word` equals `byte` (the classic "has zero byte" bit trick).
    private static func word(_ word: UInt64, contains byte: UInt8) -> Bool {
        let x = word ^ (lowBits &* UInt64(byte))
        return (x &- lowBits) & ~x & highBits != 0
    }

    /// The line starts p in `from...through` (p >= 1) of `bytes`, appended to `first`.
    private static func lineStarts(
        in bytes: UnsafeBufferPointer<UInt8>, from: Int, through: Int, first: [Int]
    ) -> [Int] {
        var starts = first
        guard from <= through else { return starts }
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        // A line starts after byte i when byte i is \n, or \r not followed by \n.
        var i = from - 1
        while i < through {
            if i + 8 <= through {
                let w = word(bytes, at: i)
                if !word(w, contains: newline) && !word(w, contains: carriageReturn) {
                    i += 8
                    continue
                }
            }
            let byte = bytes[i]
            if byte == newline || (byte == carriageReturn && (i + 1 == bytes.count || bytes[i + 1] != newline)) {
                starts.append(i + 1)
            }
            i += 1
        }
        return starts
    }

    private static func nonASCIICount(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        let bytes = slice.base
        var count = 0
        var i = slice.startIndex
        while i + 8 <= slice.endIndex {
            count += (word(bytes, at: i) & highBits).nonzeroBitCount
            i += 8
        }
        while i < slice.endIndex {
            if bytes[i] >= 0x80 { count += 1 }
            i += 1
        }
        return count
    }

    /// The number of UTF-16 code units that the UTF-8 bytes of `slice` encode.
    private static func utf16Count(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        let bytes = slice.base
        var count = 0
        var i = slice.startIndex
        while i < slice.endIndex {
            if i + 8 <= slice.endIndex, word(bytes, at: i) & highBits == 0 {
                count += 8
                i += 8
                continue
            }
            let byte = bytes[i]
            if !isContinuation(byte) { count += byte >= 0xF0 ? 2 : 1 }
            i += 1
        }
        return count
    }

    /// The UTF-8 offset of a UTF-16 column on a line that ends at `end`, clamped to `end`, and the
    /// column it is at; the scan starts from `start`, a known offset and column on the line.
    private static func utf8Offset(
        ofUTF16Column column: Int, in bytes: UnsafeBufferPointer<UInt8>,
        from start: (offset: Int, column: Int), to end: Int, roundUp: Bool
    ) -> (offset: Int, column: Int) {
        var offset = start.offset
        var remaining = column - start.column
        while remaining > 0, offset < end {
            if remaining >= 8, offset + 8 <= end, word(bytes, at: offset) & highBits == 0 {
                // Eight ASCII bytes at once.
                offset += 8
                remaining -= 8
                continue
            }
            let lead = bytes[offset]
            let length: Int
            switch lead {
            case ..<0x80: length = 1
            case 0xC0..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            default: length = 4
            }
            let units = length == 4 ? 2 : 1
            if units > remaining {
                // The column falls inside a surrogate pair.
                guard roundUp else { return (offset, column - remaining) }
                return (min(offset + length, end), column - remaining + units)
            }
            remaining -= units
            offset = min(offset + length, end)
        }
        return (offset, column - remaining)
    }
}
