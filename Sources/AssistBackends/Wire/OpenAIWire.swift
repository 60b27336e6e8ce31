import AssistCore

/// The OpenAI Chat Completions wire format (llama.cpp `llama-server`, vLLM, LM Studio, OpenAI).
enum OpenAIWire {
    /// The body of `POST /v1/chat/completions`.
    /// - Parameters:
    ///   - grammarField: Whether a grammar goes in llama.cpp's `grammar` field (else it is dropped;
    ///     callers refuse such requests first).
    ///   - maxTokensField: `max_tokens` (servers) or `max_completion_tokens` (OpenAI's current name).
    static func requestBody(_ request: ChatRequest, model: String, grammarField: Bool, maxTokensField: String = "max_tokens") -> [UInt8] {
        var body: [String: Any] = [
            "model": model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": request.streaming,
        ]
        if request.streaming { body["stream_options"] = ["include_usage": true] }
        if let maxTokens = request.maxTokens { body[maxTokensField] = maxTokens }
        if let temperature = request.temperature { body["temperature"] = temperature }
        if !request.stopSequences.isEmpty { body["stop"] = request.stopSequences }
        switch request.constraint {
        case .grammar(let grammar)? where grammarField:
            body["grammar"] = grammar
        case .jsonSchema(let schema)?:
            body["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": "answer", "strict": true, "schema": JSON.value(schema) ?? [:]] as [String: Any],
            ]
        default:
            break
        }
        return JSON.encode(body)
    }

    static func finishReason(_ text: String) -> FinishReason {
        switch text {
        case "stop": return .stop
        case "length": return .length
        case "content_filter": return .contentFilter
        default: return .other(text)
        }
    }

    static func usage(_ value: Any?) -> TokenUsage? {
        guard let usage = value as? [String: Any], let prompt = JSON.int(usage["prompt_tokens"]),
            let completion = JSON.int(usage["completion_tokens"])
        else { return nil }
        let cached = JSON.int((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"])
        return TokenUsage(promptTokens: prompt, completionTokens: completion, cachedPromptTokens: cached)
    }

    /// The error object `{"error": {"message": …, "type": …}}` (or llama.cpp's same shape), if the JSON is one.
    static func error(_ object: [String: Any]) -> ServerErrorBody? {
        if let error = object["error"] as? [String: Any] {
            let message = error["message"] as? String ?? "an error without a message"
            return ServerErrorBody(type: error["type"] as? String ?? (error["code"] as? String), message: message)
        }
        if let message = object["error"] as? String { return ServerErrorBody(type: nil, message: message) }
        return nil
    }

    /// Decodes a whole, non-streamed answer.
    static func decodeResponse(_ body: [UInt8]) throws(WireError) -> [ChatEvent] {
        guard let object = JSON.object(body) else { throw .malformed("a response that is not a JSON object") }
        if let error = error(object) { throw WireError(kind: .server, message: error.message) }
        guard let choice = (object["choices"] as? [[String: Any]])?.first,
            let message = choice["message"] as? [String: Any]
        else { throw .malformed("a response without choices[0].message") }
        var events: [ChatEvent] = []
        if let content = message["content"] as? String, !content.isEmpty { events.append(.text(content)) }
        if let usage = usage(object["usage"]) { events.append(.usage(usage)) }
        events.append(.finish(finishReason(choice["finish_reason"] as? String ?? "stop")))
        return events
    }
}

/// Decodes an OpenAI Chat Completions SSE stream: `data: {chunk}` events, then `data: [DONE]`.
///
/// The finish reason arrives before the usage chunk on the wire; it is held back and sent last,
/// after the usage, when `[DONE]` arrives.
struct OpenAIStreamDecoder: ResponseDecoder {
    private var parser = SSEParser()
    private var finishReason: FinishReason?
    private var done = false

    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent] {
        var events: [ChatEvent] = []
        for event in parser.feed(bytes) where !done {
            try events += decode(event)
        }
        return events
    }

    mutating func decode(_ event: SSEEvent) throws(WireError) -> [ChatEvent] {
        if event.data == "[DONE]" {
            done = true
            guard let finishReason else { throw .cut }
            return [.finish(finishReason)]
        }
        guard let object = JSON.object(Array(event.data.utf8)) else {
            throw .malformed("a stream event whose data is not a JSON object")
        }
        if let error = OpenAIWire.error(object) { throw WireError(kind: .server, message: error.message) }
        var events: [ChatEvent] = []
        for choice in object["choices"] as? [[String: Any]] ?? [] {
            if let content = (choice["delta"] as? [String: Any])?["content"] as? String, !content.isEmpty {
                events.append(.text(content))
            }
            if let reason = choice["finish_reason"] as? String { finishReason = OpenAIWire.finishReason(reason) }
        }
        if let usage = OpenAIWire.usage(object["usage"]) { events.append(.usage(usage)) }
        return events
    }

    mutating func finish() throws(WireError) -> [ChatEvent] {
        if !done { throw .cut }
        return []
    }
}
