/// One documented parameter as the model wrote it.
public struct ParameterDoc: Sendable, Equatable {
    /// The name the model documented.
    public var name: String
    /// The description, on one line.
    public var text: String

    /// Creates a parameter description.
    /// - Parameters:
    ///   - name: The name the model documented.
    ///   - text: The description.
    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// The parts of a documentation comment, read from a model's answer.
public struct ParsedDocstring: Sendable, Equatable {
    /// The first paragraph, on one line, or `nil` when there was none.
    public var summary: String?
    /// The other paragraphs, each on one line.
    public var discussion: [String]
    /// The documented parameters, in the order the model wrote them.
    public var parameters: [ParameterDoc]
    /// The text of `- Returns:`, if any.
    public var returnsText: String?
    /// The text of `- Throws:`, if any.
    public var throwsText: String?
    /// What the parser noticed and worked around.
    public var diagnostics: [DocstringDiagnostic]

    /// Creates a parsed docstring.
    /// - Parameters:
    ///   - summary: The summary paragraph.
    ///   - discussion: The other paragraphs.
    ///   - parameters: The documented parameters.
    ///   - returnsText: The text of `- Returns:`.
    ///   - throwsText: The text of `- Throws:`.
    ///   - diagnostics: What the parser noticed.
    public init(
        summary: String? = nil, discussion: [String] = [], parameters: [ParameterDoc] = [],
        returnsText: String? = nil, throwsText: String? = nil, diagnostics: [DocstringDiagnostic] = []
    ) {
        self.summary = summary
        self.discussion = discussion
        self.parameters = parameters
        self.returnsText = returnsText
        self.throwsText = throwsText
        self.diagnostics = diagnostics
    }
}

/// Reads a documentation comment out of whatever a small model answered.
///
/// It accepts Markdown code fences, prose before or after the comment, echoed code, `//`, `*` or no
/// prefix instead of `///`, `/** … */` blocks, any indentation, `- Parameter x:` and `- Parameters:`
/// lists, and javadoc `@param`/`@return`/`@throws` tags. What it had to work around is listed in
/// ``ParsedDocstring/diagnostics``; it never fails.
public enum DocstringParser {
    /// Parses a model's answer.
    /// - Parameter answer: The model's text, as it came.
    /// - Returns: The comment's parts and what was worked around; an empty answer gives no summary
    ///   and an ``DocstringDiagnostic/emptyAnswer`` diagnostic.
    public static func parse(_ answer: String) -> ParsedDocstring {
        var diagnostics = Diagnostics()
        let rawLines = splitLines(answer, breaks: .lsp).map(\.contentText)
        if rawLines.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) {
            return ParsedDocstring(diagnostics: [.emptyAnswer])
        }
        let content = extractComment(rawLines, &diagnostics)
        var parsed = structure(content, &diagnostics)
        if parsed.summary == nil, parsed.parameters.isEmpty, parsed.returnsText == nil, parsed.throwsText == nil,
            parsed.discussion.isEmpty
        {
            diagnostics.add(.emptyAnswer)
        }
        parsed.diagnostics = diagnostics.list
        return parsed
    }

    /// Diagnostics in the order first seen, each once.
    struct Diagnostics {
        var list: [DocstringDiagnostic] = []
        mutating func add(_ diagnostic: DocstringDiagnostic) {
            if !list.contains(diagnostic) { list.append(diagnostic) }
        }
    }

    // MARK: Finding the comment

