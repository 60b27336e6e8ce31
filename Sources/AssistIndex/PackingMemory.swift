import AssistCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a long-lived process (the daemon) remembers between requests so that packing need not
/// read, hash and query the same things again: which working-tree files were last seen holding
/// which blob — trusted again only while their `lstat` is unchanged —, each blob's stored
/// declarations and term counts per line, and the database's term postings and file rows, kept
/// only while the database's `generation` (a new random value at every commit that changes
/// files) is the one they were read at; so are the files declaring each type name. The names each
/// blob uses and each name's subwords are kept too.
///
/// A file is remembered only when its last change is at least ``settleSeconds`` older than the read
/// that hashed it, so a write within the file system's timestamp granularity after the read cannot
/// leave the same `stat` over new content. Nothing here is persisted.
final class PackingMemory: @unchecked Sendable {
    /// A file's identity and change times as `lstat` gives them.
    struct StatKey: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
    }

    /// A blob's declarations as packing sees them and the number of terms before each line.
    struct Stored: Sendable {
        var declarations: [ContextDeclaration]
        var termsBefore: [Int]
    }

    static let settleSeconds: Int64 = 2
    /// The most blobs kept; the table starts afresh when it is full.
    static let capacity = 8_192

    private let lock = NSLock()
    private var verified: [String: (key: StatKey, blob: String)] = [:]
    private var stored: [String: Stored] = [:]
    private let root: String
    private var generation: String?
    private var postings: [String: Postings] = [:]
    private var fileRows: [FileRow]?
    private var fileReads = 0
    private var declarers: [String: [String]] = [:]
    private var referenced: [String: Set<String>] = [:]
    private var parts: [String: [String]] = [:]
    private var pathTerms: [String: Set<String>] = [:]

    /// One term's postings: its document frequency and, for each file holding it (by id,
    /// ascending), its occurrences, whether its name holds it, and its positions in its body.
    struct Postings: Sendable {
        var documentFrequency: Int
        /// The files' ids, ascending.
        var documents: [Int64] = []
        /// Occurrences in each file (name and body).
        var counts: [Int32] = []
        /// Whether each file's name holds the term.
        var inName: [Bool] = []
        /// Where each file's body positions start in ``offsets``: one more entry than files.
        var offsetStarts: [Int] = [0]
        /// The body positions, file after file.
        var offsets: [Int] = []

        /// The body positions of the file at an index of ``documents``.
        func bodyOffsets(at index: Int) -> ArraySlice<Int> { offsets[offsetStarts[index]..<offsetStarts[index + 1]] }
    }

    /// One row of the files table.
    struct FileRow: Sendable {
        var id: Int64
        var path: String
        var length: Double
        var blob: String
    }

    /// Starts a read of the database at a generation: what was kept from another one is dropped.
    func use(generation: String?) {
        lock.withLock {
            guard generation != self.generation || generation == nil else { return }
            self.generation = generation
            postings.removeAll()
            fileRows = nil
            fileReads = 0
            declarers.removeAll()
        }
    }

    /// The files declaring a type of a name, read at a generation, if kept.
    func typeDeclarers(_ name: String, at generation: String?) -> [String]? {
        lock.withLock { generation == nil || generation != self.generation ? nil : declarers[name] }
    }

    /// Keeps the files declaring a type of a name, read at a generation.
    func keep(typeDeclarers paths: [String], of name: String, at generation: String?) {
        lock.withLock {
            guard let generation, generation == self.generation else { return }
            if declarers.count >= Self.capacity { declarers.removeAll() }
            declarers[name] = paths
        }
    }

    /// The names a blob uses, if remembered (content-addressed: never stale).
    func referencedNames(_ blob: String) -> Set<String>? {
        lock.withLock { referenced[blob] }
    }

    /// Remembers the names a blob uses.
    func remember(referencedNames names: Set<String>, of blob: String) {
        lock.withLock {
            if referenced.count >= Self.capacity { referenced.removeAll() }
            referenced[blob] = names
        }
    }

    /// The terms of a path's file name (``nameTerms(of:)``), computed once per path.
    func nameTerms(_ path: String) -> Set<String> {
        if let known = lock.withLock({ pathTerms[path] }) { return known }
        let found = Set(AssistIndex.nameTerms(of: path))
        lock.withLock {
            if pathTerms.count >= Self.capacity * 8 { pathTerms.removeAll() }
            pathTerms[path] = found
        }
        return found
    }

    /// A name's subwords (``QueryTerms/subwords(of:)``), computed once per name.
    func subwords(_ name: String) -> [String] {
        if let known = lock.withLock({ parts[name] }) { return known }
        let found = QueryTerms.subwords(of: name)
        lock.withLock {
            if parts.count >= Self.capacity * 8 { parts.removeAll() }
            parts[name] = found
        }
        return found
    }

    /// A term's postings read at a generation, if kept.
    func postings(_ term: String, at generation: String?) -> Postings? {
        lock.withLock { generation == nil || generation != self.generation ? nil : postings[term] }
    }

    /// Keeps a term's postings read at a generation.
    func keep(_ term: String, _ value: Postings, at generation: String?) {
        lock.withLock {
            guard let generation, generation == self.generation else { return }
            if postings.count >= Self.capacity { postings.removeAll() }
            postings[term] = value
        }
    }

    /// The file rows read at a generation, if kept.
    func files(at generation: String?) -> [FileRow]? {
        lock.withLock { generation == nil || generation != self.generation ? nil : fileRows }
    }

    /// Whether the file rows about to be read at a generation are worth keeping: from the second
    /// read at that generation on, so a process that asks once (a command) never builds them all.
    func wantsFiles(at generation: String?) -> Bool {
        lock.withLock {
            guard let generation, generation == self.generation else { return false }
            fileReads += 1
            return fileReads >= 2
        }
    }

    /// Keeps the file rows read at a generation.
    func keep(files: [FileRow], at generation: String?) {
        lock.withLock {
            guard let generation, generation == self.generation else { return }
            fileRows = files
        }
    }

    init(root: String) {
        self.root = root
    }

    /// `lstat` of a path under the root, or `nil` when it is not a regular file.
    func statKey(_ path: String) -> StatKey? {
        var info = stat()
        guard lstat(root + "/" + path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return StatKey(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }

    /// Remembers that a file held a blob when it was read, if its last change had settled.
    ///
    /// - Parameters:
    ///   - path: The path from the root.
    ///   - blob: The blob id of the bytes read.
    ///   - key: The file's `lstat` taken before the read.
    func remember(_ path: String, blob: String, key: StatKey?) {
        guard let key, statKey(path) == key else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let read = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        guard read - max(key.modified, key.changed) >= Self.settleSeconds * 1_000_000_000 else { return }
        lock.withLock {
            if verified.count >= Self.capacity { verified.removeAll() }
            verified[path] = (key, blob)
        }
    }

    /// Whether a file still holds a blob: it was remembered with it and its `lstat` is unchanged.
    func holds(_ path: String, blob: String) -> Bool {
        guard let known = lock.withLock({ verified[path] }), known.blob == blob else { return false }
        return statKey(path) == known.key
    }

    /// Whether text read between an `lstat` (`key`, taken before the read) and now is a blob's:
    /// the file was remembered holding it with that same `lstat`, and it is still unchanged.
    func holds(_ path: String, blob: String, readAfter key: StatKey?) -> Bool {
        guard let key, let known = lock.withLock({ verified[path] }), known.blob == blob, known.key == key else { return false }
        return statKey(path) == key
    }

    /// A blob's stored declarations and term counts, if remembered.
    func stored(_ blob: String) -> Stored? {
        lock.withLock { stored[blob] }
    }

    /// Remembers a blob's stored declarations and term counts (content-addressed: never stale).
    func remember(_ blob: String, _ value: Stored) {
        lock.withLock {
            if stored.count >= Self.capacity { stored.removeAll() }
            stored[blob] = value
        }
    }
}
