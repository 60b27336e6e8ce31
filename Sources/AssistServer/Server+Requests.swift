import AssistBackends
import AssistCore
import AssistDocstrings
import AssistFiles
import AssistProtocol
import AssistRequests
import AssistWire
import Foundation

/// The request methods: each converts its wire parameters to plain values, calls the workspace's
/// entry point, and converts the result back. No request logic lives here.
extension Server {
    func registerRequests() {
        register(IndexStatusRequest.self) { [unowned self] _, context in
            try await self.indexStatus(refresh: false, progress: context.progress)
        }
        register(IndexRefreshRequest.self) { [unowned self] _, context in
            try await self.indexStatus(refresh: true, progress: context.progress)
        }
        register(WorkspaceSymbolRequest.self) { [unowned self] request, _ in
            try Self.checkLength(request.query, name: "query")
            let workspace = try self.indexedWorkspace()
            let symbols = try await Self.answering { try await workspace.symbols(matching: request.query) }
            return WireResults.symbols(symbols, root: workspace.root)
        }
        register(ClassifyRequest.self) { [unowned self] request, _ in
            try await self.classify(request)
        }
        register(DocstringRequest.self) { [unowned self] request, context in
            try await self.docstring(request, progress: context.progress)
        }
        register(RefactorRequest.self) { [unowned self] request, context in
            try await self.refactor(request, progress: context.progress)
        }
        register(AskRequest.self) { [unowned self] request, context in
            try await self.ask(request, progress: context.progress)
        }
    }

    // MARK: - Documents and the workspace

    /// The served workspace, with every editor buffer changed since the last request given to its index.
    ///
    /// - Returns: The workspace.
    /// - Throws: `ResponseError` (request failed) when there is no repository or it cannot be indexed.
    func indexedWorkspace() throws(ResponseError) -> Workspace {
        // Taking the changed buffers and giving them to the index is one step: a request that
        // starts while another one hands them over waits, and then sees them.
        overlaySync.lock()
        defer { overlaySync.unlock() }
        let (workspace, error, stale) = state.withLock { state in
            defer { state.staleOverlays.removeAll() }
            return (state.workspace, state.repositoryError, state.staleOverlays)
        }
        guard let workspace else {
            throw ResponseError(.requestFailed, "no repository to index: \(error ?? "the workspace is not in a git repository")")
        }
        for uri in stale.sorted() {
            guard let path = WireValues.filePath(fromURI: uri), let relative = WireValues.relativePath(path, root: workspace.root),
                  relative.hasSuffix(".swift")
            else { continue }
            do {
                try workspace.setOverlay(path: relative, text: documents.document(uri)?.text)
            } catch {
                throw ResponseError(.requestFailed, error.message)
            }
        }
        return workspace
    }

    /// A Swift document of the served repository, as a request sees it.
    struct RequestDocument: Sendable {
        var uri: String
        /// The path from the repository root.
        var relative: String
        /// The editor's unsaved buffer when the document is open, else the file on disk.
        var text: String
        /// The open document's version; `nil` when the text came from disk.
        var version: Int?

        var file: RequestFile { RequestFile(path: relative, text: text) }
    }

