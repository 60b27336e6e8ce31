import AssistBackends
import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// Runs the built `assist` binary and captures its output.
/// Runs the built `assist` and waits for it without holding a thread of the cooperative pool, so
/// stand-in servers in the same process (whose replies run as tasks) keep answering meanwhile.
func runAssist(_ arguments: [String], in directory: String, environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try TestClient.assistBinary())
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("assist-cli-home-\(UUID().uuidString)").path
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ASSIST_") && !$0.key.hasSuffix("_API_KEY") }
    env["HOME"] = home
    env["XDG_CONFIG_HOME"] = home + "/.config"
    env.merge(environment) { _, new in new }
    process.environment = env
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("assist-out-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("assist-err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    let launchError: (any Error)? = await withCheckedContinuation { continuation in
        process.terminationHandler = { _ in continuation.resume(returning: nil) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(returning: error)
        }
    }
    if let launchError { throw launchError }
    return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
}

@Suite("assist command line")
struct CLITests {
    @Test func helpListsTheSubcommands() async throws {
        let result = try await runAssist(["--help"], in: NSTemporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.contains("serve"))
        #expect(result.stdout.contains("config"))
    }

    @Test func version() async throws {
        let result = try await runAssist(["--version"], in: NSTemporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == AssistVersion.current)
    }

    @Test func unknownSubcommandFails() async throws {
        let result = try await runAssist(["frobnicate"], in: NSTemporaryDirectory())
        #expect(result.status != 0)
        #expect(result.stderr.contains("frobnicate"))
    }

