import AssistBackends
import AssistCore
import AssistDocstrings
import AssistLocalModel
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The local model behind docstrings, refactors and questions: Ollama with
/// `routing.localProvider = "ollama"`; an OpenAI-compatible server at
/// `providers.local.baseURL` when one is configured; else the user's shared model host
/// (``ModelHost``: one `llama-server` per model that outlives this process and stops after
/// `local.keepAliveSeconds` idle) when this process is the `assist` executable; else, and with
/// `local.keepAliveSeconds = 0`, a managed `llama-server` of this process. Nothing starts before
/// the first prompt (a request answered from the cache starts nothing); a dead server is started again.
public final class LocalModel: DocstringModel, @unchecked Sendable {
    /// Where the model runs.
    public enum Source: Sendable {
        /// The managed `llama-server` with an installed model.
        case managed(LocalModelSpec, ManagedLlamaServer)
        /// A server the user runs, from the configuration.
        case configured(BackendSettings)
        /// The user's shared model host.
        case hosted(LocalModelSpec, ModelHost)
        /// An Ollama server (`routing.localProvider = "ollama"`), with the requests to keep in flight.
        case ollama(BackendSettings, parallel: Int)
    }

    /// The `assist` executable this process runs, set once by the command-line entry point. With
    /// it, the managed model runs in the shared host; without it (a library, a test process), in
    /// this process.
    public static var hostExecutable: URL? {
        get { executable.withLock { $0 } }
        set { executable.withLock { $0 = newValue } }
    }

    private static let executable = Mutex<URL?>(nil)

    private static let logger = Logger(label: "assist.local-model")

    public let source: Source
    /// Guards `model`: the chat client and the base URL it talks to, made on first use.
    private let lock = NSLock()
    private var model: (baseURL: String, chat: ChatBackendModel)?

    private init(source: Source) {
        self.source = source
    }

    /// The managed server, or `nil` when the configured endpoint is used.
    public var server: ManagedLlamaServer? {
        if case .managed(_, let server) = source { return server }
        return nil
    }

    public var identifier: String {
        switch source {
        case .managed(let spec, _), .hosted(let spec, _): "local/\(spec.id)"
        case .configured(let settings): "local/\(settings.model)"
        case .ollama(let settings, _): "ollama/\(settings.model)"
        }
    }

    /// The shared host, or `nil` when the model runs elsewhere.
    public var host: ModelHost? {
        if case .hosted(_, let host) = source { return host }
        return nil
    }

    /// How many prompts to keep in flight: the host's slots, Ollama's `local.parallel`, else 1.
    public var parallelism: Int {
        switch source {
        case .hosted(_, let host): host.slots
        case .ollama(_, let parallel): parallel
        case .managed, .configured: 1
        }
    }

    /// The model used when none is named.
    public static let defaultModelID = "qwen2.5-coder-0.5b"

