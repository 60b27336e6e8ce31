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

extension IndexDatabase {
    /// One analysed Swift file of the file set.
    struct ListedFile: Sendable {
        var path: String
        var blob: ObjectID
    }

    /// Brings the database to a file set in one transaction: rows for blobs it lacks, the
    /// `files` and `terms` rows of paths added, changed or gone, and no rows of blobs no file uses.
    /// A path whose blob is unchanged is not touched.
    ///
    /// - Parameters:
    ///   - files: The analysed Swift files.
    ///   - collected: Rows built while blobs were analysed in this refresh.
    ///   - fallback: Rows for a blob the database lacks and this refresh did not analyse (the
    ///     database was rebuilt, or is new): its analysis and text from the index.
    /// - Returns: What changed.
    func sync(
        files: [ListedFile], collected: [ObjectID: BlobRows], fallback: (ListedFile) -> BlobRows?
    ) throws -> IndexDatabaseSync {
        let start = ContinuousClock.now
        var figures = IndexDatabaseSync()
        // Compare first without the write lock: a refresh that changes nothing takes none.
        let existing = try writer.read { db in try Self.fileRows(db) }
        let listedPaths = Set(files.map(\.path))
        let changed = files.filter { existing[$0.path]?.blob != $0.blob.description }
        let removed = existing.keys.filter { !listedPaths.contains($0) }
        guard !changed.isEmpty || !removed.isEmpty else {
            figures.seconds = Self.seconds(since: start)
            return figures
        }
        // Rows of blobs this refresh did not analyse are made outside the transaction.
        var extra: [ObjectID: BlobRows] = [:]
        let known = try writer.read { db in
            try Set(String.fetchAll(db, sql: "SELECT blob FROM blobs"))
        }
        for file in changed where collected[file.blob] == nil && extra[file.blob] == nil && !known.contains(file.blob.description) {
            if let rows = fallback(file) { extra[file.blob] = rows }
        }
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                // Another process may have written meanwhile: decide again under the lock.
                let current = try Self.fileRows(db)
                for file in files where current[file.path]?.blob != file.blob.description {
                    let blob = file.blob.description
                    var rows = collected[file.blob] ?? extra[file.blob]
                    let stored = try Int.fetchOne(db, sql: "SELECT length FROM blobs WHERE blob = ?", arguments: [blob])
                    if stored == nil {
                        guard let made = rows else { continue }
                        try Self.insert(made, blob: blob, db)
                        figures.blobsAdded += 1
                    }
                    // The body: from this refresh's rows, else from another file with this content.
                    if rows == nil {
                        let body = try String.fetchOne(db, sql: """
                            SELECT terms.body FROM terms JOIN files ON files.id = terms.rowid WHERE files.blob = ? LIMIT 1
                            """, arguments: [blob])
                        guard let body, let stored else { continue }
                        rows = BlobRows(body: body, length: stored)
                    }
                    guard let rows else { continue }
                    let name = Set(nameTerms(of: file.path)).sorted()
                    let nameText = Array(repeating: name.joined(separator: " "), count: 3).filter { !$0.isEmpty }.joined(separator: " ")
                    let length = rows.length + 3 * name.count
                    if let id = current[file.path]?.id {
                        try db.execute(sql: "UPDATE files SET blob = ?, length = ? WHERE id = ?", arguments: [blob, length, id])
                        try db.execute(sql: "DELETE FROM terms WHERE rowid = ?", arguments: [id])
                        try db.execute(sql: "INSERT INTO terms (rowid, name, body) VALUES (?, ?, ?)", arguments: [id, nameText, rows.body])
                    } else {
                        try db.execute(
                            sql: "INSERT INTO files (path, stem, blob, length) VALUES (?, ?, ?, ?)",
                            arguments: [file.path, stem(of: file.path), blob, length])
                        try db.execute(
                            sql: "INSERT INTO terms (rowid, name, body) VALUES (?, ?, ?)",
                            arguments: [db.lastInsertedRowID, nameText, rows.body])
                    }
                    figures.filesWritten += 1
                }
                for path in current.keys where !listedPaths.contains(path) {
                    guard let id = current[path]?.id else { continue }
                    try db.execute(sql: "DELETE FROM terms WHERE rowid = ?", arguments: [id])
                    try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
                    figures.filesRemoved += 1
                }
                if figures.filesWritten + figures.filesRemoved > 0 {
                    try db.execute(sql: "DELETE FROM declarations WHERE blob NOT IN (SELECT blob FROM files)")
                    try db.execute(sql: "DELETE FROM refs WHERE blob NOT IN (SELECT blob FROM files)")
                    try db.execute(sql: "DELETE FROM blobs WHERE blob NOT IN (SELECT blob FROM files)")
                    figures.blobsRemoved = db.changesCount
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO meta (key, value)
                        SELECT 'totals', count(*) || ' ' || total(length) FROM files
                        """)
                    // A new value at every commit that changes files: what a process kept from an
                    // earlier read is valid only at the generation it was read at.
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', lower(hex(randomblob(8))))")
                }
                return .commit
            }
        }
        figures.seconds = Self.seconds(since: start)
        return figures
    }

    private static func fileRows(_ db: Database) throws -> [String: (id: Int64, blob: String)] {
        var rows: [String: (id: Int64, blob: String)] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, path, blob FROM files")
        while let row = try cursor.next() {
            rows[row[1]] = (row[0], row[2])
        }
        return rows
    }

    private static func insert(_ rows: BlobRows, blob: String, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO blobs (blob, lines, syntax_errors, length, terms_before) VALUES (?, ?, ?, ?, ?)",
            arguments: [blob, rows.lines, rows.syntaxErrors, rows.length, rows.termsBefore.packedIntegers])
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
