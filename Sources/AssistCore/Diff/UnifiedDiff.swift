/// Why a unified diff could not be applied.
public enum DiffError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The diff text is not a unified diff at the given 1-based line of the diff.
    case malformed(line: Int, reason: String)
    /// The diff changes a file that is not among the given files.
    case fileNotFound(path: String)
    /// A context or removed line of a hunk does not match the file exactly.
    case contextMismatch(path: String, line: Int, expected: String, found: String?)
    /// A hunk starts before the previous hunk of the same file ends, or past the end of the file.
    case hunkOutOfRange(path: String, line: Int)
    /// The diff creates a file that already exists.
    case fileExists(path: String)

    /// A sentence that describes the error.
    public var description: String {
        switch self {
        case .malformed(let line, let reason):
            return "malformed diff at line \(line): \(reason)"
        case .fileNotFound(let path):
            return "the diff changes \(path), which is not among the files"
        case .contextMismatch(let path, let line, let expected, let found):
            let foundText = found.map { "\($0.debugDescription)" } ?? "the end of the file"
            return "\(path):\(line): expected \(expected.debugDescription), found \(foundText)"
        case .hunkOutOfRange(let path, let line):
            return "\(path):\(line): a hunk starts before the previous one ends or past the end of the file"
        case .fileExists(let path):
            return "the diff creates \(path), which already exists"
        }
    }
}

/// Unified diffs in the form `git apply` takes, written from two texts and applied strictly.
public enum UnifiedDiff {
    private static let noNewline = "\\ No newline at end of file"

    /// Writes the unified diff that turns one version of a file into another.
    ///
    /// Lines end at `\n` only; a `\r` before it is kept in the line, so CRLF files stay CRLF. A last
    /// line without a line break is followed by `\ No newline at end of file`. Diffs of several
    /// files combine by concatenation. As git does, a path with a space ends with a tab in the
    /// `---`/`+++` lines, and a path with a quote, a backslash or a control character is written
    /// in double quotes with C escapes.
    /// - Parameters:
    ///   - path: The file's path relative to the repository root, without `a/` or `b/`.
    ///   - old: The file's content before the change.
    ///   - new: The file's content after the change.
    ///   - context: How many unchanged lines to show around each change.
    /// - Returns: The diff, starting with `diff --git a/path b/path`, or an empty string when the texts are equal.
    public static func make(path: String, old: String, new: String, context: Int = 3) -> String {
        let oldLines = splitLines(old, breaks: .lineFeed)
        let newLines = splitLines(new, breaks: .lineFeed)
        let blocks = ChangeBlock.blocks(of: LineDiff(old: oldLines, new: newLines))
        if blocks.isEmpty { return "" }
        let context = max(0, context)
        let (oldName, newName) = (quotedPath("a/", path), quotedPath("b/", path))
        // Like git, end a name that holds a space with a tab, so the name's end is unambiguous.
        let tab = path.contains(" ") && !oldName.hasPrefix("\"") ? "\t" : ""
        var out = "diff --git \(oldName) \(newName)\n--- \(oldName)\(tab)\n+++ \(newName)\(tab)\n"
        var groupStart = 0
        while groupStart < blocks.count {
            var groupEnd = groupStart + 1
            while groupEnd < blocks.count {
                let previous = blocks[groupEnd - 1]
                if blocks[groupEnd].oldStart - (previous.oldStart + previous.oldCount) > 2 * context { break }
                groupEnd += 1
            }
            let first = blocks[groupStart]
            let last = blocks[groupEnd - 1]
            let oldFrom = max(0, first.oldStart - context)
            let oldTo = min(oldLines.count, last.oldStart + last.oldCount + context)
            let newFrom = first.newStart - (first.oldStart - oldFrom)
            let newTo = last.newStart + last.newCount + (oldTo - (last.oldStart + last.oldCount))
            out += "@@ -\(range(oldFrom, oldTo - oldFrom)) +\(range(newFrom, newTo - newFrom)) @@\n"
            var i = oldFrom
            for block in blocks[groupStart..<groupEnd] {
                while i < block.oldStart {
                    append(" ", oldLines[i], to: &out)
                    i += 1
                }
                for k in block.oldStart..<(block.oldStart + block.oldCount) { append("-", oldLines[k], to: &out) }
                for k in block.newStart..<(block.newStart + block.newCount) { append("+", newLines[k], to: &out) }
                i = block.oldStart + block.oldCount
            }
            while i < oldTo {
                append(" ", oldLines[i], to: &out)
                i += 1
            }
            groupStart = groupEnd
        }
        return out
    }

