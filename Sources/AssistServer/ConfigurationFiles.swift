import AssistCore
import AssistProtocol
import Foundation

/// Reads the configuration files and hands their text to `ConfigLoader`, which resolves the one
/// precedence (defaults < user file < repository file < environment < `initializationOptions`).
/// The only configuration code that does IO.
public enum ConfigurationFiles {
    /// Loads and resolves the configuration.
    ///
    /// - Parameters:
    ///   - repositoryRoot: The repository's working directory, where `.assist.toml` lives; `nil` for none.
    ///   - environment: The process environment.
    ///   - homeDirectory: The user's home, for `~/.config/assist/config.toml`.
    ///   - initializationOptions: The LSP client's options, if any.
    /// - Returns: The configuration and every diagnostic found on the way (a file that cannot be read
    ///   included); entries with errors are left out, the rest applies.
    public static func load(
        repositoryRoot: String?, environment: [String: String], homeDirectory: String,
        initializationOptions: JSONValue? = nil
    ) -> (Configuration, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        func read(_ path: String) -> ConfigFileText? {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(ConfigDiagnostic(severity: .error, location: .file(path: path, line: nil), key: nil, message: "cannot read the file"))
                return nil
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(severity: .error, location: .file(path: path, line: nil), key: nil, message: "the file is not valid UTF-8"))
                return nil
            }
            return ConfigFileText(path: path, text: text)
        }
        let userFile = read(ConfigLoader.userFilePath(environment: environment, home: homeDirectory))
        let repositoryFile = repositoryRoot.flatMap { read(ConfigLoader.repositoryFilePath(repositoryRoot: $0)) }
        var options: [String: ConfigValue] = [:]
        if let initializationOptions {
            var unsupported: [String] = []
            flatten(initializationOptions, prefix: "", into: &options, unsupported: &unsupported)
            diagnostics += unsupported.map {
                ConfigDiagnostic(
                    severity: .error, location: .initializationOptions, key: $0,
                    message: "unsupported value: expected a string, number, boolean or array of strings")
            }
        }
        let (configuration, found) = ConfigLoader.load(
            userFile: userFile, repositoryFile: repositoryFile, environment: environment, initializationOptions: options)
        return (configuration, diagnostics + found)
    }

    /// Flattens nested JSON objects into dotted keys: `{"server": {"maxMessageBytes": 1}}` →
    /// `server.maxMessageBytes`.
    static func flatten(_ value: JSONValue, prefix: String, into flat: inout [String: ConfigValue], unsupported: inout [String]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                flatten(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &flat, unsupported: &unsupported)
            }
        case .string(let string): flat[prefix] = .string(string)
        case .integer(let integer): flat[prefix] = .integer(integer)
        case .double(let double): flat[prefix] = .double(double)
        case .bool(let bool): flat[prefix] = .bool(bool)
        case .array(let elements):
            let strings = elements.compactMap(\.stringValue)
            if strings.count == elements.count { flat[prefix] = .strings(strings) } else { unsupported.append(prefix) }
        case .null:
            break
        }
    }
}
