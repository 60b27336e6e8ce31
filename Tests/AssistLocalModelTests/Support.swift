@testable import AssistLocalModel
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The cache that `assist model install --test-model-only` filled: `ASSIST_CACHE_DIR`, else the
/// per-user default. Tests of the real server need the engine and SmolLM2 there.
func installedCache() async throws -> LocalModelCache {
    let cache = LocalModelCache.default(
        environment: ProcessInfo.processInfo.environment,
        homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
    let hint = "run `assist model install --test-model-only` (scripts/test does) with ASSIST_CACHE_DIR=\(cache.root.path)"
    try #require(LocalModelInstaller.installedEngine(in: cache) != nil, "llama-server is not built in \(cache.root.path): \(hint)")
    try #require(
        FileManager.default.fileExists(atPath: cache.file(for: .smolLM2).path),
        "SmolLM2 is not in \(cache.root.path): \(hint)")
    return cache
}

/// A fresh empty directory, removed by the caller.
func scratchDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("assist-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The processes whose parent is `parent` and whose command line contains `command`.
func children(of parent: Int32, running command: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == parent, fields[0] != "Z" else { return false }
        return ProcessProbe.isLive(pid, commandContains: command)
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}
