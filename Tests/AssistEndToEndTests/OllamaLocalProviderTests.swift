import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

private let source = """
    public struct Stack<Element> {
        private var items: [Element] = []

        public mutating func push(_ item: Element) {
            items.append(item)
        }
    }

    """

/// A stand-in Ollama speaking its documented API: `/api/show` (the model's `context_length`, or
/// a 404 for a model it does not have), `/api/chat` streamed as NDJSON, `/api/tags`.
private func ollama(models: [String: Int], answer: String) async throws -> StandInServer {
    let escaped = answer.replacingOccurrences(of: "\n", with: "\\n")
    let lines = [
        "{\"model\":\"m\",\"created_at\":\"2026-12-04T10:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\(escaped)\"},\"done\":false}\n",
        "{\"model\":\"m\",\"created_at\":\"2026-12-04T10:00:01Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":140,\"eval_count\":18}\n",
    ]
    return try await StandInServer.start { request, _ in
        let model = request.json?["model"] as? String ?? ""
        switch request.path {
        case "/api/show":
            guard let length = models[model] else { return .whole(status: 404, body: "{\"error\":\"model '\(model)' not found\"}") }
            return .whole(body: "{\"model_info\":{\"general.architecture\":\"qwen2\",\"qwen2.context_length\":\(length)}}")
        case "/api/chat":
            guard models[model] != nil else { return .whole(status: 404, body: "{\"error\":\"model \\\"\(model)\\\" not found, try pulling it first\"}") }
            return .streamed(lines, contentType: "application/x-ndjson")
        case "/api/tags":
            return .whole(body: "{\"models\":[]}")
        default:
            return .whole(status: 404, body: "404 page not found", contentType: "text/plain")
        }
    }
}

@Suite("Ollama as the local provider")
struct OllamaLocalProviderTests {
    static let answer = "/// Pushes an item onto the stack.\n/// - Parameter item: The item to push.\n"

    /// `routing.localProvider = "ollama"`: the docstring comes from Ollama's `/api/chat` with
    /// `num_ctx`, `keep_alive` and the default model; no managed model is needed.
    @Test func aDocstringComesFromOllama() async throws {
        let server = try await ollama(models: ["qwen2.5-coder:0.5b": 32768], answer: Self.answer)
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": source])
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_ROUTING_LOCAL_PROVIDER": "ollama",
            "ASSIST_PROVIDERS_OLLAMA_BASE_URL": server.baseURL,
            "ASSIST_LOCAL_KEEP_ALIVE_SECONDS": "900",
        ]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--json"], in: fixture.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        let diff = try #require(object["diff"]?.stringValue)
        #expect(diff.contains("+    /// Pushes an item onto the stack."))
        #expect(diff.contains("+    /// - Parameter item: The item to push."))
        let chats = server.requests.filter { $0.path == "/api/chat" }
        #expect(chats.count == 1)
        let chat = try #require(chats.first)
        #expect(chat.json?["model"] as? String == "qwen2.5-coder:0.5b")
        #expect(chat.json?["keep_alive"] as? Int == 900)
        #expect(chat.json?["stream"] as? Bool == true)
        let options = chat.json?["options"] as? [String: Any]
        #expect(options?["num_ctx"] as? Int == 8192)
        #expect(options?["num_predict"] as? Int == 200)
        #expect(chat.json?["grammar"] == nil && chat.json?["format"] == nil)
        // Nothing was written without --apply, and nothing went to a managed model.
        #expect(try fixture.git("status", "--porcelain").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/no-cache/run"))
    }

    /// A model Ollama does not have: the command fails, says `ollama pull NAME`, and writes nothing.
    @Test func aMissingModelSaysWhatToPull() async throws {
        let server = try await ollama(models: [:], answer: Self.answer)
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": source])
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_ROUTING_LOCAL_PROVIDER": "ollama",
            "ASSIST_PROVIDERS_OLLAMA_BASE_URL": server.baseURL,
            "ASSIST_PROVIDERS_OLLAMA_MODEL": "codellama:7b",
        ]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push", "--apply"], in: fixture.path, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("run `ollama pull codellama:7b`"), "\(result.stderr)")
        #expect(server.requests.allSatisfy { $0.path != "/api/chat" })
        #expect(try fixture.git("status", "--porcelain").isEmpty)
    }

    /// Ollama not running: a clear error naming its address, at once.
    @Test func ollamaNotRunningIsAClearError() async throws {
        let port = try RefusingPort()
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": source])
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_ROUTING_LOCAL_PROVIDER": "ollama",
            "ASSIST_PROVIDERS_OLLAMA_BASE_URL": "http://127.0.0.1:\(port.port)",
            "ASSIST_BACKENDS_MAX_RETRIES": "0",
        ]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push"], in: fixture.path, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("127.0.0.1:\(port.port) refused the connection"), "\(result.stderr)")
    }

    /// A repository cannot choose Ollama (which the user may run elsewhere for other work): the
    /// setting is the user's alone; the repository file's value is not taken.
    @Test func aRepositoryCannotChooseOllama() async throws {
        let server = try await ollama(models: ["qwen2.5-coder:0.5b": 32768], answer: Self.answer)
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: [
            "Sources/Stack.swift": source,
            ".assist.toml": "[routing]\nlocalProvider = \"ollama\"\n",
        ])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache", "ASSIST_PROVIDERS_OLLAMA_BASE_URL": server.baseURL]
        let result = try await runAssist(["docstring", "Sources/Stack.swift", "--symbol", "push"], in: fixture.path, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("assist model install"), "\(result.stderr)")
        #expect(server.requests.isEmpty)
    }
}
