import AssistCore
import Testing

private func position(_ line: Int, _ character: Int) -> TextPosition {
    TextPosition(line: line, character: character)
}

private func range(_ startLine: Int, _ startCharacter: Int, _ endLine: Int, _ endCharacter: Int) -> TextRange {
    TextRange(start: position(startLine, startCharacter), end: position(endLine, endCharacter))
}

private func edit(_ r: TextRange?, _ text: String) -> TextChange {
    TextChange(range: r, text: text)
}

/// One row of the incremental-edit table.
struct EditCase: CustomTestStringConvertible, Sendable {
    var name: String
    var before: String
    var changes: [TextChange]
    var after: String
    var testDescription: String { name }
}

private let editCases: [EditCase] = [
    EditCase(name: "insert at start", before: "abc", changes: [edit(range(0, 0, 0, 0), "x")], after: "xabc"),
    EditCase(name: "insert in middle", before: "abc\ndef", changes: [edit(range(1, 1, 1, 1), "X")], after: "abc\ndXef"),
    EditCase(name: "insert at end", before: "abc", changes: [edit(range(0, 3, 0, 3), "!")], after: "abc!"),
    EditCase(name: "insert into empty text", before: "", changes: [edit(range(0, 0, 0, 0), "hi")], after: "hi"),
    EditCase(name: "insert a line break", before: "abcdef", changes: [edit(range(0, 3, 0, 3), "\n")], after: "abc\ndef"),
    EditCase(name: "delete within a line", before: "abcdef", changes: [edit(range(0, 1, 0, 4), "")], after: "aef"),
    EditCase(name: "delete a line break", before: "abc\ndef", changes: [edit(range(0, 3, 1, 0), "")], after: "abcdef"),
    EditCase(
        name: "replace across lines", before: "one\ntwo\nthree\nfour",
        changes: [edit(range(1, 1, 2, 3), "X\nY")], after: "one\ntX\nYee\nfour"),
    EditCase(
        name: "replace whole lines", before: "a\nb\nc\n", changes: [edit(range(0, 0, 2, 0), "z\n")],
        after: "z\nc\n"),
    EditCase(
        name: "CRLF line breaks", before: "ab\r\ncd\r\nef", changes: [edit(range(1, 1, 2, 1), "X")],
        after: "ab\r\ncXf"),
    EditCase(
        name: "CRLF character past the end stops before \\r", before: "ab\r\ncd",
        changes: [edit(range(0, 99, 0, 99), "!")], after: "ab!\r\ncd"),
    EditCase(
        name: "CR line breaks", before: "ab\rcd\ref", changes: [edit(range(2, 0, 2, 1), "E")],
        after: "ab\rcd\rEf"),
    EditCase(
        name: "mixed line breaks", before: "a\nb\r\nc\rd", changes: [edit(range(3, 0, 3, 0), ">")],
        after: "a\nb\r\nc\r>d"),
    EditCase(
        name: "position past the end of a CRLF line cannot split it", before: "ab\r\ncd",
        changes: [edit(range(0, 3, 0, 3), "X"), edit(range(2, 0, 2, 0), "Y")], after: "abX\r\ncdY"),
    EditCase(
        name: "splitting CRLF makes two line breaks", before: "ab\r\ncd",
        changes: [edit(range(0, 2, 1, 0), "\r|\n"), edit(range(1, 0, 1, 1), "[]")], after: "ab\r[]\ncd"),
    EditCase(
        name: "joining CR and LF makes one line break", before: "a\rX\nb",
        changes: [edit(range(1, 0, 1, 1), ""), edit(range(1, 0, 1, 0), "Z")], after: "a\r\nZb"),
    EditCase(
        name: "emoji counts two UTF-16 units", before: "a😀b", changes: [edit(range(0, 3, 0, 4), "B")],
        after: "a😀B"),
    EditCase(
        name: "delete an emoji by its UTF-16 range", before: "a😀b", changes: [edit(range(0, 1, 0, 3), "")],
        after: "ab"),
    EditCase(
        name: "insert inside a surrogate pair snaps before it", before: "a😀b",
        changes: [edit(range(0, 2, 0, 2), "|")], after: "a|😀b"),
    EditCase(
        name: "range ending inside a surrogate pair covers it", before: "a😀b",
        changes: [edit(range(0, 1, 0, 2), "")], after: "ab"),
    EditCase(
        name: "range starting inside a surrogate pair covers it", before: "a😀b",
        changes: [edit(range(0, 2, 0, 4), "")], after: "a"),
    EditCase(
        name: "non-BMP and BMP characters on later lines", before: "é😀\n𝄞x€y",
        changes: [edit(range(1, 2, 1, 3), "X"), edit(range(1, 4, 1, 5), "Y")], after: "é😀\n𝄞X€Y"),
    EditCase(
        name: "combining mark is its own UTF-16 unit", before: "e\u{301}z", changes: [edit(range(0, 2, 0, 3), "Z")],
        after: "e\u{301}Z"),
    EditCase(
        name: "flag emoji is four UTF-16 units", before: "🇫🇷!", changes: [edit(range(0, 4, 0, 5), "?")],
        after: "🇫🇷?"),
    EditCase(
        name: "character past the end of the line", before: "abc\ndef", changes: [edit(range(0, 10, 0, 20), "!")],
        after: "abc!\ndef"),
    EditCase(
        name: "line past the last line", before: "abc\ndef", changes: [edit(range(5, 0, 9, 9), "!")],
        after: "abc\ndef!"),
    EditCase(
        name: "range ending past the end of the text", before: "abc\ndef", changes: [edit(range(1, 1, 7, 0), "")],
        after: "abc\nd"),
    EditCase(
        name: "trailing line break has an empty last line", before: "abc\n", changes: [edit(range(1, 0, 1, 0), "x")],
        after: "abc\nx"),
    EditCase(
        name: "negative positions clamp to the start", before: "abc", changes: [edit(range(-1, -5, 0, 1), "")],
        after: "bc"),
    EditCase(
        name: "several changes apply in order", before: "hello world",
        changes: [
            edit(range(0, 0, 0, 5), "goodbye"),
            edit(range(0, 8, 0, 13), "moon"),
            edit(range(0, 12, 0, 12), "\nsecond line"),
            edit(range(1, 0, 1, 6), "2nd"),
        ],
        after: "goodbye moon\n2nd line"),
    EditCase(
        name: "full replacement", before: "old\ntext", changes: [edit(nil, "brand\r\nnew")], after: "brand\r\nnew"),
    EditCase(
        name: "full replacement then incremental", before: "old",
        changes: [edit(nil, "x\ny"), edit(range(1, 0, 1, 1), "Y")], after: "x\nY"),
    EditCase(name: "no changes", before: "same", changes: [], after: "same"),
]

