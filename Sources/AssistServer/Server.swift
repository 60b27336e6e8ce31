import AssistCore
import AssistDocstrings
import AssistGit
import AssistIndex
import AssistSwift
import AssistJSONRPC
import AssistLocalModel
import AssistProtocol
import Foundation
import Logging
import Synchronization

/// What a request handler gets besides its parameters.
public struct RequestContext: Sendable {
    public let id: RequestID
    public let method: String
    /// The server, for documents, repository and configuration.
    public let server: Server
    public let logger: Logger
    /// Progress for this request: it sends `$/progress` only when the client passed a `workDoneToken`.
    public let progress: ProgressReporter
}

/// Sends LSP work-done progress (`begin`, `report`, `end`) for one request, or nothing when the
/// client gave no token.
public struct ProgressReporter: Sendable {
    let token: ProgressToken?
    let send: @Sendable (OutgoingMessage) -> Void
    /// 0: not begun, 1: begun, 2: ended; so the server can end what a failed handler left open.
    private let phase = Phase()

    final class Phase: Sendable {
        let value = Atomic<Int>(0)
    }

    init(token: ProgressToken?, send: @escaping @Sendable (OutgoingMessage) -> Void) {
        self.token = token
        self.send = send
    }

    /// Whether the client asked for progress.
    public var isActive: Bool { token != nil }

    public func begin(_ title: String, message: String? = nil, percentage: Int? = 0, cancellable: Bool = true) {
        guard phase.value.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged else { return }
        emit(WorkDoneProgress(kind: .begin, title: title, message: message, percentage: percentage, cancellable: cancellable))
    }

    public func report(_ message: String? = nil, percentage: Int? = nil) {
        guard phase.value.load(ordering: .relaxed) == 1 else { return }
        emit(WorkDoneProgress(kind: .report, message: message, percentage: percentage.map { min(100, max(0, $0)) }))
    }

    public func end(_ message: String? = nil) {
        guard phase.value.compareExchange(expected: 1, desired: 2, ordering: .relaxed).exchanged else { return }
        emit(WorkDoneProgress(kind: .end, message: message))
    }

    private func emit(_ value: WorkDoneProgress) {
        guard let token else { return }
        let notification = ProgressNotification(token: token, value: value)
        send(.notification(method: ProgressNotification.method, params: notification))
    }
}

/// Options the process gives the server.
public struct ServerOptions: Sendable {
    /// Where the daemon was started; the repository root when `initialize` names none.
    public var workingDirectory: String
    public var environment: [String: String]
    public var homeDirectory: String
    public var logger: Logger
    /// How often the client's process (`initialize`'s `processId`) is checked.
    public var parentCheckInterval: Duration
    /// Ends the process when the client is gone; tests replace it.
    public var terminate: @Sendable (Int32) -> Void

    public init(
        workingDirectory: String, environment: [String: String], homeDirectory: String, logger: Logger,
        parentCheckInterval: Duration = .seconds(2),
        terminate: @escaping @Sendable (Int32) -> Void = { code in exit(code) }
    ) {
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.logger = logger
        self.parentCheckInterval = parentCheckInterval
        self.terminate = terminate
    }
}

/// The daemon: reads frames, decodes JSON-RPC, runs requests concurrently, applies text sync in order.
///
/// Threading: `run()` owns the reading thread, which handles notifications and the lifecycle
/// requests inline, in arrival order; every other request runs in its own `Task`. All mutable state
/// lives in `state`, guarded by its mutex; documents are guarded by `DocumentStore`'s own.
public final class Server: Sendable {
    public typealias RequestHandler = @Sendable (JSONValue?, RequestContext) async throws -> any Encodable & Sendable

    private struct State {
        var initialized = false
        var shutdownRequested = false
        var exitCode: Int32?
        var inFlight: [RequestID: Task<OutgoingMessage, Never>] = [:]
        var served = 0
        var failed = 0
        var cancelled = 0
        var repository: Repository?
        var repositoryError: String?
        var workspaceIndex: SwiftWorkspaceIndex?
        /// The local models started for docstrings, by id; stopped at exit.
        var docstringModels: [String: LocalDocstringModel] = [:]
        /// URIs of open documents changed since their overlay was last given to the index.
        var staleOverlays: Set<String> = []
        var configuration: Configuration
        var configurationDiagnostics: [ConfigDiagnostic] = []
        var handlers: [String: RequestHandler] = [:]
        var nextOutgoingID = 0
        var pendingOutgoing: [RequestID: CheckedContinuation<JSONValue, any Error>] = [:]
        /// What `initialize`'s client capabilities said about `workspace/applyEdit`.
        var clientEdits = ClientEditCapabilities()
    }

