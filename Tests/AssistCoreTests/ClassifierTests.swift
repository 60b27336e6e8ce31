import AssistCore
import Testing

/// One classifier case: a request, the index facts its caller would gather, and the expected kind.
struct ClassifierCase: CustomTestStringConvertible, Sendable {
    var instruction: String
    var file: String? = nil
    var selection: ClosedRange<Int>? = nil
    var symbols: [NamedSymbolFacts] = []
    var contextTokens: Int? = nil
    var undocumented: Int? = nil
    var expected: RequestKind
    var rule: String? = nil

    var testDescription: String { "\"\(instruction)\" → \(expected.rawValue)" }

    var request: ClassificationRequest {
        ClassificationRequest(
            instruction: instruction, file: file, selection: selection,
            selectionFacts: selection.map {
                SelectionFacts(lines: $0.count, tokens: $0.count * 10, declarations: undocumented.map { max(1, $0) } ?? 0,
                               undocumentedDeclarations: undocumented ?? 0)
            },
            symbols: symbols, contextTokens: contextTokens)
    }
}

private let queue = NamedSymbolFacts(name: "JobQueue", definitionFiles: ["Sources/Q/JobQueue.swift"], referenceFiles: ["Sources/Q/JobQueue.swift", "Sources/Q/Worker.swift", "Sources/App/Main.swift"])
private let worker = NamedSymbolFacts(name: "Worker", definitionFiles: ["Sources/Q/Worker.swift"], referenceFiles: ["Sources/Q/Pool.swift"])
private let parse = NamedSymbolFacts(name: "parseHeader", definitionFiles: ["Sources/Q/Parser.swift"], referenceFiles: ["Sources/Q/Parser.swift", "Sources/Q/Reader.swift"])
private let helper = NamedSymbolFacts(name: "normalize", definitionFiles: ["Sources/Q/Parser.swift"], referenceFiles: ["Sources/Q/Parser.swift"])
private let file = "Sources/Q/Parser.swift"

