/// `textDocument/codeAction`: the actions the daemon offers for a range of a document. Computed
/// from the file's analysis only (no model call); each action carries a `Command` that
/// `workspace/executeCommand` runs later.
public struct CodeActionRequest: RequestType, Hashable {
    public static let method = "textDocument/codeAction"
    public typealias Response = [CodeAction]

    public var textDocument: TextDocumentIdentifier
    /// The selection or cursor; its start line picks the declaration.
    public var range: Range
    public var context: CodeActionContext
    public var workDoneToken: ProgressToken?

    public init(textDocument: TextDocumentIdentifier, range: Range, context: CodeActionContext, workDoneToken: ProgressToken? = nil) {
        self.textDocument = textDocument
        self.range = range
        self.context = context
        self.workDoneToken = workDoneToken
    }
}

/// LSP `CodeActionContext`: the diagnostics in the range (ignored) and the kinds the client wants.
public struct CodeActionContext: Codable, Sendable, Hashable {
    /// The client's diagnostics overlapping the range; accepted and ignored.
    public var diagnostics: [JSONValue]
    /// Only actions of these kinds (or their sub-kinds) are wanted; absent means all.
    public var only: [String]?
    /// 1: invoked by the user, 2: automatic.
    public var triggerKind: Int?

    public init(diagnostics: [JSONValue] = [], only: [String]? = nil, triggerKind: Int? = nil) {
        self.diagnostics = diagnostics
        self.only = only
        self.triggerKind = triggerKind
    }
}

/// LSP `CodeAction`, as the daemon fills it: a title, a kind, and either a command that
/// `workspace/executeCommand` runs, or (for a client that resolves `edit`) `data` that
/// `codeAction/resolve` turns into the `edit`. `textDocument/codeAction` never computes an edit.
public struct CodeAction: Codable, Sendable, Hashable {
    public var title: String
    /// `refactor.rewrite` (one declaration) or `source` (the whole file).
    public var kind: String
    public var command: Command?
    /// Filled by `codeAction/resolve`.
    public var edit: WorkspaceEdit?
    /// What `codeAction/resolve` needs: a `DocstringCommandArguments` value.
    public var data: JSONValue?

    public init(title: String, kind: String, command: Command? = nil, edit: WorkspaceEdit? = nil, data: JSONValue? = nil) {
        self.title = title
        self.kind = kind
        self.command = command
        self.edit = edit
        self.data = data
    }
}

/// `codeAction/resolve`: the client sends back an action `textDocument/codeAction` offered without
/// its edit; the daemon writes the comments its `data` names, checks them and answers the action
/// with `edit` filled in.
public struct CodeActionResolveRequest: RequestType, Hashable {
    public static let method = "codeAction/resolve"
    public typealias Response = CodeAction

    public var action: CodeAction

    public init(action: CodeAction) { self.action = action }

    public init(from decoder: any Decoder) throws { action = try CodeAction(from: decoder) }

    public func encode(to encoder: any Encoder) throws { try action.encode(to: encoder) }
}

/// LSP `Command`: what `workspace/executeCommand` runs when the user picks the action.
public struct Command: Codable, Sendable, Hashable {
    public var title: String
    public var command: String
    public var arguments: [JSONValue]?

    public init(title: String, command: String, arguments: [JSONValue]? = nil) {
        self.title = title
        self.command = command
        self.arguments = arguments
    }
}

/// LSP `CodeActionOptions`, the value of `capabilities.codeActionProvider`.
public struct CodeActionOptions: Codable, Sendable, Hashable {
    public var codeActionKinds: [String]
    /// The daemon answers `codeAction/resolve` (for clients that resolve `edit`).
    public var resolveProvider: Bool?
    public init(codeActionKinds: [String], resolveProvider: Bool? = nil) {
        self.codeActionKinds = codeActionKinds
        self.resolveProvider = resolveProvider
    }
}

/// The code action kinds the daemon offers.
public enum AssistCodeActionKind {
    /// Document the declaration at the cursor.
    public static let documentDeclaration = "refactor.rewrite"
    /// Document every undocumented declaration of the file.
    public static let documentFile = "source"
    /// Rewrite the selection as an instruction says.
    public static let refactorSelection = "refactor.rewrite"
    public static let all = [documentDeclaration, documentFile]
}

/// `workspace/executeCommand`: runs a command a code action carried: `assist.docstring` writes
/// comments, `assist.refactor` rewrites a selection as an instruction says; each sends its checked
/// edit to the editor with `workspace/applyEdit`.
public struct ExecuteCommandRequest: RequestType, Hashable {
    public static let method = "workspace/executeCommand"
    public typealias Response = CommandResult

    public var command: String
    public var arguments: [JSONValue]?
    public var workDoneToken: ProgressToken?

    public init(command: String, arguments: [JSONValue]? = nil, workDoneToken: ProgressToken? = nil) {
        self.command = command
        self.arguments = arguments
        self.workDoneToken = workDoneToken
    }

