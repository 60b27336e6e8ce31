import AssistCore
import AssistGit
import AssistSwift
import Foundation

/// Classification facts and context packing from the index database: queries for the names and
/// terms a request holds, and the text of only the files packed. Unsaved buffers win over the
/// database for their paths.
extension RequestContextGatherer {
    /// Where each name is declared and used, from the database and the unsaved buffers.
    ///
    /// - Parameters:
    ///   - names: Identifiers.
    ///   - excluding: Files whose declarations do not count (their uses still do).
    /// - Returns: One value per name the index knows (declared or used), in the order given.
    public func locations(of names: [String], excluding: (String) -> Bool = { _ in false }) -> [SymbolLocations] {
        locationsAndBytes(of: names, excluding: excluding).map(\.locations)
    }

    private func locationsAndBytes(
        of names: [String], excluding: (String) -> Bool
    ) -> [(locations: SymbolLocations, bytes: [String: [Int]])] {
        guard !names.isEmpty else { return [] }
        let overlays = index.overlays.filter { isIndexed($0.key) }
        let facts = (try? index.database.facts(about: names)) ?? [:]
        var result: [(locations: SymbolLocations, bytes: [String: [Int]])] = []
        for name in names {
            let stored = facts[name] ?? NameFacts()
            var declared = stored.declaredIn.filter { overlays[$0] == nil }.union(stored.namedFiles)
            var uses = stored.uses.filter { overlays[$0.key] == nil }
            var bytes = stored.bytes.filter { overlays[$0.key] == nil }
            for (path, overlay) in overlays {
                let matching = overlay.analysis.declarations.filter { $0.name == name }
                if matching.contains(where: { $0.kind != .extension }) { declared.insert(path) }
                if stem(of: path) == name, path.hasSuffix(".swift") { declared.insert(path) }
                if !matching.isEmpty { bytes[path] = matching.map { $0.range.end.utf8Offset - $0.range.start.utf8Offset } }
                if let positions = overlay.analysis.references[name], !positions.isEmpty { uses[path] = positions.count }
            }
            declared = declared.filter { !excluding($0) }
            guard !declared.isEmpty || !uses.isEmpty else { continue }
            result.append((SymbolLocations(name: name, definitions: declared, references: uses), bytes))
        }
        return result
    }

    /// Whether a path is an analysed Swift file of the index.
    private func isIndexed(_ path: String) -> Bool {
        guard let file = index.index.file(at: path) else { return false }
        return file.language == .swift && file.skipReason == nil && file.blob != nil
    }

    /// The classifier's input, from database queries (see ``classificationRequest(instruction:file:selection:text:analyses:)``).
    func classificationRequestFromDatabase(
        instruction: String, file: String?, selection: ClosedRange<Int>?, text: String?
    ) throws(GitError) -> ClassificationRequest {
        let found = locationsAndBytes(of: QueryTerms.identifiers(in: instruction), excluding: { _ in false })
        return classificationRequest(instruction: instruction, file: file, selection: selection, text: text, found: found)
    }

