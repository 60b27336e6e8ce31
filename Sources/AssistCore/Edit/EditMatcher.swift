/// Applies edits to file texts, tolerant of the whitespace and indentation that models get wrong.
///
/// A search text is looked up in stages, stopping at the first stage that finds exactly one match:
///
/// 1. exact substring (lines may be cut in the middle; a match that covers whole lines apart from
///    indentation wins over matches inside lines);
/// 2. whole lines, ignoring trailing whitespace;
/// 3. whole lines, ignoring indentation: the replacement is shifted by the difference between the
///    file's and the search's indentation (of their first non-blank lines), unless its first
///    non-blank line already has the file's indentation;
/// 4. whole lines with every run of whitespace collapsed, shifted as in 3;
/// 5. as 3, ignoring blank lines in the search and in the file.
///
/// From stage 2 on, trailing whitespace is removed from the replacement's lines. Several matches at a
/// stage make the block ambiguous; none at all make it not found, and the error
/// names the lines of the file that look most like the search.
public enum EditMatcher {
    /// Applies blocks in order to files.
    ///
    /// A block without a path goes to `defaultPath`. Paths are normalised with
    /// ``EditPath/normalize(_:known:)`` against the files' paths. Each block's search is looked up in
    /// the file's text as changed by the earlier blocks. A block whose path is not in `files` and
    /// whose search is empty (or blank) creates that file with the replacement (ending in a line
    /// break); an empty search also fills a file that holds only whitespace. New lines take the
    /// file's line-ending style (`\n` or `\r\n`), and the file's final newline (or its absence) is
    /// kept.
    /// - Parameters:
    ///   - blocks: The edits, in order.
    ///   - files: Path → the exact content the request saw.
    ///   - defaultPath: The file for blocks that name none, or `nil`.
    /// - Returns: The files whose content changed (new files included), with their new content; or an
    ///   error: `badPath` for a block with no path and no default or a path ``EditPath`` refuses;
    ///   `notFound` for a search that matches nothing, a non-empty search in an unknown file, or an
    ///   empty search in a non-empty file; `ambiguous` for a search that matches several places;
    ///   `overlapping` for a search that matches only the text before an earlier block changed it;
    ///   `noChange` when the result is identical to the input; `noBlocks` when `blocks` is empty.
    public static func apply(
        _ blocks: [EditBlock], to files: [String: String], defaultPath: String?
    ) -> Result<[String: String], EditError> {
        if blocks.isEmpty {
            return .failure(EditError(kind: .noBlocks, message: "There are no SEARCH/REPLACE blocks to apply."))
        }
        var working = files
        var changedBy: [String: [Int]] = [:]
        for (offset, block) in blocks.enumerated() {
            let number = offset + 1
            guard let raw = block.path ?? defaultPath else {
                return .failure(EditError(kind: .badPath, message: "Block \(number) names no file; write the file's path on its own line before `<<<<<<< SEARCH`."))
            }
            let path: String
            switch EditPath.normalize(raw, known: Set(working.keys)) {
            case .success(let normalized): path = normalized
            case .failure(let error): return .failure(EditError(kind: .badPath, message: "Block \(number): \(error.message)"))
            }
            let name = "SEARCH block \(number) for \(path)"
            let searchIsEmpty = EditText.isBlank(block.search)
            guard let content = working[path] else {
                guard searchIsEmpty else {
                    let known = working.keys.sorted()
                    let list = known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")
                    return .failure(EditError(kind: .notFound, message: "SEARCH block \(number) names \(path), which is not among the files given (\(list)); use one of those paths, or an empty SEARCH to create a new file."))
                }
                if let file = working.keys.first(where: { $0.hasPrefix(path + "/") || path.hasPrefix($0 + "/") }) {
                    let why = file.hasPrefix(path + "/") ? "is a directory (it holds \(file))" : "is under \(file), which is a file"
                    return .failure(EditError(kind: .badPath, message: "Block \(number) creates \(path), which \(why); name a new file."))
                }
                working[path] = newFileText(block.replace)
                changedBy[path, default: []].append(number)
                continue
            }
            if searchIsEmpty {
                guard EditText.isBlank(content) else {
                    return .failure(EditError(kind: .notFound, message: "\(name) is empty, but \(path) already has content; put the exact lines to change in SEARCH."))
                }
                working[path] = newFileText(block.replace)
                changedBy[path, default: []].append(number)
                continue
            }
            switch edit(content, search: block.search, replace: block.replace) {
            case .replaced(let text):
                working[path] = text
                if !text.utf8.elementsEqual(content.utf8) { changedBy[path, default: []].append(number) }
            case .ambiguous(let count, let lines):
                let place = lines.count == 1 ? "all on line \(lines[0])" : "lines \(EditText.list(lines))"
                return .failure(EditError(kind: .ambiguous, message: "\(name) matches \(count) places (\(place)); add more of the surrounding lines to SEARCH so that it matches only one."))
            case .notFound:
                if let earlier = changedBy[path], let original = files[path] {
                    if case .notFound = edit(original, search: block.search, replace: block.replace) {
                    } else {
                        let blockList = EditText.list(earlier)
                        return .failure(EditError(kind: .overlapping, message: "\(name) matches \(path) only as it was before block\(earlier.count > 1 ? "s" : "") \(blockList) changed it; write SEARCH against the text after the earlier blocks, or merge the blocks into one."))
                    }
                }
                return .failure(notFoundError(name: name, search: block.search, in: EditLines(content).lines))
            }
        }
        var changed: [String: String] = [:]
        for (path, text) in working {
            if let old = files[path], old.utf8.elementsEqual(text.utf8) { continue }
            changed[path] = text
        }
        if changed.isEmpty {
            let message =
                blocks.count == 1
                ? "Block 1 changes nothing: its REPLACE lines are the same as the lines its SEARCH finds. Write the change in the REPLACE part."
                : "The blocks change nothing: their REPLACE lines leave every file as it was. Write the changes in the REPLACE parts."
            return .failure(EditError(kind: .noChange, message: message))
        }
        return .success(changed)
    }

