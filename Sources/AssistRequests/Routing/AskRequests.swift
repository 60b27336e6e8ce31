import AssistCore
import AssistGit
import AssistIndex
import Foundation

/// The outcome of `assist ask`: the answer, a checked change when one was asked, and the route.
public struct RoutedAskOutcome: Sendable {
    /// The kind the question was classified as.
    public var classification: Classification
    /// The answer's text, as the model wrote it (edit blocks included).
    public var answer: String
    /// Whether the question asked for a change.
    public var wantsChange: Bool
    /// The checked change, when one was asked and an answer passed validation.
    public var changes: [String: (old: String, new: String)]
    /// Its diff; empty when there is none.
    public var diff: String
    /// The checks the diff passed.
    public var validation: [String]
    /// Why a change was asked but none could be returned.
    public var changeError: String?
    /// The backend of the answer.
    public var backend: String
    /// Its model.
    public var model: String
    /// Every routing and cascade step.
    public var reasons: [RouteReason]
    /// Tokens of every call made.
    public var usage: TokenUsage
    /// Dollars spent.
    public var costUSD: Double
    /// The context sent with the answer's request.
    public var context: PackedContext
    /// Model calls made.
    public var attempts: Int
    /// Changed files that are shown for review but never applied on their own, with the reason.
    public var reviewOnly: [String: String] = [:]
    /// What the change adds that a person should look at (see `RiskReview`).
    public var risks: [EditRisk] = []
}

extension RoutedRequestRunner {
    /// Completion tokens allowed for an answer, and for an answer with a change.
    static let askMaxTokens = 1_024
    static let askChangeMaxTokens = 4_096
    /// The context budget of cloud-bound questions.
    static let cloudContextBudget = 32_000

    /// What an `ask` decides before calling any model.
    struct AskPlan: Sendable {
        var classification: Classification
        var wantsChange: Bool
        var maxTokens: Int
        var overhead: Int
        /// The context packed at the cloud budget with every file allowed.
        var everything: PackedContext
        /// The context for the cloud: `localOnly` files left out.
        var cloudContext: PackedContext
        var redactedPieces: [PackedPiece]
        var redactions: [EgressEntry.Redaction]
        var decision: RouteDecision
    }

    /// Classifies a question, retrieves its context and decides its route; calls no model.
    func planAsk(
        question: String, file: RequestFile?, selection: ClosedRange<Int>?, gatherer: RequestContextGatherer,
        classification known: Classification? = nil
    ) throws(GitError) -> AskPlan {
        let classification: Classification
        if let known {
            classification = known
        } else {
            classification = Classifier.classify(
                try gatherer.classificationRequest(instruction: question, file: file?.path, selection: selection, text: file?.text))
        }
        let kind = classification.kind
        let wantsChange = (kind == .refactor || kind == .multiFile) && classification.feature("question") == "false"
        let maxTokens = wantsChange ? Self.askChangeMaxTokens : Self.askMaxTokens
        let overhead = TokenEstimate.of(EditPrompts.ask(question: question, context: [], wantsChange: wantsChange).system) + 64

        // Cloud-bound context: localOnly files left out, secrets found.
        let cloudWindow = setup.cloud?.candidate.contextWindow ?? Self.cloudContextBudget * 2
        let cloudBudget = max(1_000, min(Self.cloudContextBudget, cloudWindow - maxTokens - overhead))
        let everything = try gatherer.pack(question: question, budget: cloudBudget)
        var localOnly = everything.files.compactMap { path in
            setup.localOnlyPattern(for: path).map { LocalOnlyMatch(path: path, pattern: $0, isTarget: path == file?.path) }
        }
        if let file, let pattern = setup.localOnlyPattern(for: file.path), !localOnly.contains(where: { $0.path == file.path }) {
            localOnly.append(LocalOnlyMatch(path: file.path, pattern: pattern, isTarget: true))
        }
        let excluded = Set(localOnly.map(\.path))
        let cloudContext = excluded.isEmpty ? everything : try gatherer.pack(question: question, budget: cloudBudget, excluding: { excluded.contains($0) })
        var redactedPieces: [PackedPiece] = []
        var redactions: [EgressEntry.Redaction] = []
        for piece in cloudContext.pieces {
            let (text, findings) = SecretScanner.redact(piece.text)
            var redacted = piece
            redacted.text = text
            redactedPieces.append(redacted)
            for finding in findings {
                let line = piece.form == .full ? piece.lines.lowerBound + finding.line - 1 : piece.lines.lowerBound
                redactions.append(EgressEntry.Redaction(path: piece.path, line: line, kind: finding.kind.rawValue))
            }
        }
        let input = setup.routeInput(
            kind: kind, promptTokens: cloudContext.totalTokens + overhead, maxCompletionTokens: maxTokens,
            localOnly: localOnly, secrets: redactions.map { "\($0.path):\($0.line) \($0.kind)" }, shrinkableContext: true)
        return AskPlan(
            classification: classification, wantsChange: wantsChange, maxTokens: maxTokens, overhead: overhead,
            everything: everything, cloudContext: cloudContext, redactedPieces: redactedPieces, redactions: redactions,
            decision: RoutePolicy.decide(input))
    }

