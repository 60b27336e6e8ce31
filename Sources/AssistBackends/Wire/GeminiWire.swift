import AssistCore

/// The Gemini `generateContent` / `streamGenerateContent` wire format.
enum GeminiWire {
    /// The body of both methods. Assistant messages have the role `model`; system messages go to
    /// `systemInstruction`.
    static func requestBody(_ request: ChatRequest) -> [UInt8] {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var body: [String: Any] = [
            "contents": request.messages.filter { $0.role != .system }.map {
                ["role": $0.role == .assistant ? "model" : "user", "parts": [["text": $0.content]]] as [String: Any]
            }
        ]
        if !system.isEmpty { body["systemInstruction"] = ["parts": [["text": system]]] }
        var generation: [String: Any] = [:]
        if let maxTokens = request.maxTokens { generation["maxOutputTokens"] = maxTokens }
        if let temperature = request.temperature { generation["temperature"] = temperature }
        if !request.stopSequences.isEmpty { generation["stopSequences"] = request.stopSequences }
        if case .jsonSchema(let schema)? = request.constraint {
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = JSON.value(schema) ?? [:]
        }
        if !generation.isEmpty { body["generationConfig"] = generation }
        return JSON.encode(body)
    }

    static func finishReason(_ text: String) -> FinishReason {
        switch text {
        case "STOP": return .stop
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII": return .contentFilter
        default: return .other(text)
        }
    }

    /// The error body `{"error": {"code": …, "message": …, "status": …}}`.
    static func error(_ object: [String: Any]) -> ServerErrorBody? {
        guard let error = object["error"] as? [String: Any] else { return nil }
        return ServerErrorBody(type: error["status"] as? String, message: error["message"] as? String ?? "an error without a message")
    }

    /// Decodes one `GenerateContentResponse`.
    /// - Returns: The text events, the usage if present, and the finish reason if present.
    static func decodeChunk(_ object: [String: Any]) throws(WireError) -> (text: [ChatEvent], usage: TokenUsage?, finish: FinishReason?) {
        if let error = error(object) { throw WireError(kind: .server, message: error.message) }
        var text: [ChatEvent] = []
        var finish: FinishReason?
        if let candidate = (object["candidates"] as? [[String: Any]])?.first {
            for part in (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? [] {
                if part["thought"] as? Bool == true { continue }
                if let value = part["text"] as? String, !value.isEmpty { text.append(.text(value)) }
            }
            if let reason = candidate["finishReason"] as? String { finish = finishReason(reason) }
        } else if let feedback = object["promptFeedback"] as? [String: Any], let reason = feedback["blockReason"] as? String {
            throw WireError(kind: .invalidRequest, message: "the prompt was blocked (\(reason))")
        }
        var usage: TokenUsage?
        if let metadata = object["usageMetadata"] as? [String: Any], let prompt = JSON.int(metadata["promptTokenCount"]) {
            let completion = (JSON.int(metadata["candidatesTokenCount"]) ?? 0) + (JSON.int(metadata["thoughtsTokenCount"]) ?? 0)
            usage = TokenUsage(promptTokens: prompt, completionTokens: completion, cachedPromptTokens: JSON.int(metadata["cachedContentTokenCount"]))
        }
        return (text, usage, finish)
    }

    /// Decodes a whole `generateContent` answer.
    static func decodeResponse(_ body: [UInt8]) throws(WireError) -> [ChatEvent] {
        guard let object = JSON.object(body) else { throw .malformed("a response that is not a JSON object") }
        let chunk = try decodeChunk(object)
        guard let finish = chunk.finish else { throw .malformed("a response without a finishReason") }
        return chunk.text + (chunk.usage.map { [.usage($0)] } ?? []) + [.finish(finish)]
    }
}

/// Decodes `streamGenerateContent?alt=sse`: each event's data is a `GenerateContentResponse`; the
/// stream has no end marker, so the answer is complete when a candidate has a `finishReason` and
/// the body ends. Usage is taken from the last chunk that has it.
struct GeminiStreamDecoder: ResponseDecoder {
    private var parser = SSEParser()
    private var usage: TokenUsage?
    private var finishReason: FinishReason?

    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent] {
        var events: [ChatEvent] = []
        for event in parser.feed(bytes) {
            guard let object = JSON.object(Array(event.data.utf8)) else {
                throw .malformed("a stream event whose data is not a JSON object")
            }
            let chunk = try GeminiWire.decodeChunk(object)
            events += chunk.text
            if let value = chunk.usage { usage = value }
            if let value = chunk.finish { finishReason = value }
        }
        return events
    }

    mutating func finish() throws(WireError) -> [ChatEvent] {
        guard let finishReason, !parser.hasPartialEvent else { throw .cut }
        return (usage.map { [.usage($0)] } ?? []) + [.finish(finishReason)]
    }
}
