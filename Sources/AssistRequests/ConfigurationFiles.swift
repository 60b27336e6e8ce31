import AssistCore
import AssistFiles
import Foundation

/// Reads the configuration files and hands their text to `ConfigLoader`, which resolves the one
/// precedence (defaults < user file < repository file < environment < `initializationOptions`).
/// The only configuration code that does IO.
public enum ConfigurationFiles {
    /// The largest configuration file read: 1 MiB. A larger one (or a link, a device, a FIFO where
    /// the repository's file should be) is an error and is not read.
    public static let maximumFileBytes = 1 << 20

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
        func text(_ path: String, _ read: () throws(FileRefusal) -> [UInt8]) -> ConfigFileText? {
            let bytes: [UInt8]
            do {
                bytes = try read()
            } catch {
                if !error.isMissing {
                    diagnostics.append(ConfigDiagnostic(
                        severity: .error, location: .file(path: path, line: nil), key: nil, message: "cannot read the file: \(error.reason)"))
                }
                return nil
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                diagnostics.append(ConfigDiagnostic(severity: .error, location: .file(path: path, line: nil), key: nil, message: "the file is not valid UTF-8"))
                return nil
            }
            return ConfigFileText(path: path, text: text)
        }
        let userPath = ConfigLoader.userFilePath(environment: environment, home: homeDirectory)
        let userFile = text(userPath) { () throws(FileRefusal) in try BoundedFile.read(userPath, limit: maximumFileBytes) }
        // The repository's file is read as the working tree is: a link there is not followed.
        let repositoryFile = repositoryRoot.flatMap { root in
            text(ConfigLoader.repositoryFilePath(repositoryRoot: root)) { () throws(FileRefusal) in
                try FileTree(root: root).read(".assist.toml", limit: maximumFileBytes)
            }
        }
        let (configuration, found) = ConfigLoader.load(
            userFile: userFile, repositoryFile: repositoryFile, environment: environment, initializationOptions: initializationOptions)
        return (configuration, diagnostics + found)
    }
}