    /// The path with its prefix, in double quotes with C escapes when it holds a quote, a backslash
    /// or a control character, as git writes such names.
    static func quotedPath(_ prefix: String, _ path: String) -> String {
        let name = prefix + path
        let needsQuotes = name.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsQuotes else { return name }
        return "\"" + cEscaped(name) + "\""
    }

    /// The name with quotes, backslashes and control characters escaped, other characters as they are.
    private static func cEscaped(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let octal = String(scalar.value, radix: 8)
                    result += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Reads a name that git wrote in double quotes with C escapes; `nil` when it is not well formed.
    static func unquotedPath(_ quoted: Substring) -> String? {
        guard quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") else { return nil }
        var bytes: [UInt8] = []
        var rest = Array(quoted.dropFirst().dropLast().utf8)[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            guard let escaped = rest.popFirst() else { return nil }
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "a"): bytes.append(0x07)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard let digit = rest.first, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit) else { return nil }
                    value = value * 8 + Int(digit - UInt8(ascii: "0"))
                    rest = rest.dropFirst()
                }
                guard value < 256 else { return nil }
                bytes.append(UInt8(value))
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        // 1-based start; an empty range names the line before it, as diff does.
        let shown = count == 0 ? start : start + 1
        return count == 1 ? "\(shown)" : "\(shown),\(count)"
    }

    private static func append(_ prefix: String, _ line: DiffLine, to out: inout String) {
        out += prefix
        out += line.contentText
        if line.lineBreak.isEmpty {
            out += "\n" + noNewline + "\n"
        } else {
            out += "\n"
        }
    }

    /// One hunk line: its kind (` `, `-` or `+`) and the line with its line break, if any.
    private struct HunkLine {
        var kind: Character
        var text: String
    }

    private struct Hunk {
        var oldStart: Int
        var oldCount: Int
        var newStart: Int
        var newCount: Int
        var lines: [HunkLine]
        var diffLine: Int
    }

    private struct FilePatch {
        var oldPath: String?
        var newPath: String?
        var hunks: [Hunk]
    }

    /// Applies a unified diff strictly: every context and removed line must match the file exactly,
    /// at exactly the line the hunk header names.
    ///
    /// Use it to check that a diff applies to the very content a request saw. `--- /dev/null` creates
    /// a file and `+++ /dev/null` deletes one.
    /// - Parameters:
    ///   - diff: One or more concatenated file diffs, as ``make(path:old:new:context:)`` writes them.
    ///   - files: The files' contents, keyed by path relative to the repository root.
    /// - Returns: All files, with the changed ones replaced (and deleted ones removed), or the first error.
    public static func apply(_ diff: String, to files: [String: String]) -> Result<[String: String], DiffError> {
        let patches: [FilePatch]
        switch parse(diff) {
        case .success(let parsed): patches = parsed
        case .failure(let error): return .failure(error)
        }
        var result = files
        for patch in patches {
            let path = patch.newPath ?? patch.oldPath ?? ""
            var oldText = ""
            if let oldPath = patch.oldPath {
                guard let text = result[oldPath] else { return .failure(.fileNotFound(path: oldPath)) }
                oldText = text
            } else if result[path] != nil {
                return .failure(.fileExists(path: path))
            }
            switch applyHunks(patch.hunks, to: oldText, path: path) {
            case .failure(let error): return .failure(error)
            case .success(let newText):
                if let oldPath = patch.oldPath { result[oldPath] = nil }
                if let newPath = patch.newPath { result[newPath] = newText }
            }
        }
        return .success(result)
    }

    private static func applyHunks(_ hunks: [Hunk], to text: String, path: String) -> Result<String, DiffError> {
        let lines = splitLines(text, breaks: .lineFeed).map(\.text)
        var out = ""
        var next = 0
        for hunk in hunks {
            // An empty old range names the line after which the hunk inserts.
            let start = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1
            guard start >= next, start <= lines.count else {
                return .failure(.hunkOutOfRange(path: path, line: hunk.diffLine))
            }
            for k in next..<start { out += lines[k] }
            var i = start
            for line in hunk.lines {
                switch line.kind {
                case "+":
                    out += line.text
                default:
                    let found = i < lines.count ? lines[i] : nil
                    guard let found, found.utf8.elementsEqual(line.text.utf8) else {
                        return .failure(.contextMismatch(path: path, line: i + 1, expected: line.text, found: found))
                    }
                    if line.kind == " " { out += line.text }
                    i += 1
                }
            }
            next = i
        }
        for k in next..<lines.count { out += lines[k] }
        return .success(out)
    }

    private static func parse(_ diff: String) -> Result<[FilePatch], DiffError> {
        // Cut at `\n` only, so a `\r` stays part of its line.
        let rows = splitLines(diff, breaks: .lineFeed).map(\.contentText)
        var patches: [FilePatch] = []
        var index = 0
        func path(_ raw: Substring, prefix: String) -> String? {
            var value = raw
            if let tab = value.firstIndex(of: "\t") { value = value[..<tab] }
            if value.hasPrefix("\""), let unquoted = unquotedPath(value) { value = Substring(unquoted) }
            if value == "/dev/null" { return nil }
            if value.hasPrefix(prefix) { value = value.dropFirst(prefix.count) }
            return String(value)
        }
        while index < rows.count {
            let row = rows[index]
            guard row.hasPrefix("--- ") else {
                index += 1  // `diff --git`, `index`, mode lines and any preamble
                continue
            }
            guard index + 1 < rows.count, rows[index + 1].hasPrefix("+++ ") else {
                return .failure(.malformed(line: index + 1, reason: "`---` is not followed by `+++`"))
            }
            var patch = FilePatch(
                oldPath: path(row.dropFirst(4), prefix: "a/"),
                newPath: path(rows[index + 1].dropFirst(4), prefix: "b/"), hunks: [])
            if patch.oldPath == nil, patch.newPath == nil {
                return .failure(.malformed(line: index + 1, reason: "both paths are /dev/null"))
            }
            index += 2
            while index < rows.count, rows[index].hasPrefix("@@ ") {
                guard let header = parseHeader(rows[index]) else {
                    return .failure(.malformed(line: index + 1, reason: "bad hunk header"))
                }
                var hunk = Hunk(
                    oldStart: header.0, oldCount: header.1, newStart: header.2, newCount: header.3, lines: [],
                    diffLine: index + 1)
                index += 1
                var oldSeen = 0
                var newSeen = 0
                while oldSeen < hunk.oldCount || newSeen < hunk.newCount {
                    guard index < rows.count else {
                        return .failure(.malformed(line: index, reason: "the hunk is shorter than its header says"))
                    }
                    let text = rows[index]
                    let kind: Character = text.first ?? " "
                    guard kind == " " || kind == "-" || kind == "+" else {
                        return .failure(.malformed(line: index + 1, reason: "a hunk line must start with ' ', '-' or '+'"))
                    }
                    var content = String(text.dropFirst())
                    if index + 1 < rows.count, rows[index + 1].hasPrefix("\\") {
                        index += 1  // `\ No newline at end of file`: the line has no line break
                    } else {
                        content += "\n"
                    }
                    if kind != "+" { oldSeen += 1 }
                    if kind != "-" { newSeen += 1 }
                    hunk.lines.append(HunkLine(kind: kind, text: content))
                    index += 1
                }
                if oldSeen != hunk.oldCount || newSeen != hunk.newCount {
                    return .failure(.malformed(line: hunk.diffLine, reason: "the hunk's line counts do not match its header"))
                }
                patch.hunks.append(hunk)
            }
            patches.append(patch)
        }
        return .success(patches)
    }

    /// Reads `@@ -l,c +l,c @@`, where a missing count means 1.
    private static func parseHeader(_ row: String) -> (Int, Int, Int, Int)? {
        let parts = row.split(separator: " ")
        guard parts.count >= 4, parts[0] == "@@", parts[3] == "@@" || parts[3].hasPrefix("@@"),
            parts[1].hasPrefix("-"), parts[2].hasPrefix("+")
        else { return nil }
        func pair(_ field: Substring) -> (Int, Int)? {
            let numbers = field.dropFirst().split(separator: ",", omittingEmptySubsequences: false)
            guard numbers.count == 1 || numbers.count == 2, let start = Int(numbers[0]), start >= 0 else { return nil }
            if numbers.count == 1 { return (start, 1) }
            guard let count = Int(numbers[1]), count >= 0 else { return nil }
            return (start, count)
        }
        guard let old = pair(parts[1]), let new = pair(parts[2]) else { return nil }
        return (old.0, old.1, new.0, new.1)
    }
}
