import AssistCore
import AssistGit
import AssistSwift
import Foundation
import Synchronization

/// The index's Swift analyser: swift-syntax declarations and references for every Swift file.
public struct SwiftIndexAnalyzer: BlobAnalyzer {
    public typealias Result = SwiftFileAnalysis
    public init() {}
    public var name: String { "swift" }
    public var version: Int { SwiftAnalyzer.formatVersion }
    public func accepts(_ language: Language) -> Bool { language == .swift }
    public func analyze(_ bytes: [UInt8], path: String) -> SwiftFileAnalysis {
        SwiftAnalyzer.analyze(source: String(decoding: bytes, as: UTF8.self))
    }
}

/// One declaration as the workspace needs it: for `workspace/symbol` and the public-API counts.
public struct WorkspaceSymbol: Sendable, Hashable {
    public var name: String
    public var fullName: String
    public var kind: SwiftDeclarationKind
    /// The path from the repository root.
    public var path: String
    public var nameRange: SwiftSourceRange
    public var containers: [String]
    public var isPublicAPI: Bool
    public var isDocumented: Bool
}

/// The index database as `assist index` reports it.
public struct WorkspaceDatabaseFigures: Sendable, Hashable {
    /// The file (`<git common dir>/assist/index.sqlite`), or `nil` in memory.
    public var path: String?
    /// Its size on disk (main file and write-ahead log).
    public var bytes: Int
    /// Why it was rebuilt or is in memory, if it was.
    public var note: String?
    /// What the last synchronisation wrote.
    public var sync: IndexDatabaseSync
}

/// What `assist index` and `assist/index/status` report.
public struct WorkspaceIndexSummary: Sendable {
    public var figures: IndexFigures
    public var declarations: Int
    public var publicAPI: Int
    public var publicAPIDocumented: Int
    public var filesWithSyntaxErrors: Int
    public var overlays: Int
    public var database: WorkspaceDatabaseFigures
}

/// A repository's index with Swift analysis: files, declarations, symbols and public-API counts,
/// kept current incrementally, and queried in the index database (``IndexDatabase``): a refresh
/// writes the rows of new blobs and of paths that changed, and every question asks the database,
/// so nothing is decoded or re-read per request. Unsaved buffers (overlays) stay in memory and
/// win over the database for their paths. `state`'s mutex guards the overlays, the summary and
/// the database handle.
public final class SwiftWorkspaceIndex: Sendable {
    public let index: RepositoryIndex<SwiftIndexAnalyzer>
    /// What packing keeps between requests (files verified by their lstat, blobs' outlines, postings).
    let memory: PackingMemory

    /// An unsaved buffer: its text and analysis.
    struct Overlay: Sendable {
        var text: String
        var analysis: SwiftFileAnalysis
        var symbols: [WorkspaceSymbol]
    }

    private struct State: Sendable {
        var database: IndexDatabase
        var overlays: [String: Overlay] = [:]
        var summary: WorkspaceIndexSummary?
        var refreshed = false
        var sync = IndexDatabaseSync()
        var note: String?
        /// ``RepositoryIndex/repositoryFingerprint()`` as the last refresh began.
        var fingerprint: String?
    }

    private let state: Mutex<State>
    /// Serialises refreshes of this process (other processes wait on the database's lock).
    private let refreshing = Mutex(())

    /// Opens the repository at (or above) `path`, and its index database.
    ///
    /// - Parameters:
    ///   - path: A directory inside the repository.
    ///   - options: Index options (size limit, workers, persistence: off keeps the database in memory).
    /// - Throws: `GitError` when `path` is not in a repository.
    public init(at path: String, options: IndexOptions = IndexOptions()) throws(GitError) {
        index = try RepositoryIndex(at: path, analyzer: SwiftIndexAnalyzer(), options: options)
        memory = PackingMemory(root: index.root)
        let databasePath = index.cachePath.map { ($0 as NSString).deletingLastPathComponent + "/index.sqlite" }
        let database = IndexDatabase.open(at: databasePath)
        state = Mutex(State(database: database, note: database.openNote))
    }

    var database: IndexDatabase { state.withLock { $0.database } }

    /// The unsaved buffers, by path.
    var overlays: [String: Overlay] { state.withLock { $0.overlays } }

    /// Brings the index up to date, then the database, and recomputes the summary.
    ///
    /// - Parameter progress: Analysis progress (done, total), from worker threads.
    /// - Returns: The summary.
    /// - Throws: `GitError` when the repository cannot be read.
    @discardableResult
    public func refresh(progress: (@Sendable (Int, Int) -> Void)? = nil) throws(GitError) -> WorkspaceIndexSummary {
        try refreshing.withLock { (_) throws(GitError) -> WorkspaceIndexSummary in
            let fingerprint = index.repositoryFingerprint()
            let collected = RowCollector()
            let figures = try index.refresh(progress: progress, analyzed: collected.add, deferSave: true)
            // The rows are let go before the cache file is serialised: a cold index of a large
            // repository never holds both.
            let summary = synchronise(figures: figures, rows: collected.take(), onlyAt: nil, fingerprint: fingerprint)
            #if os(Linux)
            // The rows' many small blocks go back to the system, not only to malloc's free lists,
            // before the cache file's one large buffer is made.
            if figures.analyses > 1_000 { _ = releaseFreedMemory(0) }
            #endif
            let saved = index.saveCache()
            var timings = summary.figures.timings
            timings[.saveCache] = saved.timings[.saveCache]
            return state.withLock { state in
                var figures = saved
                figures.timings = timings
                state.summary?.figures = figures
                return state.summary ?? summary
            }
        }
    }

