/// The local model's second opinion on a request the rules are unsure of: the prompt (each kind
/// described in plain words, a few worked examples, then the request with the facts the rules
/// computed), a grammar that lets the model answer with one of the candidate kinds only, and the
/// classification that results. Pure: the caller sends the prompt and caches the answer.
///
/// The system text and the examples are the same for every request, so a server with a prompt
/// cache (llama-server) processes only the request's own lines each time.
public enum ClassifierOpinion {
    /// Part of the cache key: a new prompt invalidates the answers cached for the old one.
    public static let promptVersion = "opinion-1"
    /// The answer is one kind's name: a few tokens.
    public static let maxTokens = 8

    /// Each kind in plain words, in the order the prompt lists them.
    static let descriptions: [(RequestKind, String)] = [
        (.docstring, "write, complete or fix documentation comments (///, DocC) of code."),
        (.refactor, "change the selected code or one file: rename, extract, simplify, convert, fix."),
        (.multiFile, "needs several files: an overview of a module, where something happens, tracing a flow, comparing types, changing every use."),
        (.explain, "a question about the selected code or one named declaration."),
        (.tests, "write unit tests."),
        (.other, "not about this repository's code."),
    ]

    /// Worked examples, written over no particular repository: (request, facts, kind).
    static let examples: [(String, String, RequestKind)] = [
        ("write a doc comment for this", "12 lines selected", .docstring),
        ("what does this closure capture?", "8 lines selected", .explain),
        ("turn this if chain into a guard", "20 lines selected", .refactor),
        ("How does a request travel from the router to the database layer?", "nothing selected", .multiFile),
        ("cover parse(_:) with unit tests", "nothing selected; names parse, declared in 1 file", .tests),
        ("how do I update Xcode?", "nothing selected", .other),
        ("the - Parameter line is out of date", "6 lines selected", .docstring),
        ("Give me a tour of the networking module", "nothing selected", .multiFile),
        ("why is this marked @MainActor", "4 lines selected", .explain),
        ("write a changelog entry", "nothing selected", .other),
        ("rename tmp to buffer", "30 lines selected", .refactor),
    ]

    /// The kinds the model may choose: with a selection, the kinds that work on selected code.
    ///
    /// - Parameter request: The request.
    /// - Returns: The candidates, in the prompt's order.
    public static func candidates(for request: ClassificationRequest) -> [RequestKind] {
        let all = descriptions.map(\.0)
        return request.selection == nil ? all : all.filter { [.docstring, .refactor, .explain, .tests].contains($0) }
    }

    /// The system text: the routes and the examples, the same for every request.
    public static var system: String {
        var text = "You route requests that a developer types in a code assistant inside a Swift repository. "
        text += "Choose the one route that fits.\n\n"
        for (kind, description) in descriptions { text += "\(kind.rawValue): \(description)\n" }
        text += "\nExamples:\n"
        for (request, facts, kind) in examples { text += "\(request)\n(\(facts))\n→ \(kind.rawValue)\n\n" }
        text += "Answer with the route only."
        return text
    }

    /// The request's own lines: the instruction and the facts the rules computed.
    ///
    /// - Parameter request: The request.
    /// - Returns: The user message.
    public static func user(for request: ClassificationRequest) -> String {
        "\(request.instruction.trimmingWhitespace())\n(\(facts(of: request)))"
    }

    /// The facts in words: the selection and what it holds, the named code and where it lives.
    static func facts(of request: ClassificationRequest) -> String {
        var facts: [String] = []
        if let selection = request.selection {
            var text = "\(selection.count) lines selected"
            if let held = request.selectionFacts, held.declarations > 0 {
                text += ", \(held.declarations) declaration\(held.declarations == 1 ? "" : "s")"
                if held.undocumentedDeclarations > 0 { text += " (\(held.undocumentedDeclarations) undocumented)" }
            }
            facts.append(text)
        } else {
            facts.append(request.file == nil ? "nothing selected" : "a file open, nothing selected")
        }
        for symbol in request.symbols.prefix(4) {
            if symbol.definitionFiles.isEmpty {
                facts.append("names \(symbol.name), used in \(symbol.referenceFiles.count) files, declared nowhere")
            } else {
                let count = symbol.definitionFiles.count
                facts.append("names \(symbol.name), declared in \(count) file\(count == 1 ? "" : "s")")
            }
        }
        return facts.joined(separator: "; ")
    }

