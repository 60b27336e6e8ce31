/// Something that turns a file's bytes into a result worth keeping, such as its declarations.
///
/// The index calls ``analyze(_:path:)`` once per distinct blob (content), in parallel on several
/// threads, and keeps the result keyed by the blob id together with ``name`` and ``version``.
/// So the analysis must depend on the bytes only (the path is a hint for messages and for the
/// language), and a change to what it produces must bump ``version``, which makes every
/// persisted result stale.
public protocol BlobAnalyzer: Sendable {
    /// What the analysis produces for one blob; persisted with `Codable`.
    associatedtype Result: Codable & Sendable

    /// A stable name for the analyser, such as `"swift-syntax"`; it names the cache file.
    var name: String { get }
    /// The version of what ``analyze(_:path:)`` produces; results of another version are discarded.
    var version: Int { get }

    /// Whether files of a language are analysed at all; others are listed but skipped.
    ///
    /// - Parameters:
    ///   - language: The file's language.
    /// - Returns: `true` to analyse files of that language.
    func accepts(_ language: Language) -> Bool

    /// Analyses one blob. It must not throw or crash on any input: bad input is data.
    ///
    /// - Parameters:
    ///   - bytes: The blob's exact content (no encoding assumed; may hold invalid UTF-8 or CRLF).
    ///   - path: A path where this content lives, for the language and for messages.
    /// - Returns: The result.
    func analyze(_ bytes: [UInt8], path: String) -> Result
}

extension BlobAnalyzer {
    /// Analyses files of every language (the default).
    ///
    /// - Parameters:
    ///   - language: The file's language.
    /// - Returns: `true`.
    public func accepts(_ language: Language) -> Bool { true }
}

/// A cheap analyser for benchmarks and tests: counts lines and `func` tokens.
///
/// It stands in for the swift-syntax analyser, with the same shape of work (read every byte once)
/// and a small result.
public struct LineCountAnalyzer: BlobAnalyzer {
    /// The counts for one blob.
    public struct Result: Codable, Sendable, Equatable {
        /// The number of lines (a last line without a newline counts).
        public var lines: Int
        /// The number of `func` words (bounded by non-identifier characters).
        public var functions: Int

        /// Makes a result.
        ///
        /// - Parameters:
        ///   - lines: The number of lines.
        ///   - functions: The number of `func` words.
        public init(lines: Int, functions: Int) {
            self.lines = lines
            self.functions = functions
        }
    }

    /// `"line-count"`.
    public var name: String { "line-count" }
    /// `1`.
    public var version: Int { 1 }

    /// Makes the analyser.
    public init() {}

    /// Counts lines and `func` words.
    ///
    /// - Parameters:
    ///   - bytes: The content.
    ///   - path: Unused.
    /// - Returns: The counts.
    public func analyze(_ bytes: [UInt8], path: String) -> Result {
        var lines = 0
        var functions = 0
        let newline = UInt8(ascii: "\n")
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var index = 0
            while index < count {
                let byte = buffer[index]
                if byte == newline {
                    lines += 1
                } else if byte == UInt8(ascii: "f"), index + 4 <= count,
                          buffer[index + 1] == UInt8(ascii: "u"), buffer[index + 2] == UInt8(ascii: "n"),
                          buffer[index + 3] == UInt8(ascii: "c"),
                          index == 0 || !Self.isIdentifier(buffer[index - 1]),
                          index + 4 == count || !Self.isIdentifier(buffer[index + 4]) {
                    functions += 1
                }
                index += 1
            }
            if count > 0, buffer[count - 1] != newline { lines += 1 }
        }
        return Result(lines: lines, functions: functions)
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }
}
