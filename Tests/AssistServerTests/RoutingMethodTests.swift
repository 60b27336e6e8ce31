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

/// OpenAI-compatible SSE events for an answer, in a few pieces.
private func chatEvents(_ pieces: [String]) -> [String] {
    pieces.map { piece in
        let escaped = String(decoding: try! JSONEncoder().encode(piece), as: UTF8.self)
        return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\(escaped)},\"finish_reason\":null}]}\n\n"
    } + [
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":17}}\n\n",
        "data: [DONE]\n\n",
    ]
}

private let fixedIncrement = ["```swift\n", "    mutating func increment() {\n", "        count += 1\n    }\n", "```\n"]

/// The daemon's `assist/refactor`, `assist/ask`, the route in `assist/classify`, and the selection's code action,
/// against a configured local server played by a stand-in.
@Suite("assist/refactor, assist/ask and routing in the daemon", .serialized)
struct RoutingMethodTests {
    static func start(answers: @escaping @Sendable (String) -> [String]) async throws -> (StandInServer, FixtureRepository, TestClient) {
        let server = try await StandInServer.start { request, _ in
            guard request.path.hasSuffix("/chat/completions") else {
                return .whole(status: 404, body: "{\"error\":{\"message\":\"no such path\"}}")
            }
            return .streamed(chatEvents(answers(String(decoding: request.body, as: UTF8.self))))
        }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        let client = try TestClient.inProcess(environment: [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": server.baseURL + "/v1",
            "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
        ])
        let capabilities: JSONValue = ["workspace": ["applyEdit": true, "workspaceEdit": ["documentChanges": true]]]
        #expect(try await client.initialize(rootPath: fixture.path, capabilities: capabilities)["error"] == nil)
        return (server, fixture, client)
    }

