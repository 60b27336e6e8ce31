import AssistCore
import Testing

// Declarations the table documents.
private let add = DocTarget(
    name: "add(_:to:)", kind: .function,
    parameters: [DocParameter(externalLabel: "_", internalName: "a"), DocParameter(externalLabel: "to", internalName: "b")],
    returnsValue: true, sourceText: "func add(_ a: Int, to b: Int) -> Int {\n    a + b\n}")
private let load = DocTarget(
    name: "load(from:)", kind: .function, parameters: [DocParameter(externalLabel: "from", internalName: "url")],
    isThrowing: true, returnsValue: true, isAsync: true, indentation: "    ",
    sourceText: "    func load(from url: URL) async throws -> Data {\n        try await session.data(from: url)\n    }")
private let reset = DocTarget(
    name: "reset()", kind: .function, indentation: "    ", sourceText: "    func reset() {\n        items = []\n    }")
private let makeT = DocTarget(
    name: "init(name:count:)", kind: .initializer,
    parameters: [DocParameter(externalLabel: "name", internalName: nil), DocParameter(externalLabel: "count", internalName: nil)],
    indentation: "\t", sourceText: "\tinit(name: String, count: Int) {\n\t\tself.name = name\n\t\tself.count = count\n\t}")
private let count = DocTarget(name: "count", kind: .property, sourceText: "var count: Int { items.count }")

/// One malformed (or fine) model answer and what must come of it.
struct AnswerCase: CustomTestStringConvertible, Sendable {
    var name: String
    var target: DocTarget
    var answer: String
    /// The rendered lines; empty when nothing usable could be rendered.
    var lines: [String]
    /// Diagnostics that must be reported (others may be too).
    var diagnostics: [DocstringDiagnostic] = []
    /// Diagnostics that must not be reported.
    var absent: [DocstringDiagnostic] = []
    var testDescription: String { name }
}

private let addLines = [
    "/// Adds two integers.",
    "///",
    "/// - Parameters:",
    "///   - a: The first integer.",
    "///   - b: The second integer.",
    "/// - Returns: The sum of `a` and `b`.",
]
private let addAnswer = """
    /// Adds two integers.
    ///
    /// - Parameters:
    ///   - a: The first integer.
    ///   - b: The second integer.
    /// - Returns: The sum of `a` and `b`.
    """

