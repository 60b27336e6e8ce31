import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
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

@Suite struct OllamaProviderTests {
    static let lines = [
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n",
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"lo\"},\"done\":false}\n",
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":9,\"eval_count\":2}\n",
    ]

    @Test func streamedAnswerSetsNumCtx() async throws {
        let server = try await StandInServer.start(script: [.streamed(splitInHalves(Self.lines), contentType: "application/x-ndjson")])
        let backend = OllamaBackend(settings: testSettings(server, name: "ollama", key: nil, contextWindow: 16384))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer == ChatCompletion(text: "Hello", usage: TokenUsage(promptTokens: 9, completionTokens: 2), finishReason: .stop))
        let request = try #require(server.requests.first)
        #expect(request.path == "/api/chat")
        #expect((request.json?["options"] as? [String: Any])?["num_ctx"] as? Int == 16384)
    }

    @Test func defaultNumCtxIsSetToo() async throws {
        let server = try await StandInServer.start(script: [.streamed(Self.lines, contentType: "application/x-ndjson")])
        let backend = OllamaBackend(settings: testSettings(server, name: "ollama", key: nil))
        _ = try await backend.complete(hello)
        await server.stop()
        #expect((server.requests.first?.json?["options"] as? [String: Any])?["num_ctx"] as? Int == OllamaBackend.defaultContextWindow)
    }

    @Test func capabilitiesFromShow() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path == "/api/show" ? .whole(body: #"{"model_info":{"general.architecture":"qwen2","qwen2.context_length":4096}}"#) : nil
        }
        let backend = OllamaBackend(settings: testSettings(server, name: "ollama", key: nil, contextWindow: 16384))
        let capabilities = try await backend.capabilities()
        await server.stop()
        #expect(capabilities.contextWindow == 4096)
        #expect(server.requests.first?.json?["model"] as? String == "test-model")
    }

    @Test func errorLineMidStream() async throws {
        let server = try await StandInServer.start(script: [.streamed([Self.lines[0], "{\"error\":\"out of memory\"}\n"], contentType: "application/x-ndjson")])
        let backend = OllamaBackend(settings: testSettings(server, name: "ollama", key: nil))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.events == [.text("Hel")])
        #expect(result.error?.kind == .server)
        #expect(result.error?.message.contains("out of memory") == true)
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
