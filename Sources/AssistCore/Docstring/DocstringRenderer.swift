/// A documentation comment rebuilt for a declaration, and what was fixed on the way.
public struct RenderResult: Sendable, Equatable {
    /// The comment's lines, each the declaration's indentation followed by `///`, without line
    /// breaks; empty when there was nothing usable to write (see ``diagnostics``).
    public var lines: [String]
    /// What the parser and the renderer noticed and fixed, parser first.
    public var diagnostics: [DocstringDiagnostic]

    /// Creates a result.
    /// - Parameters:
    ///   - lines: The comment's lines.
    ///   - diagnostics: What was noticed and fixed.
    public init(lines: [String], diagnostics: [DocstringDiagnostic]) {
        self.lines = lines
        self.diagnostics = diagnostics
    }

    /// Whether the model should be asked once more, telling it ``retryMessage``.
    public var needsRetry: Bool { diagnostics.contains(where: \.needsRetry) }

    /// The problems to tell the model when asking again, one sentence each, or `nil` when none.
    public var retryMessage: String? {
        let sentences = diagnostics.filter(\.needsRetry).map(\.description)
        return sentences.isEmpty ? nil : sentences.joined(separator: " ")
    }

    /// The comment as text: every line followed by `\n`.
    public var text: String { lines.map { $0 + "\n" }.joined() }
}

/// Rebuilds a parsed docstring as a DocC comment that matches its declaration.
///
/// The comment is a one-sentence summary ending with a period, then a blank `///` line and the
/// discussion paragraphs, then `- Parameter x:` (one parameter) or a `- Parameters:` list in
/// signature order, `- Returns:` only when the declaration returns a value and `- Throws:` only
/// when it throws. Invented parameters are dropped, parameters documented under their argument
/// label are renamed, and missing ones get a placeholder and a ``DocstringDiagnostic/missingParameter(_:)``
/// so the caller can ask the model again. No line is longer than ``maximumLineLength``.
public enum DocstringRenderer {
    /// The longest line the renderer writes, indentation included.
    public static let maximumLineLength = 120

    /// Rebuilds the comment for a declaration.
    /// - Parameters:
    ///   - parsed: The comment's parts, as ``DocstringParser/parse(_:)`` read them.
    ///   - target: The declaration the comment documents.
    /// - Returns: The comment's lines at the declaration's indentation and what was fixed.
    public static func render(_ parsed: ParsedDocstring, for target: DocTarget) -> RenderResult {
        var diagnostics = DocstringParser.Diagnostics()
        for diagnostic in parsed.diagnostics { diagnostics.add(diagnostic) }
        let indentation = String(target.indentation.filter { $0 == " " || $0 == "\t" })
        let prefix = indentation + "///"

        // The summary is the first paragraph that reads as a sentence, not a list item or callout.
        var discussion = ([parsed.summary ?? ""] + parsed.discussion).map(clean).filter { !$0.isEmpty }
        guard let summaryIndex = discussion.firstIndex(where: isSentenceStart) else {
            diagnostics.add(.missingSummary)
            return RenderResult(lines: [], diagnostics: diagnostics.list)
        }
        let rawSummary = withoutNamePrefix(discussion.remove(at: summaryIndex), name: target.name)
        var (summary, rest) = splitFirstSentence(rawSummary)
        if !rest.isEmpty {
            diagnostics.add(.summarySplit)
            discussion.insert(rest, at: 0)
        }
        let punctuated = sentence(summary)
        if punctuated != capitalized(summary) { diagnostics.add(.summaryPunctuated) }
        summary = punctuated

        // Parameters, in signature order.
        let names = target.documentedParameterNames
        var byName: [String: String] = [:]
        for parameter in parsed.parameters {
            var name = parameter.name
            if !names.contains(name) {
                let byLabel = target.parameters.first { $0.externalLabel == name && $0.documentedName != nil }
                let byCase = names.first { $0.lowercased() == name.lowercased() }
                if let renamed = byLabel?.documentedName ?? byCase, byName[renamed] == nil,
                    !parsed.parameters.contains(where: { $0.name == renamed })
                {
                    diagnostics.add(.renamedParameter(from: name, to: renamed))
                    name = renamed
                } else {
                    diagnostics.add(.inventedParameter(name))
                    continue
                }
            }
            let text = clean(parameter.text)
            if byName[name] == nil, !text.isEmpty { byName[name] = sentence(text) }
        }
        var parameterTexts: [(String, String)] = []
        for name in names {
            if let text = byName[name] {
                parameterTexts.append((name, text))
            } else {
                diagnostics.add(.missingParameter(name))
                parameterTexts.append((name, "The `\(name)` value."))
            }
        }

        var returnsText = parsed.returnsText.map(clean).flatMap { $0.isEmpty ? nil : sentence($0) }
        if returnsText != nil, !target.returnsValue {
            diagnostics.add(.unexpectedReturns)
            returnsText = nil
        } else if returnsText == nil, target.returnsValue {
            diagnostics.add(.missingReturns)
        }
        var throwsText = parsed.throwsText.map(clean).flatMap { $0.isEmpty ? nil : sentence($0) }
        if throwsText != nil, !target.isThrowing {
            diagnostics.add(.unexpectedThrows)
            throwsText = nil
        } else if throwsText == nil, target.isThrowing {
            diagnostics.add(.missingThrows)
        }

        var lines: [String] = []
        var wrapped = false
        func emit(_ text: String, first: String, continuation: String) {
            let result = wrap(text, firstPrefix: prefix + first, continuationPrefix: prefix + continuation)
            if result.count > 1 { wrapped = true }
            lines.append(contentsOf: result)
        }
        emit(summary, first: " ", continuation: " ")
        for paragraph in discussion {
            lines.append(prefix)
            emit(paragraph, first: " ", continuation: " ")
        }
        let hasFields = !parameterTexts.isEmpty || returnsText != nil || throwsText != nil
        if hasFields { lines.append(prefix) }
        if parameterTexts.count == 1, let (name, text) = parameterTexts.first {
            emit("- Parameter \(name): \(text)", first: " ", continuation: "   ")
        } else if !parameterTexts.isEmpty {
            lines.append(prefix + " - Parameters:")
            for (name, text) in parameterTexts {
                emit("- \(name): \(text)", first: "   ", continuation: "     ")
            }
        }
        if let returnsText { emit("- Returns: \(returnsText)", first: " ", continuation: "   ") }
        if let throwsText { emit("- Throws: \(throwsText)", first: " ", continuation: "   ") }
        if wrapped { diagnostics.add(.wrappedLongLine) }
        return RenderResult(lines: lines, diagnostics: diagnostics.list)
    }