    /// Brings some paths up to date — a saved file, files a watcher named — and then their rows
    /// in the database, without a whole `git status` or comparing every stored path; a whole
    /// ``refresh(progress:)`` when the staging area moved or nothing was refreshed before.
    ///
    /// - Parameter paths: Paths from the repository root.
    /// - Returns: The summary.
    /// - Throws: `GitError` when the repository cannot be read.
    @discardableResult
    public func refresh(paths: [String]) throws(GitError) -> WorkspaceIndexSummary {
        try refreshing.withLock { (_) throws(GitError) -> WorkspaceIndexSummary in
            let fingerprint = index.repositoryFingerprint()
            let collected = RowCollector()
            let (figures, changed) = try index.refresh(paths: paths, analyzed: collected.add)
            if let changed, changed.isEmpty {
                return state.withLock { state in
                    state.sync = IndexDatabaseSync()
                    return rebuild(&state, figures: figures)
                }
            }
            return synchronise(
                figures: figures, rows: collected.take(), onlyAt: changed,
                fingerprint: changed == nil ? fingerprint : state.withLock { $0.fingerprint })
        }
    }

    /// The database rows built for each blob a refresh analyses, on the worker that read it.
    private final class RowCollector: Sendable {
        private let collected = Mutex<[ObjectID: BlobRows]>([:])

        /// The rows, emptying the collector.
        func take() -> [ObjectID: BlobRows] {
            collected.withLock { rows in
                defer { rows = [:] }
                return rows
            }
        }

        @Sendable func add(_ blob: ObjectID, _ bytes: [UInt8], _ analysis: SwiftFileAnalysis) {
            let rows = BlobRows(analysis: analysis, text: String(decoding: bytes, as: UTF8.self))
            collected.withLock { $0[blob] = rows }
        }
    }

    /// Brings the database to the index's file set (at some paths only, when given), then the summary.
    private func synchronise(
        figures: IndexFigures, rows: [ObjectID: BlobRows], onlyAt paths: Set<String>?, fingerprint: String?
    ) -> WorkspaceIndexSummary {
        var figures = figures
        let start = ContinuousClock.now
        func listed(_ listing: [IndexedFile]) -> [IndexDatabase.ListedFile] {
            listing.compactMap { file in
                guard file.language == .swift, file.skipReason == nil, let blob = file.blob else { return nil }
                return IndexDatabase.ListedFile(path: file.path, blob: blob)
            }
        }
        // A refresh of some paths hands over only their files.
        let files = listed(paths.map { $0.sorted().compactMap(index.file(at:)) } ?? index.files)
        let fallback: (IndexDatabase.ListedFile) -> BlobRows? = { [index] file in
            guard let analysis = index.result(for: file.path, includingOverlay: false),
                  let bytes = index.bytes(of: file.blob, path: file.path)
            else { return nil }
            return BlobRows(analysis: analysis, text: String(decoding: bytes, as: UTF8.self))
        }
        var database = state.withLock { $0.database }
        var note: String?
        var sync: IndexDatabaseSync
        do {
            sync = try database.sync(files: files, collected: rows, fallback: fallback, onlyAt: paths)
        } catch {
            // A database SQLite finds damaged is rebuilt from the index, never trusted.
            note = "rebuilt after \(IndexDatabase.describe(error))"
            database = IndexDatabase.rebuilt(database)
            let all = paths == nil ? files : listed(index.files)
            sync = (try? database.sync(files: all, collected: rows, fallback: fallback)) ?? IndexDatabaseSync()
        }
        figures.timings[.database] = IndexDatabase.seconds(since: start)
        return state.withLock { state in
            state.database = database
            state.refreshed = true
            state.fingerprint = fingerprint
            state.sync = sync
            if let note { state.note = note }
            return rebuild(&state, figures: figures)
        }
    }

    /// Whether HEAD or the staging area moved since the last refresh began (`false` before the first).
    public var isBehindRepository: Bool {
        guard let seen = state.withLock({ $0.fingerprint }) else { return false }
        return index.repositoryFingerprint() != seen
    }

    /// Checks the database file (`PRAGMA quick_check`) and rebuilds it when it is damaged.
    ///
    /// - Returns: What was wrong, or `nil` when it was sound.
    @discardableResult
    public func verifyDatabase() -> String? {
        let database = state.withLock { $0.database }
        guard let problem = database.verify() else { return nil }
        let fresh = IndexDatabase.rebuilt(database)
        state.withLock { state in
            state.database = fresh
            state.note = "rebuilt: \(problem)"
            state.summary = nil
        }
        _ = try? refresh()
        return problem
    }

