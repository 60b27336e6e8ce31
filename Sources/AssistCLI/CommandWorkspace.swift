import ArgumentParser
import AssistCore
import AssistGit
import AssistRequests
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The workspace a shell command works in, and how the command reports on standard error: every
/// message is `assist COMMAND: …`, and a failure exits 1.
struct CommandWorkspace {
    var workspace: Workspace
    /// The subcommand's name, for messages.
    var command: String

    var root: String { workspace.root }

    /// Prints `assist COMMAND: message` on standard error and exits 1.
    static func fail(_ command: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("assist \(command): \(message)\n".utf8))
        Foundation.exit(1)
    }

    func fail(_ message: String) -> Never { Self.fail(command, message) }

    /// Opens the repository at or above `path` (the current directory by default) with its
    /// configuration; exits 1 when there is none.
    ///
    /// - Parameters:
    ///   - command: The subcommand's name.
    ///   - path: A directory inside the repository.
    ///   - reportConfiguration: Whether to print the configuration's errors.
    /// - Returns: The workspace.
    static func open(command: String, at path: String? = nil, reportConfiguration: Bool = true) -> CommandWorkspace {
        do {
            let (workspace, diagnostics) = try Workspace.open(
                at: path ?? FileManager.default.currentDirectoryPath, environment: ProcessInfo.processInfo.environment,
                homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path, warn: warning(command))
            if reportConfiguration {
                for diagnostic in diagnostics where diagnostic.severity == .error {
                    FileHandle.standardError.write(Data("assist \(command): \(diagnostic)\n".utf8))
                }
            }
            return CommandWorkspace(workspace: workspace, command: command)
        } catch {
            fail(command, "\(error)")
        }
    }

    /// The workspace of a repository already open, with its configuration read.
    static func open(command: String, repository: Repository) -> CommandWorkspace {
        let environment = ProcessInfo.processInfo.environment
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let (configuration, _) = ConfigurationFiles.load(
            repositoryRoot: repository.workingDirectory, environment: environment, homeDirectory: home)
        let workspace = Workspace(
            repository: repository, configuration: configuration, environment: environment, homeDirectory: home,
            warn: warning(command))
        return CommandWorkspace(workspace: workspace, command: command)
    }

    private static func warning(_ command: String) -> @Sendable (String) -> Void {
        { problem in FileHandle.standardError.write(Data("assist \(command): \(problem)\n".utf8)) }
    }

    /// Brings the index up to date; exits 1 when the repository cannot be read.
    func refreshIndex() async {
        do {
            _ = try await workspace.index(refresh: true)
        } catch {
            fail(error.message)
        }
    }

    /// The path from the root of a file named on the command line; exits 1 when it is outside the
    /// repository or missing.
    func relativePath(of file: String) -> String {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let resolved = URL(fileURLWithPath: file, relativeTo: cwd).standardizedFileURL.resolvingSymlinksInPath().path
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(resolvedRoot + "/") else { fail("\(file) is outside the repository at \(root)") }
        guard FileManager.default.fileExists(atPath: resolved) else { fail("file not found: \(file)") }
        return String(resolved.dropFirst(resolvedRoot.count + 1))
    }

    /// A routed request's events on the terminal: each model call on standard error when it is a
    /// terminal, the answer's text on standard output when `streaming`.
    func events(streaming: Bool = false) -> RequestEvents {
        var events = RequestEvents()
        if isatty(STDERR_FILENO) == 1 {
            let command = self.command
            events.attempt = { backend, attempt in
                FileHandle.standardError.write(Data("assist \(command): asking \(backend) (call \(attempt))…\n".utf8))
            }
        }
        if streaming {
            events.text = { text in FileHandle.standardOutput.write(Data(text.utf8)) }
        }
        return events
    }

    /// Prints a failed request's message and its route's reasons, stops the local model, and exits 1.
    func fail(_ error: any Error) async -> Never {
        await workspace.stop()
        var message = "assist \(command): \(error is CancellationError ? "cancelled" : "\(error)")\n"
        if let error = error as? RoutedRequestError, !error.reasons.isEmpty {
            message += "route:\n" + error.reasons.map { "  \($0.step): \($0.outcome) — \($0.detail)\n" }.joined()
        }
        FileHandle.standardError.write(Data(message.utf8))
        Foundation.exit(1)
    }
}

/// Writing a changed file: atomically, and only if it still holds what the request read.
enum FileReplacement {
    /// Replaces the file at `path` with `text` unless its content is no longer `expected`.
    /// - Returns: `nil` when written, else why not.
    static func write(_ text: String, replacing expected: String?, at path: String) -> String? {
        let current = FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
        guard current == expected else {
            return "\(path) changed since it was read; nothing was written (run the command again)"
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return "cannot create \(directory): \(error.localizedDescription)"
        }
        let temporary = path + ".assist-\(getpid()).tmp"
        let permissions = attributes?[.posixPermissions].map { [FileAttributeKey.posixPermissions: $0] }
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: permissions) else {
            return "cannot write next to \(path)"
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            return "cannot replace \(path): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Writes every change under `root`; refuses paths outside it or in `.git/`. Exits 1 on the first failure.
    static func apply(_ changes: [String: (old: String, new: String)], root: String, command: String, existing: (String) -> Bool) {
        for path in changes.keys.sorted() {
            let change = changes[path]!
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains(".."), path != ".git", !path.hasPrefix(".git/") else {
                CommandWorkspace.fail(command, "refusing to write \(path)")
            }
            if let problem = write(change.new, replacing: existing(path) ? change.old : nil, at: root + "/" + path) {
                CommandWorkspace.fail(command, problem)
            }
        }
    }
}