    /// Returns the comment's text lines without prefixes; an empty string stands for a blank line.
    static func extractComment(_ lines: [String], _ diagnostics: inout Diagnostics) -> [String] {
        var commentLines: [String] = []
        var plainLines: [String] = []
        var started = false
        var finished = false
        var inBlock = false
        for line in lines {
            let trimmed = line.trimmingWhitespace()
            if inBlock {
                if let close = trimmed.firstRange(of: "*/") {
                    let before = String(trimmed[..<close.lowerBound])
                    let text = stripStar(before)
                    if !text.isEmpty, !finished { commentLines.append(text) }
                    inBlock = false
                    finished = true
                } else if !finished {
                    commentLines.append(stripStar(trimmed))
                }
                continue
            }
            if trimmed.hasPrefix("```") {
                diagnostics.add(.codeFence)
                continue
            }
            var commentText: String?
            if trimmed.hasPrefix("///") {
                commentText = dropOneSpace(String(trimmed.drop { $0 == "/" }))
            } else if trimmed.hasPrefix("/**") {
                diagnostics.add(.blockComment)
                var rest = String(trimmed.dropFirst(3).drop { $0 == "*" })
                if let close = rest.firstRange(of: "*/") {
                    rest = String(rest[..<close.lowerBound])
                } else {
                    inBlock = true
                }
                if finished {
                    diagnostics.add(.repeatedComment)
                    continue
                }
                started = true
                if !rest.trimmingWhitespace().isEmpty { commentLines.append(rest.trimmingWhitespace()) }
                if !inBlock { finished = true }
                continue
            } else if trimmed.hasPrefix("//") {
                diagnostics.add(.nonDocPrefix)
                commentText = dropOneSpace(String(trimmed.dropFirst(2)))
            } else if trimmed == "*" || trimmed.hasPrefix("* ") {
                diagnostics.add(.nonDocPrefix)
                commentText = stripStar(trimmed)
            }
            if let text = commentText {
                if finished {
                    diagnostics.add(.repeatedComment)
                    continue
                }
                started = true
                commentLines.append(text)
            } else if trimmed.isEmpty {
                if started, !finished { commentLines.append("") }
            } else if started {
                finished = true
                diagnostics.add(looksLikeCode(trimmed) ? .droppedCode(trimmed) : .droppedProse(trimmed))
            } else {
                plainLines.append(trimmed)
            }
        }
        if started {
            for line in plainLines { diagnostics.add(looksLikeCode(line) ? .droppedCode(line) : .droppedProse(line)) }
            return commentLines
        }
        // No comment prefix anywhere: the answer is the comment's text, minus code and a preamble.
        diagnostics.add(.nonDocPrefix)
        var result: [String] = []
        var inFence = false
        for line in lines.map({ $0.trimmingWhitespace() }) {
            if line.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            if inFence || looksLikeCode(line) {
                diagnostics.add(.droppedCode(line))
            } else if result.allSatisfy(\.isEmpty), isPreamble(line) {
                diagnostics.add(.droppedProse(line))
            } else {
                result.append(line)
            }
        }
        return result
    }

    private static func dropOneSpace(_ text: String) -> String {
        text.hasPrefix(" ") ? String(text.dropFirst()) : text
    }

    private static func stripStar(_ line: String) -> String {
        let trimmed = line.trimmingWhitespace()
        if trimmed.hasPrefix("//") {
            // A `///` line inside a block that was never closed.
            return dropOneSpace(String(trimmed.drop { $0 == "/" })).trimmingTrailingWhitespace()
        }
        if trimmed.hasPrefix("*"), !trimmed.hasPrefix("**") {
            return dropOneSpace(String(trimmed.dropFirst())).trimmingTrailingWhitespace()
        }
        return trimmed
    }

    private static let codeStarts = [
        "func ", "init(", "init?(", "init<", "deinit", "public ", "private ", "internal ", "fileprivate ", "open ",
        "package ", "static ", "class ", "struct ", "enum ", "actor ", "protocol ", "extension ", "var ", "let ",
        "return ", "return\n", "subscript(", "subscript<", "case ", "mutating ", "override ", "convenience ", "guard ",
        "if ", "for ", "while ", "throw ", "import ", "typealias ", "@inlinable", "@discardableResult", "@available",
        "@objc", "@MainActor", "@usableFromInline", "@_", "#if", "#endif", "try ", "await ", "self.", "nonisolated ",
        "final ", "required ", "indirect ",
    ]

