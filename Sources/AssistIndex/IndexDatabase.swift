import AssistCore
import AssistGit
import AssistSwift
import Foundation
import GRDB

/// The index database: SQLite (through GRDB, in WAL mode) at `<git common dir>/assist/index.sqlite`,
/// shared by every process of the repository (the daemon, the CLI, the hook). Readers never wait for
/// a refresh, one process writes at a time, and a refresh is one transaction, so a crash loses
/// nothing already committed.
///
/// Tables (schema version ``schemaVersion``):
/// - `files`: one row per analysed Swift path: its blob, the length of its term bag, its stem (the
///   file name without `.swift`); the path → blob table a refresh updates incrementally.
/// - `blobs`, `declarations`, `refs`: per blob (content), the analysis as the queries use it — each
///   declaration's name, kind, containers, lines, name range, signature, access, public API,
///   documented; each referenced name with its uses.
/// - `terms` (FTS5): one row per file (rowid = `files.id`): `name` holds the file name's terms three
///   times, `body` every word and identifier subword of the text in text order (stemmed, with
///   adjacent pairs, as ``ContextPacker/forEachTerm(in:_:)`` reads them). `terms_row` and
///   `terms_instance` (fts5vocab) give the document frequency, the counts BM25 needs and each
///   occurrence's position, which `blobs.terms_before` (the number of terms before each line) turns
///   into a line, so packing scores declarations without reading the text's terms again.
/// - `meta`: the format stamp, the totals of `files`, and `generation`, a new random value at every
///   commit that changes files, which tells a long-lived process whether what it kept is current.
///
/// A database of another schema version, another analyser format or another term format is
/// rebuilt, never migrated in place; one that SQLite reports corrupt, or that ``verify()`` finds
/// damaged, is deleted and rebuilt.
final class IndexDatabase: Sendable {
    /// The schema; bump on any change to the tables, which rebuilds every database.
    static let schemaVersion = 4
    /// The term format: bump when ``ContextPacker/bag(of:)`` changes.
    static let termFormat = 4

    /// The database file, or `nil` for an in-memory database.
    let path: String?
    let writer: any DatabaseWriter
    /// Why the database is in memory, or was rebuilt on open; `nil` when it was opened as it was.
    let openNote: String?

    private init(path: String?, writer: any DatabaseWriter, openNote: String?) {
        self.path = path
        self.writer = writer
        self.openNote = openNote
    }

    /// What the stored rows were made with; a database with other values is rebuilt.
    static var formatStamp: String {
        "schema \(schemaVersion), swift analysis \(SwiftAnalyzer.formatVersion), terms \(termFormat)"
    }

    /// Opens (or creates) the database of a repository, rebuilding it when it cannot be trusted;
    /// in memory when `path` is `nil` or the file cannot be used at all.
    ///
    /// - Parameter path: `<git common dir>/assist/index.sqlite`, or `nil`.
    /// - Returns: The database.
    static func open(at path: String?) -> IndexDatabase {
        guard let path else { return memory(note: nil) }
        if let refusal = refusal(for: path) { return memory(note: refusal) }
        do {
            let pool = try pool(at: path)
            if let stale = try staleness(of: pool) {
                try? pool.close()
                return fresh(at: path, note: "rebuilt: \(stale)")
            }
            return IndexDatabase(path: path, writer: pool, openNote: nil)
        } catch {
            // Not a database, or damaged beyond opening: start again from nothing.
            return fresh(at: path, note: "rebuilt: \(describe(error))")
        }
    }

    /// A database found damaged, replaced by an empty one at the same place (or in memory).
    static func rebuilt(_ damaged: IndexDatabase) -> IndexDatabase {
        guard let path = damaged.path else { return memory(note: damaged.openNote) }
        if let pool = damaged.writer as? DatabasePool { try? pool.close() }
        return fresh(at: path, note: nil)
    }

    /// The files at `path` removed and an empty database made there; in memory when that fails.
    private static func fresh(at path: String, note: String?) -> IndexDatabase {
        do {
            try removeFiles(of: path)
            let pool = try pool(at: path)
            try create(pool)
            return IndexDatabase(path: path, writer: pool, openNote: note)
        } catch {
            return memory(note: "\(path) cannot be used (\(describe(error))); the index is kept in memory")
        }
    }

    /// A fresh database in memory.
    private static func memory(note: String?) -> IndexDatabase {
        let queue = try! DatabaseQueue()
        try! create(queue)
        return IndexDatabase(path: nil, writer: queue, openNote: note)
    }

