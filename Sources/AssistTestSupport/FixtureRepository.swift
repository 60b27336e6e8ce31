import Foundation

/// A throwaway git repository on disk, built with the real `git` command-line tool, for tests.
///
/// Each fixture lives in its own fresh temporary folder (the ``sandbox``). The repository is
/// ``path`` inside it; the rest of the sandbox is free for the test (bare clones, folders that are
/// not repositories, a fake home). Every `git` run is hermetic, so fixtures behave the same on a
/// developer machine and on a bare CI machine:
/// - the system and user configuration are ignored (`GIT_CONFIG_NOSYSTEM=1`, `HOME` and
///   `XDG_CONFIG_HOME` point into the sandbox, and inherited `GIT_*` variables are dropped);
/// - the committer identity is passed with `-c user.name=… -c user.email=…` and signing is off;
/// - author and committer dates are fixed at ``fixedDate``, so the same steps give the same ids.
///
/// Call ``remove()`` when done, usually with `defer { fixture.remove() }`.
///
/// ```swift
/// let fixture = try FixtureRepository.make(files: ["README.md": "hello\n"])
/// defer { fixture.remove() }
/// let head = try fixture.git("rev-parse", "HEAD")
/// ```
public struct FixtureRepository: Sendable {
    /// The temporary folder holding the repository and everything else this fixture made;
    /// resolved with `realpath`, so it has no symbolic links (such as macOS's `/tmp`).
    public let sandbox: String
    /// The repository: its working tree, or for a bare repository its git folder. Resolved with
    /// `realpath`, without a trailing slash, so it compares equal to paths that libgit2 reports.
    public let path: String
    /// Whether the repository is bare (has no working tree).
    public let isBare: Bool

    /// The `user.name` every `git` run uses.
    public static let userName = "Assist Fixture"
    /// The `user.email` every `git` run uses.
    public static let userEmail = "fixture@assist.invalid"
    /// The author and committer date of every commit, so that object ids are reproducible.
    public static let fixedDate = "2024-01-01T00:00:00Z"

    /// Creates a repository in a fresh temporary folder, optionally with files and a first commit.
    ///
    /// - Parameters:
    ///   - files: File contents keyed by path relative to the working tree (`"Sources/a.swift"`);
    ///     missing folders are created.
    ///   - commit: Whether to stage everything and make a first commit (message `"Initial commit"`).
    ///     With no files the commit is empty. Pass `false` for a repository whose branch is unborn.
    ///   - initialBranch: The branch `HEAD` points to.
    /// - Returns: The fixture; its working tree is at ``path``.
    /// - Throws: ``FixtureRepositoryError`` when a folder, a file or a `git` run fails.
    public static func make(
        files: [String: String] = [:],
        commit: Bool = true,
        initialBranch: String = "main"
    ) throws -> FixtureRepository {
        let sandbox = try makeSandbox()
        do {
            let path = try createDirectory(atPath: sandbox + "/repo")
            let fixture = FixtureRepository(sandbox: sandbox, path: path, isBare: false)
            _ = try fixture.git("init", "--quiet", "--initial-branch=\(initialBranch)")
            for (relativePath, content) in files.sorted(by: { $0.key < $1.key }) {
                try fixture.write(relativePath, content)
            }
            if commit {
                _ = try fixture.commitAll("Initial commit")
            }
            return fixture
        } catch {
            try? FileManager.default.removeItem(atPath: sandbox)
            throw error
        }
    }

    /// Creates an empty bare repository (no commits) in a fresh temporary folder.
    ///
    /// - Parameters:
    ///   - initialBranch: The branch `HEAD` points to.
    /// - Returns: The fixture; ``path`` is the bare repository, ending in `repo.git`.
    /// - Throws: ``FixtureRepositoryError`` when a folder or the `git` run fails.
    public static func makeBare(initialBranch: String = "main") throws -> FixtureRepository {
        let sandbox = try makeSandbox()
        do {
            let path = try createDirectory(atPath: sandbox + "/repo.git")
            let fixture = FixtureRepository(sandbox: sandbox, path: path, isBare: true)
            _ = try fixture.git("init", "--quiet", "--bare", "--initial-branch=\(initialBranch)")
            return fixture
        } catch {
            try? FileManager.default.removeItem(atPath: sandbox)
            throw error
        }
    }

    /// Makes a bare clone of this repository inside the same sandbox.
    ///
    /// The clone shares the sandbox, so removing either fixture removes both.
    ///
    /// - Parameters:
    ///   - name: The clone's folder name inside the sandbox.
    /// - Returns: A fixture whose ``path`` is the bare clone.
    /// - Throws: ``FixtureRepositoryError`` when `git clone` fails (for example when the name is taken).
    public func cloneBare(named name: String = "clone.git") throws -> FixtureRepository {
        let destination = sandbox + "/" + name
        _ = try Self.runGit(["clone", "--quiet", "--bare", path, destination], in: sandbox, sandbox: sandbox)
        return FixtureRepository(sandbox: sandbox, path: try Self.realPath(destination), isBare: true)
    }