    /// Retrieves and packs context for a question: the files holding its terms ranked with the
    /// database's BM25 statistics and the index's evidence, then the text of only the files packed
    /// read (and their declarations re-derived when the text is no longer the indexed content).
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - budget: The token budget.
    ///   - excluding: Files never to pack (for example `privacy.localOnly` files bound for the cloud).
    /// - Returns: The packed context.
    /// - Throws: `GitError` when the index cannot be read.
    public func pack(question: String, budget: Int, excluding: ((String) -> Bool)? = nil) throws(GitError) -> PackedContext {
        let database = index.database
        let isExcluded = excluding ?? { _ in false }
        let overlays = index.overlays.filter { isIndexed($0.key) && !isExcluded($0.key) }
        let symbols = locations(of: QueryTerms.identifiers(in: question), excluding: isExcluded)
        let terms = ContextPacker.queryBag(question)
        var buffers: [String: (length: Double, counts: [String: Int])] = [:]
        for (path, overlay) in overlays {
            var bag = ContextPacker.bag(of: overlay.text)
            for term in index.memory.nameTerms(path) { bag[term, default: 0] += 3 }
            buffers[path] = (Double(bag.values.reduce(0, +)), bag.filter { terms[$0.key] != nil })
        }
        let evidence = (try? database.termEvidence(Array(terms.keys), excluding: excluding, replacing: buffers, memory: index.memory))
            ?? .empty
        let memory = index.memory
        var candidates = ContextPacker.Candidates(
            statistics: evidence.statistics, terms: terms.keys, capacity: evidence.files.count + buffers.count, nameParts: memory.subwords)
        // The evidence's files first: a row below their count is that file of the evidence.
        for file in evidence.files {
            candidates.append(path: file.path, length: file.length, count: { evidence.count(file, $0) }, inName: { evidence.inName(file, $0) })
        }
        for (path, found) in buffers {
            candidates.append(path: path, length: found.length, termCounts: found.counts, nameTerms: memory.nameTerms(path))
        }
        // Files the evidence names rank even without a term of the question.
        let named = Set(symbols.flatMap { Array($0.definitions) + Array($0.references.keys) })
        let missing = named.filter { candidates.rows[$0] == nil && !isExcluded($0) }.sorted()
        let stored = missing.isEmpty ? [:] : ((try? database.files(at: missing)) ?? [:])
        var found: [String: String] = [:]
        for path in missing {
            guard let file = stored[path] else { continue }
            // No term of the question anywhere in it, so none in its name either.
            candidates.append(path: path, length: Double(file.length), count: { _ in 0 }, inName: { _ in false })
            found[path] = file.blob
        }
        let namedBlobs = found
        let rows = candidates.rows
        /// The evidence's file at a path, if it holds a term of the question.
        func evidenceFile(_ path: String) -> TermEvidence.File? {
            guard let row = rows[path], row < evidence.files.count else { return nil }
            return evidence.files[row]
        }
        func blob(_ path: String) -> String? { evidenceFile(path)?.blob ?? namedBlobs[path] }
        func offsets(_ path: String) -> [String: [Int]] { evidenceFile(path).map(evidence.bodyOffsets) ?? [:] }
        let overlayTypes = overlays.mapValues { overlay in
            Set(overlay.analysis.declarations.filter { [.class, .struct, .enum, .actor, .protocol].contains($0.kind) }.map(\.name))
        }
        candidates.references = { path in
            if let overlay = overlays[path] { return Set(overlay.analysis.references.keys) }
            guard let blob = blob(path) else { return [] }
            return (try? database.referencedNames(blob: blob, memory: memory)) ?? []
        }
        candidates.typeDeclarers = { names in
            let stored = (try? database.typeDeclarers(of: names, memory: memory)) ?? [:]
            return Dictionary(names.map { name in
                let declaring = (stored[name] ?? []).filter { overlays[$0] == nil && !isExcluded($0) }
                return (name, (declaring + overlayTypes.filter { $0.value.contains(name) }.map(\.key)).sorted())
            }, uniquingKeysWith: { first, _ in first })
        }
        let ranking = ContextPacker.rank(question: question, candidates: candidates, symbols: symbols)
        return ContextPacker.pack(
            question: question, ranking: ranking, statistics: evidence.statistics, symbols: symbols, budget: budget
        ) { path in
            let key = overlays[path] == nil ? index.memory.statKey(path) : nil
            guard let text = readText(path) else { return nil }
            return document(path, text: text, overlay: overlays[path], offsets: offsets(path), blob: blob(path), key: key)
        } outline: { path in
            // Only a file this process read and hashed, whose lstat has not changed since.
            guard overlays[path] == nil, let blob = evidenceFile(path)?.blob, index.memory.holds(path, blob: blob),
                  let stored = index.memory.stored(blob)
            else { return nil }
            return ContextOutline(
                declarations: stored.declarations, termLines: Self.termLines(stored.termsBefore, offsets: offsets(path)))
        }
    }

    /// Term lines from the number of terms before each line and the terms' positions in the text.
    private static func termLines(_ before: [Int], offsets: [String: [Int]]) -> TermLines {
        // The line of the term at position k: the first line L with before[L] > k.
        func line(of position: Int) -> Int {
            var low = 1, high = before.count - 1
            while low < high {
                let middle = (low + high) / 2
                if before[middle] > position { high = middle } else { low = middle + 1 }
            }
            return low
        }
        return TermLines(lineCount: before.count - 1, termsBefore: before, lines: offsets.mapValues { $0.map(line(of:)) })
    }

    /// A file about to be packed, with its declarations for this text: the buffer's analysis; the
    /// database's rows and term positions when the text is the indexed content; else an analysis of
    /// this text (whose terms packing counts itself) — never ranges computed on another text.
    ///
    /// A blob whose rows this process has already read is not asked for again; a file it has
    /// verified (``PackingMemory/holds(_:blob:readAfter:)``) is not hashed again.
    private func document(
        _ path: String, text: String, overlay: SwiftWorkspaceIndex.Overlay?, offsets: [String: [Int]], blob: String?,
        key: PackingMemory.StatKey?
    ) -> ContextDocument {
        if let overlay, overlay.text == text {
            return ContextDocument(path: path, text: text, declarations: Self.contextDeclarations(overlay.analysis))
        }
        let memory = index.memory
        if overlay == nil, let blob, let stored = memory.stored(blob), !stored.termsBefore.isEmpty,
           memory.holds(path, blob: blob, readAfter: key) || (try? ObjectID.hashBlob(Array(text.utf8)))?.description == blob
        {
            memory.remember(path, blob: blob, key: key)
            return ContextDocument(
                path: path, text: text, declarations: stored.declarations, termLines: Self.termLines(stored.termsBefore, offsets: offsets))
        }
        if let row = try? index.database.contextDeclarations(path: path), !row.termsBefore.isEmpty,
           let blob = try? ObjectID.hashBlob(Array(text.utf8)), blob.description == row.blob
        {
            index.memory.remember(row.blob, PackingMemory.Stored(declarations: row.declarations, termsBefore: row.termsBefore))
            if overlay == nil { index.memory.remember(path, blob: row.blob, key: key) }
            return ContextDocument(
                path: path, text: text, declarations: row.declarations,
                termLines: Self.termLines(row.termsBefore, offsets: offsets))
        }
        return ContextDocument(path: path, text: text, declarations: Self.contextDeclarations(SwiftAnalyzer.analyze(source: text)))
    }
}
