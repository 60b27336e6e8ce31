import ArgumentParser
import AssistRequests
import Foundation
import AssistProtocol

/// The `assist` command line: the daemon and the shell commands.
public struct AssistCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "assist",
        abstract: "A code assistant that answers with diffs known to apply.",
        discussion: """
            Cheap edits go to a small local model, large-context work to a cloud API. Editors talk to \
            `assist serve` over stdio (JSON-RPC 2.0 with LSP framing); see protocol/README.md.
            """,
        version: AssistVersion.current,
        subcommands: [
            ServeCommand.self, ConfigCommand.self, IndexCommand.self, DocstringCommand.self, ModelCommand.self,
            UsageCommand.self, HookCommand.self, ClassifyCommand.self, AskCommand.self, RefactorCommand.self,
            EgressCommand.self,
        ]
    )

    public init() {}

    /// Parses the process's arguments and runs the chosen subcommand, async ones included; exits
    /// with the command's status. (The entry point of the `assist` executable.)
    public static func runFromCommandLine() async {
        // This process is the `assist` executable: the local model may run in the shared host,
        // whose supervisor is this same binary (`assist model host`).
        LocalModel.hostExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
