import AssistLocalModel
import AssistTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A cache of its own for one test: the engine and models of the test cache (linked, not copied),
/// and a `run/` no other test touches.
private struct PrivateCache {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("assist-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let shared = TestModelCache.cache
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("engine"), withDestinationURL: shared.engineDirectory)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("models"), withDestinationURL: shared.modelsDirectory)
    }

    var cache: LocalModelCache { LocalModelCache(root: root) }
    var run: URL { root.appendingPathComponent("run") }

    /// Stops whatever host runs here and removes the directory.
    func remove() {
        _ = try? ModelHost.stopAll(in: cache)
        try? FileManager.default.removeItem(at: root)
    }
}

private func liveProcesses(commandContains text: String, and other: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let line = String(decoding: data, as: UTF8.self)
        return line.contains(text) && line.contains(other) && ProcessProbe.isLive(pid)
    }
}

@Suite("the shared model host", .serialized)
struct ModelHostTests {
    static let source = (0..<4).map { "func value\($0)(x: Int) -> Int {\n    x + \($0)\n}\n" }.joined(separator: "\n")

    /// Four shell commands at once, none with a host running: one host starts, every command is
    /// answered by it, it outlives them all, `assist model status` counts their requests, and
    /// `assist model stop` ends it and its server. The host's default four slots give each command
    /// one, so none waits in the server's queue behind the others on a loaded machine.
    @Test func racingCommandsShareOneHostThatOutlivesThem() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let cache = try PrivateCache()
        defer { cache.remove() }
        var files: [String: String] = [:]
        for number in 0..<4 { files["F\(number).swift"] = "func value\(number)(x: Int) -> Int {\n    x + \(number)\n}\n" }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": cache.root.path]
        let results = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for number in 0..<4 {
                group.addTask {
                    let result = try await runAssist(
                        ["docstring", "F\(number).swift", "--line", "1", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
                    return (result.status, result.stderr)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (status, stderr) in results { #expect(status == 0, "\(stderr)") }
        let hosts = ModelHost.running(in: cache.cache)
        #expect(hosts.count == 1, "\(hosts)")
        let host = try #require(hosts.first)
        #expect(host.requests >= 4, "\(host)")
        #expect(host.record.slots == 4)
        #expect(liveProcesses(commandContains: "llama-server", and: cache.root.path).count == 1)
        #expect(liveProcesses(commandContains: "model\u{0}host", and: cache.root.path) == [host.record.supervisorProcessID])
        // The key is the user's alone, and never on a command line.
        var info = stat()
        #expect(stat(cache.run.appendingPathComponent("host.key").path, &info) == 0 && info.st_mode & 0o077 == 0)
        let key = try String(contentsOf: cache.run.appendingPathComponent("host.key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let serverLine = String(decoding: FileManager.default.contents(atPath: "/proc/\(host.record.serverProcessID)/cmdline") ?? Data(), as: UTF8.self)
        #expect(serverLine.contains("127.0.0.1") && !serverLine.contains(key))
        // Without the key, the server answers nothing but /health.
        let refused = await LoopbackHTTP.get(port: host.record.port, path: "/v1/models")
        #expect(refused?.status == 401)

        let status = try await runAssist(["model", "status"], in: fixture.path, environment: environment)
        #expect(status.stdout.contains("host: smollm2-135m pid \(host.record.supervisorProcessID)"), "\(status.stdout)")
        let stop = try await runAssist(["model", "stop"], in: fixture.path, environment: environment)
        #expect(stop.status == 0 && stop.stderr.contains("stopped the host of smollm2-135m"), "\(stop.stderr)")
        #expect(!ProcessProbe.isLive(host.record.serverProcessID, commandContains: "llama-server"))
        #expect(!ProcessProbe.isLive(host.record.supervisorProcessID, commandContains: "assist"))
        #expect(ModelHost.running(in: cache.cache).isEmpty)
    }

    /// With `local.keepAliveSeconds = 2`, the host stops by itself once idle and takes its record along.
    @Test func anIdleHostStopsAfterItsKeepAlive() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let cache = try PrivateCache()
        defer { cache.remove() }
        let fixture = try FixtureRepository.make(files: ["A.swift": Self.source])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": cache.root.path, "ASSIST_LOCAL_KEEP_ALIVE_SECONDS": "2"]
        let result = try await runAssist(["docstring", "A.swift", "--line", "1", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let host = try #require(ModelHost.running(in: cache.cache).first, "no host ran after the command")
        #expect(host.record.keepAliveSeconds == 2)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, ProcessProbe.isLive(host.record.supervisorProcessID, commandContains: "assist") {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!ProcessProbe.isLive(host.record.supervisorProcessID, commandContains: "assist"), "the host still runs 30 s after its 2 s keep-alive")
        #expect(!ProcessProbe.isLive(host.record.serverProcessID, commandContains: "llama-server"))
        #expect(!FileManager.default.fileExists(atPath: cache.run.appendingPathComponent("host-smollm2-135m.json").path))
        let log = try String(contentsOf: cache.root.appendingPathComponent("logs/host-smollm2-135m.log"), encoding: .utf8)
        #expect(log.contains("stopped: no request for the keep-alive time"), "\(log)")
    }

    /// `local.keepAliveSeconds = 0`: today's behaviour, a server inside the command and no host.
    @Test func keepAliveZeroRunsNoHost() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let cache = try PrivateCache()
        defer { cache.remove() }
        let fixture = try FixtureRepository.make(files: ["A.swift": Self.source])
        defer { fixture.remove() }
        let environment = ["ASSIST_CACHE_DIR": cache.root.path, "ASSIST_LOCAL_KEEP_ALIVE_SECONDS": "0"]
        let result = try await runAssist(["docstring", "A.swift", "--line", "1", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(ModelHost.running(in: cache.cache).isEmpty)
        #expect(liveProcesses(commandContains: "llama-server", and: cache.root.path).isEmpty)
    }

    /// A hostile cache: a key file others can read, or a host record another user owns, is
    /// refused with a sentence saying what to do, and nothing is started.
    @Test func anotherUsersHostOrAReadableKeyIsRefused() async throws {
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(TestModelCache.path): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let fixture = try FixtureRepository.make(files: ["A.swift": Self.source])
        defer { fixture.remove() }

        let readable = try PrivateCache()
        defer { readable.remove() }
        try FileManager.default.createDirectory(at: readable.run, withIntermediateDirectories: true)
        let keyFile = readable.run.appendingPathComponent("host.key")
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(to: keyFile)
        chmod(keyFile.path, 0o644)
        let first = try await runAssist(
            ["docstring", "A.swift", "--line", "1", "--model", "smollm2-135m"], in: fixture.path,
            environment: ["ASSIST_CACHE_DIR": readable.root.path])
        #expect(first.status != 0)
        #expect(first.stderr.contains("can be read by other users"), "\(first.stderr)")
        #expect(ModelHost.running(in: readable.cache).isEmpty)

        let foreign = try PrivateCache()
        defer { foreign.remove() }
        try FileManager.default.createDirectory(at: foreign.run, withIntermediateDirectories: true)
        let record = foreign.run.appendingPathComponent("host-smollm2-135m.json")
        try Data("{}".utf8).write(to: record)
        guard geteuid() == 0 else {
            Issue.record("giving the record to another user needs root (CI runs as root)")
            return
        }
        #expect(chown(record.path, 4242, 4242) == 0)
        let second = try await runAssist(
            ["docstring", "A.swift", "--line", "1", "--model", "smollm2-135m"], in: fixture.path,
            environment: ["ASSIST_CACHE_DIR": foreign.root.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("belongs to user 4242") || second.stderr.contains("runs as user 4242"), "\(second.stderr)")
        #expect(liveProcesses(commandContains: "llama-server", and: foreign.root.path).isEmpty)
    }
}
