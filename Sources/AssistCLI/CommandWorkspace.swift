import ArgumentParser
import AssistCore
import AssistFiles
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
        let (resolved, relative) = Self.inside(URL(fileURLWithPath: file, relativeTo: cwd).standardizedFileURL.path, root: root, named: file, command: command)
        guard FileManager.default.fileExists(atPath: resolved) else { fail("file not found: \(file)") }
        return relative
    }

    /// A path named on the command line, its links resolved, and its path from the repository root;
    /// exits 1 when it resolves outside the root (a link out of the tree included).
    ///
    /// - Parameters:
    ///   - path: The absolute path.
    ///   - root: The repository's working directory.
    ///   - file: The path as the user wrote it, for the message.
    ///   - command: The subcommand, for the message.
    /// - Returns: The resolved absolute path and the path from the root.
    static func inside(_ path: String, root: String, named file: String, command: String) -> (resolved: String, relative: String) {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(resolvedRoot + "/") else { fail(command, "\(file) is outside the repository at \(root)") }
        return (resolved, String(resolved.dropFirst(resolvedRoot.count + 1)))
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

    /// Prints what a change adds that a person should look at, one line each, on standard error.
    func report(_ risks: [EditRisk]) {
        for item in risks {
            FileHandle.standardError.write(Data(
                "assist \(command): risk (\(item.risk.severity.rawValue)) \(item.risk.kind.rawValue) at \(item.path):\(item.risk.line): \(item.risk.text)\n".utf8))
        }
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

/// `--apply`: the checked changes of a request written to the working tree through ``FileTree``
/// (atomically, no link followed, nothing in `.git/`), each only if it still holds what the request
/// read. A change a person must review (``EditPath/reviewReason(_:isExecutable:requested:)``) is
/// never written; then nothing is.
enum FileReplacement {
    /// Writes every change under `root`, or nothing; exits 1 with the reason on the first refusal.
    ///
    /// - Parameters:
    ///   - changes: New content by path, with the content read.
    ///   - reviewOnly: Paths that may not be applied, with the reason.
    ///   - root: The working tree.
    ///   - command: The subcommand, for messages.
    ///   - existing: Whether a path existed when the request read it.
    static func apply(
        _ changes: [String: (old: String, new: String)], reviewOnly: [String: String], risks: [EditRisk] = [],
        allowRisky: Bool = false, root: String, command: String, existing: (String) -> Bool
    ) {
        let high = risks.filter { $0.risk.severity == .high }
        if !high.isEmpty, !allowRisky {
            CommandWorkspace.fail(command, "nothing was applied: the change adds \(high.count) high-risk construct(s) ("
                + high.map { "\($0.risk.kind.rawValue) at \($0.path):\($0.risk.line)" }.joined(separator: ", ")
                + "); review the diff (run without --apply) and pass --allow-risky to apply it anyway")
        }
        if !reviewOnly.isEmpty {
            CommandWorkspace.fail(command, "nothing was applied: the change touches files to review by hand: "
                + reviewOnly.keys.sorted().map { reviewOnly[$0]! }.joined(separator: "; ")
                + " (run without --apply to see the diff)")
        }
        let tree = FileTree(root: root)
        for path in changes.keys.sorted() {
            let change = changes[path]!
            do {
                try tree.write(change.new, to: path, expecting: existing(path) ? .content(Array(change.old.utf8)) : .absent)
            } catch {
                CommandWorkspace.fail(command, error.reason)
            }
        }
    }
}
