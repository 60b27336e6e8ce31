/// A text cut into lines for editing: each line's content without its break, and each line's break.
struct EditLines: Sendable {
    /// The lines without their breaks; a `\r` before `\n` is part of the break.
    var lines: [String]
    /// Each line's break: `"\n"`, `"\r\n"`, or `""` for a last line without one.
    var breaks: [String]
    /// The break most lines use (`"\r\n"` when CRLF breaks outnumber LF breaks), used for new lines.
    var style: String
    /// Whether the text ended with a line break.
    var endsWithNewline: Bool

    /// Cuts a text into lines.
    /// - Parameter text: The text; an empty text has no lines, and a text ending in a break has no empty last line.
    init(_ text: String) {
        var lines: [String] = []
        var breaks: [String] = []
        var crlf = 0
        var lf = 0
        var pieces = EditText.pieces(of: text)
        let last = pieces.removeLast()
        for piece in pieces {
            if piece.hasSuffix("\r") {
                lines.append(String(piece.dropLast()))
                breaks.append("\r\n")
                crlf += 1
            } else {
                lines.append(String(piece))
                breaks.append("\n")
                lf += 1
            }
        }
        if !last.isEmpty {
            lines.append(String(last))
            breaks.append("")
        }
        self.lines = lines
        self.breaks = breaks
        self.style = crlf > lf ? "\r\n" : "\n"
        self.endsWithNewline = breaks.last.map { !$0.isEmpty } ?? false
    }

    /// The text put back together.
    var text: String {
        var out = ""
        for (line, lineBreak) in zip(lines, breaks) {
            out += line
            out += lineBreak
        }
        return out
    }

    /// Puts new lines in place of some lines. The new lines end in the text's usual break, and the
    /// text keeps ending (or not ending) with a line break as before.
    /// - Parameters:
    ///   - range: The 0-based lines to replace; may be empty to insert.
    ///   - newLines: The lines to put there, without breaks.
    mutating func replace(_ range: Range<Int>, with newLines: [String]) {
        lines.replaceSubrange(range, with: newLines)
        breaks.replaceSubrange(range, with: Array(repeating: style, count: newLines.count))
        guard !breaks.isEmpty else { return }
        if !endsWithNewline {
            breaks[breaks.count - 1] = ""
        } else if breaks[breaks.count - 1].isEmpty {
            breaks[breaks.count - 1] = style
        }
    }
}

/// Line and indentation helpers shared by the edit parser and matcher.
enum EditText {
    /// Cuts a model's text into lines: one final line break is dropped, `\r\n` counts as `\n`, and an
    /// empty text has no lines.
    /// - Parameter text: The text.
    /// - Returns: The lines without breaks.
    static func lines(of text: String) -> [String] {
        if text.isEmpty { return [] }
        var pieces = self.pieces(of: text).map { piece -> String in
            piece.hasSuffix("\r") ? String(piece.dropLast()) : piece
        }
        if text.unicodeScalars.last == "\n" { pieces.removeLast() }
        return pieces
    }

    /// Cuts a text at every `\n`, keeping a `\r` before it in the piece; a text ending in `\n` gives
    /// an empty last piece, and an empty text one empty piece.
    static func pieces(of text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
    }

    /// Whether a character is a space or a tab.
    static func isSpace(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    /// Whether a line holds nothing but whitespace.
    static func isBlank<S: StringProtocol>(_ line: S) -> Bool {
        line.allSatisfy { $0.isWhitespace }
    }

    /// The leading spaces and tabs of a line.
    static func indentation<S: StringProtocol>(of line: S) -> String {
        String(line.prefix { isSpace($0) })
    }

    /// A line without leading and trailing whitespace.
    static func trimmed<S: StringProtocol>(_ line: S) -> String {
        let start = line.drop { $0.isWhitespace }
        var end = start.endIndex
        while end > start.startIndex {
            let before = start.index(before: end)
            if !start[before].isWhitespace { break }
            end = before
        }
        return String(start[start.startIndex..<end])
    }

    /// A line without trailing whitespace.
    static func trimmedTrailing<S: StringProtocol>(_ line: S) -> String {
        var end = line.endIndex
        while end > line.startIndex {
            let before = line.index(before: end)
            if !line[before].isWhitespace { break }
            end = before
        }
        return String(line[line.startIndex..<end])
    }

    /// A line trimmed, with every inner run of whitespace written as one space.
    static func collapsed<S: StringProtocol>(_ line: S) -> String {
        var out = ""
        var pendingSpace = false
        for character in line {
            if character.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(character)
            }
        }
        return out
    }

    /// How many columns an indentation takes, a tab advancing to the next multiple of `tabWidth`.
    static func width<S: StringProtocol>(of indentation: S, tabWidth: Int) -> Int {
        var column = 0
        for character in indentation {
            if character == "\t" {
                column += tabWidth - column % tabWidth
            } else {
                column += 1
            }
        }
        return column
    }

