import AssistTestSupport
import Foundation
import Testing

@Suite("assist classify and assist ask --context-only")
struct ClassifyCLITests {
    static let files = [
        "Sources/Queue/JobQueue.swift": """
            /// Jobs waiting to run.
            public struct JobQueue {
                var jobs: [Job] = []
                public mutating func push(_ job: Job) { jobs.append(job) }
                public mutating func pop() -> Job? { jobs.isEmpty ? nil : jobs.removeFirst() }
            }
            """,
        "Sources/Queue/Job.swift": "public struct Job {\n    public var name: String\n}\n",
        "Sources/Queue/Worker.swift": """
            public final class Worker {
                var queue = JobQueue()
                public func runNext() {
                    guard let job = queue.pop() else { return }
                    print(job.name)
                }
            }
            """,
        "Sources/Colours/Palette.swift": "public enum Palette {\n    case red, green\n}\n",
    ]

    @Test func classifyJSON() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let selected = try await runAssist(
            ["classify", "Simplify this function", "--file", "Sources/Queue/Worker.swift", "--selection", "3:6", "--json"], in: fixture.path)
        #expect(selected.status == 0, "\(selected.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(selected.stdout.utf8)) as? [String: Any]
        #expect(result?["kind"] as? String == "refactor")
        let features = result?["features"] as? [[String: Any]] ?? []
        #expect(features.first?["name"] as? String == "rule")
        #expect(features.contains { $0["name"] as? String == "selection.lines" && $0["value"] as? String == "4" })

        let question = try await runAssist(["classify", "How do JobQueue and Worker share jobs?", "--json"], in: fixture.path)
        #expect(question.status == 0, "\(question.stderr)")
        #expect(question.stdout.contains("\"kind\" : \"multi-file\""))

        let text = try await runAssist(["classify", "document this"], in: fixture.path)
        #expect(text.status == 0)
        #expect(text.stdout.contains("kind: docstring"))

