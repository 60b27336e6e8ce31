import CLibGit2
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An open git repository.
///
/// The object owns a libgit2 repository handle and frees it when the last reference goes away.
/// It may be shared between tasks and threads: every use of the handle is serialised by a lock.
public final class Repository: @unchecked Sendable {
    /// The `git_repository*` this object owns.
    ///
    /// libgit2 handles are not thread-safe: one `git_repository` must not be used by two threads
    /// at once. The mutex protects it: the pointer can only be reached inside `withLock`, so every
    /// C call on it runs under the lock. This is why the class may be `@unchecked Sendable`.
    private let handle: Mutex<OpaquePointer>

    private init(handle: sending OpaquePointer) {
        self.handle = Mutex(handle)
    }

    deinit {
        handle.withLock { git_repository_free($0) }
    }

    /// Opens the repository at a path, or (by default) the nearest one above it.
    ///
    /// The path may be the working tree, any folder inside it, a `.git` folder, or a bare
    /// repository.
    ///
    /// - Parameters:
    ///   - path: The folder to open, absolute or relative to the current directory.
    ///   - searchParents: Whether to walk up from `path` to its parents until a repository is
    ///     found, as `git` does. When `false`, `path` itself must be a repository.
    /// - Returns: The open repository.
    /// - Throws: ``GitError/notARepository(path:)`` with the absolute path when no repository is
    ///   found; otherwise a ``GitError`` naming `git_repository_open_ext` (for example for an
    ///   unsupported repository format).
    public static func open(at path: String, searchParents: Bool = true) throws(GitError) -> Repository {
        try LibGit2.initialize()
        let flags = searchParents ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        var pointer: OpaquePointer?
        let rc = git_repository_open_ext(&pointer, path, flags, nil)
        if rc == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            throw .notARepository(path: absolutePath(path))
        }
        try check(rc, "git_repository_open_ext")
        guard let pointer else {
            throw .libgit2(
                function: "git_repository_open_ext", code: GIT_ERROR.rawValue,
                errorClass: Int32(bitPattern: GIT_ERROR_INTERNAL.rawValue),
                message: "returned success without a repository")
        }
        return Repository(handle: pointer)
    }

    /// The working tree's folder, without a trailing slash, or `nil` for a bare repository.
    public var workingDirectory: String? {
        withHandle { repo in
            git_repository_workdir(repo).map { Self.trimmingTrailingSlash(String(cString: $0)) }
        }
    }

    /// The repository's git folder (such as `/work/project/.git`, or the bare repository
    /// itself), without a trailing slash.
    public var gitDirectory: String {
        withHandle { repo in
            // git_repository_path never returns NULL for an open repository.
            git_repository_path(repo).map { Self.trimmingTrailingSlash(String(cString: $0)) } ?? ""
        }
    }

    /// Whether the repository is bare (has no working tree).
    public var isBare: Bool {
        withHandle { repo in git_repository_is_bare(repo) == 1 }
    }

    /// Reads what `HEAD` points at.
    ///
    /// A repository without commits is not an error: the result has ``Head/isUnborn`` set and
    /// names the branch `HEAD` points to.
    ///
    /// - Returns: The branch and commit of `HEAD`, or the detached commit.
    /// - Throws: ``GitError`` naming the failing libgit2 function, for example when `HEAD` is
    ///   missing or malformed.
    public func head() throws(GitError) -> Head {
        try withHandle { (repo) throws(GitError) -> Head in
            var reference: OpaquePointer?
            let rc = git_repository_head(&reference, repo)
            if rc == GIT_EUNBORNBRANCH.rawValue {
                git_error_clear()
                return try Self.unbornHead(repo)
            }
            try check(rc, "git_repository_head")
            guard let reference else {
                throw .libgit2(
                    function: "git_repository_head", code: GIT_ERROR.rawValue,
                    errorClass: Int32(bitPattern: GIT_ERROR_INTERNAL.rawValue),
                    message: "returned success without a reference")
            }
            defer { git_reference_free(reference) }

            guard let target = git_reference_target(reference) else {
                throw .libgit2(
                    function: "git_reference_target", code: GIT_ERROR.rawValue,
                    errorClass: Int32(bitPattern: GIT_ERROR_REFERENCE.rawValue),
                    message: "HEAD did not resolve to a commit id")
            }
            let oid = try Self.hex(target)
            // git_repository_head returns HEAD itself when it is detached, and the branch it
            // resolves to otherwise; reading the name avoids a second, racy read of HEAD.
            let name = git_reference_name(reference).map { String(cString: $0) } ?? "HEAD"
            if name == "HEAD" {
                return Head(oid: oid, referenceName: nil, branch: nil, isDetached: true, isUnborn: false)
            }
            return Head(
                oid: oid, referenceName: name, branch: Head.branchName(forReference: name),
                isDetached: false, isUnborn: false)
        }
    }

    // MARK: - Private

    /// Runs `body` with the handle while holding the lock; the only way to reach the pointer.
    func withHandle<T: Sendable, E: Error>(
        _ body: (OpaquePointer) throws(E) -> T
    ) throws(E) -> T {
        try handle.withLock { (pointer: inout sending OpaquePointer) throws(E) -> sending T in
            try body(pointer)
        }
    }

    /// Builds the ``Head`` of a branch without commits from the symbolic target of `HEAD`.
    /// Must be called with the lock held.
    private static func unbornHead(_ repo: OpaquePointer) throws(GitError) -> Head {
        var headReference: OpaquePointer?
        try check(git_reference_lookup(&headReference, repo, "HEAD"), "git_reference_lookup")
        guard let headReference else {
            throw .libgit2(
                function: "git_reference_lookup", code: GIT_ERROR.rawValue,
                errorClass: Int32(bitPattern: GIT_ERROR_INTERNAL.rawValue),
                message: "returned success without a reference")
        }
        defer { git_reference_free(headReference) }
        guard git_reference_type(headReference) == GIT_REFERENCE_SYMBOLIC,
              let target = git_reference_symbolic_target(headReference)
        else {
            throw .libgit2(
                function: "git_reference_symbolic_target", code: GIT_ERROR.rawValue,
                errorClass: Int32(bitPattern: GIT_ERROR_REFERENCE.rawValue),
                message: "HEAD is unborn but not a symbolic reference")
        }
        let name = String(cString: target)
        return Head(
            oid: nil, referenceName: name, branch: Head.branchName(forReference: name),
            isDetached: false, isUnborn: true)
    }

    /// Formats an object id as 40 lowercase hexadecimal digits.
    static func hex(_ oid: UnsafePointer<git_oid>) throws(GitError) -> String {
        let length = Int(GIT_OID_HEXSZ)
        var buffer = [CChar](repeating: 0, count: length + 1)
        try check(git_oid_fmt(&buffer, oid), "git_oid_fmt")
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Drops one trailing `/` (libgit2 ends folder paths with one), keeping `/` itself.
    static func trimmingTrailingSlash(_ path: String) -> String {
        guard path.count > 1, path.hasSuffix("/") else { return path }
        return String(path.dropLast())
    }

    /// Makes `path` absolute against the current directory and removes `.` and `..` parts,
    /// without resolving symbolic links (the error should show the path the caller gave).
    private static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