    /// The most common positive step between the indentations of consecutive non-blank lines that
    /// are indented with spaces only; `nil` when there is none.
    static func spaceUnit(of lines: [String]) -> Int? {
        var counts: [Int: Int] = [:]
        var previous: Int?
        for line in lines where !isBlank(line) {
            let indent = indentation(of: line)
            if indent.contains("\t") {
                previous = nil
                continue
            }
            if let previous, indent.count != previous {
                counts[abs(indent.count - previous), default: 0] += 1
            }
            previous = indent.count
        }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }

    /// Shifts lines from one indentation to another, keeping their indentation relative to each other.
    ///
    /// Nothing changes when the two indentations are equal and both sides indent with the same
    /// character. Otherwise every non-blank line's indentation moves by the difference in columns and
    /// is written in the target's style: tabs (then spaces for a remainder) or spaces. The target's
    /// style is that of `to`, else that of most indented lines of the file, else the model's. When
    /// one side indents with tabs and the other with spaces, a tab counts as the spaces side's usual
    /// step (4 when there is none).
    /// - Parameters:
    ///   - lines: The lines to shift.
    ///   - from: The indentation the lines were written against (their first non-blank line's, as a rule).
    ///   - to: The indentation they must have instead.
    ///   - modelLines: All lines written on the `from` side, to learn their indentation step.
    ///   - fileLines: The lines of the file on the `to` side, to learn its indentation style.
    /// - Returns: The shifted lines.
    static func reindent(
        _ lines: [String], from: String, to: String, modelLines: [String], fileLines: [String]
    ) -> [String] {
        var fileTabs = 0
        var fileSpaces = 0
        for line in fileLines {
            if line.hasPrefix("\t") { fileTabs += 1 } else if line.hasPrefix(" ") { fileSpaces += 1 }
        }
        let modelUsesTabs = modelLines.contains { indentation(of: $0).contains("\t") }
        let targetUsesTabs: Bool
        if to.contains("\t") || to.contains(" ") {
            targetUsesTabs = to.contains("\t")
        } else if fileTabs != fileSpaces {
            targetUsesTabs = fileTabs > fileSpaces
        } else {
            targetUsesTabs = modelUsesTabs
        }
        if from == to && targetUsesTabs == modelUsesTabs { return lines }
        var tabWidth = 4
        if targetUsesTabs && !modelUsesTabs {
            tabWidth = spaceUnit(of: modelLines) ?? 4
        } else if !targetUsesTabs && modelUsesTabs {
            tabWidth = spaceUnit(of: fileLines) ?? 4
        }
        tabWidth = max(1, tabWidth)
        let delta = width(of: to, tabWidth: tabWidth) - width(of: from, tabWidth: tabWidth)
        return lines.map { line in
            if isBlank(line) { return line }
            let indent = indentation(of: line)
            let columns = max(0, width(of: indent, tabWidth: tabWidth) + delta)
            let rest = line.dropFirst(indent.count)
            let newIndent =
                targetUsesTabs
                ? String(repeating: "\t", count: columns / tabWidth) + String(repeating: " ", count: columns % tabWidth)
                : String(repeating: " ", count: columns)
            return newIndent + rest
        }
    }

    /// The indentation of the first non-blank line, or `nil` when every line is blank.
    static func firstIndentation<C: Collection>(of lines: C) -> String? where C.Element == String {
        lines.first { !isBlank($0) }.map { indentation(of: $0) }
    }

    /// How alike two lines are, from 0 to 1: the Dice coefficient of their byte pairs after collapsing
    /// whitespace; 1 for equal lines.
    static func similarity(_ a: String, _ b: String) -> Double {
        let x = Array(collapsed(a).utf8)
        let y = Array(collapsed(b).utf8)
        if x == y { return 1 }
        if x.count < 2 || y.count < 2 { return 0 }
        var pairs: [Int: Int] = [:]
        for i in 0..<(x.count - 1) { pairs[Int(x[i]) << 8 | Int(x[i + 1]), default: 0] += 1 }
        var shared = 0
        for i in 0..<(y.count - 1) {
            let key = Int(y[i]) << 8 | Int(y[i + 1])
            if let count = pairs[key], count > 0 {
                shared += 1
                pairs[key] = count - 1
            }
        }
        return Double(2 * shared) / Double(x.count - 1 + y.count - 1)
    }

    /// Line numbers written for a message: "4", "4 and 9", "4, 9 and 12", at most five then "…".
    static func list(_ numbers: [Int]) -> String {
        let shown = numbers.prefix(5).map(String.init)
        if numbers.count > 5 { return shown.joined(separator: ", ") + ", …" }
        if shown.count <= 1 { return shown.first ?? "" }
        return shown.dropLast().joined(separator: ", ") + " and " + shown[shown.count - 1]
    }
}