    /// Replaces some lines of a text.
    ///
    /// When the indentation of the replacement's first non-blank line differs from that of the
    /// region's first non-blank line, the whole replacement is shifted by the difference, keeping its
    /// lines' indentation relative to each other (in the text's tab or space style). The new lines
    /// take the text's line-ending style (`\n` or `\r\n`), and the text keeps its final newline (or its
    /// absence). An empty replacement deletes the lines. A result equal to the text is not an error.
    /// - Parameters:
    ///   - lines: The 1-based, inclusive line numbers to replace.
    ///   - text: The text.
    ///   - replacement: The new lines; one final line break is ignored.
    /// - Returns: The new text, or an error of kind `notFound` when the lines are not all in the text.
    public static func replaceLines(
        _ lines: ClosedRange<Int>, of text: String, with replacement: String
    ) -> Result<String, EditError> {
        var file = EditLines(text)
        guard lines.lowerBound >= 1, lines.upperBound <= file.lines.count else {
            let count = file.lines.count
            return .failure(EditError(kind: .notFound, message: "Lines \(lines.lowerBound)-\(lines.upperBound) are not in the text, which has \(count) line\(count == 1 ? "" : "s")."))
        }
        let region = (lines.lowerBound - 1)..<lines.upperBound
        var newLines = EditText.lines(of: replacement)
        if let to = EditText.firstIndentation(of: file.lines[region]), let from = EditText.firstIndentation(of: newLines) {
            newLines = EditText.reindent(newLines, from: from, to: to, modelLines: newLines, fileLines: file.lines)
        }
        file.replace(region, with: newLines)
        return .success(file.text)
    }

    // MARK: - Matching

    /// What looking up one block in one text gave.
    enum Outcome: Error, Equatable {
        /// The text with the block applied.
        case replaced(String)
        /// The search matches `count` places, starting at these 1-based lines.
        case ambiguous(count: Int, lines: [Int])
        /// The search matches nothing.
        case notFound
    }

    /// Where a search matched and what the matched lines become.
    struct Splice {
        /// The 0-based lines matched.
        var range: Range<Int>
        /// The lines to put in their place.
        var lines: [String]
    }

    /// An exact occurrence of the search text: from a byte of one line to a byte of another.
    struct Occurrence {
        var line: Int
        var start: Int
        var endLine: Int
        var end: Int
    }

    /// Applies one search/replace to a text.
    /// - Parameters:
    ///   - content: The file's text.
    ///   - search: The text to find (not blank).
    ///   - replace: The text to put in its place.
    /// - Returns: The new text, or why there is none.
    static func edit(_ content: String, search: String, replace: String) -> Outcome {
        var file = EditLines(content)
        switch locate(EditText.lines(of: search), EditText.lines(of: replace), in: file.lines) {
        case .success(let splice):
            file.replace(splice.range, with: splice.lines)
            return .replaced(file.text)
        case .failure(let outcome):
            return outcome
        }
    }

