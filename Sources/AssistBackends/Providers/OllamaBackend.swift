import AssistCore
import Logging
import Synchronization

/// The context lengths `/api/show` gave, by server and model, for the life of the process.
private let knownLengths = Mutex<[String: Int]>([:])

/// A backend that speaks Ollama's native `/api/chat`, streamed as NDJSON.
///
/// Every request sets `options.num_ctx` to what its prompt and answer need: 8192, or the next
/// doubling that holds them (16384, 32768, …), capped at the model's context length from
/// `/api/show` and at `providers.ollama.contextWindow` when that is set. Ollama's own small
/// default never applies, and sizes come in steps so that Ollama does not reload the model for
/// every prompt. `keep_alive` is sent when the settings have one. JSON-schema constraints go in
/// `format`; grammars are not supported. A model Ollama does not have is a configuration error
/// that names `ollama pull`.
public struct OllamaBackend: ChatBackend {
    /// The smallest `num_ctx` sent (when the model allows it), and the window assumed when
    /// `/api/show` gives no context length.
    public static let defaultContextWindow = 8192

    /// The settings the backend was made with; `baseURL` is for example `http://127.0.0.1:11434`.
    public let settings: BackendSettings
    let transport: HTTPTransport

    /// Creates a backend.
    /// - Parameters:
    ///   - settings: The address, model, keep-alive and reliability settings.
    ///   - logger: Where the backend logs.
    public init(settings: BackendSettings, logger: Logger = Logger(label: "assist.backend")) {
        self.settings = settings
        let model = settings.model
        self.transport = HTTPTransport(settings: settings, logger: logger) { body in
            Self.interpret(body, model: model)
        }
    }

    /// Reads an error body: `{"error": "…"}`; a missing model is a configuration error that says
    /// how to get it.
    static func interpret(_ body: [UInt8], model: String) -> ErrorInterpretation {
        guard let message = JSON.object(body)?["error"] as? String else { return ErrorInterpretation(kind: nil, message: nil) }
        if message.contains("not found") {
            return ErrorInterpretation(kind: .configuration, message: "\(message); run `ollama pull \(model)`")
        }
        return ErrorInterpretation(kind: nil, message: message)
    }

    /// The backend's name.
    public var name: String { settings.name }
    /// The model asked for.
    public var model: String { settings.model }

    var headers: [(String, String)] { settings.apiKey.map { [("authorization", "Bearer \($0)")] } ?? [] }

    /// The `num_ctx` for a request that needs `needed` tokens: the smallest of 8192, 16384, … that
    /// holds it, at most `cap`.
    /// - Parameters:
    ///   - needed: The prompt's tokens and the answer's limit.
    ///   - cap: The largest window allowed (the model's length, or the configured window).
    /// - Returns: The window to send.
    public static func numCtx(needed: Int, cap: Int) -> Int {
        var size = min(defaultContextWindow, cap)
        while size < needed, size < cap { size = min(size * 2, cap) }
        return size
    }

    /// The largest window a request may use: the model's length, lowered to the configured window.
    func cap(modelLength: Int) -> Int {
        min(modelLength, settings.contextWindow ?? modelLength)
    }

    /// Answers a chat request; see ``ChatBackend/chat(_:)``. Asks `/api/show` first, once per
    /// process and model, for the model's context length.
    /// - Parameter request: The request.
    /// - Returns: The events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        if case .grammar? = request.constraint {
            return failed(transport.error(.unsupported, "grammar constraints are not supported; use a JSON schema"))
        }
        let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
        let backend = self
        let task = Task {
            do {
                let cap = backend.cap(modelLength: try await backend.modelLength())
                let prompt = request.messages.reduce(0) { $0 + TokenCount.estimate($1.content).count + 8 }
                guard prompt <= cap else {
                    throw backend.transport.error(
                        .invalidRequest,
                        "the prompt needs about \(prompt) tokens, more than the \(cap) that \(backend.model) takes (num_ctx); ask about less code")
                }
                let numCtx = Self.numCtx(needed: prompt + (request.maxTokens ?? 1024), cap: cap)
                let call = HTTPCall(
                    url: backend.settings.baseURL + "/api/chat", headers: backend.headers,
                    body: OllamaWire.requestBody(request, model: backend.model, contextWindow: numCtx, keepAlive: backend.settings.keepAliveSeconds))
                let events = request.streaming
                    ? backend.transport.stream(call, decoder: OllamaStreamDecoder())
                    : backend.transport.stream(call, decoder: WholeBodyDecoder { body throws(WireError) in
                        let decoded = try OllamaWire.decodeLine(body)
                        guard decoded.done else { throw WireError.cut }
                        return decoded.events
                    })
                for try await event in events { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The model's context length from `/api/show` (`model_info`'s `<architecture>.context_length`),
    /// asked once per process; ``defaultContextWindow`` when the server does not say.
    /// - Throws: ``BackendError``: the server cannot be reached, or it has no such model (a
    ///   configuration error naming `ollama pull`).
    func modelLength() async throws(BackendError) -> Int {
        let key = "\(settings.baseURL) \(settings.model)"
        if let known = knownLengths.withLock({ $0[key] }) { return known }
        let body = try await transport.fetch(HTTPCall(url: settings.baseURL + "/api/show", headers: headers, body: JSON.encode(["model": settings.model])))
        let length = OllamaWire.contextLength(fromShow: body) ?? Self.defaultContextWindow
        knownLengths.withLock { $0[key] = length }
        return length
    }

    /// The window requests may use; see ``ChatBackend/capabilities()``.
    /// - Returns: The model's length from `/api/show`, lowered to `providers.ollama.contextWindow` when set.
    /// - Throws: ``BackendError`` when the server cannot be asked or has no such model.
    public func capabilities() async throws -> BackendCapabilities {
        BackendCapabilities(contextWindow: cap(modelLength: try await modelLength()), constraints: [.jsonSchema], promptCaching: true)
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
