import AssistCore
import AssistSwift
import Foundation
import GRDB

/// The queries requests make. Each reads one snapshot (a WAL read transaction), so a refresh
/// committing meanwhile is seen whole or not at all.
extension IndexDatabase {
    /// The number of files and the sum of their bag lengths.
    func totals(_ db: Database) throws -> (files: Int, length: Double) {
        if let value = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'totals'")) {
            let parts = value.split(separator: " ")
            if parts.count == 2, let files = Int(parts[0]), let length = Double(parts[1]) { return (files, length) }
        }
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT count(*), total(length) FROM files"))
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    /// What ranking needs from the database for a question's terms: the statistics, and for every
    /// file holding one of the terms its path, length and counts. Files left out, and files whose
    /// unsaved buffer replaces their stored text, are taken out of the statistics (and the buffers'
    /// bags put in), so the figures are those of the files ranking sees.
    ///
    /// - Parameters:
    ///   - terms: The question's terms (``ContextPacker/queryBag(_:)``'s keys).
    ///   - excluding: Files left out.
    ///   - replacing: Unsaved buffers by path: their bag's length and their counts of the terms.
    /// - Returns: The statistics and the files by path (without those left out or replaced).
    func termEvidence(
        _ terms: [String], excluding: (String) -> Bool, replacing: [String: (length: Double, counts: [String: Int])],
        memory: PackingMemory? = nil
    ) throws -> (
        statistics: ContextPacker.Statistics, files: [String: (length: Double, counts: [String: Int])],
        offsets: [String: [String: [Int]]], blobs: [String: String], nameTerms: [String: Set<String>]
    ) {
        try writer.read { db in
            let generation = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'generation'"))
            memory?.use(generation: generation)
            var (documentCount, totalLength) = try totals(db)
            var frequency: [String: Int] = [:]
            var counts: [Int64: [String: Int]] = [:]
            var bodyOffsets: [Int64: [String: [Int]]] = [:]
            var inName: [Int64: Set<String>] = [:]
            let documents = try db.cachedStatement(sql: "SELECT doc FROM terms_row WHERE term = ?")
            let instances = try db.cachedStatement(sql: "SELECT doc, col = 'body', offset FROM terms_instance WHERE term = ?")
            for term in terms.sorted() {
                var postings = memory?.postings(term, at: generation)
                if postings == nil {
                    guard let df = try Int.fetchOne(documents, arguments: [term]) else { continue }
                    var found = PackingMemory.Postings(documentFrequency: df, counts: [:], bodyOffsets: [:])
                    found.counts.reserveCapacity(df)
                    found.bodyOffsets.reserveCapacity(df)
                    // The vocabulary lists a term's instances by document: each document's run is
                    // gathered, then stored once.
                    var current: Int64?
                    var count = 0
                    var offsets: [Int] = []
                    func flush() {
                        guard let id = current else { return }
                        found.counts[id] = count
                        if !offsets.isEmpty { found.bodyOffsets[id, default: []].append(contentsOf: offsets) }
                    }
                    let cursor = try Row.fetchCursor(instances, arguments: [term])
                    while let row = try cursor.next() {
                        let id: Int64 = row[0]
                        if id != current {
                            flush()
                            // A document seen before (out of order after all) carries on from its count.
                            count = found.counts[id] ?? 0
                            offsets = []
                            current = id
                        }
                        count += 1
                        if row[1] as Bool { offsets.append(row[2]) } else { found.inName.insert(id) }
                    }
                    flush()
                    memory?.keep(term, found, at: generation)
                    postings = found
                }
                guard let postings, postings.documentFrequency > 0 else { continue }
                frequency[term] = postings.documentFrequency
                for (id, count) in postings.counts { counts[id, default: [:]][term] = count }
                for (id, offsets) in postings.bodyOffsets { bodyOffsets[id, default: [:]][term] = offsets }
                for id in postings.inName { inName[id, default: []].insert(term) }
            }
            var rows = memory?.files(at: generation)
            if rows == nil {
                var read: [PackingMemory.FileRow] = []
                let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, path, length, blob FROM files"))
                while let row = try cursor.next() {
                    read.append(PackingMemory.FileRow(id: row[0], path: row[1], length: Double(row[2] as Int), blob: row[3]))
                }
                memory?.keep(files: read, at: generation)
                rows = read
            }
            var offsets: [String: [String: [Int]]] = [:]
            var blobs: [String: String] = [:]
            var names: [String: Set<String>] = [:]
            var files: [String: (length: Double, counts: [String: Int])] = [:]
            for row in rows ?? [] {
                let found = counts[row.id]
                if excluding(row.path) || replacing[row.path] != nil {
                    documentCount -= 1
                    totalLength -= row.length
                    for term in found?.keys ?? [:].keys { frequency[term, default: 0] -= 1 }
                    continue
                }
                if let found {
                    files[row.path] = (row.length, found)
                    offsets[row.path] = bodyOffsets[row.id] ?? [:]
                    blobs[row.path] = row.blob
                    names[row.path] = inName[row.id] ?? []
                }
            }
            for (path, buffer) in replacing where !excluding(path) {
                documentCount += 1
                totalLength += buffer.length
                for (term, count) in buffer.counts where count > 0 { frequency[term, default: 0] += 1 }
            }
            let statistics = ContextPacker.Statistics(
                documentCount: documentCount, totalLength: totalLength, documentFrequency: frequency.filter { $0.value > 0 })
            return (statistics, files, offsets, blobs, names)
        }
    }

