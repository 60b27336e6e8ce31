import AssistCore
import AssistSwift
import Foundation

/// A routed request failed: no backend may take it, or no answer passed validation.
public struct RoutedRequestError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with the last validation error when there was one.
    public var message: String
    /// The route's reasons up to the failure.
    public var reasons: [RouteReason]
    public var description: String { message }

    /// Creates an error.
    /// - Parameters:
    ///   - message: What went wrong.
    ///   - reasons: The route's reasons so far.
    public init(_ message: String, reasons: [RouteReason]) {
        self.message = message
        self.reasons = reasons
    }
}

/// A file of the repository as a request saw it.
public struct RequestFile: Sendable, Hashable {
    /// The repository-relative path.
    public var path: String
    /// The exact content read.
    public var text: String

    /// Creates a file.
    /// - Parameters:
    ///   - path: The repository-relative path.
    ///   - text: The content.
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// The outcome of a code-changing routed request: checked new contents, the diff, and how it was routed.
public struct RoutedEditOutcome: Sendable {
    /// The kind the request was routed as.
    public var kind: RequestKind
    /// Each changed file: its content as read and as changed, by path.
    public var changes: [String: (old: String, new: String)]
    /// One git-apply-compatible diff of every change; empty when nothing changed.
    public var diff: String
    /// The backend that gave the answer used.
    public var backend: String
    /// Its model.
    public var model: String
    /// Every routing step and every cascade step.
    public var reasons: [RouteReason]
    /// Tokens used by every call made, retries included.
    public var usage: TokenUsage
    /// Dollars spent (cloud calls with a price).
    public var costUSD: Double
    /// The checks the diff passed.
    public var validation: [String]
    /// The answer's text outside its edit blocks (an explanation), if any.
    public var prose: String
    /// Model calls made.
    public var attempts: Int
    /// Changed files that are shown for review but never applied on their own, with the reason
    /// (see ``EditPath/reviewReason(_:isExecutable:requested:)``).
    public var reviewOnly: [String: String] = [:]
    /// What the change adds that a person should look at (see `RiskReview`).
    public var risks: [EditRisk] = []
}

/// Runs routed requests: builds the prompt, applies the policy, calls the backends (with the
/// cascade), records egress, and checks every edit before it is returned.
public struct RoutedRequestRunner: Sendable {
    public let setup: RoutingSetup
    /// Streams answer text as it arrives (for `assist ask` and progress), with the backend's name.
    public var onText: (@Sendable (String) -> Void)?
    /// Told each time a backend is asked: its name and model, and the attempt number.
    public var onAttempt: (@Sendable (String, Int) -> Void)?

    /// Creates a runner.
    /// - Parameter setup: The backends and settings.
    public init(setup: RoutingSetup) {
        self.setup = setup
    }

    /// Completion tokens allowed for a refactor answer.
    static let refactorMaxTokens = 2_048

    // MARK: - Refactor