    /// Whether a line looks like Swift code rather than prose.
    static func looksLikeCode(_ line: String) -> Bool {
        let trimmed = line.trimmingWhitespace()
        if trimmed == "}" || trimmed == "{" || trimmed == "})" || trimmed == "return" { return true }
        if trimmed.hasSuffix("{") { return true }
        if trimmed.hasPrefix("}") { return true }
        return codeStarts.contains { trimmed.hasPrefix($0) }
    }

    private static let modifiers: Set<String> = [
        "public", "private", "internal", "fileprivate", "open", "package", "static", "class", "final", "override",
        "mutating", "nonmutating", "convenience", "required", "nonisolated", "indirect", "lazy", "weak", "dynamic",
    ]
    private static let declarationKeywords: Set<String> = [
        "func", "init", "init?", "init!", "deinit", "subscript", "var", "let", "struct", "class", "enum", "actor",
        "protocol", "extension", "typealias", "case", "associatedtype", "macro",
    ]

    /// Whether a line inside the comment is a Swift declaration (an echoed signature) or a lone brace,
    /// strictly enough that wrapped prose such as "if it exists." is not mistaken for code.
    static func looksLikeDeclaration(_ line: String) -> Bool {
        let trimmed = line.trimmingWhitespace()
        if trimmed == "{" || trimmed == "}" || trimmed.hasSuffix(") {") || trimmed.hasSuffix("> {") { return true }
        var words = trimmed.split(separator: " ")[...]
        while let first = words.first, first.hasPrefix("@") || modifiers.contains(String(first)) {
            words = words.dropFirst()
        }
        guard let first = words.first else { return false }
        let keyword = String(first.prefix { $0 != "(" && $0 != "<" })
        guard declarationKeywords.contains(keyword) else { return false }
        switch keyword {
        case "var", "let", "case":
            // `let name: Type`, `var name = value`, `case name(…)`: a name right after the keyword.
            guard words.count >= 2 else { return false }
            let name = words[words.index(after: words.startIndex)]
            let identifier = name.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            let after = name.dropFirst(identifier.count)
            return !identifier.isEmpty
                && (after.hasPrefix(":") || after.hasPrefix("(") || after.hasPrefix("=") || after.hasPrefix(",")
                    || (after.isEmpty && words.count >= 3 && ["=", ":"].contains(String(words[words.index(words.startIndex, offsetBy: 2)]))))
        default:
            return trimmed.contains("(") || trimmed.contains("{") || trimmed.contains(":")
        }
    }

    private static func isPreamble(_ line: String) -> Bool {
        let lower = line.lowercased()
        let openers = ["here is", "here's", "sure", "certainly", "okay", "ok,", "below is", "the following"]
        if openers.contains(where: { lower.hasPrefix($0) }) { return true }
        return line.hasSuffix(":") && !isFieldStart(line)
    }

    private static func isFieldStart(_ line: String) -> Bool {
        var lower = line.lowercased().trimmingWhitespace()
        if lower.hasPrefix("- ") || lower.hasPrefix("* ") { lower = String(lower.dropFirst(2)) }
        return ["parameters:", "parameter ", "returns:", "return:", "throws:", "@param", "@return", "@throws"]
            .contains { lower.hasPrefix($0) }
    }

    // MARK: Reading the structure

    private enum Field {
        case parameter(Int)
        case returns
        case throwing
    }

