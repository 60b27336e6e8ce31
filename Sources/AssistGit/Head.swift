/// What a repository's `HEAD` points at.
///
/// There are three shapes:
/// - on a branch with commits: ``oid``, ``referenceName`` and ``branch`` are set;
/// - on a branch with no commits yet (a fresh repository): ``isUnborn`` is `true`, ``oid`` is
///   `nil`, and ``referenceName`` and ``branch`` name the branch `HEAD` points to;
/// - detached: ``isDetached`` is `true`, ``oid`` is set, ``referenceName`` and ``branch`` are `nil`.
public struct Head: Sendable, Equatable {
    /// The commit `HEAD` resolves to, as 40 lowercase hexadecimal digits, or `nil` when the branch is unborn.
    public var oid: String?
    /// The full name of the branch reference, such as `"refs/heads/main"`, or `nil` when detached.
    public var referenceName: String?
    /// The short branch name, such as `"main"`, or `nil` when detached or when `HEAD` points
    /// outside `refs/heads/`.
    public var branch: String?
    /// Whether `HEAD` holds a commit id directly instead of naming a branch.
    public var isDetached: Bool
    /// Whether `HEAD` names a branch that has no commits yet.
    public var isUnborn: Bool

    /// Makes a value describing `HEAD`.
    ///
    /// - Parameters:
    ///   - oid: The commit id as 40 hexadecimal digits, or `nil` when unborn.
    ///   - referenceName: The full reference name, or `nil` when detached.
    ///   - branch: The short branch name, or `nil` when detached.
    ///   - isDetached: Whether `HEAD` is detached.
    ///   - isUnborn: Whether the branch has no commits yet.
    public init(oid: String?, referenceName: String?, branch: String?, isDetached: Bool, isUnborn: Bool) {
        self.oid = oid
        self.referenceName = referenceName
        self.branch = branch
        self.isDetached = isDetached
        self.isUnborn = isUnborn
    }

    /// The short branch name for a full reference name: `"refs/heads/main"` gives `"main"`, and
    /// anything outside `refs/heads/` gives `nil`.
    static func branchName(forReference name: String) -> String? {
        let prefix = "refs/heads/"
        guard name.hasPrefix(prefix), name.count > prefix.count else { return nil }
        return String(name.dropFirst(prefix.count))
    }
}