@Suite("TextDocument")
struct TextDocumentTests {
    @Test("incremental edits", arguments: editCases)
    func incrementalEdits(_ row: EditCase) throws {
        var document = TextDocument(uri: "file:///a.swift", languageID: "swift", version: 1, text: row.before)
        try document.apply(row.changes, version: 2)
        #expect(document.text == row.after)
        #expect(document.version == 2)
        // The incrementally maintained line table agrees with one built from scratch.
        let fresh = TextDocument(uri: "file:///a.swift", languageID: "swift", version: 2, text: row.after)
        #expect(document.lineCount == fresh.lineCount)
        #expect(document == fresh)
    }

    @Test("a range that starts after it ends is rejected and changes nothing")
    func invalidRange() {
        var document = TextDocument(uri: "file:///a", languageID: "plaintext", version: 1, text: "abc\ndef")
        let bad = range(1, 2, 0, 1)
        #expect(throws: TextDocumentError.invalidRange(bad)) {
            try document.apply([edit(range(0, 0, 0, 0), "x"), edit(bad, "")], version: 2)
        }
        #expect(document.text == "abc\ndef")
        #expect(document.version == 1)
        let sameLine = range(0, 3, 0, 2)
        #expect(throws: TextDocumentError.invalidRange(sameLine)) {
            try document.apply([edit(sameLine, "")], version: 2)
        }
        #expect(TextDocumentError.invalidRange(bad).description.contains("1:2-0:1"))
    }

    @Test("the version must increase")
    func versionMustIncrease() throws {
        var document = TextDocument(uri: "file:///a", languageID: "plaintext", version: 5, text: "abc")
        #expect(throws: TextDocumentError.versionNotIncreasing(current: 5, received: 5)) {
            try document.apply([edit(nil, "x")], version: 5)
        }
        #expect(document.text == "abc")
        try document.apply([edit(nil, "x")], version: 9)
        #expect(document.version == 9)
    }

    @Test("positions of indices, with UTF-16 characters and all line breaks")
    func positionsOfIndices() {
        let text = "a😀b\r\nc\rd\n\ne"
        let document = TextDocument(uri: "file:///a", languageID: "plaintext", version: 1, text: text)
        let expected: [(Int, TextPosition)] = [
            (0, position(0, 0)), (1, position(0, 1)), (5, position(0, 3)), (6, position(0, 4)),
            (7, position(0, 4)),  // between \r and \n: the end of the line
            (8, position(1, 0)), (9, position(1, 1)), (10, position(2, 0)), (12, position(3, 0)),
            (13, position(4, 0)), (14, position(4, 1)),
        ]
        for (offset, expectedPosition) in expected {
            let index = text.utf8.index(text.utf8.startIndex, offsetBy: offset)
            #expect(document.position(of: index) == expectedPosition, "utf8 offset \(offset)")
        }
        // An index inside the emoji's UTF-8 bytes, or inside its surrogate pair, snaps to its start.
        let inside = text.utf8.index(text.utf8.startIndex, offsetBy: 3)
        #expect(document.position(of: inside) == position(0, 1))
        let utf16Inside = text.utf16.index(text.utf16.startIndex, offsetBy: 2)
        #expect(document.position(of: utf16Inside) == position(0, 1))
        #expect(document.position(of: text.endIndex) == position(4, 1))
        #expect(document.lineCount == 5)
    }

    @Test("indices of positions are clamped")
    func indicesOfPositions() {
        let text = "ab😀\r\ncd"
        let document = TextDocument(uri: "file:///a", languageID: "plaintext", version: 1, text: text)
        func utf8Offset(_ p: TextPosition) -> Int {
            text.utf8.distance(from: text.utf8.startIndex, to: document.index(of: p))
        }
        #expect(utf8Offset(position(0, 2)) == 2)
        #expect(utf8Offset(position(0, 3)) == 2)  // inside the surrogate pair
        #expect(utf8Offset(position(0, 4)) == 6)
        #expect(utf8Offset(position(0, 99)) == 6)  // before \r\n
        #expect(utf8Offset(position(1, 1)) == 9)
        #expect(utf8Offset(position(7, 0)) == 10)
        #expect(document.index(of: position(7, 0)) == text.endIndex)
    }

    @Test("random edits agree with a UTF-16 reference model", arguments: [1, 2, 3, 4])
    func randomEditsAgreeWithReference(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let pieces = ["a", "bc", "\n", "\r", "\r\n", "😀", "é", "€", "𝄞x", " ", "\n\n", "xyz"]
        func randomText(_ maxPieces: Int) -> String {
            (0..<Int.random(in: 0...maxPieces, using: &generator)).map { _ in
                pieces.randomElement(using: &generator) ?? ""
            }.joined()
        }
        var reference = ReferenceDocument(text: randomText(30))
        var document = TextDocument(uri: "file:///r", languageID: "plaintext", version: 0, text: reference.text)
        for step in 1...300 {
            var changes: [TextChange] = []
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                if Int.random(in: 0..<50, using: &generator) == 0 {
                    changes.append(edit(nil, randomText(20)))
                    continue
                }
                let lines = reference.lineCount
                var a = position(Int.random(in: 0...lines, using: &generator), Int.random(in: 0...8, using: &generator))
                var b = position(Int.random(in: 0...lines, using: &generator), Int.random(in: 0...8, using: &generator))
                if Bool.random(using: &generator) { b.line = a.line }  // exercise same-line ranges
                if b < a { swap(&a, &b) }
                changes.append(edit(TextRange(start: a, end: b), randomText(4)))
            }
            for change in changes { reference.apply(change) }
            try document.apply(changes, version: step)
            #expect(document.text == reference.text, "step \(step)")
            #expect(document.lineCount == reference.lineCount, "step \(step)")
            if document.text != reference.text { return }
        }
        // Every scalar boundary maps to a position that maps back to it, unless it sits inside \r\n.
        let text = document.text
        var index = text.startIndex
        while true {
            let p = document.position(of: index)
            let isInsideCRLF = index > text.startIndex && index < text.endIndex
                && text.unicodeScalars[text.unicodeScalars.index(before: index)] == "\r"
                && text.unicodeScalars[index] == "\n"
            if !isInsideCRLF {
                #expect(document.index(of: p) == index)
            }
            if index == text.endIndex { break }
            index = text.unicodeScalars.index(after: index)
        }
    }

    @Test("editing a 10 MiB single-line document in a loop is fast")
    func largeSingleLineDocument() throws {
        let line = String(repeating: "abcdefghij", count: 1_048_576)  // 10 MiB, one line
        var document = TextDocument(uri: "file:///big", languageID: "plaintext", version: 0, text: line)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for step in 1...100 {
                let column = 10_485_760 - step * 1000
                try document.apply([edit(range(0, column, 0, column + 1), "é😀")], version: step)
            }
        }
        #expect(document.text.utf8.count == 10_485_760 + 100 * 5)
        #expect(document.lineCount == 1)
        #expect(elapsed < .seconds(30), "100 edits took \(elapsed)")
        // Positions after the non-ASCII edits are still right.
        let end = document.position(of: document.text.endIndex)
        #expect(end == position(0, 10_485_760 + 100 * 2))
    }

    @Test("editing a 10 MiB multi-line document in a loop is fast")
    func largeMultiLineDocument() throws {
        let line = String(repeating: "x", count: 99) + "\n"
        var document = TextDocument(
            uri: "file:///big", languageID: "plaintext", version: 0,
            text: String(repeating: line, count: 104_858))
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for step in 1...200 {
                let l = (step * 517) % 100_000
                try document.apply(
                    [edit(range(l, 3, l + 1, 2), "new\r\ntext"), edit(range(l + 2, 0, l + 2, 0), "é\n")],
                    version: step)
            }
        }
        #expect(document.lineCount == 104_858 + 1 + 200)
        #expect(elapsed < .seconds(30), "200 edits took \(elapsed)")
    }
}

