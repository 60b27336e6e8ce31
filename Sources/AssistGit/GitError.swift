import CLibGit2

/// A failure reported by ``AssistGit``.
///
/// The error is a struct wrapping a private enum, so new kinds of failure can be added without
/// breaking callers that switch over them. Read the details through the accessors, compare with
/// `==`, or show ``description`` to a person.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Backing: Sendable, Equatable {
        /// A libgit2 function returned a negative code.
        case libgit2(function: String, code: Int32, errorClass: Int32, message: String)
        /// No repository was found at (or, when searching, above) a path.
        case notARepository(path: String)
    }

    private let backing: Backing

    private init(_ backing: Backing) {
        self.backing = backing
    }

    /// Makes the error for a path where no git repository could be found.
    ///
    /// - Parameters:
    ///   - path: The absolute path that was searched.
    /// - Returns: An error whose ``description`` reads
    ///   `not a git repository (or any parent up to the filesystem root): <path>`.
    public static func notARepository(path: String) -> GitError {
        GitError(.notARepository(path: path))
    }

    /// Makes the error for a failed libgit2 call.
    ///
    /// - Parameters:
    ///   - function: The name of the libgit2 function that failed, such as `"git_repository_head"`.
    ///   - code: The negative return code (a `git_error_code`, such as `-3` for `GIT_ENOTFOUND`).
    ///   - errorClass: The error class libgit2 reported (a `git_error_t`), `0` when none.
    ///   - message: The message libgit2 reported, empty when none.
    /// - Returns: The error.
    static func libgit2(function: String, code: Int32, errorClass: Int32, message: String) -> GitError {
        GitError(.libgit2(function: function, code: code, errorClass: errorClass, message: message))
    }

    /// The name of the libgit2 function that failed, or `nil` when the failure is not a libgit2 call.
    public var function: String? {
        guard case .libgit2(let function, _, _, _) = backing else { return nil }
        return function
    }

    /// The negative code the libgit2 function returned (for example `-3`, `GIT_ENOTFOUND`), or
    /// `nil` when the failure is not a libgit2 call.
    public var code: Int32? {
        guard case .libgit2(_, let code, _, _) = backing else { return nil }
        return code
    }

    /// The libgit2 error class (for example `6`, `GIT_ERROR_REPOSITORY`), or `nil` when the
    /// failure is not a libgit2 call. `0` means libgit2 left no error details.
    public var errorClass: Int32? {
        guard case .libgit2(_, _, let errorClass, _) = backing else { return nil }
        return errorClass
    }

    /// The message libgit2 reported with the failure, or `nil` when the failure is not a libgit2 call.
    public var message: String? {
        guard case .libgit2(_, _, _, let message) = backing else { return nil }
        return message
    }

    /// The path that is not inside a git repository, or `nil` for other failures.
    public var notARepositoryPath: String? {
        guard case .notARepository(let path) = backing else { return nil }
        return path
    }

    /// Whether this error says that no git repository was found.
    public var isNotARepository: Bool {
        notARepositoryPath != nil
    }

    /// A one-line explanation for people, naming the failing function or path.
    public var description: String {
        switch backing {
        case .notARepository(let path):
            return "not a git repository (or any parent up to the filesystem root): \(path)"
        case .libgit2(let function, let code, let errorClass, let message):
            let text = message.isEmpty ? "no error message" : message
            return "\(function) failed: \(text) (code \(code) \(Self.codeName(code)), class \(Self.className(errorClass)))"
        }
    }

    /// The C name of a `git_error_code`, or `"GIT_E?"` for one this wrapper does not know.
    private static func codeName(_ code: Int32) -> String {
        switch code {
        case GIT_ERROR.rawValue: "GIT_ERROR"
        case GIT_ENOTFOUND.rawValue: "GIT_ENOTFOUND"
        case GIT_EEXISTS.rawValue: "GIT_EEXISTS"
        case GIT_EAMBIGUOUS.rawValue: "GIT_EAMBIGUOUS"
        case GIT_EBUFS.rawValue: "GIT_EBUFS"
        case GIT_EUSER.rawValue: "GIT_EUSER"
        case GIT_EBAREREPO.rawValue: "GIT_EBAREREPO"
        case GIT_EUNBORNBRANCH.rawValue: "GIT_EUNBORNBRANCH"
        case GIT_EUNMERGED.rawValue: "GIT_EUNMERGED"
        case GIT_EINVALIDSPEC.rawValue: "GIT_EINVALIDSPEC"
        case GIT_ELOCKED.rawValue: "GIT_ELOCKED"
        case GIT_EMODIFIED.rawValue: "GIT_EMODIFIED"
        case GIT_EPEEL.rawValue: "GIT_EPEEL"
        case GIT_EEOF.rawValue: "GIT_EEOF"
        case GIT_EINVALID.rawValue: "GIT_EINVALID"
        case GIT_EDIRECTORY.rawValue: "GIT_EDIRECTORY"
        case GIT_EMISMATCH.rawValue: "GIT_EMISMATCH"
        case GIT_EOWNER.rawValue: "GIT_EOWNER"
        default: "GIT_E?"
        }
    }

    /// A short name for a `git_error_t` class, such as `"repository"`, with the number beside it.
    private static func className(_ errorClass: Int32) -> String {
        let name: String
        switch UInt32(bitPattern: errorClass) {
        case GIT_ERROR_NONE.rawValue: name = "none"
        case GIT_ERROR_NOMEMORY.rawValue: name = "nomemory"
        case GIT_ERROR_OS.rawValue: name = "os"
        case GIT_ERROR_INVALID.rawValue: name = "invalid"
        case GIT_ERROR_REFERENCE.rawValue: name = "reference"
        case GIT_ERROR_ZLIB.rawValue: name = "zlib"
        case GIT_ERROR_REPOSITORY.rawValue: name = "repository"
        case GIT_ERROR_CONFIG.rawValue: name = "config"
        case GIT_ERROR_ODB.rawValue: name = "odb"
        case GIT_ERROR_INDEX.rawValue: name = "index"
        case GIT_ERROR_OBJECT.rawValue: name = "object"
        case GIT_ERROR_TREE.rawValue: name = "tree"
        case GIT_ERROR_THREAD.rawValue: name = "thread"
        case GIT_ERROR_CHECKOUT.rawValue: name = "checkout"
        case GIT_ERROR_FILESYSTEM.rawValue: name = "filesystem"
        case GIT_ERROR_WORKTREE.rawValue: name = "worktree"
        case GIT_ERROR_INTERNAL.rawValue: name = "internal"
        default: name = "other"
        }
        return "\(errorClass) \(name)"
    }
}

/// Turns a libgit2 return code into a thrown ``GitError``; every C call in this module goes
/// through it.
///
/// libgit2 keeps its last error in thread-local storage, so this must run on the thread that
/// made the call, right after it (which it does: the callers are synchronous). After reading the
/// error it clears it, so a later failure that sets no message cannot show a stale one.
///
/// - Parameters:
///   - rc: The value the libgit2 function returned; negative means failure.
///   - function: The name of that function, such as `"git_repository_open_ext"`.
/// - Returns: `rc` unchanged when it is not negative (some functions return counts or booleans).
/// - Throws: ``GitError`` carrying `function`, `rc`, and the class and message from `git_error_last()`.
@discardableResult
func check(_ rc: Int32, _ function: String) throws(GitError) -> Int32 {
    guard rc < 0 else { return rc }
    var errorClass: Int32 = 0
    var message = ""
    if let last = git_error_last() {
        errorClass = last.pointee.klass
        if let text = last.pointee.message {
            message = String(cString: text)
        }
    }
    git_error_clear()
    throw GitError.libgit2(function: function, code: rc, errorClass: errorClass, message: message)
}
