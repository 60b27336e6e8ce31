import AssistBackends
import AssistCore
import AssistDocstrings
@testable import AssistRequests
import AssistTestSupport
import Foundation
import Synchronization
import Testing

/// A backend that answers from a script and records what it was asked.
final class ScriptedBackend: ChatBackend, Sendable {
    enum Answer: Sendable {
        case text(String)
        /// Text that stops at the token limit (`finish_reason: length`).
        case cut(String)
        case down
    }

    let name: String
    let model: String
    private let script: Mutex<[Answer]>
    private let asked = Mutex<[ChatRequest]>([])

    /// The usage each answer reports.
    let reported: TokenUsage

    init(name: String, model: String, answers: [Answer], reported: TokenUsage = TokenUsage(promptTokens: 100, completionTokens: 20)) {
        self.name = name
        self.model = model
        self.reported = reported
        script = Mutex(answers)
    }

    var requests: [ChatRequest] { asked.withLock { $0 } }

    func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        asked.withLock { $0.append(request) }
        let answer = script.withLock { $0.isEmpty ? Answer.down : $0.removeFirst() }
        let name = self.name
        let reported = self.reported
        return AsyncThrowingStream { continuation in
            switch answer {
            case .down:
                continuation.finish(throwing: BackendError(.connection, backend: name, message: "127.0.0.1:1 refused the connection; is the server running?"))
            case .text(let text):
                continuation.yield(.text(text))
                continuation.yield(.usage(reported))
                continuation.yield(.finish(.stop))
                continuation.finish()
            case .cut(let text):
                continuation.yield(.text(text))
                continuation.yield(.finish(.length))
                continuation.finish()
            }
        }
    }

    func capabilities() async throws -> BackendCapabilities {
        BackendCapabilities(contextWindow: 8_192, constraints: [.grammar], promptCaching: false)
    }

    func countTokens(_ text: String) async throws -> TokenCount { TokenCount.estimate(text) }
    func health() async -> BackendHealth { .available }
}

/// A scratch `.git` directory for the ledger.
private func scratchGitDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("assist-routing-\(UUID().uuidString)/.git").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func configuration(_ environment: [String: String]) -> Configuration {
    Configuration(layers: [ConfigLoader.environmentLayer(environment).0])
}

private func setup(local: ScriptedBackend?, cloud: ScriptedBackend?, environment: [String: String] = [:], gitDirectory: String) -> RoutingSetup {
    RoutingSetup(
        local: local.map { RoutableBackend(candidate: RouteCandidate(name: "local", model: $0.model, place: .local, contextWindow: 8_192), backend: $0) },
        cloud: cloud.map {
            RoutableBackend(
                candidate: RouteCandidate(
                    name: $0.name, model: $0.model, place: .cloud, contextWindow: 200_000,
                    price: ModelPrice(inputPerMillion: 3, outputPerMillion: 15)),
                backend: $0)
        },
        configuration: configuration(environment), ledger: EgressLedger(gitCommonDirectory: gitDirectory))
}

private let counter = RequestFile(path: "Sources/Counter.swift", text: """
    struct Counter {
        var count = 0

        mutating func increment() {
            count = count + 1
        }
    }

    let deployKey = "AKIAIOSFODNN7EXAMPLE"

    """)

@Suite("routed requests: the cascade, failover, privacy and the ledger")
struct RoutedRequestTests {
    @Test func aValidLocalAnswerIsCheckedAndReturned() async throws {
        let git = try scratchGitDirectory()
        let local = ScriptedBackend(name: "local", model: "small", answers: [.text("```swift\n    mutating func increment() {\n        count += 1\n    }\n```\n")])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: nil, gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        #expect(outcome.backend == "local")
        #expect(outcome.attempts == 1)
        #expect(outcome.diff.contains("-        count = count + 1\n+        count += 1\n"))
        #expect(outcome.changes[counter.path]?.new.contains("deployKey = \"AKIAIOSFODNN7EXAMPLE\"") == true)
        #expect(outcome.validation.contains { $0.contains("parses") })
        // Local requests are not egress.
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.isEmpty)
        // The local model was held to one fenced block.
        if case .grammar(let grammar)? = local.requests.first?.constraint { #expect(grammar.contains("```swift")) } else { Issue.record("no grammar sent") }
    }

