import ArgumentParser
import AssistCore
import AssistGit
import AssistJSONRPC
import AssistRequests
import AssistServer
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `assist serve`: the daemon, speaking JSON-RPC 2.0 with LSP framing over stdin and stdout.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon on stdin/stdout (JSON-RPC 2.0, LSP base-protocol framing).",
        discussion: """
            Editors start this command and talk to it over its standard input and output. Logs go to \
            standard error, or to the file named by the `log.file` setting (ASSIST_LOG_FILE); never to \
            standard output. The repository served is the one `initialize` names (rootUri), else the \
            one containing the current directory. Exits 0 after `shutdown` then `exit`, 1 otherwise.
            """
    )

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let workingDirectory = FileManager.default.currentDirectoryPath
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let repositoryRoot = (try? Repository.open(at: workingDirectory))?.workingDirectory
        let (configuration, diagnostics) = ConfigurationFiles.load(
            repositoryRoot: repositoryRoot, environment: environment, homeDirectory: home)
        let logger = try LogSetup.bootstrap(configuration: configuration, label: "assist.serve")
        for diagnostic in diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "configuration: \(diagnostic)")
        }

        // Keep stdout for frames only: the protocol gets a private copy of fd 1, and fd 1 itself
        // becomes stderr, so a stray print can never corrupt the stream.
        let protocolOutput = dup(STDOUT_FILENO)
        guard protocolOutput >= 0 else { throw ValidationError("cannot duplicate standard output") }
        dup2(STDERR_FILENO, STDOUT_FILENO)
        signal(SIGPIPE, SIG_IGN)

        let server = Server(
            connection: FileDescriptorConnection(input: STDIN_FILENO, output: protocolOutput),
            options: ServerOptions(
                workingDirectory: workingDirectory, environment: environment, homeDirectory: home, logger: logger),
            configuration: configuration
        )
        let code = server.run()
        throw ExitCode(code)
    }
}
