import AssistGit
import Dispatch
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of processors currently online (at least 1).
func activeProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// The repository index: which files exist, in which state, and the analyser's result for each
/// one's content, kept by blob id and persisted under `<git common dir>/assist/`.
///
/// Generic over the ``BlobAnalyzer``, so the swift-syntax analysis plugs in without changing the
/// file set, the cache or the persistence.
///
/// ```swift
/// let index = try RepositoryIndex(at: "/work/project", analyzer: LineCountAnalyzer())
/// let figures = try index.refresh()      // cold, or warm from .git/assist/
/// index.overlay(path: "Sources/a.swift", text: unsavedBuffer)
/// let counts = index.result(for: "Sources/a.swift")
/// ```
///
/// Thread safety: all mutable state lives in one `Mutex<State>`; ``refresh()`` holds it for the
/// whole run, so refreshes are serialised and readers see either the old or the new file set.
public final class RepositoryIndex<Analyzer: BlobAnalyzer>: Sendable {
    /// The analyser whose results the index keeps.
    public let analyzer: Analyzer
    /// The settings.
    public let options: IndexOptions
    /// The cache file (`<git common dir>/assist/index-<analyser>.bin`), or `nil` when persistence is off.
    public let cachePath: String?
    /// The repository's git folder, which worker threads open for themselves.
    private let gitDirectory: String
    private let repository: Repository
    /// The repository's working directory, or its git directory when it is bare.
    public var root: String { repository.workingDirectory ?? repository.gitDirectory }
    private let workingTree: WorkingTree?
    /// Everything that changes; see the type's note on thread safety.
    private let state: Mutex<State>

    private struct Overlay: Sendable {
        var blob: ObjectID?
        var result: Analyzer.Result
    }

    private struct StagedEntries: Sendable {
        var checksum: ObjectID
        var entries: [IndexEntry]
    }

    private struct State: Sendable {
        var cache = ResultCache()
        var cacheLoaded = false
        var files: [IndexedFile] = []
        var positions: [String: Int] = [:]
        var overlays: [String: Overlay] = [:]
        var figures = IndexFigures()
        /// The staging area read by the last refresh, with the index file's checksum.
        var staged: StagedEntries?
        /// Whether the records differ from the cache file.
        var cacheDirty = false
        var cacheFileBytes = 0
    }

