import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
import Testing

/// The real `llama-server` and a small model, from `ASSIST_LLAMA_SERVER` and `ASSIST_TEST_MODEL`
/// (for example SmolLM2-135M-Instruct, see shared/local-model/README.md). These tests are slow and
/// need both files, so they run only when both variables are set; the skip is reported with its reason.
private let llamaServer = ProcessInfo.processInfo.environment["ASSIST_LLAMA_SERVER"]
private let testModel = ProcessInfo.processInfo.environment["ASSIST_TEST_MODEL"]

/// A `llama-server` started on a free loopback port for one test, stopped by ``stop()``.
private struct RunningLlamaServer {
    let process: Process
    let baseURL: String

    static func start() async throws -> RunningLlamaServer {
        let binary = try #require(llamaServer, "set ASSIST_LLAMA_SERVER to the llama-server binary")
        let model = try #require(testModel, "set ASSIST_TEST_MODEL to a GGUF model")
        let probe = try await StandInServer.start()
        let port = probe.port
        await probe.stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", model, "--host", "127.0.0.1", "--port", "\(port)", "-t", "2", "-c", "2048", "-np", "1", "--no-webui", "--offline"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = RunningLlamaServer(process: process, baseURL: "http://127.0.0.1:\(port)/v1")
        // Poll with a short read timeout, so a server that accepts but does not answer cannot hang the test.
        let probeBackend = server.backend(read: .seconds(1))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await probeBackend.health() == .available { return server }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw BackendError(.connection, backend: "local", message: "llama-server did not become healthy within 60 s")
    }

    func backend(read: Duration = .seconds(60)) -> OpenAICompatibleBackend {
        OpenAICompatibleBackend(settings: BackendSettings(name: "local", baseURL: baseURL, model: "default", readTimeout: read, maxConcurrentRequests: 1))
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

@Suite(.serialized, .enabled(if: llamaServer != nil && testModel != nil, "set ASSIST_LLAMA_SERVER and ASSIST_TEST_MODEL to run against a real llama-server"))
struct LlamaServerTests {
    @Test func streamedAndWholeAnswersWithUsageGrammarAndWindow() async throws {
        let server = try await RunningLlamaServer.start()
        defer { server.stop() }
        let backend = server.backend()
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

        #expect(try await backend.capabilities().contextWindow == 2048)
        let tokens = try await backend.countTokens("hello world")
        #expect(!tokens.isEstimate && tokens.count > 0)
    }

    @Test func cancellingMidStreamAndServerKilledMidRequest() async throws {
        let server = try await RunningLlamaServer.start()
        let backend = server.backend()
        let long = ChatRequest(messages: [.user("Count from 1 to 500.")], maxTokens: 400, temperature: 0)
        var received = 0
        for try await event in backend.chat(long) {
            if case .text = event { received += 1 }
            if received == 3 { break }
        }
        #expect(received == 3)
        #expect(await backend.health() == .available)

        let stream = backend.chat(long)
        var events = 0
        var failure: BackendError?
        do {
            for try await _ in stream {
                events += 1
                if events == 3 { server.stop() }
            }
        } catch let error as BackendError {
            failure = error
        }
        server.stop()
        #expect(failure?.kind == .streamCut || failure?.kind == .connection)
    }
}
