import CLibGit2

/// One file recorded in a tree (a commit's snapshot), with its full path.
public struct TreeEntry: Hashable, Sendable {
    /// The path from the repository root, with `/` separators, such as `"Sources/App/main.swift"`.
    public var path: String
    /// The blob id (or, for a ``FileMode/gitlink``, the submodule's commit id).
    public var oid: ObjectID
    /// The mode: regular, executable, symbolic link or gitlink. Subtrees are walked, never listed.
    public var mode: FileMode
    /// The blob's size in bytes, when it was asked for and the entry is a blob; `nil` otherwise.
    public var size: Int?

    /// Makes an entry.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - oid: The object id.
    ///   - mode: The file mode.
    ///   - size: The blob's size in bytes, or `nil`.
    public init(path: String, oid: ObjectID, mode: FileMode, size: Int?) {
        self.path = path
        self.oid = oid
        self.mode = mode
        self.size = size
    }
}

/// One entry of the staging area (`.git/index`).
public struct IndexEntry: Hashable, Sendable {
    /// The path from the repository root, with `/` separators.
    public var path: String
    /// The staged blob id (or submodule commit for a gitlink).
    public var oid: ObjectID
    /// The file mode.
    public var mode: FileMode
    /// The merge stage: `0` normally; `1` (base), `2` (ours), `3` (theirs) during a conflict.
    public var stage: Int
    /// The file size git recorded when it last looked at the working file (its stat cache).
    public var fileSize: Int

    /// Makes an entry.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - oid: The staged object id.
    ///   - mode: The file mode.
    ///   - stage: The merge stage, `0` when not conflicted.
    ///   - fileSize: The size from the stat cache.
    public init(path: String, oid: ObjectID, mode: FileMode, stage: Int, fileSize: Int) {
        self.path = path
        self.oid = oid
        self.mode = mode
        self.stage = stage
        self.fileSize = fileSize
    }
}

/// How one side of a status entry differs.
public enum StatusChange: String, Hashable, Sendable {
    /// New in the staging area (index side only).
    case added
    /// Content changed.
    case modified
    /// Removed.
    case deleted
    /// Moved; ``StatusEntry/originalPath`` holds the old path.
    case renamed
    /// Changed kind (for example a file became a symbolic link).
    case typeChanged
    /// In the working tree, not in the index, and not ignored (working-tree side only).
    case untracked
    /// Present but unreadable (working-tree side only).
    case unreadable
}

/// One path that differs between `HEAD`, the staging area and the working tree, as `git status`
/// reports it.
public struct StatusEntry: Hashable, Sendable {
    /// The path now: in the working tree, or in the index when the working side is unchanged.
    public var path: String
    /// The path before a rename, `nil` when nothing was renamed.
    public var originalPath: String?
    /// How the staging area differs from `HEAD`, `nil` when it does not.
    public var index: StatusChange?
    /// How the working tree differs from the staging area, `nil` when it does not.
    public var workTree: StatusChange?
    /// Whether the path has unresolved merge conflicts.
    public var isConflicted: Bool

    /// Makes an entry.
    ///
    /// - Parameters:
    ///   - path: The current path.
    ///   - originalPath: The path before a rename, or `nil`.
    ///   - index: The staged change, or `nil`.
    ///   - workTree: The unstaged change, or `nil`.
    ///   - isConflicted: Whether the path is conflicted.
    public init(
        path: String, originalPath: String? = nil, index: StatusChange? = nil,
        workTree: StatusChange? = nil, isConflicted: Bool = false
    ) {
        self.path = path
        self.originalPath = originalPath
        self.index = index
        self.workTree = workTree
        self.isConflicted = isConflicted
    }
}

extension Repository {
    /// The folder shared by all worktrees of the repository (for a linked worktree, the main
    /// `.git` folder rather than `.git/worktrees/<name>`), without a trailing slash.
    public var commonDirectory: String {
        withHandle { repo in
            git_repository_commondir(repo).map { Self.trimmingTrailingSlash(String(cString: $0)) } ?? ""
        }
    }

    /// Lists every file in `HEAD`'s tree, walking subtrees; submodules are listed as
    /// ``FileMode/gitlink`` entries and not entered.
    ///
    /// - Parameters:
    ///   - includeSizes: Whether to look up each blob's size (`git_odb_read_header`); this costs
    ///     one object-header read per file.
    /// - Returns: The entries in tree order (git's path order); empty when the branch is unborn.
    /// - Throws: ``GitError`` naming the failing libgit2 function.
    public func headTree(includeSizes: Bool = false) throws(GitError) -> [TreeEntry] {
        try withHandle { (repo) throws(GitError) -> [TreeEntry] in
            var object: OpaquePointer?
            let rc = git_revparse_single(&object, repo, "HEAD^{tree}")
            if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue {
                git_error_clear()
                return []
            }
            try check(rc, "git_revparse_single")
            guard let object else { return [] }
            defer { git_object_free(object) }

            var odb: OpaquePointer?
            if includeSizes {
                try check(git_repository_odb(&odb, repo), "git_repository_odb")
            }
            defer { if let odb { git_odb_free(odb) } }

            var entries: [TreeEntry] = []
            try Self.walk(tree: object, prefix: "", repo: repo, odb: odb, into: &entries)
            return entries
        }
    }

