import Foundation

extension FixtureRepository {
    /// Writes raw bytes to a file in the working tree (for invalid UTF-8, CRLF, NUL bytes),
    /// creating missing folders.
    ///
    /// - Parameters:
    ///   - relativePath: The file's path relative to ``path``.
    ///   - bytes: The exact content.
    /// - Throws: ``FixtureRepositoryError`` when the folder or the file cannot be written.
    public func writeBytes(_ relativePath: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relativePath)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        } catch {
            throw FixtureRepositoryError("cannot write \(url.path): \(error)")
        }
    }

    /// Creates a symbolic link in the working tree.
    ///
    /// - Parameters:
    ///   - relativePath: The link's path relative to ``path``.
    ///   - target: What the link points to, stored as given (relative or absolute).
    /// - Throws: ``FixtureRepositoryError`` when the link cannot be created.
    public func symlink(_ relativePath: String, to target: String) throws {
        do {
            try FileManager.default.createSymbolicLink(atPath: path + "/" + relativePath, withDestinationPath: target)
        } catch {
            throw FixtureRepositoryError("cannot create link \(relativePath) -> \(target): \(error)")
        }
    }

    /// Deletes a file or folder of the working tree (without telling git).
    ///
    /// - Parameters:
    ///   - relativePath: The path relative to ``path``.
    /// - Throws: ``FixtureRepositoryError`` when it cannot be removed.
    public func delete(_ relativePath: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path + "/" + relativePath)
        } catch {
            throw FixtureRepositoryError("cannot remove \(relativePath): \(error)")
        }
    }

    /// Moves a file of the working tree (without telling git).
    ///
    /// - Parameters:
    ///   - from: The old path relative to ``path``.
    ///   - to: The new path relative to ``path``.
    /// - Throws: ``FixtureRepositoryError`` when it cannot be moved.
    public func move(_ from: String, to: String) throws {
        do {
            try FileManager.default.moveItem(atPath: path + "/" + from, toPath: path + "/" + to)
        } catch {
            throw FixtureRepositoryError("cannot move \(from) to \(to): \(error)")
        }
    }

    /// Adds a linked worktree (`git worktree add`) on a new branch, inside the sandbox.
    ///
    /// - Parameters:
    ///   - name: The worktree's folder name inside the sandbox, also the new branch's name.
    /// - Returns: A fixture whose ``path`` is the linked worktree.
    /// - Throws: ``FixtureRepositoryError`` when `git worktree add` fails.
    public func addWorktree(named name: String) throws -> FixtureRepository {
        let destination = sandbox + "/" + name
        try git("worktree", "add", "--quiet", "-b", name, destination)
        guard let resolved = realpath(destination, nil) else {
            throw FixtureRepositoryError("cannot resolve \(destination)")
        }
        defer { free(resolved) }
        return FixtureRepository(sandbox: sandbox, path: String(cString: resolved), isBare: false)
    }

    /// Adds another fixture repository as a submodule at a path and commits it.
    ///
    /// - Parameters:
    ///   - other: The repository to add (its ``path`` is used as the URL).
    ///   - relativePath: Where the submodule goes in this working tree.
    /// - Throws: ``FixtureRepositoryError`` when `git submodule add` or the commit fails.
    public func addSubmodule(_ other: FixtureRepository, at relativePath: String) throws {
        try git("-c", "protocol.file.allow=always", "submodule", "add", "--quiet", other.path, relativePath)
        try git("commit", "--quiet", "-m", "Add submodule \(relativePath)")
    }
}
