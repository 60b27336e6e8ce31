/// One LSP-shaped text edit: replace a range of the old text with new text.
public struct LineEdit: Sendable, Equatable, CustomStringConvertible {
    /// The range of the old text to replace, in 0-based lines and UTF-16 characters.
    public var range: TextRange
    /// The text that replaces the range.
    public var newText: String

    /// Creates an edit.
    /// - Parameters:
    ///   - range: The range of the old text to replace.
    ///   - newText: The text that replaces the range.
    public init(range: TextRange, newText: String) {
        self.range = range
        self.newText = newText
    }

    /// The edit as `range: "text"`.
    public var description: String { "\(range): \(newText.debugDescription)" }
}

/// LSP text edits computed from two versions of a text.
public enum TextEdits {
    /// Computes the whole-line edits that turn one text into another.
    ///
    /// Lines break at `\n`, `\r\n` and `\r`, as in LSP. Every range refers to the old text, ranges
    /// do not overlap and come in document order, so a client applies them all at once as a
    /// `WorkspaceEdit`. An edit starts at the start of a line and ends at the start of the line
    /// after the changed ones, or at the end of the text when the change reaches it.
    /// - Parameters:
    ///   - old: The text before the change.
    ///   - new: The text after the change.
    /// - Returns: The edits, none when the texts are equal.
    public static func make(old: String, new: String) -> [LineEdit] {
        let oldLines = splitLines(old, breaks: .lsp)
        let newLines = splitLines(new, breaks: .lsp)
        let blocks = ChangeBlock.blocks(of: LineDiff(old: oldLines, new: newLines))
        return blocks.map { block in
            let start = TextPosition(line: block.oldStart, character: 0)
            let endIndex = block.oldStart + block.oldCount
            let end: TextPosition
            if endIndex == oldLines.count, let last = oldLines.last, last.lineBreak.isEmpty {
                // The change reaches the end of a text without a final line break.
                end = TextPosition(line: endIndex - 1, character: last.contentText.utf16.count)
            } else {
                end = TextPosition(line: endIndex, character: 0)
            }
            let text = newLines[block.newStart..<(block.newStart + block.newCount)].map(\.text).joined()
            return LineEdit(range: TextRange(start: start, end: end), newText: text)
        }
    }
}
