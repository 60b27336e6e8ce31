import AssistBackends
import AssistCore
import AssistDocstrings
import AssistLocalModel
import Foundation

/// The local model behind `assist docstring`: the managed llama-server, started on the first
/// prompt (a request answered from the cache starts nothing), and a chat backend to it.
public final class LocalDocstringModel: DocstringModel, @unchecked Sendable {
    public let spec: LocalModelSpec
    public let configuration: ManagedLlamaServer.Configuration
    public let server: ManagedLlamaServer
    /// Guards `model`, made once on first use.
    private let lock = NSLock()
    private var model: ChatBackendModel?

    private init(spec: LocalModelSpec, configuration: ManagedLlamaServer.Configuration) {
        self.spec = spec
        self.configuration = configuration
        self.server = ManagedLlamaServer(configuration: configuration)
    }

    public var identifier: String { "local/\(spec.id)" }

    /// The model used when none is named.
    public static let defaultModelID = "qwen2.5-coder-0.5b"

    /// Finds the installed model; starts nothing.
    ///
    /// - Parameters:
    ///   - modelID: `qwen2.5-coder-0.5b` (default) or `smollm2-135m`.
    ///   - environment: The process environment (for the cache's location).
    ///   - homeDirectory: The user's home.
    /// - Returns: The model, ready to start on its first prompt.
    /// - Throws: `DocstringError` naming the install command when the model is missing.
    public static func prepare(modelID: String?, environment: [String: String], homeDirectory: String) async throws(DocstringError) -> LocalDocstringModel {
        let cache = LocalModelCache.default(environment: environment, homeDirectory: homeDirectory)
        let wanted = modelID ?? "qwen2.5-coder-0.5b"
        guard let spec = LocalModelSpec.all.first(where: { $0.id == wanted }) else {
            throw DocstringError("unknown model '\(wanted)'; choose \(LocalModelSpec.all.map(\.id).joined(separator: " or "))")
        }
        do {
            return LocalDocstringModel(spec: spec, configuration: try await ManagedLlamaServer.Configuration.installed(in: cache, model: spec))
        } catch {
            throw DocstringError("no model available (\(error)); install one with `assist model install`")
        }
    }

    public func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply {
        try await backend().complete(system: system, user: user, grammar: grammar, stop: stop)
    }

    private func backend() async throws -> ChatBackendModel {
        if let model = lock.withLock({ model }) { return model }
        let endpoint: ManagedLlamaServer.Endpoint
        do {
            endpoint = try await server.endpoint()
        } catch {
            throw DocstringError("the local model did not start: \(error)")
        }
        let settings = BackendSettings(
            name: "local", baseURL: endpoint.baseURL.absoluteString, model: spec.id, apiKey: nil, keySource: "none",
            connectTimeout: .seconds(5), readTimeout: .seconds(300),
            retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(200), maxDelay: .seconds(2)),
            maxConcurrentRequests: 1, contextWindow: endpoint.contextWindow)
        let made = ChatBackendModel(backend: BackendFactory.make(.local, settings: settings), useGrammar: true)
        lock.withLock { model = made }
        return made
    }
}