    /// The path, blob and length of every file (the stored file set).
    func files() throws -> [String: (blob: String, length: Int)] {
        try writer.read { db in
            var rows: [String: (blob: String, length: Int)] = [:]
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT path, blob, length FROM files"))
            while let row = try cursor.next() { rows[row[0]] = (row[1], row[2]) }
            return rows
        }
    }

    /// Where names are declared (not as extensions), where files are named after them, and where
    /// they are used, from one snapshot.
    ///
    /// - Parameter names: Identifiers.
    /// - Returns: Per name: declaring paths, paths whose stem is the name, uses by path, and the
    ///   bytes of each declaration of that name by path.
    func facts(about names: [String]) throws -> [String: NameFacts] {
        try writer.read { db in
            var result: [String: NameFacts] = [:]
            let declared = try db.cachedStatement(sql: """
                SELECT files.path, declarations.kind, declarations.bytes FROM declarations
                JOIN files ON files.blob = declarations.blob WHERE declarations.name = ?
                """)
            let stems = try db.cachedStatement(sql: "SELECT path FROM files WHERE stem = ?")
            let used = try db.cachedStatement(sql: "SELECT files.path, refs.uses FROM refs JOIN files ON files.blob = refs.blob WHERE refs.name = ?")
            for name in Set(names) {
                var facts = NameFacts()
                let rows = try Row.fetchCursor(declared, arguments: [name])
                while let row = try rows.next() {
                    let path: String = row[0]
                    if row[1] as String != SwiftDeclarationKind.extension.rawValue { facts.declaredIn.insert(path) }
                    facts.bytes[path, default: []].append(row[2])
                }
                facts.namedFiles = try Set(String.fetchAll(stems, arguments: [name]))
                let uses = try Row.fetchCursor(used, arguments: [name])
                while let row = try uses.next() { facts.uses[row[0], default: 0] += row[1] as Int }
                result[name] = facts
            }
            return result
        }
    }