    /// Reads a document for a request: it must be a Swift file inside the served repository (not
    /// in `.git/`); the editor's unsaved buffer wins over the file on disk.
    ///
    /// - Parameter uri: The document's URI.
    /// - Returns: The document's place and text.
    /// - Throws: `ResponseError` (request failed) saying why the document cannot be used.
    func requestDocument(_ uri: String) throws(ResponseError) -> RequestDocument {
        guard let path = WireValues.filePath(fromURI: uri), path.hasSuffix(".swift") else {
            throw ResponseError(.requestFailed, "not a Swift file URI: \(uri)")
        }
        guard let root = repository?.workingDirectory, let relative = WireValues.relativePath(path, root: root) else {
            throw ResponseError(.requestFailed, "\(path) is not in the repository this daemon serves")
        }
        guard !relative.hasPrefix(".git/") else { throw ResponseError(.requestFailed, "refusing a file inside .git/") }
        if let document = documents.document(uri) {
            return RequestDocument(uri: uri, relative: relative, text: document.text, version: document.version)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileTree(root: root).read(relative)
        } catch {
            throw ResponseError(.requestFailed, "cannot read \(path): \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ResponseError(.requestFailed, "cannot read \(path) as UTF-8")
        }
        return RequestDocument(uri: uri, relative: relative, text: text)
    }

    /// The served workspace, for requests that need no index.
    func servedWorkspace() throws(ResponseError) -> Workspace {
        guard let workspace = state.withLock({ $0.workspace }) else {
            throw ResponseError(.requestFailed, "no repository: the workspace is not in a git repository")
        }
        return workspace
    }

    /// The most characters an instruction, question or symbol query may have.
    static let maximumInstructionLength = 100_000

    /// The 1-based lines of a range that must lie inside a document; -32602 otherwise.
    static func lines(of range: AssistProtocol.Range, in text: String, name: String = "range") throws(ResponseError) -> ClosedRange<Int> {
        if let problem = WireValues.problem(with: range, in: text, name: name) { throw ResponseError.invalidParams(problem) }
        return WireValues.lines(of: range)
    }

    /// A position that must lie inside a document; -32602 otherwise.
    static func check(_ position: Position, in text: String, name: String = "position") throws(ResponseError) {
        if let problem = WireValues.problem(with: position, in: text, name: name) { throw ResponseError.invalidParams(problem) }
    }

    /// An instruction, question or query that must not be over ``maximumInstructionLength``; -32602 otherwise.
    static func checkLength(_ text: String, name: String) throws(ResponseError) {
        if text.count > maximumInstructionLength {
            throw ResponseError.invalidParams("\(name) has \(text.count) characters; the most is \(maximumInstructionLength)")
        }
    }

    /// What the client said it can do with `workspace/applyEdit`.
    var clientEditCapabilities: ClientEditCapabilities { state.withLock { $0.clientEdits } }

    /// A request's events as LSP work-done progress.
    static func events(_ progress: ProgressReporter, counting unit: String = "declarations") -> RequestEvents {
        RequestEvents(
            began: { title in progress.begin(title) },
            progress: { done, total in
                progress.report("\(done)/\(total) \(unit)", percentage: total == 0 ? 100 : done * 100 / total)
            },
            attempt: { backend, attempt in progress.report("asking \(backend) (call \(attempt))") })
    }

    /// Runs a workspace call, turning its failures into the error replies clients see.
    static func answering<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as RequestError {
            throw ResponseError(.requestFailed, error.message)
        } catch let error as RoutedRequestError {
            throw ResponseError(
                .requestFailed, error.message,
                data: .object(["reasons": .array(error.reasons.map {
                    .object(["step": .string($0.step), "outcome": .string($0.outcome), "detail": .string($0.detail)])
                })]))
        } catch let error as BackendError {
            throw ResponseError(.requestFailed, error.description)
        }
    }

    // MARK: - The methods

    private func indexStatus(refresh: Bool, progress: ProgressReporter) async throws -> IndexStatusResult {
        let workspace = try indexedWorkspace()
        progress.begin(refresh ? "Indexing the repository" : "Reading the index")
        let summary = try await Self.answering {
            try await workspace.index(refresh: refresh) { done, total in
                progress.report("\(done)/\(total) files", percentage: total == 0 ? 100 : done * 100 / total)
            }
        }
        progress.end()
        return WireResults.index(summary, root: workspace.root)
    }

    private func classify(_ request: ClassifyRequest) async throws -> ClassifyResult {
        let workspace = try indexedWorkspace()
        var file: String?
        var text: String?
        if let uri = request.textDocument?.uri {
            guard let path = WireValues.filePath(fromURI: uri), let relative = WireValues.relativePath(path, root: workspace.root) else {
                throw ResponseError(.requestFailed, "\(uri) is not in the repository this daemon serves")
            }
            file = relative
            text = documents.document(uri)?.text
        }
        try Self.checkLength(request.instruction, name: "instruction")
        var selection: ClosedRange<Int>?
        if let range = request.range {
            guard let file else { throw ResponseError.invalidParams("a range needs a textDocument") }
            guard let text = text ?? workspace.text(of: file) else {
                throw ResponseError(.requestFailed, "cannot read \(file) as UTF-8")
            }
            selection = try Self.lines(of: range, in: text)
        }
        let (documentPath, documentText) = (file, text)
        let outcome = try await Self.answering {
            try await workspace.classify(instruction: request.instruction, file: documentPath, text: documentText, selection: selection)
        }
        return WireResults.classify(outcome)
    }

