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
    /// file holding one of the terms its path, length, blob and postings. Files left out, and files
    /// whose unsaved buffer replaces their stored text, are taken out of the statistics (and the
    /// buffers' bags put in), so the figures are those of the files ranking sees.
    ///
    /// Only the files holding a term have their path and blob read, unless `excluding` asks about
    /// every path.
    ///
    /// - Parameters:
    ///   - terms: The question's terms (``ContextPacker/queryBag(_:)``'s keys).
    ///   - excluding: Files left out; `nil` for none.
    ///   - replacing: Unsaved buffers by path: their bag's length and their counts of the terms.
    ///   - memory: What a long-lived process keeps between requests.
    /// - Returns: The statistics and the files (without those left out or replaced).
    func termEvidence(
        _ terms: [String], excluding: ((String) -> Bool)?, replacing: [String: (length: Double, counts: [String: Int])],
        memory: PackingMemory? = nil
    ) throws -> TermEvidence {
        try writer.read { db in
            let generation = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'generation'"))
            memory?.use(generation: generation)
            var (documentCount, totalLength) = try totals(db)
            let sortedTerms = Array(Set(terms)).sorted()
            var postings: [PackingMemory.Postings] = []
            postings.reserveCapacity(sortedTerms.count)
            for term in sortedTerms {
                if let kept = memory?.postings(term, at: generation) {
                    postings.append(kept)
                    continue
                }
                let found = try Self.postings(of: term, db)
                memory?.keep(term, found, at: generation)
                postings.append(found)
            }
            var frequency = postings.map(\.documentFrequency)

            // A row per file holding a term; its cells: the index of the file in each term's postings.
            let width = sortedTerms.count
            var rowOf: [Int64: Int] = [:]
            rowOf.reserveCapacity(postings.map(\.documents.count).max() ?? 0)
            var cells: [Int32] = []
            for (column, found) in postings.enumerated() {
                for (index, document) in found.documents.enumerated() {
                    let row: Int
                    if let known = rowOf[document] {
                        row = known
                    } else {
                        row = rowOf.count
                        rowOf[document] = row
                        cells.append(contentsOf: repeatElement(-1, count: width))
                    }
                    cells[row * width + column] = Int32(index)
                }
            }
            var left = [Bool](repeating: false, count: rowOf.count)
            func leaveOut(id: Int64, length: Double) {
                documentCount -= 1
                totalLength -= length
                guard let row = rowOf[id], !left[row] else { return }
                left[row] = true
                for column in 0..<width where cells[row * width + column] >= 0 { frequency[column] -= 1 }
            }
            var files: [TermEvidence.File] = []
            files.reserveCapacity(rowOf.count)
            func add(id: Int64, path: String, length: Double, blob: String) {
                guard let row = rowOf[id], !left[row] else { return }
                files.append(TermEvidence.File(path: path, length: length, blob: blob, row: row))
            }
            if let excluding {
                // Every path is asked about: every row is read.
                try Self.forEachFile(db, memory: memory, generation: generation) { id, path, length, blob in
                    let path = path()
                    if excluding(path) || replacing[path] != nil {
                        leaveOut(id: id, length: length)
                    } else if rowOf[id] != nil {
                        add(id: id, path: path, length: length, blob: blob())
                    }
                }
            } else {
                let statement = try db.cachedStatement(sql: "SELECT id, length FROM files WHERE path = ?")
                for path in replacing.keys {
                    if let row = try Row.fetchOne(statement, arguments: [path]) { leaveOut(id: row[0], length: Double(row[1] as Int)) }
                }
                try Self.forEachFile(db, memory: memory, generation: generation) { id, path, length, blob in
                    if rowOf[id] != nil { add(id: id, path: path(), length: length, blob: blob()) }
                }
            }
            var frequencies: [String: Int] = [:]
            for (column, term) in sortedTerms.enumerated() where frequency[column] > 0 { frequencies[term] = frequency[column] }
            for (path, buffer) in replacing where !(excluding?(path) ?? false) {
                documentCount += 1
                totalLength += buffer.length
                for (term, count) in buffer.counts where count > 0 { frequencies[term, default: 0] += 1 }
            }
            let statistics = ContextPacker.Statistics(documentCount: documentCount, totalLength: totalLength, documentFrequency: frequencies)
            return TermEvidence(statistics: statistics, terms: sortedTerms, files: files, cells: cells, postings: postings)
        }
    }

    /// A term's postings from the FTS vocabulary: the documents holding it, each with its count,
    /// whether its name holds it and its body positions.
    private static func postings(of term: String, _ db: Database) throws -> PackingMemory.Postings {
        guard let frequency = try Int.fetchOne(db.cachedStatement(sql: "SELECT doc FROM terms_row WHERE term = ?"), arguments: [term])
        else { return PackingMemory.Postings(documentFrequency: 0) }
        // The vocabulary lists a term's instances by document; if it ever did not, they are put in
        // that order (stably) before each document's run is gathered.
        var documents: [Int64] = [], inBody: [Bool] = [], offsets: [Int] = []
        var ordered = true
        let cursor = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT doc, col = 'body', offset FROM terms_instance WHERE term = ?"), arguments: [term])
        while let row = try cursor.next() {
            let document: Int64 = row[0]
            if let last = documents.last, document < last { ordered = false }
            documents.append(document)
            inBody.append(row[1])
            offsets.append(row[2])
        }
        var order = Array(documents.indices)
        if !ordered { order.sort { documents[$0] != documents[$1] ? documents[$0] < documents[$1] : $0 < $1 } }
        var found = PackingMemory.Postings(documentFrequency: frequency)
        found.documents.reserveCapacity(frequency)
        found.counts.reserveCapacity(frequency)
        found.inName.reserveCapacity(frequency)
        found.offsetStarts.reserveCapacity(frequency + 1)
        found.offsets.reserveCapacity(offsets.count)
        for index in order {
            if documents[index] != found.documents.last {
                found.documents.append(documents[index])
                found.counts.append(0)
                found.inName.append(false)
                found.offsetStarts.append(found.offsets.count)
            }
            let last = found.documents.count - 1
            found.counts[last] += 1
            if inBody[index] { found.offsets.append(offsets[index]) } else { found.inName[last] = true }
            found.offsetStarts[last + 1] = found.offsets.count
        }
        return found
    }

    /// Calls `body` with every stored file: its id and length, and its path and blob when asked
    /// for (a command reading once builds neither for files it does not need). A long-lived
    /// process keeps the rows from its second read at a generation on.
    private static func forEachFile(
        _ db: Database, memory: PackingMemory?, generation: String?,
        _ body: (_ id: Int64, _ path: () -> String, _ length: Double, _ blob: () -> String) throws -> Void
    ) throws {
        if let rows = memory?.files(at: generation) {
            for row in rows { try body(row.id, { row.path }, row.length, { row.blob }) }
            return
        }
        let keep = memory?.wantsFiles(at: generation) ?? false
        var kept: [PackingMemory.FileRow] = []
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, path, length, blob FROM files"))
        while let row = try cursor.next() {
            let id: Int64 = row[0], length = Double(row[2] as Int)
            if keep {
                let file = PackingMemory.FileRow(id: id, path: row[1], length: length, blob: row[3])
                kept.append(file)
                try body(id, { file.path }, length, { file.blob })
            } else {
                try body(id, { row[1] }, length, { row[3] })
            }
        }
        if keep { memory?.keep(files: kept, at: generation) }
    }

    /// The blob and length of each of some paths that the database holds.
    func files(at paths: some Sequence<String>) throws -> [String: (blob: String, length: Int)] {
        try writer.read { db in
            var rows: [String: (blob: String, length: Int)] = [:]
            let statement = try db.cachedStatement(sql: "SELECT blob, length FROM files WHERE path = ?")
            for path in paths {
                if let row = try Row.fetchOne(statement, arguments: [path]) { rows[path] = (row[0], row[1]) }
            }
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

/// What ranking needs from the database for a question's terms (``IndexDatabase/termEvidence(_:excluding:replacing:memory:)``).
struct TermEvidence: Sendable {
    /// One file holding a term.
    struct File: Sendable {
        var path: String
        /// Its bag's length in terms.
        var length: Double
        var blob: String
        /// Its row of ``TermEvidence/cells``.
        fileprivate var row: Int
    }

    /// BM25's statistics over the files ranking sees.
    var statistics: ContextPacker.Statistics
    /// The terms, sorted: the columns of each file's cells.
    var terms: [String]
    /// The files holding a term, less those left out or replaced.
    var files: [File]
    /// Row-major, a row per file, a column per term: the file's index in that term's postings, or -1.
    fileprivate var cells: [Int32]
    /// Each term's postings.
    fileprivate var postings: [PackingMemory.Postings]

    /// No file and no statistics.
    static let empty = TermEvidence(
        statistics: ContextPacker.Statistics(documentCount: 0, totalLength: 0, documentFrequency: [:]), terms: [], files: [], cells: [], postings: [])

    /// How often a file holds the term at an index of ``terms``.
    func count(_ file: File, _ term: Int) -> Int {
        let cell = Int(cells[file.row * terms.count + term])
        return cell < 0 ? 0 : Int(postings[term].counts[cell])
    }

    /// Whether a file's name holds the term at an index of ``terms``.
    func inName(_ file: File, _ term: Int) -> Bool {
        let cell = Int(cells[file.row * terms.count + term])
        return cell >= 0 && postings[term].inName[cell]
    }

    /// A file's body positions of each term it holds there.
    func bodyOffsets(_ file: File) -> [String: [Int]] {
        var offsets: [String: [Int]] = [:]
        for (term, name) in terms.enumerated() {
            let cell = Int(cells[file.row * terms.count + term])
            guard cell >= 0 else { continue }
            let found = postings[term].bodyOffsets(at: cell)
            if !found.isEmpty { offsets[name] = Array(found) }
        }
        return offsets
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