    /// The positions where a name is used, by path.
    func usePositions(of name: String) throws -> [(path: String, positions: [SwiftSourcePosition])] {
        try writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT files.path, refs.positions FROM refs JOIN files ON files.blob = refs.blob WHERE refs.name = ?
                """), arguments: [name]).map { ($0[0], [SwiftSourcePosition](packed: $0[1])) }
        }
    }

    /// The names a blob uses, remembered per blob when a memory is given.
    func referencedNames(blob: String, memory: PackingMemory?) throws -> Set<String> {
        if let known = memory?.referencedNames(blob) { return known }
        let names = try writer.read { db in
            try Set(String.fetchAll(db.cachedStatement(sql: "SELECT name FROM refs WHERE blob = ?"), arguments: [blob]))
        }
        memory?.remember(referencedNames: names, of: blob)
        return names
    }

    /// The files declaring a type (class, struct, enum, actor, protocol) of each name, sorted,
    /// remembered for the database's generation when a memory is given. Names are asked for
    /// ``typeDeclarerBatch`` at a time through one prepared statement.
    func typeDeclarers(of names: [String], memory: PackingMemory? = nil) throws -> [String: [String]] {
        try writer.read { db in
            let generation = memory == nil ? nil : try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'generation'"))
            var result: [String: [String]] = [:]
            var unknown: [String] = []
            for name in Set(names) {
                if let known = memory?.typeDeclarers(name, at: generation) { result[name] = known } else { unknown.append(name) }
            }
            guard !unknown.isEmpty else { return result }
            let batch = Self.typeDeclarerBatch
            let statement = try db.cachedStatement(sql: """
                SELECT DISTINCT declarations.name, files.path FROM declarations JOIN files ON files.blob = declarations.blob
                WHERE declarations.name IN (\(Array(repeating: "?", count: batch).joined(separator: ", "))) AND declarations.declares_type = 1
                """)
            unknown.sort()
            var found: [String: [String]] = [:]
            for start in stride(from: 0, to: unknown.count, by: batch) {
                let slice = Array(unknown[start..<min(start + batch, unknown.count)])
                // A short last batch repeats its last name (IN ignores repeats).
                let padded = slice + Array(repeating: slice[slice.count - 1], count: batch - slice.count)
                let rows = try Row.fetchCursor(statement, arguments: StatementArguments(padded))
                while let row = try rows.next() { found[row[0], default: []].append(row[1]) }
            }
            for name in unknown {
                let paths = (found[name] ?? []).sorted()
                memory?.keep(typeDeclarers: paths, of: name, at: generation)
                result[name] = paths
            }
            return result
        }
    }

    /// How many names one type-declarer query asks for.
    static let typeDeclarerBatch = 32

    /// A file's stored blob, its declarations as context packing sees them, and the number of
    /// terms before each of its lines.
    func contextDeclarations(path: String) throws -> (blob: String, declarations: [ContextDeclaration], termsBefore: [Int])? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT files.blob, blobs.terms_before FROM files JOIN blobs ON blobs.blob = files.blob WHERE files.path = ?
                """), arguments: [path])
            else { return nil }
            let blob: String = row[0]
            let termsBefore = [Int](packedIntegers: row[1])
            let declarations = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT name, first_line, end_line, signature, declares_type FROM declarations WHERE blob = ? ORDER BY ordinal
                """), arguments: [blob]).map { row in
                ContextDeclaration(
                    name: row[0], lines: (row[1] as Int)...max(row[1] as Int, row[2] as Int), signature: row[3],
                    declaresType: row[4])
            }
            return (blob, declarations, termsBefore)
        }
    }

    /// The counts of the summary over the stored files, leaving some paths out.
    func counts(excluding paths: Set<String>) throws -> (declarations: Int, publicAPI: Int, documented: Int, filesWithErrors: Int) {
        try writer.read { db in
            // The kept sums, less the paths left out: no scan of the files.
            var sums = try Self.aggregates(db)
            let statement = try db.cachedStatement(sql: """
                SELECT files.length, declaration_count, public_api_count, documented_count, syntax_errors
                FROM files JOIN blobs ON blobs.blob = files.blob WHERE files.path = ?
                """)
            for path in paths {
                guard let row = try Row.fetchOne(statement, arguments: [path]) else { continue }
                sums.add(IndexAggregates.Share(
                    length: row[0], declarations: row[1], publicAPI: row[2], documented: row[3], hasErrors: (row[4] as Int) > 0), sign: -1)
            }
            return (sums.declarations, sums.publicAPI, sums.documented, sums.filesWithErrors)
        }
    }

    /// Every distinct declared name.
    func declaredNames() throws -> [String] {
        try writer.read { db in try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT name FROM declarations ORDER BY name")) }
    }

    /// The declarations of some names, as `workspace/symbol` answers them, by path then position.
    func symbols(named names: [String]) throws -> [WorkspaceSymbol] {
        try writer.read { db in
            var symbols: [WorkspaceSymbol] = []
            let statement = try db.cachedStatement(sql: """
                SELECT declarations.name, full_name, kind, files.path, name_range, containers, public_api, documented
                FROM declarations JOIN files ON files.blob = declarations.blob WHERE declarations.name = ?
                ORDER BY files.path, ordinal
                """)
            for name in names {
                let rows = try Row.fetchCursor(statement, arguments: [name])
                while let row = try rows.next() {
                    guard let kind = SwiftDeclarationKind(rawValue: row[2]), let range = SwiftSourceRange(packed: row[4]) else { continue }
                    let containers: String = row[5]
                    symbols.append(WorkspaceSymbol(
                        name: row[0], fullName: row[1], kind: kind, path: row[3], nameRange: range,
                        containers: containers.isEmpty ? [] : containers.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init),
                        isPublicAPI: row[6], isDocumented: row[7]))
                }
            }
            return symbols
        }
    }
}

/// What the database knows of one name.
struct NameFacts: Sendable {
    /// Files declaring it (not as an extension).
    var declaredIn: Set<String> = []
    /// Files whose stem is the name.
    var namedFiles: Set<String> = []
    /// Uses by path.
    var uses: [String: Int] = [:]
    /// The bytes of each declaration of the name (extensions included), by path.
    var bytes: [String: [Int]] = [:]
}
