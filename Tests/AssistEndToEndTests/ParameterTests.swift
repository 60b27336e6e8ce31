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

/// A stand-in OpenAI-compatible local server that answers every chat at once with one fenced block.
private func quickLocalModel() async throws -> StandInServer {
    try await StandInServer.start { request, _ in
        guard request.path.hasSuffix("/chat/completions") else {
            return .whole(status: 404, body: "{\"error\":{\"message\":\"no such path\"}}")
        }
        return .streamed([
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```swift\\n    mutating func increment() {\\n        count += 1\\n    }\\n```\\n\"},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20}}\n\n",
            "data: [DONE]\n\n",
        ])
    }
}

/// `assist serve` as a process over a fixture, its local model a stand-in.
private func servedFixture(model: StandInServer) async throws -> (FixtureRepository, TestClient, uri: String) {
    let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource, "Sources/Other.swift": "let other = 1\n"])
    let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: [
        "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
        "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1",
        "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
        "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
        "ASSIST_LOG_LEVEL": "error",
    ])
    #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
    let uri = URL(fileURLWithPath: fixture.path + "/Sources/Counter.swift").absoluteString
    return (fixture, client, uri)
}

@Suite("parameters from the client: validated, never fatal")
struct ParameterTests {
    @Test func aRangePastTheEndOfTheFileIsInvalidParamsAndTheDaemonServesOn() async throws {
        let model = try await quickLocalModel()
        defer { Task { await model.stop() } }
        let (fixture, client, uri) = try await servedFixture(model: model)
        defer { fixture.remove() }
        let pastTheEnd: JSONValue = ["start": ["line": 500, "character": 0], "end": ["line": 502, "character": 0]]
        let classify = try await client.request("assist/classify", [
            "instruction": "make this faster", "textDocument": ["uri": .string(uri)], "range": pastTheEnd,
        ])
        #expect(classify["error"]?["code"] == .integer(-32602), "\(classify)")
        #expect(classify["error"]?["message"]?.stringValue?.contains("past the end of the document") == true)
        let negative = try await client.request("assist/refactor", [
            "textDocument": ["uri": .string(uri)], "instruction": "use +=",
            "range": ["start": ["line": -3, "character": 0], "end": ["line": 2, "character": 0]],
        ])
        #expect(negative["error"]?["code"] == .integer(-32602), "\(negative)")
        let backwards = try await client.request("assist/ask", [
            "question": "what does this do?", "textDocument": ["uri": .string(uri)],
            "range": ["start": ["line": 4, "character": 0], "end": ["line": 1, "character": 0]],
        ])
        #expect(backwards["error"]?["code"] == .integer(-32602), "\(backwards)")
        let huge = try await client.request("assist/docstring", [
            "textDocument": ["uri": .string(uri)], "position": ["line": .integer(Int.max), "character": 0],
        ])
        #expect(huge["error"]?["code"] == .integer(-32602), "\(huge)")
        let actions = try await client.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(uri)], "range": pastTheEnd, "context": ["diagnostics": []],
        ])
        #expect(actions["error"]?["code"] == .integer(-32602), "\(actions)")
        let status = try await client.request("assist/status")
        #expect(status["result"]?["pid"] != nil, "the daemon still answers: \(status)")
        #expect(try await client.shutdownAndExit() == 0)
    }

    /// 10,000 requests with random and boundary parameters, many in flight at once, to the real
    /// daemon: every one is answered with a result or an error that is not an internal one, and the
    /// daemon is still serving at the end.
    @Test func tenThousandFuzzedRequestsAreEachAnsweredAndTheDaemonSurvives() async throws {
        let model = try await quickLocalModel()
        defer { Task { await model.stop() } }
        let (fixture, client, uri) = try await servedFixture(model: model)
        defer { fixture.remove() }
        let other = URL(fileURLWithPath: fixture.path + "/Sources/Other.swift").absoluteString
        client.notify("textDocument/didOpen", [
            "textDocument": ["uri": .string(other), "languageId": "swift", "version": 1, "text": "let other = 2\nlet more = 3\n"],
        ])
        let seed = UInt64(ProcessInfo.processInfo.environment["ASSIST_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_203)
        var fuzzer = ParameterFuzzer(root: fixture.path, knownURIs: [uri, other], seed: seed)
        let total = 10_000
        let window = 64
        var sent = 0
        var answered = 0
        var errorsByCode: [Int: Int] = [:]
        var internalErrors: [String] = []
        while sent < total {
            var ids: [(RequestID, String, JSONValue?)] = []
            for _ in 0..<min(window, total - sent) {
                let (method, params) = fuzzer.next()
                ids.append((client.sendRequest(method, params), method, params))
                sent += 1
            }
            for (id, method, params) in ids {
                let reply = try await client.response(to: id, timeout: 120)
                answered += 1
                if case .integer(let code)? = reply["error"]?["code"] {
                    errorsByCode[code, default: 0] += 1
                    if code == -32603, internalErrors.count < 5 {
                        internalErrors.append("\(method) \(params.map { "\($0)".prefix(300) } ?? "nil"): \(reply)")
                    }
                }
            }
            #expect(client.exitCodeIfEnded == nil, "the daemon exited after \(sent) requests: \(client.standardError.suffix(2_000))")
            if client.exitCodeIfEnded != nil { return }
        }
        #expect(answered == total)
        #expect(internalErrors.isEmpty, "internal errors (seed \(seed)): \(internalErrors)")
        let status = try await client.request("assist/status")
        #expect(status["result"]?["pid"] != nil, "the daemon still answers: \(status)")
        #expect(client.outputErrors.isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
        print("parameter fuzz: \(total) requests (seed \(seed)), \(answered) answered, errors by code \(errorsByCode.sorted { $0.key < $1.key })")
    }
}