    /// How a free-form request would be routed, without calling any model: docstrings by the
    /// docstring rule, refactors of a file by the refactor plan, everything else by the ask plan.
    ///
    /// - Parameters:
    ///   - instruction: The instruction or question.
    ///   - classification: Its classification.
    ///   - file: The file it is about, if any.
    ///   - selection: The selected lines, if any.
    ///   - gatherer: The index's facts and files.
    /// - Returns: The decision and the prompt tokens it assumed.
    public func preview(
        instruction: String, classification: Classification, file: RequestFile?, selection: ClosedRange<Int>?,
        gatherer: RequestContextGatherer
    ) throws(GitError) -> (decision: RouteDecision, promptTokens: Int) {
        switch classification.kind {
        case .docstring:
            let tokens = 400
            let input = setup.routeInput(kind: .docstring, promptTokens: tokens, maxCompletionTokens: 200, localOnly: [], secrets: [])
            return (RoutePolicy.decide(input), tokens)
        case .refactor where file != nil:
            let plan = planRefactor(file: file!, instruction: instruction, range: selection)
            return (plan.decision, plan.promptTokens)
        default:
            let plan = try planAsk(question: instruction, file: file, selection: selection, gatherer: gatherer, classification: classification)
            return (plan.decision, plan.cloudContext.totalTokens + plan.overhead)
        }
    }

    /// Answers a question about the repository with retrieved context; when it asks for a change,
    /// the answer's SEARCH/REPLACE blocks become a checked diff.
    ///
    /// - Parameters:
    ///   - question: The question or instruction.
    ///   - file: The file it is about, if any (as read).
    ///   - selection: The selected lines of that file, if any.
    ///   - gatherer: The index's facts and files.
    /// - Returns: The outcome.
    /// - Throws: ``RoutedRequestError`` when no backend may take it or every backend failed.
    public func ask(
        question: String, file: RequestFile?, selection: ClosedRange<Int>?, gatherer: RequestContextGatherer
    ) async throws -> RoutedAskOutcome {
        // Retrieval reads the index and files: it runs off the cooperative pool, as all index work does.
        let plan = try await Blocking.run { () throws(GitError) in
            try self.planAsk(question: question, file: file, selection: selection, gatherer: gatherer)
        }
        let (classification, wantsChange, maxTokens, overhead) = (plan.classification, plan.wantsChange, plan.maxTokens, plan.overhead)
        let (everything, cloudContext, redactions, decision) = (plan.everything, plan.cloudContext, plan.redactions, plan.decision)
        guard let primary = decision.primary else {
            throw RoutedRequestError("no backend may take this request: \(decision.refusal ?? "refused")", reasons: decision.reasons)
        }
        let redact = decision.redactSecrets && !redactions.isEmpty
        var cloudSent = cloudContext
        if redact { cloudSent.pieces = plan.redactedPieces }
        var localContext: PackedContext?
        /// The context a backend is sent: the cloud's as planned, the local one packed to its window once.
        func context(for candidate: RouteCandidate) async throws -> PackedContext {
            if candidate.place == .cloud { return cloudSent }
            if let localContext { return localContext }
            let window = candidate.contextWindow ?? 8_192
            let budget = max(500, window - min(maxTokens, window / 4) - overhead)
            let packed = budget >= everything.totalTokens
                ? everything
                : try await Blocking.run { () throws(GitError) in try gatherer.pack(question: question, budget: budget) }
            localContext = packed
            return packed
        }

        func prepare(_ candidate: RouteCandidate, feedback: Feedback?) async throws -> Call {
            let pieces = try await context(for: candidate).pieces
            let prompt = EditPrompts.ask(question: question, context: pieces, wantsChange: wantsChange)
            var messages: [ChatMessage] = [.system(prompt.system), .user(prompt.user)]
            if let feedback { messages += [.assistant(feedback.answer), .user(EditPrompts.retry(feedback.error, searchReplace: true))] }
            let limit = candidate.place == .local ? min(maxTokens, (candidate.contextWindow ?? 8_192) / 4) : maxTokens
            let request = ChatRequest(messages: messages, maxTokens: limit, temperature: 0, streaming: true)
            let manifest = EgressManifest(
                kind: classification.kind, files: Self.fileRanges(of: pieces, readText: gatherer.readText),
                redactions: redact ? redactions : [])
            return Call(request: request, manifest: manifest)
        }

        var tally = Tally(reasons: decision.reasons)
        func outcome(
            answeredBy candidate: RouteCandidate, checked: Checked? = nil, changeError: String? = nil, reasons: [RouteReason]
        ) async throws -> RoutedAskOutcome {
            RoutedAskOutcome(
                classification: classification, answer: tally.lastAnswer, wantsChange: wantsChange,
                changes: checked?.changes ?? [:], diff: checked?.diff ?? "", validation: checked?.checks ?? [],
                changeError: changeError, backend: candidate.name, model: candidate.model, reasons: reasons,
                usage: tally.usage, costUSD: tally.cost, context: try await context(for: candidate), attempts: tally.attempts)
        }
        guard wantsChange else {
            // An answer without a change: nothing to check; a backend that is down fails over.
            let (_, candidate) = try await cascade(decision, primary: primary, tally: &tally, validates: false, prepare: prepare) { _, _ in }
            return try await outcome(answeredBy: candidate, reasons: tally.reasons)
        }
        do {
            let (checked, candidate) = try await cascade(decision, primary: primary, tally: &tally, prepare: prepare) { candidate, answer in
                let (contents, files) = try Self.applyAnswer(
                    answer, defaultPath: file?.path, candidate: candidate, setup: setup, readText: gatherer.readText,
                    redact: redact && candidate.place == .cloud)
                return try Self.check(files: files, newContents: contents, instruction: question)
            }
            return try await outcome(answeredBy: candidate, checked: Checked(checked), reasons: tally.reasons)
        } catch let error as RoutedRequestError where !tally.lastAnswer.isEmpty {
            return try await outcome(answeredBy: tally.lastCandidate ?? primary, changeError: error.message, reasons: error.reasons)
        }
    }

