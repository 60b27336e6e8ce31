import AssistCore
import Logging

/// A backend that speaks the Gemini API: `streamGenerateContent?alt=sse` and `generateContent`.
///
/// The key goes in the `x-goog-api-key` header, never in the URL. JSON-schema constraints go in
/// `generationConfig.responseJsonSchema`. The context window comes from the settings.
public struct GeminiBackend: ChatBackend {
    /// The context window used when the settings give none.
    public static let defaultContextWindow = 1_048_576

    /// The settings the backend was made with; `baseURL` is for example
    /// `https://generativelanguage.googleapis.com/v1beta`.
    public let settings: BackendSettings
    let transport: HTTPTransport

    /// Creates a backend.
    /// - Parameters:
    ///   - settings: The address, model, key and reliability settings.
    ///   - logger: Where the backend logs (never keys, headers or bodies).
    public init(settings: BackendSettings, logger: Logger = Logger(label: "assist.backend")) {
        self.settings = settings
        self.transport = HTTPTransport(settings: settings, logger: logger) { body in
            ErrorInterpretation(kind: nil, message: JSON.object(body).flatMap(GeminiWire.error)?.message)
        }
    }

    /// The backend's name.
    public var name: String { settings.name }
    /// The model asked for.
    public var model: String { settings.model }

    var headers: [(String, String)] { settings.apiKey.map { [("x-goog-api-key", $0)] } ?? [] }

    /// Answers a chat request; see ``ChatBackend/chat(_:)``.
    /// - Parameter request: The request.
    /// - Returns: The events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        if case .grammar? = request.constraint {
            return failed(transport.error(.unsupported, "grammar constraints are not supported; use a JSON schema"))
        }
        guard settings.apiKey != nil else {
            return failed(transport.error(.configuration, "no API key; check your key (\(settings.keySource))"))
        }
        let body = GeminiWire.requestBody(request)
        let model = settings.baseURL + "/models/" + settings.model
        if request.streaming {
            let call = HTTPCall(url: model + ":streamGenerateContent?alt=sse", headers: headers, body: body)
            return transport.stream(call, decoder: GeminiStreamDecoder())
        }
        let call = HTTPCall(url: model + ":generateContent", headers: headers, body: body)
        return transport.stream(call, decoder: WholeBodyDecoder(decode: GeminiWire.decodeResponse))
    }

    /// The configured capabilities; see ``ChatBackend/capabilities()``.
    /// - Returns: The context window from the settings, JSON schemas, prompt caching.
    public func capabilities() async throws -> BackendCapabilities {
        BackendCapabilities(contextWindow: settings.contextWindow ?? Self.defaultContextWindow, constraints: [.jsonSchema], promptCaching: true)
    }

    /// Estimates tokens (see ``TokenCount/estimate(_:)``).
    /// - Parameter text: The text.
    /// - Returns: The estimate.
    public func countTokens(_ text: String) async throws -> TokenCount { TokenCount.estimate(text) }

    /// Checks `GET models/{model}`.
    /// - Returns: The health.
    public func health() async -> BackendHealth {
        do {
            _ = try await transport.fetch(HTTPCall(method: .GET, url: settings.baseURL + "/models/" + settings.model, headers: headers), retries: false)
            return .available
        } catch {
            return .unavailable(reason: error.description)
        }
    }
}