    public let connection: FileDescriptorConnection
    public let options: ServerOptions
    public let documents = DocumentStore()
    private let state: Mutex<State>
    private let maxMessageBytes: Atomic<Int>
    private let startTime = ContinuousClock.now
    private let logger: Logger

    /// Lifecycle requests, answered by the reading thread before it reads the next message.
    private static let inlineRequests: [String: @Sendable (Server, JSONValue?) throws -> any Encodable & Sendable] = [
        InitializeRequest.method: { server, params in try server.initialize(try decodeParams(params)) },
        ShutdownRequest.method: { server, _ in
            server.state.withLock { $0.shutdownRequested = true }
            server.logger.info("shutdown requested")
            return VoidResponse()
        },
    ]

    /// Creates a server over a connection.
    ///
    /// - Parameters:
    ///   - connection: Where frames come from and go to.
    ///   - options: The process's working directory, environment and logger.
    ///   - configuration: The configuration in force until `initialize` resolves the repository's.
    public init(connection: FileDescriptorConnection, options: ServerOptions, configuration: Configuration) {
        self.connection = connection
        self.options = options
        self.logger = options.logger
        self.maxMessageBytes = Atomic(configuration.integer("server.maxMessageBytes") ?? 64 << 20)
        self.state = Mutex(State(configuration: configuration))
        registerBuiltins()
    }

    // MARK: - Registration

    /// Registers a request handler, decoding its parameters into `R`.
    ///
    /// - Parameters:
    ///   - type: The request type.
    ///   - handler: Answers the request; throw `ResponseError` for a specific error reply.
    public func register<R: RequestType>(
        _ type: R.Type, handler: @escaping @Sendable (R, RequestContext) async throws -> R.Response
    ) {
        let erased: RequestHandler = { params, context in
            let request: R = try Self.decodeParams(params)
            return try await handler(request, context)
        }
        state.withLock { $0.handlers[R.method] = erased }
    }

    /// The request methods this server answers, sorted.
    public var registeredRequestMethods: [String] {
        (state.withLock { Array($0.handlers.keys) } + Self.inlineRequests.keys).sorted()
    }

    /// The client-to-server notifications this server acts on, sorted.
    public var registeredNotificationMethods: [String] {
        [
            InitializedNotification.method, ExitNotification.method, CancelRequestNotification.method,
            DidOpenTextDocumentNotification.method, DidChangeTextDocumentNotification.method,
            DidCloseTextDocumentNotification.method,
        ].sorted()
    }

    private func registerBuiltins() {
        register(StatusRequest.self) { [unowned self] _, _ in try self.status() }
        register(IndexStatusRequest.self) { [unowned self] _, context in
            try await self.indexStatus(refresh: false, progress: context.progress)
        }
        register(IndexRefreshRequest.self) { [unowned self] _, context in
            try await self.indexStatus(refresh: true, progress: context.progress)
        }
        register(WorkspaceSymbolRequest.self) { [unowned self] request, _ in
            try await self.workspaceSymbols(request.query)
        }
        register(ClassifyRequest.self) { [unowned self] request, _ in
            try await self.classify(request)
        }
        register(DocstringRequest.self) { [unowned self] request, context in
            try await self.docstring(request, progress: context.progress)
        }
        registerCodeActions()
        registerRouting()
    }

    /// Decodes request parameters into a typed request; absent parameters decode as `{}`.
    static func decodeParams<R: Decodable>(_ params: JSONValue?) throws(ResponseError) -> R {
        do {
            let data = try JSONEncoder().encode(params ?? .object([:]))
            return try JSONDecoder().decode(R.self, from: data)
        } catch {
            throw ResponseError.invalidParams(MessageDecoder.describe(error))
        }
    }

    // MARK: - The message loop

