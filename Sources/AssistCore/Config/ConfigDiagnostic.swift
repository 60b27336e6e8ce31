/// Where a configuration value came from.
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    /// The schema's built-in default (or unset, for a key without a default).
    case defaultValue
    /// A line of the user file.
    case userFile(path: String, line: Int)
    /// A line of the repository file.
    case repositoryFile(path: String, line: Int)
    /// An environment variable.
    case environment(variable: String)
    /// The LSP `initializationOptions` of the client.
    case initializationOptions

    /// The source in words, for example `user file /home/u/.config/assist/config.toml:3`.
    public var description: String {
        switch self {
        case .defaultValue: return "built-in default"
        case .userFile(let path, let line): return "user file \(path):\(line)"
        case .repositoryFile(let path, let line): return "repository file \(path):\(line)"
        case .environment(let variable): return "environment variable \(variable)"
        case .initializationOptions: return "initializationOptions"
        }
    }
}

/// A problem found while reading configuration: it names the place, the key and what is wrong.
///
/// Diagnostics never quote the value of a secret key.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: Sendable, Equatable, CustomStringConvertible {
        /// The entry was ignored.
        case error
        /// The entry was ignored, but it may be intended for something else (an unknown key).
        case warning

        /// `error` or `warning`.
        public var description: String {
            switch self {
            case .error: return "error"
            case .warning: return "warning"
            }
        }
    }

    /// Where a diagnostic's entry came from.
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        /// A configuration file, and the line when the problem is on one.
        case file(path: String, line: Int?)
        /// An environment variable.
        case environment(variable: String)
        /// The LSP `initializationOptions`.
        case initializationOptions

        /// `path:line`, `environment variable NAME` or `initializationOptions`.
        public var description: String {
            switch self {
            case .file(let path, let line?): return "\(path):\(line)"
            case .file(let path, nil): return path
            case .environment(let variable): return "environment variable \(variable)"
            case .initializationOptions: return "initializationOptions"
            }
        }
    }

    /// How serious the problem is.
    public var severity: Severity
    /// Where the problem is, or `nil` when it is nowhere in particular.
    public var location: Location?
    /// The dotted key concerned, or `nil` when the problem is not about one key.
    public var key: String?
    /// What is wrong, as a sentence fragment without the location or key.
    public var message: String

    /// Creates a diagnostic.
    /// - Parameters:
    ///   - severity: How serious the problem is.
    ///   - location: Where the problem is.
    ///   - key: The dotted key concerned.
    ///   - message: What is wrong, without the location or key.
    public init(severity: Severity, location: Location?, key: String?, message: String) {
        self.severity = severity
        self.location = location
        self.key = key
        self.message = message
    }

    /// The file the problem is in, or `nil` when it is not in a file.
    public var path: String? {
        if case .file(let path, _) = location { return path }
        return nil
    }

    /// The 1-based line the problem is on, or `nil` when it is not on a line of a file.
    public var line: Int? {
        if case .file(_, let line) = location { return line }
        return nil
    }

    /// The diagnostic as one line: location, key and message, for example
    /// `/home/u/.config/assist/config.toml:3: server.maxMessageBytes: expected an integer, found a string`.
    public var description: String {
        var result = ""
        if let location { result += "\(location): " }
        if let key { result += "\(key): " }
        return result + message
    }
}