    /// Finds the model; starts nothing.
    ///
    /// - Parameters:
    ///   - modelID: With the managed server, `qwen2.5-coder-0.5b` (default) or `smollm2-135m`; with a
    ///     configured endpoint, the model name sent to it (default `providers.local.model`).
    ///   - configuration: The effective configuration; `routing.localProvider = "ollama"` there
    ///     selects Ollama, `providers.local.baseURL` a server the user runs instead of the managed
    ///     one. `nil` means the managed one.
    ///   - environment: The process environment (for the cache's location).
    ///   - homeDirectory: The user's home.
    /// - Returns: The model, ready to start on its first prompt.
    /// - Throws: `DocstringError` naming the install command when the managed model is missing.
    public static func prepare(
        modelID: String?, configuration: Configuration? = nil, environment: [String: String], homeDirectory: String
    ) async throws(DocstringError) -> LocalModel {
        // Seconds the model stays loaded without a request, and the prompts kept in flight.
        let keepAlive = max(0, configuration?.integer("local.keepAliveSeconds") ?? 600)
        let parallel = min(8, max(1, configuration?.integer("local.parallel") ?? 4))
        if let configuration, configuration.string("routing.localProvider") == "ollama" {
            do {
                var settings = try BackendFactory.settings(for: .ollama, configuration: configuration)
                if let modelID { settings.model = modelID }
                settings.keepAliveSeconds = keepAlive
                return LocalModel(source: .ollama(settings, parallel: min(parallel, settings.maxConcurrentRequests)))
            } catch {
                throw DocstringError("Ollama cannot be used as the local model: \(error)")
            }
        }
        if let configuration, let url = configuration.string("providers.local.baseURL"), !url.isEmpty {
            do {
                var settings = try BackendFactory.settings(for: .local, configuration: configuration)
                if let modelID { settings.model = modelID }
                return LocalModel(source: .configured(settings))
            } catch {
                throw DocstringError("the configured local model cannot be used: \(error)")
            }
        }
        let cache = LocalModelCache.default(environment: environment, homeDirectory: homeDirectory)
        let wanted = modelID ?? defaultModelID
        guard let spec = LocalModelSpec.all.first(where: { $0.id == wanted }) else {
            throw DocstringError("unknown model '\(wanted)'; choose \(LocalModelSpec.all.map(\.id).joined(separator: " or "))")
        }
        do {
            let installed = try await ManagedLlamaServer.Configuration.installed(in: cache, model: spec)
            if keepAlive > 0, let executable = hostExecutable {
                return LocalModel(source: .hosted(spec, ModelHost(cache: cache, model: spec, slots: parallel, keepAliveSeconds: keepAlive, executable: executable)))
            }
            return LocalModel(source: .managed(spec, ManagedLlamaServer(configuration: installed)))
        } catch {
            throw DocstringError("no model available (\(error)); install one with `assist model install`")
        }
    }

    /// Stops the managed server, if one was started; a configured endpoint is left alone.
    public func stop() async {
        await server?.stop()
    }

    /// Asks the model. With the managed server, a connection that fails before the answer began
    /// means the server died since the last prompt: it is started again and asked once more.
    public func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply {
        defer { host?.noteActivity() }
        do {
            let model = try await backend()
            host?.noteRequest()
            return try await model.complete(system: system, user: user, grammar: grammar, stop: stop)
        } catch let error as BackendError where error.kind == .connection {
            guard await serverWentAway() else { throw error }
            return try await backend().complete(system: system, user: user, grammar: grammar, stop: stop)
        }
    }

    /// After a connection failed before the answer began: whether the server may have died (then
    /// the next ``backend()`` finds or starts a live one).
    fileprivate func serverWentAway() async -> Bool {
        switch source {
        case .configured, .ollama: return false
        case .managed(_, let server):
            await server.waitUntilGone(for: .seconds(2))
            return true
        case .hosted:
            lock.withLock { model = nil }
            return true
        }
    }

