import AssistCore
import AssistJSONRPC
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// The daemon keeps its index fresh without being asked: didSave, watched files, a new commit.
@Suite("keeping the index fresh in the background", .serialized)
struct FreshnessTests {
    func started(_ fixture: FixtureRepository, capabilities: JSONValue = [:]) async throws -> TestClient {
        let client = try TestClient.inProcess(environment: ["ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache"])
        #expect(try await client.initialize(rootPath: fixture.path, capabilities: capabilities)["error"] == nil)
        return client
    }

    func symbols(_ client: TestClient, _ query: String) async throws -> [String] {
        let reply = try await client.request("workspace/symbol", ["query": .string(query)])
        return (reply["result"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    /// Polls until `query` finds `name`, for up to `seconds`.
    func appears(_ client: TestClient, _ query: String, _ name: String, within seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await symbols(client, query).contains(name) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func aSavedDocumentIsIndexedWithoutARefresh() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/A.swift": "struct Alpha {}\n"])
        defer { fixture.remove() }
        let client = try await started(fixture)
        #expect(try await symbols(client, "Alpha") == ["Alpha"])
        try fixture.write("Sources/A.swift", "struct Alpha {}\nstruct Beta {}\n")
        // Without a save the index does not move on its own for a working-tree edit.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await symbols(client, "Beta").isEmpty)
        let uri = URL(fileURLWithPath: fixture.path + "/Sources/A.swift").absoluteString
        client.notify("textDocument/didSave", ["textDocument": ["uri": .string(uri)]])
        #expect(try await appears(client, "Beta", "Beta", within: 10), "didSave did not refresh the index")
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func watchedFilesAreRegisteredAndTheirChangesIndexed() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/A.swift": "struct Alpha {}\n"])
        defer { fixture.remove() }
        let client = try await started(fixture, capabilities: ["workspace": ["didChangeWatchedFiles": ["dynamicRegistration": true]]])
        let registration = try #require(await client.serverRequest("client/registerCapability", timeout: 10))
        let registered = registration["params"]?["registrations"]?.arrayValue?.first
        #expect(registered?["method"] == "workspace/didChangeWatchedFiles")
        let globs = registered?["registerOptions"]?["watchers"]?.arrayValue?.compactMap { $0["globPattern"]?.stringValue } ?? []
        #expect(globs == ["**/*.swift", "**/.git/HEAD", "**/.git/index"])
        client.respond(to: registration, result: .null)
        #expect(try await symbols(client, "Alpha") == ["Alpha"])
        try fixture.write("Sources/Delta.swift", "struct Delta {}\n")
        let uri = URL(fileURLWithPath: fixture.path + "/Sources/Delta.swift").absoluteString
        client.notify("workspace/didChangeWatchedFiles", ["changes": [["uri": .string(uri), "type": 1]]])
        #expect(try await appears(client, "Delta", "Delta", within: 10), "a watched change did not refresh the index")
        // Malformed params are dropped, and the daemon serves on.
        client.notify("workspace/didChangeWatchedFiles", ["changes": "everything"])
        #expect(try await symbols(client, "Alpha") == ["Alpha"])
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func aClientThatCannotRegisterIsNotAskedAndANewCommitIsIndexed() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/A.swift": "struct Alpha {}\n"])
        defer { fixture.remove() }
        let client = try await started(fixture)
        #expect(try await symbols(client, "Alpha") == ["Alpha"])
        // As after a pull or a commit made in a terminal: no notification at all.
        try fixture.write("Sources/Gamma.swift", "struct Gamma {}\n")
        _ = try fixture.commitAll("add Gamma")
        #expect(try await appears(client, "Gamma", "Gamma", within: 15), "a new commit was not indexed in the background")
        #expect(client.pending.allSatisfy { $0["method"] != "client/registerCapability" })
        #expect(try await client.shutdownAndExit() == 0)
    }
}
