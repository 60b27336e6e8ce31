/// `assist/index/status`: the repository index's figures (refreshing it first if it was never built).
public struct IndexStatusRequest: RequestType, Hashable {
    public static let method = "assist/index/status"
    public typealias Response = IndexStatusResult
    public init() {}
}

/// `assist/index/refresh`: brings the index up to date with the repository and answers its figures;
/// reports `$/progress` when given a `workDoneToken`.
public struct IndexRefreshRequest: RequestType, Hashable {
    public static let method = "assist/index/refresh"
    public typealias Response = IndexStatusResult
    public var workDoneToken: ProgressToken?
    public init(workDoneToken: ProgressToken? = nil) { self.workDoneToken = workDoneToken }
}

/// The answer to `assist/index/status` and `assist/index/refresh`.
public struct IndexStatusResult: Codable, Sendable, Hashable {
    /// The repository's working directory (or git directory when bare).
    public var repository: String
    /// Files listed: tracked, staged and untracked-not-ignored.
    public var files: Int
    public var filesByLanguage: [String: Int]
    /// Files whose content was analysed (by the Swift analyser).
    public var filesAnalyzed: Int
    /// Files listed but not analysed, by reason (`binary`, `tooLarge`, `symlink`, …).
    public var filesSkipped: [String: Int]
    /// Declarations in the analysed Swift files (unsaved buffers included).
    public var declarations: Int
    public var publicAPI: PublicAPICounts
    public var filesWithSyntaxErrors: Int
    /// Unsaved editor buffers overlaid on the repository's files.
    public var openBuffers: Int
    public var cache: IndexCacheFigures
    /// The index database.
    public var database: IndexDatabaseFigures
    /// Seconds spent in each phase of the last refresh.
    public var timings: [String: Double]

    public init(
        repository: String, files: Int, filesByLanguage: [String: Int], filesAnalyzed: Int,
        filesSkipped: [String: Int], declarations: Int, publicAPI: PublicAPICounts, filesWithSyntaxErrors: Int,
        openBuffers: Int, cache: IndexCacheFigures, database: IndexDatabaseFigures, timings: [String: Double]
    ) {
        self.repository = repository
        self.files = files
        self.filesByLanguage = filesByLanguage
        self.filesAnalyzed = filesAnalyzed
        self.filesSkipped = filesSkipped
        self.declarations = declarations
        self.publicAPI = publicAPI
        self.filesWithSyntaxErrors = filesWithSyntaxErrors
        self.openBuffers = openBuffers
        self.cache = cache
        self.database = database
        self.timings = timings
    }
}

/// The index database (`<git common dir>/assist/index.sqlite`), as the last refresh left it.
public struct IndexDatabaseFigures: Codable, Sendable, Hashable {
    /// The file, absent when the database is in memory.
    public var path: String?
    /// Bytes on disk: the file and its write-ahead log.
    public var bytes: Int
    /// Why it was rebuilt or is kept in memory, when it was.
    public var note: String?
    /// Files whose rows the last refresh wrote (added, or another content).
    public var filesWritten: Int
    /// Files whose rows it removed.
    public var filesRemoved: Int
    /// Blobs (contents) whose rows it added, and removed.
    public var blobsAdded: Int
    public var blobsRemoved: Int

    public init(path: String?, bytes: Int, note: String?, filesWritten: Int, filesRemoved: Int, blobsAdded: Int, blobsRemoved: Int) {
        self.path = path
        self.bytes = bytes
        self.note = note
        self.filesWritten = filesWritten
        self.filesRemoved = filesRemoved
        self.blobsAdded = blobsAdded
        self.blobsRemoved = blobsRemoved
    }
}

/// Public and open declarations, documented or not.
public struct PublicAPICounts: Codable, Sendable, Hashable {
    public var total: Int
    public var documented: Int
    public var undocumented: Int
    public init(total: Int, documented: Int, undocumented: Int) {
        self.total = total
        self.documented = documented
        self.undocumented = undocumented
    }
}

/// The cache under `.git/assist/`, as the last refresh found and left it.
public struct IndexCacheFigures: Codable, Sendable, Hashable {
    /// How the cache file was read: `loaded N cached blobs`, `no cache file (cold start)`, `cache rebuilt: …`.
    public var load: String
    /// Blobs whose result came from the cache.
    public var hits: Int
    /// Blobs that had to be read.
    public var misses: Int
    /// Analyses run.
    public var analyses: Int
    public var fileBytes: Int
    public var writeError: String?
    public init(load: String, hits: Int, misses: Int, analyses: Int, fileBytes: Int, writeError: String?) {
        self.load = load
        self.hits = hits
        self.misses = misses
        self.analyses = analyses
        self.fileBytes = fileBytes
        self.writeError = writeError
    }
}

/// `workspace/symbol` (LSP): declarations whose name matches a query, best first (at most 100).
public struct WorkspaceSymbolRequest: RequestType, Hashable {
    public static let method = "workspace/symbol"
    public typealias Response = [SymbolInformation]
    public var query: String
    public var workDoneToken: ProgressToken?
    public init(query: String, workDoneToken: ProgressToken? = nil) {
        self.query = query
        self.workDoneToken = workDoneToken
    }
}

/// LSP `SymbolInformation`.
public struct SymbolInformation: Codable, Sendable, Hashable {
    public var name: String
    /// LSP `SymbolKind`: 5 class, 6 method, 7 property, 9 constructor, 10 enum, 11 interface
    /// (protocol), 12 function, 13 variable, 14 constant, 22 enum member, 23 struct, 25 operator,
    /// 26 type parameter, 3 namespace (extension).
    public var kind: Int
    public var location: Location
    public var containerName: String?
    public init(name: String, kind: Int, location: Location, containerName: String?) {
        self.name = name
        self.kind = kind
        self.location = location
        self.containerName = containerName
    }
}

/// LSP `Location`: a document and a range in it.
public struct Location: Codable, Sendable, Hashable {
    public var uri: String
    public var range: Range
    public init(uri: String, range: Range) {
        self.uri = uri
        self.range = range
    }
}
