import AssistCore
import AssistGit
import AssistJSONRPC
import AssistLocalModel
import AssistProtocol
import AssistRequests
import AssistWire
import Foundation

/// The lifecycle (`initialize`, the client's process, `assist/status`) and the notifications that
/// the reading thread applies in arrival order (text sync, cancel, exit).
extension Server {
    // MARK: - Notifications (inline, in order)

    func handleNotification(_ method: String, _ params: JSONValue?) {
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
                registerFileWatchers()
                watchRepository()
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
                    changes: notification.contentChanges.map(WireValues.textChange),
                    version: notification.textDocument.version
                )
                state.withLock { _ = $0.staleOverlays.insert(notification.textDocument.uri) }
            case DidSaveTextDocumentNotification.method:
                let notification: DidSaveTextDocumentNotification = try Self.decodeParams(params)
                scheduleRefresh("saved \(notification.textDocument.uri)", paths: changedPaths([notification.textDocument.uri]))
            case DidChangeWatchedFilesNotification.method:
                let notification: DidChangeWatchedFilesNotification = try Self.decodeParams(params)
                scheduleRefresh(
                    "\(notification.changes.count) watched files changed", paths: changedPaths(notification.changes.map(\.uri)))
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

    // MARK: - Lifecycle and status

    func initialize(_ request: InitializeRequest) throws -> InitializeResult {
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
        let (editorOptions, unsupported) = WireValues.configurationOptions(request.initializationOptions)
        var (configuration, diagnostics) = ConfigurationFiles.load(
            repositoryRoot: repositoryRoot, environment: options.environment, homeDirectory: options.homeDirectory,
            initializationOptions: editorOptions
        )
        diagnostics += unsupported.map {
            ConfigDiagnostic(
                severity: .error, location: .initializationOptions, key: $0,
                message: "unsupported value: expected a string, number, boolean or array of strings")
        }
        for diagnostic in diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "configuration: \(diagnostic)")
        }
        if let limit = configuration.integer("server.maxMessageBytes") {
            maxMessageBytes.store(limit, ordering: .relaxed)
        }
        let documents = self.documents
        let logger = self.logger
        let workspace = repository.map { repository in
            let root = repository.workingDirectory ?? repository.gitDirectory
            return Workspace(
                repository: repository, configuration: configuration, environment: options.environment,
                homeDirectory: options.homeDirectory,
                unsavedText: { path in documents.document(WireValues.uri(of: path, root: root))?.text },
                warn: { logger.warning("\($0)") })
        }
        state.withLock { state in
            state.initialized = true
            state.workspace = workspace
            state.repositoryError = repositoryError
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
                textDocumentSync: TextDocumentSyncOptions(openClose: true, change: 2, save: SaveOptions(includeText: false)),
                codeActionProvider: CodeActionOptions(codeActionKinds: AssistCodeActionKind.all, resolveProvider: true),
                executeCommandProvider: ExecuteCommandOptions(commands: ExecuteCommandRequest.commands),
                workspaceSymbolProvider: true,
                experimental: AssistCapabilities(methods: assistMethods)
            ),
            serverInfo: ClientInfo(name: "assist", version: AssistVersion.current)
        )
    }

    /// Exits (code 1) when the client process is gone, as LSP asks: an editor that crashed must not
    /// leave its daemon behind.
    func watchParent(_ pid: Int32) {
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

    /// The managed `llama-server`s this daemon prepared for its local models (started or not yet).
    public var managedModelServers: [ManagedLlamaServer] {
        state.withLock { $0.workspace }?.managedModelServers ?? []
    }

    /// The configuration in force (after `initialize`, the repository's and the client's included).
    public var configuration: Configuration { state.withLock { $0.configuration } }

    /// The repository served, if the workspace is in one.
    public var repository: Repository? { state.withLock { $0.workspace?.repository } }

    func status() throws -> StatusResult {
        let snapshot = state.withLock { state in
            (state.workspace?.repository, state.repositoryError, RequestCounters(
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
        if let uri = request.rootUri ?? request.workspaceFolders?.first?.uri, let path = WireValues.filePath(fromURI: uri) {
            return path
        }
        return request.rootPath
    }
}
