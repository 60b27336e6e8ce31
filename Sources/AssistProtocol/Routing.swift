/// `assist/refactor`: rewrites code of one document as an instruction says; routed by policy,
/// checked, and answered as a diff and LSP edits without applying them.
public struct RefactorRequest: RequestType, Hashable {
    public static let method = "assist/refactor"
    public typealias Response = RefactorResult

    public var textDocument: TextDocumentIdentifier
    /// What to change, as the user typed it.
    public var instruction: String
    /// The lines to change (whole lines are taken); the whole document when absent.
    public var range: Range?
    /// The local model: `qwen2.5-coder-0.5b` (default) or `smollm2-135m`.
    public var model: String?
    public var workDoneToken: ProgressToken?

    public init(
        textDocument: TextDocumentIdentifier, instruction: String, range: Range? = nil, model: String? = nil,
        workDoneToken: ProgressToken? = nil
    ) {
        self.textDocument = textDocument
        self.instruction = instruction
        self.range = range
        self.model = model
        self.workDoneToken = workDoneToken
    }
}

/// The result of `assist/refactor` and `assist refactor --json`.
public struct RefactorResult: Codable, Sendable, Hashable {
    /// A git-apply-compatible unified diff from the repository root.
    public var diff: String
    /// LSP `TextEdit`s by document URI, against the content the request saw.
    public var edits: [String: [TextEdit]]
    public var route: Route
    public var usage: Usage
    public var costUSD: Double
    /// Always `false`: refactors are not cached.
    public var cached: Bool
    public var validation: Validation
    /// Model calls made (retries and escalation included).
    public var attempts: Int
    /// The model's words outside its edits, if any.
    public var explanation: String
    /// Changed files that are in `diff` for review but not in `edits`: a person applies them.
    public var reviewOnly: [ReviewOnlyChange]?
    /// What the change adds that a person should look at; `nil` when nothing.
    public var risks: [RiskInfo]?

    public init(
        diff: String, edits: [String: [TextEdit]], route: Route, usage: Usage, costUSD: Double, cached: Bool,
        validation: Validation, attempts: Int, explanation: String, reviewOnly: [ReviewOnlyChange]? = nil,
        risks: [RiskInfo]? = nil
    ) {
        self.risks = risks
        self.reviewOnly = reviewOnly
        self.diff = diff
        self.edits = edits
        self.route = route
        self.usage = usage
        self.costUSD = costUSD
        self.cached = cached
        self.validation = validation
        self.attempts = attempts
        self.explanation = explanation
    }
}

/// `assist/ask`: a question about the repository, answered with retrieved context; a change it
/// asks for comes back as a checked diff. With a `partialResultToken`, the answer's text is sent
/// as it arrives in `$/progress` notifications whose value is `{"answer": "…"}` (each a piece to append).
public struct AskRequest: RequestType, Hashable {
    public static let method = "assist/ask"
    public typealias Response = AskResult

    public var question: String
    /// The document the question is about, if any.
    public var textDocument: TextDocumentIdentifier?
    /// The selection in that document, if any.
    public var range: Range?
    /// The local model: `qwen2.5-coder-0.5b` (default) or `smollm2-135m`.
    public var model: String?
    public var workDoneToken: ProgressToken?
    public var partialResultToken: ProgressToken?

    public init(
        question: String, textDocument: TextDocumentIdentifier? = nil, range: Range? = nil, model: String? = nil,
        workDoneToken: ProgressToken? = nil, partialResultToken: ProgressToken? = nil
    ) {
        self.question = question
        self.textDocument = textDocument
        self.range = range
        self.model = model
        self.workDoneToken = workDoneToken
        self.partialResultToken = partialResultToken
    }
}

