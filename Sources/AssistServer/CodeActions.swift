import AssistDocstrings
import AssistRequests
import AssistWire
import AssistJSONRPC
import AssistProtocol
import AssistSwift
import Foundation

/// What the client's `initialize` capabilities said about edits the daemon may send.
struct ClientEditCapabilities: Sendable {
    /// `workspace.applyEdit`: the client answers `workspace/applyEdit`.
    var applyEdit = false
    /// `workspace.workspaceEdit.documentChanges`: the client takes versioned `TextDocumentEdit`s.
    var documentChanges = false
    /// `textDocument.codeAction.resolveSupport.properties` holds `edit`: the client sends
    /// `codeAction/resolve` for an action without one, and applies the edit it gets back.
    var resolveEdit = false
    /// `window.workDoneProgress`: the client shows progress under a token the daemon creates.
    var workDoneProgress = false
    /// `workspace.didChangeWatchedFiles.dynamicRegistration`: the client watches files the daemon
    /// registers with `client/registerCapability`.
    var watchedFilesRegistration = false

    init() {}

    init(_ capabilities: JSONValue?) {
        applyEdit = capabilities?["workspace"]?["applyEdit"] == .bool(true)
        documentChanges = capabilities?["workspace"]?["workspaceEdit"]?["documentChanges"] == .bool(true)
        if case .array(let properties)? = capabilities?["textDocument"]?["codeAction"]?["resolveSupport"]?["properties"] {
            resolveEdit = properties.contains(.string("edit"))
        }
        workDoneProgress = capabilities?["window"]?["workDoneProgress"] == .bool(true)
        watchedFilesRegistration = capabilities?["workspace"]?["didChangeWatchedFiles"]?["dynamicRegistration"] == .bool(true)
    }
}

/// Plain-LSP code actions for docstrings: `textDocument/codeAction` offers them from the file's
/// analysis alone; `codeAction/resolve` writes the comments and answers them as the action's `edit`
/// (clients that resolve `edit`), or `workspace/executeCommand` writes them and sends them with
/// `workspace/applyEdit` (the others).
extension Server {
    func registerCodeActions() {
        register(CodeActionRequest.self) { [unowned self] request, _ in
            try self.codeActions(request)
        }
        register(CodeActionResolveRequest.self) { [unowned self] request, context in
            try await self.resolveCodeAction(request.action, progress: context.progress)
        }
        register(ExecuteCommandRequest.self) { [unowned self] request, context in
            try await self.executeCommand(request, progress: context.progress)
        }
    }