    /// Opens the repository at (or above) a path and prepares an empty index; nothing is read
    /// until ``refresh()``.
    ///
    /// - Parameters:
    ///   - path: A folder in the repository's working tree, its `.git` folder, or a bare repository.
    ///   - analyzer: The analyser.
    ///   - options: The settings.
    /// - Throws: ``GitError`` — ``GitError/notARepository(path:)`` naming the path when there is
    ///   no repository.
    public init(at path: String, analyzer: Analyzer, options: IndexOptions = IndexOptions()) throws(GitError) {
        let repository = try Repository.open(at: path)
        self.repository = repository
        self.analyzer = analyzer
        self.options = options
        self.gitDirectory = repository.gitDirectory
        self.workingTree = repository.workingTree
        let safeName = String(analyzer.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        self.cachePath = options.persist ? repository.commonDirectory + "/assist/index-\(safeName).bin" : nil
        self.state = Mutex(State())
    }

    /// The files of the last refresh, sorted by path.
    public var files: [IndexedFile] {
        state.withLock { $0.files }
    }

    /// The figures of the last refresh.
    public var figures: IndexFigures {
        state.withLock { $0.figures }
    }

    /// The file at a path in the last refresh.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    /// - Returns: The file, or `nil` when it is not listed.
    public func file(at path: String) -> IndexedFile? {
        state.withLock { state in state.positions[path].map { state.files[$0] } }
    }

    /// The analysis result for a path: the overlay's when an unsaved buffer is set, otherwise the
    /// result for the file's current content.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - includingOverlay: `false` to get the committed content's result even when a buffer is set.
    /// - Returns: The result, or `nil` when the file is unknown or was skipped.
    public func result(for path: String, includingOverlay: Bool = true) -> Analyzer.Result? {
        let found: (overlay: Overlay?, file: IndexedFile?, record: BlobRecord?, stored: LoadedCacheFile?) = state.withLock { state in
            if includingOverlay, let overlay = state.overlays[path] { return (overlay, nil, nil, nil) }
            guard let position = state.positions[path], let blob = state.files[position].blob,
                  let record = state.cache.records[blob], record.hasPayload
            else { return (nil, nil, nil, nil) }
            return (nil, state.files[position], record, state.cache.file)
        }
        if let overlay = found.overlay { return overlay.result }
        guard let file = found.file, let blob = file.blob, let record = found.record else { return nil }
        // Read outside the lock; a stored result that fails its checksum is made again.
        if let payload = ResultCache.payloadBytes(record, in: found.stored), let result = try? JSONDecoder().decode(Analyzer.Result.self, from: Data(payload)) {
            return result
        }
        guard let bytes = bytes(of: blob, path: path) else { return nil }
        return analyzer.analyze(bytes, path: path)
    }

    /// Sets the unsaved content of a file (an editor buffer), which takes precedence over the
    /// working tree in ``result(for:)`` until ``removeOverlay(path:)``.
    ///
    /// The committed content's cached result is untouched, and the overlay is never persisted.
    /// When the buffer's content equals a blob whose result is known, that result is reused.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - text: The buffer's text.
    /// - Returns: The analysis of the buffer.
    @discardableResult
    public func overlay(path: String, text: String) -> Analyzer.Result {
        let bytes = Array(text.utf8)
        let blob = try? ObjectID.hashBlob(bytes)
        let known: (BlobRecord, LoadedCacheFile?)? = state.withLock { state in
            guard let blob, let record = state.cache.records[blob] else { return nil }
            return (record, state.cache.file)
        }
        let result = known.flatMap { ResultCache.payloadBytes($0.0, in: $0.1) }.flatMap { try? JSONDecoder().decode(Analyzer.Result.self, from: Data($0)) }
            ?? analyzer.analyze(bytes, path: path)
        state.withLock { $0.overlays[path] = Overlay(blob: blob, result: result) }
        return result
    }

    /// Drops the unsaved content of a file; ``result(for:)`` returns the file's own result again.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    public func removeOverlay(path: String) {
        _ = state.withLock { $0.overlays.removeValue(forKey: path) }
    }

    /// The bytes of a blob of the file set: the working-tree file at `path` when it still has that
    /// content, else the object from the repository.
    ///
    /// - Parameters:
    ///   - blob: The blob id.
    ///   - path: A path of the file set with that blob.
    /// - Returns: The bytes, or `nil` when neither holds them.
    public func bytes(of blob: ObjectID, path: String) -> [UInt8]? {
        if let workingTree, case .file(let bytes) = workingTree.read(path), (try? ObjectID.hashBlob(bytes)) == blob {
            return bytes
        }
        return try? repository.blob(blob)
    }

    /// Where HEAD and the staging area are now: HEAD's commit and branch and the index file's
    /// checksum. Another value after a refresh means a commit, checkout, pull or `git add` since.
    public func repositoryFingerprint() -> String {
        let head = (try? repository.head()).map { "\($0.oid ?? "unborn") \($0.branch ?? "detached")" } ?? "no HEAD"
        return head + " " + (repository.indexFileChecksum()?.description ?? "no index")
    }

    /// The paths that have an overlay.
    public var overlaidPaths: [String] {
        state.withLock { $0.overlays.keys.sorted() }
    }

