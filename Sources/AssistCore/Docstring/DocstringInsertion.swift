/// Puts rendered comment lines into a file's text, and checks that a change only added `///` lines.
public enum DocstringInsertion {
    /// Inserts comment lines before a line of a text, with the text's own line breaks.
    ///
    /// The line break is the one that ends the line the comment goes before (or the text's first
    /// line break, or `\n`), so a CRLF file stays CRLF. Lines are counted as in LSP.
    /// - Parameters:
    ///   - lines: The comment's lines, without line breaks, as ``DocstringRenderer`` writes them.
    ///   - text: The file's text.
    ///   - line: The 0-based line the comment goes before: the declaration's first attribute, or
    ///     the declaration itself. A line past the end appends the comment at the end.
    /// - Returns: The text with the comment inserted.
    public static func insert(_ lines: [String], into text: String, beforeLine line: Int) -> String {
        let fileLines = splitLines(text, breaks: .lsp)
        let index = min(max(0, line), fileLines.count)
        let lineBreak: String
        if index < fileLines.count, !fileLines[index].lineBreak.isEmpty {
            lineBreak = String(decoding: fileLines[index].lineBreak, as: UTF8.self)
        } else if let first = fileLines.first(where: { !$0.lineBreak.isEmpty }) {
            lineBreak = String(decoding: first.lineBreak, as: UTF8.self)
        } else {
            lineBreak = "\n"
        }
        var result = fileLines[..<index].map(\.text).joined()
        if index == fileLines.count, let last = fileLines.last, last.lineBreak.isEmpty {
            result += lineBreak  // appending after a last line that had no line break
        }
        result += lines.map { $0 + lineBreak }.joined()
        result += fileLines[index...].map(\.text).joined()
        return result
    }

    /// Whether a change only inserted `///` lines and touched nothing else.
    /// - Parameters:
    ///   - old: The text before the change.
    ///   - new: The text after the change.
    /// - Returns: `true` when every difference is an inserted line whose first non-blank characters are `///`.
    public static func addsOnlyDocLines(old: String, new: String) -> Bool {
        let oldLines = splitLines(old, breaks: .lsp)
        let newLines = splitLines(new, breaks: .lsp)
        let blocks = ChangeBlock.blocks(of: LineDiff(old: oldLines, new: newLines))
        return blocks.allSatisfy { block in
            block.oldCount == 0
                && newLines[block.newStart..<(block.newStart + block.newCount)].allSatisfy {
                    $0.contentText.trimmingWhitespace().hasPrefix("///") && !$0.lineBreak.isEmpty
                }
        }
    }
}
