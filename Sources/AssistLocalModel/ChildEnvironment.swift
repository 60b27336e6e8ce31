/// The environment every child of `assist` starts with (pip, python, `llama-server`, git): the
/// process's own, less anything that may be a credential. A model server or a build has no use for
/// API keys, and a child's environment is readable by anyone who can read `/proc/PID/environ`.
public enum ChildEnvironment {
    /// Name endings that mark a credential: the providers' API keys, tokens, secret access keys, …
    static let secretSuffixes = ["_API_KEY", "_APIKEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_ACCESS_KEY", "_PASSWORD", "_CREDENTIALS"]

    /// Whether a variable must not reach a child: every `ASSIST_` setting (the daemon's own, API
    /// keys included) and every name that looks like a credential.
    ///
    /// - Parameter name: The variable's name.
    /// - Returns: `true` when it is left out.
    public static func isWithheld(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.hasPrefix("ASSIST_") { return true }
        return secretSuffixes.contains { upper.hasSuffix($0) } || ["API_KEY", "TOKEN", "PASSWORD"].contains(upper)
    }

    /// The environment for a child.
    ///
    /// - Parameter environment: The process's environment.
    /// - Returns: It without the withheld variables.
    public static func clean(_ environment: [String: String]) -> [String: String] {
        environment.filter { !isWithheld($0.key) }
    }
}
