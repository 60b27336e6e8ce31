import AssistBackends
import AssistCore
import AssistDocstrings
import AssistLocalModel
import Foundation

/// The local model behind docstrings, refactors and questions: an OpenAI-compatible server at
/// `providers.local.baseURL` when one is configured, else the managed `llama-server`, started on
/// the first prompt (a request answered from the cache starts nothing) and restarted if it died.
public final class LocalModel: DocstringModel, @unchecked Sendable {
    /// Where the model runs.
    public enum Source: Sendable {
        /// The managed `llama-server` with an installed model.
        case managed(LocalModelSpec, ManagedLlamaServer)
        /// A server the user runs, from the configuration.
        case configured(BackendSettings)
    }

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
        case .managed(let spec, _): "local/\(spec.id)"
        case .configured(let settings): "local/\(settings.model)"
        }
    }

    /// The model used when none is named.
    public static let defaultModelID = "qwen2.5-coder-0.5b"

    /// Finds the model; starts nothing.
    ///
    /// - Parameters:
    ///   - modelID: With the managed server, `qwen2.5-coder-0.5b` (default) or `smollm2-135m`; with a
    ///     configured endpoint, the model name sent to it (default `providers.local.model`).
    ///   - configuration: The effective configuration; `providers.local.baseURL` there selects a
    ///     server the user runs instead of the managed one. `nil` means the managed one.
    ///   - environment: The process environment (for the cache's location).
    ///   - homeDirectory: The user's home.
    /// - Returns: The model, ready to start on its first prompt.
    /// - Throws: `DocstringError` naming the install command when the managed model is missing.
    public static func prepare(
        modelID: String?, configuration: Configuration? = nil, environment: [String: String], homeDirectory: String
    ) async throws(DocstringError) -> LocalModel {
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
            let server = ManagedLlamaServer(configuration: try await ManagedLlamaServer.Configuration.installed(in: cache, model: spec))
            return LocalModel(source: .managed(spec, server))
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
        do {
            return try await backend().complete(system: system, user: user, grammar: grammar, stop: stop)
        } catch let error as BackendError where error.kind == .connection {
            guard let server else { throw error }
            await server.waitUntilGone(for: .seconds(2))
            return try await backend().complete(system: system, user: user, grammar: grammar, stop: stop)
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
        }
    }
}

extension LocalModel {
    /// The context window before the server has started: the managed server's configured size, or
    /// what a configured server reports (`/props`), or `nil` when it cannot be asked.
    public func contextWindow() async -> Int? {
        switch source {
        case .managed(_, let server): return await server.configuration.contextSize
        case .configured(let settings):
            return try? await BackendFactory.make(.local, settings: settings).capabilities().contextWindow
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
        case .managed(let spec, _): spec.id
        case .configured(let settings): settings.model
        }
    }

    func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
        let local = self.local
        let task = Task {
            var sentAny = false
            do {
                do {
                    for try await event in try await local.currentBackend().chat(request) {
                        sentAny = true
                        continuation.yield(event)
                    }
                } catch let error as BackendError where error.kind == .connection && !sentAny {
                    guard let server = local.server else { throw error }
                    await server.waitUntilGone(for: .seconds(2))
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