    @Test func refactorAnswersACheckedDiffWithItsRoute() async throws {
        let (server, fixture, client) = try await Self.start { _ in fixedIncrement }
        defer { fixture.remove(); Task { await server.stop() } }
        let uri = URL(fileURLWithPath: fixture.path + "/Sources/Counter.swift").absoluteString
        let reply = try await client.request("assist/refactor", [
            "textDocument": ["uri": .string(uri)], "instruction": "use +=",
            "range": ["start": ["line": 3, "character": 0], "end": ["line": 6, "character": 0]],
        ], timeout: 120)
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["diff"]?.stringValue?.contains("-        count = count + 1\n+        count += 1\n") == true, "\(result)")
        #expect(result["route"]?["kind"] == "refactor")
        #expect(result["route"]?["backend"] == "local")
        #expect(result["route"]?["model"] == "stand-in")
        let steps = (result["route"]?["reasons"]?.arrayValue ?? []).compactMap { $0["step"]?.stringValue }
        #expect(steps == ["offline", "fit", "kind", "availability"])
        #expect(result["validation"]?["passed"] == true)
        #expect(result["edits"]?[uri]?.arrayValue?.isEmpty == false)
        #expect(result["attempts"] == 1)
        // The file on disk is untouched: the daemon answers edits, the editor applies them.
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Counter.swift", encoding: .utf8) == counterSource)
        // A range past the end is a clear error, and the daemon keeps serving.
        let bad = try await client.request("assist/refactor", [
            "textDocument": ["uri": .string(uri)], "instruction": "use +=",
            "range": ["start": ["line": 40, "character": 0], "end": ["line": 41, "character": 0]],
        ])
        #expect(bad["error"]?["message"]?.stringValue?.contains("past the end") == true, "\(bad)")
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func askStreamsPartialResultsAndAnswersWithTheContext() async throws {
        let (server, fixture, client) = try await Self.start { _ in ["Counter.increment ", "adds one ", "to count."] }
        defer { fixture.remove(); Task { await server.stop() } }
        let id = client.sendRequest("assist/ask", ["question": "What does Counter.increment do?", "partialResultToken": "answer-1"])
        let reply = try await client.response(to: id, timeout: 120)
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["answer"] == "Counter.increment adds one to count.")
        #expect(result["route"]?["kind"] == "explain")
        #expect(result["route"]?["backend"] == "local")
        #expect(result["context"]?["files"]?.arrayValue?.first?["path"] == "Sources/Counter.swift")
        #expect(result["diff"] == "")
        // The partial results came before the answer, in order.
        var pieces: [String] = []
        while let message = await client.take(timeout: 1, where: { $0["method"] == "$/progress" && $0["params"]?["token"] == "answer-1" }) {
            if let piece = message["params"]?["value"]?["answer"]?.stringValue { pieces.append(piece) }
        }
        #expect(pieces.joined() == "Counter.increment adds one to count.")
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func classifyShowsTheRouteWithoutCallingAModel() async throws {
        let (server, fixture, client) = try await Self.start { _ in ["unused"] }
        defer { fixture.remove(); Task { await server.stop() } }
        let reply = try await client.request("assist/classify", ["instruction": "Which types conform to Sequence across the repository?"])
        let route = try #require(reply["result"]?["route"], "\(reply)")
        #expect(route["backend"] == "local")
        let reasons = route["reasons"]?.arrayValue ?? []
        #expect(reasons.first?["step"] == "offline")
        #expect(reasons.first?["outcome"] == "local-only")
        #expect(server.requests.filter { $0.path.hasSuffix("/chat/completions") }.isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aSelectionGetsARefactorActionThatAppliesThroughTheEditor() async throws {
        let (server, fixture, client) = try await Self.start { _ in fixedIncrement }
        defer { fixture.remove(); Task { await server.stop() } }
        let uri = URL(fileURLWithPath: fixture.path + "/Sources/Counter.swift").absoluteString
        client.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "swift", "version": 3, "text": .string(counterSource)]])
        let selection: JSONValue = ["start": ["line": 3, "character": 0], "end": ["line": 6, "character": 0]]
        let actions = try #require(try await client.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(uri)], "range": selection, "context": ["diagnostics": [], "only": ["refactor.rewrite"]],
        ])["result"]?.arrayValue)
        let action = try #require(actions.first { $0["command"]?["command"] == "assist.refactor" }, "\(actions)")
        #expect(action["title"] == "Refactor selection with assist…")
        // For clients that cannot prompt, named refactors carry their instruction.
        let named = actions.filter { $0["title"]?.stringValue?.hasPrefix("Refactor with assist: ") == true }
        #expect(named.map { $0["title"]?.stringValue ?? "" } == [
            "Refactor with assist: simplify", "Refactor with assist: early returns", "Refactor with assist: extract a helper",
        ])
        #expect(named.first?["command"]?["arguments"]?.arrayValue?.first?["instruction"] == "Simplify this code without changing what it does")
        #expect(named.allSatisfy { $0["command"]?["arguments"]?.arrayValue?.first?["range"] == selection })
        var argument = try #require(action["command"]?["arguments"]?.arrayValue?.first)
        #expect(argument["version"] == 3)
        // Without an instruction the command says what it needs.
        let missing = try await client.request("workspace/executeCommand", ["command": "assist.refactor", "arguments": [argument]])
        #expect(missing["error"]?["message"]?.stringValue?.contains("needs an instruction") == true, "\(missing)")
        // With one, the checked edit goes to the editor.
        if case .object(var object) = argument {
            object["instruction"] = "use +="
            argument = .object(object)
        }
        let id = client.sendRequest("workspace/executeCommand", ["command": "assist.refactor", "arguments": [argument]])
        let applyEdit = try #require(await client.serverRequest("workspace/applyEdit", timeout: 120))
        let change = try #require(applyEdit["params"]?["edit"]?["documentChanges"]?.arrayValue?.first)
        #expect(change["textDocument"]?["version"] == 3)
        #expect(change["edits"]?.arrayValue?.contains { $0["newText"]?.stringValue?.contains("count += 1") == true } == true)
        client.respond(to: applyEdit, result: ["applied": true])
        let done = try await client.response(to: id, timeout: 120)
        #expect(done["result"]?["applied"] == true, "\(done)")
        #expect(try await client.shutdownAndExit() == 0)
    }
}
