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
    }

    """

private let geometry = """
    struct Rectangle {
        var width: Double
        var height: Double

        func area() -> Double {
            let result = width * height
            return result
        }
    }

    """

/// The real path with the default model (Qwen2.5-Coder-0.5B, managed `llama-server`): each of these
/// fails when the model's answer is refused, so they require that the local path works, not only
/// that it fails cleanly.
@Suite("the default local model, required to answer", .serialized)
struct DefaultModelTests {
    @Test func theShellDocumentsAFunction() async throws {
        guard TestModelCache.requireDefaultModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Stack.swift": stackSource])
        defer { fixture.remove() }
        let result = try await runAssist(
            ["docstring", "Sources/Stack.swift", "--symbol", "push", "--json"], in: fixture.path,
            environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(result.status == 0, "the default model's comment was refused: \(result.stderr)")
        let object = try JSONDecoder().decode(DocstringResult.self, from: Data(result.stdout.utf8))
        #expect(object.validation.passed)
        #expect(object.route.model == "qwen2.5-coder-0.5b")
        let added = object.diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
        #expect(!added.isEmpty && added.allSatisfy { $0.hasPrefix("+    ///") }, "\(object.diff)")
        #expect(added.contains { $0.contains("- Parameter item:") }, "\(object.diff)")
        try Data(object.diff.utf8).write(to: URL(fileURLWithPath: fixture.path + "/.git/change.diff"))
        #expect(try fixture.git("apply", "--check", ".git/change.diff").isEmpty)
    }

    @Test func theShellRefactorsThroughTheLocalModel() async throws {
        guard TestModelCache.requireDefaultModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Rectangle.swift": geometry])
        defer { fixture.remove() }
        let result = try await runAssist(
            ["refactor", "Sources/Rectangle.swift", "--instruction", "return width * height directly", "--range", "5:8", "--json"],
            in: fixture.path, environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(result.status == 0, "the default model's refactor was refused: \(result.stderr)")
        let object = try JSONDecoder().decode(RefactorResult.self, from: Data(result.stdout.utf8))
        #expect(object.route.backend == "local")
        #expect(object.validation.passed)
        #expect(object.diff.contains("-        let result = width * height"), "\(object.diff)")
        try Data(object.diff.utf8).write(to: URL(fileURLWithPath: fixture.path + "/.git/change.diff"))
        #expect(try fixture.git("apply", "--check", ".git/change.diff").isEmpty)
        #expect(try fixture.git("status", "--porcelain").isEmpty, "nothing was written without --apply")
    }

    @Test func theDaemonDocumentsAnUnsavedBuffer() async throws {
        guard TestModelCache.requireDefaultModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Math.swift": "public func old() {}\n"])
        defer { fixture.remove() }
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/Sources/Math.swift").absoluteString)
        let buffer = "public struct Math {\n    public static func add(_ a: Int, to b: Int) -> Int {\n        a + b\n    }\n}\n"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": .string(buffer)]])
        let reply = try await client.request("assist/docstring", [
            "textDocument": ["uri": uri], "position": ["line": 1, "character": 10],
        ], timeout: 300)
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["validation"]?["passed"] == true, "the default model's comment was refused: \(result)")
        #expect(result["route"]?["model"] == "qwen2.5-coder-0.5b")
        let diff = result["diff"]?.stringValue ?? ""
        #expect(diff.contains("+    /// "), "\(diff)")
        #expect(diff.contains("- Parameters:") || diff.contains("- Parameter a:"), "\(diff)")
        guard case .array(let edits)? = result["edits"]?[uri.stringValue!] else {
            Issue.record("no edits for \(uri): \(result)")
            return
        }
        #expect(!edits.isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }
}
