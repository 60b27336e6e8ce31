import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

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

/// `assist refactor` and `assist ask` through the real managed `llama-server` with the small test model.
@Suite("refactor and ask with the real local model")
struct RoutedLocalModelTests {
    static func requireModel() -> Bool {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return false
        }
        return true
    }

    @Test func refactorGoesThroughTheLocalModelAndIsCheckedOrRefused() async throws {
        guard Self.requireModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Rectangle.swift": geometry])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": TestModelCache.path]
        let result = try await runAssist(
            ["refactor", "Sources/Rectangle.swift", "--instruction", "return width * height directly", "--range", "5:8",
             "--model", "smollm2-135m", "--json"],
            in: fixture.path, environment: environment)
        if result.status == 0 {
            let object = try JSONDecoder().decode(RefactorResult.self, from: Data(result.stdout.utf8))
            #expect(object.route.backend == "local")
            #expect(object.route.model == "smollm2-135m")
            #expect(object.route.reasons.contains { $0.step == "kind" && $0.outcome == "local" })
            #expect(object.usage.completionTokens > 0)
            #expect(object.validation.passed)
            // The diff is against the file as read, touches only the range, and applies with git.
            #expect(object.diff.hasPrefix("diff --git a/Sources/Rectangle.swift b/Sources/Rectangle.swift\n"))
            let patch = fixture.path + "/.git/refactor.patch"
            try object.diff.write(toFile: patch, atomically: true, encoding: .utf8)
            #expect(try fixture.git("apply", "--check", patch).isEmpty)
            for line in object.diff.split(separator: "\n") where line.hasPrefix("-") && !line.hasPrefix("---") {
                #expect(geometry.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(of: line.dropFirst()).map { $0 >= 4 } == true, "a removed line outside the range: \(line)")
            }
        } else {
            // The tiny model may fail twice; then the error says why, the route shows both tries, and nothing is written.
            #expect(result.status == 1)
            #expect(result.stderr.contains("no answer passed validation"), "\(result.stderr)")
            #expect(result.stderr.contains("cascade: retry"), "\(result.stderr)")
        }
        #expect(try fixture.git("status", "--porcelain").isEmpty)
    }

    @Test func askStreamsTheLocalModelsAnswer() async throws {
        guard Self.requireModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Rectangle.swift": geometry])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": TestModelCache.path]
        let json = try await runAssist(["ask", "What does Rectangle.area compute?", "--model", "smollm2-135m", "--json"], in: fixture.path, environment: environment)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONDecoder().decode(AskResult.self, from: Data(json.stdout.utf8))
        #expect(object.route.kind == "explain")
        #expect(object.route.backend == "local")
        #expect(!object.answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(object.usage.completionTokens > 0)
        #expect(object.context.files.map(\.path) == ["Sources/Rectangle.swift"])
        #expect(object.diff.isEmpty)

        // Without --json the answer is printed as it arrives, and the route on standard error.
        let streamed = try await runAssist(["ask", "What does Rectangle.area compute?", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
        #expect(streamed.status == 0, "\(streamed.stderr)")
        #expect(!streamed.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(!streamed.stdout.contains("{\"answer\""))
        #expect(streamed.stderr.contains("explain → local smollm2-135m"), "\(streamed.stderr)")
    }
}
