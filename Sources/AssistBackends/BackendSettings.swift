import AssistCore

/// How to reach one backend and how to treat it: address, model, key and reliability settings.
///
/// ``description`` never shows the key.
public struct BackendSettings: Sendable, CustomStringConvertible {
    /// The backend's name in logs, errors and accounting, for example `anthropic`.
    public var name: String
    /// The base URL, for example `https://api.anthropic.com` or `http://127.0.0.1:8080/v1`.
    public var baseURL: String
    /// The model the backend asks for.
    public var model: String
    /// The API key, or `nil` for a server that needs none.
    public var apiKey: String?
    /// Where the key is set, named in "check your key" messages, for example `ANTHROPIC_API_KEY`.
    public var keySource: String
    /// How long to wait for a connection.
    public var connectTimeout: Duration
    /// How long to wait for the first byte of an answer, and between bytes after it.
    public var readTimeout: Duration
    /// When and how to retry.
    public var retry: RetryPolicy
    /// The most requests at once against this backend.
    public var maxConcurrentRequests: Int
    /// The context window in tokens, for a backend that cannot be asked (cloud), or the window to
    /// use (Ollama's `num_ctx`); `nil` to ask the server.
    public var contextWindow: Int?
    /// How long the server keeps the model loaded after a request, in seconds (Ollama's
    /// `keep_alive`); `nil` leaves it to the server.
    public var keepAliveSeconds: Int?

    /// Creates settings.
    /// - Parameters:
    ///   - name: The backend's name.
    ///   - baseURL: The base URL.
    ///   - model: The model.
    ///   - apiKey: The API key, if any.
    ///   - keySource: Where the key is set, for messages.
    ///   - connectTimeout: How long to wait for a connection.
    ///   - readTimeout: How long to wait for the first byte and between bytes.
    ///   - retry: When and how to retry.
    ///   - maxConcurrentRequests: The most requests at once.
    ///   - contextWindow: The configured context window, if any.
    ///   - keepAliveSeconds: How long the server keeps the model loaded, if it is told.
    public init(
        name: String, baseURL: String, model: String, apiKey: String? = nil, keySource: String = "the API key",
        connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
        maxConcurrentRequests: Int = 4, contextWindow: Int? = nil, keepAliveSeconds: Int? = nil
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.keySource = keySource
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.retry = retry
        self.maxConcurrentRequests = maxConcurrentRequests
        self.contextWindow = contextWindow
        self.keepAliveSeconds = keepAliveSeconds
    }

    /// The settings in words, the key shown only as set or unset.
    public var description: String {
        "\(name) \(baseURL) model \(model), key \(apiKey == nil ? "unset" : "set")"
    }
}
