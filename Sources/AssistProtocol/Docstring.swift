/// `assist/docstring`: DocC comments for declarations of one Swift document, written by the local
/// model and checked; answers the diff and LSP edits without applying them.
public struct DocstringRequest: RequestType, Hashable {
    public static let method = "assist/docstring"
    public typealias Response = DocstringResult

    public var textDocument: TextDocumentIdentifier
    /// Document the innermost declaration holding this position.
    public var position: Position?
    /// Document the declaration with this name (`append`, `append(_:)`, `Buffer.append`).
    public var symbol: String?
    /// Document every undocumented declaration of the document.
    public var all: Bool?
    /// The local model: `qwen2.5-coder-0.5b` (default) or `smollm2-135m`.
    public var model: String?
    public var workDoneToken: ProgressToken?

    public init(
        textDocument: TextDocumentIdentifier, position: Position? = nil, symbol: String? = nil, all: Bool? = nil,
        model: String? = nil, workDoneToken: ProgressToken? = nil
    ) {
        self.textDocument = textDocument
        self.position = position
        self.symbol = symbol
        self.all = all
        self.model = model
        self.workDoneToken = workDoneToken
    }
}

/// The result object of a code-changing request.
public struct DocstringResult: Codable, Sendable, Hashable {
    /// A git-apply-compatible unified diff (`a/…` `b/…` from the repository root); empty when nothing changed.
    public var diff: String
    /// LSP `TextEdit`s by document URI, against the content the request saw.
    public var edits: [String: [TextEdit]]
    public var route: Route
    public var usage: Usage
    public var costUSD: Double
    /// Whether every comment came from the result cache (no model call).
    public var cached: Bool
    public var validation: Validation
    /// Each declaration documented: model calls, cache use, tokens and seconds.
    public var declarations: [DocstringDeclarationInfo]
    /// Declarations the model could not document validly (after one retry); nothing was written for them.
    public var failures: [DocstringFailureInfo]

    public init(
        diff: String, edits: [String: [TextEdit]], route: Route, usage: Usage, costUSD: Double, cached: Bool,
        validation: Validation, declarations: [DocstringDeclarationInfo], failures: [DocstringFailureInfo]
    ) {
        self.diff = diff
        self.edits = edits
        self.route = route
        self.usage = usage
        self.costUSD = costUSD
        self.cached = cached
        self.validation = validation
        self.declarations = declarations
        self.failures = failures
    }
}

/// LSP `TextEdit`.
public struct TextEdit: Codable, Sendable, Hashable {
    public var range: Range
    public var newText: String
    public init(range: Range, newText: String) {
        self.range = range
        self.newText = newText
    }
}

/// How a request was routed, and why.
public struct Route: Codable, Sendable, Hashable {
    public var kind: String
    /// `local` or the cloud provider's name; empty when no backend may take the request.
    public var backend: String
    public var model: String
    /// Every step of the routing policy (and of the cascade), in order.
    public var reasons: [RouteReasonInfo]
    public init(kind: String, backend: String, model: String, reasons: [RouteReasonInfo]) {
        self.kind = kind
        self.backend = backend
        self.model = model
        self.reasons = reasons
    }
}

/// One step of the routing policy and what it decided.
public struct RouteReasonInfo: Codable, Sendable, Hashable {
    /// `offline`, `privacy`, `secrets`, `budget`, `fit`, `kind`, `availability` or `cascade`.
    public var step: String
    /// What the step decided: `cloud-allowed`, `local-only`, `exclude`, `none`, `redact`, `over-budget`,
    /// `local`, `cloud`, `both`, `available`, `failover`, `refused`, `retry`, `failed`, `escalate`, `passed`.
    public var outcome: String
    /// Why, with the figures.
    public var detail: String
    public init(step: String, outcome: String, detail: String) {
        self.step = step
        self.outcome = outcome
        self.detail = detail
    }
}

/// Tokens a request used.
public struct Usage: Codable, Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// What was checked before the result was returned.
public struct Validation: Codable, Sendable, Hashable {
    public var passed: Bool
    public var checks: [String]
    public init(passed: Bool, checks: [String]) {
        self.passed = passed
        self.checks = checks
    }
}

/// A declaration that was documented, and what it cost.
public struct DocstringDeclarationInfo: Codable, Sendable, Hashable {
    public var name: String
    /// The declaration's 1-based line before the edit.
    public var line: Int
    /// Model calls made: 0 when the comment came from the cache, 2 after a retry.
    public var attempts: Int
    public var cached: Bool
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double
    /// Prompt tokens the local server read from its prompt cache, when it says.
    public var cachedPromptTokens: Int?
    public init(
        name: String, line: Int, attempts: Int, cached: Bool, promptTokens: Int, completionTokens: Int, seconds: Double,
        cachedPromptTokens: Int? = nil
    ) {
        self.cachedPromptTokens = cachedPromptTokens
        self.name = name
        self.line = line
        self.attempts = attempts
        self.cached = cached
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.seconds = seconds
    }
}

/// A declaration that was not documented, and why.
public struct DocstringFailureInfo: Codable, Sendable, Hashable {
    public var name: String
    public var line: Int
    public var reason: String
    public init(name: String, line: Int, reason: String) {
        self.name = name
        self.line = line
        self.reason = reason
    }
}
