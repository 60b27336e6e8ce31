/// Who wrote a message of a chat.
public enum ChatRole: String, Sendable, Equatable, Hashable {
    /// Instructions that frame the whole conversation.
    case system
    /// The developer's side of the conversation.
    case user
    /// The model's side of the conversation.
    case assistant
}

/// One message of a chat: a role and its text.
public struct ChatMessage: Sendable, Equatable {
    /// Who wrote the message.
    public var role: ChatRole
    /// The message's text.
    public var content: String

    /// Creates a message.
    /// - Parameters:
    ///   - role: Who wrote the message.
    ///   - content: The message's text.
    public init(role: ChatRole, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    /// - Parameter content: The instructions.
    /// - Returns: The message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }

    /// A user message.
    /// - Parameter content: The request.
    /// - Returns: The message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }

    /// An assistant message.
    /// - Parameter content: The model's earlier answer.
    /// - Returns: The message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// A kind of constraint on a model's output, as capabilities list them.
public enum OutputConstraintKind: String, Sendable, Equatable, Hashable, CaseIterable {
    /// A GBNF grammar (llama.cpp).
    case grammar
    /// A JSON schema.
    case jsonSchema
}

/// A constraint on the shape of a model's output.
public enum OutputConstraint: Sendable, Equatable {
    /// A GBNF grammar, as llama.cpp's `grammar` field takes it.
    case grammar(String)
    /// A JSON schema, as JSON text.
    case jsonSchema(String)

    /// The constraint's kind.
    public var kind: OutputConstraintKind {
        switch self {
        case .grammar: return .grammar
        case .jsonSchema: return .jsonSchema
        }
    }
}

/// A request to a chat model, in the core's terms; each backend turns it into its wire format.
public struct ChatRequest: Sendable, Equatable {
    /// The conversation so far; system messages first.
    public var messages: [ChatMessage]
    /// The most tokens the answer may have, or `nil` for the backend's default.
    public var maxTokens: Int?
    /// The sampling temperature, or `nil` for the backend's default.
    public var temperature: Double?
    /// Strings that end the answer when the model writes them.
    public var stopSequences: [String]
    /// A constraint on the answer's shape, or `nil` for free text. A backend that does not support
    /// the constraint's kind refuses the request rather than ignore it.
    public var constraint: OutputConstraint?
    /// Whether the answer is streamed as it is written (`true`) or sent whole (`false`); the events
    /// are the same either way.
    public var streaming: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - messages: The conversation so far.
    ///   - maxTokens: The most tokens the answer may have.
    ///   - temperature: The sampling temperature.
    ///   - stopSequences: Strings that end the answer.
    ///   - constraint: A constraint on the answer's shape.
    ///   - streaming: Whether the answer is streamed.
    public init(
        messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil,
        stopSequences: [String] = [], constraint: OutputConstraint? = nil, streaming: Bool = true
    ) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stopSequences = stopSequences
        self.constraint = constraint
        self.streaming = streaming
    }
}

/// Token counts of one answer.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt the model read, including any read from a prompt cache.
    public var promptTokens: Int
    /// Tokens the model wrote.
    public var completionTokens: Int
    /// Prompt tokens served from a prompt cache, when the backend says.
    public var cachedPromptTokens: Int?

    /// Creates a usage.
    /// - Parameters:
    ///   - promptTokens: Tokens of the prompt.
    ///   - completionTokens: Tokens written.
    ///   - cachedPromptTokens: Prompt tokens read from a cache, if known.
    public init(promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }

    /// Prompt and completion tokens together.
    public var totalTokens: Int { promptTokens + completionTokens }
}

/// Why a model stopped writing.
public enum FinishReason: Sendable, Equatable {
    /// The model ended its answer.
    case stop
    /// The answer reached the token limit.
    case length
    /// The model wrote one of the request's stop sequences.
    case stopSequence
    /// The backend withheld or cut the answer for safety.
    case contentFilter
    /// Another reason, as the backend names it.
    case other(String)
}

/// One event of a streamed answer.
public enum ChatEvent: Sendable, Equatable {
    /// More text of the answer.
    case text(String)
    /// The token counts of the answer; sent once, near the end, by backends that report usage.
    case usage(TokenUsage)
    /// Why the answer ended; the last content event of a complete answer.
    case finish(FinishReason)
}

