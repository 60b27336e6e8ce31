/// `assist/status`: what the daemon is, what it serves and how busy it is.
public struct StatusRequest: RequestType, Hashable {
    public static let method = "assist/status"
    public typealias Response = StatusResult
    public init() {}
}

/// The answer to `assist/status`.
public struct StatusResult: Codable, Sendable, Hashable {
    public var version: String
    public var pid: Int
    /// Seconds since the daemon started.
    public var uptimeSeconds: Double
    /// The repository served, or `nil` when the workspace is not in a git repository.
    public var repository: RepositoryStatus?
    /// Why there is no repository, when there is none.
    public var repositoryError: String?
    public var counters: RequestCounters
    /// How many documents the editor has open.
    public var openDocuments: Int

    public init(
        version: String, pid: Int, uptimeSeconds: Double, repository: RepositoryStatus?, repositoryError: String?,
        counters: RequestCounters, openDocuments: Int
    ) {
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.repository = repository
        self.repositoryError = repositoryError
        self.counters = counters
        self.openDocuments = openDocuments
    }
}

/// The repository the daemon serves.
public struct RepositoryStatus: Codable, Sendable, Hashable {
    /// The working directory, or the git directory of a bare repository.
    public var path: String
    public var gitDirectory: String
    public var isBare: Bool
    public var head: HeadStatus
    public init(path: String, gitDirectory: String, isBare: Bool, head: HeadStatus) {
        self.path = path
        self.gitDirectory = gitDirectory
        self.isBare = isBare
        self.head = head
    }
}

/// Where HEAD points.
public struct HeadStatus: Codable, Sendable, Hashable {
    /// The commit id, absent in a repository with no commits.
    public var oid: String?
    /// The branch, absent when HEAD is detached.
    public var branch: String?
    public var detached: Bool
    public var unborn: Bool
    public init(oid: String?, branch: String?, detached: Bool, unborn: Bool) {
        self.oid = oid
        self.branch = branch
        self.detached = detached
        self.unborn = unborn
    }
}

/// Request counters since the daemon started.
public struct RequestCounters: Codable, Sendable, Hashable {
    /// Requests answered with a result.
    public var served: Int
    /// Requests answered with an error (cancelled ones included).
    public var failed: Int
    /// Requests cancelled by the client.
    public var cancelled: Int
    /// Requests running now (this one included).
    public var inFlight: Int
    public init(served: Int, failed: Int, cancelled: Int, inFlight: Int) {
        self.served = served
        self.failed = failed
        self.cancelled = cancelled
        self.inFlight = inFlight
    }
}

/// The daemon's version, reported by `initialize`, `assist/status` and `assist --version`.
public enum AssistVersion {
    public static let current = "0.1.0"
}