private let answerCases: [AnswerCase] = [
    AnswerCase(name: "well-formed answer", target: add, answer: addAnswer, lines: addLines, absent: [.nonDocPrefix, .codeFence]),
    AnswerCase(name: "well-formed answer with a trailing line break", target: add, answer: addAnswer + "\n", lines: addLines),
    AnswerCase(
        name: "code fence around the comment", target: add, answer: "```swift\n" + addAnswer + "\n```", lines: addLines,
        diagnostics: [.codeFence]),
    AnswerCase(
        name: "prose before the comment", target: add, answer: "Here is the documentation for the function:\n\n" + addAnswer,
        lines: addLines, diagnostics: [.droppedProse("Here is the documentation for the function:")]),
    AnswerCase(
        name: "prose after the comment", target: add,
        answer: addAnswer + "\n\nThis comment explains what the function does.", lines: addLines,
        diagnostics: [.droppedProse("This comment explains what the function does.")]),
    AnswerCase(
        name: "echoed declaration and body after the comment", target: add,
        answer: addAnswer + "\nfunc add(_ a: Int, to b: Int) -> Int {\n    a + b\n}", lines: addLines,
        diagnostics: [.droppedCode("func add(_ a: Int, to b: Int) -> Int {")]),
    AnswerCase(
        name: "echoed declaration before the comment", target: add,
        answer: "func add(_ a: Int, to b: Int) -> Int {\n" + addAnswer, lines: addLines,
        diagnostics: [.droppedCode("func add(_ a: Int, to b: Int) -> Int {")]),
    AnswerCase(
        name: "fenced comment with the declaration inside the fence", target: add,
        answer: "```swift\n" + addAnswer + "\nfunc add(_ a: Int, to b: Int) -> Int\n```\nThe function adds.",
        lines: addLines, diagnostics: [.codeFence, .droppedCode("func add(_ a: Int, to b: Int) -> Int")]),
    AnswerCase(
        name: "double-slash comments", target: add,
        answer: "// Adds two integers.\n//\n// - Parameters:\n//   - a: The first integer.\n//   - b: The second integer.\n// - Returns: The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.nonDocPrefix]),
    AnswerCase(
        name: "star prefixes", target: add,
        answer: "* Adds two integers.\n*\n* - Parameters:\n*   - a: The first integer.\n*   - b: The second integer.\n* - Returns: The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.nonDocPrefix]),
    AnswerCase(
        name: "no prefix at all", target: add,
        answer: "Adds two integers.\n\n- Parameters:\n  - a: The first integer.\n  - b: The second integer.\n- Returns: The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.nonDocPrefix]),
    AnswerCase(
        name: "block comment", target: add,
        answer: "/**\n * Adds two integers.\n *\n * - Parameters:\n *   - a: The first integer.\n *   - b: The second integer.\n * - Returns: The sum of `a` and `b`.\n */",
        lines: addLines, diagnostics: [.blockComment]),
    AnswerCase(
        name: "one-line block comment", target: reset, answer: "/** Removes every item. */",
        lines: ["    /// Removes every item."], diagnostics: [.blockComment]),
    AnswerCase(
        name: "javadoc tags", target: add,
        answer: "/**\n * Adds two integers.\n * @param a The first integer.\n * @param b The second integer.\n * @return The sum of `a` and `b`.\n */",
        lines: addLines, diagnostics: [.blockComment, .javadocStyle]),
    AnswerCase(
        name: "javadoc tags in triple-slash lines", target: add,
        answer: "/// Adds two integers.\n/// @param a - The first integer.\n/// @param b: The second integer.\n/// @returns The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.javadocStyle]),
    AnswerCase(
        name: "wrong indentation is replaced by the declaration's", target: load,
        answer: "        /// Loads the data at a URL.\n  /// - Parameter url: The location to read.\n/// - Returns: The bytes read.\n///   - Throws: An error when the request fails.",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error when the request fails.",
        ]),
    AnswerCase(
        name: "singular parameter form", target: add,
        answer: "/// Adds two integers.\n/// - Parameter a: The first integer.\n/// - Parameter b: The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "parameters list for a single parameter becomes the singular form", target: load,
        answer: "/// Loads the data at a URL.\n/// - Parameters:\n///   - url: The location to read.\n/// - Returns: The bytes read.\n/// - Throws: An error when the request fails.",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error when the request fails.",
        ]),
    AnswerCase(
        name: "parameters in the wrong order follow the signature", target: add,
        answer: "/// Adds two integers.\n/// - Parameters:\n///   - b: The second integer.\n///   - a: The first integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "invented parameter is dropped", target: add,
        answer: addAnswer + "\n///   - c: A third integer.",
        lines: addLines, diagnostics: [.inventedParameter("c")]),
    AnswerCase(
        name: "invented parameter inside the list is dropped", target: add,
        answer: "/// Adds two integers.\n/// - Parameters:\n///   - a: The first integer.\n///   - overflow: Whether to trap.\n///   - b: The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.inventedParameter("overflow")]),
    AnswerCase(
        name: "argument label documented instead of the name", target: add,
        answer: "/// Adds two integers.\n/// - Parameters:\n///   - a: The first integer.\n///   - to: The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines, diagnostics: [.renamedParameter(from: "to", to: "b")]),
    AnswerCase(
        name: "missing parameter gets a placeholder and asks for a retry", target: add,
        answer: "/// Adds two integers.\n/// - Parameter a: The first integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: [
            "/// Adds two integers.", "///", "/// - Parameters:", "///   - a: The first integer.", "///   - b: The `b` value.",
            "/// - Returns: The sum of `a` and `b`.",
        ], diagnostics: [.missingParameter("b")]),
    AnswerCase(
        name: "Returns on a Void function is dropped", target: reset,
        answer: "/// Removes every item.\n/// - Returns: Nothing.", lines: ["    /// Removes every item."],
        diagnostics: [.unexpectedReturns]),
    AnswerCase(
        name: "Throws on a non-throwing function is dropped", target: add,
        answer: addAnswer + "\n/// - Throws: An error if the sum overflows.", lines: addLines, diagnostics: [.unexpectedThrows]),
    AnswerCase(
        name: "parameters on a property are dropped", target: count,
        answer: "/// The number of items.\n/// - Parameter count: The count.\n/// - Returns: The number of items.",
        lines: ["/// The number of items."], diagnostics: [.inventedParameter("count"), .unexpectedReturns]),
    AnswerCase(name: "empty answer", target: add, answer: "", lines: [], diagnostics: [.emptyAnswer, .missingSummary]),
    AnswerCase(name: "only whitespace", target: add, answer: "  \n\t\n   ", lines: [], diagnostics: [.emptyAnswer, .missingSummary]),
    AnswerCase(name: "only empty comment lines", target: add, answer: "///\n///\n///", lines: [], diagnostics: [.emptyAnswer, .missingSummary]),
    AnswerCase(
        name: "only a fence and code", target: add, answer: "```swift\nfunc add(_ a: Int, to b: Int) -> Int {\n    a + b\n}\n```",
        lines: [], diagnostics: [.missingSummary]),
    AnswerCase(
        name: "comment repeated twice", target: add, answer: addAnswer + "\n" + addAnswer, lines: addLines,
        diagnostics: [.repeatedComment], absent: [.duplicateParameter("a")]),
    AnswerCase(
        name: "comment repeated around the declaration", target: add,
        answer: addAnswer + "\nfunc add(_ a: Int, to b: Int) -> Int\n" + addAnswer, lines: addLines,
        diagnostics: [.repeatedComment]),
    AnswerCase(
        name: "summary without a period", target: reset, answer: "/// removes every item", lines: ["    /// Removes every item."],
        diagnostics: [.summaryPunctuated]),
    AnswerCase(
        name: "summary of two sentences", target: reset,
        answer: "/// Removes every item. The capacity is kept for reuse.",
        lines: ["    /// Removes every item.", "    ///", "    /// The capacity is kept for reuse."], diagnostics: [.summarySplit]),
    AnswerCase(
        name: "summary over two lines is one sentence", target: reset,
        answer: "/// Removes every item from the collection\n/// and keeps its capacity.",
        lines: ["    /// Removes every item from the collection and keeps its capacity."]),
    AnswerCase(
        name: "abbreviation does not end the summary", target: reset, answer: "/// Removes items, e.g. Stale ones.",
        lines: ["    /// Removes items, e.g. Stale ones."], absent: [.summarySplit]),
    AnswerCase(
        name: "summary label is removed", target: reset, answer: "Summary: Removes every item.",
        lines: ["    /// Removes every item."]),
    AnswerCase(
        name: "discussion paragraphs are kept", target: makeT,
        answer: "/// Creates a tally.\n///\n/// The tally starts at the given count.\n///\n/// - Parameters:\n///   - name: The tally's name.\n///   - count: The starting count.",
        lines: [
            "\t/// Creates a tally.", "\t///", "\t/// The tally starts at the given count.", "\t///", "\t/// - Parameters:",
            "\t///   - name: The tally's name.", "\t///   - count: The starting count.",
        ]),
    AnswerCase(
        name: "Parameters heading without a dash and items without dashes", target: makeT,
        answer: "/// Creates a tally.\n/// Parameters:\n///   name: The tally's name.\n///   count: The starting count.",
        lines: [
            "\t/// Creates a tally.", "\t///", "\t/// - Parameters:", "\t///   - name: The tally's name.",
            "\t///   - count: The starting count.",
        ]),
    AnswerCase(
        name: "field text continues on the next line", target: load,
        answer: "/// Loads the data at a URL.\n/// - Parameter url: The location\n///   to read.\n/// - Returns: The bytes read.\n/// - Throws: An error when\n///   the request fails.",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error when the request fails.",
        ]),
    AnswerCase(
        name: "lower-case field texts without periods are made sentences", target: load,
        answer: "/// Loads the data at a URL.\n/// - parameter url: the location to read\n/// - returns: the bytes read\n/// - throws: an error when the request fails",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error when the request fails.",
        ]),
    AnswerCase(
        name: "missing Returns and Throws are reported, not invented", target: load,
        answer: "/// Loads the data at a URL.\n/// - Parameter url: The location to read.",
        lines: ["    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read."],
        diagnostics: [.missingReturns, .missingThrows]),
    AnswerCase(
        name: "duplicate parameter keeps the first text", target: load,
        answer: "/// Loads the data at a URL.\n/// - Parameter url: The location to read.\n/// - Parameter url: Another text.\n/// - Returns: The bytes read.\n/// - Throws: An error.",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error.",
        ], diagnostics: [.duplicateParameter("url")]),
    AnswerCase(
        name: "echoed signature inside the comment", target: reset,
        answer: "/// func reset()\n/// Removes every item.", lines: ["    /// Removes every item."],
        diagnostics: [.droppedCode("func reset()")]),
    AnswerCase(
        name: "chat preamble and closing remark without prefixes", target: reset,
        answer: "Sure! Here is a comment:\n/// Removes every item.\nLet me know if you need anything else.",
        lines: ["    /// Removes every item."],
        diagnostics: [.droppedProse("Sure! Here is a comment:"), .droppedProse("Let me know if you need anything else.")]),
    AnswerCase(
        name: "a comment terminator stays inside the `///` line", target: reset,
        answer: "/// Removes every item. */ let x = 1", lines: ["    /// Removes every item. */ let x = 1."]),
    AnswerCase(
        name: "a short continuation line that starts like the summary is not a repetition", target: add,
        answer: "/// Adds two integers.\n/// - Parameters:\n///   - a: The first integer.\n///   - b: The second integer.\n/// - Returns: The sum of `a` and `b`, or\n/// ad hoc.",
        lines: Array(addLines.dropLast()) + ["/// - Returns: The sum of `a` and `b`, or ad hoc."], absent: [.repeatedComment]),
    AnswerCase(
        name: "a wrapped line that starts like code is prose", target: reset,
        answer: "/// Removes every item\n/// if the list is not locked, and\n/// for each item calls its handler.",
        lines: ["    /// Removes every item if the list is not locked, and for each item calls its handler."]),
    AnswerCase(
        name: "a summary starting with Returns is a summary", target: add,
        answer: "/// Returns the sum of two integers.\n/// - Parameter a: The first integer.\n/// - Parameter b - The second integer.\n/// - Returns: The sum.",
        lines: [
            "/// Returns the sum of two integers.", "///", "/// - Parameters:", "///   - a: The first integer.",
            "///   - b: The second integer.", "/// - Returns: The sum.",
        ]),
    AnswerCase(
        name: "echoed property declaration inside the comment", target: count,
        answer: "/// var count: Int\n/// The number of items.", lines: ["/// The number of items."],
        diagnostics: [.droppedCode("var count: Int")]),
    AnswerCase(
        name: "Markdown headings and bold field names", target: add,
        answer: "Adds two integers.\n\n### Parameters\n- **a**: The first integer.\n- **b**: The second integer.\n\n**Returns:** The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "parameter items with types in parentheses", target: add,
        answer: "/// Adds two integers.\n/// - Parameters:\n///   - a (Int): The first integer.\n///   - b (Int): The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "summary that starts with the declaration's name", target: add,
        answer: "/// add(_:to:): Adds two integers.\n/// - Parameter a: The first integer.\n/// - Parameter b: The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "summary that starts with the base name and a dash", target: reset,
        answer: "/// `reset` - removes every item", lines: ["    /// Removes every item."]),
    AnswerCase(
        name: "fields without a summary", target: add,
        answer: "/// - Parameters:\n///   - a: The first integer.\n///   - b: The second integer.\n/// - Returns: The sum.",
        lines: [], diagnostics: [.missingSummary]),
    AnswerCase(
        name: "only a Returns line", target: add, answer: "/// - Returns: The sum.", lines: [], diagnostics: [.missingSummary]),
    AnswerCase(
        name: "list items without a Parameters heading", target: add,
        answer: "/// Adds two integers.\n/// - a: The first integer.\n/// - b: The second integer.\n/// - Returns: The sum of `a` and `b`.",
        lines: addLines),
    AnswerCase(
        name: "fields whose colons went missing", target: load,
        answer: "/// Loads the data at a URL.\n/// - Parameter url The location to read.\n/// - Returns the bytes read.\n/// - Throws an error when the request fails.",
        lines: [
            "    /// Loads the data at a URL.", "    ///", "    /// - Parameter url: The location to read.",
            "    /// - Returns: The bytes read.", "    /// - Throws: An error when the request fails.",
        ]),
    AnswerCase(
        name: "block comment opened and never closed around triple-slash lines", target: add,
        answer: "/**\n" + addAnswer, lines: addLines, diagnostics: [.blockComment]),
    AnswerCase(
        name: "callouts stay in the discussion", target: reset,
        answer: "/// Removes every item.\n/// - Note: The capacity is kept.\n/// - Important: Not thread-safe.",
        lines: ["    /// Removes every item.", "    ///", "    /// - Note: The capacity is kept.", "    ///", "    /// - Important: Not thread-safe."],
        absent: [.inventedParameter("Note")]),
    AnswerCase(
        name: "CRLF answer", target: reset, answer: "/// Removes every item.\r\n/// - Returns: Nothing.\r\n",
        lines: ["    /// Removes every item."], diagnostics: [.unexpectedReturns]),
]