    /// Collapses whitespace, drops control characters and anything that could end a comment.
    static func clean(_ text: String) -> String {
        let visible = text.map { $0.isNewline || $0 == "\t" ? " " : $0 }
            .filter { !($0.unicodeScalars.first.map { $0.properties.generalCategory == .control } ?? false) }
        return String(visible).split(separator: " ").joined(separator: " ")
    }

    /// The summary without a leading declaration name that small models like to write first, as in
    /// `add(_:to:): Adds two integers.` or `` `count` - The number of items. ``.
    static func withoutNamePrefix(_ summary: String, name: String) -> String {
        let baseName = String(name.prefix { $0 != "(" })
        for candidate in [name, baseName, "`\(name)`", "`\(baseName)`", "\(baseName)()"] where !candidate.isEmpty {
            guard summary.hasPrefix(candidate) else { continue }
            let rest = summary.dropFirst(candidate.count)
            for separator in [": ", " - ", " – ", " — "] where rest.hasPrefix(separator) {
                let remainder = rest.dropFirst(separator.count).trimmingWhitespace()
                if !remainder.isEmpty { return remainder }
            }
        }
        return summary
    }

    /// Whether a paragraph can open a comment: it starts with a letter, a digit, a backquote or a quote.
    static func isSentenceStart(_ text: String) -> Bool {
        guard let first = text.first else { return false }
        return first.isLetter || first.isNumber || first == "`" || first == "\"" || first == "'"
    }

    private static func capitalized(_ text: String) -> String {
        guard let first = text.first, first.isLowercase else { return text }
        return first.uppercased() + text.dropFirst()
    }

    /// The text as a sentence: a capital first letter and a final period.
    static func sentence(_ text: String) -> String {
        var result = capitalized(text)
        while let last = result.last, ",;:-".contains(last) || last == " " { result.removeLast() }
        if let last = result.last, last == "!" || last == "?" {
            result.removeLast()
        }
        if !(result.hasSuffix(".") || result.hasSuffix(".)") || result.hasSuffix(".`")) {
            result += "."
        }
        return result
    }

    /// Splits text after its first sentence: at `. `, `! ` or `? ` followed by a capital letter or a
    /// backquote, unless the period ends a common abbreviation.
    static func splitFirstSentence(_ text: String) -> (String, String) {
        let characters = Array(text)
        var index = 0
        while index + 2 < characters.count {
            let character = characters[index]
            if ".!?".contains(character), characters[index + 1] == " ",
                characters[index + 2].isUppercase || characters[index + 2] == "`"
            {
                let before = String(characters[..<index]).lowercased()
                let abbreviations = ["e.g", "i.e", "etc", "vs", "cf"]
                if !(character == "." && abbreviations.contains { before.hasSuffix($0) }) {
                    let first = String(characters[...index])
                    let rest = String(characters[(index + 2)...])
                    return (first, rest)
                }
            }
            index += 1
        }
        return (text, "")
    }

    /// Wraps text into lines no longer than ``maximumLineLength``, splitting words only when a word
    /// alone is too long.
    static func wrap(_ text: String, firstPrefix: String, continuationPrefix: String) -> [String] {
        // A word that would start a Markdown block (a list item, a heading, a quote, a fence) at
        // the start of a line stays with the word before it.
        var units: [String] = []
        for word in text.split(separator: " ").map(String.init) {
            if let last = units.last, startsMarkdownBlock(word) {
                units[units.count - 1] = last + " " + word
            } else {
                units.append(word)
            }
        }
        var lines: [String] = []
        var line = firstPrefix
        var lineHasWord = false
        for unit in units {
            var word = unit
            while true {
                let candidate = lineHasWord ? line + " " + word : line + word
                if candidate.count <= maximumLineLength {
                    line = candidate
                    lineHasWord = true
                    break
                }
                if lineHasWord {
                    lines.append(line)
                    line = continuationPrefix
                    lineHasWord = false
                    continue
                }
                // A single word longer than a line: cut it.
                let room = max(1, maximumLineLength - line.count)
                line += word.prefix(room)
                word = String(word.dropFirst(room))
                lines.append(line)
                line = continuationPrefix
                if word.isEmpty { break }
            }
        }
        if lineHasWord || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// Whether a word at the start of a line would make Markdown read the line as something other
    /// than a paragraph's continuation.
    static func startsMarkdownBlock(_ word: String) -> Bool {
        if word.allSatisfy({ "-*_=#+>|".contains($0) }) { return true }
        if word.hasPrefix("```") || word.hasPrefix("~~~") { return true }
        if let last = word.last, last == "." || last == ")", word.count > 1, word.dropLast().allSatisfy(\.isNumber) {
            return true
        }
        return false
    }
}
