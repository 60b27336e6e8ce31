import AssistCore
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
    ///   - initializationOptions: The editor's options, flattened to dotted keys.
    /// - Returns: The configuration and every diagnostic found on the way (a file that cannot be read
    ///   included); entries with errors are left out, the rest applies.
    public static func load(
        repositoryRoot: String?, environment: [String: String], homeDirectory: String,
        initializationOptions: [String: ConfigValue] = [:]
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
        let (configuration, found) = ConfigLoader.load(
            userFile: userFile, repositoryFile: repositoryFile, environment: environment, initializationOptions: initializationOptions)
        return (configuration, diagnostics + found)
    }
}
