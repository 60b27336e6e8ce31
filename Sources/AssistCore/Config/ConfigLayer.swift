/// Which configuration file a text came from; the repository file may not set user-only keys.
public enum ConfigFileOrigin: Sendable, Equatable {
    /// The user file, `$XDG_CONFIG_HOME/assist/config.toml` or `~/.config/assist/config.toml`.
    case user
    /// The repository file, `.assist.toml` at the repository root.
    case repository
}

/// The checked values that one place (a file, the environment, the client) sets.
///
/// Layers are made by ``ConfigLoader`` and combined by ``Configuration``, which applies them in
/// the order of their ``Kind`` whatever order they are given in.
public struct ConfigLayer: Sendable, Equatable {
    /// The kinds of layer, lowest precedence first; see ``Configuration`` for the precedence.
    public enum Kind: Int, Sendable, Equatable, Comparable, CaseIterable, CustomStringConvertible {
        /// The user file.
        case userFile = 1
        /// The repository file.
        case repositoryFile
        /// The environment.
        case environment
        /// The LSP `initializationOptions`.
        case initializationOptions

        /// Orders kinds by precedence, lowest first.
        /// - Parameters:
        ///   - lhs: The first kind.
        ///   - rhs: The second kind.
        /// - Returns: `true` when `lhs` has the lower precedence.
        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The kind in words, for example `user file`.
        public var description: String {
            switch self {
            case .userFile: return "user file"
            case .repositoryFile: return "repository file"
            case .environment: return "environment"
            case .initializationOptions: return "initializationOptions"
            }
        }
    }

    /// One value that a layer sets, and where exactly it was set.
    public struct Entry: Sendable, Equatable {
        /// The value, of the type the schema gives the key.
        public var value: ConfigValue
        /// Where the value was set.
        public var source: ConfigSource

        /// Creates an entry.
        /// - Parameters:
        ///   - value: The value.
        ///   - source: Where the value was set.
        public init(value: ConfigValue, source: ConfigSource) {
            self.value = value
            self.source = source
        }
    }

    /// The place this layer's values come from, which fixes its precedence.
    public let kind: Kind
    /// The values, by dotted key.
    public internal(set) var entries: [String: Entry]
    /// Problems in this layer that must keep every request on this machine until they are fixed
    /// (an invalid `privacy.localOnly` pattern), each naming its place.
    public internal(set) var cloudRefusals: [String] = []

    /// Whether the user controls this layer; the repository file and `initializationOptions` (which
    /// a repository can ship as workspace settings) may only tighten what leaves the machine.
    public var isUsers: Bool { kind == .userFile || kind == .environment }

    init(kind: Kind, entries: [String: Entry] = [:]) {
        self.kind = kind
        self.entries = entries
    }
}
