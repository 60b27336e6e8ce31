import AssistLocalModel
import Foundation

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
}
