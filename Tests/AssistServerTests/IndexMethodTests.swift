import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

@Suite("Index methods")
struct IndexMethodTests {
    static let files = [
        "Sources/Net/Channel.swift": """
            /// A channel.
            public struct Channel {
                /// Writes bytes.
                public func write(_ bytes: [UInt8]) {}
                public func flush() {}
                func internalHelper() {}
            }
            """,
        "Sources/Net/ChannelHandler.swift": "public protocol ChannelHandler {\n    func handlerAdded()\n}\n",
        "README.md": "# hi\n",
        "logo.png": "\u{0}PNG",
    ]

    @Test func statusCountsFilesDeclarationsAndPublicAPI() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let status = try #require(try await client.request("assist/index/status")["result"])
        #expect(status["repository"] == .string(fixture.path))
        #expect(status["files"] == 4)
        #expect(status["filesByLanguage"]?["swift"] == 2)
        #expect(status["filesAnalyzed"] == 2)
        #expect(status["filesSkipped"]?["binary"] == 1)
        // Channel, write, flush, internalHelper, ChannelHandler, handlerAdded
        #expect(status["declarations"] == 6)
        #expect(status["publicAPI"] == ["total": 5, "documented": 2, "undocumented": 3])
        #expect(status["cache"]?["misses"]?.integerValue ?? 0 >= 2)
        // The cache lives under .git/assist/ and a second refresh hits it.
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/assist"))
        let again = try #require(try await client.request("assist/index/refresh")["result"])
        #expect(again["cache"]?["analyses"] == 0)
    }

    @Test func refreshReportsProgressWithAToken() async throws {
        var files: [String: String] = [:]
        for index in 0..<40 { files["Sources/F\(index).swift"] = "public func f\(index)() {}\n" }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let id = client.sendRequest("assist/index/refresh", ["workDoneToken": "index-1"])
        let reply = try await client.response(to: id)
        #expect(reply["result"]?["declarations"] == 40)
        let kinds = client.pending.filter { $0["method"] == "$/progress" }.compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        #expect(kinds.first == "begin")
        #expect(kinds.last == "end")
        #expect(kinds.contains("report"))
    }

    @Test func workspaceSymbolRanksMatches() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let result = try #require(try await client.request("workspace/symbol", ["query": "Channel"])["result"])
        guard case .array(let symbols) = result else {
            Issue.record("expected an array, got \(result)")
            return
        }
        #expect(symbols.first?["name"] == "Channel")
        #expect(symbols.first?["kind"] == 23)
        #expect(symbols.first?["location"]?["uri"] == .string(URL(fileURLWithPath: fixture.path + "/Sources/Net/Channel.swift").absoluteString))
        #expect(symbols.first?["location"]?["range"] == ["start": ["line": 1, "character": 14], "end": ["line": 1, "character": 21]])
        #expect(symbols.map { $0["name"] }.contains("ChannelHandler"))
        let method = try #require(try await client.request("workspace/symbol", ["query": "flush"])["result"]?.arrayValue?.first)
        #expect(method["kind"] == 6)
        #expect(method["containerName"] == "Channel")
        #expect(try await client.request("workspace/symbol", ["query": "zzzz"])["result"] == [])
    }

    @Test func unsavedBuffersAreIndexed() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/Sources/Net/ChannelHandler.swift").absoluteString)
        client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": "public protocol ChannelHandler {\n    func handlerAdded()\n    func handlerRemovedFromUnsavedBuffer()\n}\n"]])
        let found = try await client.request("workspace/symbol", ["query": "handlerRemovedFromUnsaved"])["result"]
        #expect(found?.arrayValue?.first?["name"] == "handlerRemovedFromUnsavedBuffer")
        #expect(try await client.request("assist/index/status")["result"]?["openBuffers"] == 1)
        client.notify("textDocument/didClose", ["textDocument": ["uri": uri]])
        #expect(try await client.request("workspace/symbol", ["query": "handlerRemovedFromUnsaved"])["result"] == [])
        // The committed content's cache was never touched by the buffer.
        #expect(try fixture.git("status", "--porcelain") == "")
    }

    @Test func withoutARepositoryTheIndexSaysWhy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assist-noindex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = try await startedClient(root: directory)
        let reply = try await client.request("assist/index/status")
        #expect(reply.errorCode == ErrorCode.requestFailed.rawValue)
        #expect(reply.errorMessage.contains("not a git repository"))
    }
}
