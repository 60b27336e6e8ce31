/// Reads a model's answer: search/replace blocks, or the code that replaces a region.
///
/// A block is written as
///
///     Sources/Foo.swift
///     <<<<<<< SEARCH
///     old lines
///     =======
///     new lines
///     >>>>>>> REPLACE
///
/// and the parser takes what small models actually write: 5 to 9 marker characters, an optional space,
/// `SEARCH` and `REPLACE` in any letter case with anything after them, blocks inside or outside code
/// fences, and the file's path on the last non-blank line before `<<<<<<< SEARCH` (possibly in backticks
/// or bold, after `File:`, `Path:`, `###` or `//`, or in the info string of the fence, as in
/// ```` ```swift Sources/Foo.swift ````).
public enum EditAnswerParser {
    /// Reads the search/replace blocks of an answer.
    ///
    /// Each block's search and replace texts are its lines, each ending in `\n` (`""` for no lines); a
    /// code fence that opens or closes a block's part is not part of it, and a search of blank lines
    /// only is `""`. A block not preceded by a path inherits the previous block's path. The prose is
    /// the text outside the blocks without the paths and the fences that wrap blocks.
    /// - Parameter answer: The model's answer.
    /// - Returns: The blocks and the prose, or an error: `noBlocks` when there is no block; `malformed`
    ///   when a `<<<<<<< SEARCH` has no `=======` before the next `<<<<<<< SEARCH` or `>>>>>>> REPLACE`,
    ///   an `=======` has no `>>>>>>> REPLACE` before the next `<<<<<<< SEARCH`, or a `>>>>>>> REPLACE`
    ///   has no block to close; `truncated` when the answer ends inside a block. Messages name the block.
    public static func parse(_ answer: String) -> Result<EditAnswer, EditError> {
        let lines = EditText.lines(of: answer)
        var blocks: [EditBlock] = []
        var inBlock = Array(repeating: false, count: lines.count)
        var pathLines = Set<Int>()
        var currentPath: String?
        var floor = -1
        var k = 0
        while k < lines.count {
            switch marker(lines[k]) {
            case .search:
                let number = blocks.count + 1
                let (found, pathLine) = path(before: k, after: floor, in: lines)
                if let found {
                    currentPath = found
                    if let pathLine { pathLines.insert(pathLine) }
                }
                let name = "Block \(number)" + (currentPath.map { " (for \($0))" } ?? "")
                var j = k + 1
                var search: [String] = []
                searchPart: while j < lines.count {
                    switch marker(lines[j]) {
                    case .divider:
                        break searchPart
                    case .search:
                        return .failure(EditError(kind: .malformed, message: "\(name) has no `=======` line between its `<<<<<<< SEARCH` (line \(k + 1)) and the next `<<<<<<< SEARCH` (line \(j + 1)); end the lines to find with `=======`, then write the new lines and `>>>>>>> REPLACE`."))
                    case .replace:
                        return .failure(EditError(kind: .malformed, message: "\(name) reaches `>>>>>>> REPLACE` (line \(j + 1)) without an `=======` line; separate the lines to find from the new lines with `=======`."))
                    case nil:
                        search.append(lines[j])
                        j += 1
                    }
                }
                if j == lines.count {
                    return .failure(EditError(kind: .truncated, message: "\(name) is cut off: the answer ends before its `=======` line. Write the whole block again, ending with `>>>>>>> REPLACE`."))
                }
                let divider = j
                j += 1
                var replace: [String] = []
                while j < lines.count {
                    let found = marker(lines[j])
                    if found == .replace { break }
                    if found == .search {
                        return .failure(EditError(kind: .malformed, message: "\(name) has no `>>>>>>> REPLACE` line between its `=======` (line \(divider + 1)) and the next `<<<<<<< SEARCH` (line \(j + 1)); end every block with `>>>>>>> REPLACE`."))
                    }
                    replace.append(lines[j])
                    j += 1
                }
                if j == lines.count {
                    return .failure(EditError(kind: .truncated, message: "\(name) is cut off: the answer ends before its `>>>>>>> REPLACE` line. Write the whole block again, ending with `>>>>>>> REPLACE`."))
                }
                for index in k...j { inBlock[index] = true }
                let searchLines = withoutWrappingFences(search)
                blocks.append(
                    EditBlock(
                        path: currentPath,
                        search: searchLines.allSatisfy { EditText.isBlank($0) } ? "" : text(of: searchLines),
                        replace: text(of: withoutWrappingFences(replace))))
                floor = j
                k = j + 1
            case .replace:
                return .failure(EditError(kind: .malformed, message: "Block \(blocks.count + 1) has a `>>>>>>> REPLACE` line (line \(k + 1)) but no `<<<<<<< SEARCH` line before it; start every block with `<<<<<<< SEARCH`."))
            case .divider, nil:
                k += 1
            }
        }
        if blocks.isEmpty {
            return .failure(EditError(kind: .noBlocks, message: "The answer has no SEARCH/REPLACE block. Write each change as the file's path on its own line, then `<<<<<<< SEARCH`, the exact lines to change, `=======`, the new lines, and `>>>>>>> REPLACE`."))
        }
        return .success(EditAnswer(blocks: blocks, prose: prose(lines, inBlock: inBlock, pathLines: pathLines)))
    }