@Suite struct DocstringTests {
    @Test(arguments: answerCases)
    func rendersModelAnswer(_ row: AnswerCase) {
        let parsed = DocstringParser.parse(row.answer)
        let result = DocstringRenderer.render(parsed, for: row.target)
        #expect(result.lines == row.lines, "diagnostics: \(result.diagnostics)")
        for diagnostic in row.diagnostics {
            #expect(result.diagnostics.contains(diagnostic), "missing \(diagnostic) in \(result.diagnostics)")
        }
        for diagnostic in row.absent {
            #expect(!result.diagnostics.contains(diagnostic), "unexpected \(diagnostic)")
        }
        if result.lines.isEmpty {
            #expect(result.needsRetry)
        } else {
            #expect(DocstringValidator.check(lines: result.lines, target: row.target) == [])
        }
    }

    @Test func parsesFieldsAndParagraphs() {
        let parsed = DocstringParser.parse(
            "/// Adds two integers.\n///\n/// Overflow traps.\n/// - Parameter a: First.\n/// - Returns: The sum.\n/// - Throws: Never.")
        #expect(parsed.summary == "Adds two integers.")
        #expect(parsed.discussion == ["Overflow traps."])
        #expect(parsed.parameters == [ParameterDoc(name: "a", text: "First.")])
        #expect(parsed.returnsText == "The sum.")
        #expect(parsed.throwsText == "Never.")
        #expect(parsed.diagnostics == [])
    }