let classifierCases: [ClassifierCase] = [
    // docstring: documentation words, whatever the verb.
    ClassifierCase(instruction: "Add a docstring to this initializer", file: file, selection: 10...20, undocumented: 1, expected: .docstring, rule: "documentation"),
    ClassifierCase(instruction: "write unit tests for this", file: file, selection: 10...20, expected: .tests, rule: "tests"),
    ClassifierCase(instruction: "Can you add XCTest cases for the parser?", file: file, expected: .tests, rule: "tests"),
    ClassifierCase(instruction: "test coverage for this function please", file: file, selection: 3...9, expected: .tests, rule: "tests"),
    ClassifierCase(instruction: "why does this test fail?", file: file, selection: 3...9, expected: .explain),
    ClassifierCase(instruction: "rename testValue to expected", file: file, selection: 3...9, expected: .refactor),
    ClassifierCase(instruction: "please document the parameters", file: file, selection: 3...9, expected: .docstring),
    ClassifierCase(instruction: "fix the doc comment, it describes the wrong return value", file: file, selection: 30...44, expected: .docstring, rule: "documentation"),
    ClassifierCase(instruction: "Could you write DocC for the public API here?", file: file, expected: .docstring),
    ClassifierCase(instruction: "///", file: file, selection: 5...5, expected: .docstring),
    ClassifierCase(instruction: "the comments above this method are outdated; update them", file: file, selection: 12...40, expected: .docstring),
    ClassifierCase(instruction: "Shorten the summary line", file: file, selection: 1...8, expected: .docstring),
    // explain: questions and explain words; with a selection, or small single-file context.
    ClassifierCase(instruction: "what is this guard protecting against?", file: file, selection: 50...58, expected: .explain, rule: "question-about-selection"),
    ClassifierCase(instruction: "Explain the retry logic", file: file, selection: 60...120, expected: .explain),
    ClassifierCase(instruction: "How does `parseHeader` handle an empty line?", symbols: [parse], contextTokens: 900, expected: .explain, rule: "question-about-code"),
    ClassifierCase(instruction: "walk me through this method step by step", file: file, selection: 1...80, expected: .explain),
    ClassifierCase(instruction: "Why is the index reset to zero after the copy", file: file, selection: 200...230, expected: .explain),
    ClassifierCase(instruction: "what does this doc comment mean by 'amortised'?", file: file, selection: 4...6, expected: .explain),
    // refactor: edit verbs within one file.
    ClassifierCase(instruction: "Turn these nested ifs into a guard", file: file, selection: 70...90, expected: .refactor, rule: "edit-in-one-file"),
    ClassifierCase(instruction: "extract a helper for the header loop", file: file, selection: 15...60, expected: .refactor),
    ClassifierCase(instruction: "Rename the local variable `buf` to `buffer`", file: file, selection: 15...60, symbols: [NamedSymbolFacts(name: "buf", definitionFiles: [], referenceFiles: ["a.swift", "b.swift", "c.swift"])], expected: .refactor),
    ClassifierCase(instruction: "rename `normalize` to `canonicalize`", file: file, symbols: [helper], expected: .refactor),
    ClassifierCase(instruction: "comment out the logging call", file: file, selection: 9...9, expected: .refactor),
    ClassifierCase(instruction: "make this struct Sendable", file: file, selection: 1...30, expected: .refactor),
    ClassifierCase(instruction: "tidy up the imports", expected: .refactor, rule: "edit-without-target"),
    // multi-file: scope phrases, names spread over files, large context.
    ClassifierCase(instruction: "rename `parseHeader` to `readHeader` and update every call site", file: file, symbols: [parse], expected: .multiFile, rule: "cross-file-scope"),
    ClassifierCase(instruction: "Replace print with the logger throughout the codebase", expected: .multiFile),
    ClassifierCase(instruction: "rename `parseHeader` to `readHeader`", file: file, symbols: [parse], expected: .multiFile, rule: "interface-change-used-elsewhere"),
    ClassifierCase(instruction: "How do JobQueue and Worker hand jobs to each other?", symbols: [queue, worker], expected: .multiFile, rule: "question-spanning-files"),
    ClassifierCase(instruction: "How does the JobQueue schedule its work?", symbols: [queue], contextTokens: 20_000, expected: .multiFile, rule: "question-needing-large-context"),
    ClassifierCase(instruction: "Which types conform to Codable in this package?", expected: .multiFile),
    ClassifierCase(instruction: "Update the documentation comments across all files to use DocC links", expected: .multiFile),
    ClassifierCase(instruction: "Document every public function in this file", file: file, expected: .docstring),
    ClassifierCase(instruction: "Rename `x` everywhere in this function", file: file, selection: 1...40, expected: .refactor),
    // The families that reach past one file, and requests in terse or DocC form.
    ClassifierCase(instruction: "Give me an overview of how the Q package is structured", expected: .multiFile, rule: "module-overview"),
    ClassifierCase(instruction: "a high level map of the Q package please", expected: .multiFile, rule: "module-overview"),
    ClassifierCase(instruction: "how is this function organized?", file: file, selection: 1...30, expected: .explain),
    ClassifierCase(instruction: "Compare JobQueue with Worker", symbols: [queue, worker], expected: .multiFile, rule: "comparison-across-files"),
    ClassifierCase(instruction: "compare these two loops", file: file, selection: 5...40, expected: .explain),
    ClassifierCase(instruction: "Where are headers parsed?", expected: .multiFile, rule: "question-locating-code"),
    ClassifierCase(instruction: "where does this return early?", file: file, selection: 1...30, expected: .explain),
    ClassifierCase(instruction: "How do I install the toolchain on Linux?", symbols: [NamedSymbolFacts(name: "Linux", definitionFiles: [], referenceFiles: ["a.swift"])], expected: .other, rule: "question-about-tools"),
    ClassifierCase(instruction: "Docs for parseHeader?", file: file, selection: 3...9, symbols: [parse], expected: .docstring, rule: "documentation"),
    ClassifierCase(instruction: "add the - Throws: section", file: file, selection: 3...9, expected: .docstring, rule: "documentation"),
    ClassifierCase(instruction: "rename this?", file: file, selection: 3...9, expected: .refactor),
    // other: not about code, or nothing to go on.
    ClassifierCase(instruction: "write release notes for version 2", expected: .other),
    ClassifierCase(instruction: "what time is it in Tokyo?", expected: .other, rule: "question-not-about-code"),
    ClassifierCase(instruction: "thanks!", expected: .other),
]

