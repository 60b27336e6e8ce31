import AssistBackends
import AssistCore
import AssistTestSupport
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Settings for a backend on a stand-in server, with short delays so that tests are quick.
func testSettings(
    _ server: StandInServer, name: String = "openai", path: String = "", key: String? = "test-key-123456",
    keySource: String = "OPENAI_API_KEY", retries: Int = 2, read: Duration = .seconds(60), maxDelay: Duration = .seconds(5),
    concurrency: Int = 4, contextWindow: Int? = nil
) -> BackendSettings {
    testSettings(
        baseURL: server.baseURL, name: name, path: path, key: key, keySource: keySource, retries: retries, read: read,
        maxDelay: maxDelay, concurrency: concurrency, contextWindow: contextWindow)
}

/// Settings for a backend at a base URL.
func testSettings(
    baseURL: String, name: String = "openai", path: String = "", key: String? = "test-key-123456",
    keySource: String = "OPENAI_API_KEY", retries: Int = 2, read: Duration = .seconds(60), maxDelay: Duration = .seconds(5),
    concurrency: Int = 4, contextWindow: Int? = nil
) -> BackendSettings {
    BackendSettings(
        name: name, baseURL: baseURL + path, model: "test-model", apiKey: key, keySource: keySource,
        connectTimeout: .seconds(30), readTimeout: read,
        retry: RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(10), maxDelay: maxDelay),
        maxConcurrentRequests: concurrency, contextWindow: contextWindow)
}

/// Runs a request to its end, returning the events before the end and the error, if any.
func collect(_ stream: AsyncThrowingStream<ChatEvent, any Error>) async -> (events: [ChatEvent], error: BackendError?) {
    var events: [ChatEvent] = []
    do {
        for try await event in stream { events.append(event) }
        return (events, nil)
    } catch let error as BackendError {
        return (events, error)
    } catch {
        return (events, BackendError(.server, backend: "?", message: "not a BackendError: \(error)"))
    }
}

/// A swift-log handler that keeps every line, metadata included, for assertions.
struct CapturingLogHandler: LogHandler {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    let sink: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        for (key, value) in event.metadata ?? [:] { all[key] = value }
        let line = "\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        sink.lines.withLock { $0.append(line) }
    }

    /// A logger at trace level writing to a new sink.
    static func logger() -> (Logger, Lines) {
        let sink = Lines()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(sink: sink) }
        return (logger, sink)
    }
}

/// SSE text for OpenAI chunks with the given contents, a finish chunk, a usage chunk and [DONE].
func openAIStream(_ parts: [String], prompt: Int = 10, completion: Int = 2) -> [String] {
    var events = parts.map { part in
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(part)\"},\"finish_reason\":null}]}\n\n"
    }
    events.append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
    events.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion)}}\n\n")
    events.append("data: [DONE]\n\n")
    return events
}

/// Anthropic's SSE events for an answer made of the given text deltas.
func anthropicStream(_ parts: [String]) -> [String] {
    var events = ["event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n"]
    events.append("event: ping\ndata: {\"type\":\"ping\"}\n\n")
    events += parts.map { "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\($0)\"}}\n\n" }
    events.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n")
    events.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    return events
}

/// Splits every piece in two at its middle byte, so that each event arrives in two TCP writes.
func splitInHalves(_ pieces: [String]) -> [String] {
    pieces.flatMap { piece -> [String] in
        let bytes = Array(piece.utf8)
        let middle = bytes.count / 2
        return [String(decoding: bytes[..<middle], as: UTF8.self), String(decoding: bytes[middle...], as: UTF8.self)]
    }
}

let hello = ChatRequest(messages: [.system("Be brief."), .user("Say hello")], maxTokens: 16, temperature: 0)