    /// The docstring actions for a range: "Document NAME" for the undocumented declaration at the
    /// range's start line, "Document all in file" when the file has any undocumented declaration.
    /// No model is called and no edit is computed; a document that is not a Swift file of the
    /// repository gets none.
    ///
    /// - Parameter request: The request.
    /// - Returns: The actions, possibly none.
    /// - Throws: `ResponseError` (invalid params) when the range is not inside the document.
    func codeActions(_ request: CodeActionRequest) throws(ResponseError) -> [CodeAction] {
        let wanted: (String) -> Bool = { kind in
            guard let only = request.context.only else { return true }
            return only.contains { kind == $0 || kind.hasPrefix($0 + ".") }
        }
        let declarationKind = AssistCodeActionKind.documentDeclaration, fileKind = AssistCodeActionKind.documentFile
        let selectionKind = AssistCodeActionKind.refactorSelection
        guard wanted(declarationKind) || wanted(fileKind) || wanted(selectionKind),
              let input = try? requestDocument(request.textDocument.uri)
        else {
            return []
        }
        _ = try Self.lines(of: request.range, in: input.text)
        let analysis = SwiftAnalyzer.analyze(source: input.text)
        var actions: [CodeAction] = []
        if wanted(selectionKind), request.range.start != request.range.end {
            let title = "Refactor selection with assist…"
            let arguments = RefactorCommandArguments(uri: input.uri, range: request.range, version: input.version)
            let argument = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(arguments))) ?? .null
            actions.append(CodeAction(
                title: title, kind: selectionKind,
                command: Command(title: title, command: RefactorCommandArguments.command, arguments: [argument])))
            // A stock client cannot ask for an instruction: these carry theirs.
            for (name, instruction) in Self.namedRefactors {
                let title = "Refactor with assist: \(name)"
                let named = RefactorCommandArguments(uri: input.uri, range: request.range, version: input.version, instruction: instruction)
                let argument = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(named))) ?? .null
                actions.append(CodeAction(
                    title: title, kind: selectionKind,
                    command: Command(title: title, command: RefactorCommandArguments.command, arguments: [argument])))
            }
        }
        let line = request.range.start.line
        if wanted(declarationKind), line >= 0,
           let candidate = (try? DocstringPlanner.candidates(.line(line + 1), analysis: analysis, source: input.text))?.first
        {
            let title = "Document \(candidate.declaration.fullName)"
            let arguments = DocstringCommandArguments(uri: input.uri, line: line, version: input.version)
            actions.append(docstringAction(title, kind: declarationKind, arguments))
        }
        if wanted(fileKind),
           let all = try? DocstringPlanner.candidates(.allUndocumented, analysis: analysis, source: input.text), !all.isEmpty
        {
            let title = "Document all in file"
            let arguments = DocstringCommandArguments(uri: input.uri, all: true, version: input.version)
            actions.append(docstringAction(title, kind: fileKind, arguments))
        }
        return actions
    }

    /// The refactors offered with their instruction, for clients that cannot prompt: (title, instruction).
    static let namedRefactors = [
        ("simplify", "Simplify this code without changing what it does"),
        ("early returns", "Replace nested conditions with early returns (guard)"),
        ("extract a helper", "Extract the selected code into a private helper function"),
    ]

    /// A docstring action: with `data` for `codeAction/resolve` when the client resolves `edit`,
    /// else with the command `workspace/executeCommand` runs.
    private func docstringAction(_ title: String, kind: String, _ arguments: DocstringCommandArguments) -> CodeAction {
        let argument = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(arguments))) ?? .null
        if clientEditCapabilities.resolveEdit {
            return CodeAction(title: title, kind: kind, data: argument)
        }
        return CodeAction(
            title: title, kind: kind,
            command: Command(title: title, command: DocstringCommandArguments.command, arguments: [argument]))
    }

    /// Answers `codeAction/resolve` for a docstring action: writes and checks the comments its
    /// `data` names and returns the action with its `edit`, unless the document changed since the
    /// action was offered or while the model ran.
    ///
    /// - Parameters:
    ///   - action: The action as `textDocument/codeAction` offered it.
    ///   - progress: Progress, when the client passed a token; else one the daemon creates when the
    ///     client announced `window.workDoneProgress`.
    /// - Returns: The action with `edit`.
    /// - Throws: `ResponseError`: invalid params for an action this daemon did not offer, content
    ///   modified when the document changed, request failed when nothing could be documented.
    func resolveCodeAction(_ action: CodeAction, progress: ProgressReporter) async throws -> CodeAction {
        guard let data = action.data else {
            throw ResponseError.invalidParams("\(CodeActionResolveRequest.method) takes an action this daemon offered; this one has no data")
        }
        let arguments: DocstringCommandArguments = try Self.decodeParams(data)
        let progress = progress.isActive ? progress : await createdProgress()
        let written: CheckedDocstrings
        do {
            written = try await checkedDocstrings(arguments, progress: progress)
        } catch {
            progress.end(Task.isCancelled ? "cancelled" : "failed")
            throw error
        }
        guard !written.edits.isEmpty else {
            throw ResponseError(.requestFailed, written.nothingMessage)
        }
        var resolved = action
        resolved.edit = workspaceEdit(written.edits, uri: arguments.uri, version: written.version)
        return resolved
    }

    /// A progress reporter under a token the daemon asked the client to create
    /// (`window/workDoneProgress/create`); inactive when the client cannot show one or refused.
    private func createdProgress() async -> ProgressReporter {
        let send: @Sendable (OutgoingMessage) -> Void = { [weak self] in self?.send($0) }
        guard clientEditCapabilities.workDoneProgress else { return ProgressReporter(token: nil, send: send) }
        let token = ProgressToken.string("assist-progress-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            _ = try await sendRequest(WorkDoneProgressCreateRequest(token: token))
            return ProgressReporter(token: token, send: send)
        } catch {
            return ProgressReporter(token: nil, send: send)
        }
    }

    /// The comments of a docstring action, written, checked, and still for the current text.
    struct CheckedDocstrings {
        var edits: [TextEdit]
        /// The open document's version the edits are for (nil: the file on disk).
        var version: Int?
        var result: DocstringResult
        var label: String {
            let names = result.declarations.map(\.name)
            return names.count == 1 ? "Document \(names[0])" : "Document \(names.count) declarations"
        }
        var nothingMessage: String {
            result.failures.isEmpty
                ? "nothing to document: no undocumented declaration was selected; no edit was sent"
                : "no comment passed validation (\(result.failures.count) failed); no edit was sent"
        }
    }

    /// Writes the comments a `DocstringCommandArguments` names and checks that the document did not
    /// change since the action was offered nor while the model ran.
    func checkedDocstrings(_ arguments: DocstringCommandArguments, progress: ProgressReporter) async throws -> CheckedDocstrings {
        let choices = [arguments.line != nil, arguments.symbol != nil, arguments.all == true].filter { $0 }.count
        guard choices == 1 else {
            throw ResponseError.invalidParams("give exactly one of line, symbol or all: true")
        }
        let uri = arguments.uri
        let input = try offeredDocument(uri, offeredVersion: arguments.version)
        if let line = arguments.line { try Self.check(Position(line: line, character: 0), in: input.text, name: "line") }
        if let symbol = arguments.symbol { try Self.checkLength(symbol, name: "symbol") }
        let selection: DocstringSelection = if let line = arguments.line {
            .line(line + 1)
        } else if let symbol = arguments.symbol {
            .symbol(symbol)
        } else {
            .allUndocumented
        }
        let (outcome, model) = try await writeDocstrings(input, selection: selection, model: arguments.model, progress: progress)
        try Task.checkCancellation()
        // The edit is against the text the engine read: never send it to a document that moved on.
        let current = try? requestDocument(uri)
        guard let current, current.text == input.text, input.version == nil || current.version == input.version else {
            throw ResponseError(
                .contentModified, "\(uri) changed while its comments were written; nothing was applied: run the action again")
        }
        let result = WireResults.docstring(outcome, model: model, uri: uri)
        return CheckedDocstrings(edits: result.edits[uri] ?? [], version: current.version, result: result)
    }

    /// Runs `assist.docstring`: the `assist/docstring` pipeline on the document, then
    /// `workspace/applyEdit` with the verified edit, unless the document changed meanwhile.
    ///
    /// - Parameters:
    ///   - request: The command and its one argument.
    ///   - progress: Progress while the comments are written.
    /// - Returns: What was documented.
    /// - Throws: `ResponseError`: invalid params for an unknown command or bad arguments,
    ///   content modified when the document changed, request failed when the editor refused the edit.
    func executeCommand(_ request: ExecuteCommandRequest, progress: ProgressReporter) async throws -> CommandResult {
        if request.command == RefactorCommandArguments.command {
            return try await executeRefactor(request, progress: progress)
        }
        guard request.command == DocstringCommandArguments.command else {
            throw ResponseError.invalidParams(
                "unknown command '\(request.command)'; this daemon runs \(ExecuteCommandRequest.commands.joined(separator: ", "))")
        }
        guard let argumentList = request.arguments, argumentList.count == 1 else {
            throw ResponseError.invalidParams("\(request.command) takes one argument: {uri, and one of line, symbol, all: true}")
        }
        let arguments: DocstringCommandArguments = try Self.decodeParams(argumentList[0])
        try requireApplyEdit(DocstringRequest.method)
        let written = try await checkedDocstrings(arguments, progress: progress)
        let result = written.result
        guard !written.edits.isEmpty else {
            return CommandResult(applied: false, message: written.nothingMessage, declarations: [], failures: result.failures)
        }
        try await applyInEditor(written.edits, uri: arguments.uri, version: written.version, label: written.label)
        let names = result.declarations.map(\.name)
        let failed = result.failures.isEmpty ? "" : "; \(result.failures.count) failed validation and were left undocumented"
        return CommandResult(
            applied: true, message: "documented \(names.joined(separator: ", "))\(failed)",
            declarations: result.declarations, failures: result.failures)
    }

    /// Runs `assist.refactor`: the `assist/refactor` pipeline on the selection, then
    /// `workspace/applyEdit` with the checked edit, unless the document changed meanwhile.
    func executeRefactor(_ request: ExecuteCommandRequest, progress: ProgressReporter) async throws -> CommandResult {
        guard let argumentList = request.arguments, argumentList.count == 1 else {
            throw ResponseError.invalidParams("\(request.command) takes one argument: {uri, range, version, instruction}")
        }
        let arguments: RefactorCommandArguments = try Self.decodeParams(argumentList[0])
        guard let instruction = arguments.instruction, !instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ResponseError.invalidParams("assist.refactor needs an instruction: ask the user for one and pass it as the argument's instruction")
        }
        let uri = arguments.uri
        let input = try commandInput(uri, offeredVersion: arguments.version, method: RefactorRequest.method)
        let result = try await refactor(
            RefactorRequest(textDocument: TextDocumentIdentifier(uri: uri), instruction: instruction, range: arguments.range, model: arguments.model),
            progress: progress)
        try Task.checkCancellation()
        // No preview here: an edit that adds a high-risk construct is never applied this way.
        if let high = result.risks?.filter({ $0.severity == "high" }), !high.isEmpty {
            throw ResponseError(
                .requestFailed,
                "the refactor adds \(high.map { "\($0.kind) at line \($0.line)" }.joined(separator: ", ")), so it was not applied: review it with assist/refactor and apply it yourself")
        }
        let current = try? requestDocument(uri)
        guard let current, current.text == input.text, input.version == nil || current.version == input.version else {
            throw ResponseError(.contentModified, "\(uri) changed while it was refactored; nothing was applied: run the action again")
        }
        try await applyInEditor(result.edits[uri] ?? [], uri: uri, version: current.version, label: "Refactor: \(instruction)")
        return CommandResult(
            applied: true, message: "refactored with \(result.route.backend) \(result.route.model)", declarations: [], failures: [])
    }

    /// The document a command runs on, once the client can apply edits and the document is still at
    /// the version the action was offered for.
    func commandInput(_ uri: String, offeredVersion: Int?, method: String) throws(ResponseError) -> RequestDocument {
        try requireApplyEdit(method)
        return try offeredDocument(uri, offeredVersion: offeredVersion)
    }

    /// Refuses a command when the client cannot apply the edit it would send.
    func requireApplyEdit(_ method: String) throws(ResponseError) {
        guard clientEditCapabilities.applyEdit else {
            throw ResponseError(
                .requestFailed,
                "the client did not announce workspace/applyEdit (capabilities.workspace.applyEdit); \(method) answers the edits instead")
        }
    }

    /// The document an action runs on, still at the version the action was offered for.
    func offeredDocument(_ uri: String, offeredVersion: Int?) throws(ResponseError) -> RequestDocument {
        let input = try requestDocument(uri)
        if let offeredVersion, input.version != offeredVersion {
            throw ResponseError(
                .contentModified,
                "\(uri) changed since the action was offered (version \(offeredVersion), now \(input.version.map(String.init) ?? "closed")); nothing was written: ask for the action again")
        }
        return input
    }

    /// Sends edits of one document to the editor with `workspace/applyEdit`: versioned when the
    /// client takes `documentChanges` and the document is open, else as `changes`.
    func applyInEditor(_ edits: [TextEdit], uri: String, version: Int?, label: String) async throws {
        let edit = workspaceEdit(edits, uri: uri, version: version)
        let answer: ApplyWorkspaceEditResult
        do {
            answer = try await sendRequest(ApplyWorkspaceEditRequest(label: label, edit: edit))
        } catch let error as ResponseError where error.code != .requestCancelled {
            throw ResponseError(.requestFailed, "the editor answered workspace/applyEdit with an error: \(error.message)")
        }
        guard answer.applied else {
            throw ResponseError(.requestFailed, "the editor did not apply the edit: \(answer.failureReason ?? "it gave no reason")")
        }
    }

    /// Edits of one document as the client takes them: versioned `documentChanges` when it
    /// announced them and the document is open, else `changes`.
    func workspaceEdit(_ edits: [TextEdit], uri: String, version: Int?) -> WorkspaceEdit {
        if clientEditCapabilities.documentChanges, let version {
            WorkspaceEdit(documentChanges: [
                TextDocumentEdit(textDocument: OptionalVersionedTextDocumentIdentifier(uri: uri, version: version), edits: edits),
            ])
        } else {
            WorkspaceEdit(changes: [uri: edits])
        }
    }

    /// Sends a typed request to the client and decodes its answer.
    ///
    /// - Parameter request: The request.
    /// - Returns: The client's result.
    /// - Throws: The client's `ResponseError`; request failed when its result does not decode.
    func sendRequest<R: RequestType>(_ request: R) async throws -> R.Response {
        let value = try await sendRequest(R.method, params: request)
        do {
            return try JSONDecoder().decode(R.Response.self, from: JSONEncoder().encode(value))
        } catch {
            throw ResponseError(.requestFailed, "the client's answer to \(R.method) is malformed: \(MessageDecoder.describe(error))")
        }
    }
}
