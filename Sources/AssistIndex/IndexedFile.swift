import AssistGit

/// How a file stands relative to `HEAD`, the staging area and the working tree.
public enum FileState: String, Hashable, Sendable, Codable {
    /// The same at `HEAD`, in the index and in the working tree.
    case unmodified
    /// Content differs from `HEAD` (staged, in the working tree, or both).
    case modified
    /// New in the index (staged), not at `HEAD`.
    case added
    /// In the working tree only, not ignored.
    case untracked
    /// Gone from the working tree or the index; listed without content.
    case deleted
    /// Moved; ``IndexedFile/originalPath`` holds the old path.
    case renamed
    /// Has unresolved merge conflicts; the working-tree content is indexed.
    case conflicted
}

/// Why a listed file was not analysed.
public enum SkipReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// A NUL byte in the first 8 KiB.
    case binary
    /// Larger than ``IndexOptions/maxFileSize``.
    case tooLarge
    /// A symbolic link: its content is a path, never followed.
    case symlink
    /// A submodule (gitlink): listed, not entered.
    case submodule
    /// Deleted: there is no content.
    case deleted
    /// The analyser does not take files of this language.
    case unsupportedLanguage
    /// The content could not be read (a missing object, a path refused by ``WorkingTree``).
    case unreadable
}

/// One file of the index's file set.
public struct IndexedFile: Hashable, Sendable {
    /// The path from the repository root, with `/` separators.
    public var path: String
    /// How it stands against `HEAD` and the index.
    public var state: FileState
    /// The path before a rename, `nil` otherwise.
    public var originalPath: String?
    /// The file mode (regular, executable, symlink, gitlink).
    public var mode: FileMode
    /// The id of the content the index uses: the working tree's content when it differs from the
    /// staging area (hashed as git would), otherwise the staged or committed blob; `nil` when deleted.
    public var blob: ObjectID?
    /// The content's size in bytes, when known.
    public var size: Int?
    /// The language, by extension, else by `#!` line.
    public var language: Language
    /// Why it was not analysed, or `nil` when it has a result.
    public var skipReason: SkipReason?

    /// Makes a file entry.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - state: Its state.
    ///   - originalPath: The path before a rename.
    ///   - mode: The file mode.
    ///   - blob: The content's id.
    ///   - size: The content's size.
    ///   - language: The language.
    ///   - skipReason: Why it was not analysed.
    public init(
        path: String, state: FileState, originalPath: String? = nil, mode: FileMode, blob: ObjectID?,
        size: Int?, language: Language, skipReason: SkipReason?
    ) {
        self.path = path
        self.state = state
        self.originalPath = originalPath
        self.mode = mode
        self.blob = blob
        self.size = size
        self.language = language
        self.skipReason = skipReason
    }
}

/// The figures of the last build or refresh.
public struct IndexFigures: Sendable, Equatable {
    /// Phases whose time is measured.
    public enum Phase: String, Sendable, CaseIterable, Hashable {
        /// Reading the cache file.
        case loadCache
        /// Reading `HEAD`'s tree or the staging area.
        case listFiles
        /// `git status`.
        case status
        /// Reading and hashing changed working-tree files.
        case hashWorkingTree
        /// Reading blobs and running the analyser.
        case analyze
        /// Writing the cache file.
        case saveCache
        /// Bringing the index database to the file set.
        case database
    }

    /// The number of files listed, deleted ones included.
    public var files = 0
    /// Listed files by language.
    public var filesByLanguage: [Language: Int] = [:]
    /// Files with an analysis result.
    public var filesAnalyzed = 0
    /// Files without one, by reason.
    public var filesSkipped: [SkipReason: Int] = [:]
    /// Distinct blobs whose record was already known (in memory or in the cache file).
    public var cacheHits = 0
    /// Distinct blobs that had to be read (and analysed when eligible).
    public var cacheMisses = 0
    /// Calls to the analyser in this run.
    public var analyses = 0
    /// Working-tree files read and hashed in this run.
    public var filesHashed = 0
    /// What happened to the cache file.
    public var cacheLoad: CacheLoadOutcome = .missing
    /// Why the cache file could not be written, `nil` when it was written or did not need to be.
    public var cacheWriteError: String?
    /// The cache file's size in bytes after this run, `0` when there is none.
    public var cacheFileBytes = 0
    /// Seconds spent in each phase.
    public var timings: [Phase: Double] = [:]

    /// Makes empty figures.
    public init() {}

    /// The sum of the phase timings, in seconds.
    public var totalSeconds: Double { timings.values.reduce(0, +) }
}

/// Settings of a ``RepositoryIndex``.
public struct IndexOptions: Sendable {
    /// Files larger than this many bytes are listed but not analysed (default 1 MiB).
    public var maxFileSize: Int
    /// How many threads read and analyse blobs (default: the active processor count).
    public var workers: Int
    /// Whether results persist under `<git common dir>/assist/` (default `true`).
    public var persist: Bool

    /// Makes settings.
    ///
    /// - Parameters:
    ///   - maxFileSize: The size limit in bytes.
    ///   - workers: The number of threads, at least 1.
    ///   - persist: Whether to read and write the cache file.
    public init(maxFileSize: Int = 1 << 20, workers: Int? = nil, persist: Bool = true) {
        self.maxFileSize = maxFileSize
        self.workers = max(1, workers ?? activeProcessorCount())
        self.persist = persist
    }
}