@Suite("Request classification")
struct ClassifierTests {
    @Test(arguments: classifierCases)
    func classifies(_ item: ClassifierCase) {
        let result = Classifier.classify(item.request)
        #expect(result.kind == item.expected, "features: \(result.features.map { "\($0.name)=\($0.value)" })")
        if let rule = item.rule { #expect(result.feature("rule") == rule) }
        #expect(result.confidence > 0 && result.confidence <= 1)
        #expect(result.features.first?.name == "rule" && result.features.first?.decisive == true)
    }

    @Test func isDeterministic() {
        for item in classifierCases {
            #expect(Classifier.classify(item.request) == Classifier.classify(item.request))
        }
    }

    @Test func precedenceScopeBeatsDocumentationBeatsQuestionBeatsEdit() {
        // The same verbs, one more class of words each time.
        #expect(Classifier.classify(ClassificationRequest(instruction: "simplify this", file: file, selection: 1...5)).kind == .refactor)
        #expect(Classifier.classify(ClassificationRequest(instruction: "why simplify this?", file: file, selection: 1...5)).kind == .explain)
        #expect(Classifier.classify(ClassificationRequest(instruction: "simplify this doc comment", file: file, selection: 1...5)).kind == .docstring)
        #expect(Classifier.classify(ClassificationRequest(instruction: "simplify this doc comment across the codebase", file: file, selection: 1...5)).kind == .multiFile)
    }

    @Test func featuresNameWhatDecided() {
        let result = Classifier.classify(ClassificationRequest(
            instruction: "How do JobQueue and Worker hand jobs to each other?", symbols: [queue, worker]))
        #expect(result.feature("symbols.definitionFiles") == "2")
        #expect(result.feature("symbols.named") == "JobQueue, Worker")
        #expect(result.features.contains { $0.name == "symbols.definitionFiles" && $0.decisive })
        #expect(result.feature("question") == "true")
    }

    @Test func namedIdentifiers() {
        #expect(QueryTerms.identifiers(in: "Where does ByteBuffer call `readableBytes` and hexDump(format:)?") == ["ByteBuffer", "readableBytes", "hexDump"])
        #expect(QueryTerms.identifiers(in: "How does NIOHTTP1 parse HTTP headers? Explain.") == ["NIOHTTP1", "HTTP"])
        #expect(QueryTerms.identifiers(in: "add `@inlinable` to `buffer.readableBytes`") == ["inlinable", "buffer", "readableBytes"])
        #expect(QueryTerms.subwords(of: "PendingWritesManager") == ["pend", "writ", "manager"])
        #expect(QueryTerms.subwords(of: "HTTPServerPipelineHandler") == ["http", "server", "pipelin", "handler"])
    }

    @Test func unsureRulesWantASecondOpinionAndSureOnesDoNot() {
        let bare = Classifier.classify(ClassificationRequest(instruction: "hmm", file: file, selection: 1...5))
        #expect(bare.confidence < Classifier.opinionThreshold)
        #expect(bare.wantsSecondOpinion)
        #expect(bare.decidedBy == .rule)
        let sure = Classifier.classify(ClassificationRequest(instruction: "Add a docstring to this initializer", file: file, selection: 10...20))
        #expect(!sure.wantsSecondOpinion)
        #expect(sure.reason == "The rule documentation decided with confidence \(sure.confidence).")
    }
}

@Suite("The local model's second opinion: prompt, grammar, answer")
struct ClassifierOpinionTests {
    @Test func withASelectionOnlyKindsThatWorkOnSelectedCodeMayBeChosen() {
        let selected = ClassificationRequest(instruction: "hmm", file: file, selection: 1...5)
        #expect(ClassifierOpinion.candidates(for: selected) == [.docstring, .refactor, .explain, .tests])
        #expect(ClassifierOpinion.grammar(ClassifierOpinion.candidates(for: selected)) == #"root ::= "docstring" | "refactor" | "explain" | "tests""#)
        let free = ClassificationRequest(instruction: "hmm")
        #expect(ClassifierOpinion.candidates(for: free) == [.docstring, .refactor, .multiFile, .explain, .tests, .other])
    }