    /// A change that passed the checks.
    struct Checked {
        var changes: [String: (old: String, new: String)]
        var diff: String
        var checks: [String]

        init(_ value: (changes: [String: (old: String, new: String)], diff: String, checks: [String])) {
            (changes, diff, checks) = value
        }
    }

    /// The answer's SEARCH/REPLACE blocks applied to the repository's files (redacted ones for a
    /// redacted cloud request, with the secrets put back after), and those files as read.
    static func applyAnswer(
        _ answer: String, defaultPath: String?, candidate: RouteCandidate, setup: RoutingSetup,
        readText: (String) -> String?, redact: Bool
    ) throws -> (changed: [String: String], read: [String: String]) {
        let parsed = try EditAnswerParser.parse(answer).get()
        var read: [String: String] = [:]
        var files: [String: String] = [:]
        var originals: [String: (text: String, findings: [SecretFinding])] = [:]
        var blocks: [EditBlock] = []
        var lastPath = defaultPath
        for block in parsed.blocks {
            let raw = block.path ?? lastPath
            guard let raw else { throw EditError(kind: .badPath, message: "An edit block names no file; put the file's path on the line before <<<<<<< SEARCH.") }
            _ = try EditPath.normalize(raw, known: []).get()  // refuses absolute paths, "..", .git/ before anything is read
            var known: Set<String> = [raw]
            if raw.hasPrefix("./") || raw.hasPrefix("a/") || raw.hasPrefix("b/") { known.insert(String(raw.dropFirst(2))) }
            let path = try EditPath.normalize(raw, known: Set(known.filter { readText($0) != nil })).get()
            lastPath = path
            if candidate.place == .cloud, let pattern = setup.localOnlyPattern(for: path) {
                throw EditError(kind: .badPath, message: "\(path) matches privacy.localOnly '\(pattern)' and cannot be changed by a cloud model.")
            }
            if files[path] == nil, let text = readText(path) {
                read[path] = text
                if redact {
                    let scan = SecretScanner.redact(text)
                    files[path] = scan.text
                    if !scan.findings.isEmpty { originals[path] = (text, scan.findings) }
                } else {
                    files[path] = text
                }
            }
            blocks.append(EditBlock(path: path, search: block.search, replace: block.replace))
        }
        var changed = try EditMatcher.apply(blocks, to: files, defaultPath: defaultPath).get()
        for (path, original) in originals {
            guard let edited = changed[path] else { continue }
            changed[path] = try Redactions.restore(
                edited, redactedOriginal: files[path]!, secrets: Redactions.secrets(of: original.text, findings: original.findings))
        }
        return (changed, read)
    }

    /// The byte ranges of each file that packed pieces carry (the whole line span of a piece).
    static func fileRanges(of pieces: [PackedPiece], readText: (String) -> String?) -> [EgressEntry.FileRange] {
        var order: [String] = []
        var ranges: [String: [[Int]]] = [:]
        var starts: [String: [Int]] = [:]
        for piece in pieces {
            if ranges[piece.path] == nil {
                order.append(piece.path)
                ranges[piece.path] = []
                var lineStarts = [0]
                if let text = readText(piece.path) {
                    var offset = 0
                    for byte in text.utf8 {
                        offset += 1
                        if byte == UInt8(ascii: "\n") { lineStarts.append(offset) }
                    }
                    if lineStarts.last != offset { lineStarts.append(offset) }
                }
                starts[piece.path] = lineStarts
            }
            let lineStarts = starts[piece.path]!
            let start = lineStarts[min(piece.lines.lowerBound - 1, lineStarts.count - 1)]
            let end = lineStarts[min(piece.lines.upperBound, lineStarts.count - 1)]
            ranges[piece.path]!.append([start, end])
        }
        return order.map { EgressEntry.FileRange(path: $0, ranges: ranges[$0]!) }
    }
}