    /// Reads and handles messages until `exit` or the end of input.
    ///
    /// - Returns: The process exit code: 0 after `shutdown`, 1 otherwise.
    public func run() -> Int32 {
        var decoder = FrameDecoder(maxMessageBytes: maxMessageBytes.load(ordering: .relaxed))
        let chunkSize = 64 << 10
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        logger.info("assist \(AssistVersion.current) serving on stdio", metadata: ["pid": "\(getpid())"])
        while true {
            let count = connection.read(into: chunk)
            if count == 0 { break }
            decoder.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            decoder.maxMessageBytes = maxMessageBytes.load(ordering: .relaxed)
            while let event = decoder.next() {
                switch event {
                case .message(let body):
                    handle(body: body)
                case .error(let error):
                    logger.warning("framing error: \(error)")
                    countFailure()
                    let code: ErrorCode = if case .messageTooLarge = error { .invalidRequest } else { .parseError }
                    send(.response(id: nil, result: .failure(ResponseError(code, error.description))))
                }
                if let code = state.withLock({ $0.exitCode }) {
                    finish()
                    return code
                }
            }
        }
        if let error = decoder.finish() {
            logger.error("\(error)")
        } else {
            logger.info("input closed")
        }
        finish()
        return state.withLock { $0.shutdownRequested } ? 0 : 1
    }

    private func finish() {
        let models = state.withLock { state in
            defer { state.docstringModels.removeAll() }
            return Array(state.docstringModels.values)
        }
        if !models.isEmpty {
            let stopped = DispatchSemaphore(value: 0)
            Task {
                for model in models { await model.stop() }
                stopped.signal()
            }
            _ = stopped.wait(timeout: .now() + 10)
        }
        let tasks = state.withLock { state in
            defer { state.inFlight.removeAll() }
            return Array(state.inFlight.values)
        }
        for task in tasks { task.cancel() }
        let pending = state.withLock { state in
            defer { state.pendingOutgoing.removeAll() }
            return Array(state.pendingOutgoing.values)
        }
        for continuation in pending {
            continuation.resume(throwing: ResponseError(.internalError, "the connection closed"))
        }
    }

    private func handle(body: [UInt8]) {
        switch MessageDecoder.decode(body) {
        case .single(.success(let message)):
            // A request's task sends its own reply; only immediate replies are sent here.
            if case .now(let reply)? = dispatch(message, inBatch: false) { send(reply) }
        case .single(.failure(let invalid)):
            countFailure()
            send(.response(id: invalid.id, result: .failure(invalid.error)))
        case .batch(let entries):
            var replies: [Reply] = []
            for entry in entries {
                switch entry {
                case .success(let message):
                    if let reply = dispatch(message, inBatch: true) { replies.append(reply) }
                case .failure(let invalid):
                    countFailure()
                    replies.append(.now(.response(id: invalid.id, result: .failure(invalid.error))))
                }
            }
            guard !replies.isEmpty else { return }
            Task {
                var messages: [OutgoingMessage] = []
                for reply in replies {
                    switch reply {
                    case .now(let message): messages.append(message)
                    case .later(let task): messages.append(await task.value)
                    }
                }
                self.send(.batch(messages))
            }
        }
    }

    /// A request's reply: known at once, or produced by the request's task.
    private enum Reply {
        case now(OutgoingMessage)
        case later(Task<OutgoingMessage, Never>)
    }

    /// Handles one message; a request yields its reply.
    private func dispatch(_ message: IncomingMessage, inBatch: Bool) -> Reply? {
        switch message {
        case .notification(let method, let params):
            handleNotification(method, params)
            return nil
        case .response(nil, let result):
            // The peer could not read one of our messages; there is nothing to answer.
            logger.warning("the client reported an error about an unreadable message: \(result)")
            return nil
        case .response(let id?, let result):
            let continuation = state.withLock { $0.pendingOutgoing.removeValue(forKey: id) }
            if let continuation {
                continuation.resume(with: result.mapError { $0 as any Error })
            } else {
                logger.warning("response to an unknown request id \(id); ignored")
            }
            return nil
        case .request(let id, let method, let params):
            return startRequest(id: id, method: method, params: params, inBatch: inBatch)
        }
    }

