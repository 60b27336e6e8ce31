import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

@Suite("parameters from the client: validated, never fatal")
struct ParameterTests {
    @Test func aRangePastTheEndOfTheFileIsInvalidParamsAndTheDaemonServesOn() async throws {
        let daemon = try await FuzzedDaemon.start()
        defer { Task { await daemon.stop() } }
        let (client, uri) = (daemon.client, daemon.uris[0])
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
        let daemon = try await FuzzedDaemon.start()
        defer { Task { await daemon.stop() } }
        let client = daemon.client
        let seed = UInt64(ProcessInfo.processInfo.environment["ASSIST_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_203)
        let total = 10_000
        let report = await daemon.fuzz(requests: total, seed: seed)
        #expect(report.lost == nil, "\(report.lost ?? "")")
        let (answered, errorsByCode, internalErrors) = (report.answered, report.errorsByCode, report.internalErrors)
        #expect(answered == total)
        #expect(internalErrors.isEmpty, "internal errors (seed \(seed)): \(internalErrors)")
        let status = try await client.request("assist/status")
        #expect(status["result"]?["pid"] != nil, "the daemon still answers: \(status)")
        #expect(client.outputErrors.isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
        print("parameter fuzz: \(total) requests (seed \(seed)), \(answered) answered, errors by code \(errorsByCode.sorted { $0.key < $1.key })")
    }
}