    /// Rewrites code of one file as an instruction says.
    ///
    /// Local models rewrite the selected lines (or the whole file) and answer in one fenced block;
    /// cloud models answer with SEARCH/REPLACE blocks over the whole file. Either way the answer
    /// becomes new file content, which must differ, still parse, and give a diff that applies to the
    /// text read.
    ///
    /// - Parameters:
    ///   - file: The file as read.
    ///   - instruction: What to change.
    ///   - range: The 1-based inclusive lines to change, or `nil` for anywhere in the file.
    /// - Returns: The checked outcome.
    /// - Throws: ``RoutedRequestError`` when nothing may take the request or no answer passes.
    public func refactor(file: RequestFile, instruction: String, range: ClosedRange<Int>?) async throws -> RoutedEditOutcome {
        let lineCount = Self.lines(of: file.text).count
        if let range, range.lowerBound < 1 || range.upperBound > lineCount {
            throw RoutedRequestError("the range \(range.lowerBound):\(range.upperBound) is past the end of \(file.path) (\(lineCount) lines)", reasons: [])
        }
        let plan = planRefactor(file: file, instruction: instruction, range: range)
        let (region, localPrompt, scan, decision) = (plan.region, plan.localPrompt, plan.scan, plan.decision)
        guard let primary = decision.primary else {
            throw RoutedRequestError("no backend may take this request: \(decision.refusal ?? "refused")", reasons: decision.reasons)
        }
        let redact = decision.redactSecrets && !scan.findings.isEmpty
        let cloudFile = redact ? RequestFile(path: file.path, text: scan.text) : file

        func prepare(_ candidate: RouteCandidate, feedback: Feedback?) -> Call {
            let isCloud = candidate.place == .cloud
            let prompt = isCloud
                ? EditPrompts.searchReplace(file: cloudFile, lines: range, instruction: instruction)
                : localPrompt
            var messages: [ChatMessage] = [.system(prompt.system), .user(prompt.user)]
            if let feedback {
                messages += [.assistant(feedback.answer), .user(EditPrompts.retry(feedback.error, searchReplace: isCloud))]
            }
            let request = ChatRequest(
                messages: messages, maxTokens: Self.refactorMaxTokens, temperature: 0,
                constraint: isCloud ? nil : .grammar(EditPrompts.fencedCodeGrammar), streaming: true)
            let manifest = EgressManifest(
                kind: .refactor, files: [EgressEntry.FileRange(path: file.path, ranges: [[0, file.text.utf8.count]])],
                redactions: redact ? scan.findings.map { EgressEntry.Redaction(path: file.path, line: $0.line, kind: $0.kind.rawValue) } : [])
            return Call(request: request, manifest: manifest)
        }

        /// The answer as the file's new text, with the prose around its edit blocks.
        func newText(_ candidate: RouteCandidate, answer: String) throws -> (text: String, prose: String) {
            guard candidate.place == .cloud else {
                let replacement = try EditAnswerParser.replacement(from: answer).get()
                return (try EditMatcher.replaceLines(region, of: file.text, with: replacement).get(), "")
            }
            let parsed = try EditAnswerParser.parse(answer).get()
            for block in parsed.blocks {
                if let path = block.path, case .failure(let error) = EditPath.normalize(path, known: [file.path]) { throw error }
                if let path = block.path, (try? EditPath.normalize(path, known: [file.path]).get()) != file.path {
                    throw EditError(kind: .badPath, message: "this request may change only \(file.path); an edit names \(path)")
                }
            }
            let blocks = parsed.blocks.map { EditBlock(path: file.path, search: $0.search, replace: $0.replace) }
            let changed = try EditMatcher.apply(blocks, to: [file.path: cloudFile.text], defaultPath: file.path).get()
            guard let newText = changed[file.path] else { throw EditError(kind: .noChange, message: "The edits change nothing.") }
            let restored = redact ? try Redactions.restore(newText, redactedOriginal: scan.text, secrets: Redactions.secrets(of: file.text, findings: scan.findings)) : newText
            return (restored, parsed.prose)
        }

        var tally = Tally(reasons: decision.reasons)
        let (accepted, candidate) = try await cascade(decision, primary: primary, tally: &tally, prepare: prepare) { candidate, answer in
            let (text, prose) = try newText(candidate, answer: answer)
            return (try Self.check(files: [file.path: file.text], newContents: [file.path: text], instruction: instruction), prose)
        }
        let (checked, prose) = accepted
        return RoutedEditOutcome(
            kind: .refactor, changes: checked.changes, diff: checked.diff, backend: candidate.name, model: candidate.model,
            reasons: tally.reasons, usage: tally.usage, costUSD: tally.cost, validation: checked.checks, prose: prose,
            attempts: tally.attempts)
    }

    /// What a refactor decides before calling any model.
    struct RefactorPlan {
        var region: ClosedRange<Int>
        var localPrompt: EditPrompts.Prompt
        var scan: (text: String, findings: [SecretFinding])
        var promptTokens: Int
        var decision: RouteDecision
    }

    /// Builds a refactor's prompt, scans the file and decides the route; calls no model.
    func planRefactor(file: RequestFile, instruction: String, range: ClosedRange<Int>?) -> RefactorPlan {
        let region = range ?? 1...max(1, Self.lines(of: file.text).count)
        let localPrompt = EditPrompts.region(file: file, lines: region, instruction: instruction)
        let scan = SecretScanner.redact(file.text)
        let promptTokens = TokenEstimate.of(localPrompt.system + localPrompt.user)
        let input = setup.routeInput(
            kind: .refactor, promptTokens: promptTokens, maxCompletionTokens: Self.refactorMaxTokens,
            localOnly: setup.localOnlyPattern(for: file.path).map { [LocalOnlyMatch(path: file.path, pattern: $0, isTarget: true)] } ?? [],
            secrets: scan.findings.map { "\(file.path):\($0.line) \($0.kind.rawValue)" })
        return RefactorPlan(region: region, localPrompt: localPrompt, scan: scan, promptTokens: promptTokens, decision: RoutePolicy.decide(input))
    }
}
