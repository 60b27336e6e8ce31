import AssistGit
import AssistSwift
import Foundation
import GRDB

/// What one synchronisation of the database with the file set did.
public struct IndexDatabaseSync: Sendable, Hashable {
    /// Paths added or whose blob changed.
    public var filesWritten = 0
    /// Paths gone from the file set.
    public var filesRemoved = 0
    /// Blobs whose rows were written.
    public var blobsAdded = 0
    /// Blobs no file uses any more, removed.
    public var blobsRemoved = 0
    /// Seconds spent, the transaction included.
    public var seconds = 0.0
}

/// The sums over the stored files that requests read without a scan, kept in `meta` and brought
/// up to date by each synchronisation from the rows it adds and removes.
struct IndexAggregates: Sendable, Hashable {
    var files = 0
    /// The sum of the files' bag lengths.
    var length = 0
    var declarations = 0
    var publicAPI = 0
    var documented = 0
    var filesWithErrors = 0

    /// One file's share: its bag length and its blob's counts.
    struct Share {
        var length: Int
        var declarations: Int
        var publicAPI: Int
        var documented: Int
        var hasErrors: Bool
    }

    mutating func add(_ share: Share, sign: Int = 1) {
        files += sign
        length += sign * share.length
        declarations += sign * share.declarations
        publicAPI += sign * share.publicAPI
        documented += sign * share.documented
        filesWithErrors += share.hasErrors ? sign : 0
    }
}

extension IndexDatabase {
    /// One analysed Swift file of the file set.
    struct ListedFile: Sendable {
        var path: String
        var blob: ObjectID
    }

