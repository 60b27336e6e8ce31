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
}

/// How a routed request's answer is asked and checked.
struct EditAttemptFormat: Sendable {
    enum Kind: Sendable {
        /// The model rewrites a line range and answers with the new code in one fence.
        case region(ClosedRange<Int>)
        /// The model answers with SEARCH/REPLACE blocks.
        case searchReplace
    }
    var kind: Kind
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
        if let range, range.upperBound > lineCount {
            throw RoutedRequestError("the range \(range.lowerBound):\(range.upperBound) is past the end of \(file.path) (\(lineCount) lines)", reasons: [])
        }
        let plan = planRefactor(file: file, instruction: instruction, range: range)
        let (region, localPrompt, scan, decision) = (plan.region, plan.localPrompt, plan.scan, plan.decision)
        let state = CascadeState(reasons: decision.reasons)
        guard let primary = decision.primary else {
            throw RoutedRequestError("no backend may take this request: \(decision.refusal ?? "refused")", reasons: decision.reasons)
        }
        let redact = decision.redactSecrets && !scan.findings.isEmpty
        let cloudFile = redact ? RequestFile(path: file.path, text: scan.text) : file

        func attempt(_ candidate: RouteCandidate, feedback: (answer: String, error: String)?) async throws -> [String: String] {
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
            let answer = try await call(candidate, request: request, manifest: manifest, state: state)
            state.lastAnswer = answer
            switch isCloud {
            case true:
                let parsed = try EditAnswerParser.parse(answer).get()
                state.prose = parsed.prose
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
                return [file.path: restored]
            case false:
                let replacement = try EditAnswerParser.replacement(from: answer).get()
                return [file.path: try EditMatcher.replaceLines(region, of: file.text, with: replacement).get()]
            }
        }

        let result = try await cascade(decision: decision, primary: primary, state: state, attempt: attempt) { contents throws(EditError) in
            try Self.check(files: [file.path: file.text], newContents: contents, instruction: instruction)
        }
        return RoutedEditOutcome(
            kind: .refactor, changes: result.changes, diff: result.diff, backend: result.candidate.name, model: result.candidate.model,
            reasons: state.reasons, usage: state.usage, costUSD: state.cost, validation: result.checks, prose: state.prose,
            attempts: state.attempts)
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

    // MARK: - The cascade

    /// What the calls of one request add up to; shared by the attempts and the cascade.
    final class CascadeState: @unchecked Sendable {
        init(reasons: [RouteReason]) { self.reasons = reasons }
        var reasons: [RouteReason]
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        var cost = 0.0
        var attempts = 0
        var lastAnswer = ""
        var prose = ""
    }

    struct CheckedChange {
        var candidate: RouteCandidate
        var changes: [String: (old: String, new: String)]
        var diff: String
        var checks: [String]
    }

    /// Asks the primary, retries once with the validation error, then escalates (or fails over when
    /// a backend is down) as the decision allows.
    func cascade(
        decision: RouteDecision, primary: RouteCandidate, state: CascadeState,
        attempt: (RouteCandidate, (answer: String, error: String)?) async throws -> [String: String],
        check: ([String: String]) throws(EditError) -> (changes: [String: (old: String, new: String)], diff: String, checks: [String])
    ) async throws -> CheckedChange {
        var order: [RouteCandidate] = [primary]
        if let fallback = decision.fallback { order.append(fallback) }
        var lastError = ""
        var backendFailed = false
        var index = 0
        while index < order.count {
            let candidate = order[index]
            var feedback: (answer: String, error: String)?
            var tries = 0
            backendFailed = false
            while tries < 2 {
                tries += 1
                do {
                    let newContents = try await attempt(candidate, feedback)
                    let checked = try check(newContents)
                    if tries > 1 || index > 0 {
                        state.reasons.append(RouteReason(
                            step: "cascade", outcome: "passed",
                            detail: "The answer of \(candidate.name) \(candidate.model) passed validation on attempt \(state.attempts)."))
                    }
                    return CheckedChange(candidate: candidate, changes: checked.changes, diff: checked.diff, checks: checked.checks)
                } catch let error as EditError {
                    lastError = error.message
                    feedback = (state.lastAnswer, error.message)
                    state.reasons.append(RouteReason(
                        step: "cascade", outcome: tries == 1 ? "retry" : "failed",
                        detail: "The answer of \(candidate.name) \(candidate.model) failed validation: \(error.message)"
                            + (tries == 1 ? " It is asked again with the error." : "")))
                } catch let error as BackendError {
                    // The backend is down: fail over when policy allows.
                    lastError = error.description
                    backendFailed = true
                    let next = index + 1 < order.count ? order[index + 1] : nil
                    state.reasons.append(RouteReason(
                        step: "availability", outcome: next == nil ? "refused" : "failover",
                        detail: "\(candidate.name) failed: \(error.description)" + (next.map { " \($0.name) takes the request." } ?? "")))
                    break
                }
            }
            index += 1
            if index < order.count {
                let next = order[index]
                // A backend that is down hands over whenever policy allows the other one; an answer
                // that failed validation goes to the cloud only when escalation is allowed too.
                if !backendFailed, candidate.place == .local, next.place == .cloud, !decision.escalationAllowed {
                    state.reasons.append(RouteReason(
                        step: "cascade", outcome: "refused",
                        detail: "Escalation to \(next.name) is not allowed (routing.escalate is off)."))
                    break
                }
                if state.reasons.last?.step == "cascade" {
                    state.reasons.append(RouteReason(
                        step: "cascade", outcome: "escalate", detail: "\(next.name) \(next.model) takes the request."))
                }
            }
        }
        let escalation = decision.fallback == nil && primary.place == .local
            ? " No cloud backend is allowed to take it over" + (decision.reasons.first { $0.outcome == "local-only" || $0.outcome == "over-budget" }.map { " (\($0.detail))" } ?? ".")
            : ""
        if backendFailed {
            throw RoutedRequestError("no backend could answer: \(lastError)", reasons: state.reasons)
        }
        throw RoutedRequestError("no answer passed validation: \(lastError)\(escalation)", reasons: state.reasons)
    }