/// A slow, obviously correct model of LSP text sync over UTF-16 code units.
private struct ReferenceDocument {
    var units: [UInt16]

    init(text: String) { units = Array(text.utf16) }

    var text: String { String(decoding: units, as: UTF16.self) }

    /// UTF-16 offsets of the line starts.
    var lineStarts: [Int] {
        var starts = [0]
        for i in units.indices {
            if units[i] == 10 || (units[i] == 13 && (i + 1 == units.count || units[i + 1] != 10)) {
                starts.append(i + 1)
            }
        }
        return starts
    }

    var lineCount: Int { lineStarts.count }

    func offset(_ p: TextPosition, roundUp: Bool) -> Int {
        let starts = lineStarts
        if p.line < 0 { return 0 }
        if p.line >= starts.count { return units.count }
        let start = starts[p.line]
        var end = p.line + 1 < starts.count ? starts[p.line + 1] - 1 : units.count
        if p.line + 1 < starts.count, end > start, units[end] == 10, units[end - 1] == 13 { end -= 1 }
        var offset = min(start + max(p.character, 0), end)
        if offset > 0, offset < units.count, UTF16.isTrailSurrogate(units[offset]),
            UTF16.isLeadSurrogate(units[offset - 1])
        {
            offset += roundUp ? 1 : -1
        }
        return offset
    }

    mutating func apply(_ change: TextChange) {
        guard let r = change.range else {
            units = Array(change.text.utf16)
            return
        }
        let lower = offset(r.start, roundUp: false)
        let upper = max(lower, offset(r.end, roundUp: r.start != r.end))
        units.replaceSubrange(lower..<upper, with: Array(change.text.utf16))
    }
}

/// A small deterministic random number generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
