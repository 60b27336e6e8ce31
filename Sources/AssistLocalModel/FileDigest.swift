import Foundation

/// SHA-256 of files, computed by the system's `sha256sum` (or `shasum -a 256`), which reads a
/// half-gigabyte model in about a second.
public enum FileDigest {
    /// The sha256 of a file.
    /// - Parameter url: The file.
    /// - Returns: The digest, lowercase hex.
    /// - Throws: ``LocalModelError`` when no hashing tool is found or it fails.
    public static func sha256(of url: URL) async throws -> String {
        let path = "/usr/bin:/bin:/usr/local/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        let output: ChildProcess.Output
        if let tool = ChildProcess.find("sha256sum", path: path) {
            output = try await ChildProcess.run(tool, ["--", url.path], environment: ["LC_ALL": "C"], captureOutput: true)
        } else if let tool = ChildProcess.find("shasum", path: path) {
            output = try await ChildProcess.run(tool, ["-a", "256", url.path], environment: ["LC_ALL": "C"], captureOutput: true)
        } else {
            throw LocalModelError(.missingTool, "neither sha256sum nor shasum is installed (Debian/Ubuntu: `apt-get install coreutils`)")
        }
        let digest = output.standardOutput.split(separator: " ").first.map(String.init) ?? ""
        guard output.status == 0, digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw LocalModelError(.commandFailed, "cannot compute the sha256 of \(url.path)")
        }
        return digest.lowercased()
    }
}