/// What a backend can do, as the backend itself reports it where it can.
public struct BackendCapabilities: Sendable, Equatable {
    /// The context window in tokens (prompt and answer together).
    public var contextWindow: Int
    /// The output constraints the backend honours.
    public var constraints: Set<OutputConstraintKind>
    /// Whether the backend reuses work for a prompt prefix it has seen (prompt caching).
    public var promptCaching: Bool

    /// Creates capabilities.
    /// - Parameters:
    ///   - contextWindow: The context window in tokens.
    ///   - constraints: The output constraints honoured.
    ///   - promptCaching: Whether prompt prefixes are cached.
    public init(contextWindow: Int, constraints: Set<OutputConstraintKind>, promptCaching: Bool) {
        self.contextWindow = contextWindow
        self.constraints = constraints
        self.promptCaching = promptCaching
    }
}

/// A number of tokens, and whether the backend counted it or it is an estimate.
public struct TokenCount: Sendable, Equatable {
    /// The number of tokens.
    public var count: Int
    /// Whether the number is an estimate rather than the backend's tokenizer's count.
    public var isEstimate: Bool

    /// Creates a count.
    /// - Parameters:
    ///   - count: The number of tokens.
    ///   - isEstimate: Whether it is an estimate.
    public init(count: Int, isEstimate: Bool) {
        self.count = count
        self.isEstimate = isEstimate
    }

    /// An estimate of the tokens of a text for a backend that cannot count them: one token per four
    /// UTF-8 bytes, rounded up, which overestimates code and English slightly (safer for fitting a
    /// context window than underestimating).
    /// - Parameter text: The text.
    /// - Returns: The estimate.
    public static func estimate(_ text: String) -> TokenCount {
        TokenCount(count: (text.utf8.count + 3) / 4, isEstimate: true)
    }
}

/// The state of a backend, as a health check finds it.
public enum BackendHealth: Sendable, Equatable {
    /// The backend answered.
    case available
    /// The backend did not answer, or answered with an error; the reason says which.
    case unavailable(reason: String)
}

/// A model backend: a local server or a cloud API that answers chat requests.
///
/// Implementations live in `AssistBackends`; the core sees only this protocol and its values.
public protocol ChatBackend: Sendable {
    /// The backend's name for logs, accounting and routes, for example `anthropic`.
    var name: String { get }
    /// The model the backend asks for.
    var model: String { get }

    /// Answers a chat request as a stream of events.
    ///
    /// A complete answer is text events, then one ``ChatEvent/usage(_:)`` where the backend reports
    /// usage, then ``ChatEvent/finish(_:)`` last; an answer cut short ends with an error, never
    /// early without one, though the text received before the error has been yielded.
    /// Cancelling the task that consumes the stream (or dropping the stream) stops the request and
    /// closes its connection.
    /// - Parameter request: The request.
    /// - Returns: The events; the stream throws a ``BackendError``.
    func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error>

    /// Asks the backend what it can do.
    /// - Returns: The capabilities.
    /// - Throws: ``BackendError`` when the backend cannot be asked.
    func capabilities() async throws -> BackendCapabilities

    /// Counts the tokens of a text with the backend's tokenizer where it offers one, else estimates.
    /// - Parameter text: The text.
    /// - Returns: The count.
    /// - Throws: ``BackendError`` when the backend fails while counting.
    func countTokens(_ text: String) async throws -> TokenCount

    /// Checks whether the backend answers.
    /// - Returns: The backend's health.
    func health() async -> BackendHealth
}

extension ChatBackend {
    /// Runs a request and gathers the whole answer.
    /// - Parameter request: The request.
    /// - Returns: The text, the usage (if reported) and the finish reason.
    /// - Throws: ``BackendError`` when the request fails or the answer is cut short.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var completion = ChatCompletion(text: "", usage: nil, finishReason: nil)
        for try await event in chat(request) {
            switch event {
            case .text(let text): completion.text += text
            case .usage(let usage): completion.usage = usage
            case .finish(let reason): completion.finishReason = reason
            }
        }
        return completion
    }
}

/// A whole answer, gathered from a stream of events.
public struct ChatCompletion: Sendable, Equatable {
    /// The answer's text.
    public var text: String
    /// The token counts, when the backend reported them.
    public var usage: TokenUsage?
    /// Why the answer ended.
    public var finishReason: FinishReason?

    /// Creates a completion.
    /// - Parameters:
    ///   - text: The answer's text.
    ///   - usage: The token counts.
    ///   - finishReason: Why the answer ended.
    public init(text: String, usage: TokenUsage?, finishReason: FinishReason?) {
        self.text = text
        self.usage = usage
        self.finishReason = finishReason
    }
}