        let bad = try await runAssist(["classify", "x", "--selection", "5:2", "--file", "Sources/Queue/Job.swift"], in: fixture.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("START:END"))
    }

    @Test func askContextOnlyJSON() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let run = try await runAssist(["ask", "How does a Worker take the next job from the JobQueue?", "--context-only", "--budget", "2000", "--json"], in: fixture.path)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(result?["budget"] as? Int == 2000)
        let total = result?["totalTokens"] as? Int ?? -1
        #expect(total > 0 && total <= 2000)
        let files = (result?["files"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(files.contains("Sources/Queue/Worker.swift"))
        #expect(files.contains("Sources/Queue/JobQueue.swift"))
        #expect(!files.contains("Sources/Colours/Palette.swift"))
        let pieces = (result?["files"] as? [[String: Any]] ?? []).flatMap { $0["pieces"] as? [[String: Any]] ?? [] }
        #expect(pieces.allSatisfy { ["full", "signature"].contains($0["form"] as? String ?? "") })
        #expect(pieces.allSatisfy { ($0["startLine"] as? Int ?? 0) >= 1 && ($0["endLine"] as? Int ?? 0) >= ($0["startLine"] as? Int ?? 0) })

        // Without --context-only a model is needed: with none installed and no cloud, it says what to do.
        let withoutModel = try await runAssist(["ask", "How does it work?"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache"])
        #expect(withoutModel.status == 1)
        #expect(withoutModel.stderr.contains("assist model install"), "\(withoutModel.stderr)")
        #expect(withoutModel.stderr.contains("availability: refused"), "\(withoutModel.stderr)")
    }
}

@Suite("assist classify asks the local model when the rules are unsure")
struct ClassifierSecondOpinionTests {
    static func answer(_ text: String) -> String {
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":400,"completion_tokens":2}}"#
    }

    static func environment(_ server: StandInServer, _ fixture: FixtureRepository, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": server.baseURL + "/v1",
            "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            // The stand-in answers at once; a loaded machine must not turn that into a timeout.
            "ASSIST_ROUTING_CLASSIFIER_TIMEOUT_SECONDS": "300",
        ].merging(extra) { _, new in new }
    }

    static func classify(_ fixture: FixtureRepository, _ environment: [String: String]) async throws -> [String: Any] {
        let run = try await runAssist(
            ["classify", "hmm", "--file", "Sources/Queue/Worker.swift", "--selection", "3:6", "--json"], in: fixture.path,
            environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test func theModelDecidesWithinTheGrammarAndItsAnswerIsCached() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path.hasSuffix("/chat/completions") ? .whole(status: 200, body: Self.answer("docstring")) : .whole(status: 404, body: "{}")
        }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ClassifyCLITests.files)
        defer { fixture.remove() }
        let first = try await Self.classify(fixture, Self.environment(server, fixture))
        #expect(first["kind"] as? String == "docstring")
        #expect(first["decidedBy"] as? String == "model")
        #expect(first["ruleKind"] as? String == "explain")
        #expect((first["reason"] as? String)?.contains("local/stand-in chose docstring and overruled the rules' explain") == true)
        let chats = server.requests.filter { $0.path.hasSuffix("/chat/completions") }
        #expect(chats.count == 1)
        // The grammar allows the kinds that work on selected code, and nothing else.
        #expect(chats.first?.json?["grammar"] as? String == #"root ::= "docstring" | "refactor" | "explain" | "tests""#)
        #expect((chats.first?.json?["messages"] as? [[String: Any]])?.last?["content"] as? String == "hmm\n(4 lines selected, 1 declaration (1 undocumented))")

        let second = try await Self.classify(fixture, Self.environment(server, fixture))
        #expect(second["kind"] as? String == "docstring")
        #expect((second["reason"] as? String)?.hasSuffix("(answer cached).") == true)
        #expect(server.requests.filter { $0.path.hasSuffix("/chat/completions") }.count == 1)
    }

    @Test func anAnswerOutsideTheKindsOrAFailingModelLeavesTheRulesDecision() async throws {
        let server = try await StandInServer.start { request, _ in
            guard request.path.hasSuffix("/chat/completions") else { return .whole(status: 404, body: "{}") }
            let user = ((request.json?["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
            return user.hasPrefix("hmm") ? .whole(status: 200, body: Self.answer("banana")) : .whole(status: 500, body: #"{"error":{"message":"boom"}}"#)
        }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ClassifyCLITests.files)
        defer { fixture.remove() }
        let junk = try await Self.classify(fixture, Self.environment(server, fixture))
        #expect(junk["kind"] as? String == "explain")
        #expect(junk["decidedBy"] as? String == "rule")
        #expect((junk["reason"] as? String)?.contains(#"answered "banana", which is not one of the kinds"#) == true, "\(junk)")

        let failing = try await runAssist(["classify", "tidy up the imports", "--json"], in: fixture.path, environment: Self.environment(server, fixture))
        #expect(failing.status == 0, "\(failing.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(result["decidedBy"] as? String == "rule")
        #expect((result["reason"] as? String)?.contains("could not answer") == true, "\(result)")

        // Turned off, the model is not asked at all.
        let chats = { server.requests.filter { $0.path.hasSuffix("/chat/completions") }.count }
        let before = chats()
        let off = try await Self.classify(fixture, Self.environment(server, fixture, ["ASSIST_ROUTING_CLASSIFIER_MODEL": "false"]))
        #expect(off["decidedBy"] as? String == "rule")
        #expect((off["reason"] as? String)?.contains("routing.classifierModel is off") == true)
        #expect(chats() == before)
    }

    @Test func aModelSlowerThanTheTimeoutLeavesTheRulesDecision() async throws {
        let server = try await StandInServer.start { request, _ in
            request.path.hasSuffix("/chat/completions")
                ? .delayed(.seconds(30), .whole(status: 200, body: Self.answer("docstring"))) : .whole(status: 404, body: "{}")
        }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: ClassifyCLITests.files)
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let slow = try await Self.classify(fixture, Self.environment(server, fixture, ["ASSIST_ROUTING_CLASSIFIER_TIMEOUT_SECONDS": "0.5"]))
        #expect(ContinuousClock.now - started < .seconds(25), "the classification waited for the model past its limit")
        #expect(slow["kind"] as? String == "explain")
        #expect(slow["decidedBy"] as? String == "rule")
        #expect((slow["reason"] as? String)?.contains("did not answer within 0.5 seconds") == true, "\(slow)")
    }
}
