import CLibGit2

/// Process-wide state of the linked libgit2 library.
///
/// libgit2 must be initialised once before any other call. ``Repository`` does that for you, so
/// callers never need to touch this type except to read ``version``.
public enum LibGit2 {
    /// The outcome of the single `git_libgit2_init` call of this process.
    ///
    /// A `static let` is initialised lazily, exactly once, and thread-safely (the Swift runtime
    /// guards it with `swift_once`), which is what libgit2 asks for. The library is never shut
    /// down: its global state lives as long as the process.
    private static let initialization: Result<Void, GitError> = Result { () throws(GitError) in
        try check(git_libgit2_init(), "git_libgit2_init")
    }

    /// Initialises libgit2 on first use; later calls return the remembered outcome.
    ///
    /// - Throws: ``GitError`` naming `git_libgit2_init` if the library could not initialise.
    static func initialize() throws(GitError) {
        try initialization.get()
    }

    /// The version of the libgit2 library linked at run time, such as `"1.5.1"`.
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        // git_libgit2_version only fills in three integers; it cannot fail in practice, and
        // a failure would leave the zeros, which reads as an obviously unknown version.
        _ = git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