    /// Brings the index up to date with the repository.
    ///
    /// The first call reads the cache file (a warm start) or starts cold. Every call reads the
    /// staging area (or, for a bare repository, `HEAD`'s tree) and `git status`, hashes only the
    /// working-tree files that status reports as changed, and reads and analyses only blobs whose
    /// id has no record yet — in parallel on ``IndexOptions/workers`` threads. When records were
    /// added or dropped, the cache file is rewritten atomically.
    ///
    /// - Parameter progress: Called from worker threads as blobs are analysed, with the number
    ///   done and the number to do (at most about a hundred calls per run); not called when nothing
    ///   needs analysing.
    ///   - analyzed: Called from worker threads with each blob analysed in this run: its id, its
    ///     bytes and the result (so a caller can derive more from the bytes while they are read).
    /// - Returns: The figures of this run.
    /// - Throws: ``GitError`` when the repository cannot be read. A cache file that cannot be read
    ///   or written is never an error: it is rebuilt, and ``IndexFigures/cacheLoad`` says why.
    @discardableResult
    public func refresh(
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil,
        analyzed: (@Sendable (ObjectID, [UInt8], Analyzer.Result) -> Void)? = nil,
        deferSave: Bool = false
    ) throws(GitError) -> IndexFigures {
        try state.withLock { (state) throws(GitError) -> IndexFigures in
            try refreshAll(&state, progress: progress, analyzed: analyzed, save: !deferSave)
        }
    }

    /// Writes the cache file if its records changed since it was written (after a refresh with
    /// `deferSave`, so a caller can first let go of what it built from the analyses).
    ///
    /// - Returns: The last refresh's figures, with the write's time, size and any error.
    @discardableResult
    public func saveCache() -> IndexFigures {
        state.withLock { state in
            var figures = state.figures
            save(&state, figures: &figures)
            state.figures = figures
            return figures
        }
    }

    private func save(_ state: inout State, figures: inout IndexFigures) {
        if let cachePath, state.cacheDirty {
            let start = ContinuousClock.now
            let bytes = state.cache.serialized(analyzerName: analyzer.name, analyzerVersion: analyzer.version)
            do {
                try FileIO.writeAtomically(bytes, to: cachePath)
                state.cacheDirty = false
                state.cacheFileBytes = bytes.count
                figures.cacheWriteError = nil
                // The results now live in the file: read them from there, and let go of the ones
                // held in memory and of the replaced file. Only the file just written is taken
                // (the same records); one another process renamed over it meanwhile is not.
                if case .success(let written)? = ResultCache.load(cachePath, analyzerName: analyzer.name, analyzerVersion: analyzer.version),
                   written.records.count == state.cache.records.count,
                   written.records.keys.allSatisfy({ state.cache.records[$0] != nil })
                {
                    state.cache = written
                }
            } catch {
                figures.cacheWriteError = "\(error)"
            }
            figures.timings[.saveCache] = seconds(since: start)
        }
        figures.cacheFileBytes = state.cacheFileBytes
    }

