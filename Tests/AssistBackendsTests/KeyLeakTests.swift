import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
import Testing

/// A key that is easy to find in any text.
private let key = "sk-LEAKCHECK-7f3a9c1e5b2d4f60"

/// Replies that fail in every way we know, each echoing the key where a server could.
private func failures(echo: String) -> [(name: String, replies: [StandInServer.Reply])] {
    let json = #"{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided: \#(echo)"}}"#
    return [
        ("401 echoing the key", [.whole(status: 401, body: json)]),
        ("403 echoing the key", [.whole(status: 403, body: json)]),
        ("429 echoing the key", [.whole(status: 429, body: json, headers: [("retry-after", "0")]), .whole(status: 429, body: json, headers: [("retry-after", "0")])]),
        ("429 beyond the cap", [.whole(status: 429, body: json, headers: [("retry-after", "99999")])]),
        ("500 echoing the key", [.whole(status: 500, body: json)]),
        ("503 echoing the key", [.whole(status: 503, body: json), .whole(status: 503, body: json)]),
        ("529 echoing the key", [.whole(status: 529, body: json), .whole(status: 529, body: json)]),
        ("400 echoing the key", [.whole(status: 400, body: json)]),
        ("plain-text body echoing the key", [.whole(status: 502, body: "bad gateway for key \(echo)", contentType: "text/plain")]),
        ("closed before the head", [.closeBeforeHead, .closeBeforeHead]),
        ("reset before the head", [.resetBeforeHead, .resetBeforeHead]),
        ("reset mid-stream", [.streamed(["data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"], complete: false, reset: true)]),
        ("slow first byte", [.delayed(.seconds(30), .whole(body: "{}"))]),
        ("cut mid-stream", [.streamed(["data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"], complete: false)]),
        ("error event echoing the key", [.streamed([
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"key \(echo) is bad\"},\"message\":\"key \(echo)\"}\n\n",
        ])]),
        ("malformed JSON with the key", [.streamed(["data: {\"x\": \"\(echo)\n\n"])]),
        ("whole body echoing the key", [.whole(body: "{\"error\":\"\(echo)\"}")]),
    ]
}

@Suite struct KeyLeakTests {
    @Test(arguments: ProviderName.allCases)
    func keyNeverReachesAnErrorOrALogLine(provider: ProviderName) async throws {
        let (logger, lines) = CapturingLogHandler.logger()
        var descriptions: [String] = []
        for failure in failures(echo: key) {
            let server = try await StandInServer.start(script: failure.replies)
            var settings = testSettings(server, name: provider.rawValue, key: key, keySource: "TEST_API_KEY", retries: 1, read: .seconds(1), maxDelay: .seconds(1))
            settings.contextWindow = 1000
            let backend = BackendFactory.make(provider, settings: settings, logger: logger)
            for streaming in [true, false] {
                var request = hello
                request.streaming = streaming
                let result = await collect(backend.chat(request))
                let error = try #require(result.error, "\(provider) \(failure.name): no error")
                descriptions += [error.description, error.message, String(describing: error), error.localizedDescription, "\(error)"]
                server.enqueue(failure.replies[0])
                if failure.replies.count > 1 { server.enqueue(failure.replies[1]) }
            }
            for _ in 0..<2 { server.enqueue(failure.replies[0]) }
            if case .unavailable(let reason) = await backend.health() { descriptions.append(reason) }
            do { _ = try await backend.capabilities() } catch { descriptions.append("\(error)") }
            // Every request carried the key, so the test would see it if it leaked.
            #expect(server.requests.allSatisfy { request in request.headers.contains { $0.value.contains(key) } })
            await server.stop()
        }
        let server = try await StandInServer.start()
        await server.stop()
        let refused = BackendFactory.make(provider, settings: testSettings(server, name: provider.rawValue, key: key, retries: 0), logger: logger)
        if let error = await collect(refused.chat(hello)).error { descriptions.append("\(error)") }

        #expect(descriptions.count > 100)
        #expect(!lines.all.isEmpty)
        for text in descriptions + lines.all {
            #expect(!text.contains(key), "the key leaked into: \(text)")
            #expect(!text.contains("LEAKCHECK"), "part of the key leaked into: \(text)")
        }
        // The redacted echo shows where the key was, so the messages are still useful.
        #expect(descriptions.contains { $0.contains("Incorrect API key provided: ****") })
        #expect(descriptions.contains { $0.contains("check your key (TEST_API_KEY)") })
    }

    @Test func settingsDescriptionHidesTheKey() {
        let settings = BackendSettings(name: "openai", baseURL: "https://api.openai.com/v1", model: "m", apiKey: key)
        #expect(!settings.description.contains(key))
        #expect(!String(reflecting: BackendError(.authentication, backend: "x", message: "m")).contains(key))
    }
}
