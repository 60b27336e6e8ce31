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

/// What `assist index` and `assist/index/status` report.
public struct WorkspaceIndexSummary: Sendable {
    public var figures: IndexFigures
    public var declarations: Int
    public var publicAPI: Int
    public var publicAPIDocumented: Int
    public var filesWithSyntaxErrors: Int
    public var overlays: Int
}

/// A repository's index with Swift analysis: files, declarations, symbols and public-API counts,
/// kept current incrementally. Per-blob summaries are derived once per blob (like the analyses),
/// so a refresh after one change re-derives one file. `state`'s mutex guards the summaries.
public final class SwiftWorkspaceIndex: Sendable {
    public let index: RepositoryIndex<SwiftIndexAnalyzer>

    private struct FileSymbols: Sendable {
        var symbols: [WorkspaceSymbol]
        var references: [String: [SwiftSourcePosition]]
        var hasSyntaxErrors: Bool
    }

    private struct State: Sendable {
        /// Symbols of committed content by blob, paths filled in per file on use.
        var byBlob: [ObjectID: FileSymbols] = [:]
        /// Symbols of each unsaved buffer, by path.
        var overlays: [String: FileSymbols] = [:]
        var summary: WorkspaceIndexSummary?
        var symbols: [WorkspaceSymbol] = []
    }

    private let state = Mutex(State())

    /// Opens the repository at (or above) `path`.
    ///
    /// - Parameters:
    ///   - path: A directory inside the repository.
    ///   - options: Index options (size limit, workers, persistence).
    /// - Throws: `GitError` when `path` is not in a repository.
    public init(at path: String, options: IndexOptions = IndexOptions()) throws(GitError) {
        index = try RepositoryIndex(at: path, analyzer: SwiftIndexAnalyzer(), options: options)
    }

    /// Brings the index up to date and recomputes the summary.
    ///
    /// - Parameter progress: Analysis progress (done, total), from worker threads.
    /// - Returns: The summary.
    /// - Throws: `GitError` when the repository cannot be read.
    @discardableResult
    public func refresh(progress: (@Sendable (Int, Int) -> Void)? = nil) throws(GitError) -> WorkspaceIndexSummary {
        let figures = try index.refresh(progress: progress)
        let files = index.files.filter { $0.language == .swift && $0.skipReason == nil && $0.blob != nil }
        let known = state.withLock { $0.byBlob }
        var byBlob: [ObjectID: FileSymbols] = [:]
        byBlob.reserveCapacity(files.count)
        for file in files {
            guard let blob = file.blob else { continue }
            if let existing = known[blob] ?? byBlob[blob] {
                byBlob[blob] = existing
            } else if let analysis = index.result(for: file.path, includingOverlay: false) {
                byBlob[blob] = Self.symbols(of: analysis, path: file.path)
            }
        }
        return state.withLock { state in
            state.byBlob = byBlob
            return rebuild(&state, files: files, figures: figures)
        }
    }

    /// Sets an unsaved buffer's text for a path (editor text sync), or removes it with `nil`.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - text: The buffer's text, or `nil` when the editor closed it.
    public func setOverlay(path: String, text: String?) {
        if let text {
            let analysis = index.overlay(path: path, text: text)
            let symbols = Self.symbols(of: analysis, path: path)
            state.withLock { state in
                state.overlays[path] = symbols
                state.summary = nil
            }
        } else {
            index.removeOverlay(path: path)
            state.withLock { state in
                if state.overlays.removeValue(forKey: path) != nil { state.summary = nil }
            }
        }
    }

    /// The summary of the last refresh (buffers included), refreshing first if there was none.
    ///
    /// - Returns: The summary.
    /// - Throws: `GitError` when a first refresh fails.
    public func summary() throws(GitError) -> WorkspaceIndexSummary {
        if let summary = state.withLock({ $0.summary }) { return summary }
        if index.files.isEmpty, state.withLock({ $0.byBlob.isEmpty }) { return try refresh() }
        let files = index.files.filter { $0.language == .swift && $0.skipReason == nil && $0.blob != nil }
        let figures = index.figures
        return state.withLock { rebuild(&$0, files: files, figures: figures) }
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
        let symbols = state.withLock { $0.symbols }
        return SymbolMatcher.rank(query: query, symbols.map { ($0.name, $0) }, limit: limit)
    }

    /// Where a name is used across the repository (unsaved buffers instead of their files): the
    /// name → locations table that cross-file context is built from.
    ///
    /// - Parameter name: An identifier, without backticks.
    /// - Returns: The paths and positions of its uses, by path then position.
    /// - Throws: `GitError` when a first refresh fails.
    public func references(to name: String) throws(GitError) -> [(path: String, position: SwiftSourcePosition)] {
        _ = try summary()
        let files = index.files.filter { $0.language == .swift && $0.skipReason == nil && $0.blob != nil }
        return state.withLock { state in
            var found: [(path: String, position: SwiftSourcePosition)] = []
            for (path, overlay) in state.overlays {
                found += (overlay.references[name] ?? []).map { (path, $0) }
            }
            for file in files where state.overlays[file.path] == nil {
                guard let blob = file.blob, let entry = state.byBlob[blob] else { continue }
                found += (entry.references[name] ?? []).map { (file.path, $0) }
            }
            return found.sorted { $0.path != $1.path ? $0.path < $1.path : $0.position < $1.position }
        }
    }

    private func rebuild(_ state: inout State, files: [IndexedFile], figures: IndexFigures) -> WorkspaceIndexSummary {
        var symbols: [WorkspaceSymbol] = []
        var filesWithErrors = 0
        var seenPaths = Set<String>()
        for (path, overlay) in state.overlays.sorted(by: { $0.key < $1.key }) {
            seenPaths.insert(path)
            symbols += overlay.symbols
            if overlay.hasSyntaxErrors { filesWithErrors += 1 }
        }
        for file in files where !seenPaths.contains(file.path) {
            guard let blob = file.blob, let entry = state.byBlob[blob] else { continue }
            symbols += entry.symbols.map { symbol in
                var symbol = symbol
                symbol.path = file.path
                return symbol
            }
            if entry.hasSyntaxErrors { filesWithErrors += 1 }
        }
        let publicAPI = symbols.filter(\.isPublicAPI)
        let summary = WorkspaceIndexSummary(
            figures: figures, declarations: symbols.count, publicAPI: publicAPI.count,
            publicAPIDocumented: publicAPI.filter(\.isDocumented).count, filesWithSyntaxErrors: filesWithErrors,
            overlays: state.overlays.count)
        state.symbols = symbols
        state.summary = summary
        return summary
    }

    private static func symbols(of analysis: SwiftFileAnalysis, path: String) -> FileSymbols {
        FileSymbols(
            symbols: analysis.declarations.map {
                WorkspaceSymbol(
                    name: $0.name, fullName: $0.fullName, kind: $0.kind, path: path, nameRange: $0.nameRange,
                    containers: $0.containers, isPublicAPI: $0.isPublicAPI, isDocumented: $0.docComment != nil)
            },
            references: analysis.references,
            hasSyntaxErrors: analysis.hasSyntaxErrors)
    }
}
