import AssistCore

/// The Anthropic Messages wire format.
enum AnthropicWire {
    /// The default `max_tokens`, which the API requires.
    static let defaultMaxTokens = 4096

    /// The body of `POST /v1/messages`. System messages go to the top-level `system` field.
    static func requestBody(_ request: ChatRequest, model: String) -> [UInt8] {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var body: [String: Any] = [
            "model": model,
            "max_tokens": request.maxTokens ?? defaultMaxTokens,
            "messages": request.messages.filter { $0.role != .system }.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": request.streaming,
        ]
        if !system.isEmpty { body["system"] = system }
        if let temperature = request.temperature { body["temperature"] = temperature }
        if !request.stopSequences.isEmpty { body["stop_sequences"] = request.stopSequences }
        return JSON.encode(body)
    }

    static func finishReason(_ text: String) -> FinishReason {
        switch text {
        case "end_turn": return .stop
        case "max_tokens": return .length
        case "stop_sequence": return .stopSequence
        case "refusal": return .contentFilter
        default: return .other(text)
        }
    }

    /// The error body `{"type": "error", "error": {"type": …, "message": …}}`.
    static func error(_ object: [String: Any]) -> ServerErrorBody? {
        guard let error = object["error"] as? [String: Any] else { return nil }
        return ServerErrorBody(type: error["type"] as? String, message: error["message"] as? String ?? "an error without a message")
    }

    /// The kind of an error the API names in its body.
    static func kind(ofErrorType type: String?) -> BackendError.Kind {
        switch type {
        case "overloaded_error": return .overloaded
        case "rate_limit_error": return .rateLimited
        case "authentication_error", "permission_error": return .authentication
        case "invalid_request_error", "not_found_error", "request_too_large": return .invalidRequest
        default: return .server
        }
    }

    /// Input tokens from a usage object: uncached, cache writes and cache reads together.
    static func promptTokens(_ usage: [String: Any]) -> (total: Int, cached: Int?)? {
        guard let input = JSON.int(usage["input_tokens"]) else { return nil }
        let read = JSON.int(usage["cache_read_input_tokens"])
        let created = JSON.int(usage["cache_creation_input_tokens"]) ?? 0
        return (input + (read ?? 0) + created, read)
    }

    /// Decodes a whole, non-streamed answer (a message object).
    static func decodeResponse(_ body: [UInt8]) throws(WireError) -> [ChatEvent] {
        guard let object = JSON.object(body) else { throw .malformed("a response that is not a JSON object") }
        if let error = error(object) { throw WireError(kind: kind(ofErrorType: error.type), message: error.message) }
        guard let content = object["content"] as? [[String: Any]] else { throw .malformed("a message without content") }
        var events: [ChatEvent] = []
        let text = content.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined()
        if !text.isEmpty { events.append(.text(text)) }
        if let usage = object["usage"] as? [String: Any], let prompt = promptTokens(usage),
            let output = JSON.int(usage["output_tokens"])
        {
            events.append(.usage(TokenUsage(promptTokens: prompt.total, completionTokens: output, cachedPromptTokens: prompt.cached)))
        }
        events.append(.finish(finishReason(object["stop_reason"] as? String ?? "end_turn")))
        return events
    }
}

/// Decodes an Anthropic Messages SSE stream: `message_start`, content block events,
/// `message_delta` (stop reason, output tokens), `message_stop`; `ping` is ignored and `error`
/// ends the stream with an error.
struct AnthropicStreamDecoder: ResponseDecoder {
    private var parser = SSEParser()
    private var prompt: (total: Int, cached: Int?)?
    private var outputTokens: Int?
    private var stopReason: FinishReason?
    private var stopped = false

    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent] {
        var events: [ChatEvent] = []
        for event in parser.feed(bytes) where !stopped {
            try events += decode(event)
        }
        return events
    }

    mutating func decode(_ event: SSEEvent) throws(WireError) -> [ChatEvent] {
        guard let object = JSON.object(Array(event.data.utf8)) else {
            throw .malformed("a stream event whose data is not a JSON object")
        }
        let type = object["type"] as? String ?? event.event ?? ""
        switch type {
        case "message_start":
            if let usage = (object["message"] as? [String: Any])?["usage"] as? [String: Any] {
                prompt = AnthropicWire.promptTokens(usage)
                outputTokens = JSON.int(usage["output_tokens"])
            }
            return []
        case "content_block_delta":
            guard let delta = object["delta"] as? [String: Any] else { throw .malformed("a content_block_delta without delta") }
            if delta["type"] as? String == "text_delta", let text = delta["text"] as? String, !text.isEmpty {
                return [.text(text)]
            }
            return []
        case "message_delta":
            if let reason = (object["delta"] as? [String: Any])?["stop_reason"] as? String {
                stopReason = AnthropicWire.finishReason(reason)
            }
            if let usage = object["usage"] as? [String: Any] {
                if let output = JSON.int(usage["output_tokens"]) { outputTokens = output }
                if usage["input_tokens"] != nil, let total = AnthropicWire.promptTokens(usage) { prompt = total }
            }
            return []
        case "message_stop":
            stopped = true
            var events: [ChatEvent] = []
            if let prompt, let outputTokens {
                events.append(.usage(TokenUsage(promptTokens: prompt.total, completionTokens: outputTokens, cachedPromptTokens: prompt.cached)))
            }
            events.append(.finish(stopReason ?? .stop))
            return events
        case "error":
            let error = AnthropicWire.error(object) ?? ServerErrorBody(type: nil, message: "an error event without a message")
            throw WireError(kind: AnthropicWire.kind(ofErrorType: error.type), message: error.message)
        default:  // ping, content_block_start, content_block_stop, and event types added later
            return []
        }
    }

    mutating func finish() throws(WireError) -> [ChatEvent] {
        if !stopped { throw .cut }
        return []
    }
}