    /// Finds a search in a file's lines, stage by stage.
    /// - Parameters:
    ///   - search: The search's lines, not all blank.
    ///   - replace: The replacement's lines.
    ///   - lines: The file's lines.
    /// - Returns: Which lines to replace with what, or `.ambiguous`/`.notFound`.
    static func locate(_ search: [String], _ replace: [String], in lines: [String]) -> Result<Splice, Outcome> {
        let m = search.count
        let fileBytes = lines.map { Array($0.utf8) }
        let searchBytes = search.map { Array($0.utf8) }
        let fileIndentation = { (range: Range<Int>) in EditText.firstIndentation(of: lines[range]) ?? "" }
        let searchIndentation = EditText.firstIndentation(of: search) ?? ""
        func shifted(_ newLines: [String], for range: Range<Int>) -> [String] {
            let target = fileIndentation(range)
            // A replacement already written at the file's indentation, whatever the search's.
            if target != searchIndentation, EditText.firstIndentation(of: replace) == target { return newLines }
            return EditText.reindent(
                newLines, from: searchIndentation, to: target, modelLines: search + replace, fileLines: lines)
        }

        // 1. Exact substring.
        var occurrences: [Occurrence] = []
        if m == 1 {
            for (index, line) in fileBytes.enumerated() {
                for start in positions(of: searchBytes[0], in: line) {
                    occurrences.append(Occurrence(line: index, start: start, endLine: index, end: start + searchBytes[0].count))
                }
            }
        } else if fileBytes.count >= m {
            for index in 0...(fileBytes.count - m) {
                let first = fileBytes[index]
                let last = fileBytes[index + m - 1]
                guard first.count >= searchBytes[0].count, first.suffix(searchBytes[0].count).elementsEqual(searchBytes[0]),
                    last.starts(with: searchBytes[m - 1]),
                    (1..<(m - 1)).allSatisfy({ fileBytes[index + $0] == searchBytes[$0] })
                else { continue }
                occurrences.append(Occurrence(line: index, start: first.count - searchBytes[0].count, endLine: index + m - 1, end: searchBytes[m - 1].count))
            }
        }
        func coversLines(_ occurrence: Occurrence) -> Bool {
            fileBytes[occurrence.line][..<occurrence.start].allSatisfy(isSpaceByte)
                && fileBytes[occurrence.endLine][occurrence.end...].allSatisfy(isSpaceByte)
        }
        var pending: Outcome?
        if !occurrences.isEmpty {
            let whole = occurrences.filter(coversLines)
            let chosen = occurrences.count == 1 ? occurrences[0] : whole.count == 1 ? whole[0] : nil
            if let chosen {
                let range = chosen.line..<(chosen.endLine + 1)
                if coversLines(chosen) && (m == 1 || replace.isEmpty) {
                    return .success(Splice(range: range, lines: shifted(replace, for: range)))
                }
                var prefix = String(decoding: fileBytes[chosen.line][..<chosen.start], as: UTF8.self)
                // A first line whose indentation the model dropped in SEARCH but wrote in REPLACE.
                if coversLines(chosen), let first = replace.first,
                    EditText.indentation(of: first) == EditText.indentation(of: lines[chosen.line])
                {
                    prefix = ""
                }
                let suffix = String(decoding: fileBytes[chosen.endLine][chosen.end...], as: UTF8.self)
                let joined = prefix + replace.joined(separator: "\n") + suffix
                return .success(Splice(range: range, lines: EditText.lines(of: joined + "\n")))
            }
            if whole.count >= 2 { return .failure(.ambiguous(count: whole.count, lines: whole.map { $0.line + 1 })) }
            var starts: [Int] = []
            for occurrence in occurrences where starts.last != occurrence.line + 1 { starts.append(occurrence.line + 1) }
            pending = .ambiguous(count: occurrences.count, lines: starts)
        }

        // From here on the search's whitespace is not the file's: the replacement's trailing whitespace
        // is the model's too, and goes.
        let replace = replace.map(EditText.trimmedTrailing)

        // 2-4. Whole lines, compared through a key.
        let stages: [(key: (String) -> String, shift: Bool)] = [
            (EditText.trimmedTrailing, false),
            (EditText.trimmed, true),
            (EditText.collapsed, true),
        ]
        for stage in stages {
            let fileKeys = lines.map(stage.key)
            let searchKeys = search.map(stage.key)
            var starts: [Int] = []
            if fileKeys.count >= m {
                for index in 0...(fileKeys.count - m) where (0..<m).allSatisfy({ fileKeys[index + $0] == searchKeys[$0] }) {
                    starts.append(index)
                }
            }
            if starts.count == 1 {
                let range = starts[0]..<(starts[0] + m)
                return .success(Splice(range: range, lines: stage.shift ? shifted(replace, for: range) : replace))
            }
            if starts.count > 1 { return .failure(.ambiguous(count: starts.count, lines: starts.map { $0 + 1 })) }
        }

        // 5. Whole lines ignoring indentation and blank lines.
        let searchKeys = search.filter { !EditText.isBlank($0) }.map(EditText.trimmed)
        let fileRows = lines.indices.filter { !EditText.isBlank(lines[$0]) }
        let fileKeys = fileRows.map { EditText.trimmed(lines[$0]) }
        let k = searchKeys.count
        var starts: [Int] = []
        if k > 0, fileKeys.count >= k {
            for index in 0...(fileKeys.count - k) where (0..<k).allSatisfy({ fileKeys[index + $0] == searchKeys[$0] }) {
                starts.append(index)
            }
        }
        if starts.count == 1 {
            let range = fileRows[starts[0]]..<(fileRows[starts[0] + k - 1] + 1)
            // The blank lines that framed the search frame the replacement too: drop them there as well.
            let leading = search.prefix { EditText.isBlank($0) }.count
            let trailing = search.reversed().prefix { EditText.isBlank($0) }.count
            var body = replace[...]
            for _ in 0..<leading where body.first.map({ EditText.isBlank($0) }) == true { body = body.dropFirst() }
            for _ in 0..<trailing where body.last.map({ EditText.isBlank($0) }) == true { body = body.dropLast() }
            return .success(Splice(range: range, lines: shifted(Array(body), for: range)))
        }
        if starts.count > 1 { return .failure(.ambiguous(count: starts.count, lines: starts.map { fileRows[$0] + 1 })) }
        return .failure(pending ?? .notFound)
    }

