import AssistCore
import AssistJSONRPC
import AssistProtocol
import AssistRequests
import Foundation
import Logging
import Synchronization

/// The daemon: reads frames, decodes JSON-RPC, runs requests concurrently, applies text sync in order.
///
/// Threading: `run()` owns the reading thread, which handles notifications and the lifecycle
/// requests inline, in arrival order; every other request runs in its own `Task`. All mutable state
/// lives in `state`, guarded by its mutex; documents are guarded by `DocumentStore`'s own.
public final class Server: Sendable {
    public typealias RequestHandler = @Sendable (JSONValue?, RequestContext) async throws -> any Encodable & Sendable

    struct State {
        var initialized = false
        var shutdownRequested = false
        var exitCode: Int32?
        var inFlight: [RequestID: Task<OutgoingMessage, Never>] = [:]
        var served = 0
        var failed = 0
        var cancelled = 0
        /// The served repository with its configuration, index and local models; `nil` before
        /// `initialize` or when the workspace is not in a repository (then `repositoryError` says why).
        var workspace: Workspace?
        var repositoryError: String?
        /// URIs of open documents changed since their overlay was last given to the index.
        var staleOverlays: Set<String> = []
        var configuration: Configuration
        var configurationDiagnostics: [ConfigDiagnostic] = []
        var handlers: [String: RequestHandler] = [:]
        var nextOutgoingID = 0
        var pendingOutgoing: [RequestID: CheckedContinuation<JSONValue, any Error>] = [:]
        /// What `initialize`'s client capabilities said about `workspace/applyEdit`.
        var clientEdits = ClientEditCapabilities()
        /// A background index refresh is running; what was asked for meanwhile: a whole refresh,
        /// or only some paths (saved or watched files).
        var refreshRunning = false
        var pendingRefresh: PendingRefresh?
        /// HEAD and the staging area are being watched.
        var watchingRepository = false
    }

    public let connection: FileDescriptorConnection
    public let options: ServerOptions
    public let documents = DocumentStore()
    /// Held while changed buffers are handed to the index, so a request that starts meanwhile
    /// waits for them instead of reading the index without them.
    let overlaySync = NSLock()
    let state: Mutex<State>
    let maxMessageBytes: Atomic<Int>
    let startTime = ContinuousClock.now
    let logger: Logger

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
            DidCloseTextDocumentNotification.method, DidSaveTextDocumentNotification.method,
            DidChangeWatchedFilesNotification.method,
        ].sorted()
    }

    private func registerBuiltins() {
        register(StatusRequest.self) { [unowned self] _, _ in try self.status() }
        registerRequests()
        registerCodeActions()
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

    func finish() {
        if let workspace = state.withLock({ $0.workspace }), !workspace.managedModelServers.isEmpty {
            let stopped = DispatchSemaphore(value: 0)
            Task {
                await workspace.stop()
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
        var result: Result<any Encodable & Sendable, ResponseError>
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
        if case .failure = result, Task.isCancelled {
            // Whatever error the work met once it was cancelled, the answer is that it was cancelled.
            result = .failure(.cancelled)
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
}
