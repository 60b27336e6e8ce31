import AssistCore
import Logging

/// A backend that speaks Ollama's `/api/chat`, streamed as NDJSON.
///
/// Every request sets `options.num_ctx`: the settings' context window (default 8192), lowered to
/// the model's own context length from `/api/show` once that has been asked for. JSON-schema
/// constraints go in `format`; grammars are not supported.
public struct OllamaBackend: ChatBackend {
    /// The `num_ctx` used when the settings give no context window.
    public static let defaultContextWindow = 8192

    /// The settings the backend was made with; `baseURL` is for example `http://127.0.0.1:11434`.
    public let settings: BackendSettings
    let transport: HTTPTransport

    /// Creates a backend.
    /// - Parameters:
    ///   - settings: The address, model and reliability settings.
    ///   - logger: Where the backend logs.
    public init(settings: BackendSettings, logger: Logger = Logger(label: "assist.backend")) {
        self.settings = settings
        self.transport = HTTPTransport(settings: settings, logger: logger) { body in
            ErrorInterpretation(kind: nil, message: JSON.object(body)?["error"] as? String)
        }
    }

    /// The backend's name.
    public var name: String { settings.name }
    /// The model asked for.
    public var model: String { settings.model }

    var headers: [(String, String)] { settings.apiKey.map { [("authorization", "Bearer \($0)")] } ?? [] }

    /// The window sent as `num_ctx`.
    public var contextWindow: Int { settings.contextWindow ?? Self.defaultContextWindow }

    /// Answers a chat request; see ``ChatBackend/chat(_:)``.
    /// - Parameter request: The request.
    /// - Returns: The events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        if case .grammar? = request.constraint {
            return failed(transport.error(.unsupported, "grammar constraints are not supported; use a JSON schema"))
        }
        let call = HTTPCall(
            url: settings.baseURL + "/api/chat", headers: headers,
            body: OllamaWire.requestBody(request, model: settings.model, contextWindow: contextWindow))
        if request.streaming {
            return transport.stream(call, decoder: OllamaStreamDecoder())
        }
        return transport.stream(call, decoder: WholeBodyDecoder { body throws(WireError) in
            let decoded = try OllamaWire.decodeLine(body)
            guard decoded.done else { throw WireError.cut }
            return decoded.events
        })
    }

    /// Asks `/api/show` for the model's context length; see ``ChatBackend/capabilities()``.
    /// - Returns: The smaller of the model's length and ``contextWindow`` (what is sent as `num_ctx`).
    /// - Throws: ``BackendError`` when the server cannot be asked or does not say.
    public func capabilities() async throws -> BackendCapabilities {
        let body = try await transport.fetch(HTTPCall(url: settings.baseURL + "/api/show", headers: headers, body: JSON.encode(["model": settings.model])))
        guard let length = OllamaWire.contextLength(fromShow: body) else {
            throw transport.error(.malformedResponse, "/api/show gave no model_info context_length for \(settings.model)")
        }
        return BackendCapabilities(contextWindow: min(length, contextWindow), constraints: [.jsonSchema], promptCaching: true)
    }

    /// Estimates tokens (Ollama has no tokenize endpoint).
    /// - Parameter text: The text.
    /// - Returns: The estimate.
    public func countTokens(_ text: String) async throws -> TokenCount { TokenCount.estimate(text) }

    /// Checks `GET /api/tags`.
    /// - Returns: The health.
    public func health() async -> BackendHealth {
        do {
            _ = try await transport.fetch(HTTPCall(method: .GET, url: settings.baseURL + "/api/tags", headers: headers), retries: false)
            return .available
        } catch {
            return .unavailable(reason: error.description)
        }
    }
}
