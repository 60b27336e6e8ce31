/// The prompt that asks a small local model for a DocC comment.
///
/// It is short on purpose: a 0.5B model follows one worked example better than long instructions.
/// The user message spells out the facts the comment must match (the parameter names, whether to
/// write `- Returns:` and `- Throws:`), so the model does not have to read them from the signature.
public enum DocstringPrompt {
    /// The prompt's version; results cached under another version are not reused.
    public static let version = "docstring-prompt-4"

    /// How many lines of the declaration go into the prompt; the rest of the body is cut.
    public static let maximumDeclarationLines = 30

    /// How many context lines go into the prompt.
    public static let maximumContextLines = 20

    /// The system prompt.
    public static let system = """
        You write DocC documentation comments for Swift declarations. Answer with only `///` lines: \
        a one-sentence summary, then the fields that apply (`- Parameter name:` or `- Parameters:`, \
        `- Returns:`, `- Throws:`). Describe what the code does and why a caller uses it. No code, no \
        Markdown fences, nothing after the comment.
        """

    /// The worked example: a small function and its ideal comment.
    static let example = """
        Declaration:
        func clamp(_ value: Int, to range: ClosedRange<Int>) -> Int {
            min(max(value, range.lowerBound), range.upperBound)
        }
        Document the parameters value, range. Write - Returns:. Do not write - Throws:.
        Comment:
        /// Limits a value to a closed range.
        ///
        /// - Parameters:
        ///   - value: The value to limit.
        ///   - range: The range the result must lie in.
        /// - Returns: `value` when it lies in `range`, otherwise the nearest bound of `range`.
        """

    /// The most characters (or code spans) ``grammar(for:)`` lets one line of the comment have.
    public static let maximumSentenceCharacters = 120

    /// The most characters ``grammar(for:)`` lets one code span (`` `…` ``) have.
    public static let maximumCodeSpanCharacters = 40

    /// A GBNF grammar that admits exactly the comment this declaration needs: a one-sentence
    /// summary line, at most two one-sentence lines of discussion, then one line per parameter
    /// under the names the signature has, `- Returns:` only when it returns a value, `- Throws:`
    /// only when it throws, and nothing after. A small model cannot invent a parameter or leave one out. Line breaks come *before*
    /// each later line and the last one is optional, so the model can end its answer right after
    /// the last field's text (a grammar that demands a final line break keeps it writing instead).
    /// - Parameter target: The declaration to document.
    /// - Returns: The grammar.
    public static func grammar(for target: DocTarget) -> String {
        func literal(_ text: String) -> String {
            var escaped = "\""
            for character in text {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return escaped + "\""
        }
        var fields: [String] = []
        let names = target.documentedParameterNames
        if names.count == 1 {
            fields.append(literal("\n/// - Parameter \(names[0]): ") + " text")
        } else if names.count > 1 {
            fields.append(literal("\n/// - Parameters:") + " " + names.map { literal("\n///   - \($0): ") + " text" }.joined(separator: " "))
        }
        if target.returnsValue { fields.append(literal("\n/// - Returns: ") + " text") }
        if target.isThrowing { fields.append(literal("\n/// - Throws: ") + " text") }
        var rules = ["root ::= summary discussion?" + (fields.isEmpty ? "" : " gap " + fields.joined(separator: " ")) + " \"\\n\"?"]
        rules.append(#"summary ::= "/// " sentence"#)
        rules.append(#"discussion ::= "\n///" ( "\n/// " sentence ){1,2}"#)
        if !fields.isEmpty { rules.append(#"gap ::= "\n///"?"#) }
        rules.append(#"text ::= sentence"#)
        // One sentence of at most about 120 characters: a period ends it, and so does the length, so
        // the line must break there (or the answer end) instead of running on. Code goes in
        // backticks, where a period may stand (`items.count`); outside them only `e.g.` and `i.e.`
        // hold one, so a small model cannot run sentences together ("by 2.returns the").
        rules.append(#"sentence ::= ( [^ \n/`-] | code ) ( [^\n.`] | code | "e.g." | "i.e." ){0,\#(maximumSentenceCharacters)} ".""#)
        rules.append(#"code ::= "`" [^`\n]{1,\#(maximumCodeSpanCharacters)} "`""#)
        return rules.joined(separator: "\n") + "\n"
    }

    /// Stop sequences for the completion: chat end markers and a run of blank lines. With the
    /// grammar the answer cannot leave `///` lines anyway; without it the parser drops the rest.
    public static let stop = ["<|im_end|>", "<|endoftext|>", "\n\n\n"]

    /// Builds the prompt for one declaration.
    /// - Parameters:
    ///   - target: The declaration to document.
    ///   - context: Lines that help explain it: the enclosing type's signature, signatures of the
    ///     symbols it calls. At most ``maximumContextLines`` are used.
    ///   - retryMessage: Problems with a previous answer, to tell the model when asking again.
    /// - Returns: The system prompt and the user message.
    public static func build(target: DocTarget, context: [String], retryMessage: String? = nil)
        -> (system: String, user: String)
    {
        var user = example + "\n\n"
        let contextLines = context.map { String($0.prefix(200)).trimmingTrailingWhitespace() }
            .filter { !$0.isEmpty }.prefix(maximumContextLines)
        if !contextLines.isEmpty {
            user += "Context (for reference only):\n" + contextLines.joined(separator: "\n") + "\n\n"
        }
        user += "Declaration:\n" + trimmedDeclaration(target) + "\n"
        user += facts(target) + "\n"
        if let retryMessage, !retryMessage.isEmpty {
            user += "Your previous answer had problems: \(retryMessage) Write the comment again.\n"
        }
        user += "Comment:"
        return (system, user)
    }

    /// The declaration without its indentation, cut after ``maximumDeclarationLines`` lines.
    static func trimmedDeclaration(_ target: DocTarget) -> String {
        var lines = splitLines(target.sourceText, breaks: .lsp).map(\.contentText)
        while let last = lines.last, last.trimmingWhitespace().isEmpty { lines.removeLast() }
        let indentation = target.indentation
        lines = lines.map { $0.hasPrefix(indentation) ? String($0.dropFirst(indentation.count)) : $0 }
        if lines.count > maximumDeclarationLines {
            let cut = lines.count - maximumDeclarationLines
            lines = Array(lines.prefix(maximumDeclarationLines)) + ["    // … \(cut) more lines"]
        }
        return lines.joined(separator: "\n")
    }

    /// The facts the comment must match, as instructions.
    static func facts(_ target: DocTarget) -> String {
        var sentences: [String] = []
        let names = target.documentedParameterNames
        if names.isEmpty {
            sentences.append("Do not write - Parameters:.")
        } else {
            let noun = names.count == 1 ? "parameter" : "parameters"
            sentences.append("Document the \(noun) \(names.joined(separator: ", ")).")
        }
        sentences.append(target.returnsValue ? "Write - Returns:." : "Do not write - Returns:.")
        sentences.append(target.isThrowing ? "Write - Throws:." : "Do not write - Throws:.")
        return sentences.joined(separator: " ")
    }
}