    /// Brings some paths up to date — files an editor saved, or that a watcher named — without
    /// listing the repository or running a whole `git status`: each path's staged entry and
    /// status are looked up on their own, and only blobs without a record are read. When there was
    /// no refresh before, the repository is bare, or the staging area is not the one the last
    /// refresh read (a commit, checkout or `git add` since), it is a whole ``refresh(progress:analyzed:)``.
    ///
    /// The cache file is not rewritten here (the next whole refresh writes it); a new process
    /// missing a record analyses that blob again.
    ///
    /// - Parameters:
    ///   - paths: Paths from the repository root; paths in `.git/`, absolute paths and paths
    ///     with `..` are ignored.
    ///   - analyzed: As for ``refresh(progress:analyzed:)``.
    /// - Returns: The figures, and the paths whose listing changed — `nil` after a whole refresh.
    /// - Throws: ``GitError`` when the repository cannot be read.
    public func refresh(
        paths: [String], analyzed: (@Sendable (ObjectID, [UInt8], Analyzer.Result) -> Void)? = nil
    ) throws(GitError) -> (figures: IndexFigures, changed: Set<String>?) {
        try state.withLock { (state) throws(GitError) -> (figures: IndexFigures, changed: Set<String>?) in
            guard state.cacheLoaded, let staged = state.staged, workingTree != nil,
                  repository.indexFileChecksum() == staged.checksum
            else { return (try refreshAll(&state, progress: nil, analyzed: analyzed, save: true), nil) }
            let wanted = Set(paths.filter(Self.isPlainPath)).sorted()
            var figures = state.figures
            figures.cacheHits = 0
            figures.cacheMisses = 0
            figures.analyses = 0
            figures.cacheWriteError = nil
            figures.timings = [:]
            var start = ContinuousClock.now
            let changes = Dictionary(try repository.status(of: wanted).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            figures.timings[.status] = seconds(since: start)
            start = ContinuousClock.now
            var listed: [Listed] = []
            for path in wanted {
                if let entry = Self.stagedEntry(path, in: staged.entries) {
                    listed.append(listing(staged: entry, change: changes[path]))
                } else if let change = changes[path], let listing = listing(unstaged: change) {
                    listed.append(listing)
                }
            }
            figures.timings[.listFiles] = seconds(since: start)
            var scratch = IndexFigures()
            let hashed = hashWorkingTree(&listed, figures: &scratch)
            figures.filesHashed = scratch.filesHashed
            figures.timings[.hashWorkingTree] = scratch.timings[.hashWorkingTree]
            let (added, _) = analyzeMissing(
                files: listed, hashed: hashed, cache: &state.cache, figures: &scratch, progress: nil, analyzed: analyzed)
            if added { state.cacheDirty = true }
            (figures.cacheHits, figures.cacheMisses, figures.analyses) = (scratch.cacheHits, scratch.cacheMisses, scratch.analyses)
            figures.timings[.analyze] = scratch.timings[.analyze]
            let fresh = Dictionary(finish(listed, cache: state.cache, figures: &scratch).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })

            var changed = Set<String>()
            var reorder = false
            for path in wanted {
                let old = state.positions[path].map { state.files[$0] }
                let new = fresh[path]
                guard old != new else { continue }
                changed.insert(path)
                if let old { Self.count(old, into: &figures, sign: -1) }
                if let new { Self.count(new, into: &figures, sign: 1) }
                switch (state.positions[path], new) {
                case (let position?, let new?): state.files[position] = new
                case (let position?, nil):
                    state.files.remove(at: position)
                    reorder = true
                case (nil, let new?):
                    var low = 0, high = state.files.count
                    while low < high {
                        let middle = (low + high) / 2
                        if state.files[middle].path.utf8.lexicographicallyPrecedes(path.utf8) { low = middle + 1 } else { high = middle }
                    }
                    state.files.insert(new, at: low)
                    reorder = true
                case (nil, nil): break
                }
                // A file added or gone moves the ones after it.
                if reorder {
                    state.positions = Dictionary(uniqueKeysWithValues: state.files.enumerated().map { ($0.element.path, $0.offset) })
                    reorder = false
                }
            }
            state.figures = figures
            return (figures, changed)
        }
    }

