import AssistCore
import AssistFiles
import Foundation
import Synchronization

/// One request that left the machine, as `.git/assist/egress.jsonl` records it.
public struct EgressEntry: Codable, Sendable, Hashable {
    /// A part of a file that was sent.
    public struct FileRange: Codable, Sendable, Hashable {
        /// The repository-relative path.
        public var path: String
        /// UTF-8 byte ranges of the file's content that were sent, each `[start, end)`.
        public var ranges: [[Int]]
        /// Creates a file part.
        /// - Parameters:
        ///   - path: The file.
        ///   - ranges: Byte ranges, each `[start, end)`.
        public init(path: String, ranges: [[Int]]) {
            self.path = path
            self.ranges = ranges
        }
    }

    /// A secret that was replaced before sending.
    public struct Redaction: Codable, Sendable, Hashable {
        /// The file it was in.
        public var path: String
        /// Its 1-based line.
        public var line: Int
        /// What kind of secret it was.
        public var kind: String
        /// Creates a redaction record.
        /// - Parameters:
        ///   - path: The file.
        ///   - line: The line.
        ///   - kind: The secret's kind.
        public init(path: String, line: Int, kind: String) {
            self.path = path
            self.line = line
            self.kind = kind
        }
    }

    /// When the request was sent, ISO 8601 in UTC.
    public var time: String
    /// The backend, for example `anthropic`.
    public var backend: String
    /// The model asked.
    public var model: String
    /// The request kind (`refactor`, `multi-file`, …).
    public var kind: String
    /// The files and byte ranges whose content the request carried.
    public var files: [FileRange]
    /// The request's prompt tokens, estimated before sending.
    public var promptTokens: Int
    /// The most completion tokens it allowed.
    public var maxCompletionTokens: Int
    /// The highest cost it can have, from the price table; `nil` when the model has no price.
    public var costUSD: Double?
    /// The secrets replaced by markers before sending.
    public var redactions: [Redaction]
    /// The UTF-8 bytes of the messages sent.
    public var bytes: Int
    /// For a `review` line (written after a cloud answer, not a request): what its edit adds that a
    /// person should look at, as `severity kind path:line`.
    public var risks: [String]?

    /// Creates an entry.
    /// - Parameters:
    ///   - time: When, ISO 8601.
    ///   - backend: The backend.
    ///   - model: The model.
    ///   - kind: The request kind.
    ///   - files: The file parts sent.
    ///   - promptTokens: The estimated prompt tokens.
    ///   - maxCompletionTokens: The completion limit.
    ///   - costUSD: The highest cost, or `nil`.
    ///   - redactions: The secrets replaced.
    ///   - bytes: The bytes of the messages.
    public init(
        time: String, backend: String, model: String, kind: String, files: [FileRange], promptTokens: Int,
        maxCompletionTokens: Int, costUSD: Double?, redactions: [Redaction], bytes: Int, risks: [String]? = nil
    ) {
        self.risks = risks
        self.time = time
        self.backend = backend
        self.model = model
        self.kind = kind
        self.files = files
        self.promptTokens = promptTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.costUSD = costUSD
        self.redactions = redactions
        self.bytes = bytes
    }
}

/// The egress ledger: `<git common dir>/assist/egress.jsonl`, one JSON line per request that left
/// the machine, appended before the request is sent.
public final class EgressLedger: Sendable {
    /// The ledger file.
    public let path: String
    private let gitCommonDirectory: String
    private let lock = Mutex(())

    /// Creates the ledger of a repository.
    /// - Parameter gitCommonDirectory: The repository's common git directory (`.git`).
    public init(gitCommonDirectory: String) {
        let directory = gitCommonDirectory.hasSuffix("/") ? String(gitCommonDirectory.dropLast()) : gitCommonDirectory
        self.gitCommonDirectory = directory
        path = directory + "/assist/egress.jsonl"
    }

    /// The current time as the ledger writes it.
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Appends an entry as one line, creating the file (and `assist/`) when missing. The write is a
    /// single `write(2)` on a descriptor opened with `O_APPEND`, so concurrent writers never interleave.
    /// - Parameter entry: The entry.
    /// - Throws: An error naming the file when it cannot be written; the caller must not send the request then.
    public func append(_ entry: EgressEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock { _ in
            do {
                try FileTree(root: gitCommonDirectory, kind: .owned).append(Array(line), to: "assist/egress.jsonl")
            } catch {
                throw EgressError("\(error)")
            }
        }
    }

    /// Reads the entries, oldest first.
    /// - Parameter since: Only entries at or after this time, or all when `nil`.
    /// - Returns: The entries, and a message for each line that could not be read (with its number).
    public func read(since: Date? = nil) -> (entries: [EgressEntry], problems: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else { return ([], []) }
        let decoder = JSONDecoder()
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var entries: [EgressEntry] = []
        var problems: [String] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let entry = try? decoder.decode(EgressEntry.self, from: Data(line)) else {
                problems.append("\(path):\(number + 1): not a ledger entry")
                continue
            }
            if let since, let time = parser.date(from: entry.time), time < since { continue }
            entries.append(entry)
        }
        return (entries, problems)
    }
}

/// A failure to write the egress ledger.
public struct EgressError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
