import AssistCore
import Logging
import Testing

@testable import AssistBackends

/// Error bodies of each provider's documented shape, turned into errors with clear messages.
@Suite struct ErrorMessageTests {
    static let cases: [(provider: ProviderName, status: Int, body: String, kind: BackendError.Kind, description: String)] = [
        (.anthropic, 401, #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#, .authentication,
         "anthropic: HTTP 401: the server refused the key: invalid x-api-key; check your key (ANTHROPIC_API_KEY)"),
        (.anthropic, 529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, .overloaded,
         "anthropic: HTTP 529: the service is overloaded or unavailable: Overloaded"),
        (.anthropic, 413, #"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#, .invalidRequest,
         "anthropic: HTTP 413: the request was refused: Request exceeds the maximum allowed number of bytes."),
        (.anthropic, 500, #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#, .server,
         "anthropic: HTTP 500: the server failed: Internal server error"),
        (.openai, 429, #"{"error":{"message":"Rate limit reached for gpt","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#, .rateLimited,
         "openai: HTTP 429: rate limited: Rate limit reached for gpt"),
        (.openai, 403, "", .authentication, "openai: HTTP 403: the server refused the key: Forbidden; check your key (ANTHROPIC_API_KEY)"),
        (.local, 400, #"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#, .invalidRequest,
         "local: HTTP 400: the request was refused: the request exceeds the available context size"),
        (.ollama, 404, #"{"error":"model \"qwen\" not found, try pulling it first"}"#, .configuration,
         "ollama: HTTP 404: the request was refused: model \"qwen\" not found, try pulling it first; run `ollama pull m`"),
        (.ollama, 500, #"{"error":"llama runner process has terminated: signal: killed"}"#, .server,
         "ollama: HTTP 500: the server failed: llama runner process has terminated: signal: killed"),
        (.gemini, 400, #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#, .invalidRequest,
         "gemini: HTTP 400: the request was refused: API key not valid. Please pass a valid API key."),
        (.gemini, 503, "<html>upstream unavailable</html>", .overloaded,
         "gemini: HTTP 503: the service is overloaded or unavailable: <html>upstream unavailable</html>"),
    ]

    @Test(arguments: cases.indices)
    func statusAndBodyBecomeAClearError(_ index: Int) {
        let item = Self.cases[index]
        let settings = BackendSettings(name: item.provider.rawValue, baseURL: "http://127.0.0.1:1", model: "m", keySource: "ANTHROPIC_API_KEY")
        let backend = BackendFactory.make(item.provider, settings: settings, logger: Logger(label: "test"))
        let transport: HTTPTransport
        switch backend {
        case let backend as OpenAICompatibleBackend: transport = backend.transport
        case let backend as AnthropicBackend: transport = backend.transport
        case let backend as OllamaBackend: transport = backend.transport
        case let backend as GeminiBackend: transport = backend.transport
        default:
            Issue.record("unknown backend type")
            return
        }
        let reason = item.status == 403 ? "Forbidden" : "x"
        let error = transport.statusError(item.status, reason: reason, body: Array(item.body.utf8))
        #expect(error.kind == item.kind)
        #expect(error.status == item.status)
        #expect(error.description == item.description)
    }
}
