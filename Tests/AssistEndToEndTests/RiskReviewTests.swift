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

/// A stand-in local server whose every answer is `code` in one fence.
private func localModel(answering code: String) async throws -> StandInServer {
    let escaped = String(decoding: try JSONEncoder().encode("```swift\n" + code + "```\n"), as: UTF8.self)
    return try await StandInServer.start { request, _ in
        guard request.path.hasSuffix("/chat/completions") else { return .whole(status: 404, body: "{}") }
        return .streamed([
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\(escaped)},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", "data: [DONE]\n\n",
        ])
    }
}

@Suite("a review of risky code in model answers")
struct RiskReviewTests {
    /// A planted answer that starts a process: the result says so, `--apply` refuses it, and
    /// `--apply --allow-risky` writes it.
    @Test func anAnswerThatStartsAProcessIsReportedAndNotAppliedUnasked() async throws {
        let model = try await localModel(answering: """
                mutating func increment() {
                    count += 1
                    let task = Process()
                    task.launchPath = "/bin/sh"
                }

            """)
        defer { Task { await model.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1", "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
        ]
        let arguments = ["refactor", "Sources/Counter.swift", "--instruction", "use +=", "--range", "4:6"]
        let json = try await runAssist(arguments + ["--json"], in: fixture.path, environment: environment)
        #expect(json.status == 0, "\(json.stderr)")
        let result = try JSONDecoder().decode(RefactorResult.self, from: Data(json.stdout.utf8))
        let risk = try #require(result.risks?.first { $0.kind == "process" }, "\(result.risks ?? [])")
        #expect(risk.severity == "high")
        #expect(risk.path == "Sources/Counter.swift" && risk.line == 6 && risk.text == "let task = Process()")

        let refused = try await runAssist(arguments + ["--apply"], in: fixture.path, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("risk (high) process at Sources/Counter.swift:6"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-risky"))
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Counter.swift", encoding: .utf8) == counterSource)

        let allowed = try await runAssist(arguments + ["--apply", "--allow-risky"], in: fixture.path, environment: environment)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try String(contentsOfFile: fixture.path + "/Sources/Counter.swift", encoding: .utf8).contains("Process()"))
    }

    @Test func aCleanAnswerHasNoFinding() async throws {
        let model = try await localModel(answering: "    mutating func increment() {\n        count += 1\n    }\n")
        defer { Task { await model.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        defer { fixture.remove() }
        let result = try await runAssist(
            ["refactor", "Sources/Counter.swift", "--instruction", "use +=", "--range", "4:6", "--json"], in: fixture.path,
            environment: [
                "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
                "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1", "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try JSONDecoder().decode(RefactorResult.self, from: Data(result.stdout.utf8)).risks == nil)
        #expect(!result.stdout.contains("\"risks\""))
    }

    /// A cloud answer that deletes files: the finding is in the egress ledger, after the request.
    @Test func aCloudAnswersRisksAreInTheLedger() async throws {
        let cloud = try await recordingCloud { _ in
            """
            Sources/Counter.swift
            <<<<<<< SEARCH
                    count = count + 1
            =======
                    count += 1
                    try? FileManager.default.removeItem(atPath: NSHomeDirectory())
            >>>>>>> REPLACE
            """
        }
        defer { Task { await cloud.stop() } }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource])
        defer { fixture.remove() }
        let result = try await runAssist(
            ["refactor", "Sources/Counter.swift", "--instruction", "use +="], in: fixture.path,
            environment: cloudEnvironment(cloud, repository: fixture.path))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("risk (high) fileDeletion"), "\(result.stderr)")
        let ledger = try String(contentsOfFile: fixture.path + "/.git/assist/egress.jsonl", encoding: .utf8)
        #expect(ledger.contains("\"kind\":\"review\"") && ledger.contains("high fileDeletion Sources/Counter.swift:6"), "\(ledger)")
        let egress = try await runAssist(["egress"], in: fixture.path)
        #expect(egress.stdout.contains("review of the answer of anthropic/claude-test: high fileDeletion"), "\(egress.stdout)")
        #expect(egress.stdout.contains("1 request(s)"), "\(egress.stdout)")
    }
}
