import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct OpenAICompatibleProviderTests {
    @Test func streamedAnswerWithEventsSplitAcrossWrites() async throws {
        let server = try await StandInServer.start(script: [.streamed(splitInHalves(openAIStream(["Hel", "lo"])))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hello", usage: TokenUsage(promptTokens: 10, completionTokens: 2), finishReason: .stop))
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/chat/completions")
        #expect(request.header("authorization") == "Bearer test-key-123456")
        // llama-server closes the connection after a streamed answer, so none is left to reuse.
        #expect(request.header("connection") == "close")
        let body = try #require(request.json)
        #expect(body["model"] as? String == "test-model")
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
    }

    @Test func nonStreamedAnswer() async throws {
        let body = #"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":1}}"#
        let server = try await StandInServer.start(script: [.whole(body: body)])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1", key: nil))
        var request = hello
        request.streaming = false
        let answer = try await backend.complete(request)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hi.", usage: TokenUsage(promptTokens: 4, completionTokens: 1), finishReason: .length))
        #expect(server.requests.first?.json?["stream"] as? Bool == false)
        #expect(server.requests.first?.header("authorization") == nil)
        #expect(server.requests.first?.header("connection") != "close")
    }

    @Test func grammarIsSentInLlamaCppField() async throws {
        let server = try await StandInServer.start(script: [.streamed(openAIStream(["a"]))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        var request = hello
        request.constraint = .grammar("root ::= \"a\"")
        _ = try await backend.complete(request)
        await server.stop()
        #expect(server.requests.first?.json?["grammar"] as? String == "root ::= \"a\"")
        #expect(server.requests.first?.json?["max_tokens"] as? Int == 16)
    }

    @Test func openAIDialectUsesMaxCompletionTokensAndRefusesGrammars() async throws {
        let server = try await StandInServer.start(script: [.streamed(openAIStream(["a"]))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"), dialect: .openAI)
        _ = try await backend.complete(hello)
        var grammar = hello
        grammar.constraint = .grammar("root ::= \"a\"")
        let refused = await collect(backend.chat(grammar))
        await server.stop()
        let body = try #require(server.requests.first?.json)
        #expect(body["max_completion_tokens"] as? Int == 16)
        #expect(body["max_tokens"] == nil)
        #expect(refused.error?.kind == .unsupported)
        #expect(server.requests.count == 1)
    }

    @Test func capabilitiesFromProps() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/props" ? .whole(body: #"{"default_generation_settings":{"n_ctx":8192},"total_slots":1}"#) : nil
        }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        let capabilities = try await backend.capabilities()
        await server.stop()
        #expect(capabilities == BackendCapabilities(contextWindow: 8192, constraints: [.grammar, .jsonSchema], promptCaching: true))
    }

    @Test func capabilitiesFromModelsMeta() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/v1/models"
                ? .whole(body: #"{"object":"list","data":[{"id":"test-model","object":"model","meta":{"n_ctx_train":32768,"n_ctx":4096}}]}"#) : nil
        }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        let capabilities = try await backend.capabilities()
        await server.stop()
        #expect(capabilities.contextWindow == 4096)
    }

    @Test func capabilitiesFallBackToConfiguredWindow() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/v1/models" ? .whole(body: #"{"data":[{"id":"gpt"}]}"#) : nil
        }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1", contextWindow: 128_000))
        let capabilities = try await backend.capabilities()
        let unconfigured = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        await #expect(throws: BackendError.self) { try await unconfigured.capabilities() }
        await server.stop()
        #expect(capabilities == BackendCapabilities(contextWindow: 128_000, constraints: [.jsonSchema], promptCaching: false))
    }

    @Test func tokensCountedByTokenizeElseEstimated() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/tokenize" ? .whole(body: #"{"tokens":[1,2,3]}"#) : nil
        }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        let counted = try await backend.countTokens("abc def")
        #expect(counted == TokenCount(count: 3, isEstimate: false))
        #expect(server.requests.first?.json?["content"] as? String == "abc def")
        await server.stop()
        let offline = try await backend.countTokens("12345678")
        #expect(offline == TokenCount(count: 2, isEstimate: true))
    }

    @Test func healthCheck() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/v1/models" ? .whole(body: #"{"data":[]}"#) : nil
        }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, path: "/v1"))
        #expect(await backend.health() == .available)
        await server.stop()
        guard case .unavailable(let reason) = await backend.health() else {
            Issue.record("a stopped server was reported available")
            return
        }
        #expect(reason.contains("openai"))
    }
}