    static func structure(_ lines: [String], _ diagnostics: inout Diagnostics) -> ParsedDocstring {
        var paragraphs: [[String]] = []
        var current: [String] = []
        var parameters: [ParameterDoc] = []
        var returnsText: String?
        var throwsText: String?
        var field: Field?
        var inParameterList = false
        var sawField = false
        var inCodeSample = false

        func endParagraph() {
            if !current.isEmpty { paragraphs.append(current) }
            current = []
        }
        func addParameter(_ rawName: String, _ text: String) {
            let name = rawName.trimming("`*_ ")
            guard !name.isEmpty else { return }
            if parameters.contains(where: { $0.name == name }) {
                diagnostics.add(.duplicateParameter(name))
                field = nil
                return
            }
            parameters.append(ParameterDoc(name: name, text: text))
            field = .parameter(parameters.count - 1)
        }
        func append(_ text: String, to field: Field) {
            func joined(_ old: String) -> String { old.isEmpty ? text : old + " " + text }
            switch field {
            case .parameter(let index): parameters[index].text = joined(parameters[index].text)
            case .returns: returnsText = joined(returnsText ?? "")
            case .throwing: throwsText = joined(throwsText ?? "")
            }
        }

        for rawLine in lines {
            let line = rawLine.trimmingWhitespace()
            if line.hasPrefix("```") {
                // A code sample inside the comment: keep it out of the prose.
                inCodeSample.toggle()
                continue
            }
            if inCodeSample { continue }
            if line.isEmpty {
                endParagraph()
                field = nil
                inParameterList = false
                continue
            }
            if looksLikeDeclaration(line) {
                diagnostics.add(.droppedCode(line))
                continue
            }
            // Javadoc tags.
            let lower = line.lowercased()
            if lower.hasPrefix("@param") {
                diagnostics.add(.javadocStyle)
                endParagraph()
                sawField = true
                let rest = line.dropFirst(6).trimmingWhitespace()
                let name = rest.prefix { !$0.isWhitespace && $0 != ":" }
                let text = rest.dropFirst(name.count).drop { $0 == ":" || $0 == "-" || $0.isWhitespace }
                addParameter(String(name), String(text).trimmingWhitespace())
                continue
            }
            if lower.hasPrefix("@return") || lower.hasPrefix("@throw") {
                diagnostics.add(.javadocStyle)
                endParagraph()
                sawField = true
                let text = String(line.drop { !$0.isWhitespace }).trimmingWhitespace()
                if lower.hasPrefix("@return") {
                    if returnsText == nil { returnsText = text }
                    field = .returns
                } else {
                    if throwsText == nil { throwsText = text }
                    field = .throwing
                }
                continue
            }
            var item = line
            var bulleted = false
            for bullet in ["- ", "* ", "+ "] where item.hasPrefix(bullet) {
                item = String(item.dropFirst(2)).trimmingWhitespace()
                bulleted = true
                break
            }
            // Markdown emphasis and headings around field names: `**Returns:**`, `### Parameters`.
            if item.hasPrefix("#") { item = item.drop { $0 == "#" }.trimmingWhitespace() }
            if item.hasPrefix("**") || item.hasPrefix("__") {
                let marker = String(item.prefix(2))
                if let close = item.dropFirst(2).firstRange(of: marker) {
                    item = String(item[item.index(item.startIndex, offsetBy: 2)..<close.lowerBound])
                        + String(item[close.upperBound...])
                }
            }
            let itemLower = item.lowercased()
            if itemLower.hasPrefix("parameters:") || itemLower == "parameters" || itemLower.hasPrefix("params:") {
                endParagraph()
                sawField = true
                inParameterList = true
                field = nil
                continue
            }
            if itemLower.hasPrefix("parameter ") || itemLower.hasPrefix("param ") {
                endParagraph()
                sawField = true
                let rest = item.drop { !$0.isWhitespace }.trimmingWhitespace()
                if let (name, text) = parameterItem(rest) {
                    addParameter(name, text)
                    continue
                }
                // `- Parameter a The first integer.`: no separator, the first word is the name.
                let name = rest.prefix { !$0.isWhitespace }
                if !name.isEmpty {
                    addParameter(String(name), rest.dropFirst(name.count).trimmingWhitespace())
                    continue
                }
            }
            if bulleted, itemLower.hasPrefix("returns ") || itemLower.hasPrefix("throws ") {
                // `- Returns the sum.`: a field whose colon went missing.
                let text = item.drop { !$0.isWhitespace }.trimmingWhitespace()
                endParagraph()
                sawField = true
                inParameterList = false
                if itemLower.hasPrefix("returns ") {
                    if returnsText == nil { returnsText = text }
                    field = .returns
                } else {
                    if throwsText == nil { throwsText = text }
                    field = .throwing
                }
                continue
            }
            if let text = fieldText(itemLower, item, names: ["returns:", "return:", "returns -", "returns"]) {
                endParagraph()
                sawField = true
                inParameterList = false
                if returnsText == nil { returnsText = text } else { diagnostics.add(.repeatedComment) }
                field = .returns
                continue
            }
            if let text = fieldText(itemLower, item, names: ["throws:", "throw:", "throws -"]) {
                endParagraph()
                sawField = true
                inParameterList = false
                if throwsText == nil { throwsText = text } else { diagnostics.add(.repeatedComment) }
                field = .throwing
                continue
            }
            // A `- name: text` item is a parameter even when the model forgot the `- Parameters:` heading.
            if inParameterList || bulleted, let (name, text) = parameterItem(item),
                !callouts.contains(name.lowercased())
            {
                addParameter(name, text)
                continue
            }
            if sawField, current.isEmpty, let first = paragraphs.first,
                case let summary = normalized(first.joined(separator: " ")), case let again = normalized(line),
                summary.hasPrefix(again), again.count >= min(summary.count, 12)
            {
                // The summary again after the fields: the comment starts over.
                diagnostics.add(.repeatedComment)
                break
            }
            if let field, !bulleted {
                append(line, to: field)
                continue
            }
            // Prose; a bulleted line (a callout such as `- Note:`) is a paragraph of its own.
            field = nil
            if bulleted { endParagraph() }
            current.append(line)
            if bulleted { endParagraph() }
        }
        endParagraph()

        var texts = paragraphs.map { $0.joined(separator: " ") }
        var summary: String?
        if !texts.isEmpty {
            summary = stripLabel(texts.removeFirst())
        }
        return ParsedDocstring(
            summary: summary, discussion: texts, parameters: parameters, returnsText: returnsText,
            throwsText: throwsText)
    }

