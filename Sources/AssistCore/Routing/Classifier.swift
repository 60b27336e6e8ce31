/// The kinds of work a request can be.
public enum RequestKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Writing or fixing documentation comments.
    case docstring
    /// A change inside one file.
    case refactor
    /// Reasoning or a change across files.
    case multiFile = "multi-file"
    /// A question about the selected or named code.
    case explain
    /// Writing tests for the selected or named code ("write unit tests for this").
    case tests
    /// Anything else: not about this code, or no rule applies.
    case other
}

/// What the index says about one identifier a request names.
public struct NamedSymbolFacts: Sendable, Hashable {
    /// The identifier as written (without backticks).
    public var name: String
    /// Paths of the files that declare it, sorted.
    public var definitionFiles: [String]
    /// Paths of the files that use it, sorted.
    public var referenceFiles: [String]

    /// Creates the facts of one named identifier.
    ///
    /// - Parameters:
    ///   - name: The identifier.
    ///   - definitionFiles: The files declaring it.
    ///   - referenceFiles: The files using it.
    public init(name: String, definitionFiles: [String], referenceFiles: [String]) {
        self.name = name
        self.definitionFiles = definitionFiles
        self.referenceFiles = referenceFiles
    }
}

/// What the selected lines hold.
public struct SelectionFacts: Sendable, Hashable {
    /// The number of lines selected.
    public var lines: Int
    /// The estimated tokens of the selected text (``TokenEstimate``).
    public var tokens: Int
    /// Declarations that start in the selection, or the innermost one holding it.
    public var declarations: Int
    /// How many of those have no doc comment.
    public var undocumentedDeclarations: Int

    /// Creates the facts of a selection.
    ///
    /// - Parameters:
    ///   - lines: The lines selected.
    ///   - tokens: The estimated tokens of the selection.
    ///   - declarations: The declarations in or around it.
    ///   - undocumentedDeclarations: How many of them lack a doc comment.
    public init(lines: Int, tokens: Int, declarations: Int, undocumentedDeclarations: Int) {
        self.lines = lines
        self.tokens = tokens
        self.declarations = declarations
        self.undocumentedDeclarations = undocumentedDeclarations
    }
}

/// Everything the classifier looks at: the request and the facts its caller gathered from the index.
public struct ClassificationRequest: Sendable, Hashable {
    /// The instruction or question as typed.
    public var instruction: String
    /// The file the request is about, from the repository root, if any.
    public var file: String?
    /// The selected lines, 1-based and inclusive, if any.
    public var selection: ClosedRange<Int>?
    /// What the selection holds, when there is one and the file could be read.
    public var selectionFacts: SelectionFacts?
    /// The identifiers the instruction names that the index knows (declared or used somewhere).
    public var symbols: [NamedSymbolFacts]
    /// The estimated tokens of the context the request needs: the selection, or the declarations
    /// of the symbols it names; `nil` when unknown.
    public var contextTokens: Int?

    /// Creates a classification request.
    ///
    /// - Parameters:
    ///   - instruction: The text typed.
    ///   - file: The file, from the repository root.
    ///   - selection: The selected lines (1-based, inclusive).
    ///   - selectionFacts: What the selection holds.
    ///   - symbols: The named identifiers the index knows.
    ///   - contextTokens: The needed context's estimated tokens.
    public init(
        instruction: String, file: String? = nil, selection: ClosedRange<Int>? = nil, selectionFacts: SelectionFacts? = nil,
        symbols: [NamedSymbolFacts] = [], contextTokens: Int? = nil
    ) {
        self.instruction = instruction
        self.file = file
        self.selection = selection
        self.selectionFacts = selectionFacts
        self.symbols = symbols
        self.contextTokens = contextTokens
    }
}

