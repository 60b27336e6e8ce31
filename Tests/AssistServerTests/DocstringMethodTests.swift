import AssistJSONRPC
import AssistLocalModel
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing


@Suite("assist/docstring", .serialized)
struct DocstringMethodTests {
    func started(_ fixture: FixtureRepository, cache: String = TestModelCache.path) async throws -> TestClient {
        let client = try TestClient.inProcess(environment: ["ASSIST_CACHE_DIR": cache], configure: { TestMethods.register(on: $0) })
        #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
        return client
    }

    @Test func paramsAndPlacesAreChecked() async throws {
        let fixture = try FixtureRepository.make(files: ["A.swift": "public func a(x: Int) {}\n", "notes.txt": "hi\n"])
        defer { fixture.remove() }
        // No model installed: what the request names is checked first, so each error is the same with one.
        let client = try await started(fixture, cache: fixture.path + "/.git/no-cache")
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/A.swift").absoluteString)
        let none = try await client.request("assist/docstring", ["textDocument": ["uri": uri]])
        #expect(none.errorCode == ErrorCode.invalidParams.rawValue)
        let two = try await client.request("assist/docstring", ["textDocument": ["uri": uri], "symbol": "a", "all": true])
        #expect(two.errorCode == ErrorCode.invalidParams.rawValue)
        let text = try await client.request("assist/docstring", ["textDocument": ["uri": .string(URL(fileURLWithPath: fixture.path + "/notes.txt").absoluteString)], "all": true])
        #expect(text.errorCode == ErrorCode.requestFailed.rawValue)
        let outside = try await client.request("assist/docstring", ["textDocument": ["uri": "file:///tmp/elsewhere/B.swift"], "all": true])
        #expect(outside.errorCode == ErrorCode.requestFailed.rawValue)
        #expect(outside.errorMessage.contains("not in the repository"))
        let missing = try await client.request("assist/docstring", ["textDocument": ["uri": uri], "symbol": "nope"])
        #expect(missing.errorCode == ErrorCode.requestFailed.rawValue)
        #expect(missing.errorMessage.contains("no declaration named 'nope'"))
        #expect(try await client.shutdownAndExit() == 0)
    }

    /// The real local model (SmolLM2) on an unsaved buffer: the edit is against the buffer, not the disk.
    @Test func documentsTheUnsavedBufferWithTheRealModel() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let fixture = try FixtureRepository.make(files: ["Sources/Math.swift": "public func old() {}\n"])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/Sources/Math.swift").absoluteString)
        let buffer = "public struct Math {\n    public static func add(_ a: Int, to b: Int) -> Int {\n        a + b\n    }\n}\n"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": .string(buffer)]])
        let id = client.sendRequest("assist/docstring", [
            "textDocument": ["uri": uri], "position": ["line": 1, "character": 10], "model": "smollm2-135m", "workDoneToken": "ds-1",
        ])
        let reply = try await client.response(to: id, timeout: 300)
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["route"]?["kind"] == "docstring")
        #expect(result["route"]?["model"] == "smollm2-135m")
        let kinds = client.pending.filter { $0["method"] == "$/progress" }.compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        #expect(kinds.first == "begin" && kinds.last == "end")
        if result["validation"]?["passed"] == true {
            let diff = try #require(result["diff"]?.stringValue)
            #expect(diff.contains("+    /// "))
            #expect(diff.contains("-    public static func add") == false)
            // The edits are against the buffer: applied to it, they give a file that documents add(_:to:).
            guard case .array(let edits)? = result["edits"]?[uri.stringValue!] else {
                Issue.record("no edits for \(uri)")
                return
            }
            #expect(edits.allSatisfy { $0["range"]?["start"]?["line"] == 1 })
            #expect(diff.contains("@@ -1,"))
        } else {
            #expect(result["diff"] == "")
            #expect(result["failures"]?.arrayValue?.isEmpty == false)
        }
        // Nothing was written: the daemon answers edits, the editor applies them.
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Math.swift", encoding: .utf8) == "public func old() {}\n")
        #expect(try await client.shutdownAndExit() == 0)
    }

    /// The daemon starts llama-server itself; killed, it is started again for the next request.
    @Test func managedServerKilledIsStartedAgainForTheNextRequest() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let source = "public func one(a: Int) -> Int { a }\n\npublic func two(b: Int) -> Int { b }\n"
        let fixture = try FixtureRepository.make(files: ["Sources/Two.swift": source])
        defer { fixture.remove() }
        let client = try await started(fixture)
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/Sources/Two.swift").absoluteString)
        let first = try await client.request("assist/docstring", ["textDocument": ["uri": uri], "symbol": "one", "model": "smollm2-135m"], timeout: 300)
        #expect(first["result"] != nil, "\(first)")
        let servers = client.server?.managedModelServers ?? []
        #expect(servers.count == 1)
        let pid = try #require(await servers.first?.processID, "the daemon started no llama-server")
        kill(pid, SIGKILL)
        let second = try await client.request("assist/docstring", ["textDocument": ["uri": uri], "symbol": "two", "model": "smollm2-135m"], timeout: 300)
        #expect(second["result"] != nil, "after the server died: \(second)")
        let restarted = await servers.first?.processID
        #expect(restarted != nil && restarted != pid)
        #expect(try await client.shutdownAndExit() == 0)
        // Shutting down stopped it.
        #expect(await servers.first?.processID == nil)
    }
}