    @Test func configShowsDefaultsAndSources() async throws {
        let fixture = try FixtureRepository.make(files: [".assist.toml": "[log]\nlevel = \"debug\"\n"])
        defer { fixture.remove() }
        let result = try await runAssist(["config"], in: fixture.path, environment: ["ASSIST_SERVER_MAX_MESSAGE_BYTES": "2048"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("log.level = \"debug\""))
        #expect(result.stdout.contains(".assist.toml:2"))
        #expect(result.stdout.contains("server.maxMessageBytes = 2048"))
        #expect(result.stdout.contains("ASSIST_SERVER_MAX_MESSAGE_BYTES"))
    }

    @Test func configMasksSecrets() async throws {
        let secret = "sk-test-0123456789abcdefWXYZ"
        let result = try await runAssist(["config"], in: NSTemporaryDirectory(), environment: ["OPENAI_API_KEY": secret])
        #expect(result.status == 0)
        #expect(!result.stdout.contains(secret))
        #expect(!result.stderr.contains(secret))
        #expect(result.stdout.contains("****WXYZ"))
        let json = try await runAssist(["config", "--json"], in: NSTemporaryDirectory(), environment: ["OPENAI_API_KEY": secret])
        #expect(json.status == 0)
        #expect(!json.stdout.contains(secret))
        #expect(json.stdout.contains("****WXYZ"))
    }

    @Test func badConfigFileNamesPathLineAndKey() async throws {
        let fixture = try FixtureRepository.make(files: [".assist.toml": "# settings\n[server]\nmaxMessageBytes = \"big\"\n"])
        defer { fixture.remove() }
        let result = try await runAssist(["config"], in: fixture.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(fixture.path)/.assist.toml:3"), "\(result.stderr)")
        #expect(result.stderr.contains("server.maxMessageBytes"))
    }

    @Test func repositoryFileCannotHoldKeys() async throws {
        let fixture = try FixtureRepository.make(files: [".assist.toml": "[providers.openai]\napiKey = \"sk-in-the-repo-123456\"\n"])
        defer { fixture.remove() }
        let result = try await runAssist(["config"], in: fixture.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains(".assist.toml:2"))
        #expect(!result.stderr.contains("sk-in-the-repo-123456"))
        #expect(!result.stdout.contains("sk-in-the-repo-123456"))
    }
}

@Suite("assist index")
struct IndexCLITests {
    @Test func indexPrintsFiguresAndUsesItsCache() async throws {
        let fixture = try FixtureRepository.make(files: [
            "Sources/A.swift": "/// Documented.\npublic func a() {}\npublic func b() {}\n",
            "notes.txt": "hello\n",
        ])
        defer { fixture.remove() }
        let cold = try await runAssist(["index", "--json"], in: fixture.path)
        #expect(cold.status == 0, "\(cold.stderr)")
        let figures = try JSONDecoder().decode(JSONValue.self, from: Data(cold.stdout.utf8))
        #expect(figures["files"] == 2)
        #expect(figures["declarations"] == 2)
        #expect(figures["publicAPI"] == ["total": 2, "documented": 1, "undocumented": 1])
        #expect(figures["cache"]?["analyses"] == 1)
        let warm = try await runAssist(["index"], in: fixture.path + "/Sources")
        #expect(warm.status == 0)
        #expect(warm.stdout.contains("public API: 2 declarations, 1 documented, 1 undocumented"))
        #expect(warm.stdout.contains("0 analyses"))
        #expect(warm.stderr.isEmpty, "no progress bar without a terminal: \(warm.stderr)")
    }

    @Test func indexOutsideARepositoryFailsClearly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assist-noindex-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await runAssist(["index"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a git repository"))
        #expect(result.stderr.contains(directory))
    }
}

@Suite("assist serve as a process")
struct ServeProcessTests {
    @Test func stdoutCarriesOnlyFramesAndLogsGoToStderr() async throws {
        let fixture = try FixtureRepository.make()
        defer { fixture.remove() }
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: ["ASSIST_LOG_LEVEL": "debug"])
        try await client.initialize(rootPath: fixture.path)
        client.sendRaw("Content-Length: nope\r\n\r\n{}")
        client.sendBody("{not json")
        client.notify("no/such")
        #expect(try await client.request("assist/status")["result"]?["repository"]?["path"] == .string(fixture.path))
        #expect(try await client.shutdownAndExit() == 0)
        #expect(client.outputErrors.isEmpty)
        #expect(client.standardError.contains("framing error"))
    }

    @Test func logFileSetting() async throws {
        let fixture = try FixtureRepository.make()
        defer { fixture.remove() }
        let log = fixture.path + "/.git/assist-test.log"
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: ["ASSIST_LOG_FILE": log])
        try await client.initialize(rootPath: fixture.path)
        #expect(try await client.shutdownAndExit() == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("initialized"))
        #expect(!client.standardError.contains("initialized"))
    }

    @Test func exitCodes() async throws {
        let client = try TestClient.subprocess()
        try await client.initialize()
        client.notify("exit")
        #expect(await client.waitForExit() == 1)
        let truncated = try TestClient.subprocess()
        truncated.sendRaw("Content-Length: 50\r\n\r\n{\"jsonrpc\"")
        truncated.closeInput()
        #expect(await truncated.waitForExit() == 1)
        #expect(truncated.standardError.contains("input ended inside a frame"))
    }
}

@Suite("assist usage")
struct UsageCLITests {
    @Test func printsTotalsAsTextAndJSON() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("assist-state-\(UUID().uuidString)").path
        let periods = UsageStore.periods(of: Date())
        let ledger = """
            {"version": 1,
             "days": {"\(periods.day)": {"anthropic/claude": {"requests": 2, "promptTokens": 1000, "completionTokens": 200, "costUSD": 0.006, "unpricedRequests": 0}}},
             "months": {"\(periods.month)": {"anthropic/claude": {"requests": 5, "promptTokens": 4000, "completionTokens": 800, "costUSD": 0.024, "unpricedRequests": 0},
                                             "local/qwen": {"requests": 1, "promptTokens": 10, "completionTokens": 5, "costUSD": 0, "unpricedRequests": 1}}}}
            """
        try FileManager.default.createDirectory(atPath: state + "/assist", withIntermediateDirectories: true)
        try ledger.write(toFile: state + "/assist/usage.json", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: state) }

        let text = try await runAssist(["usage"], in: NSTemporaryDirectory(), environment: ["XDG_STATE_HOME": state])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("today (\(periods.day)): 2 requests, 1000 prompt + 200 completion tokens, $0.0060"))
        #expect(text.stdout.contains("this month (\(periods.month)): 6 requests, 4010 prompt + 805 completion tokens, $0.0240 (1 unpriced)"))
        #expect(text.stdout.contains("  local/qwen: 1 requests"))

        let json = try await runAssist(["usage", "--json"], in: NSTemporaryDirectory(), environment: ["XDG_STATE_HOME": state])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let month = try #require(object["thisMonth"] as? [String: Any])
        #expect(month["requests"] as? Int == 6)
        #expect((month["byModel"] as? [String: Any])?.keys.sorted() == ["anthropic/claude", "local/qwen"])
        #expect((object["today"] as? [String: Any])?["costUSD"] as? Double == 0.006)
    }

    @Test func corruptLedgerIsReportedNotACrash() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("assist-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state + "/assist", withIntermediateDirectories: true)
        try "{garbage".write(toFile: state + "/assist/usage.json", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try await runAssist(["usage"], in: NSTemporaryDirectory(), environment: ["XDG_STATE_HOME": state])
        #expect(result.status == 0)
        #expect(result.stderr.contains("corrupt"))
        #expect(result.stdout.contains("0 requests"))
    }
}