    /// The chat model for this prompt. With the managed server, asks it for its endpoint each time,
    /// which starts it again if it died (on a new port), and remakes the client when the port moved.
    private func backend() async throws -> ChatBackendModel {
        switch source {
        case .configured(let settings):
            if let model = lock.withLock({ model }) { return model.chat }
            let made = ChatBackendModel(backend: BackendFactory.make(.local, settings: settings), useGrammar: true)
            lock.withLock { model = (settings.baseURL, made) }
            return made
        case .ollama(let settings, _):
            if let model = lock.withLock({ model }) { return model.chat }
            // Ollama takes no grammar: the answer is checked as every answer is, and rejected when invalid.
            let made = ChatBackendModel(backend: BackendFactory.make(.ollama, settings: settings), useGrammar: false)
            lock.withLock { model = (settings.baseURL, made) }
            return made
        case .managed(let spec, let server):
            let endpoint: ManagedLlamaServer.Endpoint
            do {
                endpoint = try await server.endpoint()
            } catch {
                throw DocstringError("the local model did not start: \(error)")
            }
            let baseURL = endpoint.baseURL.absoluteString
            if let model = lock.withLock({ model }), model.baseURL == baseURL { return model.chat }
            let settings = BackendSettings(
                name: "local", baseURL: baseURL, model: spec.id, apiKey: nil, keySource: "none",
                connectTimeout: .seconds(5), readTimeout: .seconds(300),
                retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(200), maxDelay: .seconds(2)),
                maxConcurrentRequests: 1, contextWindow: endpoint.contextWindow)
            let made = ChatBackendModel(backend: BackendFactory.make(.local, settings: settings), useGrammar: true)
            lock.withLock { model = (baseURL, made) }
            return made
        case .hosted(let spec, let host):
            if let model = lock.withLock({ model }) { return model.chat }
            let connection: ModelHost.Connection
            do {
                let startedBy = "assist \(CommandLine.arguments.dropFirst().first ?? "") (pid \(getpid()))"
                connection = try await host.connect(startedBy: startedBy) { Self.logger.notice("\($0)") }
            } catch {
                throw DocstringError("the local model host did not start: \(error)")
            }
            let settings = BackendSettings(
                name: "local", baseURL: connection.baseURL.absoluteString, model: spec.id, apiKey: connection.apiKey,
                keySource: "the model host's key (\(host.cache.runDirectory.path)/host.key)",
                connectTimeout: .seconds(5), readTimeout: .seconds(300),
                retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(200), maxDelay: .seconds(2)),
                maxConcurrentRequests: connection.record.slots, contextWindow: connection.record.contextWindow)
            let made = ChatBackendModel(backend: BackendFactory.make(.local, settings: settings), useGrammar: true)
            lock.withLock { model = (settings.baseURL, made) }
            return made
        }
    }
}

extension LocalModel {
    /// The context window before the server has started: the managed server's configured size, or
    /// what a configured server reports (`/props`; Ollama: `/api/show`), or `nil` when it cannot be asked.
    public func contextWindow() async -> Int? {
        switch source {
        case .managed(_, let server): return await server.configuration.contextSize
        case .hosted: return 8192
        case .configured(let settings):
            return try? await BackendFactory.make(.local, settings: settings).capabilities().contextWindow
        case .ollama(let settings, _):
            return try? await BackendFactory.make(.ollama, settings: settings).capabilities().contextWindow
        }
    }

    /// The model as a ``ChatBackend``, for refactors and questions: the same server, started
    /// on the first request and started again when it died.
    public var chatBackend: any ChatBackend { LocalModelChat(model: self) }

    fileprivate func currentBackend() async throws -> any ChatBackend {
        try await backend().backend
    }
}

/// ``LocalModel`` as a ``ChatBackend``: a connection that fails before any event means the
/// managed server died; it is started again and the request is sent once more.
struct LocalModelChat: ChatBackend {
    let local: LocalModel

    init(model: LocalModel) {
        local = model
    }

    var name: String { "local" }
    var model: String {
        switch local.source {
        case .managed(let spec, _), .hosted(let spec, _): spec.id
        case .configured(let settings), .ollama(let settings, _): settings.model
        }
    }

    func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
        let local = self.local
        let task = Task {
            var sentAny = false
            defer { local.host?.noteActivity() }
            do {
                do {
                    let backend = try await local.currentBackend()
                    local.host?.noteRequest()
                    for try await event in backend.chat(request) {
                        sentAny = true
                        continuation.yield(event)
                    }
                } catch let error as BackendError where error.kind == .connection && !sentAny {
                    guard await local.serverWentAway() else { throw error }
                    for try await event in try await local.currentBackend().chat(request) {
                        continuation.yield(event)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    func capabilities() async throws -> BackendCapabilities {
        try await local.currentBackend().capabilities()
    }

    func countTokens(_ text: String) async throws -> TokenCount {
        TokenCount.estimate(text)
    }

    func health() async -> BackendHealth {
        do {
            return try await local.currentBackend().health()
        } catch {
            return .unavailable(reason: "\(error)")
        }
    }
}
