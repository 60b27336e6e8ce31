import AssistLocalModel
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// The live children of a process whose command line contains `command`.
private func liveChildren(of parent: Int32, running command: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == parent, fields[0] != "Z" else { return false }
        return ProcessProbe.isLive(pid, commandContains: command)
    }
}

@Suite("concurrent requests share what they must")
struct ConcurrencyTests {
    /// Eight first prompts at once to a daemon that has not started its model: exactly one
    /// `llama-server` starts, and every request is answered (those still waiting once the first
    /// answer came are cancelled, so a loaded machine does not make the test wait for all eight).
    @Test func eightFirstPromptsAtOnceStartOneServer() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        var files: [String: String] = [:]
        for number in 0..<8 { files["Sources/F\(number).swift"] = "func value\(number)(x: Int) -> Int {\n    x + \(number)\n}\n" }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: [
            // The daemon's own server (no shared host), whose starts this test counts.
            "ASSIST_CACHE_DIR": TestModelCache.path, "ASSIST_LOCAL_KEEP_ALIVE_SECONDS": "0",
        ])
        #expect(try await client.initialize(rootPath: fixture.path)["error"] == nil)
        let pid = try #require(try await client.request("assist/status")["result"]?["pid"].flatMap { value -> Int32? in
            if case .integer(let number) = value { return Int32(number) }
            return nil
        })
        var ids: [RequestID] = []
        for number in 0..<8 {
            let uri = URL(fileURLWithPath: fixture.path + "/Sources/F\(number).swift").absoluteString
            ids.append(client.sendRequest("assist/docstring", ["textDocument": ["uri": .string(uri)], "all": true, "model": "smollm2-135m"]))
        }
        // Count servers until the first answer (by then the one start is over), then cancel the
        // rest: every request is still answered, with a result or an error.
        var most = 0
        var answered = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while answered == 0, ContinuousClock.now < deadline {
            most = max(most, liveChildren(of: pid, running: "llama-server").count)
            if let reply = await client.take(timeout: 0.1, where: { $0["id"] != nil && $0["method"] == nil }) {
                #expect(reply["result"] != nil || reply["error"]?["code"] == .integer(-32803), "\(reply)")
                answered += 1
            }
        }
        most = max(most, liveChildren(of: pid, running: "llama-server").count)
        for id in ids { client.notify("$/cancelRequest", ["id": id.jsonValue]) }
        while answered < ids.count, let reply = await client.take(timeout: 120, where: { $0["id"] != nil && $0["method"] == nil }) {
            let code = reply["error"]?["code"]
            #expect(reply["result"] != nil || code == .integer(-32803) || code == .integer(-32800), "\(reply)")
            answered += 1
        }
        most = max(most, liveChildren(of: pid, running: "llama-server").count)
        #expect(answered == ids.count)
        #expect(most == 1, "\(most) llama-server processes ran at once")
        #expect(try await client.shutdownAndExit() == 0)
    }
}