    @Test func anInvalidLocalAnswerIsRetriedThenEscalatedWithSecretsRedacted() async throws {
        let git = try scratchGitDirectory()
        let broken = ScriptedBackend.Answer.text("```swift\n    mutating func increment( {\n        count += 1\n```\n")
        let local = ScriptedBackend(name: "local", model: "small", answers: [broken, broken])
        let cloudAnswer = """
            Sources/Counter.swift
            <<<<<<< SEARCH
                    count = count + 1
            =======
                    count += 1
            >>>>>>> REPLACE
            """
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text(cloudAnswer)])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: cloud, gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)

        #expect(local.requests.count == 2)
        // The retry carries the validation error.
        #expect(local.requests.last?.messages.last?.content.contains("does not parse") == true)
        #expect(outcome.backend == "anthropic")
        #expect(outcome.attempts == 3)
        #expect(outcome.reasons.filter { $0.step == "cascade" }.map(\.outcome) == ["retry", "failed", "escalate", "passed"])
        // The secret never reached the cloud, and is still in the file after the edit.
        let sent = cloud.requests.flatMap(\.messages).map(\.content).joined()
        #expect(!sent.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(sent.contains("[REDACTED:"))
        let new = try #require(outcome.changes[counter.path]?.new)
        #expect(new.contains("let deployKey = \"AKIAIOSFODNN7EXAMPLE\""))
        #expect(new.contains("        count += 1\n"))
        // One ledger line, written for the one cloud request, with the redaction.
        let entries = EgressLedger(gitCommonDirectory: git).read().entries
        #expect(entries.count == 1)
        #expect(entries.first?.backend == "anthropic")
        #expect(entries.first?.files == [EgressEntry.FileRange(path: counter.path, ranges: [[0, counter.text.utf8.count]])])
        #expect(entries.first?.redactions.first?.line == 9)
        #expect(outcome.costUSD > 0)
    }

    @Test func anAnswerThatDropsADeclarationTheInstructionDoesNotMentionIsRetried() async throws {
        let git = try scratchGitDirectory()
        // Asked to add a method, the model answers with the new method alone: increment() would be lost.
        let dropsIncrement = ScriptedBackend.Answer.text("```swift\n    mutating func reset() {\n        count = 0\n    }\n```\n")
        let keepsBoth = ScriptedBackend.Answer.text(
            "```swift\n    mutating func increment() {\n        count = count + 1\n    }\n\n    mutating func reset() {\n        count = 0\n    }\n```\n")
        let local = ScriptedBackend(name: "local", model: "small", answers: [dropsIncrement, keepsBoth])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: nil, gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "add a reset method", range: 4...6)
        #expect(local.requests.last?.messages.last?.content.contains("removed increment") == true)
        #expect(outcome.attempts == 2)
        #expect(outcome.diff.contains("+    mutating func reset() {"))
        #expect(!outcome.diff.contains("-    mutating func increment() {"))
        #expect(outcome.validation.contains { $0.contains("keeps every declaration") })
    }

    @Test func removalsTheInstructionAsksForAreAllowed() {
        #expect(RoutedRequestRunner.droppedDeclarations(before: ["a", "b"], after: ["a"], instruction: "add c") == ["b"])
        #expect(RoutedRequestRunner.droppedDeclarations(before: ["a", "b"], after: ["a"], instruction: "remove the unused helper").isEmpty)
        #expect(RoutedRequestRunner.droppedDeclarations(before: ["a", "b"], after: ["a", "c"], instruction: "rename b to c").isEmpty)
        // A declaration the instruction names may go ("fold b into a").
        #expect(RoutedRequestRunner.droppedDeclarations(before: ["a", "b"], after: ["a"], instruction: "fold b into a").isEmpty)
        #expect(RoutedRequestRunner.droppedDeclarations(before: ["a", "load"], after: ["a"], instruction: "make load lazy").isEmpty)
    }

    @Test func withoutEscalationTheFailureIsAClearError() async throws {
        let git = try scratchGitDirectory()
        let broken = ScriptedBackend.Answer.text("```swift\n    mutating func increment( {\n```\n")
        let local = ScriptedBackend(name: "local", model: "small", answers: [broken, broken])
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: cloud, environment: ["ASSIST_ROUTING_ESCALATE": "false"], gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        } throws: { error in
            guard let error = error as? RoutedRequestError else { return false }
            return error.message.contains("no answer passed validation") && error.message.contains("does not parse")
                && error.reasons.contains { $0.step == "cascade" && $0.outcome == "refused" }
        }
        #expect(cloud.requests.isEmpty)
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.isEmpty)
    }

    @Test func aLocalOnlyFileNeverGoesToTheCloud() async throws {
        let git = try scratchGitDirectory()
        let broken = ScriptedBackend.Answer.text("```swift\n    mutating func increment( {\n```\n")
        let local = ScriptedBackend(name: "local", model: "small", answers: [broken, broken])
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text("unused")])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: cloud, environment: ["ASSIST_PRIVACY_LOCAL_ONLY": "Sources/*.swift"], gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        } throws: { error in
            guard let error = error as? RoutedRequestError else { return false }
            return error.message.contains("privacy.localOnly") && error.reasons.contains { $0.step == "privacy" && $0.outcome == "local-only" }
        }
        #expect(cloud.requests.isEmpty)
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.isEmpty)
    }

    @Test func aCloudThatIsDownFailsOverToTheLocalModel() async throws {
        let git = try scratchGitDirectory()
        let local = ScriptedBackend(name: "local", model: "small", answers: [.text("```swift\n    mutating func increment() {\n        count += 1\n    }\n```")])
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.down])
        // A tiny routing.localMaxTokens makes the cloud the preferred backend of this refactor.
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: cloud, environment: ["ASSIST_ROUTING_LOCAL_MAX_TOKENS": "1"], gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        #expect(outcome.backend == "local")
        #expect(outcome.reasons.contains { $0.step == "kind" && $0.outcome == "cloud" })
        #expect(outcome.reasons.contains { $0.step == "availability" && $0.outcome == "failover" && $0.detail.contains("refused the connection") })
        // The attempt was recorded before it was sent, though it failed.
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.count == 1)
    }

    @Test func aLocalModelThatIsDownHandsOverEvenWithoutEscalation() async throws {
        let git = try scratchGitDirectory()
        let local = ScriptedBackend(name: "local", model: "small", answers: [.down])
        let cloudAnswer = "<<<<<<< SEARCH\n        count = count + 1\n=======\n        count += 1\n>>>>>>> REPLACE\n"
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text(cloudAnswer)])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: cloud, environment: ["ASSIST_ROUTING_ESCALATE": "false"], gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        #expect(outcome.backend == "anthropic")
        #expect(outcome.reasons.contains { $0.step == "availability" && $0.outcome == "failover" })
        #expect(!outcome.reasons.contains { $0.step == "cascade" && $0.outcome == "refused" })
    }

    @Test func everyBackendDownSaysSo() async throws {
        let git = try scratchGitDirectory()
        let runner = RoutedRequestRunner(setup: setup(
            local: ScriptedBackend(name: "local", model: "small", answers: [.down]),
            cloud: ScriptedBackend(name: "anthropic", model: "claude", answers: [.down]), gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        } throws: { error in
            (error as? RoutedRequestError)?.message.hasPrefix("no backend could answer") == true
        }
    }

    /// The budget is checked again before each cloud call: the first call's spending stops the retry.
    @Test func theBudgetIsCheckedBeforeEachCloudCall() async throws {
        let git = try scratchGitDirectory()
        let usagePath = (git as NSString).deletingLastPathComponent + "/state/usage.json"
        let store = UsageStore(path: usagePath)
        let misses = "<<<<<<< SEARCH\n        count = count * 2\n=======\n        count += 1\n>>>>>>> REPLACE\n"
        // Each answer reports 100,000 prompt tokens: $0.10 at $1 per million, over the $0.05 cap.
        let scripted = ScriptedBackend(
            name: "anthropic", model: "claude", answers: [.text(misses), .text(misses)],
            reported: TokenUsage(promptTokens: 100_000, completionTokens: 0))
        let price = ModelPrice(inputPerMillion: 1, outputPerMillion: 0)
        let cloud = RoutableBackend(
            candidate: RouteCandidate(name: "anthropic", model: "claude", place: .cloud, contextWindow: 200_000, price: price),
            backend: AccountingBackend(scripted, store: store, prices: PriceTable(prices: ["claude": price])))
        let runner = RoutedRequestRunner(setup: RoutingSetup(
            local: nil, cloud: cloud, configuration: configuration(["ASSIST_BUDGET_DAILY_USD": "0.05"]),
            ledger: EgressLedger(gitCommonDirectory: git), usage: store))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: nil)
        } throws: { error in
            (error as? RoutedRequestError)?.message.contains("budget.dailyUSD") == true
        }
        #expect(scripted.requests.count == 1, "the retry went out over the budget")
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.count == 1)
    }

    @Test func anAnswerCutAtItsTokenLimitIsAskedAgainWithTwiceTheLimit() async throws {
        let git = try scratchGitDirectory()
        let whole = "```swift\n    mutating func increment() {\n        count += 1\n    }\n```"
        let local = ScriptedBackend(name: "local", model: "small", answers: [.cut("```swift\n    mutating func increment() {\n"), .text(whole)])
        let runner = RoutedRequestRunner(setup: setup(local: local, cloud: nil, gitDirectory: git))
        let outcome = try await runner.refactor(file: counter, instruction: "use +=", range: 4...6)
        #expect(outcome.attempts == 2)
        #expect(local.requests.map(\.maxTokens) == [2_048, 4_096])
        #expect(outcome.reasons.contains { $0.step == "cascade" && $0.outcome == "retry" && $0.detail.contains("cut off") })
    }

    @Test func aMultiFileChangeCutBetweenTwoBlocksIsNeverApplied() async throws {
        let git = try scratchGitDirectory()
        // The first block is complete; the answer stops before the second. Neither may be used.
        let half = "Sources/Counter.swift\n<<<<<<< SEARCH\n        count = count + 1\n=======\n        count += 1\n>>>>>>> REPLACE\n\nSources/Other.swift\n"
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.cut(half), .cut(half)])
        let runner = RoutedRequestRunner(setup: setup(local: nil, cloud: cloud, gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: nil)
        } throws: { error in
            (error as? RoutedRequestError)?.message.contains("cut off") == true
        }
        #expect(cloud.requests.count == 2)
    }

    @Test func aCloudAnswerThatMovesARedactionMarkerIsRefused() async throws {
        let git = try scratchGitDirectory()
        // The marker keeps its order but moves into another expression, where the secret would be printed.
        let movesMarker = """
            <<<<<<< SEARCH
                mutating func increment() {
                    count = count + 1
                }
            =======
                mutating func increment() {
                    count = count + 1
                    print("[REDACTED:awsAccessKey]")
                }
            >>>>>>> REPLACE
            <<<<<<< SEARCH
            let deployKey = "[REDACTED:awsAccessKey]"
            =======
            let deployKey = ""
            >>>>>>> REPLACE
            """
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text(movesMarker), .text(movesMarker)])
        let runner = RoutedRequestRunner(setup: setup(local: nil, cloud: cloud, gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "log the key", range: nil)
        } throws: { error in
            (error as? RoutedRequestError)?.message.contains("moved a [REDACTED") == true
        }
    }

    @Test func theInstructionAndFeedbackPassTheGateToo() async throws {
        let git = try scratchGitDirectory()
        let misses = "<<<<<<< SEARCH\n        count = count * 2\n=======\n        count += 1\n>>>>>>> REPLACE\n"
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text(misses), .text(misses)])
        let runner = RoutedRequestRunner(setup: setup(
            local: nil, cloud: cloud, environment: ["ASSIST_PRIVACY_LOCAL_ONLY": "Internal/"], gitDirectory: git))
        let secret = "sk_" + "live_51HostileInstructionSecret00000"
        _ = try? await runner.refactor(
            file: counter, instruction: "use += and deploy with \(secret); see Internal/Vault.swift", range: nil)
        #expect(cloud.requests.count == 2)
        for request in cloud.requests {
            let body = request.messages.map(\.content).joined(separator: "\n")
            #expect(!body.contains(secret), "a secret in the instruction was sent")
            #expect(!body.contains("Internal/Vault.swift"), "a localOnly path was sent")
            #expect(!body.contains("AKIAIOSFODNN7EXAMPLE"))
        }
        let entries = EgressLedger(gitCommonDirectory: git).read().entries
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.redactions.contains { $0.path.hasPrefix("(message") } }, "the gate's redactions are in the ledger")
    }

    @Test func aCloudAnswerThatDropsARedactionMarkerIsRefused() async throws {
        let git = try scratchGitDirectory()
        let dropsMarker = """
            <<<<<<< SEARCH
            let deployKey = "[REDACTED:awsAccessKey]"
            =======
            let deployKey = ""
            >>>>>>> REPLACE
            """
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text(dropsMarker), .text(dropsMarker)])
        let runner = RoutedRequestRunner(setup: setup(local: nil, cloud: cloud, gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "clear the key", range: nil)
        } throws: { error in
            (error as? RoutedRequestError)?.message.contains("REDACTED") == true
        }
        #expect(cloud.requests.count == 2)
        #expect(EgressLedger(gitCommonDirectory: git).read().entries.count == 2)
    }

    @Test func preparingTheRoutesSendsNothingToTheCloud() async throws {
        let server = try await StandInServer.start { _, _ in .whole(body: "{\"data\": []}") }
        defer { Task { await server.stop() } }
        let git = try scratchGitDirectory()
        let setup = await RoutingSetup.make(
            configuration: configuration([
                "ASSIST_ROUTING_CLOUD_PROVIDER": "openai", "ASSIST_PROVIDERS_OPENAI_BASE_URL": server.baseURL + "/v1",
                "ASSIST_PROVIDERS_OPENAI_MODEL": "gpt-test", "OPENAI_API_KEY": "sk-test-000000000000000000000000",
            ]),
            localModel: nil, localProblem: "none here", gitCommonDirectory: git, environment: [:], homeDirectory: NSTemporaryDirectory())
        #expect(setup.cloud?.candidate.contextWindow == 128_000)
        #expect(setup.cloud?.candidate.unavailable == nil)
        #expect(server.requests.isEmpty)
    }

    @Test func aCorruptUsageFileRefusesTheCloudUntilTheUserResolvesIt() async throws {
        let git = try scratchGitDirectory()
        let state = (git as NSString).deletingLastPathComponent + "/state"
        try FileManager.default.createDirectory(atPath: state + "/assist", withIntermediateDirectories: true)
        try "{ truncated".write(toFile: state + "/assist/usage.json", atomically: false, encoding: .utf8)
        let settings = configuration([
            "ASSIST_ROUTING_CLOUD_PROVIDER": "openai", "ASSIST_PROVIDERS_OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "ASSIST_PROVIDERS_OPENAI_MODEL": "gpt-test", "OPENAI_API_KEY": "sk-test-000000000000000000000000",
        ])
        for _ in 0..<2 {
            let setup = await RoutingSetup.make(
                configuration: settings, localModel: nil, localProblem: "none here", gitCommonDirectory: git,
                environment: ["XDG_STATE_HOME": state], homeDirectory: NSTemporaryDirectory())
            #expect(setup.cloud?.candidate.unavailable?.contains("was corrupt and was moved to") == true, "\(setup.cloud?.candidate.unavailable ?? "available")")
        }
        #expect(FileManager.default.fileExists(atPath: state + "/assist/usage.json.corrupt"))
        try FileManager.default.removeItem(atPath: state + "/assist/usage.json.corrupt")
        let resolved = await RoutingSetup.make(
            configuration: settings, localModel: nil, localProblem: "none here", gitCommonDirectory: git,
            environment: ["XDG_STATE_HOME": state], homeDirectory: NSTemporaryDirectory())
        #expect(resolved.cloud?.candidate.unavailable == nil)
    }

    @Test func aFullLedgerDirectoryStopsTheRequestBeforeItIsSent() async throws {
        let git = try scratchGitDirectory()
        // `assist` is a file, so the ledger cannot be created.
        FileManager.default.createFile(atPath: git + "/assist", contents: Data())
        let cloud = ScriptedBackend(name: "anthropic", model: "claude", answers: [.text("unused")])
        let runner = RoutedRequestRunner(setup: setup(local: nil, cloud: cloud, gitDirectory: git))
        await #expect {
            try await runner.refactor(file: counter, instruction: "use +=", range: nil)
        } throws: { error in
            (error as? RoutedRequestError)?.message.contains("egress ledger") == true
        }
        #expect(cloud.requests.isEmpty)
    }

    @Test func theReviewListsOnlyWhatAnEditAdds() {
        let old = "import Foundation\n\nfunc load() -> Data {\n    try! Data(contentsOf: url)\n}\n"
        let new = "import Foundation\nimport Network\nimport App\n\nfunc load() -> Data {\n    try! Data(contentsOf: url)\n}\n\nfunc run() {\n    let p = Process()\n    let key = \"AKIA\" + \"IOSFODNN7EXAMPLE\"\n    let token = \"ghp_0123456789abcdefghijklmnopqrstuvwxyz\"\n}\n"
        let risks = RiskReview.review(["Sources/App/Load.swift": (old, new)], ownModules: ["App"])
        let kinds = risks.map(\.risk.kind)
        #expect(!kinds.contains(.forceTry), "the try! was there before: \(risks)")
        #expect(kinds.contains(.process))
        #expect(kinds.contains(.newImport) && risks.contains { $0.risk.text == "import Network" })
        #expect(!risks.contains { $0.risk.text == "import App" }, "the repository's own module is not a risk")
        #expect(risks.contains { $0.risk.kind == .secret && $0.risk.severity == .high && !$0.risk.text.contains("ghp_") })
        #expect(RiskReview.review(["A.swift": ("let a = 1\n", "let a = 2\n")], ownModules: []).isEmpty)
    }
}