    /// Where a byte string occurs in another, overlapping occurrences included.
    static func positions(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        let first = needle[0]
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            var k = 1
            while k < needle.count, haystack[start + k] == needle[k] { k += 1 }
            if k == needle.count { found.append(start) }
        }
        return found
    }

    /// Whether a byte is whitespace within a line.
    static func isSpaceByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// A new file's text: the replacement, ending in a line break unless it is empty.
    static func newFileText(_ replace: String) -> String {
        if replace.isEmpty || replace.unicodeScalars.last == "\n" { return replace }
        return replace + "\n"
    }

    // MARK: - Not found

    /// The error for a search that matches nothing, naming the lines of the file most like it.
    static func notFoundError(name: String, search: String, in lines: [String]) -> EditError {
        let searchLines = EditText.lines(of: search)
        guard let region = closestLines(to: searchLines, in: lines) else {
            return EditError(kind: .notFound, message: "\(name) matches nothing, and no line of the file resembles its first line; copy the lines to change exactly from the file into SEARCH.")
        }
        let shownEnd = min(region.upperBound, region.lowerBound + 11)
        var excerpt = lines[region.lowerBound...shownEnd].joined(separator: "\n")
        if shownEnd < region.upperBound { excerpt += "\n…" }
        let which =
            region.count == 1
            ? "the closest line is \(region.lowerBound + 1)"
            : "the closest lines are \(region.lowerBound + 1)-\(region.upperBound + 1)"
        return EditError(kind: .notFound, message: "\(name) matches nothing; \(which):\n```\n\(excerpt)\n```\nCopy the lines to change exactly from the file into SEARCH.")
    }

    /// The 0-based lines of a file that look most like a search: starting where the search's first
    /// non-blank lines (up to five) best match consecutive non-blank lines of the file by
    /// ``EditText/similarity(_:_:)``, as long as the search's lines from its first to its last
    /// non-blank one. `nil` when the file has no non-blank line or nothing resembles the search.
    static func closestLines(to search: [String], in lines: [String]) -> ClosedRange<Int>? {
        let keys = search.filter { !EditText.isBlank($0) }.prefix(5).map(EditText.trimmed)
        let rows = lines.indices.filter { !EditText.isBlank(lines[$0]) }
        guard !keys.isEmpty, !rows.isEmpty,
            let firstSearch = search.firstIndex(where: { !EditText.isBlank($0) }),
            let lastSearch = search.lastIndex(where: { !EditText.isBlank($0) })
        else { return nil }
        let trimmedRows = rows.map { EditText.trimmed(lines[$0]) }
        var best = 0.0
        var bestRow: Int?
        for start in rows.indices {
            var total = 0.0
            for (offset, key) in keys.enumerated() where start + offset < rows.count {
                total += EditText.similarity(key, trimmedRows[start + offset])
            }
            let score = total / Double(keys.count)
            if score > best {
                best = score
                bestRow = start
            }
        }
        guard let bestRow else { return nil }
        let first = rows[bestRow]
        return first...min(lines.count - 1, first + lastSearch - firstSearch)
    }
}
