/// One edit as the model wrote it: find `search` in the file, put `replace` in its place.
///
/// The parser writes both texts as whole lines, each ending in `\n`; the matcher also takes texts
/// without the last line break, and treats a search of blank lines only as an empty search.
public struct EditBlock: Sendable, Equatable {
    /// The file named before the block, as written there (decoration removed); `nil` when none was named.
    public var path: String?
    /// The text to find; `""` means create the file (or fill an empty one).
    public var search: String
    /// The text to put in place of `search`.
    public var replace: String

    /// Makes an edit.
    /// - Parameters:
    ///   - path: The file named before the block, or `nil` when none was named.
    ///   - search: The text to find; `""` means create the file (or fill an empty one).
    ///   - replace: The text to put in its place.
    public init(path: String?, search: String, replace: String) {
        self.path = path
        self.search = search
        self.replace = replace
    }
}

/// A parsed answer: the blocks in order and the prose outside them (trimmed, `""` if none).
public struct EditAnswer: Sendable, Equatable {
    /// The search/replace blocks in the order the answer gives them.
    public var blocks: [EditBlock]
    /// The text outside the blocks, without the file names and code fences that belong to them;
    /// pieces between blocks are separated by a blank line. `""` when there is none.
    public var prose: String

    /// Makes a parsed answer.
    /// - Parameters:
    ///   - blocks: The blocks in order.
    ///   - prose: The text outside the blocks, trimmed.
    public init(blocks: [EditBlock], prose: String) {
        self.blocks = blocks
        self.prose = prose
    }
}

/// Why an answer cannot be used.
///
/// `message` is one or two sentences written so that it can be sent back to the model verbatim in a
/// retry, for example "SEARCH block 2 for Foo.swift matches nothing; the closest lines are 12-14: …".
public struct EditError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable {
        /// The answer holds no search/replace block (or no code).
        case noBlocks
        /// A block's markers are out of order or missing.
        case malformed
        /// The answer ends inside a block or an unclosed code fence.
        case truncated
        /// A block's search text, file or lines are not there.
        case notFound
        /// A block's search text matches more than one place.
        case ambiguous
        /// A path is empty, absolute, leaves the repository, points into `.git`, or is missing.
        case badPath
        /// A block's search text matches only text that an earlier block of the same answer changed.
        case overlapping
        /// The edits leave every file as it was.
        case noChange
    }

    /// The kind of problem.
    public var kind: Kind
    /// What went wrong, in words that can be sent back to the model.
    public var message: String
    /// The message.
    public var description: String { message }

    /// Makes an error.
    /// - Parameters:
    ///   - kind: The kind of problem.
    ///   - message: What went wrong, in words that can be sent back to the model.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}