    /// Runs `git` with arguments in the repository and returns its standard output.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after `git`, such as `"rev-parse", "HEAD"`.
    /// - Returns: Standard output with trailing newlines removed.
    /// - Throws: ``FixtureRepositoryError`` with the command, exit status and standard error when `git`
    ///   exits with a non-zero status or cannot be started.
    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try git(arguments)
    }

    /// Runs `git` with an array of arguments in the repository and returns its standard output.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after `git`.
    /// - Returns: Standard output with trailing newlines removed.
    /// - Throws: ``FixtureRepositoryError`` when `git` exits with a non-zero status or cannot be started.
    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        try Self.runGit(arguments, in: path, sandbox: sandbox)
    }

    /// Writes a file in the working tree, creating missing folders and replacing any old content.
    ///
    /// - Parameters:
    ///   - relativePath: The file's path relative to ``path``.
    ///   - content: The text to write, as UTF-8.
    /// - Throws: ``FixtureRepositoryError`` when the folder or the file cannot be written.
    public func write(_ relativePath: String, _ content: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relativePath)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        } catch {
            throw FixtureRepositoryError("cannot write \(url.path): \(error)")
        }
    }

    /// Creates a folder (and its parents) inside the working tree.
    ///
    /// - Parameters:
    ///   - relativePath: The folder's path relative to ``path``.
    /// - Returns: The folder's absolute path.
    /// - Throws: ``FixtureRepositoryError`` when the folder cannot be created.
    @discardableResult
    public func makeDirectory(_ relativePath: String) throws -> String {
        try Self.createDirectory(atPath: path + "/" + relativePath)
    }

    /// Creates a folder (and its parents) inside the sandbox but outside the repository, for
    /// tests that need a path that is not in any git repository.
    ///
    /// - Parameters:
    ///   - name: The folder's path relative to ``sandbox``.
    /// - Returns: The folder's absolute path.
    /// - Throws: ``FixtureRepositoryError`` when the folder cannot be created.
    public func makeScratchDirectory(_ name: String) throws -> String {
        try Self.createDirectory(atPath: sandbox + "/" + name)
    }

    /// Stages every change in the working tree and commits it (even when nothing changed).
    ///
    /// - Parameters:
    ///   - message: The commit message.
    /// - Returns: The new commit's id, 40 hexadecimal digits.
    /// - Throws: ``FixtureRepositoryError`` when `git add` or `git commit` fails.
    @discardableResult
    public func commitAll(_ message: String) throws -> String {
        try git("add", "--all")
        try git("commit", "--quiet", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD")
    }

    /// Deletes the sandbox and everything in it. Errors are ignored: it is a temporary folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: sandbox)
    }

    // MARK: - Running git

    /// Runs `git` hermetically in a folder and returns its standard output.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after `git` (the identity `-c` options come first).
    ///   - directory: The folder to run in.
    ///   - sandbox: The folder used as `HOME`'s parent, for the fake home.
    /// - Returns: Standard output with trailing newlines removed.
    /// - Throws: ``FixtureRepositoryError`` when `git` exits with a non-zero status or cannot be started.
    private static func runGit(_ arguments: [String], in directory: String, sandbox: String) throws -> String {
        let home = sandbox + "/home"
        _ = try createDirectory(atPath: home)

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["HOME"] = home
        environment["XDG_CONFIG_HOME"] = home + "/.config"
        environment["GIT_AUTHOR_DATE"] = fixedDate
        environment["GIT_COMMITTER_DATE"] = fixedDate
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"

        let fullArguments = [
            "git",
            "-c", "user.name=\(userName)",
            "-c", "user.email=\(userEmail)",
            "-c", "commit.gpgSign=false",
            "-c", "tag.gpgSign=false",
            "-c", "core.autocrlf=false",
        ] + arguments
        let command = (["git"] + arguments).joined(separator: " ")

        // Output goes to files rather than pipes: a chatty command cannot fill a pipe buffer and
        // deadlock while we wait for it to exit.
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("assist-fixture-out-\(UUID().uuidString)")
        let errorURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("assist-fixture-err-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil),
              FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        else {
            throw FixtureRepositoryError("cannot create temporary output files for `\(command)`")
        }

        let status: Int32
        do {
            let output = try FileHandle(forWritingTo: outputURL)
            let errors = try FileHandle(forWritingTo: errorURL)
            defer {
                try? output.close()
                try? errors.close()
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = fullArguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            throw FixtureRepositoryError("cannot run `\(command)` in \(directory): \(error)")
        }

        let stdout = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw FixtureRepositoryError(
                "`\(command)` in \(directory) exited with status \(status): "
                    + stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var trimmed = Substring(stdout)
        while trimmed.last == "\n" || trimmed.last == "\r" {
            trimmed.removeLast()
        }
        return String(trimmed)
    }

    // MARK: - Folders

    /// Creates a new, empty, uniquely named temporary folder and returns its real path.
    private static func makeSandbox() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("assist-fixture-\(UUID().uuidString)")
        return try createDirectory(atPath: url.path)
    }

    /// Creates a folder and its parents (succeeding if it exists) and returns its real path.
    private static func createDirectory(atPath path: String) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FixtureRepositoryError("cannot create folder \(path): \(error)")
        }
        return try realPath(path)
    }

    /// Resolves every symbolic link in an existing path, as `realpath(3)` does.
    ///
    /// Foundation's `resolvingSymlinksInPath` is not used because on macOS it maps
    /// `/private/tmp` back to `/tmp`, which is not what libgit2 reports.
    private static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw FixtureRepositoryError("cannot resolve \(path): errno \(errno)")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A failure while building or driving a ``FixtureRepository``.
public struct FixtureRepositoryError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, including the command and its standard error where there was one.
    public let description: String

    /// Makes an error with a message.
    ///
    /// - Parameters:
    ///   - description: What went wrong.
    public init(_ description: String) {
        self.description = description
    }
}