    @Test func retryMessageNamesMissingParameters() {
        let result = DocstringRenderer.render(DocstringParser.parse("/// Adds two integers."), for: add)
        #expect(result.needsRetry)
        #expect(result.retryMessage == "The parameter `a` was not documented. The parameter `b` was not documented.")
        #expect(DocstringRenderer.render(DocstringParser.parse(addAnswer), for: add).retryMessage == nil)
    }

    @Test(arguments: [
        String(repeating: "word ", count: 60),
        String(repeating: "word - 1. ", count: 30),
        String(repeating: "pad ", count: 27) + "- ## > ``` 10) " + String(repeating: "pad ", count: 30),
        "Removes " + String(repeating: "x", count: 300) + " items.",
        "Short.",
    ])
    func wrapsLongLines(_ summary: String) {
        let target = DocTarget(
            name: "f(value:)", kind: .function, parameters: [DocParameter(externalLabel: "value", internalName: nil)],
            returnsValue: true, indentation: "        ")
        let answer = "/// \(summary)\n///\n/// \(summary)\n/// - Parameter value: \(summary)\n/// - Returns: \(summary)"
        let result = DocstringRenderer.render(DocstringParser.parse(answer), for: target)
        #expect(!result.lines.isEmpty)
        #expect(result.lines.allSatisfy { $0.count <= 120 })
        #expect(result.lines.allSatisfy { $0.hasPrefix("        ///") })
        #expect(DocstringValidator.check(lines: result.lines, target: target) == [])
        let words = result.lines.joined(separator: " ").split(separator: " ").filter { $0 != "///" }
        #expect(words.contains { $0.hasPrefix("Returns:") })
        // No continuation line starts a Markdown block.
        for line in result.lines {
            let content = line.dropFirst("        ///".count).drop { $0 == " " }
            let first = String(content.prefix { $0 != " " })
            #expect(!["-", "##", ">", "```", "10)", "1."].contains(first) || content.hasPrefix("- Parameter") || content.hasPrefix("- Returns:"), "\(line)")
        }
    }
}

