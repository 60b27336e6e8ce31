import AssistCore
import Logging

/// A backend that speaks OpenAI Chat Completions: llama.cpp `llama-server`, vLLM, LM Studio, OpenAI.
///
/// Streams with SSE and `stream_options.include_usage`; a grammar constraint is sent in llama.cpp's
/// `grammar` field and a JSON schema as `response_format`. The context window is read from
/// llama.cpp's `/props` (`default_generation_settings.n_ctx`) or `/v1/models` (`meta.n_ctx`), else
/// taken from the settings; tokens are counted with `/tokenize` where the server offers it.
public struct OpenAICompatibleBackend: ChatBackend {
    /// Which variant of the format the server speaks.
    public enum Dialect: Sendable, Equatable {
        /// A local server (llama.cpp, vLLM, LM Studio): `max_tokens`, grammars in `grammar`.
        case server
        /// OpenAI's own API: `max_completion_tokens`, no grammars.
        case openAI
    }

    /// The settings the backend was made with.
    public let settings: BackendSettings
    /// Which variant of the format the server speaks.
    public let dialect: Dialect
    let transport: HTTPTransport

    /// Creates a backend.
    /// - Parameters:
    ///   - settings: The address, model, key and reliability settings; `baseURL` ends with `/v1`.
    ///   - dialect: Which variant of the format the server speaks.
    ///   - logger: Where the backend logs (never keys, headers or bodies).
    public init(settings: BackendSettings, dialect: Dialect = .server, logger: Logger = Logger(label: "assist.backend")) {
        self.settings = settings
        self.dialect = dialect
        self.transport = HTTPTransport(settings: settings, logger: logger) { body in
            let error = JSON.object(body).flatMap(OpenAIWire.error)
            return ErrorInterpretation(kind: nil, message: error?.message)
        }
    }

    /// The backend's name.
    public var name: String { settings.name }
    /// The model asked for.
    public var model: String { settings.model }

    /// The server's root: the base URL without a trailing `/v1`, where llama.cpp serves `/props`.
    var root: String {
        settings.baseURL.hasSuffix("/v1") ? String(settings.baseURL.dropLast(3)) : settings.baseURL
    }

    var headers: [(String, String)] {
        settings.apiKey.map { [("authorization", "Bearer \($0)")] } ?? []
    }

    /// Answers a chat request; see ``ChatBackend/chat(_:)``.
    /// - Parameter request: The request.
    /// - Returns: The events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        if dialect == .openAI, case .grammar? = request.constraint {
            return failed(transport.error(.unsupported, "grammar constraints are not supported; use a JSON schema"))
        }
        // llama-server closes the connection after a streamed answer although it announced
        // keep-alive; reusing it would fail the next request, so a streamed request asks for close.
        let connection: [(String, String)] = dialect == .server && request.streaming ? [("connection", "close")] : []
        let call = HTTPCall(
            url: settings.baseURL + "/chat/completions", headers: headers + connection,
            body: OpenAIWire.requestBody(
                request, model: settings.model, grammarField: dialect == .server,
                maxTokensField: dialect == .server ? "max_tokens" : "max_completion_tokens"))
        if request.streaming {
            return transport.stream(call, decoder: OpenAIStreamDecoder())
        }
        return transport.stream(call, decoder: WholeBodyDecoder(decode: OpenAIWire.decodeResponse))
    }

    /// Asks the server for its context window; see ``ChatBackend/capabilities()``.
    /// - Returns: The capabilities: llama.cpp honours grammars and JSON schemas and caches prompts.
    /// - Throws: ``BackendError`` when neither the server nor the settings give a context window.
    public func capabilities() async throws -> BackendCapabilities {
        if let body = try? await transport.fetch(HTTPCall(method: .GET, url: root + "/props", headers: headers), retries: false),
            let props = JSON.object(body)
        {
            let settingsObject = props["default_generation_settings"] as? [String: Any]
            if let context = JSON.int(settingsObject?["n_ctx"]) ?? JSON.int(props["n_ctx"]) {
                return BackendCapabilities(contextWindow: context, constraints: [.grammar, .jsonSchema], promptCaching: true)
            }
        }
        var lastError: BackendError?
        do {
            let body = try await transport.fetch(HTTPCall(method: .GET, url: settings.baseURL + "/models", headers: headers))
            let models = JSON.object(body)?["data"] as? [[String: Any]] ?? []
            let entry = models.first { $0["id"] as? String == settings.model } ?? models.first
            if let context = JSON.int((entry?["meta"] as? [String: Any])?["n_ctx"]) {
                return BackendCapabilities(contextWindow: context, constraints: [.grammar, .jsonSchema], promptCaching: true)
            }
        } catch {
            lastError = error
        }
        if let configured = settings.contextWindow {
            // OpenAI caches prompt prefixes by itself; an unknown server is not assumed to.
            return BackendCapabilities(contextWindow: configured, constraints: [.jsonSchema], promptCaching: dialect == .openAI)
        }
        throw lastError ?? transport.error(.configuration, "the server does not report its context window; set providers.\(settings.name).contextWindow")
    }

    /// Counts tokens with the server's `/tokenize`, or estimates when it has none.
    /// - Parameter text: The text.
    /// - Returns: The count.
    public func countTokens(_ text: String) async throws -> TokenCount {
        let call = HTTPCall(url: root + "/tokenize", headers: headers, body: JSON.encode(["content": text]))
        if let body = try? await transport.fetch(call, retries: false),
            let tokens = JSON.object(body)?["tokens"] as? [Any]
        {
            return TokenCount(count: tokens.count, isEstimate: false)
        }
        return TokenCount.estimate(text)
    }

    /// Checks `GET /v1/models`.
    /// - Returns: The health.
    public func health() async -> BackendHealth {
        do {
            _ = try await transport.fetch(HTTPCall(method: .GET, url: settings.baseURL + "/models", headers: headers), retries: false)
            return .available
        } catch {
            return .unavailable(reason: error.description)
        }
    }
}