/// The classifier's second opinion from a backend that takes no grammar (Ollama): asked again
/// without it, and its one-word answer still decides.
@Suite struct SecondOpinionWithoutGrammarTests {
    @Test func ollamaAnswersUnconstrained() async throws {
        let answer = [
            "{\"message\":{\"role\":\"assistant\",\"content\":\"refactor\"},\"done\":false}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":300,\"eval_count\":2}\n",
        ]
        let server = try await StandInServer.start { request, _ in
            switch request.path {
            case "/api/show": .whole(body: #"{"model_info":{"general.architecture":"qwen2","qwen2.context_length":32768}}"#)
            case "/api/chat":
                // Ollama answers `"stream": false` with one object, the last line's shape.
                request.json?["stream"] as? Bool == false
                    ? .whole(body: #"{"message":{"role":"assistant","content":"refactor"},"done":true,"done_reason":"stop","prompt_eval_count":300,"eval_count":2}"#)
                    : .streamed(answer, contentType: "application/x-ndjson")
            default: nil
            }
        }
        defer { Task { await server.stop() } }
        let backend = OllamaBackend(settings: BackendSettings(name: "ollama", baseURL: server.baseURL, model: "qwen2.5-coder:0.5b"))
        let opinion = SecondOpinion(backend: backend, model: "ollama/qwen2.5-coder:0.5b", cache: DocstringCache(path: nil), timeout: .seconds(30))
        let request = ClassificationRequest(instruction: "make this nicer", file: "Sources/A.swift", selection: 1...5)
        var rules = Classifier.classify(request)
        rules.kind = .explain
        let decided = await opinion.classify(rules, request: request)
        #expect(decided.kind == .refactor, "\(decided.reason)")
        #expect(decided.decidedBy == .model)
        let chats = server.requests.filter { $0.path == "/api/chat" }
        #expect(chats.count == 1)
        #expect(chats.first?.json?["format"] == nil)
        #expect(chats.first?.json?["stream"] as? Bool == false)
    }
}