    /// The replacement text of a region: the content of the first fenced code block with any
    /// non-blank line (```` ```swift ```` … ```` ``` ```` or ```` ``` ```` … ```` ``` ````), or the whole
    /// answer trimmed of blank lines when there is no fence.
    ///
    /// The text's lines keep their indentation and each end in `\n`.
    /// - Parameter answer: The model's answer.
    /// - Returns: The replacement text, or an error: `noBlocks` when it is empty (or every code block is),
    ///   `truncated` when a code fence opens and never closes.
    public static func replacement(from answer: String) -> Result<String, EditError> {
        let lines = EditText.lines(of: answer)
        var sawFence = false
        var index = 0
        while index < lines.count {
            let line = EditText.trimmed(lines[index])
            guard let (character, length) = fenceRun(line) else {
                index += 1
                continue
            }
            sawFence = true
            var close = index + 1
            while close < lines.count {
                let candidate = EditText.trimmed(lines[close])
                if let (closing, closingLength) = fenceRun(candidate), closing == character, closingLength >= length,
                    candidate.allSatisfy({ $0 == character })
                {
                    break
                }
                close += 1
            }
            if close == lines.count {
                return .failure(EditError(kind: .truncated, message: "The answer opens a code block on line \(index + 1) but never closes it; it may have been cut off. Send the whole code again in one code block."))
            }
            let content = Array(lines[(index + 1)..<close])
            if !content.allSatisfy({ EditText.isBlank($0) }) { return .success(text(of: content)) }
            index = close + 1
        }
        if sawFence {
            return .failure(EditError(kind: .noBlocks, message: "The answer's code block is empty; send the new code in one code block."))
        }
        var content = lines[...]
        while let first = content.first, EditText.isBlank(first) { content = content.dropFirst() }
        while let last = content.last, EditText.isBlank(last) { content = content.dropLast() }
        if content.isEmpty {
            return .failure(EditError(kind: .noBlocks, message: "The answer is empty; send the new code in one code block."))
        }
        return .success(text(of: Array(content)))
    }

    // MARK: - Markers and fences

    /// The three marker lines of a block.
    enum Marker: Equatable {
        case search, divider, replace
    }

