import AssistGit
import AssistIndex
import AssistTestSupport
import Foundation
import Synchronization
import Testing

/// An analyser that counts its calls and remembers which contents it saw, to prove what was
/// analysed and what came from the cache.
final class CountingAnalyzer: BlobAnalyzer {
    struct Result: Codable, Sendable, Equatable {
        var text: String
        var lines: Int
    }

    let name: String
    let version: Int
    private let onlySwift: Bool
    /// Guards the call log; analysers run on several threads at once.
    private let log = Mutex<[String]>([])

    init(name: String = "counting", version: Int = 1, onlySwift: Bool = false) {
        self.name = name
        self.version = version
        self.onlySwift = onlySwift
    }

    var calls: Int { log.withLock { $0.count } }
    var analyzedPaths: [String] { log.withLock { $0.sorted() } }
    func reset() { log.withLock { $0.removeAll() } }

    func accepts(_ language: Language) -> Bool {
        !onlySwift || language == .swift
    }

    func analyze(_ bytes: [UInt8], path: String) -> Result {
        log.withLock { $0.append(path) }
        return Result(
            text: String(decoding: bytes, as: UTF8.self),
            lines: bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) })
    }
}

/// The file set as `path state` lines, for compact comparisons.
func summary<A: BlobAnalyzer>(_ index: RepositoryIndex<A>) -> [String] {
    index.files.map { file in
        var line = "\(file.path) \(file.state.rawValue)"
        if let original = file.originalPath { line += " from \(original)" }
        if let reason = file.skipReason { line += " skip:\(reason.rawValue)" }
        return line
    }
}

/// The blob id git has for a path at HEAD, or of a working-tree file.
func gitBlob(_ fixture: FixtureRepository, _ spec: String) throws -> ObjectID {
    try #require(ObjectID(hex: try fixture.git("rev-parse", spec)))
}

func hashObject(_ fixture: FixtureRepository, _ path: String) throws -> ObjectID {
    try #require(ObjectID(hex: try fixture.git("hash-object", "--no-filters", path)))
}

/// The files in the cache folder.
func cacheFolderContents(_ index: RepositoryIndex<some BlobAnalyzer>) throws -> [String] {
    let path = try #require(index.cachePath)
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}
