import AssistCore
import Foundation
import Testing

@testable import AssistBackends

/// Runs a decoder over a body fed in pieces of a given size.
func decode<D: ResponseDecoder>(_ decoder: D, _ body: String, pieceSize: Int = 1_000_000) -> Result<[ChatEvent], WireError> {
    var decoder = decoder
    var events: [ChatEvent] = []
    let bytes = Array(body.utf8)
    var start = 0
    do throws(WireError) {
        while start < bytes.count {
            events += try decoder.feed(Array(bytes[start..<min(bytes.count, start + pieceSize)]))
            start += pieceSize
        }
        events += try decoder.finish()
        return .success(events)
    } catch {
        return .failure(error)
    }
}

func object(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
}

@Suite struct OpenAIWireTests {
    /// A llama-server style stream: role chunk, content chunks, finish chunk, usage chunk, [DONE].
    static let stream = """
        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":8}}}

        data: [DONE]


        """

    static let expected: [ChatEvent] = [
        .text("Hel"), .text("lo"), .usage(TokenUsage(promptTokens: 12, completionTokens: 2, cachedPromptTokens: 8)), .finish(.length),
    ]

    @Test(arguments: [1, 7, 64, 1_000_000])
    func streamDecodes(pieceSize: Int) {
        #expect(decode(OpenAIStreamDecoder(), Self.stream, pieceSize: pieceSize) == .success(Self.expected))
    }

    @Test func streamWithoutDoneIsCut() {
        let cut = Self.stream.components(separatedBy: "data: [DONE]")[0]
        #expect(decode(OpenAIStreamDecoder(), cut) == .failure(.cut))
    }

    @Test func errorEventInStream() {
        let body = "data: {\"error\":{\"message\":\"context too long\",\"type\":\"exceed_context_size_error\"}}\n\n"
        #expect(decode(OpenAIStreamDecoder(), body) == .failure(WireError(kind: .server, message: "context too long")))
    }

    @Test func malformedEvent() {
        guard case .failure(let error) = decode(OpenAIStreamDecoder(), "data: {not json\n\n") else {
            Issue.record("malformed JSON was accepted")
            return
        }
        #expect(error.kind == .malformedResponse)
    }

    @Test func wholeResponse() throws {
        let body = """
            {"choices":[{"index":0,"message":{"role":"assistant","content":"/// Adds."},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8},"timings":{}}
            """
        #expect(try OpenAIWire.decodeResponse(Array(body.utf8)) == [.text("/// Adds."), .usage(TokenUsage(promptTokens: 5, completionTokens: 3)), .finish(.stop)])
        #expect(throws: WireError.self) { try OpenAIWire.decodeResponse(Array("{\"choices\":[]}".utf8)) }
    }

    @Test func requestBody() {
        let request = ChatRequest(
            messages: [.system("Be brief."), .user("Hi")], maxTokens: 32, temperature: 0, stopSequences: ["\n\n"],
            constraint: .grammar("root ::= \"a\""))
        let body = object(OpenAIWire.requestBody(request, model: "m", grammarField: true))
        #expect(body["model"] as? String == "m")
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["max_tokens"] as? Int == 32)
        #expect(body["stop"] as? [String] == ["\n\n"])
        #expect(body["grammar"] as? String == "root ::= \"a\"")
        #expect((body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["system", "user"])

        let schema = ChatRequest(messages: [.user("x")], constraint: .jsonSchema("{\"type\":\"object\"}"), streaming: false)
        let schemaBody = object(OpenAIWire.requestBody(schema, model: "m", grammarField: true))
        #expect(schemaBody["stream_options"] == nil)
        let format = schemaBody["response_format"] as? [String: Any]
        #expect(format?["type"] as? String == "json_schema")
        #expect(((format?["json_schema"] as? [String: Any])?["schema"] as? [String: Any])?["type"] as? String == "object")
    }
}

@Suite struct AnthropicWireTests {
    /// The documented event sequence, with a ping and content block start/stop.
    static let stream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":25,"cache_read_input_tokens":100,"cache_creation_input_tokens":0,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":15}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test(arguments: [1, 13, 1_000_000])
    func streamDecodes(pieceSize: Int) {
        #expect(
            decode(AnthropicStreamDecoder(), Self.stream, pieceSize: pieceSize)
                == .success([.text("Hello"), .text("!"), .usage(TokenUsage(promptTokens: 125, completionTokens: 15, cachedPromptTokens: 100)), .finish(.stopSequence)]))
    }

    @Test func streamWithoutMessageStopIsCut() {
        let cut = Self.stream.components(separatedBy: "event: message_stop")[0]
        #expect(decode(AnthropicStreamDecoder(), cut) == .failure(.cut))
    }

    @Test func overloadedErrorEvent() {
        let body = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
        #expect(decode(AnthropicStreamDecoder(), body) == .failure(WireError(kind: .overloaded, message: "Overloaded")))
    }

    @Test(arguments: [
        ("authentication_error", BackendError.Kind.authentication), ("permission_error", .authentication),
        ("rate_limit_error", .rateLimited), ("overloaded_error", .overloaded), ("invalid_request_error", .invalidRequest),
        ("api_error", .server),
    ])
    func errorTypes(type: String, kind: BackendError.Kind) {
        let body = Array("{\"type\":\"error\",\"error\":{\"type\":\"\(type)\",\"message\":\"m\"}}".utf8)
        let error = AnthropicWire.error(object(body))
        #expect(error == ServerErrorBody(type: type, message: "m"))
        #expect(AnthropicWire.kind(ofErrorType: error?.type) == kind)
    }

    @Test func requestBodyMovesSystemToTopLevel() {
        let request = ChatRequest(messages: [.system("Rules."), .user("Hi"), .assistant("Hello"), .user("More")], stopSequences: ["END"])
        let body = object(AnthropicWire.requestBody(request, model: "claude"))
        #expect(body["system"] as? String == "Rules.")
        #expect(body["max_tokens"] as? Int == AnthropicWire.defaultMaxTokens)
        #expect(body["stop_sequences"] as? [String] == ["END"])
        #expect((body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["user", "assistant", "user"])
    }

    @Test func wholeMessage() throws {
        let body = """
            {"id":"msg","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],
             "stop_reason":"max_tokens","usage":{"input_tokens":3,"output_tokens":9}}
            """
        #expect(try AnthropicWire.decodeResponse(Array(body.utf8)) == [.text("Hi"), .usage(TokenUsage(promptTokens: 3, completionTokens: 9, cachedPromptTokens: nil)), .finish(.length)])
    }
}

