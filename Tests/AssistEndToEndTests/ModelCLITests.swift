import Foundation
import Testing

@Suite("assist model (command line)")
struct ModelCLITests {
    @Test func installWithoutPythonSaysWhatToInstall() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assist-model-cli-\(UUID().uuidString)")
        let emptyBin = scratch.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: emptyBin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try await runAssist(
            ["model", "install", "--test-model-only", "--cache", scratch.appendingPathComponent("cache").path],
            in: scratch.path, environment: ["PATH": emptyBin.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: python3 is not on PATH"), "\(result.stderr)")
        #expect(result.stderr.contains("sudo apt-get install python3 python3-venv python3-pip"))
        #expect(result.stdout.isEmpty)
    }

    @Test func statusOfAnEmptyCacheAsJSON() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assist-model-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try await runAssist(["model", "status", "--json"], in: scratch.path, environment: ["ASSIST_CACHE_DIR": scratch.path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["cache"] as? String == scratch.standardizedFileURL.path)
        #expect((object["engine"] as? [String: Any])?["installed"] as? Bool == false)
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.compactMap { $0["id"] as? String } == ["qwen2.5-coder-0.5b", "smollm2-135m"])
        #expect(models.allSatisfy { $0["installed"] as? Bool == false })
    }
}
