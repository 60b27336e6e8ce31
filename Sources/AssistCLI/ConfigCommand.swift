import ArgumentParser
import AssistCore
import AssistGit
import AssistRequests
import Foundation

/// `assist config`: the effective configuration, where each value comes from, secrets masked.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration and where each value comes from.",
        discussion: """
            Layers, lowest to highest precedence: built-in defaults, the user file \
            ($XDG_CONFIG_HOME/assist/config.toml or ~/.config/assist/config.toml), the repository file \
            (.assist.toml at the repository root), the environment (ASSIST_<KEY> and the providers' key \
            variables), and an editor's initializationOptions (daemon only). The settings that decide what \
            leaves the machine (routing.offline, routing.escalate, routing.localMaxTokens, privacy.localOnly, \
            privacy.secrets, the budgets) can only be made stricter by the repository file and the editor; a \
            value that would loosen one is shown as "not taken" with the reason. Secrets are masked. Problems \
            in a file are reported as path:line: key: message, and make the exit code 1.
            """
    )

    @Flag(help: "Print JSON instead of TOML-like lines.")
    var json = false

    @Option(help: "The repository whose .assist.toml is read (default: the one containing the current directory).")
    var repository: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let start = repository ?? FileManager.default.currentDirectoryPath
        let repositoryRoot = (try? Repository.open(at: start))?.workingDirectory
        let (configuration, diagnostics) = ConfigurationFiles.load(
            repositoryRoot: repositoryRoot, environment: environment,
            homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
        for diagnostic in diagnostics {
            FileHandle.standardError.write(Data("\(diagnostic.severity == .error ? "error" : "warning"): \(diagnostic)\n".utf8))
        }
        if json {
            var object: [String: Any] = [:]
            for (key, entry) in configuration.snapshot(masked: true) {
                var item: [String: Any] = ["source": entry.source.description, "secret": entry.isSecret]
                switch entry.value {
                case .string(let value)?: item["value"] = value
                case .integer(let value)?: item["value"] = value
                case .double(let value)?: item["value"] = value
                case .bool(let value)?: item["value"] = value
                case .strings(let value)?: item["value"] = value
                case nil: item["value"] = NSNull()
                }
                let notTaken = configuration.notTaken.filter { $0.key == key }
                if !notTaken.isEmpty {
                    item["notTaken"] = notTaken.map { ["value": "\($0.value)", "source": $0.source.description, "reason": $0.reason] }
                }
                if key == ConfigKey.privacyLocalOnly.name, !configuration.cloudRefusals.isEmpty {
                    item["cloudRefusals"] = configuration.cloudRefusals
                }
                object[key] = item
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(configuration.rendered(masked: true), terminator: "")
        }
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
    }
}