    /// Calls a backend, streaming its text, adding its usage and cost; a cloud call is written to the
    /// egress ledger first.
    func call(_ candidate: RouteCandidate, request: ChatRequest, manifest: EgressManifest, state: CascadeState) async throws -> String {
        guard let routable = setup.backend(for: candidate) else {
            throw BackendError(.configuration, backend: candidate.name, message: "not configured")
        }
        state.attempts += 1
        onAttempt?("\(candidate.name) \(candidate.model)", state.attempts)
        if candidate.place == .cloud {
            let bytes = request.messages.reduce(0) { $0 + $1.content.utf8.count }
            let promptTokens = TokenEstimate.of(request.messages.map(\.content).joined(separator: "\n"))
            let entry = EgressEntry(
                time: EgressLedger.timestamp(), backend: candidate.name, model: candidate.model, kind: manifest.kind.rawValue,
                files: manifest.files, promptTokens: promptTokens, maxCompletionTokens: request.maxTokens ?? 0,
                costUSD: candidate.price?.cost(of: TokenUsage(promptTokens: promptTokens, completionTokens: request.maxTokens ?? 0)),
                redactions: manifest.redactions, bytes: bytes)
            do {
                try setup.ledger.append(entry)
            } catch {
                throw RoutedRequestError("the egress ledger cannot be written, so nothing was sent: \(error)", reasons: state.reasons)
            }
        }
        var text = ""
        for try await event in routable.backend.chat(request) {
            switch event {
            case .text(let delta):
                text += delta
                onText?(delta)
            case .usage(let usage):
                state.usage.promptTokens += usage.promptTokens
                state.usage.completionTokens += usage.completionTokens
                if candidate.place == .cloud, let price = candidate.price { state.cost += price.cost(of: usage) }
            case .finish:
                break
            }
        }
        return text
    }