/// One row of the validator table.
struct ValidationCase: CustomTestStringConvertible, Sendable {
    var name: String
    var target: DocTarget
    var lines: [String]
    var problems: [ValidationProblem]
    var testDescription: String { name }
}

private let validationCases: [ValidationCase] = [
    ValidationCase(name: "valid", target: add, lines: addLines, problems: []),
    ValidationCase(name: "empty", target: add, lines: [], problems: [.empty]),
    ValidationCase(
        name: "code line", target: reset, lines: ["    /// Removes every item.", "    func reset() {}"], problems: [.notADocLine(1)]),
    ValidationCase(name: "wrong indentation", target: reset, lines: ["/// Removes every item."], problems: [.notADocLine(0)]),
    ValidationCase(name: "four slashes", target: reset, lines: ["    //// Removes every item."], problems: [.notADocLine(0)]),
    ValidationCase(
        name: "too long", target: reset, lines: ["    /// " + String(repeating: "a", count: 120) + "."], problems: [.lineTooLong(0)]),
    ValidationCase(name: "no period", target: reset, lines: ["    /// Removes every item"], problems: [.badSummary]),
    ValidationCase(
        name: "unknown and undocumented parameter", target: add,
        lines: ["/// Adds.", "/// - Parameters:", "///   - a: A.", "///   - c: C.", "/// - Returns: Sum."],
        problems: [.unknownParameter("c"), .undocumentedParameter("b")]),
    ValidationCase(
        name: "argument label is not the documented name", target: load,
        lines: ["    /// Loads.", "    /// - Parameter from: URL.", "    /// - Returns: Data.", "    /// - Throws: Errors."],
        problems: [.unknownParameter("from"), .undocumentedParameter("url")]),
    ValidationCase(
        name: "duplicate parameter", target: load,
        lines: ["    /// Loads.", "    /// - Parameter url: URL.", "    /// - Parameter url: URL.", "    /// - Returns: Data."],
        problems: [.duplicateParameter("url")]),
    ValidationCase(
        name: "returns and throws on a plain function", target: reset,
        lines: ["    /// Resets.", "    /// - Returns: Nothing.", "    /// - throws: Never."],
        problems: [.unexpectedReturns, .unexpectedThrows]),
    ValidationCase(
        name: "missing returns is allowed", target: load,
        lines: ["    /// Loads.", "    /// - Parameter url: URL."], problems: []),
]