    private func startRequest(id: RequestID, method: String, params: JSONValue?, inBatch: Bool) -> Reply {
        // Checks that answer at once, in order.
        let refusal: ResponseError? = state.withLock { state in
            if state.inFlight[id] != nil {
                return ResponseError(.invalidRequest, "request id \(id) is already in flight; ids must be unique")
            }
            if method == InitializeRequest.method {
                return state.initialized ? ResponseError(.invalidRequest, "the server is already initialized") : nil
            }
            if !state.initialized { return .notInitialized }
            if state.shutdownRequested {
                return ResponseError(.invalidRequest, "the server is shutting down: only 'exit' is accepted")
            }
            if state.handlers[method] == nil, Self.inlineRequests[method] == nil { return .methodNotFound(method) }
            return nil
        }
        if let refusal {
            countFailure()
            return .now(.response(id: id, result: .failure(refusal)))
        }
        let context = RequestContext(
            id: id, method: method, server: self,
            logger: logger,
            progress: ProgressReporter(token: Self.workDoneToken(params), send: { [weak self] in self?.send($0) })
        )
        if let inline = Self.inlineRequests[method] {
            // Lifecycle requests run on the reading thread, so later messages see their effect.
            let result: Result<any Encodable & Sendable, ResponseError>
            do {
                result = .success(try inline(self, params))
            } catch let error as ResponseError {
                result = .failure(error)
            } catch {
                result = .failure(ResponseError(.internalError, "\(method) failed: \(error)"))
            }
            count(result)
            return .now(.response(id: id, result: result))
        }
        guard let handler = state.withLock({ $0.handlers[method] }) else {
            return .now(.response(id: id, result: .failure(.methodNotFound(method))))
        }
        return state.withLock { state in
            let task = Task {
                let reply = await self.execute(id: id, method: method, params: params, handler: handler, context: context)
                self.state.withLock { _ = $0.inFlight.removeValue(forKey: id) }
                if !inBatch { self.send(reply) }
                return reply
            }
            state.inFlight[id] = task
            return .later(task)
        }
    }

    private func execute(
        id: RequestID, method: String, params: JSONValue?, handler: RequestHandler, context: RequestContext
    ) async -> OutgoingMessage {
        let result: Result<any Encodable & Sendable, ResponseError>
        do {
            let value = try await handler(params, context)
            result = Task.isCancelled ? .failure(.cancelled) : .success(value)
        } catch let error as ResponseError {
            result = .failure(error)
        } catch is CancellationError {
            result = .failure(.cancelled)
        } catch {
            logger.error("\(method) failed: \(error)")
            result = .failure(ResponseError(.internalError, "\(method) failed: \(error)"))
        }
        if case .failure(let error) = result {
            // Close progress the handler began but could not end (cancelled or failed).
            context.progress.end(error.code == .requestCancelled ? "cancelled" : "failed")
        }
        count(result)
        return .response(id: id, result: result)
    }

    private func count(_ result: Result<any Encodable & Sendable, ResponseError>) {
        state.withLock { state in
            switch result {
            case .success: state.served += 1
            case .failure(let error):
                state.failed += 1
                if error.code == .requestCancelled { state.cancelled += 1 }
            }
        }
    }

    private func countFailure() {
        state.withLock { $0.failed += 1 }
    }

    static func workDoneToken(_ params: JSONValue?) -> ProgressToken? {
        switch params?["workDoneToken"] {
        case .integer(let value)?: .number(value)
        case .string(let value)?: .string(value)
        default: nil
        }
    }

    // MARK: - Notifications (inline, in order)

    private func handleNotification(_ method: String, _ params: JSONValue?) {
        let initialized = state.withLock { $0.initialized }
        if method == ExitNotification.method {
            let code: Int32 = state.withLock { $0.shutdownRequested } ? 0 : 1
            if code != 0 { logger.warning("exit without shutdown: exiting with code 1") }
            state.withLock { $0.exitCode = code }
            return
        }
        guard initialized else {
            logger.warning("notification \(method) before initialize; ignored")
            return
        }
        do {
            switch method {
            case InitializedNotification.method:
                break
            case CancelRequestNotification.method:
                let notification: CancelRequestNotification = try Self.decodeParams(params)
                let task = state.withLock { $0.inFlight[notification.id] }
                if let task {
                    logger.debug("cancelling request \(notification.id)")
                    task.cancel()
                } else {
                    logger.debug("cancel for request \(notification.id), which is not running; ignored")
                }
            case DidOpenTextDocumentNotification.method:
                let notification: DidOpenTextDocumentNotification = try Self.decodeParams(params)
                let item = notification.textDocument
                documents.open(TextDocument(uri: item.uri, languageID: item.languageId, version: item.version, text: item.text))
                state.withLock { _ = $0.staleOverlays.insert(item.uri) }
            case DidChangeTextDocumentNotification.method:
                let notification: DidChangeTextDocumentNotification = try Self.decodeParams(params)
                try documents.change(
                    notification.textDocument.uri,
                    changes: notification.contentChanges.map(Self.textChange),
                    version: notification.textDocument.version
                )
                state.withLock { _ = $0.staleOverlays.insert(notification.textDocument.uri) }
            case DidCloseTextDocumentNotification.method:
                let notification: DidCloseTextDocumentNotification = try Self.decodeParams(params)
                state.withLock { _ = $0.staleOverlays.insert(notification.textDocument.uri) }
                if !documents.close(notification.textDocument.uri) {
                    logger.warning("didClose for a document that is not open: \(notification.textDocument.uri)")
                }
            default:
                logger.debug("unknown notification \(method); ignored")
            }
        } catch {
            logger.error("\(method): \(error)")
        }
    }