    /// Brings the database to a file set in one transaction: rows for blobs it lacks, the
    /// `files` and `terms` rows of paths added, changed or gone, and no rows of blobs no file uses.
    /// A path whose blob is unchanged is not touched, and a file set equal to the one the database
    /// last recorded (its digest in `meta`) is not compared path by path.
    ///
    /// - Parameters:
    ///   - files: The analysed Swift files, sorted by path (with `paths`: those of them at `paths`).
    ///   - collected: Rows built while blobs were analysed in this refresh.
    ///   - fallback: Rows for a blob the database lacks and this refresh did not analyse (the
    ///     database was rebuilt, or is new): its analysis and text from the index.
    ///   - paths: When given, only these paths are compared and written (a path not in `files`
    ///     is removed), and the file-set digest is dropped: the next whole synchronisation
    ///     compares path by path, and records it again.
    /// - Returns: What changed.
    func sync(
        files: [ListedFile], collected: [ObjectID: BlobRows], fallback: (ListedFile) -> BlobRows?,
        onlyAt paths: Set<String>? = nil
    ) throws -> IndexDatabaseSync {
        let start = ContinuousClock.now
        var figures = IndexDatabaseSync()
        let digest = paths == nil ? Self.digest(of: files) : nil
        let considered = paths.map { only in files.filter { only.contains($0.path) } } ?? files
        let listedPaths = Set(considered.map(\.path))
        // Compare first without the write lock: a refresh that changes nothing takes none.
        let (recorded, existing) = try writer.read { db in
            let recorded = try Self.meta("fileset", db)
            return (recorded, digest != nil && recorded == digest ? [:] : try Self.fileRows(db, only: paths))
        }
        if digest != nil && recorded == digest {
            figures.seconds = Self.seconds(since: start)
            return figures
        }
        let changed = considered.filter { existing[$0.path]?.blob != $0.blob.description }
        let removed = existing.keys.filter { !listedPaths.contains($0) }
        // Nothing to write, unless a whole comparison found the file set equal and can record so.
        if changed.isEmpty && removed.isEmpty && paths != nil {
            figures.seconds = Self.seconds(since: start)
            return figures
        }
        // Rows of blobs this refresh did not analyse are made outside the transaction.
        var extra: [ObjectID: BlobRows] = [:]
        if !changed.isEmpty {
            let missing = try writer.read { db in
                let statement = try db.cachedStatement(sql: "SELECT 1 FROM blobs WHERE blob = ?")
                var missing: [ListedFile] = []
                for file in changed where collected[file.blob] == nil {
                    if try Int.fetchOne(statement, arguments: [file.blob.description]) == nil { missing.append(file) }
                }
                return missing
            }
            for file in missing where extra[file.blob] == nil {
                if let rows = fallback(file) { extra[file.blob] = rows }
            }
        }
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                // Another process may have written meanwhile: decide again under the lock.
                let current = try Self.fileRows(db, only: paths)
                var aggregates = try Self.aggregates(db)
                var orphans = Set<String>()
                var complete = true
                for file in considered where current[file.path]?.blob != file.blob.description {
                    let blob = file.blob.description
                    var rows = collected[file.blob] ?? extra[file.blob]
                    let stored = try Int.fetchOne(db.cachedStatement(sql: "SELECT length FROM blobs WHERE blob = ?"), arguments: [blob])
                    if stored == nil {
                        guard let made = rows else { complete = false; continue }
                        try Self.insert(made, blob: blob, db)
                        figures.blobsAdded += 1
                    }
                    // The body: from this refresh's rows, else from another file with this content.
                    if rows == nil {
                        let body = try String.fetchOne(db, sql: """
                            SELECT terms.body FROM terms JOIN files ON files.id = terms.rowid WHERE files.blob = ? LIMIT 1
                            """, arguments: [blob])
                        guard let body, let stored else { complete = false; continue }
                        rows = BlobRows(body: body, length: stored)
                    }
                    guard let rows else { complete = false; continue }
                    let name = Set(nameTerms(of: file.path)).sorted()
                    let nameText = Array(repeating: name.joined(separator: " "), count: 3).filter { !$0.isEmpty }.joined(separator: " ")
                    let length = rows.length + 3 * name.count
                    if let old = current[file.path] {
                        aggregates.add(try Self.share(length: old.length, blob: old.blob, db), sign: -1)
                        orphans.insert(old.blob)
                        try db.execute(sql: "UPDATE files SET blob = ?, length = ? WHERE id = ?", arguments: [blob, length, old.id])
                        try db.execute(sql: "DELETE FROM terms WHERE rowid = ?", arguments: [old.id])
                        try db.execute(sql: "INSERT INTO terms (rowid, name, body) VALUES (?, ?, ?)", arguments: [old.id, nameText, rows.body])
                    } else {
                        try db.execute(
                            sql: "INSERT INTO files (path, stem, blob, length) VALUES (?, ?, ?, ?)",
                            arguments: [file.path, stem(of: file.path), blob, length])
                        try db.execute(
                            sql: "INSERT INTO terms (rowid, name, body) VALUES (?, ?, ?)",
                            arguments: [db.lastInsertedRowID, nameText, rows.body])
                    }
                    aggregates.add(try Self.share(length: length, blob: blob, db))
                    figures.filesWritten += 1
                }
                for (path, old) in current where !listedPaths.contains(path) {
                    aggregates.add(try Self.share(length: old.length, blob: old.blob, db), sign: -1)
                    orphans.insert(old.blob)
                    try db.execute(sql: "DELETE FROM terms WHERE rowid = ?", arguments: [old.id])
                    try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [old.id])
                    figures.filesRemoved += 1
                }
                if figures.filesWritten + figures.filesRemoved > 0 {
                    // Only a blob a written or removed path used can have lost its last file.
                    let used = try db.cachedStatement(sql: "SELECT 1 FROM files WHERE blob = ? LIMIT 1")
                    for blob in orphans.sorted() where try Int.fetchOne(used, arguments: [blob]) == nil {
                        for table in ["declarations", "refs", "blobs"] {
                            try db.execute(sql: "DELETE FROM \(table) WHERE blob = ?", arguments: [blob])
                        }
                        figures.blobsRemoved += 1
                    }
                    try Self.store(aggregates, db)
                    // A new value at every commit that changes files: what a process kept from an
                    // earlier read is valid only at the generation it was read at.
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', lower(hex(randomblob(8))))")
                }
                // The digest says "the stored file set is exactly this one": true only after a
                // whole comparison that wrote everything.
                if let digest, complete {
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('fileset', ?)", arguments: [digest])
                } else if recorded != nil {
                    try db.execute(sql: "DELETE FROM meta WHERE key = 'fileset'")
                }
                return .commit
            }
        }
        figures.seconds = Self.seconds(since: start)
        return figures
    }

    /// A digest of a file set: SHA-1 over each path and its blob's 20 bytes, in order.
    static func digest(of files: [ListedFile]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(files.count * 64)
        for file in files {
            bytes.append(contentsOf: file.path.utf8)
            bytes.append(0)
            bytes.append(contentsOf: file.blob.bytes)
        }
        return (try? ObjectID.hashBlob(bytes).description) ?? ""
    }

    static func meta(_ key: String, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key])
    }

    /// The stored rows of every path, or of some paths.
    private static func fileRows(_ db: Database, only paths: Set<String>?) throws -> [String: (id: Int64, blob: String, length: Int)] {
        var rows: [String: (id: Int64, blob: String, length: Int)] = [:]
        if let paths {
            let statement = try db.cachedStatement(sql: "SELECT id, blob, length FROM files WHERE path = ?")
            for path in paths {
                if let row = try Row.fetchOne(statement, arguments: [path]) { rows[path] = (row[0], row[1], row[2]) }
            }
            return rows
        }
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, path, blob, length FROM files")
        while let row = try cursor.next() {
            rows[row[1]] = (row[0], row[2], row[3])
        }
        return rows
    }

    /// A file's share of the aggregates.
    private static func share(length: Int, blob: String, _ db: Database) throws -> IndexAggregates.Share {
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT declaration_count, public_api_count, documented_count, syntax_errors FROM blobs WHERE blob = ?
            """), arguments: [blob])
        return IndexAggregates.Share(
            length: length, declarations: row?[0] ?? 0, publicAPI: row?[1] ?? 0, documented: row?[2] ?? 0,
            hasErrors: (row?[3] ?? 0) > 0)
    }

    /// The aggregates as `meta` holds them (zero for a new database).
    static func aggregates(_ db: Database) throws -> IndexAggregates {
        var aggregates = IndexAggregates()
        if let totals = try meta("totals", db)?.split(separator: " ").compactMap({ Int($0) }), totals.count == 2 {
            (aggregates.files, aggregates.length) = (totals[0], totals[1])
        }
        if let counts = try meta("counts", db)?.split(separator: " ").compactMap({ Int($0) }), counts.count == 4 {
            (aggregates.declarations, aggregates.publicAPI, aggregates.documented, aggregates.filesWithErrors) =
                (counts[0], counts[1], counts[2], counts[3])
        }
        return aggregates
    }

    private static func store(_ aggregates: IndexAggregates, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('totals', ?), ('counts', ?)",
            arguments: [
                "\(aggregates.files) \(aggregates.length)",
                "\(aggregates.declarations) \(aggregates.publicAPI) \(aggregates.documented) \(aggregates.filesWithErrors)",
            ])
    }

    /// The aggregates computed from the rows themselves (a scan of `files`), which `meta` must equal.
    static func recomputedAggregates(_ db: Database) throws -> IndexAggregates {
        let row = try Row.fetchOne(db, sql: """
            SELECT count(*), total(files.length), total(blobs.declaration_count), total(blobs.public_api_count),
                total(blobs.documented_count), total(blobs.syntax_errors > 0)
            FROM files JOIN blobs ON blobs.blob = files.blob
            """)
        func int(_ index: Int) -> Int { Int(row?[index] as Double? ?? 0) }
        return IndexAggregates(
            files: row?[0] ?? 0, length: int(1), declarations: int(2), publicAPI: int(3), documented: int(4),
            filesWithErrors: int(5))
    }

    private static func insert(_ rows: BlobRows, blob: String, _ db: Database) throws {
        let publicAPI = rows.declarations.filter(\.isPublicAPI)
        try db.execute(
            sql: """
                INSERT INTO blobs (blob, lines, syntax_errors, length, terms_before, declaration_count, public_api_count, documented_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                blob, rows.lines, rows.syntaxErrors, rows.length, rows.termsBefore.packedIntegers, rows.declarations.count,
                publicAPI.count, publicAPI.filter { $0.docComment != nil }.count,
            ])
        let declaration = try db.cachedStatement(sql: """
            INSERT INTO declarations (blob, ordinal, name, full_name, kind, containers, first_line, start_line, end_line,
                bytes, name_range, signature, access, public_api, documented, declares_type)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (ordinal, item) in rows.declarations.enumerated() {
            let values: [(any DatabaseValueConvertible)?] = [
                blob, ordinal, item.name, item.fullName, item.kind.rawValue, item.containers.joined(separator: "\u{1F}"),
                item.docComment?.range.start.line ?? item.range.start.line, item.range.start.line, item.range.end.line,
                item.range.end.utf8Offset - item.range.start.utf8Offset, item.nameRange.packed, item.signature,
                item.accessLevel?.rawValue, item.isPublicAPI, item.docComment != nil,
                [.class, .struct, .enum, .actor, .protocol].contains(item.kind),
            ]
            try declaration.execute(arguments: StatementArguments(values))
        }
        let reference = try db.cachedStatement(sql: "INSERT INTO refs (blob, name, uses, positions) VALUES (?, ?, ?, ?)")
        for (name, positions) in rows.references {
            try reference.execute(arguments: [blob, name, positions.count, positions.packed])
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension BlobRows {
    /// Rows that carry only the term body (the blob's other rows are stored already).
    init(body: String, length: Int) {
        lines = 0
        syntaxErrors = 0
        declarations = []
        references = [:]
        self.body = body
        self.length = length
        termsBefore = []
    }
}
