import AssistCore
import AssistJSONRPC
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// The capabilities of an editor that applies edits, versioned ones included.
private let editingClient: JSONValue = ["workspace": ["applyEdit": true, "workspaceEdit": ["documentChanges": true]]]

private let shapes = """
    /// A circle.
    public struct Circle {
        /// The radius.
        public var radius: Double

        public func area() -> Double {
            radius * radius * 3.14
        }
    }

    """

private let documented = """
    /// A square.
    public struct Square {
        /// The side.
        public var side: Double
    }

    """

@Suite("CodeAction: textDocument/codeAction and workspace/executeCommand", .serialized)
struct CodeActionTests {
    func started(_ fixture: FixtureRepository, capabilities: JSONValue = editingClient) async throws -> TestClient {
        let client = try TestClient.inProcess(environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(try await client.initialize(rootPath: fixture.path, capabilities: capabilities)["error"] == nil)
        return client
    }

    func uri(_ fixture: FixtureRepository, _ path: String) -> String {
        URL(fileURLWithPath: fixture.path + "/" + path).absoluteString
    }

    func actions(_ client: TestClient, _ uri: String, line: Int, only: [String]? = nil) async throws -> [JSONValue] {
        var context: [String: JSONValue] = ["diagnostics": []]
        if let only { context["only"] = .array(only.map { .string($0) }) }
        let reply = try await client.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(uri)],
            "range": ["start": ["line": .integer(line), "character": 4], "end": ["line": .integer(line), "character": 4]],
            "context": .object(context),
        ])
        return try #require(reply["result"]?.arrayValue, "\(reply)")
    }

    func requireModel() -> Bool {
        if TestModelCache.hasTestModel { return true }
        Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
        return false
    }

    @Test func initializeAnnouncesCodeActionsAndTheCommand() async throws {
        let fixture = try FixtureRepository.make(files: ["A.swift": "func a() {}\n"])
        defer { fixture.remove() }
        let client = try TestClient.inProcess()
        let reply = try await client.initialize(rootPath: fixture.path, capabilities: editingClient)
        let capabilities = try #require(reply["result"]?["capabilities"], "\(reply)")
        #expect(capabilities["codeActionProvider"] == ["codeActionKinds": ["refactor.rewrite", "source"], "resolveProvider": true])
        #expect(capabilities["executeCommandProvider"] == ["commands": ["assist.docstring", "assist.refactor"]])
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func undocumentedDeclarationsGetActions() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Shapes.swift": shapes])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let file = uri(fixture, "Sources/Shapes.swift")
        // Inside area()'s body: the innermost declaration is area().
        let inBody = try await actions(client, file, line: 6)
        #expect(inBody.count == 2, "\(inBody)")
        #expect(inBody.first?["title"] == "Document area()")
        #expect(inBody.first?["kind"] == "refactor.rewrite")
        #expect(inBody.first?["command"]?["command"] == "assist.docstring")
        #expect(inBody.first?["command"]?["arguments"] == [["uri": .string(file), "line": 6]])
        #expect(inBody.first?["edit"] == nil)
        #expect(inBody.last?["title"] == "Document all in file")
        #expect(inBody.last?["kind"] == "source")
        #expect(inBody.last?["command"]?["arguments"] == [["uri": .string(file), "all": true]])
        // On a documented declaration: only the whole-file action.
        let onDocumented = try await actions(client, file, line: 3)
        #expect(onDocumented.map { $0["title"] } == ["Document all in file"])
        // `only` filters by kind and sub-kind.
        #expect(try await actions(client, file, line: 6, only: ["source"]).map { $0["kind"] } == ["source"])
        #expect(try await actions(client, file, line: 6, only: ["refactor"]).map { $0["kind"] } == ["refactor.rewrite"])
        #expect(try await actions(client, file, line: 6, only: ["quickfix"]).isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func nothingIsOfferedWhereNothingCanBeDocumented() async throws {
        let fixture = try FixtureRepository.make(files: [
            "Sources/Square.swift": documented, "notes.txt": "func looksLikeSwift() {}\n",
        ])
        defer { fixture.remove() }
        let client = try await started(fixture)
        #expect(try await actions(client, uri(fixture, "Sources/Square.swift"), line: 1).isEmpty)
        #expect(try await actions(client, uri(fixture, "notes.txt"), line: 0).isEmpty)
        #expect(try await actions(client, "file:///tmp/elsewhere/B.swift", line: 0).isEmpty)
        #expect(try await actions(client, uri(fixture, "Sources/Missing.swift"), line: 0).isEmpty)
        #expect(try await actions(client, "untitled:Untitled-1", line: 0).isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func theUnsavedBufferWins() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Square.swift": documented, "Sources/Shapes.swift": shapes])
        defer { fixture.remove() }
        let client = try await started(fixture)
        // Documented on disk, undocumented in the buffer: offered, with the buffer's version.
        let square = uri(fixture, "Sources/Square.swift")
        client.notify("textDocument/didOpen", ["textDocument": [
            "uri": .string(square), "languageId": "swift", "version": 3, "text": "public struct Square {\n    public var side: Double\n}\n",
        ]])
        let offered = try await actions(client, square, line: 0)
        #expect(offered.map { $0["title"] } == ["Document Square", "Document all in file"])
        #expect(offered.first?["command"]?["arguments"] == [["uri": .string(square), "line": 0, "version": 3]])
        // Undocumented on disk, documented in the buffer: nothing.
        let circle = uri(fixture, "Sources/Shapes.swift")
        let documentedShapes = shapes.replacingOccurrences(of: "    public func area", with: "    /// The area.\n    public func area")
        client.notify("textDocument/didOpen", ["textDocument": [
            "uri": .string(circle), "languageId": "swift", "version": 1, "text": .string(documentedShapes),
        ]])
        #expect(try await actions(client, circle, line: 7).isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func badCommandsAreRefusedWithoutAModel() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Shapes.swift": shapes])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let file = JSONValue.string(uri(fixture, "Sources/Shapes.swift"))
        let unknown = try await client.request("workspace/executeCommand", ["command": "assist.nope", "arguments": [["uri": file, "all": true]]])
        #expect(unknown.errorCode == ErrorCode.invalidParams.rawValue)
        #expect(unknown.errorMessage.contains("assist.docstring"))
        let noArguments = try await client.request("workspace/executeCommand", ["command": "assist.docstring"])
        #expect(noArguments.errorCode == ErrorCode.invalidParams.rawValue)
        let two = try await client.request("workspace/executeCommand", ["command": "assist.docstring", "arguments": [["uri": file, "line": 1, "all": true]]])
        #expect(two.errorCode == ErrorCode.invalidParams.rawValue)
        let noURI = try await client.request("workspace/executeCommand", ["command": "assist.docstring", "arguments": [["all": true]]])
        #expect(noURI.errorCode == ErrorCode.invalidParams.rawValue)
        let text = try await client.request("workspace/executeCommand", ["command": "assist.docstring", "arguments": [["uri": "file:///tmp/elsewhere/B.swift", "all": true]]])
        #expect(text.errorCode == ErrorCode.requestFailed.rawValue)
        // An action offered for version 1 of a buffer now at version 2 is stale: no model, no edit.
        client.notify("textDocument/didOpen", ["textDocument": ["uri": file, "languageId": "swift", "version": 1, "text": .string(shapes)]])
        client.notify("textDocument/didChange", [
            "textDocument": ["uri": file, "version": 2],
            "contentChanges": [["range": ["start": ["line": 9, "character": 0], "end": ["line": 9, "character": 0]], "text": "\n"]],
        ])
        let stale = try await client.request("workspace/executeCommand", ["command": "assist.docstring", "arguments": [["uri": file, "line": 6, "version": 1]]])
        #expect(stale.errorCode == ErrorCode.contentModified.rawValue)
        #expect(stale.errorMessage.contains("changed since the action was offered"))
        #expect(client.pending.allSatisfy { $0["method"] != "workspace/applyEdit" })
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aClientThatCannotApplyEditsIsTold() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Shapes.swift": shapes])
        defer { fixture.remove() }
        let client = try await started(fixture, capabilities: [:])
        let file = JSONValue.string(uri(fixture, "Sources/Shapes.swift"))
        let reply = try await client.request("workspace/executeCommand", ["command": "assist.docstring", "arguments": [["uri": file, "all": true]]])
        #expect(reply.errorCode == ErrorCode.requestFailed.rawValue)
        #expect(reply.errorMessage.contains("workspace/applyEdit"))
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func nothingToDocumentSendsNoEdit() async throws {
        guard requireModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Square.swift": documented])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let file = JSONValue.string(uri(fixture, "Sources/Square.swift"))
        let reply = try await client.request("workspace/executeCommand", [
            "command": "assist.docstring", "arguments": [["uri": file, "all": true, "model": "smollm2-135m"]],
        ], timeout: 60)
        #expect(reply["result"]?["applied"] == false, "\(reply)")
        #expect(reply["result"]?["message"]?.stringValue?.contains("nothing to document") == true)
        #expect(client.pending.allSatisfy { $0["method"] != "workspace/applyEdit" })
        #expect(try await client.shutdownAndExit() == 0)
    }

    /// The real local model (SmolLM2): refused by the editor, then applied (from the cache), as a
    /// versioned edit of the open buffer that only adds `///` lines; then an unopened file gets `changes`.
    @Test func executeCommandSendsAVerifiedEditWithTheRealModel() async throws {
        guard requireModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Square.swift": documented, "Sources/Plain.swift": "public struct Plain {}\n"])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let square = uri(fixture, "Sources/Square.swift")
        let buffer = "public struct Square {\n    public var side: Double\n}\n"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": .string(square), "languageId": "swift", "version": 1, "text": .string(buffer)]])
        let action = try #require(try await actions(client, square, line: 0).first)
        #expect(action["title"] == "Document Square")
        guard case .object(var argument)? = action["command"]?["arguments"]?.arrayValue?.first else {
            Issue.record("no argument in \(action)")
            return
        }
        argument["model"] = "smollm2-135m"
        let params: JSONValue = ["command": "assist.docstring", "arguments": [.object(argument)], "workDoneToken": "cmd-1"]

        // First run: the editor refuses.
        let first = client.sendRequest("workspace/executeCommand", params)
        let firstMessage = try #require(await client.take(timeout: 600) { $0["method"] == "workspace/applyEdit" || $0["id"] == first.jsonValue })
        guard firstMessage["method"] == "workspace/applyEdit" else {
            // The small model failed validation twice: nothing is sent, and the result says so.
            #expect(firstMessage["result"]?["applied"] == false, "\(firstMessage)")
            #expect(firstMessage["result"]?["failures"]?.arrayValue?.isEmpty == false)
            #expect(try await client.shutdownAndExit() == 0)
            return
        }
        let refused = firstMessage["params"]?["edit"]
        #expect(refused?["documentChanges"]?.arrayValue?.first?["textDocument"] == ["uri": .string(square), "version": 1])
        #expect(refused?["changes"] == nil)
        client.respond(to: firstMessage, result: ["applied": false, "failureReason": "the user said no"])
        let refusal = try await client.response(to: first, timeout: 30)
        #expect(refusal.errorCode == ErrorCode.requestFailed.rawValue)
        #expect(refusal.errorMessage.contains("the user said no"))
        let kinds = client.pending.filter { $0["method"] == "$/progress" }.compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        #expect(kinds.first == "begin" && kinds.last == "end")

        // A run cancelled while it waits for the editor answers -32800; the editor's late answer is ignored.
        let cancelled = client.sendRequest("workspace/executeCommand", params)
        let unanswered = try #require(await client.serverRequest("workspace/applyEdit", timeout: 60))
        client.notify("$/cancelRequest", ["id": cancelled.jsonValue])
        #expect(try await client.response(to: cancelled, timeout: 30).errorCode == ErrorCode.requestCancelled.rawValue)
        client.respond(to: unanswered, result: ["applied": true])

        // Next run: the comment comes from the cache; the editor applies it.
        let second = client.sendRequest("workspace/executeCommand", params)
        let applyEdit = try #require(await client.serverRequest("workspace/applyEdit", timeout: 60))
        guard case .array(let edits)? = applyEdit["params"]?["edit"]?["documentChanges"]?.arrayValue?.first?["edits"] else {
            Issue.record("no edits in \(applyEdit)")
            return
        }
        var document = TextDocument(uri: square, languageID: "swift", version: 1, text: buffer)
        for edit in edits.reversed() {
            let range = try #require(edit["range"])
            try document.apply([TextChange(
                range: TextRange(
                    start: TextPosition(line: range["start"]!["line"]!.integerValue!, character: range["start"]!["character"]!.integerValue!),
                    end: TextPosition(line: range["end"]!["line"]!.integerValue!, character: range["end"]!["character"]!.integerValue!)),
                text: edit["newText"]!.stringValue!)], version: 2)
        }
        let before = buffer.split(separator: "\n", omittingEmptySubsequences: false)
        let after = document.text.split(separator: "\n", omittingEmptySubsequences: false)
        let added = after.filter { !before.contains($0) }
        #expect(!added.isEmpty)
        #expect(added.allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("///") }, "\(document.text)")
        #expect(after.filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("///") } == before)
        client.respond(to: applyEdit, result: ["applied": true])
        let done = try await client.response(to: second, timeout: 30)
        #expect(done["result"]?["applied"] == true, "\(done)")
        #expect(done["result"]?["declarations"]?.arrayValue?.first?["name"] == "Square")
        #expect(done["result"]?["declarations"]?.arrayValue?.first?["cached"] == true)

        // A file that is not open gets `changes`, keyed by its URI.
        let plain = uri(fixture, "Sources/Plain.swift")
        let third = client.sendRequest("workspace/executeCommand", [
            "command": "assist.docstring", "arguments": [["uri": .string(plain), "symbol": "Plain", "model": "smollm2-135m"]],
        ])
        let thirdMessage = try #require(await client.take(timeout: 600) { $0["method"] == "workspace/applyEdit" || $0["id"] == third.jsonValue })
        if thirdMessage["method"] == "workspace/applyEdit" {
            #expect(thirdMessage["params"]?["edit"]?["changes"]?[plain]?.arrayValue?.isEmpty == false, "\(thirdMessage)")
            #expect(thirdMessage["params"]?["edit"]?["documentChanges"] == nil)
            client.respond(to: thirdMessage, result: ["applied": true])
            #expect(try await client.response(to: third, timeout: 30)["result"]?["applied"] == true)
        }
        // Nothing was written to disk: the editor applies edits.
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Square.swift", encoding: .utf8) == documented)
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Plain.swift", encoding: .utf8) == "public struct Plain {}\n")
        #expect(try await client.shutdownAndExit() == 0)
    }

    /// A `didChange` that arrives while the model writes: the edit is not sent.
    @Test func aBufferChangedDuringTheRunGetsNoEdit() async throws {
        guard requireModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Shapes.swift": shapes])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let file = JSONValue.string(uri(fixture, "Sources/Shapes.swift"))
        let buffer = "public struct A {}\npublic struct B {}\npublic func c(x: Int) -> Int { x }\npublic var d = 1\n"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": file, "languageId": "swift", "version": 1, "text": .string(buffer)]])
        let id = client.sendRequest("workspace/executeCommand", [
            "command": "assist.docstring", "arguments": [["uri": file, "all": true, "model": "smollm2-135m"]], "workDoneToken": "run-1",
        ])
        // The engine has read the buffer once progress begins (the model starts after that).
        let begin = await client.take(timeout: 60) { $0["method"] == "$/progress" && $0["params"]?["value"]?["kind"] == "begin" }
        #expect(begin != nil)
        client.notify("textDocument/didChange", [
            "textDocument": ["uri": file, "version": 2],
            "contentChanges": [["range": ["start": ["line": 4, "character": 0], "end": ["line": 4, "character": 0]], "text": "// edited\n"]],
        ])
        let reply = try await client.response(to: id, timeout: 600)
        #expect(reply.errorCode == ErrorCode.contentModified.rawValue, "\(reply)")
        #expect(reply.errorMessage.contains("changed while"))
        #expect(client.pending.allSatisfy { $0["method"] != "workspace/applyEdit" })
        #expect(try await client.shutdownAndExit() == 0)
    }
}