@Suite struct OllamaWireTests {
    static let stream = """
        {"model":"qwen","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"The"},"done":false}
        {"model":"qwen","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":" sky"},"done":false}
        {"model":"qwen","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":5,"prompt_eval_count":26,"eval_count":2}

        """

    @Test(arguments: [1, 10, 1_000_000])
    func streamDecodes(pieceSize: Int) {
        #expect(
            decode(OllamaStreamDecoder(), Self.stream, pieceSize: pieceSize)
                == .success([.text("The"), .text(" sky"), .usage(TokenUsage(promptTokens: 26, completionTokens: 2)), .finish(.stop)]))
    }

    @Test func lastLineWithoutNewlineCounts() {
        let trimmed = String(Self.stream.dropLast())
        #expect((try? decode(OllamaStreamDecoder(), trimmed).get().last) == .finish(.stop))
    }

    @Test func streamWithoutDoneIsCut() {
        let cut = Self.stream.split(separator: "\n").prefix(2).joined(separator: "\n") + "\n"
        #expect(decode(OllamaStreamDecoder(), cut) == .failure(.cut))
    }

    @Test func errorLine() {
        #expect(decode(OllamaStreamDecoder(), "{\"error\":\"model 'x' not found\"}\n") == .failure(WireError(kind: .server, message: "model 'x' not found")))
    }

    @Test func requestBodySetsNumCtx() {
        let request = ChatRequest(messages: [.user("Hi")], maxTokens: 10, temperature: 0.2, constraint: .jsonSchema("{\"type\":\"object\"}"))
        let body = object(OllamaWire.requestBody(request, model: "qwen", contextWindow: 16384))
        let options = body["options"] as? [String: Any]
        #expect(options?["num_ctx"] as? Int == 16384)
        #expect(options?["num_predict"] as? Int == 10)
        #expect((body["format"] as? [String: Any])?["type"] as? String == "object")
    }

    @Test func contextLengthFromShow() {
        let body = #"{"modelfile":"","model_info":{"general.architecture":"qwen2","qwen2.context_length":32768,"qwen2.embedding_length":896}}"#
        #expect(OllamaWire.contextLength(fromShow: Array(body.utf8)) == 32768)
        #expect(OllamaWire.contextLength(fromShow: Array("{}".utf8)) == nil)
    }
}

@Suite struct GeminiWireTests {
    static let stream = """
        data: {"candidates": [{"content": {"parts": [{"text": "Once"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini"}

        data: {"candidates": [{"content": {"parts": [{"text": " upon"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 2,"totalTokenCount": 10,"cachedContentTokenCount": 4}}


        """

    @Test(arguments: [1, 9, 1_000_000])
    func streamDecodes(pieceSize: Int) {
        #expect(
            decode(GeminiStreamDecoder(), Self.stream, pieceSize: pieceSize)
                == .success([.text("Once"), .text(" upon"), .usage(TokenUsage(promptTokens: 8, completionTokens: 2, cachedPromptTokens: 4)), .finish(.stop)]))
    }

    @Test func streamWithoutFinishReasonIsCut() {
        let cut = Self.stream.components(separatedBy: "\n\n")[0] + "\n\n"
        #expect(decode(GeminiStreamDecoder(), cut) == .failure(.cut))
    }

    @Test func errorBody() {
        let body = #"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#
        #expect(GeminiWire.error(object(Array(body.utf8))) == ServerErrorBody(type: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted"))
    }

    @Test func requestBody() {
        let request = ChatRequest(messages: [.system("S"), .user("U"), .assistant("A")], maxTokens: 5, constraint: .jsonSchema("{\"type\":\"string\"}"))
        let body = object(GeminiWire.requestBody(request))
        #expect((body["contents"] as? [[String: Any]])?.map { $0["role"] as? String } == ["user", "model"])
        #expect(body["systemInstruction"] != nil)
        let generation = body["generationConfig"] as? [String: Any]
        #expect(generation?["maxOutputTokens"] as? Int == 5)
        #expect(generation?["responseMimeType"] as? String == "application/json")
    }

    @Test func wholeResponseAndSafety() throws {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"SAFETY"}]}"#
        #expect(try GeminiWire.decodeResponse(Array(body.utf8)) == [.text("x"), .finish(.contentFilter)])
    }
}
