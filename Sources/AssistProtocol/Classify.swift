/// `assist/classify`: how a free-form request would be classified, and why, without running it.
public struct ClassifyRequest: RequestType, Hashable {
    public static let method = "assist/classify"
    public typealias Response = ClassifyResult

    /// The instruction or question as the user typed it.
    public var instruction: String
    /// The document the request is about, if any.
    public var textDocument: TextDocumentIdentifier?
    /// The selection in that document, if any (LSP range; whole lines are taken).
    public var range: Range?

    public init(instruction: String, textDocument: TextDocumentIdentifier? = nil, range: Range? = nil) {
        self.instruction = instruction
        self.textDocument = textDocument
        self.range = range
    }
}

/// The answer to `assist/classify` and `assist classify --json`.
public struct ClassifyResult: Codable, Sendable, Hashable {
    /// `docstring`, `refactor`, `multi-file`, `explain`, `tests` or `other`.
    public var kind: String
    /// The rules' calibrated confidence, from 0 to 1 (kept when the model decided).
    public var confidence: Double
    /// Every feature computed, the first being `rule` (the rule that decided).
    public var features: [ClassifyFeature]
    /// `rule` when the rules decided, `model` when the local model's second opinion did.
    public var decidedBy: String
    /// Why, in one sentence.
    public var reason: String
    /// The kind the rules chose (differs from `kind` when the model overruled them).
    public var ruleKind: String
    /// How the request would be routed, and why (no model is called to work it out).
    public var route: RoutePreview?

    public init(
        kind: String, confidence: Double, features: [ClassifyFeature], decidedBy: String = "rule", reason: String = "",
        ruleKind: String? = nil, route: RoutePreview? = nil
    ) {
        self.kind = kind
        self.confidence = confidence
        self.features = features
        self.decidedBy = decidedBy
        self.reason = reason
        self.ruleKind = ruleKind ?? kind
        self.route = route
    }
}

/// One feature of a classification.
public struct ClassifyFeature: Codable, Sendable, Hashable {
    public var name: String
    public var value: String
    /// Whether the deciding rule used it.
    public var decisive: Bool

    public init(name: String, value: String, decisive: Bool) {
        self.name = name
        self.value = value
        self.decisive = decisive
    }
}

/// The context packed for a question (`assist ask --context-only --json`).
public struct PackedContextResult: Codable, Sendable, Hashable {
    public var budget: Int
    /// Estimated tokens of everything packed (bytes / 4, rounded up), file headers included.
    public var totalTokens: Int
    /// How tokens are estimated.
    public var tokenEstimate: String
    /// The packed files, most relevant first.
    public var files: [PackedFileInfo]

    public init(budget: Int, totalTokens: Int, tokenEstimate: String, files: [PackedFileInfo]) {
        self.budget = budget
        self.totalTokens = totalTokens
        self.tokenEstimate = tokenEstimate
        self.files = files
    }
}

/// One packed file.
public struct PackedFileInfo: Codable, Sendable, Hashable {
    /// The path from the repository root.
    public var path: String
    /// The retrieval score that ranked it.
    public var score: Double
    /// Estimated tokens of its pieces.
    public var tokens: Int
    public var pieces: [PackedPieceInfo]

    public init(path: String, score: Double, tokens: Int, pieces: [PackedPieceInfo]) {
        self.path = path
        self.score = score
        self.tokens = tokens
        self.pieces = pieces
    }
}

/// One packed piece: lines in full, or the signatures of the declarations in them.
public struct PackedPieceInfo: Codable, Sendable, Hashable {
    /// First line, 1-based.
    public var startLine: Int
    /// Last line, 1-based, inclusive.
    public var endLine: Int
    /// `full` or `signature`.
    public var form: String
    public var tokens: Int
    public var text: String

    public init(startLine: Int, endLine: Int, form: String, tokens: Int, text: String) {
        self.startLine = startLine
        self.endLine = endLine
        self.form = form
        self.tokens = tokens
        self.text = text
    }
}