/// One feature the classifier computed, with its value; `decisive` marks those the chosen rule used.
public struct ClassificationFeature: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public var decisive: Bool

    /// Creates a feature.
    ///
    /// - Parameters:
    ///   - name: The feature's name (`words.doc`, `selection.lines`, `rule`).
    ///   - value: Its value as text.
    ///   - decisive: Whether the chosen rule used it.
    public init(name: String, value: String, decisive: Bool) {
        self.name = name
        self.value = value
        self.decisive = decisive
    }
}

/// What decided a classification.
public enum ClassificationDecider: String, Sendable, Hashable, Codable {
    /// The rules, sure enough of themselves (confidence at or above ``Classifier/opinionThreshold``).
    case rule
    /// The local model's second opinion, asked because the rules were unsure.
    case model
}

/// The kind of a request, how sure the classifier is, and the features behind it.
public struct Classification: Sendable, Hashable {
    public var kind: RequestKind
    /// From 0 to 1; two decimals: the deciding rule's figure, checked against the labelled sets (see
    /// ``Classifier``); a model's opinion keeps the rules' figure.
    public var confidence: Double
    /// Every feature computed, in a fixed order; the first is `rule`, the rule that decided.
    public var features: [ClassificationFeature]
    /// Who decided: the rules, or the local model when the rules were unsure.
    public var decidedBy: ClassificationDecider = .rule
    /// Why, in one sentence.
    public var reason: String = ""
    /// The kind the rules chose (the same as ``kind`` unless the model decided otherwise).
    public var ruleKind: RequestKind? = nil

    /// Creates a classification.
    ///
    /// - Parameters:
    ///   - kind: The kind.
    ///   - confidence: How sure, from 0 to 1.
    ///   - features: The features computed, the rule first.
    ///   - decidedBy: Who decided.
    ///   - reason: Why, in one sentence.
    public init(
        kind: RequestKind, confidence: Double, features: [ClassificationFeature], decidedBy: ClassificationDecider = .rule,
        reason: String = ""
    ) {
        self.kind = kind
        self.confidence = confidence
        self.features = features
        self.decidedBy = decidedBy
        self.reason = reason
        self.ruleKind = kind
    }

    /// Whether the rules are unsure enough that the local model should give its opinion.
    public var wantsSecondOpinion: Bool { decidedBy == .rule && confidence < Classifier.opinionThreshold }

    /// The value of a feature, or `nil`.
    ///
    /// - Parameter name: The feature's name.
    /// - Returns: Its value.
    public func feature(_ name: String) -> String? { features.first { $0.name == name }?.value }
}

/// Classifies a free-form request from deterministic features: the words of the instruction (by
/// word class), whether it is a question, the selection, the identifiers it names and where the
/// index says they live, and the tokens the needed context takes. Pure: the same request gives the
/// same classification.
///
/// Precedence, first match wins:
/// 1. `cross-file-scope`: a phrase that reaches past one file ("across files", "every call site",
///    "everywhere", "all callers", "this repository", "its own module", "which types conform") →
///    multi-file, unless a local qualifier ("in this file", "local variable") limits a weak one.
/// 2. `tests`: a test word ("tests", "XCTest", "Swift Testing", "coverage", "test cases") with a
///    writing verb ("write", "add", "generate", "create", "cover") or "unit"/"coverage", in a request
///    that is not a question → tests.
/// 3. `documentation`: documentation words ("doc comment", "docstring", "DocC", "document", "///",
///    "comments", "summary line") in a request that is not a question → docstring, whatever the verb
///    ("fix the doc comment", "add DocC documentation").
/// 4. `question`: a question or an explain word ("explain", "why", "what does", "walk me through") →
///    explain when there is a selection or the context is small and in one file; multi-file when the
///    named symbols are declared in two or more files or the context exceeds ``localContextTokens``;
///    other when it names no code at all.
/// 5. `edit`: an edit verb (rename, extract, simplify, inline, convert, replace, make, add, move, …) →
///    refactor, or multi-file when, without a selection, it changes an API (rename, add a parameter,
///    deprecate, move, …) of a named declaration that other files use.
/// 6. A bare selection (no rule matched but code is selected) → explain, with low confidence; else other.
///
/// Between them, three families that reach past one file: an overview of how a module or package
/// is organized (`module-overview`), a comparison of named code that lives in different files
/// (`comparison-across-files`), and a question asking where something happens, with no selection
/// (`question-locating-code`); and questions about installing or setting up tools that name no code
/// of the repository (`question-about-tools`) → other.
///
/// Confidence is each rule's stated figure, checked against the labelled sets: `scripts/eval-routing`
/// prints every rule's confidence next to how often it was right. The rules below
/// ``opinionThreshold`` (a bare selection, an edit with no target, no rule, a question anchored only by
/// names the repository uses) are those no better than a guess, where the local model is asked.
public enum Classifier {
    /// Needed context (estimated tokens) above which a question without a selection is multi-file work.
    public static let localContextTokens = 8_000
    /// Confidence below which the rules ask the local model for a second opinion.
    public static let opinionThreshold = 0.6