@Suite struct DocstringValidatorTests {
    @Test(arguments: validationCases)
    func validates(_ row: ValidationCase) {
        #expect(DocstringValidator.check(lines: row.lines, target: row.target) == row.problems)
    }
}

@Suite struct DocstringPromptTests {
    @Test func promptHoldsExampleDeclarationFactsAndContext() {
        let (system, user) = DocstringPrompt.build(target: load, context: ["final class Loader {", "  ", "func data(from: URL) async throws -> Data"])
        #expect(system.contains("`///`"))
        #expect(user.contains("/// Limits a value to a closed range."))
        #expect(user.contains("Context (for reference only):\nfinal class Loader {\nfunc data(from: URL) async throws -> Data\n"))
        #expect(user.contains("Declaration:\nfunc load(from url: URL) async throws -> Data {\n    try await session.data(from: url)\n}\n"))
        #expect(user.contains("Document the parameter url. Write - Returns:. Write - Throws:."))
        #expect(user.hasSuffix("Comment:"))
        #expect(!user.contains("previous answer"))
    }

    @Test func longBodiesAreCutAndRetriesSayWhy() {
        let body = (0..<100).map { "    step\($0)()" }.joined(separator: "\n")
        let target = DocTarget(name: "run()", kind: .function, sourceText: "func run() {\n\(body)\n}")
        let (_, user) = DocstringPrompt.build(target: target, context: [], retryMessage: "The answer was empty.")
        #expect(user.contains("    step28()\n    // … 72 more lines\n"))
        #expect(!user.contains("step29()"))
        #expect(!user.contains("Context"))
        #expect(user.contains("Do not write - Parameters:. Do not write - Returns:. Do not write - Throws:."))
        #expect(user.contains("Your previous answer had problems: The answer was empty."))
    }

    @Test func versionAndStops() {
        #expect(!DocstringPrompt.version.isEmpty)
        #expect(!DocstringPrompt.stop.isEmpty)
    }