    /// Sets an unsaved buffer's text for a path (editor text sync), or removes it with `nil`.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - text: The buffer's text, or `nil` when the editor closed it.
    public func setOverlay(path: String, text: String?) {
        if let text {
            let analysis = index.overlay(path: path, text: text)
            let overlay = Overlay(text: text, analysis: analysis, symbols: Self.symbols(of: analysis, path: path))
            state.withLock { state in
                state.overlays[path] = overlay
                state.summary = nil
            }
        } else {
            index.removeOverlay(path: path)
            state.withLock { state in
                if state.overlays.removeValue(forKey: path) != nil { state.summary = nil }
            }
        }
    }

    /// The summary of the last refresh (buffers included), refreshing first if this process has not.
    ///
    /// - Returns: The summary.
    /// - Throws: `GitError` when a first refresh fails.
    public func summary() throws(GitError) -> WorkspaceIndexSummary {
        let (summary, refreshed) = state.withLock { ($0.summary, $0.refreshed) }
        if let summary { return summary }
        if !refreshed { return try refresh() }
        let figures = index.figures
        return state.withLock { rebuild(&$0, figures: figures) }
    }

    /// Symbols matching a query, best first (`workspace/symbol`).
    ///
    /// - Parameters:
    ///   - query: What the user typed.
    ///   - limit: The most symbols to return.
    /// - Returns: The symbols.
    /// - Throws: `GitError` when a first refresh fails.
    public func symbols(matching query: String, limit: Int = 100) throws(GitError) -> [WorkspaceSymbol] {
        _ = try summary()
        let (database, overlays) = state.withLock { ($0.database, $0.overlays) }
        var names = Set((try? database.declaredNames()) ?? [])
        for overlay in overlays.values { names.formUnion(overlay.symbols.map(\.name)) }
        let ranked = SymbolMatcher.rank(query: query, names.sorted().map { ($0, $0) }, limit: limit)
        let stored = (try? database.symbols(named: ranked)) ?? []
        var byName: [String: [WorkspaceSymbol]] = [:]
        for (_, overlay) in overlays.sorted(by: { $0.key < $1.key }) {
            for symbol in overlay.symbols { byName[symbol.name, default: []].append(symbol) }
        }
        for symbol in stored where overlays[symbol.path] == nil { byName[symbol.name, default: []].append(symbol) }
        return Array(ranked.flatMap { byName[$0] ?? [] }.prefix(limit))
    }

    /// Where a name is used across the repository (unsaved buffers instead of their files): the
    /// name → locations table that cross-file context is built from.
    ///
    /// - Parameter name: An identifier, without backticks.
    /// - Returns: The paths and positions of its uses, by path then position.
    /// - Throws: `GitError` when a first refresh fails.
    public func references(to name: String) throws(GitError) -> [(path: String, position: SwiftSourcePosition)] {
        _ = try summary()
        let (database, overlays) = state.withLock { ($0.database, $0.overlays) }
        var found: [(path: String, position: SwiftSourcePosition)] = []
        for (path, overlay) in overlays {
            found += (overlay.analysis.references[name] ?? []).map { (path, $0) }
        }
        for (path, positions) in (try? database.usePositions(of: name)) ?? [] where overlays[path] == nil {
            found += positions.map { (path, $0) }
        }
        return found.sorted { $0.path != $1.path ? $0.path < $1.path : $0.position < $1.position }
    }

    private func rebuild(_ state: inout State, figures: IndexFigures) -> WorkspaceIndexSummary {
        let overlaid = Set(state.overlays.keys)
        let stored = (try? state.database.counts(excluding: overlaid)) ?? (declarations: 0, publicAPI: 0, documented: 0, filesWithErrors: 0)
        var declarations = stored.declarations, publicAPI = stored.publicAPI, documented = stored.documented
        var errors = stored.filesWithErrors
        for overlay in state.overlays.values {
            declarations += overlay.symbols.count
            publicAPI += overlay.symbols.filter(\.isPublicAPI).count
            documented += overlay.symbols.filter { $0.isPublicAPI && $0.isDocumented }.count
            if overlay.analysis.hasSyntaxErrors { errors += 1 }
        }
        let summary = WorkspaceIndexSummary(
            figures: figures, declarations: declarations, publicAPI: publicAPI,
            publicAPIDocumented: documented, filesWithSyntaxErrors: errors, overlays: state.overlays.count,
            database: WorkspaceDatabaseFigures(
                path: state.database.path, bytes: state.database.bytesOnDisk, note: state.note, sync: state.sync))
        state.summary = summary
        return summary
    }

    private static func symbols(of analysis: SwiftFileAnalysis, path: String) -> [WorkspaceSymbol] {
        analysis.declarations.map {
            WorkspaceSymbol(
                name: $0.name, fullName: $0.fullName, kind: $0.kind, path: path, nameRange: $0.nameRange,
                containers: $0.containers, isPublicAPI: $0.isPublicAPI, isDocumented: $0.docComment != nil)
        }
    }
}

#if os(Linux)
/// glibc's `malloc_trim(3)` (in `<malloc.h>`, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func releaseFreedMemory(_ pad: Int) -> Int32
#endif