    /// Why a database path must not be opened: a link anywhere SQLite would write
    /// (`index.sqlite`, `-wal`, `-shm`, `-journal`) or a folder that is a link.
    static func refusal(for path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        var info = stat()
        if lstat(folder, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
            return "\(folder) is not a folder (a link?); the index is kept in memory"
        }
        if lstat(folder, &info) != 0 {
            if mkdir(folder, 0o755) != 0, errno != EEXIST {
                return "cannot create \(folder) (errno \(errno)); the index is kept in memory"
            }
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if lstat(path + suffix, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
                return "\(path + suffix) is not a regular file (a link?); the index is kept in memory"
            }
        }
        return nil
    }

    private static func pool(at path: String) throws -> DatabasePool {
        var configuration = Configuration()
        // Another process may be refreshing: wait for its transaction rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return try DatabasePool(path: path, configuration: configuration)
    }

    private static func removeFiles(of path: String) throws {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if unlink(path + suffix) != 0, errno != ENOENT {
                throw DatabaseError(message: "cannot remove \(path + suffix) (errno \(errno))")
            }
        }
    }

    /// Why an existing database is not trusted, or `nil`.
    private static func staleness(of pool: DatabasePool) throws -> String? {
        try pool.read { db in
            guard try db.tableExists("meta") else {
                return try db.tableExists("files") ? "no format record" : "new database"
            }
            let stamp = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'format'")
            guard stamp == formatStamp else { return "made with \(stamp ?? "an unknown format"), not \(formatStamp)" }
            return nil
        }
    }

    /// Creates the tables (dropping any others first) and records the format.
    private static func create(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in
            if writer is DatabasePool {
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            try db.inTransaction(.immediate) {
                for table in ["terms_row", "terms_instance", "terms", "refs", "declarations", "blobs", "files", "meta"] {
                    try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
                }
                try db.execute(sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE files (
                        id INTEGER PRIMARY KEY,
                        path TEXT NOT NULL UNIQUE,
                        stem TEXT NOT NULL,
                        blob TEXT NOT NULL,
                        length INTEGER NOT NULL
                    );
                    CREATE INDEX files_blob ON files(blob);
                    CREATE INDEX files_stem ON files(stem);
                    CREATE TABLE blobs (
                        blob TEXT PRIMARY KEY,
                        lines INTEGER NOT NULL,
                        syntax_errors INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        terms_before BLOB NOT NULL,
                        declaration_count INTEGER NOT NULL,
                        public_api_count INTEGER NOT NULL,
                        documented_count INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE declarations (
                        blob TEXT NOT NULL,
                        ordinal INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        full_name TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        containers TEXT NOT NULL,
                        first_line INTEGER NOT NULL,
                        start_line INTEGER NOT NULL,
                        end_line INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        name_range BLOB NOT NULL,
                        signature TEXT NOT NULL,
                        access TEXT,
                        public_api INTEGER NOT NULL,
                        documented INTEGER NOT NULL,
                        declares_type INTEGER NOT NULL,
                        PRIMARY KEY (blob, ordinal)
                    ) WITHOUT ROWID;
                    CREATE INDEX declarations_name ON declarations(name);
                    CREATE TABLE refs (
                        blob TEXT NOT NULL,
                        name TEXT NOT NULL,
                        uses INTEGER NOT NULL,
                        positions BLOB NOT NULL,
                        PRIMARY KEY (blob, name)
                    ) WITHOUT ROWID;
                    CREATE INDEX refs_name ON refs(name);
                    CREATE VIRTUAL TABLE terms USING fts5(name, body, tokenize = "unicode61 remove_diacritics 0 tokenchars '+'");
                    CREATE VIRTUAL TABLE terms_row USING fts5vocab(terms, row);
                    CREATE VIRTUAL TABLE terms_instance USING fts5vocab(terms, instance);
                    """)
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('format', ?)", arguments: [formatStamp])
                return .commit
            }
        }
    }

    /// Checks the whole file (`PRAGMA quick_check`) and that the sums `meta` keeps equal the rows'.
    ///
    /// - Returns: `nil` when it is sound, else what was found.
    func verify() -> String? {
        do {
            return try writer.read { db in
                let rows = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard rows == ["ok"] else { return rows.prefix(3).joined(separator: "; ") }
                let kept = try Self.aggregates(db), counted = try Self.recomputedAggregates(db)
                return kept == counted ? nil : "the kept totals (\(kept)) do not match the rows (\(counted))"
            }
        } catch {
            return Self.describe(error)
        }
    }

    /// The bytes the database takes on disk (main file and write-ahead log); 0 in memory.
    var bytesOnDisk: Int {
        guard let path else { return 0 }
        var total = 0
        for suffix in ["", "-wal"] {
            var info = stat()
            if lstat(path + suffix, &info) == 0 { total += Int(info.st_size) }
        }
        return total
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error)" }
        return "\(error)"
    }
}

// MARK: - Rows

/// What the database stores for one blob: built on a worker thread as the blob is analysed.
struct BlobRows: Sendable {
    var lines: Int
    var syntaxErrors: Int
    var declarations: [SwiftDeclaration]
    var references: [String: [SwiftSourcePosition]]
    /// The text's terms in order (``ContextPacker/forEachTerm(in:_:)``), as FTS5 `body` text.
    var body: String
    /// The bag's length in terms.
    var length: Int

    /// `termsBefore[i]`: the number of the text's terms on lines 1…i.
    var termsBefore: [Int]

    init(analysis: SwiftFileAnalysis, text: String) {
        lines = analysis.lineCount
        syntaxErrors = analysis.syntaxErrors.count
        declarations = analysis.declarations
        references = analysis.references
        var body = ""
        var perLine: [Int] = [0, 0]
        let lineCount = ContextPacker.forEachTerm(in: text) { line, term in
            if !body.isEmpty { body += " " }
            body += term
            while perLine.count <= line { perLine.append(0) }
            perLine[line] += 1
        }
        var before = [Int](repeating: 0, count: lineCount + 1)
        for line in stride(from: 1, through: lineCount, by: 1) { before[line] = before[line - 1] + (line < perLine.count ? perLine[line] : 0) }
        termsBefore = before
        length = before.last ?? 0
        self.body = body
    }
}

/// A file name's terms, unigrams and bigrams, as ranking and the `name` column count them.
func nameTerms(of path: String) -> [String] {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    let terms = QueryTerms.subwords(of: file.split(separator: ".").first ?? Substring(file))
    return terms + (terms.count < 2 ? [] : (1..<terms.count).map { terms[$0 - 1] + "+" + terms[$0] })
}

/// A file's stem: its name without `.swift`.
func stem(of path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    return file.hasSuffix(".swift") ? String(file.dropLast(6)) : file
}

/// Packs positions as 32-bit integers: line, UTF-8 column, UTF-16 column, UTF-8 offset each.
private func packPositions(_ positions: [SwiftSourcePosition]) -> Data {
    var values: [Int32] = []
    values.reserveCapacity(positions.count * 4)
    for position in positions {
        values.append(Int32(truncatingIfNeeded: position.line))
        values.append(Int32(truncatingIfNeeded: position.utf8Column))
        values.append(Int32(truncatingIfNeeded: position.utf16Column))
        values.append(Int32(truncatingIfNeeded: position.utf8Offset))
    }
    return values.withUnsafeBytes { Data($0) }
}

private func unpackPositions(_ data: Data) -> [SwiftSourcePosition] {
    var values: [Int32] = []
    values.reserveCapacity(data.count / 4)
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        var offset = 0
        while offset + 4 <= raw.count {
            values.append(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            offset += 4
        }
    }
    var positions: [SwiftSourcePosition] = []
    var index = 0
    while index + 4 <= values.count {
        positions.append(SwiftSourcePosition(
            line: Int(values[index]), utf8Column: Int(values[index + 1]),
            utf16Column: Int(values[index + 2]), utf8Offset: Int(values[index + 3])))
        index += 4
    }
    return positions
}

extension SwiftSourceRange {
    /// Start then end, as ``packPositions(_:)`` packs them.
    var packed: Data { packPositions([start, end]) }

    init?(packed data: Data) {
        let positions = unpackPositions(data)
        guard positions.count == 2 else { return nil }
        self.init(start: positions[0], end: positions[1])
    }
}

extension [Int] {
    /// 32-bit integers.
    var packedIntegers: Data {
        map { Int32(truncatingIfNeeded: $0) }.withUnsafeBytes { Data($0) }
    }

    init(packedIntegers data: Data) {
        var values: [Int] = []
        values.reserveCapacity(data.count / 4)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset + 4 <= raw.count {
                values.append(Int(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
            }
        }
        self = values
    }
}

extension [SwiftSourcePosition] {
    /// Four 32-bit integers per position.
    var packed: Data { packPositions(self) }

    init(packed data: Data) { self = unpackPositions(data) }
}