    /// Which marker a line is: 5 to 9 `<`, `=` or `>`, then for `<` and `>` optional spaces and the word
    /// `SEARCH` or `REPLACE` in any case with anything after it; for `=` nothing else.
    /// - Parameter line: A line of the answer.
    /// - Returns: The marker, or `nil` for any other line.
    static func marker(_ line: String) -> Marker? {
        let bytes = Array(EditText.trimmed(line).utf8)
        guard let first = bytes.first, first == UInt8(ascii: "<") || first == UInt8(ascii: "=") || first == UInt8(ascii: ">")
        else { return nil }
        var run = 0
        while run < bytes.count, bytes[run] == first { run += 1 }
        guard (5...9).contains(run) else { return nil }
        let rest = bytes[run...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        func startsWith(_ word: String) -> Bool {
            let expected = Array(word.utf8)
            guard rest.count >= expected.count else { return false }
            return zip(rest.prefix(expected.count), expected).allSatisfy { actual, wanted in
                (actual >= UInt8(ascii: "A") && actual <= UInt8(ascii: "Z") ? actual + 32 : actual) == wanted
            }
        }
        switch first {
        case UInt8(ascii: "="): return rest.isEmpty ? .divider : nil
        case UInt8(ascii: "<"): return startsWith("search") ? .search : nil
        default: return startsWith("replace") ? .replace : nil
        }
    }

    /// The fence character and run length of a trimmed line that starts a code fence (three or more
    /// backticks or tildes), or `nil`.
    static func fenceRun(_ trimmedLine: String) -> (Character, Int)? {
        guard let first = trimmedLine.first, first == "`" || first == "~" else { return nil }
        let run = trimmedLine.prefix { $0 == first }.count
        return run >= 3 ? (first, run) : nil
    }

    /// The info string of a fence line (after the backticks, trimmed), or `nil` when the line is not a fence.
    static func fenceInfo(_ line: String) -> String? {
        let trimmedLine = EditText.trimmed(line)
        guard let (_, run) = fenceRun(trimmedLine) else { return nil }
        return EditText.trimmed(trimmedLine.dropFirst(run))
    }

    /// A part's lines without a code fence as its first line or a bare closing fence as its last.
    static func withoutWrappingFences(_ lines: [String]) -> [String] {
        var part = lines[...]
        if let first = part.first, fenceInfo(first) != nil { part = part.dropFirst() }
        if let last = part.last, fenceInfo(last) == "" { part = part.dropLast() }
        return Array(part)
    }

    /// Lines put together, each ending in `\n`; `""` for no lines.
    static func text(of lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Paths

    /// The path named before the block whose `<<<<<<< SEARCH` is on line `marker`: on the last
    /// non-blank line after `floor` that is not a fence, or in the info string of a fence after it.
    /// - Returns: The path and the line it was on (`nil` for a fence's info string), or `nil` and `nil`.
    static func path(before marker: Int, after floor: Int, in lines: [String]) -> (String?, Int?) {
        var index = marker - 1
        while index > floor {
            let line = EditText.trimmed(lines[index])
            if line.isEmpty {
                index -= 1
                continue
            }
            if let info = fenceInfo(line) {
                if let found = pathInInfo(info) { return (found, nil) }
                index -= 1
                continue
            }
            if let found = pathCandidate(line) { return (found, index) }
            return (nil, nil)
        }
        return (nil, nil)
    }

    /// A path in a fence's info string, as in `swift Sources/Foo.swift`, `swift:Sources/Foo.swift` or
    /// `swift title="Foo.swift"`.
    static func pathInInfo(_ info: String) -> String? {
        let tokens = info.split { $0 == " " || $0 == "\t" || $0 == ":" || $0 == "=" }
        for token in tokens {
            let candidate = undecorated(String(token)).text
            if looksLikePath(candidate), candidate.contains("/") || hasExtension(candidate) { return candidate }
        }
        return nil
    }

    /// The path a line names when the line is a path (possibly in backticks, quotes or bold, after
    /// `#`s, `//`, a list mark, `File:`, `Path:` or `Filename:`, with a `:` after it or a parenthesised
    /// remark; with spaces only in backticks or quotes or after a label),
    /// or a line of prose with exactly one file name in backticks.
    static func pathCandidate(_ line: String) -> String? {
        var rest = Substring(withoutBold(line))
        rest = rest.drop { $0 == "#" }
        rest = Substring(EditText.trimmed(rest))
        if rest.hasPrefix("//") { rest = Substring(EditText.trimmed(rest.drop { $0 == "/" })) }
        for mark in ["- ", "* ", "+ "] where rest.hasPrefix(mark) {
            rest = Substring(EditText.trimmed(rest.dropFirst(mark.count)))
        }
        var labelled = false
        let lower = rest.lowercased()
        for label in ["file path:", "filepath:", "file name:", "filename:", "file:", "path:"] where lower.hasPrefix(label) {
            rest = rest.dropFirst(label.count)
            labelled = true
            break
        }
        let (candidate, decorated) = undecorated(String(rest))
        if candidate.isEmpty { return nil }
        if !candidate.contains(where: { $0.isWhitespace }) {
            if labelled ? looksLikePath(candidate) : looksLikePath(candidate) && (candidate.contains("/") || hasExtension(candidate)) {
                return candidate
            }
            return nil
        }
        // `Sources/Foo.swift (new file)`
        let words = candidate.split(maxSplits: 1) { $0.isWhitespace }
        if words.count == 2, words[1].hasPrefix("(") {
            let first = undecorated(String(words[0])).text
            if looksLikePath(first), first.contains("/") || hasExtension(first) { return first }
        }
        // `Sources/My File.swift`, File: Sources/My File.swift
        if decorated || labelled, looksLikePath(candidate, allowingSpaces: true), candidate.contains("/") || hasExtension(candidate) {
            return candidate
        }
        if labelled { return nil }
        // Prose with one file name in backticks: "Change `Sources/Foo.swift` as follows:"
        let spans = line.split(separator: "`", omittingEmptySubsequences: false)
        var names: [String] = []
        var index = 1
        while index < spans.count - 1 {
            let span = String(spans[index])
            if !span.contains(where: { $0.isWhitespace }), looksLikePath(span), span.contains("/") || hasKnownExtension(span),
                !names.contains(span)
            {
                names.append(span)
            }
            index += 2
        }
        return names.count == 1 ? names[0] : nil
    }

    /// A line without any `**`.
    static func withoutBold(_ line: String) -> String {
        var out = ""
        var pendingStar = false
        for character in line {
            if character == "*" {
                if pendingStar {
                    pendingStar = false
                } else {
                    pendingStar = true
                }
                continue
            }
            if pendingStar { out.append("*") }
            pendingStar = false
            out.append(character)
        }
        if pendingStar { out.append("*") }
        return out
    }

    /// A text without surrounding whitespace, a trailing `:`, and pairs of backticks or quotes around it.
    static func undecorated(_ raw: String) -> (text: String, decorated: Bool) {
        var text = raw
        var decorated = false
        while true {
            let before = text
            text = EditText.trimmed(text)
            if text.hasSuffix(":") { text.removeLast() }
            for mark: Character in ["`", "\"", "'"] where text.count >= 2 && text.first == mark && text.last == mark {
                text = String(text.dropFirst().dropLast())
                decorated = true
            }
            if text.first == "`", !text.dropFirst().contains("`") {
                text.removeFirst()
                decorated = true
            }
            if text.last == "`", !text.dropLast().contains("`") {
                text.removeLast()
                decorated = true
            }
            if text == before { return (text, decorated) }
        }
    }

    /// Whether a word could be a path: no characters that paths do not hold in practice (nor
    /// whitespace, unless allowed), a letter or a digit, and no final `.`.
    static func looksLikePath(_ word: String, allowingSpaces: Bool = false) -> Bool {
        if word.isEmpty || word.hasSuffix(".") { return false }
        if word.contains(where: { "(){}[]<>=;,|!?*$&#%^\\\"'`".contains($0) || (!allowingSpaces && $0.isWhitespace) }) { return false }
        return word.contains { $0.isLetter || $0.isNumber }
    }

    /// Whether the last path component has an extension with a letter in it, as in `Foo.swift` or `.gitignore`.
    static func hasExtension(_ word: String) -> Bool {
        let name = word.split(separator: "/").last ?? Substring(word)
        guard let dot = name.lastIndex(of: ".") else { return false }
        let ext = name[name.index(after: dot)...]
        return (1...10).contains(ext.count) && ext.allSatisfy { $0.isLetter || $0.isNumber } && ext.contains { $0.isLetter }
    }

    /// Whether a word ends in the extension of a common source, build or documentation file.
    static func hasKnownExtension(_ word: String) -> Bool {
        guard hasExtension(word), let dot = word.lastIndex(of: ".") else { return false }
        let known: Set<String> = [
            "swift", "h", "m", "mm", "c", "cc", "cpp", "hpp", "md", "json", "yml", "yaml", "toml", "txt", "py",
            "js", "ts", "sh", "plist", "xcconfig", "resolved", "rb", "go", "rs", "java", "kt", "html", "css",
            "xml", "strings", "modulemap", "gitignore", "cfg", "ini", "lock",
        ]
        return known.contains(word[word.index(after: dot)...].lowercased())
    }

    // MARK: - Prose

    /// The answer's lines outside the blocks, without path lines and without code fences that wrap
    /// blocks (or nothing); pieces separated by blocks are joined with a blank line.
    static func prose(_ lines: [String], inBlock: [Bool], pathLines: Set<Int>) -> String {
        var dropped = Set<Int>()
        var open: (line: Int, hasBlock: Bool, hasProse: Bool)?
        for index in lines.indices {
            if inBlock[index] {
                open?.hasBlock = true
                continue
            }
            if pathLines.contains(index) { continue }
            guard let info = fenceInfo(lines[index]) else {
                if !EditText.isBlank(lines[index]) { open?.hasProse = true }
                continue
            }
            if let fence = open {
                if fence.hasBlock || !fence.hasProse {
                    dropped.insert(fence.line)
                    if info.isEmpty { dropped.insert(index) }
                }
                open = info.isEmpty ? nil : (index, false, false)
            } else {
                open = (index, false, false)
            }
        }
        if let fence = open, fence.hasBlock || !fence.hasProse { dropped.insert(fence.line) }

        var pieces: [[String]] = [[]]
        for index in lines.indices {
            if inBlock[index] {
                if !(pieces.last?.isEmpty ?? true) { pieces.append([]) }
                continue
            }
            if pathLines.contains(index) || dropped.contains(index) { continue }
            pieces[pieces.count - 1].append(lines[index])
        }
        let texts = pieces.map { piece -> String in
            var slice = piece[...]
            while let first = slice.first, EditText.isBlank(first) { slice = slice.dropFirst() }
            while let last = slice.last, EditText.isBlank(last) { slice = slice.dropLast() }
            return slice.joined(separator: "\n")
        }
        return texts.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }
}