    /// The commands `workspace/executeCommand` runs.
    public static let commands = [DocstringCommandArguments.command, RefactorCommandArguments.command]
}

/// The one argument of the `assist.refactor` command. The code action carries it without an
/// instruction: the editor asks the user for one and adds it before running the command.
public struct RefactorCommandArguments: Codable, Sendable, Hashable {
    public static let command = "assist.refactor"

    /// A `file://` URI of a Swift file in the served repository.
    public var uri: String
    /// The selection (whole lines are taken).
    public var range: Range
    /// The open document's version the action was computed for.
    public var version: Int?
    /// What to change; required when the command runs.
    public var instruction: String?
    /// The local model (`qwen2.5-coder-0.5b` by default, or `smollm2-135m`).
    public var model: String?

    public init(uri: String, range: Range, version: Int? = nil, instruction: String? = nil, model: String? = nil) {
        self.uri = uri
        self.range = range
        self.version = version
        self.instruction = instruction
        self.model = model
    }
}

/// The one argument of the `assist.docstring` command (exactly one of `line`, `symbol`, `all`).
public struct DocstringCommandArguments: Codable, Sendable, Hashable {
    public static let command = "assist.docstring"

    /// A `file://` URI of a Swift file in the served repository.
    public var uri: String
    /// Document the innermost declaration holding this 0-based line.
    public var line: Int?
    /// Document the declaration with this name.
    public var symbol: String?
    /// `true`: document every undocumented declaration of the file.
    public var all: Bool?
    /// The open document's version the action was computed for; the command fails when the
    /// document has another version by then.
    public var version: Int?
    /// The local model (`qwen2.5-coder-0.5b` by default, or `smollm2-135m`).
    public var model: String?

    public init(uri: String, line: Int? = nil, symbol: String? = nil, all: Bool? = nil, version: Int? = nil, model: String? = nil) {
        self.uri = uri
        self.line = line
        self.symbol = symbol
        self.all = all
        self.version = version
        self.model = model
    }
}

/// What `assist.docstring` or `assist.refactor` did (`declarations` and `failures` are empty for a refactor).
public struct CommandResult: Codable, Sendable, Hashable {
    /// Whether an edit was sent and the editor applied it; `false` when there was nothing to document.
    public var applied: Bool
    /// One sentence for the user.
    public var message: String
    /// The declarations documented.
    public var declarations: [DocstringDeclarationInfo]
    /// Declarations the model could not document validly; nothing was written for them.
    public var failures: [DocstringFailureInfo]

    public init(applied: Bool, message: String, declarations: [DocstringDeclarationInfo], failures: [DocstringFailureInfo]) {
        self.applied = applied
        self.message = message
        self.declarations = declarations
        self.failures = failures
    }
}

/// `workspace/applyEdit`, sent by the daemon: asks the editor to apply an edit to its buffers.
public struct ApplyWorkspaceEditRequest: RequestType, Hashable {
    public static let method = "workspace/applyEdit"
    public typealias Response = ApplyWorkspaceEditResult

    /// Shown by editors that keep an undo label.
    public var label: String?
    public var edit: WorkspaceEdit

    public init(label: String? = nil, edit: WorkspaceEdit) {
        self.label = label
        self.edit = edit
    }
}

/// LSP `WorkspaceEdit`: `documentChanges` (versioned, when the client supports them) or `changes`.
public struct WorkspaceEdit: Codable, Sendable, Hashable {
    public var changes: [String: [TextEdit]]?
    public var documentChanges: [TextDocumentEdit]?

    public init(changes: [String: [TextEdit]]? = nil, documentChanges: [TextDocumentEdit]? = nil) {
        self.changes = changes
        self.documentChanges = documentChanges
    }
}

/// LSP `TextDocumentEdit`: edits to one document at one version.
public struct TextDocumentEdit: Codable, Sendable, Hashable {
    public var textDocument: OptionalVersionedTextDocumentIdentifier
    public var edits: [TextEdit]

    public init(textDocument: OptionalVersionedTextDocumentIdentifier, edits: [TextEdit]) {
        self.textDocument = textDocument
        self.edits = edits
    }
}

/// LSP `OptionalVersionedTextDocumentIdentifier`: `version` is `null` for a document that is not open.
public struct OptionalVersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: String
    public var version: Int?

    public init(uri: String, version: Int?) {
        self.uri = uri
        self.version = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(uri, forKey: .uri)
        // LSP wants the member present: `null` means "the file on disk".
        try container.encode(version, forKey: .version)
    }
}

/// The editor's answer to `workspace/applyEdit`.
public struct ApplyWorkspaceEditResult: Codable, Sendable, Hashable {
    public var applied: Bool
    public var failureReason: String?
    public var failedChange: Int?

    public init(applied: Bool, failureReason: String? = nil, failedChange: Int? = nil) {
        self.applied = applied
        self.failureReason = failureReason
        self.failedChange = failedChange
    }
}
