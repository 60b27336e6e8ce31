import AssistCore
import AssistJSONRPC
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// What a stock LSP client announces: it resolves `edit`, takes versioned edits and shows progress
/// under a token the server creates (as VS Code, Neovim 0.10+ and Helix do). No `applyEdit`.
private let resolvingClient: JSONValue = [
    "textDocument": ["codeAction": ["resolveSupport": ["properties": ["edit"]]]],
    "workspace": ["workspaceEdit": ["documentChanges": true]],
    "window": ["workDoneProgress": true],
]

private let source = "public struct Box {\n    public func add(_ a: Int, _ b: Int) -> Int { a + b }\n}\n"
private let comment = "/// Adds two integers.\n///\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n"

/// `codeAction/resolve`: a plain LSP client (only standard methods, the real `assist serve` as a
/// child process) gets docstring actions without an edit, resolves one, and applies the edit it
/// gets back; the daemon never sends `workspace/applyEdit` to it.
@Suite("CodeAction: codeAction/resolve for clients that resolve edit", .serialized)
struct CodeActionResolveTests {
    /// A stand-in local model that answers every chat with `reply` (streamed or whole, as asked).
    static func model(_ reply: String, delay: Duration? = nil) async throws -> StandInServer {
        try await StandInServer.start { request, _ in
            guard request.path.hasSuffix("/chat/completions") else { return .whole(status: 404, body: "{}") }
            let content = String(decoding: try! JSONEncoder().encode(reply), as: UTF8.self)
            let answer: StandInServer.Reply = if request.json?["stream"] as? Bool == true {
                .streamed([
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\(content)},\"finish_reason\":null}]}\n\n",
                    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":20}}\n\n",
                    "data: [DONE]\n\n",
                ])
            } else {
                .whole(body: "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\(content)},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":20}}")
            }
            return delay.map { .delayed($0, answer) } ?? answer
        }
    }

    static func start(_ model: StandInServer, capabilities: JSONValue = resolvingClient) async throws -> (FixtureRepository, TestClient, String) {
        let fixture = try FixtureRepository.make(files: ["Sources/Box.swift": source])
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1", "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192", "ASSIST_LOG_LEVEL": "error",
        ])
        let reply = try await client.initialize(rootPath: fixture.path, capabilities: capabilities)
        #expect(reply["result"]?["capabilities"]?["codeActionProvider"]?["resolveProvider"] == true, "\(reply)")
        return (fixture, client, URL(fileURLWithPath: fixture.path + "/Sources/Box.swift").absoluteString)
    }

    static func open(_ client: TestClient, _ uri: String, version: Int = 1, text: String = source) {
        client.notify("textDocument/didOpen", ["textDocument": [
            "uri": .string(uri), "languageId": "swift", "version": .integer(version), "text": .string(text),
        ]])
    }

    static func actions(_ client: TestClient, _ uri: String, line: Int) async throws -> [JSONValue] {
        let reply = try await client.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(uri)],
            "range": ["start": ["line": .integer(line), "character": 4], "end": ["line": .integer(line), "character": 4]],
            "context": ["diagnostics": []],
        ])
        return try #require(reply["result"]?.arrayValue, "\(reply)")
    }

    /// Applies LSP text edits to a text, last first, as an editor does.
    static func apply(_ edits: [JSONValue], to text: String) throws -> String {
        var document = TextDocument(uri: "file:///x.swift", languageID: "swift", version: 1, text: text)
        for (index, edit) in edits.reversed().enumerated() {
            let range = try #require(edit["range"])
            func position(_ value: JSONValue?) throws -> TextPosition {
                TextPosition(line: try #require(value?["line"]?.integerValue), character: try #require(value?["character"]?.integerValue))
            }
            try document.apply([TextChange(
                range: TextRange(start: try position(range["start"]), end: try position(range["end"])),
                text: try #require(edit["newText"]?.stringValue))], version: 2 + index)
        }
        return document.text
    }

    @Test func anActionIsResolvedIntoAVersionedEditWithProgress() async throws {
        let model = try await Self.model(comment)
        defer { Task { await model.stop() } }
        let (fixture, client, uri) = try await Self.start(model)
        defer { fixture.remove() }
        Self.open(client, uri, version: 4)
        let offered = try await Self.actions(client, uri, line: 1)
        let action = try #require(offered.first { $0["title"] == "Document add(_:_:)" }, "\(offered)")
        // Offered lazily: no edit, no command, the data names the declaration and version.
        #expect(action["edit"] == nil && action["command"] == nil, "\(action)")
        #expect(action["data"] == ["uri": .string(uri), "line": 1, "version": 4])
        #expect(model.requests.isEmpty, "offering an action called the model")

        let id = client.sendRequest("codeAction/resolve", action)
        // The daemon asks to create a progress token, then reports under it.
        let create = try #require(await client.serverRequest("window/workDoneProgress/create", timeout: 30))
        let token = try #require(create["params"]?["token"])
        client.respond(to: create, result: .null)
        let reply = try await client.response(to: id, timeout: 60)
        let edit = try #require(reply["result"]?["edit"], "\(reply)")
        #expect(reply["result"]?["title"] == "Document add(_:_:)")
        let change = try #require(edit["documentChanges"]?.arrayValue?.first)
        #expect(change["textDocument"] == ["uri": .string(uri), "version": 4])
        #expect(edit["changes"] == nil)
        let after = try Self.apply(try #require(change["edits"]?.arrayValue), to: source)
        let indented = comment.split(separator: "\n").map { "    \($0)\n" }.joined()
        #expect(after == source.replacingOccurrences(of: "    public func add", with: indented + "    public func add"), "\(after)")
        let kinds = client.pending.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == token }
            .compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        #expect(kinds.first == "begin" && kinds.last == "end", "\(kinds)")
        // A stock client applies the edit itself: no workspace/applyEdit, and nothing on disk.
        #expect(client.pending.allSatisfy { $0["method"] != "workspace/applyEdit" })
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Box.swift", encoding: .utf8) == source)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aClientWithoutDocumentChangesGetsChangesForAFileThatIsNotOpen() async throws {
        let model = try await Self.model(comment)
        defer { Task { await model.stop() } }
        let capabilities: JSONValue = ["textDocument": ["codeAction": ["resolveSupport": ["properties": ["edit"]]]]]
        let (fixture, client, uri) = try await Self.start(model, capabilities: capabilities)
        defer { fixture.remove() }
        let action = try #require(try await Self.actions(client, uri, line: 1).first { $0["title"] == "Document all in file" })
        #expect(action["data"] == ["uri": .string(uri), "all": true])
        let reply = try await client.request("codeAction/resolve", action, timeout: 60)
        let edits = try #require(reply["result"]?["edit"]?["changes"]?[uri]?.arrayValue, "\(reply)")
        #expect(reply["result"]?["edit"]?["documentChanges"] == nil)
        let after = try Self.apply(edits, to: source)
        #expect(after.hasPrefix("/// "), "Box is documented too: \(after)")
        #expect(after.components(separatedBy: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("///") }
            == source.components(separatedBy: "\n"))
        // No progress token was created: the client did not announce window.workDoneProgress.
        #expect(client.pending.allSatisfy { $0["method"] != "window/workDoneProgress/create" })
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aStaleOrHostileActionIsRefusedBeforeTheModel() async throws {
        let model = try await Self.model(comment)
        defer { Task { await model.stop() } }
        let (fixture, client, uri) = try await Self.start(model, capabilities: [
            "textDocument": ["codeAction": ["resolveSupport": ["properties": ["edit"]]]],
        ])
        defer { fixture.remove() }
        Self.open(client, uri, version: 1)
        let action = try #require(try await Self.actions(client, uri, line: 1).first)
        client.notify("textDocument/didChange", [
            "textDocument": ["uri": .string(uri), "version": 2],
            "contentChanges": [["range": ["start": ["line": 3, "character": 0], "end": ["line": 3, "character": 0]], "text": "\n"]],
        ])
        let stale = try await client.request("codeAction/resolve", action)
        #expect(stale.errorCode == ErrorCode.contentModified.rawValue, "\(stale)")
        #expect(stale.errorMessage.contains("changed since the action was offered"))
        // Actions this daemon did not offer: no data, a file outside the repository, one in .git/.
        let noData = try await client.request("codeAction/resolve", ["title": "Document add(_:_:)", "kind": "refactor.rewrite"])
        #expect(noData.errorCode == ErrorCode.invalidParams.rawValue, "\(noData)")
        for target in ["file:///etc/passwd.swift", URL(fileURLWithPath: fixture.path + "/.git/hooks/x.swift").absoluteString] {
            let hostile = try await client.request("codeAction/resolve", [
                "title": "Document", "kind": "source", "data": ["uri": .string(target), "all": true],
            ])
            #expect(hostile.errorCode == ErrorCode.requestFailed.rawValue, "\(target): \(hostile)")
        }
        let two = try await client.request("codeAction/resolve", [
            "title": "Document", "kind": "source", "data": ["uri": .string(uri), "all": true, "line": 1],
        ])
        #expect(two.errorCode == ErrorCode.invalidParams.rawValue, "\(two)")
        #expect(model.requests.isEmpty, "a refused action called the model")
        // The daemon keeps serving.
        #expect(try await client.request("assist/status")["result"] != nil)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aBadAnswerIsRejectedAndACancelIsHonoured() async throws {
        // The model answers code instead of a comment: no edit, an error the editor shows.
        let model = try await Self.model("public func add(_ a: Int, _ b: Int) -> Int { a - b }\n")
        defer { Task { await model.stop() } }
        let (fixture, client, uri) = try await Self.start(model, capabilities: [
            "textDocument": ["codeAction": ["resolveSupport": ["properties": ["edit"]]]],
        ])
        defer { fixture.remove() }
        let action = try #require(try await Self.actions(client, uri, line: 1).first { $0["title"] == "Document add(_:_:)" })
        let bad = try await client.request("codeAction/resolve", action, timeout: 60)
        #expect(bad.errorCode == ErrorCode.requestFailed.rawValue, "\(bad)")
        #expect(bad.errorMessage.contains("no comment passed validation"), "\(bad)")
        #expect(bad["result"] == nil)

        let slow = try await Self.model(comment, delay: .seconds(30))
        defer { Task { await slow.stop() } }
        let (slowFixture, slowClient, slowURI) = try await Self.start(slow, capabilities: [
            "textDocument": ["codeAction": ["resolveSupport": ["properties": ["edit"]]]],
        ])
        defer { slowFixture.remove() }
        let slowAction = try #require(try await Self.actions(slowClient, slowURI, line: 1).first)
        let id = slowClient.sendRequest("codeAction/resolve", slowAction)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, slow.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        let started = ContinuousClock.now
        slowClient.notify("$/cancelRequest", ["id": id.jsonValue])
        let cancelled = try await slowClient.response(to: id, timeout: 20)
        #expect(cancelled.errorCode == ErrorCode.requestCancelled.rawValue, "\(cancelled)")
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try await client.shutdownAndExit() == 0)
        #expect(try await slowClient.shutdownAndExit() == 0)
    }
}
