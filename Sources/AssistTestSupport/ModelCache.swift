import AssistLocalModel
import Foundation
import Testing

/// Where the tests find the installed local models: the cache `scripts/test` installs into, by the
/// product's own rule (`LocalModelCache.default`).
public enum TestModelCache {
    public static var cache: LocalModelCache {
        LocalModelCache.default(
            environment: ProcessInfo.processInfo.environment, homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
    }

    public static var path: String { cache.root.path }

    /// Whether the small test model (SmolLM2-135M) is installed and verified.
    public static var hasTestModel: Bool {
        FileManager.default.fileExists(atPath: cache.verificationRecord(for: .smolLM2).path)
    }

    /// Whether the default model (Qwen2.5-Coder-0.5B) is installed and verified.
    public static var hasDefaultModel: Bool {
        FileManager.default.fileExists(atPath: cache.verificationRecord(for: .qwenCoder).path)
    }

    /// Records an issue naming the install command when the default model is missing.
    /// - Returns: Whether it is installed.
    public static func requireDefaultModel() -> Bool {
        if hasDefaultModel { return true }
        Issue.record("the default model is not installed in \(path): run `assist model install` (scripts/test does)")
        return false
    }
}
