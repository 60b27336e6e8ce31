import AssistCore
import Logging

/// A backend that speaks the Anthropic Messages API, streamed with SSE events.
///
/// Sends `x-api-key` and `anthropic-version: 2023-06-01`; retries 429, 503 and 529
/// (`overloaded_error`). The context window comes from the settings. Output constraints are not
/// supported: a request with one fails with ``BackendError/Kind/unsupported``.
public struct AnthropicBackend: ChatBackend {
    /// The API version sent in `anthropic-version`.
    public static let apiVersion = "2023-06-01"
    /// The context window used when the settings give none.
    public static let defaultContextWindow = 200_000

    /// The settings the backend was made with; `baseURL` is for example `https://api.anthropic.com`.
    public let settings: BackendSettings
    let transport: HTTPTransport

    /// Creates a backend.
    /// - Parameters:
    ///   - settings: The address, model, key and reliability settings.
    ///   - logger: Where the backend logs (never keys, headers or bodies).
    public init(settings: BackendSettings, logger: Logger = Logger(label: "assist.backend")) {
        self.settings = settings
        self.transport = HTTPTransport(settings: settings, logger: logger, retryStatuses: [429, 503, 529]) { body in
            let error = JSON.object(body).flatMap(AnthropicWire.error)
            return ErrorInterpretation(kind: error.map { AnthropicWire.kind(ofErrorType: $0.type) }, message: error?.message)
        }
    }

    /// The backend's name.
    public var name: String { settings.name }
    /// The model asked for.
    public var model: String { settings.model }

    var headers: [(String, String)] {
        [("anthropic-version", Self.apiVersion)] + (settings.apiKey.map { [("x-api-key", $0)] } ?? [])
    }

    /// Answers a chat request; see ``ChatBackend/chat(_:)``.
    /// - Parameter request: The request.
    /// - Returns: The events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        if let constraint = request.constraint {
            return failed(transport.error(.unsupported, "output constraints (\(constraint.kind.rawValue)) are not supported"))
        }
        guard settings.apiKey != nil else {
            return failed(transport.error(.configuration, "no API key; check your key (\(settings.keySource))"))
        }
        let call = HTTPCall(
            url: settings.baseURL + "/v1/messages", headers: headers,
            body: AnthropicWire.requestBody(request, model: settings.model))
        if request.streaming {
            return transport.stream(call, decoder: AnthropicStreamDecoder())
        }
        return transport.stream(call, decoder: WholeBodyDecoder(decode: AnthropicWire.decodeResponse))
    }

    /// The configured capabilities; see ``ChatBackend/capabilities()``.
    /// - Returns: The context window from the settings, no constraints, prompt caching.
    public func capabilities() async throws -> BackendCapabilities {
        BackendCapabilities(contextWindow: settings.contextWindow ?? Self.defaultContextWindow, constraints: [], promptCaching: true)
    }

    /// Estimates tokens (see ``TokenCount/estimate(_:)``).
    /// - Parameter text: The text.
    /// - Returns: The estimate.
    public func countTokens(_ text: String) async throws -> TokenCount { TokenCount.estimate(text) }

    /// Checks `GET /v1/models`, which needs a valid key.
    /// - Returns: The health.
    public func health() async -> BackendHealth {
        do {
            _ = try await transport.fetch(HTTPCall(method: .GET, url: settings.baseURL + "/v1/models", headers: headers), retries: false)
            return .available
        } catch {
            return .unavailable(reason: error.description)
        }
    }
}

/// A stream that fails at once.
func failed(_ error: BackendError) -> AsyncThrowingStream<ChatEvent, any Error> {
    AsyncThrowingStream { $0.finish(throwing: error) }
}
