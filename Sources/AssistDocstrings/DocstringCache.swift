import AssistFiles
import Foundation
import Synchronization

/// Remembers the comment written for a declaration's exact text, per model and prompt version, so
/// asking again answers without calling the model. Persisted as one JSON file (under `.git/assist/`),
/// written atomically; a file that cannot be read is ignored and rewritten. The mutex guards the map.
public final class DocstringCache: Sendable {
    private struct Contents: Codable {
        var version = 1
        var entries: [String: [String]] = [:]
    }

    private let path: String?
    private let contents: Mutex<Contents>

    /// Opens (or starts) a cache file.
    ///
    /// - Parameter path: The file, or `nil` for a cache in memory only.
    public init(path: String?) {
        self.path = path
        var loaded = Contents()
        if let path, let data = FileManager.default.contents(atPath: path),
           let decoded = try? JSONDecoder().decode(Contents.self, from: data), decoded.version == 1
        {
            loaded = decoded
        }
        contents = Mutex(loaded)
    }

    /// The key of a declaration: model, prompt version, indentation and the declaration's text.
    public static func key(model: String, promptVersion: String, declaration: String, indentation: String) -> String {
        let material = Array("\(model)\u{0}\(promptVersion)\u{0}\(indentation)\u{0}\(declaration)".utf8)
        return hex(fnv1a(material, basis: 0xcbf2_9ce4_8422_2325)) + hex(fnv1a(material.reversed(), basis: 0x8422_2325_cbf2_9ce4))
    }

    public func lines(for key: String) -> [String]? {
        contents.withLock { $0.entries[key] }
    }

    /// Stores a comment and writes the file.
    public func store(_ lines: [String], for key: String) {
        let snapshot = contents.withLock { contents -> Contents in
            contents.entries[key] = lines
            return contents
        }
        guard let path, let data = try? JSONEncoder().encode(snapshot) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileTree(root: directory, kind: .owned)
            .write(Array(data), to: (path as NSString).lastPathComponent, expecting: .any, durable: false)
    }

    private static func fnv1a(_ bytes: some Sequence<UInt8>, basis: UInt64) -> UInt64 {
        var hash = basis
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