    /// DocC callouts, which look like parameter items but are not.
    private static let callouts: Set<String> = [
        "note", "important", "warning", "tip", "experiment", "attention", "author", "authors", "bug", "complexity",
        "copyright", "date", "invariant", "mutatingvariant", "nonmutatingvariant", "postcondition", "precondition",
        "remark", "requires", "seealso", "since", "todo", "version", "throws", "returns", "parameters", "parameter",
    ]

    private static func fieldText(_ lower: String, _ item: String, names: [String]) -> String? {
        for name in names where lower.hasPrefix(name) {
            if name == "returns", lower != "returns" { continue }
            return String(item.dropFirst(name.count)).trimmingWhitespace()
        }
        return nil
    }

    /// Reads `name: text`, `` `name`: text `` or `name - text` as a parameter item.
    private static func parameterItem(_ item: String) -> (String, String)? {
        var rest = Substring(item)
        if rest.hasPrefix("`") { rest = rest.dropFirst() }
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard !name.isEmpty else { return nil }
        var after = rest.dropFirst(name.count)
        if after.hasPrefix("`") { after = after.dropFirst() }
        after = after.drop { $0 == " " }
        // A type in parentheses after the name: `count (Int): The count.`
        if after.hasPrefix("("), let close = after.firstIndex(of: ")") {
            after = after[after.index(after: close)...].drop { $0 == " " }
        }
        guard after.hasPrefix(":") || after.hasPrefix("-") || after.hasPrefix("–") else { return nil }
        return (String(name), String(after.dropFirst()).trimmingWhitespace())
    }

    private static func stripLabel(_ text: String) -> String {
        var result = text
        for label in ["summary:", "**summary:**", "**summary**:", "description:", "brief:"]
        where result.lowercased().hasPrefix(label) {
            result = String(result.dropFirst(label.count)).trimmingWhitespace()
        }
        return result
    }

    private static func normalized(_ text: String) -> String {
        text.lowercased().filter { $0.isLetter || $0.isNumber }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }).trimmingTrailingWhitespace()
    }

    /// The text without trailing spaces and tabs.
    func trimmingTrailingWhitespace() -> String {
        var text = String(self)
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    /// The text without the given characters at either end.
    func trimming(_ set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