    static func textChange(_ event: TextDocumentContentChangeEvent) -> TextChange {
        TextChange(
            range: event.range.map {
                TextRange(
                    start: TextPosition(line: $0.start.line, character: $0.start.character),
                    end: TextPosition(line: $0.end.line, character: $0.end.character)
                )
            },
            text: event.text
        )
    }

    // MARK: - Output

    /// Writes one message; a message that cannot be encoded becomes an internal error reply.
    ///
    /// - Parameter message: The message.
    public func send(_ message: OutgoingMessage) {
        let body: [UInt8]
        do {
            body = try message.encodedBody()
        } catch {
            logger.error("could not encode a reply: \(error)")
            guard case .response(let id, _) = message else { return }
            send(.response(id: id, result: .failure(ResponseError(.internalError, "the reply could not be encoded: \(error)"))))
            return
        }
        if !connection.write(encodeFrame(body)) {
            logger.debug("output closed; message dropped")
        }
    }

    /// Sends a request to the client and waits for its answer (e.g. `workspace/applyEdit`).
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - params: Its parameters.
    /// - Returns: The client's result.
    /// - Throws: The client's `ResponseError`, an internal error when the connection closes, or
    ///   `CancellationError` when the waiting task is cancelled (the client's late answer is then ignored).
    public func sendRequest(_ method: String, params: some Encodable & Sendable) async throws -> JSONValue {
        let id: RequestID = state.withLock { state in
            state.nextOutgoingID += 1
            return RequestID.string("assist-\(state.nextOutgoingID)")
        }
        // Cancelling the waiting task stops the wait; a late answer is then logged and ignored.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let cancelled = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.pendingOutgoing[id] = continuation
                    return false
                }
                if cancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    send(.request(id: id, method: method, params: params))
                }
            }
        } onCancel: {
            state.withLock { $0.pendingOutgoing.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    // MARK: - Lifecycle and status

    private func initialize(_ request: InitializeRequest) throws -> InitializeResult {
        let root = Self.rootPath(of: request) ?? options.workingDirectory
        var repository: Repository?
        var repositoryError: String?
        do {
            repository = try Repository.open(at: root)
        } catch {
            repositoryError = error.description
            logger.warning("no repository: \(error)")
        }
        let repositoryRoot = repository?.workingDirectory ?? root
        let (configuration, diagnostics) = ConfigurationFiles.load(
            repositoryRoot: repositoryRoot, environment: options.environment, homeDirectory: options.homeDirectory,
            initializationOptions: request.initializationOptions
        )
        for diagnostic in diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "configuration: \(diagnostic)")
        }
        if let limit = configuration.integer("server.maxMessageBytes") {
            maxMessageBytes.store(limit, ordering: .relaxed)
        }
        let workspaceIndex = repository.flatMap { try? SwiftWorkspaceIndex(at: $0.workingDirectory ?? $0.gitDirectory) }
        state.withLock { state in
            state.initialized = true
            state.repository = repository
            state.repositoryError = repositoryError
            state.workspaceIndex = workspaceIndex
            state.configuration = configuration
            state.configurationDiagnostics = diagnostics
            state.clientEdits = ClientEditCapabilities(request.capabilities)
        }
        if let processId = request.processId, processId > 0 {
            watchParent(Int32(truncatingIfNeeded: processId))
        }
        logger.info("initialized", metadata: [
            "client": "\(request.clientInfo?.name ?? "unknown")", "root": "\(repositoryRoot)",
        ])
        let assistMethods = registeredRequestMethods.filter { $0.hasPrefix("assist/") }
        return InitializeResult(
            capabilities: ServerCapabilities(
                textDocumentSync: TextDocumentSyncOptions(openClose: true, change: 2),
                codeActionProvider: CodeActionOptions(codeActionKinds: AssistCodeActionKind.all),
                executeCommandProvider: ExecuteCommandOptions(commands: ExecuteCommandRequest.commands),
                workspaceSymbolProvider: true,
                experimental: AssistCapabilities(methods: assistMethods)
            ),
            serverInfo: ClientInfo(name: "assist", version: AssistVersion.current)
        )
    }

    // MARK: - Index

    /// The index, with every changed editor buffer applied as an overlay.
    func currentIndex() throws(ResponseError) -> (SwiftWorkspaceIndex, root: String) {
        let (index, repository, error, stale) = state.withLock { state in
            defer { state.staleOverlays.removeAll() }
            return (state.workspaceIndex, state.repository, state.repositoryError, state.staleOverlays)
        }
        guard let index, let repository else {
            throw ResponseError(.requestFailed, "no repository to index: \(error ?? "the workspace is not in a git repository")")
        }
        let root = repository.workingDirectory ?? repository.gitDirectory
        for uri in stale.sorted() {
            guard let path = Self.filePath(fromURI: uri), let relative = Self.relativePath(path, root: root),
                  relative.hasSuffix(".swift")
            else { continue }
            index.setOverlay(path: relative, text: documents.document(uri)?.text)
        }
        return (index, root)
    }

    private func indexStatus(refresh: Bool, progress: ProgressReporter) async throws -> IndexStatusResult {
        let (index, root) = try currentIndex()
        progress.begin(refresh ? "Indexing the repository" : "Reading the index")
        let summary = try await Self.offThePool { () throws(GitError) -> WorkspaceIndexSummary in
            let report: @Sendable (Int, Int) -> Void = { done, total in
                progress.report("\(done)/\(total) files", percentage: total == 0 ? 100 : done * 100 / total)
            }
            return refresh ? try index.refresh(progress: report) : try index.summary()
        }
        progress.end()
        return WireResults.index(summary, root: root)
    }

    private func workspaceSymbols(_ query: String) async throws -> [SymbolInformation] {
        let (index, root) = try currentIndex()
        let symbols = try await Self.offThePool { () throws(GitError) in try index.symbols(matching: query) }
        return symbols.map { symbol in
            let uri = URL(fileURLWithPath: root).appendingPathComponent(symbol.path).absoluteString
            let range = Range(
                start: Position(line: symbol.nameRange.start.line - 1, character: symbol.nameRange.start.utf16Column - 1),
                end: Position(line: symbol.nameRange.end.line - 1, character: symbol.nameRange.end.utf16Column - 1))
            return SymbolInformation(
                name: symbol.name, kind: Self.symbolKind(symbol.kind, containers: symbol.containers),
                location: Location(uri: uri, range: range),
                containerName: symbol.containers.isEmpty ? nil : symbol.containers.joined(separator: "."))
        }
    }

    // MARK: - Classification

    private func classify(_ request: ClassifyRequest) async throws -> ClassifyResult {
        let (index, root) = try currentIndex()
        var file: String?
        var text: String?
        if let uri = request.textDocument?.uri {
            guard let path = Self.filePath(fromURI: uri), let relative = Self.relativePath(path, root: root) else {
                throw ResponseError(.requestFailed, "\(uri) is not in the repository this daemon serves")
            }
            file = relative
            text = documents.document(uri)?.text
        }
        let selection: ClosedRange<Int>? = request.range.map { range in
            let start = range.start.line + 1
            // An end at column 0 of a later line selects up to the line before it.
            let end = range.end.character == 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1
            return start...max(start, end)
        }
        if selection != nil, file == nil { throw ResponseError.invalidParams("a range needs a textDocument") }
        let instruction = request.instruction
        let (documentPath, documentText) = (file, text)
        let classification = try await Self.offThePool { () throws(GitError) -> Classification in
            _ = try index.summary()
            let gatherer = RequestContextGatherer(index: index)
            let input = try gatherer.classificationRequest(
                instruction: instruction, file: documentPath, selection: selection, text: documentText)
            return Classifier.classify(input)
        }
        var result = WireResults.classification(classification)
        let runner = RoutedRequestRunner(setup: try await routingSetup())
        let gatherer = routingGatherer(index: index, root: root)
        let requestFile: RequestFile? = if let documentPath, let text = documentText ?? gatherer.readText(documentPath) {
            RequestFile(path: documentPath, text: text)
        } else {
            nil
        }
        let preview = try await Self.offThePool { () throws(GitError) in
            try runner.preview(
                instruction: instruction, classification: classification, file: requestFile, selection: selection,
                gatherer: gatherer)
        }
        result.route = WireResults.routePreview(preview.decision, promptTokens: preview.promptTokens)
        return result
    }

    // MARK: - Docstrings

    private func docstring(_ request: DocstringRequest, progress: ProgressReporter) async throws -> DocstringResult {
        let choices = [request.position != nil, request.symbol != nil, request.all == true].filter { $0 }.count
        guard choices == 1 else {
            throw ResponseError.invalidParams("give exactly one of position, symbol or all: true")
        }
        let input = try docstringInput(request.textDocument.uri)
        let selection: DocstringSelection = if let position = request.position {
            .line(position.line + 1)
        } else if let symbol = request.symbol {
            .symbol(symbol)
        } else {
            .allUndocumented
        }
        let (outcome, model) = try await writeDocstrings(input, selection: selection, model: request.model, progress: progress)
        return WireResults.docstring(outcome, model: model, uri: input.uri)
    }

    /// A Swift document of the served repository, as a docstring request sees it.
    struct DocstringInput: Sendable {
        var uri: String
        var path: String
        /// The path from the repository root.
        var relative: String
        var gitDirectory: String
        /// The editor's unsaved buffer when the document is open, else the file on disk.
        var text: String
        /// The open document's version; `nil` when the text came from disk.
        var version: Int?
    }

    /// Reads a document for a docstring request: it must be a Swift file inside the served
    /// repository (not in `.git/`); the editor's unsaved buffer wins over the file on disk.
    ///
    /// - Parameter uri: The document's URI.
    /// - Returns: The document's place and text.
    /// - Throws: `ResponseError` (request failed) saying why the document cannot be used.
    func docstringInput(_ uri: String) throws(ResponseError) -> DocstringInput {
        guard let path = Self.filePath(fromURI: uri), path.hasSuffix(".swift") else {
            throw ResponseError(.requestFailed, "not a Swift file URI: \(uri)")
        }
        guard let repository = state.withLock({ $0.repository }), let root = repository.workingDirectory,
              let relative = Self.relativePath(path, root: root)
        else {
            throw ResponseError(.requestFailed, "\(path) is not in the repository this daemon serves")
        }
        guard !relative.hasPrefix(".git/") else { throw ResponseError(.requestFailed, "refusing a file inside .git/") }
        if let document = documents.document(uri) {
            return DocstringInput(
                uri: uri, path: path, relative: relative, gitDirectory: repository.gitDirectory, text: document.text,
                version: document.version)
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ResponseError(.requestFailed, "cannot read \(path) as UTF-8")
        }
        return DocstringInput(uri: uri, path: path, relative: relative, gitDirectory: repository.gitDirectory, text: text)
    }

    /// Runs the docstring engine on a document, with progress.
    ///
    /// - Parameters:
    ///   - input: The document as read.
    ///   - selection: Which declarations.
    ///   - model: The local model's id, or `nil` for the default.
    ///   - progress: Where progress goes.
    /// - Returns: The engine's outcome and the model's identifier.
    /// - Throws: `ResponseError` when the selection names nothing or the model is unavailable.
    func writeDocstrings(
        _ input: DocstringInput, selection: DocstringSelection, model id: String?, progress: ProgressReporter
    ) async throws -> (DocstringOutcome, model: String) {
        let plan: DocstringPlan
        do {
            plan = try DocstringPlanner.plan(selection, source: input.text)
        } catch {
            throw ResponseError(.requestFailed, error.description)
        }
        let model = try await docstringModel(id)
        let engine = DocstringEngine(model: model, cache: DocstringCache(path: input.gitDirectory + "/assist/docstrings.json"))
        progress.begin("Writing doc comments")
        let outcome: DocstringOutcome
        do {
            outcome = try await engine.document(path: input.relative, plan: plan) { done, total in
                progress.report("\(done)/\(total) declarations", percentage: total == 0 ? 100 : done * 100 / total)
            }
        } catch let error as DocstringError {
            throw ResponseError(.requestFailed, error.description)
        }
        progress.end()
        return (outcome, model.identifier)
    }

    /// The served repository, or `nil` when the workspace is not in one.
    var servedRepository: Repository? { state.withLock { $0.repository } }

    /// The daemon's logger, for extensions in other files.
    var serverLogger: Logger { logger }

    /// What the client said it can do with `workspace/applyEdit`.
    var clientEditCapabilities: ClientEditCapabilities { state.withLock { $0.clientEdits } }

    /// The local model for docstrings, prepared once per id and kept for the daemon's life.
    func docstringModel(_ id: String?) async throws -> LocalDocstringModel {
        let wanted = id ?? LocalDocstringModel.defaultModelID
        if let model = state.withLock({ $0.docstringModels[wanted] }) { return model }
        let model: LocalDocstringModel
        do {
            model = try await LocalDocstringModel.prepare(
                modelID: id, configuration: configuration, environment: options.environment, homeDirectory: options.homeDirectory)
        } catch {
            throw ResponseError(.requestFailed, error.description)
        }
        return state.withLock { state in
            if let existing = state.docstringModels[wanted] { return existing }
            state.docstringModels[wanted] = model
            return model
        }
    }

    /// Runs blocking index work on a global queue, so it never holds a cooperative thread.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws(GitError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: ResponseError(.requestFailed, "the index could not read the repository: \(error)"))
                }
            }
        }
    }

    static func symbolKind(_ kind: SwiftDeclarationKind, containers: [String]) -> Int {
        switch kind {
        case .class, .actor: 5
        case .function: containers.isEmpty ? 12 : 6
        case .variable: containers.isEmpty ? 13 : 7
        case .constant: containers.isEmpty ? 14 : 7
        case .initializer, .deinitializer: 9
        case .enum: 10
        case .protocol: 11
        case .enumCase: 22
        case .struct: 23
        case .operator, .precedenceGroup: 25
        case .typeAlias, .associatedType: 26
        case .extension: 3
        case .subscript: 6
        case .macro: 12
        }
    }

    /// `path` relative to `root`, or `nil` when it is outside.
    static func relativePath(_ path: String, root: String) -> String? {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// Exits (code 1) when the client process is gone, as LSP asks: an editor that crashed must not
    /// leave its daemon behind.
    private func watchParent(_ pid: Int32) {
        let interval = options.parentCheckInterval
        Task { [weak self] in
            while let self {
                try? await Task.sleep(for: interval)
                if self.state.withLock({ $0.exitCode != nil }) { return }
                if kill(pid, 0) != 0, errno == ESRCH {
                    self.logger.warning("the client process \(pid) is gone; exiting")
                    self.finish()
                    self.options.terminate(1)
                    return
                }
            }
        }
    }

    /// The managed `llama-server`s this daemon started for docstrings (started or not yet).
    public var managedModelServers: [ManagedLlamaServer] {
        state.withLock { state in state.docstringModels.values.compactMap(\.server) }
    }

    /// The configuration in force (after `initialize`, the repository's and the client's included).
    public var configuration: Configuration { state.withLock { $0.configuration } }

    /// The repository served, if the workspace is in one.
    public var repository: Repository? { state.withLock { $0.repository } }

    private func status() throws -> StatusResult {
        let snapshot = state.withLock { state in
            (state.repository, state.repositoryError, RequestCounters(
                served: state.served, failed: state.failed, cancelled: state.cancelled, inFlight: state.inFlight.count))
        }
        var repositoryStatus: RepositoryStatus?
        var repositoryError = snapshot.1
        if let repository = snapshot.0 {
            do {
                let head = try repository.head()
                repositoryStatus = RepositoryStatus(
                    path: repository.workingDirectory ?? repository.gitDirectory,
                    gitDirectory: repository.gitDirectory, isBare: repository.isBare,
                    head: HeadStatus(oid: head.oid, branch: head.branch, detached: head.isDetached, unborn: head.isUnborn)
                )
            } catch {
                repositoryError = error.description
            }
        }
        let elapsed = ContinuousClock.now - startTime
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return StatusResult(
            version: AssistVersion.current, pid: Int(getpid()), uptimeSeconds: seconds,
            repository: repositoryStatus, repositoryError: repositoryError,
            counters: snapshot.2, openDocuments: documents.count
        )
    }

    /// The workspace root an `initialize` request names: `rootUri`, else the first folder, else `rootPath`.
    static func rootPath(of request: InitializeRequest) -> String? {
        if let uri = request.rootUri ?? request.workspaceFolders?.first?.uri, let path = filePath(fromURI: uri) {
            return path
        }
        return request.rootPath
    }

    /// The path of a `file://` URI, percent-decoded, or `nil` for other schemes.
    public static func filePath(fromURI uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return url.path(percentEncoded: false)
    }
}
