/// Converts byte offsets into ``SwiftSourcePosition``s for one file.
///
/// Built in one pass over the bytes: the offset where each line starts and whether the line is pure
/// ASCII. On an ASCII line the UTF-16 column equals the UTF-8 column; elsewhere it is counted from the
/// line's bytes before the offset. Line breaks are `\n`, `\r\n` and a lone `\r`, as in Swift.
struct LineTable {
    private let bytes: [UInt8]
    /// The byte offset at which each line starts; `lineStarts[0] == 0`.
    private(set) var lineStarts: [Int] = [0]
    /// Whether each line holds only ASCII bytes.
    private var lineIsASCII: [Bool] = []
    /// The line of the last lookup, tried first: lookups mostly move forward through the file.
    private var hint = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        lineStarts.reserveCapacity(bytes.count / 32 + 1)
        lineIsASCII.reserveCapacity(bytes.count / 32 + 1)
        var ascii = true
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                if byte == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A { index += 1 }
                lineIsASCII.append(ascii)
                lineStarts.append(index + 1)
                ascii = true
            } else if byte >= 0x80 {
                ascii = false
            }
            index += 1
        }
        lineIsASCII.append(ascii)
    }

    /// The number of lines; an empty file has one (empty) line.
    var lineCount: Int { lineStarts.count }

    /// The 0-based index of the line holding `offset`.
    private mutating func lineIndex(of offset: Int) -> Int {
        let last = lineStarts.count - 1
        if lineStarts[hint] <= offset, hint == last || offset < lineStarts[hint + 1] { return hint }
        if hint < last, lineStarts[hint + 1] <= offset, hint + 1 == last || offset < lineStarts[hint + 2] {
            hint += 1
            return hint
        }
        var low = 0
        var high = last
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        hint = low
        return low
    }

    /// The position of a byte offset; offsets outside the file are clamped to it.
    mutating func position(_ rawOffset: Int) -> SwiftSourcePosition {
        let offset = min(max(rawOffset, 0), bytes.count)
        let line = lineIndex(of: offset)
        let start = lineStarts[line]
        let utf8Column = offset - start + 1
        var utf16Column = utf8Column
        if !lineIsASCII[line] {
            var units = 0
            var index = start
            while index < offset {
                let byte = bytes[index]
                if byte & 0xC0 != 0x80 { units += byte >= 0xF0 ? 2 : 1 }
                index += 1
            }
            utf16Column = units + 1
        }
        return SwiftSourcePosition(line: line + 1, utf8Column: utf8Column, utf16Column: utf16Column, utf8Offset: offset)
    }

    /// The range between two byte offsets.
    mutating func range(_ start: Int, _ end: Int) -> SwiftSourceRange {
        SwiftSourceRange(start: position(start), end: position(end))
    }
}