    @Test func theSystemTextIsTheSameForEveryRequestAndTheFactsGoInTheUserLines() {
        let one = ClassifierOpinion.chatRequest(for: ClassificationRequest(instruction: "hmm", file: file, selection: 1...5))
        let two = ClassifierOpinion.chatRequest(for: ClassificationRequest(instruction: "Compare JobQueue with Worker", symbols: [queue, worker]))
        #expect(one.messages.first == two.messages.first)
        #expect(one.messages.first?.content.contains("tests: write unit tests.") == true)
        #expect(one.temperature == 0)
        #expect(two.messages.last?.content == "Compare JobQueue with Worker\n(nothing selected; names JobQueue, declared in 1 file; names Worker, declared in 1 file)")
        let facts = ClassificationRequest(
            instruction: "x", file: file, selection: 4...9,
            selectionFacts: SelectionFacts(lines: 6, tokens: 40, declarations: 2, undocumentedDeclarations: 1))
        #expect(ClassifierOpinion.user(for: facts) == "x\n(6 lines selected, 2 declarations (1 undocumented))")
        guard case .grammar(let grammar) = one.constraint else {
            Issue.record("the opinion is not constrained by a grammar")
            return
        }
        #expect(grammar.hasPrefix("root ::= "))
    }

    @Test func onlyACandidateIsAnAnswer() {
        let candidates: [RequestKind] = [.docstring, .refactor, .explain, .tests]
        #expect(ClassifierOpinion.parse(" explain\n", candidates: candidates) == .explain)
        #expect(ClassifierOpinion.parse("multi-file", candidates: candidates) == nil)
        #expect(ClassifierOpinion.parse("explain, because", candidates: candidates) == nil)
        #expect(ClassifierOpinion.parse("", candidates: candidates) == nil)
    }

    @Test func theCacheKeyChangesWithTheRequestTheFactsAndTheModel() {
        let request = ClassificationRequest(instruction: "hmm", file: file, selection: 1...5)
        let key = ClassifierOpinion.cacheKey(for: request, model: "local/a")
        #expect(key.count == 32)
        #expect(key == ClassifierOpinion.cacheKey(for: request, model: "local/a"))
        #expect(key != ClassifierOpinion.cacheKey(for: request, model: "local/b"))
        #expect(key != ClassifierOpinion.cacheKey(for: ClassificationRequest(instruction: "hmm", file: file, selection: 1...6), model: "local/a"))
        #expect(key != ClassifierOpinion.cacheKey(for: ClassificationRequest(instruction: "hmm?", file: file, selection: 1...5), model: "local/a"))
    }

    @Test func aModelDecisionKeepsTheRulesFiguresAndSaysWhoDecided() {
        let rules = Classifier.classify(ClassificationRequest(instruction: "hmm", file: file, selection: 1...5))
        let decided = ClassifierOpinion.decided(rules, by: .docstring, model: "local/m", cached: false)
        #expect(decided.kind == .docstring)
        #expect(decided.ruleKind == rules.kind)
        #expect(decided.decidedBy == .model)
        #expect(decided.confidence == rules.confidence)
        #expect(decided.features == rules.features)
        #expect(decided.reason.contains("local/m chose docstring and overruled the rules' explain"))
        #expect(!decided.wantsSecondOpinion)
    }
}
