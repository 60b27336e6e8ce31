import CLibGit2

/// A file whose staged content differs from `HEAD`'s: added to the staging area or changed there.
public struct StagedFile: Hashable, Sendable {
    /// The path from the repository root, with `/` separators.
    public var path: String
    /// The staged blob.
    public var oid: ObjectID
    /// The staged mode.
    public var mode: FileMode
    /// Whether `HEAD` has no file at this path (the file is new, or the branch is unborn).
    public var isNew: Bool
    /// `HEAD`'s blob at this path, or `nil` when the file is new.
    public var headOID: ObjectID?

    /// Makes a staged file.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - oid: The staged blob.
    ///   - mode: The staged mode.
    ///   - isNew: Whether `HEAD` lacks the path.
    ///   - headOID: `HEAD`'s blob at the path, if any.
    public init(path: String, oid: ObjectID, mode: FileMode, isNew: Bool, headOID: ObjectID? = nil) {
        self.headOID = headOID
        self.path = path
        self.oid = oid
        self.mode = mode
        self.isNew = isNew
    }
}

extension Repository {
    /// Reads a staging-area file other than the repository's own, such as the temporary one that
    /// `git commit -a` or `git commit PATH` names in `GIT_INDEX_FILE` while its hooks run.
    ///
    /// - Parameters:
    ///   - indexFile: The index file's absolute path.
    /// - Returns: Every entry, in index order (by path, then stage).
    /// - Throws: ``GitError`` naming the failing libgit2 function (for example a corrupt file).
    public func indexEntries(indexFile: String) throws(GitError) -> [IndexEntry] {
        try withHandle { (_) throws(GitError) -> [IndexEntry] in
            var index: OpaquePointer?
            try check(git_index_open(&index, indexFile), "git_index_open")
            guard let index else { return [] }
            defer { git_index_free(index) }
            return Self.entries(of: index)
        }
    }

    /// The regular files (and executables) whose staged content differs from `HEAD`'s: what the next
    /// commit adds or changes. Deleted files, links, submodules and conflicted paths are left out.
    ///
    /// - Parameters:
    ///   - indexFile: The staging area to read, or `nil` for the repository's own (`<git dir>/index`).
    /// - Returns: The files, in path order.
    /// - Throws: ``GitError`` naming the failing libgit2 function.
    public func stagedFiles(indexFile: String? = nil) throws(GitError) -> [StagedFile] {
        let entries: [IndexEntry]
        if let indexFile {
            entries = try indexEntries(indexFile: indexFile)
        } else {
            entries = try indexEntries()
        }
        var head: [String: TreeEntry] = [:]
        for entry in try headTree() { head[entry.path] = entry }
        let conflicted = Set(entries.filter { $0.stage != 0 }.map(\.path))
        return entries.compactMap { entry in
            guard entry.stage == 0, entry.mode.isRegularFile, !conflicted.contains(entry.path) else { return nil }
            let before = head[entry.path]
            if let before, before.oid == entry.oid { return nil }
            return StagedFile(path: entry.path, oid: entry.oid, mode: entry.mode, isNew: before == nil, headOID: before?.oid)
        }
    }
}