    /// The grammar for a declaration spells out exactly its fields, in order, and nothing else.
    @Test func grammarForADeclarationAdmitsOnlyItsFields() {
        let clamp = DocTarget(
            name: "clamp(_:to:)", kind: .function,
            parameters: [DocParameter(externalLabel: "_", internalName: "value"), DocParameter(externalLabel: "to", internalName: "range")],
            returnsValue: true)
        let many = DocstringPrompt.grammar(for: clamp)
        #expect(many.hasPrefix(#"root ::= summary discussion? gap "\n/// - Parameters:" "\n///   - value: " text "\n///   - range: " text "\n/// - Returns: " text "\n"?"# + "\n"))
        #expect(!many.contains("Throws"))
        let one = DocstringPrompt.grammar(for: DocTarget(
            name: "load(_:)", kind: .function, parameters: [DocParameter(externalLabel: "_", internalName: "path")], isThrowing: true))
        #expect(one.hasPrefix(#"root ::= summary discussion? gap "\n/// - Parameter path: " text "\n/// - Throws: " text "\n"?"# + "\n"))
        #expect(!one.contains("Returns") && !one.contains("Parameters"))
        let bare = DocstringPrompt.grammar(for: DocTarget(name: "Stack", kind: .type))
        #expect(bare.hasPrefix(#"root ::= summary discussion? "\n"?"# + "\n"))
        #expect(!bare.contains("gap"))
        // Every rule it names is defined.
        for grammar in [many, one, bare] {
            let defined = Set(grammar.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
            for name in ["summary", "discussion", "text", "sentence", "code"] where grammar.contains(" \(name)") {
                #expect(defined.contains(name), "\(name) in \(grammar)")
            }
        }
    }

    /// The worked example in the prompt is itself a valid comment for its declaration.
    @Test func workedExampleIsValid() {
        let user = DocstringPrompt.build(target: reset, context: []).user
        let exampleLines = user.split(separator: "\n").map(String.init).prefix { !$0.isEmpty }.filter { $0.hasPrefix("///") }
        let clamp = DocTarget(
            name: "clamp(_:to:)", kind: .function,
            parameters: [DocParameter(externalLabel: "_", internalName: "value"), DocParameter(externalLabel: "to", internalName: "range")],
            returnsValue: true)
        #expect(exampleLines.count == 6)
        #expect(DocstringValidator.check(lines: Array(exampleLines), target: clamp) == [])
        let rerendered = DocstringRenderer.render(DocstringParser.parse(exampleLines.joined(separator: "\n")), for: clamp)
        #expect(rerendered.lines == Array(exampleLines))
        #expect(rerendered.diagnostics == [])
    }
}

@Suite struct DocstringFuzzTests {
    private static let fragments = [
        "/// Adds two integers.", "///", "/// - Parameters:", "///   - a: The first integer.", "///   - b: The second.",
        "///   - to: The label.", "/// - Parameter zz: Invented.", "/// - Returns: The sum.", "/// - Throws: Errors.",
        "```swift", "```", "func add(_ a: Int, to b: Int) -> Int {", "    a + b", "}", "Here is the comment:",
        "// plain comment", "* star line", "/**", " */", "@param a first", "@return sum", "", "   ", "\t",
        "- Note: Careful.", "Parameters:", "  b: second", "returns", "/// - Returns:", "/// - Parameter a:",
        "/// " + String(repeating: "long ", count: 40), "///x", "////", "/// */", "/// 🙂 émoji.", "\r", "- ", "-",
        "/// - Parameters:", "///   - : empty name", "///   - `a`: backticked.", "Summary:", "/// e.g. this",
        "/// - Parameter a The first", "/// - Returns the sum", "/// - Throws", "/// - Parameter", "/// - parameter b:",
        "/// **Returns:** x", "### Parameters", "/// - Note: n", "/// add(_:to:): Adds.", "- url (URL): where",
    ]