    static let strongDocPhrases = [
        "doc comment", "doc comments", "docstring", "docstrings", "docc", "document", "documents", "documentation",
        "documenting", "documented", "summary line", "jsdoc", "javadoc", "header doc", "headerdoc", "docs",
    ]
    /// DocC's field markers: naming one asks for documentation.
    static let docFieldMarkers = ["- returns", "- parameter", "- throws", "- precondition", "- complexity", "- note:"]
    static let comparisonPhrases = [
        "compare", "compared", "comparing", "comparison", "difference between", "differences between", "different from",
        "differ", "differs", "versus", "vs", "relationship between", "work together", "fit together", "interact with",
    ]
    static let overviewPhrases = [
        "overview", "organized", "organised", "organization", "organisation", "structured", "structure of", "layout of",
        "big picture", "high level", "tour of", "map of",
    ]
    static let containerNouns: Set<String> = [
        "module", "modules", "package", "packages", "repository", "repo", "codebase", "project", "folder", "directory",
        "target", "targets", "library", "framework",
    ]
    /// Words of questions about the developer's tools and machine rather than the code.
    static let toolWords: Set<String> = [
        "install", "installing", "installed", "installation", "download", "upgrade", "toolchain", "xcode", "homebrew",
        "brew", "windows", "linux", "macos", "ubuntu", "docker", "weather", "ide",
    ]
    static let weakDocPhrases = ["comment", "comments", "summary", "parameter docs", "returns section"]
    static let explainPhrases = [
        "explain", "explanation", "describe", "walk me through", "tell me", "what does", "what do", "what is",
        "what's", "what are", "how does", "how do", "how is", "how are", "why", "understand", "meaning of",
        "purpose of", "thread safe", "is this", "is it", "are these",
    ]
    static let questionStarters: Set<String> = [
        "what", "what's", "whats", "why", "how", "where", "which", "when", "who", "whose", "is", "are", "does", "do",
        "did", "can", "could", "should", "would", "will", "was", "were", "has", "have",
    ]
    static let editVerbs: Set<String> = [
        "rename", "extract", "simplify", "inline", "convert", "refactor", "replace", "make", "move", "add", "remove",
        "delete", "change", "rewrite", "split", "merge", "reorder", "restructure", "clean", "tidy", "use", "turn",
        "introduce", "wrap", "unwrap", "deprecate", "migrate", "update", "fix", "optimize", "optimise", "reduce",
        "generalize", "generalise", "modernize", "modernise", "mark", "implement", "port", "swap", "flatten",
        "combine", "hoist", "annotate", "shorten", "dedupe", "deduplicate", "reformat", "format", "sort",
        "parameterize", "parametrize", "comment", "uncomment",
    ]
    /// Edits that change a declaration's interface, so every user of it changes too.
    static let apiVerbs: Set<String> = ["rename", "deprecate", "move", "migrate", "change", "remove", "delete", "add", "replace", "split", "merge"]
    static let strongScopePhrases = [
        "across", "throughout", "all files", "every file", "each file", "other files", "files involved",
        "which files", "what files", "in the package", "whole package", "this package", "the repository",
        "this repository", "the repo", "this repo", "whole repo", "the codebase", "this codebase", "code base",
        "the project", "this project", "whole project", "all imports", "own module", "another module", "new module",
        "separate module", "all modules", "the modules", "architecture", "which types", "what types",
        "which classes", "which modules", "conform to", "conforms to", "who calls", "what calls", "call graph",
        "every call site", "all call sites", "call sites", "every place", "all places", "every caller",
        "all callers", "its callers", "the callers", "every use", "all uses", "every usage", "all usages",
        "all references", "every reference",
    ]
    static let testWords: Set<String> = ["test", "tests", "xctest", "xctests", "testcase", "testcases", "testing", "coverage"]
    static let testVerbs: Set<String> = ["write", "add", "generate", "create", "cover", "covering", "unit", "coverage"]
    static let weakScopePhrases = ["everywhere", "everyplace", "all occurrences", "every occurrence", "wherever"]
    static let localQualifiers = [
        "in this file", "in this function", "in this method", "in this type", "in this class", "in this struct",
        "in this enum", "in this extension", "in this selection", "in the selection", "in this loop",
        "in this block", "local variable", "local constant", "in this scope", "this file only",
    ]
    static let codeNouns: Set<String> = [
        "function", "functions", "method", "methods", "loop", "type", "types", "class", "struct", "enum", "protocol",
        "variable", "property", "parameter", "parameters", "code", "module", "modules", "file", "files",
        "repository", "codebase", "package", "api", "caller", "callers", "closure", "extension", "initializer",
        "init", "helper", "declaration", "expression", "statement", "condition", "branch", "switch", "selection",
        "implementation", "signature", "test", "tests", "handler", "buffer", "call", "calls", "import", "imports",
        "attribute", "argument", "arguments", "constant", "optional", "generic", "error", "errors",
    ]

