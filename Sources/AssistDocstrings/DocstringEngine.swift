import AssistCore
import AssistSwift
import Foundation

/// A model's answer to one prompt.
public struct DocstringModelReply: Sendable {
    public var text: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens the server read from its prompt cache, when it says.
    public var cachedPromptTokens: Int?
    public init(text: String, promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int? = nil) {
        self.text = text
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }
}

/// What writes docstrings: a chat model behind a backend.
public protocol DocstringModel: Sendable {
    /// Names the model and its backend, e.g. `llama.cpp/qwen2.5-coder-0.5b`; part of the result cache key.
    var identifier: String { get }
    /// Answers one prompt.
    ///
    /// - Parameters:
    ///   - system: The system prompt.
    ///   - user: The user prompt.
    ///   - grammar: A GBNF grammar for the answer, when the backend supports one.
    ///   - stop: Stop sequences.
    /// - Returns: The answer and its token counts.
    /// - Throws: When the backend fails (cancellation included).
    func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply
}

/// One declaration that was documented.
public struct DocumentedDeclaration: Sendable {
    public var name: String
    /// The 1-based line of the declaration before the edit.
    public var line: Int
    /// The comment's lines, as inserted.
    public var lines: [String]
    /// Model calls made: 0 when the comment came from the cache.
    public var attempts: Int
    public var cached: Bool
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double
    /// Prompt tokens the server read from its prompt cache (all attempts), when it says.
    public var cachedPromptTokens: Int? = nil
}

/// A declaration the model could not document validly (after one retry).
public struct DocstringFailure: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var line: Int
    public var reason: String
    public var description: String { "\(name) (line \(line)): \(reason)" }
}

/// The result of documenting declarations of one file.
public struct DocstringOutcome: Sendable {
    public var path: String
    public var original: String
    public var updated: String
    /// A git-apply-compatible unified diff (`a/PATH`, `b/PATH`); empty when nothing changed.
    public var diff: String
    public var documented: [DocumentedDeclaration]
    public var failures: [DocstringFailure]
    /// The checks every returned edit passed.
    public var validation: [String]
    public var promptTokens: Int { documented.reduce(0) { $0 + $1.promptTokens } }
    public var completionTokens: Int { documented.reduce(0) { $0 + $1.completionTokens } }
}

/// Documents declarations: prompt, model, tolerant parse, DocC render, validation, one retry with
/// the problem told to the model, and a final whole-file check — an invalid edit is never returned.
public struct DocstringEngine: Sendable {
    /// The version of what the engine does with an answer (tidy, render, checks); part of the
    /// cache key with the prompt's version, so a change never serves an old comment.
    public static let version = 2

    public var model: any DocstringModel
    public var cache: DocstringCache?
    /// How many declarations are in flight at once (the model server's slots); their comments are
    /// inserted in the file's order whatever order they come back in.
    public var parallelism: Int

    public init(model: any DocstringModel, cache: DocstringCache? = nil, parallelism: Int = 1) {
        self.model = model
        self.cache = cache
        self.parallelism = max(1, parallelism)
    }

