import Foundation

/// Where the tests find the installed local models: the cache `scripts/test` installs into
/// (`$ASSIST_CACHE_DIR`, else `$XDG_CACHE_HOME/assist`, else `~/.cache/assist`).
public enum TestModelCache {
    public static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["ASSIST_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/assist" }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/assist"
    }

    /// Whether the small test model (SmolLM2-135M) is installed and verified.
    public static var hasTestModel: Bool {
        FileManager.default.fileExists(atPath: path + "/models/SmolLM2-135M-Instruct.Q4_1.gguf.verified")
    }
}