    /// Reads a blob's bytes.
    ///
    /// - Parameters:
    ///   - oid: The blob id.
    /// - Returns: The blob's content, exactly as stored (no filters applied).
    /// - Throws: ``GitError`` naming `git_blob_lookup` when the blob does not exist.
    public func blob(_ oid: ObjectID) throws(GitError) -> [UInt8] {
        try withHandle { (repo) throws(GitError) -> [UInt8] in
            var id = oid.gitOID
            var blob: OpaquePointer?
            try check(git_blob_lookup(&blob, repo, &id), "git_blob_lookup")
            guard let blob else { return [] }
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let content = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: content, count: size))
        }
    }

    /// Reads a blob's size without inflating its content.
    ///
    /// - Parameters:
    ///   - oid: The blob id.
    /// - Returns: The size in bytes.
    /// - Throws: ``GitError`` naming `git_odb_read_header` when the object does not exist.
    public func blobSize(_ oid: ObjectID) throws(GitError) -> Int {
        try withHandle { (repo) throws(GitError) -> Int in
            var odb: OpaquePointer?
            try check(git_repository_odb(&odb, repo), "git_repository_odb")
            defer { git_odb_free(odb) }
            var id = oid.gitOID
            var size = 0
            var type = GIT_OBJECT_ANY
            try check(git_odb_read_header(&size, &type, odb, &id), "git_odb_read_header")
            return size
        }
    }

    /// Reads the staging area (`.git/index`) as it is on disk now.
    ///
    /// - Returns: Every entry, in index order (by path, then stage); empty for a bare repository.
    /// - Throws: ``GitError`` naming the failing libgit2 function (for example a corrupt index).
    public func indexEntries() throws(GitError) -> [IndexEntry] {
        if isBare { return [] }
        return try withHandle { (repo) throws(GitError) -> [IndexEntry] in
            var index: OpaquePointer?
            try check(git_repository_index(&index, repo), "git_repository_index")
            guard let index else { return [] }
            defer { git_index_free(index) }
            // The repository may hold an index loaded earlier; make it match the file on disk.
            try check(git_index_read(index, 0), "git_index_read")
            return Self.entries(of: index)
        }
    }

    /// Every entry of an open libgit2 index, in its order.
    static func entries(of index: OpaquePointer) -> [IndexEntry] {
        let count = git_index_entrycount(index)
        var entries: [IndexEntry] = []
        entries.reserveCapacity(count)
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index, position) else { continue }
            let pointee = entry.pointee
            entries.append(IndexEntry(
                path: String(cString: pointee.path),
                oid: ObjectID(pointee.id),
                mode: FileMode(rawValue: pointee.mode),
                // GIT_INDEX_ENTRY_STAGE(E): (flags & GIT_INDEX_ENTRY_STAGEMASK) >> GIT_INDEX_ENTRY_STAGESHIFT.
                stage: Int((pointee.flags & 0x3000) >> 12),
                fileSize: Int(pointee.file_size)))
        }
        return entries
    }

    /// Compares `HEAD`, the staging area and the working tree, as `git status` does.
    ///
    /// Untracked files are listed one by one (untracked folders are entered), ignored files are
    /// left out, renames are detected both between `HEAD` and the index and between the index and
    /// the working tree, and submodules are not entered. The index file is never written.
    ///
    /// - Returns: The paths that differ, sorted by path; empty for a bare repository.
    /// - Throws: ``GitError`` naming the failing libgit2 function.
    public func status() throws(GitError) -> [StatusEntry] {
        if isBare { return [] }
        return try withHandle { (repo) throws(GitError) -> [StatusEntry] in
            var options = git_status_options()
            try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
            options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
            options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
                | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
                | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX.rawValue
                | GIT_STATUS_OPT_RENAMES_INDEX_TO_WORKDIR.rawValue
                | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
                | GIT_STATUS_OPT_SORT_CASE_SENSITIVELY.rawValue
            var list: OpaquePointer?
            try check(git_status_list_new(&list, repo, &options), "git_status_list_new")
            guard let list else { return [] }
            defer { git_status_list_free(list) }

            let count = git_status_list_entrycount(list)
            var entries: [StatusEntry] = []
            entries.reserveCapacity(count)
            for position in 0..<count {
                guard let entry = git_status_byindex(list, position)?.pointee else { continue }
                if let converted = Self.statusEntry(entry) {
                    entries.append(converted)
                }
            }
            return entries
        }
    }

    /// The status of some paths only, as ``status()`` reports them but without rename detection
    /// (a moved file is a deletion and an addition): each path is matched exactly, so the cost is
    /// that of the paths, not of the working tree. An ignored path, or one that is unchanged,
    /// gives no entry.
    ///
    /// - Parameter paths: Paths from the working tree's root.
    /// - Returns: The entries, sorted by path; empty for a bare repository.
    /// - Throws: ``GitError`` naming the failing libgit2 function.
    public func status(of paths: [String]) throws(GitError) -> [StatusEntry] {
        if isBare || paths.isEmpty { return [] }
        return try withHandle { (repo) throws(GitError) -> [StatusEntry] in
            var entries: [StatusEntry] = []
            for path in Set(paths).sorted() {
                var options = git_status_options()
                try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
                options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
                options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
                    | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
                    | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue
                    | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
                    | GIT_STATUS_OPT_SORT_CASE_SENSITIVELY.rawValue
                var list: OpaquePointer?
                let rc: Int32 = path.withCString { pointer in
                    var strings: [UnsafeMutablePointer<CChar>?] = [UnsafeMutablePointer(mutating: pointer)]
                    return strings.withUnsafeMutableBufferPointer { buffer in
                        options.pathspec = git_strarray(strings: buffer.baseAddress, count: 1)
                        return git_status_list_new(&list, repo, &options)
                    }
                }
                try check(rc, "git_status_list_new")
                guard let list else { continue }
                defer { git_status_list_free(list) }
                for position in 0..<git_status_list_entrycount(list) {
                    guard let entry = git_status_byindex(list, position)?.pointee,
                          let converted = Self.statusEntry(entry), converted.path == path
                    else { continue }
                    entries.append(converted)
                }
            }
            return entries
        }
    }

    // MARK: - Private

    /// Walks one tree recursively, appending its files. Must be called with the lock held.
    private static func walk(
        tree: OpaquePointer, prefix: String, repo: OpaquePointer, odb: OpaquePointer?,
        into entries: inout [TreeEntry]
    ) throws(GitError) {
        let count = git_tree_entrycount(tree)
        for position in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, position),
                  let namePointer = git_tree_entry_name(entry),
                  let idPointer = git_tree_entry_id(entry)
            else { continue }
            let path = prefix + String(cString: namePointer)
            let mode = FileMode(rawValue: git_tree_entry_filemode(entry).rawValue)
            if git_tree_entry_type(entry) == GIT_OBJECT_TREE {
                var subtree: OpaquePointer?
                try check(git_tree_lookup(&subtree, repo, idPointer), "git_tree_lookup")
                guard let subtree else { continue }
                defer { git_tree_free(subtree) }
                try walk(tree: subtree, prefix: path + "/", repo: repo, odb: odb, into: &entries)
                continue
            }
            var size: Int?
            if let odb, mode != .gitlink {
                var length = 0
                var type = GIT_OBJECT_ANY
                try check(git_odb_read_header(&length, &type, odb, idPointer), "git_odb_read_header")
                size = length
            }
            entries.append(TreeEntry(path: path, oid: ObjectID(idPointer.pointee), mode: mode, size: size))
        }
    }

    /// Converts libgit2's status entry; `nil` for an entry that reports nothing of interest.
    private static func statusEntry(_ entry: git_status_entry) -> StatusEntry? {
        let flags = entry.status.rawValue
        func has(_ flag: git_status_t) -> Bool { flags & flag.rawValue != 0 }

        var index: StatusChange?
        if has(GIT_STATUS_INDEX_NEW) { index = .added }
        else if has(GIT_STATUS_INDEX_RENAMED) { index = .renamed }
        else if has(GIT_STATUS_INDEX_DELETED) { index = .deleted }
        else if has(GIT_STATUS_INDEX_TYPECHANGE) { index = .typeChanged }
        else if has(GIT_STATUS_INDEX_MODIFIED) { index = .modified }

        var workTree: StatusChange?
        if has(GIT_STATUS_WT_NEW) { workTree = .untracked }
        else if has(GIT_STATUS_WT_RENAMED) { workTree = .renamed }
        else if has(GIT_STATUS_WT_DELETED) { workTree = .deleted }
        else if has(GIT_STATUS_WT_TYPECHANGE) { workTree = .typeChanged }
        else if has(GIT_STATUS_WT_MODIFIED) { workTree = .modified }
        else if has(GIT_STATUS_WT_UNREADABLE) { workTree = .unreadable }

        let conflicted = has(GIT_STATUS_CONFLICTED)
        guard index != nil || workTree != nil || conflicted else { return nil }

        func path(_ file: git_diff_file) -> String? { file.path.map { String(cString: $0) } }
        let headToIndex = entry.head_to_index?.pointee
        let indexToWorkdir = entry.index_to_workdir?.pointee
        guard let current = indexToWorkdir.flatMap({ path($0.new_file) }) ?? headToIndex.flatMap({ path($0.new_file) })
        else { return nil }

        var original: String?
        if workTree == .renamed, let old = indexToWorkdir.flatMap({ path($0.old_file) }) {
            original = old
        }
        if index == .renamed, let old = headToIndex.flatMap({ path($0.old_file) }) {
            original = old
        }
        return StatusEntry(
            path: current, originalPath: original, index: index, workTree: workTree, isConflicted: conflicted)
    }
}
