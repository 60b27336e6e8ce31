import AssistProtocol
import AssistTestSupport
import Foundation
import Testing


private let stackSource = """
    public struct Stack<Element> {
        private var items: [Element] = []

        public init() {}

        public mutating func push(_ item: Element) {
            items.append(item)
        }

        /// Already documented.
        public var isEmpty: Bool { items.isEmpty }
    }

    """

@Suite("assist docstring")
struct DocstringCLITests {
    @Test func checkListsUndocumentedPublicAPIWithoutAModel() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource])
        defer { fixture.remove() }
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--check"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": "/nonexistent"])
        #expect(result.status == 1)
        #expect(result.stdout == "Sources/Stack.swift:1: Stack\nSources/Stack.swift:4: init()\nSources/Stack.swift:6: push(_:)\n")
        try fixture.write("Sources/Done.swift", "/// Documented.\npublic func done() {}\nfunc internalOnly() {}\n")
        let clean = try await runAssist(["docstring", "Sources/Done.swift", "--check"], in: fixture.path)
        #expect(clean.status == 0)
        #expect(clean.stdout.isEmpty)
    }

    @Test func errorsAreOneClearLine() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource, "notes.txt": "hi\n"])
        defer { fixture.remove() }
        let cases: [([String], String)] = [
            (["docstring", "Missing.swift", "--all"], "file not found: Missing.swift"),
            (["docstring", "notes.txt", "--all"], "not a Swift file: notes.txt"),
            (["docstring", "Sources/Stack.swift"], "choose one of --symbol NAME, --line N or --all"),
            (["docstring", "Sources/Stack.swift", "--line", "0"], "--line is 1-based"),
        ]
        for (arguments, message) in cases {
            let result = try await runAssist(arguments, in: fixture.path)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("assist-ds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data(stackSource.utf8).write(to: outside.appendingPathComponent("S.swift"))
        let notRepo = try await runAssist(["docstring", "S.swift", "--all"], in: outside.path)
        #expect(notRepo.status == 1)
        #expect(notRepo.stderr.contains("not a git repository"))
    }

    @Test func noModelInstalledSaysHowToInstallOne() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource])
        defer { fixture.remove() }
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("assist model install"))
        // A symbol that is not there is the error to report, model or no model.
        let missing = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "pop"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no declaration named 'pop'"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("assist model install"))
    }

    /// The real path: the managed llama-server with the small test model.
    @Test func documentsWithTheRealLocalModel() async throws {
        let cache = TestModelCache.path
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(cache): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": cache]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--model", "smollm2-135m", "--json"], in: fixture.path, environment: environment)
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(object["route"]?["kind"] == "docstring")
        #expect(object["route"]?["model"] == "smollm2-135m")
        if result.status == 0 {
            // A valid edit: it applies, it adds only /// lines, and the usage was counted.
            let diff = try #require(object["diff"]?.stringValue)
            #expect(diff.hasPrefix("diff --git a/Sources/Stack.swift b/Sources/Stack.swift"))
            let added = diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
            #expect(!added.isEmpty && added.allSatisfy { $0.hasPrefix("+    ///") })
            #expect(added.contains { $0.contains("- Parameter item:") })
            #expect(object["usage"]?["promptTokens"]?.integerValue ?? 0 > 0)
            try Data(diff.utf8).write(to: URL(fileURLWithPath: fixture.path + "/.git/change.diff"))
            #expect(try fixture.git("apply", "--check", ".git/change.diff").isEmpty)
            // Asked again: answered from the cache, without the model.
            let again = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--model", "smollm2-135m", "--json"], in: fixture.path, environment: environment)
            let second = try JSONDecoder().decode(JSONValue.self, from: Data(again.stdout.utf8))
            #expect(second["cached"] == true)
            #expect(second["diff"] == object["diff"])
            // --apply writes exactly that change.
            let applied = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--model", "smollm2-135m", "--apply"], in: fixture.path, environment: environment)
            #expect(applied.status == 0)
            #expect(try fixture.git("diff").contains(added[0].dropFirst()))
        } else {
            // The small model may fail validation twice; then nothing is returned and it says why.
            #expect(result.status == 1)
            #expect(result.stderr.contains("failed validation"))
            #expect(object["diff"] == "")
        }
        #expect(try fixture.git("status", "--porcelain", "--", ":!Sources").isEmpty)
    }
}

@Suite("assist docstring with a configured local server")
struct ConfiguredLocalServerTests {
    /// With `providers.local.baseURL` set, the CLI talks to that server and needs no managed install.
    @Test func usesTheConfiguredServerInsteadOfTheManagedOne() async throws {
        let answer = "/// Pushes an item onto the stack.\\n/// - Parameter item: The item to push.\\n"
        let events = [
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(answer)\"},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":17}}\n\n",
            "data: [DONE]\n\n",
        ]
        let server = try await StandInServer.start { request, _ in
            request.path.hasSuffix("/chat/completions") ? .streamed(events) : .whole(status: 404, body: "{\"error\":{\"message\":\"no such path\"}}")
        }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource])
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": server.baseURL + "/v1",
            "ASSIST_PROVIDERS_LOCAL_MODEL": "my-model",
        ]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--json"], in: fixture.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(object["route"]?["model"] == "my-model")
        let diff = try #require(object["diff"]?.stringValue)
        #expect(diff.contains("+    /// Pushes an item onto the stack."))
        #expect(diff.contains("+    /// - Parameter item: The item to push."))
        let chats = server.requests.filter { $0.path.hasSuffix("/chat/completions") }
        #expect(chats.count == 1)
        #expect(chats.first?.json?["model"] as? String == "my-model")
    }
}