/// The result of `assist/ask` and `assist ask --json`.
public struct AskResult: Codable, Sendable, Hashable {
    /// The answer's text.
    public var answer: String
    /// The diff of the change asked for; empty when none was asked or none passed validation.
    public var diff: String
    public var edits: [String: [TextEdit]]
    public var route: Route
    public var usage: Usage
    public var costUSD: Double
    public var cached: Bool
    public var validation: Validation
    /// Why a change was asked for but none is returned.
    public var changeError: String?
    /// The classifier's confidence in `route.kind`.
    public var confidence: Double
    /// The context sent with the answer's request.
    public var context: PackedContextResult
    public var attempts: Int
    /// Changed files that are in `diff` for review but not in `edits`: a person applies them.
    public var reviewOnly: [ReviewOnlyChange]?
    /// What the change adds that a person should look at; `nil` when nothing.
    public var risks: [RiskInfo]?

    public init(
        answer: String, diff: String, edits: [String: [TextEdit]], route: Route, usage: Usage, costUSD: Double,
        cached: Bool, validation: Validation, changeError: String?, confidence: Double, context: PackedContextResult,
        attempts: Int, reviewOnly: [ReviewOnlyChange]? = nil, risks: [RiskInfo]? = nil
    ) {
        self.risks = risks
        self.reviewOnly = reviewOnly
        self.answer = answer
        self.diff = diff
        self.edits = edits
        self.route = route
        self.usage = usage
        self.costUSD = costUSD
        self.cached = cached
        self.validation = validation
        self.changeError = changeError
        self.confidence = confidence
        self.context = context
        self.attempts = attempts
    }
}

/// The value of an `assist/ask` partial result: a piece of the answer's text to append.
public struct AskPartialResult: Codable, Sendable, Hashable {
    public var answer: String
    public init(answer: String) { self.answer = answer }
}

/// A routing decision without running anything, as `assist/classify` and `assist classify` show it.
public struct RoutePreview: Codable, Sendable, Hashable {
    /// The backend that would answer first; empty when none may.
    public var backend: String
    public var model: String
    /// The backend that may take over.
    public var fallback: String?
    public var reasons: [RouteReasonInfo]
    /// Why no backend may take it.
    public var refusal: String?
    /// The estimated prompt tokens the decision used.
    public var promptTokens: Int

    public init(backend: String, model: String, fallback: String?, reasons: [RouteReasonInfo], refusal: String?, promptTokens: Int) {
        self.backend = backend
        self.model = model
        self.fallback = fallback
        self.reasons = reasons
        self.refusal = refusal
        self.promptTokens = promptTokens
    }
}

/// `$/progress` with an `assist/ask` partial result.
public struct AskPartialResultNotification: Codable, Sendable, Hashable {
    public static let method = "$/progress"
    public var token: ProgressToken
    public var value: AskPartialResult
    public init(token: ProgressToken, value: AskPartialResult) {
        self.token = token
        self.value = value
    }
}

/// A changed file that a model answer may not write on its own (a dotfile, an executable, a file
/// that is not a Swift source, a manifest): it is in the result's `diff`, not in its `edits`.
public struct ReviewOnlyChange: Codable, Sendable, Hashable {
    /// The path from the repository root.
    public var path: String
    /// Why it is left to a person.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Something a model's change adds that deserves a person's look: a process started, network
/// access, a file deleted or its permissions changed, an unsafe pointer, `try!`, a force unwrap,
/// `@unchecked Sendable`, certificate validation turned off, a secret, a module not imported before.
public struct RiskInfo: Codable, Sendable, Hashable {
    /// `process`, `network`, `fileDeletion`, `unsafePointer`, `forceTry`, `forceUnwrap`,
    /// `uncheckedSendable`, `certificateValidation`, `secret` or `newImport`.
    public var kind: String
    /// `high`, `medium` or `low`; a high one is never applied without the user's yes.
    public var severity: String
    /// The path from the repository root.
    public var path: String
    /// The 1-based line in the changed file.
    public var line: Int
    /// The line's text (a secret's value is never shown).
    public var text: String

    public init(kind: String, severity: String, path: String, line: Int, text: String) {
        self.kind = kind
        self.severity = severity
        self.path = path
        self.line = line
        self.text = text
    }
}
