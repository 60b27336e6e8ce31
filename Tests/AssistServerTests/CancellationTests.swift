import AssistLocalModel
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

private let counterSource = """
    struct Counter {
        var count = 0

        mutating func increment() {
            count = count + 1
        }
    }

    """

/// `$/cancelRequest` on the requests that call a model: the model call stops, nothing is written,
/// and the answer is -32800.
@Suite("cancelling model requests", .serialized)
struct CancellationTests {
    /// Sends a request to an in-process daemon whose local model (a stand-in) takes 30 s to answer,
    /// cancels it once the model server holds the call, and checks what a cancel must do: -32800 at
    /// once, the HTTP request aborted, nothing asked again, the file untouched.
    ///
    /// - Parameters:
    ///   - method: The request's method.
    ///   - params: Its parameters, given the document's URI.
    ///   - progressFirst: Whether to wait for the progress report that the model is being asked.
    private func cancelWhileTheSlowModelHoldsIt(_ method: String, progressFirst: Bool = false, params: (String) -> JSONValue) async throws {
        let model = try await StandInServer.start { request, _ in
            guard request.path.hasSuffix("/chat/completions") else { return .whole(status: 404, body: "{}") }
            return .delayed(.seconds(30), .streamed([
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```swift\\n```\\n\"},\"finish_reason\":\"stop\"}]}\n\n", "data: [DONE]\n\n",
            ]))
        }
        defer { Task { await model.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        defer { fixture.remove() }
        let client = try TestClient.inProcess(environment: [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1", "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
        ])
        #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
        let uri = URL(fileURLWithPath: fixture.path + "/Sources/Counter.swift").absoluteString
        let id = client.sendRequest(method, params(uri))
        if progressFirst {
            let asking = await client.take(timeout: 30) { $0["params"]?["value"]?["message"]?.stringValue?.hasPrefix("asking") == true }
            #expect(asking != nil, "the model was never asked")
        }
        // Cancel once the model server holds the request.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, !model.requests.contains(where: { $0.path.hasSuffix("/chat/completions") }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let closedBefore = model.closedConnections
        let started = ContinuousClock.now
        client.notify("$/cancelRequest", ["id": id.jsonValue])
        let reply = try await client.response(to: id, timeout: 20)
        #expect(reply["error"]?["code"] == .integer(-32800), "\(reply)")
        #expect(ContinuousClock.now - started < .seconds(10), "the cancel waited for the model")
        #expect(await model.waitForClosedConnections(closedBefore + 1, timeout: .seconds(5)), "the HTTP request to the model was not aborted")
        try await Task.sleep(for: .milliseconds(300))
        let chats = model.requests.filter { $0.path.hasSuffix("/chat/completions") }
        #expect(chats.count == 1, "the cancelled request asked again: \(chats.count) calls")
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Counter.swift", encoding: .utf8) == counterSource)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aCancelledRefactorStopsItsSlowModelCallAndAnswersCancelled() async throws {
        try await cancelWhileTheSlowModelHoldsIt("assist/refactor", progressFirst: true) { uri in
            ["textDocument": ["uri": .string(uri)], "instruction": "use +=", "workDoneToken": "refactor-1"]
        }
    }

    @Test func aCancelledDocstringStopsItsSlowModelCall() async throws {
        try await cancelWhileTheSlowModelHoldsIt("assist/docstring") { uri in
            ["textDocument": ["uri": .string(uri)], "all": true]
        }
    }

    /// The real `llama-server` with the test model: a question cancelled while its answer streams
    /// answers -32800, and the server's slot is free again right after.
    @Test func aCancelledQuestionFreesTheRealServersSlot() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        defer { fixture.remove() }
        let client = try TestClient.inProcess(environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
        let id = client.sendRequest("assist/ask", [
            "question": "Explain in great detail, line by line, everything Counter does and why.", "model": "smollm2-135m",
            "partialResultToken": "answer-1",
        ])
        let streaming = await client.take(timeout: 120) { $0["params"]?["token"] == "answer-1" }
        #expect(streaming != nil, "no part of the answer arrived")
        client.notify("$/cancelRequest", ["id": id.jsonValue])
        let reply = try await client.response(to: id, timeout: 60)
        #expect(reply["error"]?["code"] == .integer(-32800), "\(reply)")
        let server = try #require(client.server?.managedModelServers.first)
        let endpoint = try await server.endpoint()
        var idle = false
        // Seconds alone; when the whole suite loads both cores (several llama-servers starting at
        // once), llama-server notices the closed connection later, but still long before it could
        // write the detailed answer it was asked for.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, !idle {
            if let slots = await LoopbackHTTP.get(port: endpoint.port, path: "/slots"),
               let array = try? JSONSerialization.jsonObject(with: slots.body) as? [[String: Any]] {
                idle = array.allSatisfy { ($0["is_processing"] as? Bool) == false }
            }
            if !idle { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(idle, "llama-server still works on the cancelled request")
        #expect(try await client.shutdownAndExit() == 0)
    }
}
