import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
import Synchronization
import Testing

private let anthropicOverloaded = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
private let openAIRateLimited = #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#

@Suite struct RetryPolicyTests {
    @Test(arguments: [
        ("120", Duration.seconds(120)), (" 0 ", .zero), ("1.5", .milliseconds(1500)),
        ("Wed, 21 Oct 2015 07:28:30 GMT", .seconds(30)), ("Wed, 21 Oct 2015 07:27:00 GMT", .zero),
    ])
    func retryAfterValues(value: String, expected: Duration) {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.retryAfter(value, now: now) == expected)
    }

    @Test(arguments: ["soon", "-3", ""])
    func retryAfterGarbage(value: String) {
        #expect(RetryPolicy.retryAfter(value, now: Date()) == nil)
    }

    @Test func backoffDoublesWithJitterAndCap() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(700))
        #expect(policy.backoff(retry: 0, random: 0) == .milliseconds(50))
        #expect(policy.backoff(retry: 0, random: 0.999_999) <= .milliseconds(100))
        #expect(policy.backoff(retry: 2, random: 0) == .milliseconds(200))
        #expect(policy.backoff(retry: 10, random: 0.5) == .milliseconds(700))
    }
}

@Suite struct ReliabilityTests {
    @Test func rateLimitHonoursRetryAfter() async throws {
        let server = try await StandInServer.start(script: [
            .whole(status: 429, body: openAIRateLimited, headers: [("retry-after", "1")]),
            .streamed(openAIStream(["ok"])),
        ])
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer.text == "ok")
        let requests = server.requests
        #expect(requests.count == 2)
        if requests.count == 2 {
            #expect(requests[0].receivedAt.duration(to: requests[1].receivedAt) >= .milliseconds(950))
        }
    }

    @Test func retryAfterBeyondTheCapFailsAtOnce() async throws {
        let server = try await StandInServer.start(script: [.whole(status: 429, body: openAIRateLimited, headers: [("retry-after", "3600")])])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, maxDelay: .seconds(2)))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .rateLimited)
        #expect(result.error?.status == 429)
        #expect(result.error?.message.contains("Rate limit reached") == true)
        #expect(result.error?.message.contains("3600") == true)
        #expect(server.requests.count == 1)
    }

    @Test func unavailableIsRetriedUpToTheLimit() async throws {
        let server = try await StandInServer.start { _, _ in .whole(status: 503, body: "{\"error\":{\"message\":\"loading model\"}}") }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, retries: 2))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .overloaded)
        #expect(result.error?.message.contains("loading model") == true)
        #expect(server.requests.count == 3)
    }

    @Test func anthropicOverloaded529IsRetried() async throws {
        let server = try await StandInServer.start(script: [
            .whole(status: 529, body: anthropicOverloaded),
            .streamed(anthropicStream(["fine"])),
        ])
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic"))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer.text == "fine")
        #expect(server.requests.count == 2)
    }

    @Test func anthropicOverloadedAfterRetriesSaysSo() async throws {
        let server = try await StandInServer.start { _, _ in .whole(status: 529, body: anthropicOverloaded) }
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic", retries: 1))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .overloaded)
        #expect(result.error?.status == 529)
        #expect(result.error?.description.contains("Overloaded") == true)
        #expect(server.requests.count == 2)
    }

    @Test func serverErrorIsNotRetried() async throws {
        let server = try await StandInServer.start { _, _ in .whole(status: 500, body: "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}") }
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .server)
        #expect(result.error?.description == "openai: HTTP 500: the server failed: boom")
        #expect(server.requests.count == 1)
    }

    @Test(arguments: [400, 404, 413, 422])
    func otherClientErrorsAreNotRetried(status: Int) async throws {
        let server = try await StandInServer.start { _, _ in .whole(status: status, body: "{\"error\":{\"message\":\"bad\"}}") }
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .invalidRequest)
        #expect(server.requests.count == 1)
    }

    @Test(arguments: [401, 403])
    func refusedKeySaysWhichKeyToCheck(status: Int) async throws {
        let body = #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
        let server = try await StandInServer.start { _, _ in .whole(status: status, body: body) }
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic", keySource: "ANTHROPIC_API_KEY or providers.anthropic.apiKey"))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .authentication)
        #expect(result.error?.description.contains("invalid x-api-key") == true)
        #expect(result.error?.description.contains("check your key (ANTHROPIC_API_KEY or providers.anthropic.apiKey)") == true)
        #expect(server.requests.count == 1)
    }

    @Test func connectionClosedBeforeTheFirstByteIsRetried() async throws {
        let server = try await StandInServer.start(script: [.closeBeforeHead, .streamed(openAIStream(["again"]))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer.text == "again")
        #expect(server.requests.count == 2)
    }

    @Test func connectionResetBeforeTheFirstByteIsRetried() async throws {
        let server = try await StandInServer.start(script: [.resetBeforeHead, .resetBeforeHead, .streamed(anthropicStream(["back"]))])
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic", retries: 2))
        let answer = try await backend.complete(hello)
        await server.stop()
        #expect(answer.text == "back")
        #expect(server.requests.count == 3)
    }

    @Test func streamResetMidwayIsAnError() async throws {
        let server = try await StandInServer.start(script: [.streamed(Array(anthropicStream(["one", "two"]).prefix(4)), complete: false, reset: true)])
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic"))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.events == [.text("one"), .text("two")])
        #expect(result.error?.kind == .streamCut)
        #expect(server.requests.count == 1)
    }

    @Test func connectionClosedEveryTimeIsAConnectionError() async throws {
        let server = try await StandInServer.start { _, _ in .closeBeforeHead }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, retries: 1))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .connection)
        #expect(server.requests.count == 2)
    }

    @Test func noServerIsAConnectionError() async throws {
        let refusing = try RefusingPort()
        let backend = OpenAICompatibleBackend(settings: testSettings(baseURL: refusing.baseURL, retries: 0))
        let result = await collect(backend.chat(hello))
        #expect(result.error?.kind == .connection)
        #expect(result.error?.description.contains("127.0.0.1") == true)
        withExtendedLifetime(refusing) {}
    }

    @Test func refusedConnectionIsReportedAtOnceNotAfterTheConnectTimeout() async throws {
        // A port held bound and not listening: a stopped server's port could be taken by another
        // test's server meanwhile, which would accept the connection instead of refusing it.
        let refusing = try RefusingPort()
        var settings = testSettings(baseURL: refusing.baseURL, retries: 2)
        // Alone this takes a tenth of a second; when the whole suite starts at once on two cores the
        // first connection attempt can wait tens of seconds for a thread. The bound below stays under
        // one connect timeout, which is what a refusal taken for a slow server would cost.
        settings.connectTimeout = .seconds(120)
        let backend = OpenAICompatibleBackend(settings: settings)
        let started = ContinuousClock.now
        let result = await collect(backend.chat(hello))
        let waited = ContinuousClock.now - started
        #expect(result.error?.kind == .connection)
        #expect(result.error?.description.contains("refused the connection; is the server running?") == true, "\(String(describing: result.error))")
        #expect(waited < .seconds(100), "the refusal was reported only after \(waited)")
        withExtendedLifetime(refusing) {}
    }

    @Test func streamCutMidwayIsAnErrorNotAShortAnswer() async throws {
        let events = openAIStream(["one", "two", "three"])
        let server = try await StandInServer.start(script: [.streamed(Array(events.prefix(2)), complete: false)])
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.events == [.text("one"), .text("two")])
        #expect(result.error?.kind == .streamCut)
        #expect(server.requests.count == 1)
    }

    @Test func anthropicStreamEndingWithoutMessageStopIsCut() async throws {
        // The body ends properly at the HTTP level, but the answer is incomplete.
        let server = try await StandInServer.start(script: [.streamed(Array(anthropicStream(["x"]).dropLast()))])
        let backend = AnthropicBackend(settings: testSettings(server, name: "anthropic"))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.error?.kind == .streamCut)
    }

    @Test func slowFirstBytePastTheTimeout() async throws {
        let server = try await StandInServer.start(script: [.delayed(.seconds(60), .streamed(openAIStream(["late"])))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server, read: .seconds(1)))
        let start = ContinuousClock.now
        let result = await collect(backend.chat(hello))
        let elapsed = start.duration(to: .now)
        await server.stop()
        #expect(result.error?.kind == .timeout)
        #expect(elapsed < .seconds(30), "the timeout fired only after \(elapsed)")
        #expect(server.requests.count == 1)
    }

    @Test func stallMidStreamPastTheTimeout() async throws {
        let server = try await StandInServer.start(script: [
            StandInServer.Reply(steps: StandInServer.Reply.streamed(Array(openAIStream(["a"]).prefix(1))).steps.dropLast() + [.pause(.seconds(120)), .close])
        ])
        // The read timeout is long enough that the first event arrives before it on a loaded
        // machine (the whole suite starts at once), and far shorter than the stall.
        let backend = OpenAICompatibleBackend(settings: testSettings(server, read: .seconds(30)))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.events == [.text("a")])
        #expect(result.error?.kind == .timeout)
    }

    @Test func malformedJSONIsReported() async throws {
        let server = try await StandInServer.start(script: [.streamed(["data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n", "data: {\"choices\": [oops\n\n"])])
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let result = await collect(backend.chat(hello))
        await server.stop()
        #expect(result.events == [.text("x")])
        #expect(result.error?.kind == .malformedResponse)
    }

    @Test func cancellingTheConsumerClosesTheConnection() async throws {
        let pieces = (0..<2000).map { "data: {\"choices\":[{\"delta\":{\"content\":\"\($0) \"}}]}\n\n" }
        let server = try await StandInServer.start(script: [.streamed(pieces, gap: .milliseconds(50))])
        let backend = OpenAICompatibleBackend(settings: testSettings(server))
        let received = Mutex(0)
        let consumer = Task {
            for try await _ in backend.chat(hello) { received.withLock { $0 += 1 } }
        }
        while received.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        consumer.cancel()
        // The stream would run 100 s; a connection left open would not close within the wait.
        let closed = await server.waitForClosedConnections(1, timeout: .seconds(30))
        let elapsed = start.duration(to: .now)
        await server.stop()
        #expect(closed)
        #expect(elapsed < .seconds(30))
        #expect(received.withLock { $0 } < 500)
    }

    @Test func concurrencyLimitQueuesRequests() async throws {
        let server = try await StandInServer.start { _, _ in .delayed(.milliseconds(200), .streamed(openAIStream(["x"]))) }
        let backend = OpenAICompatibleBackend(settings: testSettings(server, concurrency: 1))
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<3 { group.addTask { try await backend.complete(hello).text } }
            for try await text in group { #expect(text == "x") }
        }
        await server.stop()
        let times = server.requests.map(\.receivedAt).sorted()
        #expect(times.count == 3)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(earlier.duration(to: later) >= .milliseconds(180))
        }
    }

    @Test func limiterHandsPermitsInOrderAndSurvivesCancellation() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await limiter.release()
        #expect(await limiter.activeCount == 0)
        try await limiter.acquire()
        #expect(await limiter.activeCount == 1)
    }
}
