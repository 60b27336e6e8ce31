import AssistCore

/// The Ollama `/api/chat` wire format (NDJSON when streamed).
enum OllamaWire {
    /// The body of `POST /api/chat`; `options.num_ctx` is always set, because Ollama's small
    /// default window silently truncates long prompts; `keep_alive` (seconds) when given.
    static func requestBody(_ request: ChatRequest, model: String, contextWindow: Int, keepAlive: Int? = nil) -> [UInt8] {
        var options: [String: Any] = ["num_ctx": contextWindow]
        if let maxTokens = request.maxTokens { options["num_predict"] = maxTokens }
        if let temperature = request.temperature { options["temperature"] = temperature }
        if !request.stopSequences.isEmpty { options["stop"] = request.stopSequences }
        var body: [String: Any] = [
            "model": model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": request.streaming,
            "options": options,
        ]
        if let keepAlive { body["keep_alive"] = keepAlive }
        if case .jsonSchema(let schema)? = request.constraint { body["format"] = JSON.value(schema) ?? "json" }
        return JSON.encode(body)
    }

    static func finishReason(_ text: String?) -> FinishReason {
        switch text {
        case "stop"?, nil: return .stop
        case "length"?: return .length
        case let other?: return .other(other)
        }
    }

    /// Decodes one line (or a whole non-streamed answer, which has the shape of the last line).
    /// - Returns: The events, and whether the line is the last (`"done": true`).
    static func decodeLine(_ line: [UInt8]) throws(WireError) -> (events: [ChatEvent], done: Bool) {
        guard let object = JSON.object(line) else { throw .malformed("a line that is not a JSON object") }
        if let message = object["error"] as? String { throw WireError(kind: .server, message: message) }
        var events: [ChatEvent] = []
        if let content = (object["message"] as? [String: Any])?["content"] as? String, !content.isEmpty {
            events.append(.text(content))
        }
        guard object["done"] as? Bool == true else { return (events, false) }
        if let prompt = JSON.int(object["prompt_eval_count"]), let completion = JSON.int(object["eval_count"]) {
            events.append(.usage(TokenUsage(promptTokens: prompt, completionTokens: completion)))
        }
        events.append(.finish(finishReason(object["done_reason"] as? String)))
        return (events, true)
    }

    /// The context length in `/api/show`'s `model_info` (`<architecture>.context_length`).
    static func contextLength(fromShow body: [UInt8]) -> Int? {
        guard let info = JSON.object(body)?["model_info"] as? [String: Any] else { return nil }
        return info.first { $0.key.hasSuffix(".context_length") }.flatMap { JSON.int($0.value) }
    }
}

/// Decodes Ollama's NDJSON stream; the answer is complete at the line with `"done": true`.
struct OllamaStreamDecoder: ResponseDecoder {
    private var splitter = NDJSONSplitter()
    private var done = false

    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent] {
        var events: [ChatEvent] = []
        for line in splitter.feed(bytes) where !done {
            let decoded = try OllamaWire.decodeLine(line)
            events += decoded.events
            done = decoded.done
        }
        return events
    }

    mutating func finish() throws(WireError) -> [ChatEvent] {
        var events: [ChatEvent] = []
        if !done, let line = splitter.finish() {
            let decoded = try OllamaWire.decodeLine(line)
            events = decoded.events
            done = decoded.done
        }
        if !done { throw .cut }
        return events
    }
}