    private func docstring(_ request: DocstringRequest, progress: ProgressReporter) async throws -> DocstringResult {
        let choices = [request.position != nil, request.symbol != nil, request.all == true].filter { $0 }.count
        guard choices == 1 else {
            throw ResponseError.invalidParams("give exactly one of position, symbol or all: true")
        }
        let document = try requestDocument(request.textDocument.uri)
        if let position = request.position { try Self.check(position, in: document.text) }
        if let symbol = request.symbol { try Self.checkLength(symbol, name: "symbol") }
        let selection: DocstringSelection = if let position = request.position {
            .line(position.line + 1)
        } else if let symbol = request.symbol {
            .symbol(symbol)
        } else {
            .allUndocumented
        }
        let (outcome, model) = try await writeDocstrings(document, selection: selection, model: request.model, progress: progress)
        return WireResults.docstring(outcome, model: model, uri: document.uri)
    }

    /// Runs the docstring pipeline on a document, with progress.
    ///
    /// - Parameters:
    ///   - document: The document as read.
    ///   - selection: Which declarations.
    ///   - model: The local model's id, or `nil` for the default.
    ///   - progress: Where progress goes.
    /// - Returns: The verified outcome and the model's identifier.
    /// - Throws: `ResponseError` when the selection names nothing or the model is unavailable.
    func writeDocstrings(
        _ document: RequestDocument, selection: DocstringSelection, model: String?, progress: ProgressReporter
    ) async throws -> (DocstringOutcome, model: String) {
        let workspace = try servedWorkspace()
        do {
            let result = try await workspace.document(
                path: document.relative, text: document.text, selection: selection, model: model, events: Self.events(progress))
            progress.end()
            return result
        } catch let error as RequestError {
            throw ResponseError(.requestFailed, error.message)
        }
    }

    func refactor(_ request: RefactorRequest, progress: ProgressReporter) async throws -> RefactorResult {
        let document = try requestDocument(request.textDocument.uri)
        guard let root = repository?.workingDirectory else {
            throw ResponseError(.requestFailed, "the repository has no working tree")
        }
        guard !request.instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ResponseError.invalidParams("the instruction is empty")
        }
        try Self.checkLength(request.instruction, name: "instruction")
        let range = try request.range.map { (range) throws(ResponseError) in try Self.lines(of: range, in: document.text) }
        let workspace = try servedWorkspace()
        let outcome = try await Self.answering {
            try await workspace.refactor(
                file: document.file, instruction: request.instruction, range: range,
                model: request.model, events: Self.events(progress))
        }
        progress.end()
        return WireResults.refactor(outcome, root: root)
    }

    private func ask(_ request: AskRequest, progress: ProgressReporter) async throws -> AskResult {
        let workspace = try indexedWorkspace()
        try Self.checkLength(request.question, name: "question")
        var file: RequestFile?
        if let uri = request.textDocument?.uri {
            file = try requestDocument(uri).file
        }
        var selection: ClosedRange<Int>?
        if let range = request.range {
            guard let file else { throw ResponseError.invalidParams("a range needs a textDocument") }
            selection = try Self.lines(of: range, in: file.text)
        }
        var events = Self.events(progress)
        if let token = request.partialResultToken {
            events.text = { [weak self] text in
                self?.send(.notification(
                    method: AskPartialResultNotification.method,
                    params: AskPartialResultNotification(token: token, value: AskPartialResult(answer: text))))
            }
        }
        let question = request.question
        let outcome = try await Self.answering {
            try await workspace.ask(question: question, file: file, selection: selection, model: request.model, events: events)
        }
        progress.end()
        return WireResults.ask(outcome, root: workspace.root)
    }
}
