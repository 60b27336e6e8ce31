/// A failure of the local-model installer or of the managed server, with a message meant for the user.
///
/// The message says what went wrong and, where there is one, what to do about it.
public struct LocalModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, so that callers and tests can tell failures apart.
    public enum Kind: String, Sendable, Equatable {
        /// A tool that the installer needs (python3, its venv module, pip) is missing.
        case missingTool
        /// A child process (pip, python) failed.
        case commandFailed
        /// A downloaded or cached file does not have the expected sha256.
        case checksumMismatch
        /// Something expected in the cache is not there (run `assist model install`).
        case notInstalled
        /// The server could not be started or did not become healthy.
        case serverFailed
        /// A file-system operation failed.
        case fileSystem
    }

    /// The kind of failure.
    public let kind: Kind
    /// A sentence for the user: what went wrong and what to do.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - kind: The kind of failure.
    ///   - message: A sentence for the user.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