@Suite struct AnthropicProviderTests {
    @Test func streamedAnswerAndHeaders() async throws {
        let server = try await StandInServer.start(script: [.streamed(splitInHalves(anthropicStream(["Hi", " there"])))])
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic", keySource: "ANTHROPIC_API_KEY"))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hi there", usage: TokenUsage(promptTokens: 7, completionTokens: 5), finishReason: .stop))
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/messages")
        #expect(request.header("x-api-key") == "test-key-123456")
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(request.json?["system"] as? String == "Be brief.")
    }

    @Test func constraintsAreRefused() async throws {
        let server = try await StandInServer.start()
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic"))
        var request = hello
        request.constraint = .jsonSchema("{}")
        let result = await collect(backend.chat(request))
        await server.stop()
        #expect(result.error?.kind == .unsupported)
        #expect(server.requests.isEmpty)
    }

    @Test func missingKeyIsAConfigurationError() async throws {
        let server = try await StandInServer.start()
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic", key: nil, keySource: "ANTHROPIC_API_KEY"))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .configuration)
        #expect(result.error?.description.contains("ANTHROPIC_API_KEY") == true)
    }
}

/// A stand-in Ollama: `/api/show` gives `length` as the model's context length (a 404 for a
/// model it does not have when `nil`); `/api/chat` plays the script.
private func ollamaStandIn(length: Int?, chat: [StandInServer.Reply]) async throws -> StandInServer {
    let server = try await StandInServer.start { request, _ in
        guard request.path == "/api/show" else { return nil }
        guard let length else { return .whole(status: 404, body: #"{"error":"model 'test-model' not found"}"#) }
        return .whole(body: #"{"model_info":{"general.architecture":"qwen2","qwen2.context_length":\#(length)}}"#)
    }
    for reply in chat { server.enqueue(reply) }
    return server
}

@Suite struct OllamaProviderTests {
    static let lines = [
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n",
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"lo\"},\"done\":false}\n",
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":9,\"eval_count\":2}\n",
    ]

    static func options(_ request: StandInServer.Request?) -> [String: Any]? {
        request?.json?["options"] as? [String: Any]
    }

    @Test func streamedAnswerSetsNumCtxAndKeepAlive() async throws {
        let server = try await ollamaStandIn(length: 32768, chat: [.streamed(splitInHalves(Self.lines), contentType: "application/x-ndjson")])
        var settings = testSettings(server, name: "ollama", key: nil)
        settings.keepAliveSeconds = 300
        let answer = try await OllamaBackend(settings: settings).complete(hello)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hello", usage: TokenUsage(promptTokens: 9, completionTokens: 2), finishReason: .stop))
        #expect(server.requests.map(\.path) == ["/api/show", "/api/chat"])
        #expect(server.requests.first?.json?["model"] as? String == "test-model")
        let chat = try #require(server.requests.last)
        // A short prompt gets the smallest step, never Ollama's own small default.
        #expect(Self.options(chat)?["num_ctx"] as? Int == 8192)
        #expect(Self.options(chat)?["num_predict"] as? Int == 16)
        #expect(chat.json?["keep_alive"] as? Int == 300)
        #expect(chat.json?["stream"] as? Bool == true)
    }

    /// `num_ctx` is what the prompt and answer need, in doublings from 8192, capped at the
    /// model's length and at the configured window.
    @Test func numCtxFollowsThePromptUpToTheModelsLength() async throws {
        let long = ChatRequest(messages: [.user(String(repeating: "word ", count: 8_000))], maxTokens: 500)  // about 10,000 tokens
        for (length, configured, expected) in [(32768, nil, 16384), (12000, nil, 12000), (32768, 4096, 4096)] as [(Int, Int?, Int)] {
            let request = configured == nil ? long : hello
            let server = try await ollamaStandIn(length: length, chat: [.streamed(Self.lines, contentType: "application/x-ndjson")])
            _ = try await OllamaBackend(settings: testSettings(server, name: "ollama", key: nil, contextWindow: configured)).complete(request)
            await server.stop()
            #expect(Self.options(server.requests.last)?["num_ctx"] as? Int == expected, "length \(length), configured \(configured ?? 0)")
        }
        #expect(OllamaBackend.numCtx(needed: 100, cap: 2048) == 2048)
        #expect(OllamaBackend.numCtx(needed: 8193, cap: 131072) == 16384)
        #expect(OllamaBackend.numCtx(needed: 40000, cap: 131072) == 65536)
    }

    /// A prompt the model cannot hold is refused before it is sent, rather than cut by Ollama.
    @Test func aPromptLongerThanTheModelIsRefusedUnsent() async throws {
        let server = try await ollamaStandIn(length: 2048, chat: [.streamed(Self.lines, contentType: "application/x-ndjson")])
        let request = ChatRequest(messages: [.user(String(repeating: "word ", count: 4_000))], maxTokens: 100)
        let result = await collect(OllamaBackend(settings: testSettings(server, name: "ollama", key: nil)).chat(request))
        await server.stop()
        #expect(result.error?.kind == .invalidRequest)
        #expect(result.error?.message.contains("more than the 2048") == true, "\(String(describing: result.error))")
        #expect(server.requests.map(\.path) == ["/api/show"])
    }

    /// A model Ollama does not have: a configuration error that says what to run, and no chat.
    @Test func aMissingModelSaysOllamaPull() async throws {
        let server = try await ollamaStandIn(length: nil, chat: [.streamed(Self.lines, contentType: "application/x-ndjson")])
        let result = await collect(OllamaBackend(settings: testSettings(server, name: "ollama", key: nil)).chat(hello))
        await server.stop()
        #expect(result.error?.kind == .configuration)
        #expect(result.error?.message.contains("run `ollama pull test-model`") == true, "\(String(describing: result.error))")
        #expect(server.requests.map(\.path) == ["/api/show"])
    }

    @Test func capabilitiesFromShow() async throws {
        let server = try await ollamaStandIn(length: 4096, chat: [])
        let capabilities = try await OllamaBackend(settings: testSettings(server, name: "ollama", key: nil, contextWindow: 16384)).capabilities()
        let uncapped = try await OllamaBackend(settings: testSettings(server, name: "ollama", key: nil)).capabilities()
        await server.stop()
        #expect(capabilities.contextWindow == 4096)
        #expect(uncapped.contextWindow == 4096)
        #expect(server.requests.first?.json?["model"] as? String == "test-model")
    }

    @Test func errorLineMidStream() async throws {
        let server = try await ollamaStandIn(length: 8192, chat: [.streamed([Self.lines[0], "{\"error\":\"out of memory\"}\n"], contentType: "application/x-ndjson")])
        let result = await collect(OllamaBackend(settings: testSettings(server, name: "ollama", key: nil)).chat(hello))
        await server.stop()
        #expect(result.events == [.text("Hel")])
        #expect(result.error?.kind == .server)
        #expect(result.error?.message.contains("out of memory") == true)
    }

    /// Cancelling the consumer closes the connection of the answer being streamed.
    @Test func cancellingTheConsumerClosesTheConnection() async throws {
        let pieces = (0..<2000).map { "{\"message\":{\"role\":\"assistant\",\"content\":\"\($0) \"},\"done\":false}\n" }
        let server = try await ollamaStandIn(length: 8192, chat: [.streamed(pieces, contentType: "application/x-ndjson", gap: .milliseconds(50))])
        let backend = OllamaBackend(settings: testSettings(server, name: "ollama", key: nil))
        let received = Mutex(0)
        let consumer = Task {
            for try await _ in backend.chat(hello) { received.withLock { $0 += 1 } }
        }
        while received.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let before = server.closedConnections
        consumer.cancel()
        // The stream would run 100 s; a connection left open would not close within the wait.
        let closed = await server.waitForClosedConnections(before + 1, timeout: .seconds(30))
        await server.stop()
        #expect(closed)
        #expect(received.withLock { $0 } < 100)
    }
}

@Suite struct GeminiProviderTests {
    static let events = [
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"}}]}\r\n\r\n",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":6,\"candidatesTokenCount\":2}}\r\n\r\n",
    ]

    @Test func streamedAnswerUsesHeaderKeyAndAltSSE() async throws {
        let server = try await StandInServer.start(script: [.streamed(splitInHalves(Self.events))])
        let backend = GeminiBackend(settings: testSettings(server, name: "gemini", path: "/v1beta"))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hello", usage: TokenUsage(promptTokens: 6, completionTokens: 2), finishReason: .stop))
        let request = try #require(server.requests.first)
        #expect(request.target == "/v1beta/models/test-model:streamGenerateContent?alt=sse")
        #expect(request.header("x-goog-api-key") == "test-key-123456")
        #expect(!request.target.contains("key="))
    }

    @Test func wholeAnswerWithGenerateContent() async throws {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}}"#
        let server = try await StandInServer.start(script: [.whole(body: body)])
        let backend = GeminiBackend(settings: testSettings(server, name: "gemini"))
        var request = hello
        request.streaming = false
        let answer = try await backend.complete(request)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hi", usage: TokenUsage(promptTokens: 3, completionTokens: 1), finishReason: .length))
        #expect(server.requests.first?.target == "/models/test-model:generateContent")
    }
}