    /// Checks new contents against the files as read: each changed, still parses as well as before,
    /// and the diff applies to the text read and gives the new text.
    static func check(
        files: [String: String], newContents: [String: String], instruction: String
    ) throws(EditError) -> (changes: [String: (old: String, new: String)], diff: String, checks: [String]) {
        var changes: [String: (old: String, new: String)] = [:]
        var diff = ""
        var checks: [String] = []
        for path in newContents.keys.sorted() {
            let new = newContents[path]!
            let old = files[path] ?? ""
            if new == old { continue }
            if case .failure(let error) = EditPath.normalize(path, known: Set(files.keys)) { throw error }
            if path.hasSuffix(".swift") {
                let beforeAnalysis = files[path].map { SwiftAnalyzer.analyze(source: $0) }
                let before = beforeAnalysis?.syntaxErrors.count ?? 0
                let afterAnalysis = SwiftAnalyzer.analyze(source: new)
                let afterErrors = afterAnalysis.syntaxErrors
                if afterErrors.count > before {
                    let first = afterErrors.first.map { " (line \($0.range.start.line): \($0.message))" } ?? ""
                    throw EditError(kind: .malformed, message: "The new \(path) does not parse: \(afterErrors.count) syntax error\(afterErrors.count == 1 ? "" : "s")\(first).")
                }
                checks.append("\(path) parses (\(afterErrors.count) syntax errors, \(before) before)")
                if let beforeAnalysis {
                    let dropped = droppedDeclarations(
                        before: beforeAnalysis.declarations.map(\.name), after: afterAnalysis.declarations.map(\.name),
                        instruction: instruction)
                    if !dropped.isEmpty {
                        throw EditError(
                            kind: .malformed,
                            message: "The answer removed \(dropped.joined(separator: ", ")) from \(path), which the instruction does not ask for; keep every declaration it does not mention and add or change only what it asks.")
                    }
                    checks.append("\(path) keeps every declaration the instruction does not mention")
                }
            }
            let fileDiff = UnifiedDiff.make(path: path, old: old, new: new)
            guard case .success(let applied) = UnifiedDiff.apply(fileDiff, to: [path: old]), applied[path] == new else {
                throw EditError(kind: .malformed, message: "The diff of \(path) does not apply to the file as read.")
            }
            changes[path] = (old, new)
            diff += fileDiff
        }
        guard !changes.isEmpty else { throw EditError(kind: .noChange, message: "The answer changes nothing.") }
        checks.insert("every path is inside the repository and outside .git/", at: 0)
        checks.append("the diff applies to the content the request saw")
        return (changes, diff, checks)
    }

    /// Words that ask for declarations to go away or change their names.
    static let removalWords: Set<String> = [
        "remove", "delete", "drop", "rename", "replace", "inline", "merge", "combine", "move", "extract", "split",
        "convert", "rewrite", "restructure", "consolidate", "dedupe", "deduplicate", "eliminate", "collapse", "turn",
    ]

    /// Declarations (by name) fewer after an edit than before, unless the instruction names them or
    /// asks for removals or renames.
    static func droppedDeclarations(before: [String], after: [String], instruction: String) -> [String] {
        let words = Set(QueryTerms.words(in: instruction))
        if !words.isDisjoint(with: removalWords) { return [] }
        var remaining = Dictionary(after.map { ($0, 1) }, uniquingKeysWith: +)
        var dropped: [String] = []
        for name in before {
            if let count = remaining[name], count > 0 {
                remaining[name] = count - 1
            } else if !instruction.lowercased().contains(name.lowercased()), !dropped.contains(name) {
                dropped.append(name)
            }
        }
        return dropped
    }

    static func lines(of text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }
}

/// What a cloud request carries, for its ledger line.
struct EgressManifest: Sendable {
    var kind: RequestKind
    var files: [EgressEntry.FileRange]
    var redactions: [EgressEntry.Redaction]
}

/// Putting secrets back after a cloud model edited redacted text.
enum Redactions {
    /// The markers of a redacted text, in order.
    static func markers(in text: String) -> [Substring] {
        var result: [Substring] = []
        var rest = text[...]
        while let start = rest.range(of: "[REDACTED:") {
            guard let end = rest[start.upperBound...].firstIndex(of: "]") else { break }
            result.append(rest[start.lowerBound...end])
            rest = rest[rest.index(after: end)...]
        }
        return result
    }

    /// The secrets of a text, in the order of its findings.
    static func secrets(of text: String, findings: [SecretFinding]) -> [String] {
        let bytes = Array(text.utf8)
        return findings.map { String(decoding: bytes[$0.range], as: UTF8.self) }
    }

    /// Replaces the markers of an edited redacted text with the original secrets, in order. The edit
    /// must keep every marker, in order: an answer that removed, reordered or invented a marker is refused.
    /// - Parameters:
    ///   - edited: The model's new text, over the redacted text.
    ///   - redactedOriginal: The redacted text that was sent.
    ///   - secrets: The secrets the markers replaced, in order.
    /// - Returns: The new text with the secrets back.
    /// - Throws: ``EditError`` when the markers changed.
    static func restore(_ edited: String, redactedOriginal: String, secrets: [String]) throws(EditError) -> String {
        let sent = markers(in: redactedOriginal).map(String.init)
        guard markers(in: edited).map(String.init) == sent, sent.count == secrets.count else {
            throw EditError(kind: .malformed, message: "The answer changed, removed or added a [REDACTED:…] marker; keep every marker exactly as it is.")
        }
        var result = ""
        var rest = edited[...]
        for secret in secrets {
            guard let start = rest.range(of: "[REDACTED:"), let end = rest[start.upperBound...].firstIndex(of: "]") else { break }
            result += rest[..<start.lowerBound]
            result += secret
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