    /// Classifies a request.
    ///
    /// - Parameter request: The instruction and the facts gathered for it.
    /// - Returns: The kind, a confidence and the features computed, the decisive ones marked.
    public static func classify(_ request: ClassificationRequest) -> Classification {
        let text = request.instruction
        var words = QueryTerms.words(in: text)
        // "Can you …", "please …": a polite imperative, not a question.
        var polite = false
        while let first = words.first, ["please", "kindly"].contains(first) { words.removeFirst(); polite = true }
        if words.count >= 2, ["can", "could", "would", "will"].contains(words[0]), words[1] == "you" {
            words.removeFirst(2)
            polite = true
        }
        let phraseText = " " + words.joined(separator: " ") + " "
        func matches(_ phrases: [String]) -> [String] {
            phrases.filter { phraseText.contains(" " + $0 + " ") }
        }
        let trimmed = text.trimmingWhitespace()
        let lowered = text.lowercased()
        let docMarker = text.contains("///") || text.contains("/**") || docFieldMarkers.contains { lowered.contains($0) }
        let strongDoc = matches(strongDocPhrases)
        var weakDoc = matches(weakDocPhrases)
        if phraseText.contains(" comment out ") { weakDoc.removeAll { $0 == "comment" } }
        if !strongDoc.isEmpty { weakDoc.removeAll { $0 == "summary" } }
        let explainWords = matches(explainPhrases)
        let testing = words.filter(testWords.contains)
        let writesTests = !testing.isEmpty && words.contains(where: testVerbs.contains)
        let edits = words.filter(editVerbs.contains)
        let leadingEdit = words.first.map(editVerbs.contains) ?? false
        let startsAsQuestion = words.first.map(questionStarters.contains) ?? false
        // "Docs for X?", "rename this?": a terse request with a question mark, not a question.
        let requestFragment = !startsAsQuestion && explainWords.isEmpty && (!strongDoc.isEmpty || leadingEdit || writesTests)
        let isQuestion = !polite && (trimmed.hasSuffix("?") && !docMarker && !requestFragment || startsAsQuestion)
        let comparison = matches(comparisonPhrases)
        let overview = matches(overviewPhrases)
        let containers = words.filter(containerNouns.contains)
        let tools = words.filter(toolWords.contains)
        let strongScope = matches(strongScopePhrases)
        let weakScope = matches(weakScopePhrases)
        let local = matches(localQualifiers)
        let nouns = Set(words.filter(codeNouns.contains)).sorted()
        let definitionFiles = Set(request.symbols.flatMap(\.definitionFiles))
        let referenceFiles = Set(request.symbols.flatMap(\.referenceFiles))
        let declared = request.symbols.filter { !$0.definitionFiles.isEmpty }
        let hasSelection = request.selection != nil
        let anchored = hasSelection || request.file != nil || !request.symbols.isEmpty || !nouns.isEmpty

        var features: [ClassificationFeature] = []
        var decisive = Set<String>()
        func add(_ name: String, _ value: String) { features.append(ClassificationFeature(name: name, value: value, decisive: false)) }
        func list(_ values: [String]) -> String { values.isEmpty ? "none" : values.joined(separator: ", ") }
        add("words.doc", list((docMarker ? ["///"] : []) + strongDoc + weakDoc))
        add("words.explain", list(explainWords))
        add("words.tests", list(testing))
        add("words.edit", list(edits))
        add("words.scope", list(strongScope + weakScope))
        add("words.local", list(local))
        add("words.compare", list(comparison))
        add("words.overview", list(overview))
        add("words.tools", list(tools))
        add("words.code", list(nouns))
        add("question", "\(isQuestion)")
        add("selection.lines", request.selection.map { "\($0.count)" } ?? "none")
        if let facts = request.selectionFacts {
            add("selection.tokens", "\(facts.tokens)")
            add("selection.declarations", "\(facts.declarations)")
            add("selection.undocumented", "\(facts.undocumentedDeclarations)")
        }
        add("file", request.file ?? "none")
        add("symbols.named", list(request.symbols.map(\.name)))
        add("symbols.definitionFiles", "\(definitionFiles.count)")
        add("symbols.referenceFiles", "\(referenceFiles.count)")
        add("context.tokens", request.contextTokens.map { "\($0)" } ?? "unknown")

        var kind: RequestKind
        var rule: String
        var confidence: Double
        let weakScopeCounts = !weakScope.isEmpty && local.isEmpty
        if !strongScope.isEmpty || weakScopeCounts {
            kind = .multiFile
            rule = "cross-file-scope"
            confidence = strongScope.isEmpty ? 0.8 : 0.9
            decisive.formUnion(["words.scope", "words.local"])
            if definitionFiles.count + referenceFiles.count > 1 { confidence += 0.05; decisive.insert("symbols.referenceFiles") }
            if hasSelection { confidence -= 0.1; decisive.insert("selection.lines") }
        } else if !overview.isEmpty && !hasSelection && (!containers.isEmpty || !request.symbols.isEmpty) {
            kind = .multiFile
            rule = "module-overview"
            confidence = 0.85
            decisive.formUnion(["words.overview", "words.code", "selection.lines"])
        } else if !comparison.isEmpty && !hasSelection && (definitionFiles.count >= 2 || request.symbols.count >= 2) {
            kind = .multiFile
            rule = "comparison-across-files"
            confidence = definitionFiles.count >= 2 ? 0.85 : 0.7
            decisive.formUnion(["words.compare", "symbols.named", "symbols.definitionFiles", "selection.lines"])
        } else if writesTests && !isQuestion {
            kind = .tests
            rule = "tests"
            confidence = testing.contains(where: { $0 != "testing" && $0 != "coverage" }) ? 0.85 : 0.7
            decisive.formUnion(["words.tests", "question"])
            if hasSelection || request.file != nil { confidence += 0.05; decisive.insert("selection.lines") }
        } else if (docMarker || !strongDoc.isEmpty || !weakDoc.isEmpty) && !(isQuestion && !docMarker) {
            kind = .docstring
            rule = "documentation"
            confidence = docMarker || !strongDoc.isEmpty ? 0.9 : 0.75
            decisive.formUnion(["words.doc", "question"])
            if let facts = request.selectionFacts, facts.undocumentedDeclarations > 0 || facts.declarations > 0 {
                confidence += 0.05
                decisive.insert("selection.declarations")
            }
            if !explainWords.isEmpty { confidence -= 0.1 }
        } else if isQuestion || !explainWords.isEmpty {
            decisive.formUnion(["question", "words.explain"])
            if hasSelection {
                kind = .explain
                rule = "question-about-selection"
                confidence = 0.9
                decisive.insert("selection.lines")
            } else if words.first == "where" {
                kind = .multiFile
                rule = "question-locating-code"
                confidence = 0.8
                decisive.formUnion(["selection.lines"])
            } else if !tools.isEmpty && request.file == nil && declared.isEmpty {
                kind = .other
                rule = "question-about-tools"
                confidence = 0.75
                decisive.formUnion(["words.tools", "file", "symbols.named"])
            } else if definitionFiles.count >= 2 {
                kind = .multiFile
                rule = "question-spanning-files"
                confidence = 0.85
                decisive.formUnion(["symbols.named", "symbols.definitionFiles"])
            } else if let tokens = request.contextTokens, tokens > localContextTokens {
                kind = .multiFile
                rule = "question-needing-large-context"
                confidence = 0.7
                decisive.formUnion(["symbols.named", "context.tokens"])
            } else if anchored {
                kind = .explain
                rule = "question-about-code"
                // Names the repository only uses (a platform, an imported module) anchor weakly.
                confidence = request.file != nil || !declared.isEmpty ? 0.8 : nouns.isEmpty ? 0.5 : 0.6
                decisive.formUnion(["file", "symbols.named", "words.code"])
            } else {
                kind = .other
                rule = "question-not-about-code"
                confidence = 0.7
                decisive.formUnion(["file", "symbols.named", "words.code"])
            }
            if !edits.isEmpty { confidence -= 0.1 }
        } else if !edits.isEmpty && anchored {
            decisive.insert("words.edit")
            let changesAPI = words.contains(where: apiVerbs.contains)
            let target = declared.first
            let usedElsewhere = target.map { symbol in
                Set(symbol.referenceFiles).union(symbol.definitionFiles).count >= 2
            } ?? false
            if !hasSelection, local.isEmpty, changesAPI, usedElsewhere {
                kind = .multiFile
                rule = "interface-change-used-elsewhere"
                confidence = 0.75
                decisive.formUnion(["selection.lines", "symbols.named", "symbols.referenceFiles"])
            } else if !hasSelection, request.file == nil, declared.isEmpty, request.symbols.isEmpty {
                kind = .refactor
                rule = "edit-without-target"
                confidence = 0.5
                decisive.formUnion(["words.code"])
            } else {
                kind = .refactor
                rule = "edit-in-one-file"
                confidence = leadingEdit ? 0.9 : 0.75
                decisive.formUnion(["selection.lines", "file"])
                if let facts = request.selectionFacts, facts.lines > 400 { confidence -= 0.15; decisive.insert("selection.tokens") }
            }
        } else if hasSelection {
            kind = .explain
            rule = "bare-selection"
            confidence = 0.4
            decisive.insert("selection.lines")
        } else {
            kind = .other
            rule = anchored ? "no-rule" : "not-about-code"
            confidence = anchored ? 0.5 : 0.8
            decisive.formUnion(["words.doc", "words.explain", "words.edit", "words.code", "symbols.named"])
        }
        confidence = (min(0.99, max(0.05, confidence)) * 100).rounded() / 100
        features = features.map { ClassificationFeature(name: $0.name, value: $0.value, decisive: decisive.contains($0.name)) }
        features.insert(ClassificationFeature(name: "rule", value: rule, decisive: true), at: 0)
        return ClassifierOpinion.rulesDecided(Classification(kind: kind, confidence: confidence, features: features))
    }
}