    /// Whatever the model answers, the renderer writes only valid `///` lines at the indentation, or nothing.
    @Test func anyAnswerRendersValidLinesOrNothing() {
        var rng = SeededGenerator(state: 2024)
        let targets = [add, load, reset, makeT, count]
        for round in 0..<3000 {
            let count = Int.random(in: 0...12, using: &rng)
            let answer = (0..<count).map { _ in Self.fragments.randomElement(using: &rng) ?? "" }
                .joined(separator: Bool.random(using: &rng) ? "\n" : "\r\n")
            let target = targets[round % targets.count]
            let result = DocstringRenderer.render(DocstringParser.parse(answer), for: target)
            if result.lines.isEmpty {
                #expect(result.needsRetry, "round \(round): \(answer.debugDescription)")
            } else {
                let problems = DocstringValidator.check(lines: result.lines, target: target)
                #expect(problems == [], "round \(round): \(answer.debugDescription) → \(result.lines)")
            }
        }
    }
}

@Suite struct DocstringInsertionTests {
    @Test(arguments: [
        ("struct S {\n    func f() {}\n}\n", 1, "struct S {\n    /// Does f.\n    func f() {}\n}\n", true),
        ("struct S {\r\n    func f() {}\r\n}\r\n", 1, "struct S {\r\n    /// Does f.\r\n    func f() {}\r\n}\r\n", true),
        ("func f() {}", 0, "    /// Does f.\nfunc f() {}", true),
        ("a\r\nfunc f() {}", 1, "a\r\n    /// Does f.\r\nfunc f() {}", true),
        // Appending after a last line without a line break changes that line.
        ("a", 5, "a\n    /// Does f.\n", false),
        ("", 0, "    /// Does f.\n", true),
    ])
    func insertsWithTheFilesLineBreaks(text: String, line: Int, expected: String, onlyDocLines: Bool) {
        let inserted = DocstringInsertion.insert(["    /// Does f."], into: text, beforeLine: line)
        #expect(Array(inserted.utf8) == Array(expected.utf8))
        #expect(DocstringInsertion.addsOnlyDocLines(old: text, new: inserted) == onlyDocLines)
    }

    @Test(arguments: [
        ("f()\n", "/// Doc.\nf()\n", true),
        ("f()\n", "  /// Doc.\n  ///\nf()\n", true),
        ("f()\n", "// Doc.\nf()\n", false),
        ("f()\n", "/// Doc.\ng()\n", false),
        ("/// Old.\nf()\n", "f()\n", false),
        ("f()", "f()\n", false),
        ("f()\n", "f()\n", true),
    ])
    func recognisesDocOnlyChanges(old: String, new: String, expected: Bool) {
        #expect(DocstringInsertion.addsOnlyDocLines(old: old, new: new) == expected)
    }

    @Test func renderedCommentMakesADiffThatOnlyAddsDocLines() {
        let file = "import Foundation\n\nstruct Loader {\n    func load(from url: URL) async throws -> Data {\n        try await session.data(from: url)\n    }\n}\n"
        let result = DocstringRenderer.render(
            DocstringParser.parse("```\n/// loads data\n/// - Parameter from: the URL\n/// - Returns: data\n/// - Throws: errors\n```"), for: load)
        #expect(result.diagnostics.contains(.renamedParameter(from: "from", to: "url")))
        let new = DocstringInsertion.insert(result.lines, into: file, beforeLine: 3)
        #expect(DocstringInsertion.addsOnlyDocLines(old: file, new: new))
        let diff = UnifiedDiff.make(path: "Sources/Loader.swift", old: file, new: new)
        #expect(UnifiedDiff.apply(diff, to: ["Sources/Loader.swift": file]) == .success(["Sources/Loader.swift": new]))
        #expect(diff.contains("+    /// Loads data.\n+    ///\n+    /// - Parameter url: The URL.\n+    /// - Returns: Data.\n+    /// - Throws: Errors.\n"))
    }
}

@Suite("Docstring tidy")
struct DocstringTidyTests {
    @Test func repeatedSentencesAreDroppedAndFieldsBounded() {
        let loop = String(repeating: "This is a good example of how to use a mutating function. ", count: 12)
        let parsed = DocstringParser.parse("""
            /// Removes and returns the last element. Removes and returns the last element.
            /// - Returns: The last element. \(loop)
            """)
        let tidy = DocstringTidy.tidy(parsed)
        #expect(tidy.summary == "Removes and returns the last element.")
        #expect(tidy.returnsText == "The last element. This is a good example of how to use a mutating function.")
    }

    @Test func thePromptsInstructionsCopiedBackAreDropped() {
        let parsed = DocstringParser.parse("/// The empty stack.\n///\n/// Do not write - Parameters:. Raised by `pop()`.\n/// - Throws: Write - Throws:.")
        let tidy = DocstringTidy.tidy(parsed)
        #expect(tidy.summary == "The empty stack.")
        #expect(tidy.discussion == ["Raised by `pop()`."])
        #expect(tidy.throwsText == nil)
    }

    @Test func codeSpansAndAbbreviationsStayWhole() {
        let parsed = DocstringParser.parse("/// Calls `a.b()`. Then e.g. stops.\n/// - Returns: One. Two. Three.")
        let tidy = DocstringTidy.tidy(parsed)
        #expect(tidy.summary == "Calls `a.b()`.")
        #expect(tidy.returnsText == "One. Two.")
    }
}