    /// A GBNF grammar whose only sentences are the candidates' names.
    ///
    /// - Parameter candidates: The kinds allowed.
    /// - Returns: The grammar, as llama.cpp's `grammar` field takes it.
    public static func grammar(_ candidates: [RequestKind]) -> String {
        "root ::= " + candidates.map { "\"\($0.rawValue)\"" }.joined(separator: " | ")
    }

    /// The chat request for the model: the fixed system text, the request's lines, the grammar.
    ///
    /// - Parameter request: The request the rules were unsure of.
    /// - Returns: The request to send.
    public static func chatRequest(for request: ClassificationRequest) -> ChatRequest {
        ChatRequest(
            messages: [.system(system), .user(user(for: request))], maxTokens: maxTokens, temperature: 0,
            constraint: .grammar(grammar(candidates(for: request))), streaming: false)
    }

    /// The kind an answer names, if it names one of the candidates (and nothing else).
    ///
    /// - Parameters:
    ///   - answer: The model's text.
    ///   - candidates: The kinds it was allowed.
    /// - Returns: The kind, or `nil` for any other text.
    public static func parse(_ answer: String, candidates: [RequestKind]) -> RequestKind? {
        let words = answer.split(whereSeparator: \.isWhitespace)
        guard words.count == 1, let word = words.first?.lowercased() else { return nil }
        return candidates.first { $0.rawValue == word }
    }

    /// The cache key of a request's opinion: the prompt's version, the model and the exact lines sent.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - model: The model's identifier.
    /// - Returns: A key that changes whenever the prompt would.
    public static func cacheKey(for request: ClassificationRequest, model: String) -> String {
        let material = [promptVersion, model, grammar(candidates(for: request)), user(for: request)].joined(separator: "\u{0}")
        return StableHash.hex(material)
    }

    /// The classification once the model has answered: its kind, the rules' confidence and
    /// features kept, and a reason naming both.
    ///
    /// - Parameters:
    ///   - rules: What the rules decided.
    ///   - kind: The model's kind.
    ///   - model: The model's identifier.
    ///   - cached: Whether the answer came from the cache.
    /// - Returns: The classification decided by the model.
    public static func decided(_ rules: Classification, by kind: RequestKind, model: String, cached: Bool) -> Classification {
        var result = rules
        result.kind = kind
        result.decidedBy = .model
        result.ruleKind = rules.kind
        let agreement = kind == rules.kind ? "agreed with the rules" : "overruled the rules' \(rules.kind.rawValue)"
        result.reason = "The rules were unsure (\(rules.feature("rule") ?? "no rule"), confidence \(rules.confidence) "
            + "below \(Classifier.opinionThreshold)); \(model) chose \(kind.rawValue) and \(agreement)"
            + (cached ? " (answer cached)." : ".")
        return result
    }

    /// The rules' classification with the reason they decided alone.
    ///
    /// - Parameters:
    ///   - rules: What the rules decided.
    ///   - why: Why the model was not asked or not heeded, or `nil` when the rules were sure.
    /// - Returns: The classification, its reason set.
    public static func rulesDecided(_ rules: Classification, _ why: String? = nil) -> Classification {
        var result = rules
        let rule = rules.feature("rule") ?? "no rule"
        if let why {
            result.reason = "The rules were unsure (\(rule), confidence \(rules.confidence)) and decided alone: \(why)."
        } else {
            result.reason = "The rule \(rule) decided with confidence \(rules.confidence)."
        }
        return result
    }
}

/// A 128-bit FNV-1a digest as hex: stable across runs and machines (unlike `Hasher`), for cache keys.
public enum StableHash {
    /// The digest of a text's UTF-8 bytes.
    ///
    /// - Parameter text: The text.
    /// - Returns: 32 hex digits.
    public static func hex(_ text: String) -> String {
        let bytes = Array(text.utf8)
        func fnv(_ bytes: some Sequence<UInt8>, _ basis: UInt64) -> UInt64 {
            var hash = basis
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            return hash
        }
        let first = String(fnv(bytes, 0xcbf2_9ce4_8422_2325), radix: 16)
        let second = String(fnv(bytes.reversed(), 0x8422_2325_cbf2_9ce4), radix: 16)
        return String(repeating: "0", count: 16 - first.count) + first + String(repeating: "0", count: 16 - second.count) + second
    }
}
