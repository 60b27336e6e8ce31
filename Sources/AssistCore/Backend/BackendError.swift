/// A failure of a model backend, with a message a user can act on.
///
/// The message never contains an API key: backends redact their key from anything a server sends
/// back before it reaches an error.
public struct BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is; the router decides on this (retry, fail over, report).
    public enum Kind: Sendable, Equatable, Hashable {
        /// The key was refused (HTTP 401 or 403).
        case authentication
        /// Too many requests (HTTP 429), still so after the retries.
        case rateLimited
        /// The service is overloaded or unavailable (HTTP 503, Anthropic's 529), still so after the retries.
        case overloaded
        /// The request was refused as invalid (another 4xx); retrying cannot help.
        case invalidRequest
        /// The server failed (5xx).
        case server
        /// No connection could be made, or it was lost before the answer began.
        case connection
        /// The server did not answer, or stopped sending, within the timeout.
        case timeout
        /// The answer was cut before its end.
        case streamCut
        /// The server sent something that is not its documented format.
        case malformedResponse
        /// The backend cannot do what the request asks (for example a grammar constraint).
        case unsupported
        /// The backend is not configured (no key, no model, a bad URL).
        case configuration
        /// The request was cancelled.
        case cancelled
    }

    /// The kind of failure.
    public var kind: Kind
    /// The backend's name, for example `anthropic`.
    public var backend: String
    /// The HTTP status, when the server answered with one.
    public var status: Int?
    /// What went wrong, as a sentence without the backend's name.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - kind: The kind of failure.
    ///   - backend: The backend's name.
    ///   - status: The HTTP status, if any.
    ///   - message: What went wrong.
    public init(_ kind: Kind, backend: String, status: Int? = nil, message: String) {
        self.kind = kind
        self.backend = backend
        self.status = status
        self.message = message
    }

    /// The error as one line: `anthropic: HTTP 401: … check your key (ANTHROPIC_API_KEY)`.
    public var description: String {
        "\(backend): " + (status.map { "HTTP \($0): " } ?? "") + message
    }
}
