import AssistBackends
import AssistCore
import AssistLocalModel
import AssistTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `llama-server` with the small test model (SmolLM2-135M), managed as the daemon manages
/// it, from the cache `scripts/test` installs into (`assist model install --test-model-only`).
private struct RunningLlamaServer {
    let server: ManagedLlamaServer
    let endpoint: ManagedLlamaServer.Endpoint

    static func start() async throws -> RunningLlamaServer {
        let environment = ProcessInfo.processInfo.environment
        let cache = LocalModelCache.default(environment: environment, homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
        let configuration: ManagedLlamaServer.Configuration
        do {
            configuration = try await ManagedLlamaServer.Configuration.installed(in: cache, model: .smolLM2)
        } catch {
            Issue.record("the test model is not installed in \(cache.root.path): run `assist model install --test-model-only` (scripts/test does): \(error)")
            throw error
        }
        let server = ManagedLlamaServer(configuration: configuration)
        return RunningLlamaServer(server: server, endpoint: try await server.endpoint())
    }

    func backend(_ endpoint: ManagedLlamaServer.Endpoint? = nil, read: Duration = .seconds(60)) -> OpenAICompatibleBackend {
        let endpoint = endpoint ?? self.endpoint
        return OpenAICompatibleBackend(settings: BackendSettings(
            name: "local", baseURL: endpoint.baseURL.absoluteString, model: "smollm2-135m", readTimeout: read, maxConcurrentRequests: 1))
    }
}

@Suite("OpenAI-compatible backend against the real llama-server", .serialized)
struct LlamaServerTests {
    @Test func streamedAndWholeAnswersWithUsageGrammarAndWindow() async throws {
        let running = try await RunningLlamaServer.start()
        let backend = running.backend()
        let request = ChatRequest(messages: [.user("Say hi.")], maxTokens: 8, temperature: 0)
        let streamed = try await backend.complete(request)
        #expect(streamed.usage.map { $0.promptTokens > 0 && $0.completionTokens > 0 } == true)
        #expect(streamed.finishReason != nil)
        var whole = request
        whole.streaming = false
        let answer = try await backend.complete(whole)
        #expect(answer.usage != nil)
        #expect(answer.text == streamed.text)

        var constrained = request
        constrained.constraint = .grammar("root ::= (\"yes\" | \"no\")")
        let yesNo = try await backend.complete(constrained)
        #expect(["yes", "no"].contains(yesNo.text))

        #expect(try await backend.capabilities().contextWindow == running.endpoint.contextWindow)
        let tokens = try await backend.countTokens("hello world")
        #expect(!tokens.isEstimate && tokens.count > 0)
        await running.server.stop()
    }

    @Test func cancellingMidStreamAndServerKilledMidRequest() async throws {
        let running = try await RunningLlamaServer.start()
        let backend = running.backend()
        let long = ChatRequest(messages: [.user("Count from 1 to 500.")], maxTokens: 400, temperature: 0)
        var received = 0
        for try await event in backend.chat(long) {
            if case .text = event { received += 1 }
            if received == 3 { break }
        }
        #expect(received == 3)
        #expect(await backend.health() == .available)

        // The server dies mid-answer: a clear error, never a short success.
        var events = 0
        var failure: BackendError?
        do {
            for try await _ in backend.chat(long) {
                events += 1
                if events == 3 { kill(running.endpoint.processID, SIGKILL) }
            }
        } catch let error as BackendError {
            failure = error
        }
        #expect(failure?.kind == .streamCut || failure?.kind == .connection, "\(String(describing: failure))")
        // Once the process is gone (SIGKILL is delivered asynchronously), the next use restarts it.
        let deadline = ContinuousClock.now + .seconds(20)
        while await running.server.processID != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let restarted = try await running.server.endpoint()
        #expect(restarted.processID != running.endpoint.processID)
        let after = try await running.backend(restarted).complete(ChatRequest(messages: [.user("Say hi.")], maxTokens: 4, temperature: 0))
        #expect(!after.text.isEmpty)
        await running.server.stop()
    }
}
