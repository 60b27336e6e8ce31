@testable import AssistLocalModel
import AssistTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The managed server against the real `llama-server` with SmolLM2 (installed by
/// `assist model install --test-model-only`; scripts/test does it).
@Suite("managed llama-server", .serialized)
struct ManagedServerTests {
    private func makeServer(_ cache: LocalModelCache) async throws -> ManagedLlamaServer {
        var configuration = try await ManagedLlamaServer.Configuration.installed(in: cache, model: .smolLM2)
        configuration.runDirectory = nil
        return ManagedLlamaServer(configuration: configuration)
    }

    @Test func startAnswersHealthAndReportsTheContextWindow() async throws {
        let server = try await makeServer(try await installedCache())
        let started = ContinuousClock.now
        let endpoint = try await server.endpoint()
        let startup = ContinuousClock.now - started
        defer { Task { await server.stop() } }
        print("managed llama-server with SmolLM2 answered /health after \(startup)")

        #expect(endpoint.contextWindow == 8192)
        #expect(endpoint.baseURL.absoluteString == "http://127.0.0.1:\(endpoint.port)")
        let health = try #require(await LoopbackHTTP.get(port: endpoint.port, path: "/health"))
        #expect(health.status == 200)
        #expect(ProcessProbe.isLive(endpoint.processID, commandContains: "llama-server"))
        // A second use while it lives is the same process. (The first use may have started two: see
        // repackingCrashIsRemembered.)
        let starts = await server.startCount
        #expect(try await server.endpoint() == endpoint)
        #expect(await server.startCount == starts)
        await server.stop()
    }

    /// Where llama-server dies of SIGILL/SIGSEGV while loading (a CPU that reports AMX whose tile
    /// instructions fault), it is started again with `--no-repack`, and the cache remembers it.
    @Test func repackingCrashIsRemembered() async throws {
        let cache = try await installedCache()
        let marker = cache.engineDirectory.appendingPathComponent("needs-no-repack")
        let configuration = try await ManagedLlamaServer.Configuration.installed(in: cache, model: .smolLM2)
        #expect(configuration.repackMarker == marker)
        #expect(configuration.disableRepacking == FileManager.default.fileExists(atPath: marker.path))

        let scratch = try scratchDirectory("repack")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let scratchMarker = scratch.appendingPathComponent("needs-no-repack")
        var fresh = ManagedLlamaServer.Configuration(
            binary: configuration.binary, model: configuration.model, repackMarker: scratchMarker)
        #expect(fresh.disableRepacking == false)
        let server = ManagedLlamaServer(configuration: fresh)
        let endpoint = try await server.endpoint()
        let cmdline = String(decoding: FileManager.default.contents(atPath: "/proc/\(endpoint.processID)/cmdline") ?? Data(), as: UTF8.self)
        let crashed = await server.startCount == 2
        #expect(cmdline.contains("--no-repack") == crashed)
        #expect(FileManager.default.fileExists(atPath: scratchMarker.path) == crashed)
        await server.stop()
        fresh = ManagedLlamaServer.Configuration(binary: configuration.binary, model: configuration.model, repackMarker: scratchMarker)
        #expect(fresh.disableRepacking == crashed)
        print("llama-server weight repacking on this machine: \(crashed ? "crashes; --no-repack is used" : "works")")
    }

    @Test func killedServerIsRestartedOnNextUse() async throws {
        let server = try await makeServer(try await installedCache())
        let first = try await server.endpoint()
        #expect(kill(first.processID, SIGKILL) == 0)
        // The server notices the death (and reaps the process) once the whole thread group is gone.
        var noticed = false
        for _ in 0..<100 where !noticed {
            noticed = await server.processID == nil
            if !noticed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(noticed, "the killed server is still reported as running")

        let second = try await server.endpoint()
        #expect(second.processID != first.processID)
        #expect(await server.startCount == 2)
        let health = try #require(await LoopbackHTTP.get(port: second.port, path: "/health"))
        #expect(health.status == 200)
        await server.stop()
    }

    @Test func stopLeavesNoProcess() async throws {
        let server = try await makeServer(try await installedCache())
        let endpoint = try await server.endpoint()
        // Other suites may run servers of their own in this process at the same time: look at ours.
        #expect(children(of: getpid(), running: "llama-server").contains(endpoint.processID))
        await server.stop()
        #expect(kill(endpoint.processID, 0) == -1 && errno == ESRCH, "the process is gone and reaped")
        #expect(!children(of: getpid(), running: "llama-server").contains(endpoint.processID))
        #expect(await server.processID == nil)
        #expect(await LoopbackHTTP.get(port: endpoint.port, path: "/health", timeoutSeconds: 1) == nil)
    }

    @Test func serverDiesWithItsParentEvenOnSIGKILL() async throws {
        let cache = try await installedCache()
        let (process, object) = try await modelServe(cache)
        let serverPID = try #require((object["pid"] as? NSNumber)?.int32Value)
        #expect((object["ownerPID"] as? NSNumber)?.int32Value == process.processIdentifier, "\(object)")
        // A server that crashed on its first start (see repackingCrashIsRemembered) may still be
        // going away while its replacement answers.
        #expect(await eventually(within: 30) { children(of: process.processIdentifier, running: "llama-server") == [serverPID] },
                "children of \(process.processIdentifier): \(children(of: process.processIdentifier, running: "llama-server")), server \(serverPID)")

        #expect(kill(process.processIdentifier, SIGKILL) == 0)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "\(process.terminationReason.rawValue) \(process.terminationStatus)")
        // SIGTERM reaches it at once; on a machine loaded by the whole suite it can take a while to exit.
        #expect(await eventually(within: 120) { !ProcessProbe.isLive(serverPID) }, "llama-server \(serverPID) outlived its parent")
        let status = await LocalModelStatus.read(cache)
        #expect(!status.servers.contains { $0.record.processID == serverPID }, "the stale record is dropped")
    }

    @Test func theServerGetsNoKeysFromTheEnvironment() async throws {
        let cache = try await installedCache()
        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_API_KEY"] = "sk-planted-openai-0000000000000000"
        environment["ASSIST_PROVIDERS_ANTHROPIC_API_KEY"] = "sk-ant-planted-000000000000"
        environment["GITHUB_TOKEN"] = "ghp_planted000000000000000000000000000000"
        environment["ASSIST_LOG_LEVEL"] = "info"
        let (process, object) = try await modelServe(cache, environment: environment)
        defer { process.terminate(); process.waitUntilExit() }
        let serverPID = try #require((object["pid"] as? NSNumber)?.int32Value)
        let environ = try #require(FileManager.default.contents(atPath: "/proc/\(serverPID)/environ"), "cannot read the server's environment")
        let text = String(decoding: environ, as: UTF8.self)
        #expect(!text.contains("planted"), "llama-server's environment carries a planted key")
        #expect(!text.contains("ASSIST_"))
        #expect(text.contains("PATH="), "the rest of the environment is kept")
    }

    @Test func childEnvironmentsWithholdKeysAndAssistSettings() {
        let clean = ChildEnvironment.clean([
            "PATH": "/usr/bin", "HOME": "/root", "OPENAI_API_KEY": "x", "ANTHROPIC_API_KEY": "x", "GEMINI_API_KEY": "x",
            "ASSIST_PROVIDERS_OPENAI_API_KEY": "x", "ASSIST_LOG_FILE": "x", "GITHUB_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "x",
            "HTTPS_PROXY": "http://proxy:3128", "PIP_INDEX_URL": "https://pypi.example/simple", "LANG": "C.UTF-8",
        ])
        #expect(clean.keys.sorted() == ["HOME", "HTTPS_PROXY", "LANG", "PATH", "PIP_INDEX_URL"])
    }

    @Test func installedCacheShowsBinaryModelAndRunningServer() async throws {
        let cache = try await installedCache()
        let server = ManagedLlamaServer(configuration: try await .installed(in: cache, model: .smolLM2))
        let endpoint = try await server.endpoint()
        let status = await LocalModelStatus.read(cache)
        await server.stop()

        #expect(status.engine.installed)
        let smol = try #require(status.models.first { $0.id == "smollm2-135m" })
        #expect(smol.installed)
        #expect(smol.bytes == LocalModelSpec.smolLM2.bytes)
        #expect(smol.sha256 == LocalModelSpec.smolLM2.sha256)
        let running = try #require(status.servers.first { $0.record.processID == endpoint.processID })
        #expect(running.running)
        #expect(running.record.port == endpoint.port)
        #expect(running.record.ownerProcessID == getpid())
        let after = await LocalModelStatus.read(cache)
        #expect(!after.servers.contains { $0.record.processID == endpoint.processID }, "stop removes the record")
    }
}

@Suite("assist model status")
struct StatusTests {
    @Test func emptyCacheShowsNothingInstalled() async throws {
        let scratch = try scratchDirectory("status")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let status = await LocalModelStatus.read(LocalModelCache(root: scratch))
        #expect(status.engine.installed == false)
        #expect(status.models.map(\.id) == ["qwen2.5-coder-0.5b", "smollm2-135m"])
        #expect(status.models.allSatisfy { !$0.installed && $0.problem?.contains("assist model install") == true })
        #expect(status.servers.isEmpty)
        #expect(status.rendered.contains("engine: not installed; run `assist model install`"))
    }
}

/// Starts `assist model serve` with SmolLM2 from a cache and reads the JSON line it prints.
private func modelServe(_ cache: LocalModelCache, environment: [String: String]? = nil) async throws -> (Process, [String: Any]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try TestClient.assistBinary())
    process.arguments = ["model", "serve", "--model", LocalModelSpec.smolLM2.id, "--cache", cache.root.path]
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let line = await withCheckedContinuation { continuation in
        Thread {
            var bytes = Data()
            while let byte = try? output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
                bytes.append(byte)
            }
            continuation.resume(returning: bytes)
        }.start()
    }
    let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any], "assist model serve printed no JSON line")
    return (process, object)
}