    /// Whether a path names a file inside the working tree the way the file set does.
    static func isPlainPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." || $0 == ".git" }
    }

    /// The first staged entry of a path (stage 0, or the lowest conflict stage), by binary search
    /// of the entries in git's byte order.
    private static func stagedEntry(_ path: String, in entries: [IndexEntry]) -> IndexEntry? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].path.utf8.lexicographicallyPrecedes(path.utf8) { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].path == path ? entries[low] : nil
    }

    /// Adds (`sign` 1) or takes away (-1) one file's share of the counts.
    private static func count(_ file: IndexedFile, into figures: inout IndexFigures, sign: Int) {
        figures.files += sign
        figures.filesByLanguage[file.language, default: 0] += sign
        if let reason = file.skipReason {
            figures.filesSkipped[reason, default: 0] += sign
        } else {
            figures.filesAnalyzed += sign
        }
    }

    private func refreshAll(
        _ state: inout State, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?,
        analyzed: (@Sendable (ObjectID, [UInt8], Analyzer.Result) -> Void)?, save shouldSave: Bool
    ) throws(GitError) -> IndexFigures {
        var figures = IndexFigures()
        if !state.cacheLoaded {
            let start = ContinuousClock.now
            (state.cache, figures.cacheLoad) = loadCache()
            state.cacheLoaded = true
            if case .loaded = figures.cacheLoad {
                state.cacheFileBytes = state.cache.file?.size ?? 0
            } else {
                state.cacheDirty = true
            }
            figures.timings[.loadCache] = seconds(since: start)
        } else {
            figures.cacheLoad = state.figures.cacheLoad
        }

        var listed = try listFiles(figures: &figures, reuse: &state.staged)
        let hashed = hashWorkingTree(&listed, figures: &figures)
        let (changed, used) = analyzeMissing(
            files: listed, hashed: hashed, cache: &state.cache, figures: &figures, progress: progress, analyzed: analyzed)
        if changed {
            state.cacheDirty = true
        }
        let files = finish(listed, cache: state.cache, figures: &figures)

        // Drop records of blobs no file uses any more. `used` holds every blob with a record
        // that a file uses (plus any whose read failed), so equal counts mean nothing to drop.
        if state.cache.records.count != used.count {
            let kept = state.cache.records.filter { used.contains($0.key) }
            if kept.count != state.cache.records.count {
                state.cache.records = kept
                state.cacheDirty = true
            }
        }
        if shouldSave {
            save(&state, figures: &figures)
        } else {
            figures.cacheFileBytes = state.cacheFileBytes
        }
        state.positions = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($0.element.path, $0.offset) })
        state.files = files
        state.figures = figures
        return figures
    }

    // MARK: - Phases

    private func loadCache() -> (ResultCache, CacheLoadOutcome) {
        guard let cachePath else { return (ResultCache(), .disabled) }
        switch ResultCache.load(cachePath, analyzerName: analyzer.name, analyzerVersion: analyzer.version) {
        case nil: return (ResultCache(), .missing)
        case .success(let cache)?: return (cache, .loaded(entries: cache.records.count))
        case .failure(let error)?: return (ResultCache(), .rebuilt(reason: error.description))
        }
    }

    /// A file of the listing before hashing: `blob == nil` and `needsHash` when its content must
    /// come from the working tree.
    private struct Listed {
        var file: IndexedFile
        var needsHash: Bool
    }

    /// Lists files from the staging area and status (or `HEAD`'s tree when bare).
    private func listFiles(figures: inout IndexFigures, reuse: inout StagedEntries?) throws(GitError) -> [Listed] {
        var start = ContinuousClock.now
        if workingTree == nil {
            let tree = try repository.headTree()
            figures.timings[.listFiles] = seconds(since: start)
            return tree.map { entry in
                Listed(file: IndexedFile(
                    path: entry.path, state: .unmodified, mode: entry.mode, blob: entry.oid, size: entry.size,
                    language: .unknown, skipReason: nil), needsHash: false)
            }
        }
        let entries = try stagedEntries(reuse: &reuse)
        figures.timings[.listFiles] = seconds(since: start)
        start = ContinuousClock.now
        let status = try repository.status()
        figures.timings[.status] = seconds(since: start)

        var byPath: [String: StatusEntry] = [:]
        byPath.reserveCapacity(status.count)
        var movedAway = Set<String>()
        for entry in status {
            byPath[entry.path] = entry
            if entry.workTree == .renamed, let original = entry.originalPath { movedAway.insert(original) }
        }

        var listed: [Listed] = []
        listed.reserveCapacity(entries.count + status.count)
        // Status paths that are also index entries; the others are appended after the loop.
        var matched = Set<String>()
        var previousPath: String?
        for entry in entries {
            // Conflict stages of one path are adjacent (the index is sorted): one file.
            if entry.path == previousPath { continue }
            previousPath = entry.path
            if movedAway.contains(entry.path) { continue }
            if byPath[entry.path] != nil { matched.insert(entry.path) }
            listed.append(listing(staged: entry, change: byPath[entry.path]))
        }
        var appended = false
        for entry in status where !matched.contains(entry.path) {
            appended = true
            if let listing = listing(unstaged: entry) { listed.append(listing) }
        }
        // The index is in git's byte order already; only untracked and staged-deleted paths
        // (appended after it) need a sort, by bytes as git sorts.
        if appended {
            listed.sort { $0.file.path.utf8.lexicographicallyPrecedes($1.file.path.utf8) }
        }
        return listed
    }

    /// A staged path's listing, from its entry (the first of its conflict stages) and status.
    private func listing(staged entry: IndexEntry, change: StatusEntry?) -> Listed {
            var file = IndexedFile(
                path: entry.path, state: .unmodified, mode: entry.mode, blob: entry.oid,
                size: entry.mode == .gitlink ? nil : entry.fileSize, language: .unknown, skipReason: nil)
            var needsHash = false
            if let change {
                file.originalPath = change.originalPath
                if change.isConflicted || entry.stage != 0 {
                    file.state = .conflicted
                    needsHash = true
                } else {
                    switch change.workTree {
                    case .deleted?:
                        file.state = .deleted
                    case .modified?, .typeChanged?, .unreadable?:
                        file.state = change.index == .added ? .added : (change.index == .renamed ? .renamed : .modified)
                        needsHash = true
                    default:
                        switch change.index {
                        case .added?: file.state = .added
                        case .renamed?: file.state = .renamed
                        case .deleted?: file.state = .deleted
                        case .modified?, .typeChanged?: file.state = .modified
                        default: break
                        }
                    }
                }
            }
            if file.state == .deleted { file.blob = nil }
            if needsHash { file.blob = nil; file.size = nil }
            return Listed(file: file, needsHash: needsHash && file.mode != .gitlink)
    }

    /// The listing of a path that status names and the staging area lacks; `nil` for none.
    private func listing(unstaged entry: StatusEntry) -> Listed? {
            if entry.path.hasSuffix("/") {
                // An untracked nested repository: listed like a submodule, never entered.
                return Listed(file: IndexedFile(
                    path: String(entry.path.dropLast()), state: .untracked, mode: .gitlink, blob: nil, size: nil,
                    language: .unknown, skipReason: .submodule), needsHash: false)
            }
            var file = IndexedFile(
                path: entry.path, state: .untracked, originalPath: entry.originalPath, mode: .regular, blob: nil,
                size: nil, language: .unknown, skipReason: nil)
            var needsHash = true
            if entry.workTree == .renamed {
                file.state = .renamed
            } else if entry.index == .deleted {
                file.state = .deleted
                needsHash = false
            }
            return Listed(file: file, needsHash: needsHash)
    }

    /// The staging area's entries, reused from the last refresh when the index file's checksum
    /// has not changed (the same bytes), read again otherwise.
    private func stagedEntries(reuse: inout StagedEntries?) throws(GitError) -> [IndexEntry] {
        let checksum = repository.indexFileChecksum()
        if let checksum, let reuse, reuse.checksum == checksum {
            return reuse.entries
        }
        let entries = try repository.indexEntries()
        reuse = checksum.map { StagedEntries(checksum: $0, entries: entries) }
        return entries
    }

    /// Reads and hashes the working-tree files that need it; returns their bytes by blob id.
    private func hashWorkingTree(
        _ listed: inout [Listed], figures: inout IndexFigures
    ) -> [ObjectID: [UInt8]] {
        let start = ContinuousClock.now
        var bytesByBlob: [ObjectID: [UInt8]] = [:]
        var count = 0
        if let workingTree {
            for position in listed.indices where listed[position].needsHash {
                count += 1
                let path = listed[position].file.path
                switch workingTree.read(path) {
                case .file(let bytes):
                    guard let blob = try? ObjectID.hashBlob(bytes) else { continue }
                    listed[position].file.blob = blob
                    listed[position].file.size = bytes.count
                    if listed[position].file.mode == .symlink || !listed[position].file.mode.isRegularFile {
                        listed[position].file.mode = .regular
                    }
                    bytesByBlob[blob] = bytes
                case .symlink(let target):
                    guard let blob = try? ObjectID.hashBlob(target) else { continue }
                    listed[position].file.blob = blob
                    listed[position].file.size = target.count
                    listed[position].file.mode = .symlink
                case .missing:
                    listed[position].file.state = .deleted
                case .refused:
                    listed[position].file.skipReason = .unreadable
                }
            }
        }
        figures.timings[.hashWorkingTree] = seconds(since: start)
        figures.filesHashed = count
        return bytesByBlob
    }

    /// One blob to read and maybe analyse.
    private struct Job: Sendable {
        var blob: ObjectID
        var path: String
        var bytes: [UInt8]?
        /// The size the staging area's stat cache recorded, when there is one: a blob is only
        /// asked for its size first when this is missing or over the limit.
        var sizeHint: Int?
    }

    /// Reads and analyses every blob without a usable record, in parallel; merges the records.
    /// - Returns: Whether any record was added or replaced, and the blobs of analysable files.
    private func analyzeMissing(
        files listed: [Listed], hashed: [ObjectID: [UInt8]], cache: inout ResultCache,
        figures: inout IndexFigures, progress: (@Sendable (Int, Int) -> Void)?,
        analyzed: (@Sendable (ObjectID, [UInt8], Analyzer.Result) -> Void)?
    ) -> (changed: Bool, used: Set<ObjectID>) {
        let start = ContinuousClock.now
        var jobs: [Job] = []
        var planned = Set<ObjectID>()
        var hits = Set<ObjectID>(minimumCapacity: listed.count)
        for entry in listed {
            let file = entry.file
            guard let blob = file.blob, file.mode.isRegularFile, file.skipReason == nil,
                  file.state != .deleted
            else { continue }
            if let record = cache.records[blob] {
                hits.insert(blob)
                // Known content; analyse it only if it was skipped for its language before and
                // this path's language is accepted.
                guard !record.hasPayload, !record.isBinary, record.size <= options.maxFileSize,
                      analyzer.accepts(Language.forPath(file.path) ?? record.shebang ?? .unknown),
                      !planned.contains(blob)
                else { continue }
                planned.insert(blob)
                jobs.append(Job(blob: blob, path: file.path, bytes: hashed[blob], sizeHint: file.size))
            } else if !planned.contains(blob) {
                planned.insert(blob)
                jobs.append(Job(blob: blob, path: file.path, bytes: hashed[blob], sizeHint: file.size))
            }
        }
        figures.cacheHits = hits.subtracting(planned).count
        figures.cacheMisses = planned.count
        hits.formUnion(planned)
        guard !jobs.isEmpty else {
            figures.timings[.analyze] = seconds(since: start)
            return (false, hits)
        }

        let produced = runJobs(jobs, progress: progress, analyzed: analyzed)
        figures.analyses = produced.analyses
        for (blob, record) in produced.records {
            cache.records[blob] = record
        }
        figures.timings[.analyze] = seconds(since: start)
        return (true, hits)
    }

    /// Runs jobs on worker threads; each opens its own repository handle for blob reads.
    private func runJobs(
        _ jobs: [Job], progress: (@Sendable (Int, Int) -> Void)?, analyzed: (@Sendable (ObjectID, [UInt8], Analyzer.Result) -> Void)?
    ) -> (records: [(ObjectID, BlobRecord)], analyses: Int) {
        let workers = min(options.workers, max(1, jobs.count / 16 + 1))
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let step = max(1, jobs.count / 100)
        let collected = Mutex<(records: [(ObjectID, BlobRecord)], analyses: Int)>(([], 0))
        let analyzer = self.analyzer
        let maxFileSize = options.maxFileSize
        let gitDirectory = self.gitDirectory
        let shared = repository
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let repository = worker == 0 ? shared : ((try? Repository.open(at: gitDirectory, searchParents: false)) ?? shared)
            let encoder = JSONEncoder()
            // Object keys in a fixed order, so the same result always encodes to the same bytes.
            encoder.outputFormatting = .sortedKeys
            var records: [(ObjectID, BlobRecord)] = []
            var analyses = 0
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < jobs.count else { break }
                defer {
                    let finished = done.add(1, ordering: .relaxed).newValue
                    if let progress, finished % step == 0 || finished == jobs.count { progress(finished, jobs.count) }
                }
                let job = jobs[position]
                let bytes: [UInt8]
                if let known = job.bytes {
                    bytes = known
                } else {
                    if job.sizeHint.map({ $0 > maxFileSize }) ?? true,
                       let size = try? repository.blobSize(job.blob), size > maxFileSize {
                        records.append((job.blob, BlobRecord(size: size, isBinary: false, shebang: nil, payload: .none)))
                        continue
                    }
                    guard let read = try? repository.blob(job.blob) else { continue }
                    bytes = read
                }
                let isBinary = bytes.prefix(8192).contains(0)
                let shebang = Language.forShebang(bytes)
                var record = BlobRecord(size: bytes.count, isBinary: isBinary, shebang: shebang, payload: .none)
                let language = Language.forPath(job.path) ?? shebang ?? .unknown
                if !isBinary, bytes.count <= maxFileSize, analyzer.accepts(language) {
                    let result = analyzer.analyze(bytes, path: job.path)
                    analyses += 1
                    analyzed?(job.blob, bytes, result)
                    if let encoded = try? encoder.encode(result) {
                        record.payload = .owned(Array(encoded))
                    }
                }
                records.append((job.blob, record))
            }
            collected.withLock { total in
                total.records.append(contentsOf: records)
                total.analyses += analyses
            }
        }
        return collected.withLock { $0 }
    }

    /// Fills in languages, sizes and skip reasons, and counts.
    private func finish(_ listed: [Listed], cache: ResultCache, figures: inout IndexFigures) -> [IndexedFile] {
        var files: [IndexedFile] = []
        files.reserveCapacity(listed.count)
        for entry in listed {
            var file = entry.file
            let record = file.blob.flatMap { cache.records[$0] }
            if file.mode == .gitlink {
                file.skipReason = .submodule
            } else if file.mode == .symlink {
                file.skipReason = .symlink
            } else if file.state == .deleted {
                file.skipReason = .deleted
                file.blob = nil
            }
            if let record {
                if file.mode.isRegularFile { file.size = record.size }
                file.language = Language.forPath(file.path) ?? record.shebang ?? .unknown
            } else {
                file.language = Language.forPath(file.path) ?? .unknown
            }
            if file.skipReason == nil {
                if let record {
                    if record.hasPayload {
                        file.skipReason = nil
                    } else if record.isBinary {
                        file.skipReason = .binary
                    } else if record.size > options.maxFileSize {
                        file.skipReason = .tooLarge
                    } else {
                        file.skipReason = .unsupportedLanguage
                    }
                } else {
                    file.skipReason = .unreadable
                }
            }
            figures.filesByLanguage[file.language, default: 0] += 1
            if let reason = file.skipReason {
                figures.filesSkipped[reason, default: 0] += 1
            } else {
                figures.filesAnalyzed += 1
            }
            files.append(file)
        }
        figures.files = files.count
        return files
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