    /// Documents the selected declarations of one file.
    ///
    /// - Parameters:
    ///   - path: The file's path from the repository root (for the diff).
    ///   - source: The file's text, as the request saw it.
    ///   - selection: Which declarations.
    ///   - progress: Called after each declaration with (done, total).
    /// - Returns: The outcome: the diff of every valid comment, and the failures.
    /// - Throws: `DocstringError` when the selection names nothing; the model's error when it fails
    ///   (unavailable, cancelled).
    public func document(
        path: String, source: String, selection: DocstringSelection,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> DocstringOutcome {
        try await document(path: path, plan: DocstringPlanner.plan(selection, source: source), progress: progress)
    }

    /// Documents the declarations of a plan made with ``DocstringPlanner/plan(_:source:)``.
    ///
    /// - Parameters:
    ///   - path: The file's path from the repository root (for the diff).
    ///   - plan: The file's text, analysis and the declarations to document.
    ///   - progress: Called after each declaration with (done, total).
    /// - Returns: The outcome: the diff of every valid comment, and the failures.
    /// - Throws: The model's error when it fails (unavailable, cancelled).
    public func document(
        path: String, plan: DocstringPlan, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> DocstringOutcome {
        let (source, analysis, candidates) = (plan.source, plan.analysis, plan.candidates)
        var documented: [DocumentedDeclaration] = []
        var failures: [DocstringFailure] = []
        var insertions: [(line: Int, lines: [String])] = []
        var results = [Result<DocumentedDeclaration, DocstringFailure>?](repeating: nil, count: candidates.count)
        try await withThrowingTaskGroup(of: (Int, Result<DocumentedDeclaration, DocstringFailure>).self) { group in
            var next = 0
            var finished = 0
            // At most `parallelism` prompts in flight; the next starts as one finishes.
            while next < candidates.count || finished < next {
                while next < candidates.count, next - finished < parallelism {
                    try Task.checkCancellation()
                    let index = next
                    let candidate = candidates[index]
                    group.addTask {
                        (index, try await comment(for: candidate, context: Self.context(for: candidate.declaration, in: analysis)))
                    }
                    next += 1
                }
                guard let (index, result) = try await group.next() else { break }
                results[index] = result
                finished += 1
                progress(finished, candidates.count)
            }
        }
        for (candidate, result) in zip(candidates, results) {
            switch result {
            case .success(let declaration)?:
                documented.append(declaration)
                insertions.append((candidate.insertionLine, declaration.lines))
            case .failure(let failure)?:
                failures.append(failure)
            case nil:
                break
            }
        }
        // Insert bottom-up so earlier line numbers stay valid.
        var updated = source
        for insertion in insertions.sorted(by: { $0.line > $1.line }) {
            updated = DocstringInsertion.insert(insertion.lines, into: updated, beforeLine: insertion.line)
        }
        if updated == source {
            return DocstringOutcome(path: path, original: source, updated: source, diff: "", documented: [], failures: failures, validation: [])
        }
        let diff = UnifiedDiff.make(path: path, old: source, new: updated)
        let validation = try Self.verify(path: path, old: source, new: updated, diff: diff, documented: documented.count)
        return DocstringOutcome(
            path: path, original: source, updated: updated, diff: diff, documented: documented, failures: failures,
            validation: validation)
    }

    private func comment(for candidate: DocstringCandidate, context: [String]) async throws -> Result<DocumentedDeclaration, DocstringFailure> {
        let start = ContinuousClock.now
        let declaration = candidate.declaration
        let key = DocstringCache.key(model: model.identifier, promptVersion: "\(DocstringPrompt.version)/engine-\(Self.version)", declaration: candidate.target.sourceText, indentation: candidate.target.indentation)
        if let lines = cache?.lines(for: key), DocstringValidator.check(lines: lines, target: candidate.target).isEmpty {
            return .success(DocumentedDeclaration(
                name: declaration.fullName, line: declaration.range.start.line, lines: lines, attempts: 0, cached: true,
                promptTokens: 0, completionTokens: 0, seconds: Self.seconds(since: start)))
        }
        var retryMessage: String?
        var promptTokens = 0, completionTokens = 0
        var cachedPromptTokens: Int?
        var lastProblem = ""
        for attempt in 1...2 {
            let prompt = DocstringPrompt.build(target: candidate.target, context: context, retryMessage: retryMessage)
            let reply = try await model.complete(
                system: prompt.system, user: prompt.user, grammar: DocstringPrompt.grammar(for: candidate.target), stop: DocstringPrompt.stop)
            promptTokens += reply.promptTokens
            completionTokens += reply.completionTokens
            if let cached = reply.cachedPromptTokens { cachedPromptTokens = (cachedPromptTokens ?? 0) + cached }
            let rendered = DocstringRenderer.render(DocstringTidy.tidy(DocstringParser.parse(reply.text)), for: candidate.target)
            let problems = DocstringValidator.check(lines: rendered.lines, target: candidate.target)
            // A first answer that needed repair is retried with the problem; after the retry, a
            // comment the renderer completed (a neutral line for a parameter the model skipped)
            // is still valid and beats none.
            if (!rendered.needsRetry || attempt == 2), problems.isEmpty, !rendered.lines.isEmpty {
                cache?.store(rendered.lines, for: key)
                return .success(DocumentedDeclaration(
                    name: declaration.fullName, line: declaration.range.start.line, lines: rendered.lines,
                    attempts: attempt, cached: false, promptTokens: promptTokens, completionTokens: completionTokens,
                    seconds: Self.seconds(since: start), cachedPromptTokens: cachedPromptTokens))
            }
            lastProblem = rendered.retryMessage ?? problems.map { "\($0)" }.joined(separator: "; ")
            if lastProblem.isEmpty { lastProblem = "the answer held no documentation comment" }
            retryMessage = lastProblem
        }
        return .failure(DocstringFailure(
            name: declaration.fullName, line: declaration.range.start.line,
            reason: "the model's answer failed validation twice: \(lastProblem)"))
    }

    /// The enclosing types' signatures, as context for the model.
    static func context(for declaration: SwiftDeclaration, in analysis: SwiftFileAnalysis) -> [String] {
        guard !declaration.containers.isEmpty else { return [] }
        return analysis.declarations.filter { candidate in
            [.class, .struct, .enum, .actor, .protocol, .extension].contains(candidate.kind)
                && candidate.containers + [candidate.name] == Array(declaration.containers.prefix(candidate.containers.count + 1))
        }.map(\.signature)
    }

    /// The whole-file checks: only `///` lines were added, the token stream is unchanged, the file
    /// parses as well as before, every comment attaches, and the diff applies to the original.
    static func verify(path: String, old: String, new: String, diff: String, documented: Int) throws -> [String] {
        guard DocstringInsertion.addsOnlyDocLines(old: old, new: new) else {
            throw DocstringError("internal check failed: the edit changed more than doc comment lines")
        }
        let before = SwiftAnalyzer.tokens(source: old)
        let after = SwiftAnalyzer.tokens(source: new)
        guard before.tokens == after.tokens else {
            throw DocstringError("internal check failed: the edit changed the file's tokens")
        }
        guard !after.hasErrors || before.hasErrors else {
            throw DocstringError("internal check failed: the file no longer parses")
        }
        guard case .success(let applied) = UnifiedDiff.apply(diff, to: [path: old]), applied[path] == new else {
            throw DocstringError("internal check failed: the diff does not apply to the file as read")
        }
        let documentedBefore = SwiftAnalyzer.analyze(source: old).declarations.filter { $0.docComment != nil }.count
        let documentedAfter = SwiftAnalyzer.analyze(source: new).declarations.filter { $0.docComment != nil }.count
        guard documentedAfter >= documentedBefore + documented else {
            throw DocstringError("internal check failed: a comment did not attach to its declaration")
        }
        return [
            "the diff applies to the file as read",
            "only /// lines were added",
            "the tokens without trivia are unchanged",
            before.hasErrors ? "the file had syntax errors before; none were added" : "the file parses",
            "each comment attaches to its declaration",
            "parameters, Returns and Throws match each signature",
        ]
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
