#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file of a tree could not be read or written.
public struct FileRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, naming the path.
    public var reason: String
    /// Whether nothing is at the path (as opposed to something that may not be used).
    public var isMissing: Bool
    public var description: String { reason }

    /// Creates a refusal.
    /// - Parameters:
    ///   - reason: What went wrong.
    ///   - isMissing: Whether nothing is there.
    public init(_ reason: String, isMissing: Bool = false) {
        self.reason = reason
        self.isMissing = isMissing
    }
}

/// The one way `assist` reads and writes the files of a folder it works in: a repository's working
/// tree, or a folder of its own (`<git dir>/assist/`, the hooks folder, the usage file's folder).
///
/// Every path is relative and is resolved one component at a time from the root with
/// `openat(…, O_NOFOLLOW)`: no symbolic link is ever followed, neither a folder on the way nor the
/// file itself, so a link cannot lead a read or a write out of the root or into `.git/`. In a
/// working tree, `.git/` may be neither read nor written, except `.git/assist/`. Reads are bounded
/// and take regular files only (never a device or a FIFO, which could block or never end). Writes
/// are atomic — a temporary file in the same folder, `fsync`, then `rename` — keep the file's mode,
/// and happen only if the file still holds what the caller read.
public struct FileTree: Sendable {
    /// What the tree is, which decides what may be written.
    public enum Kind: Sendable, Equatable {
        /// A repository's working tree: nothing under `.git/` but `.git/assist/`.
        case workingTree
        /// A folder that belongs to `assist`: anything below it.
        case owned
    }

    /// The tree's root folder, an absolute path.
    public let root: String
    public let kind: Kind

    /// The largest file read when a caller names no limit: 16 MiB.
    public static let defaultReadLimit = 16 << 20

    /// Makes a tree.
    /// - Parameters:
    ///   - root: The root folder.
    ///   - kind: A working tree, or a folder of `assist`'s own.
    public init(root: String, kind: Kind = .workingTree) {
        self.root = root
        self.kind = kind
    }

    // MARK: - Paths

    /// The components of a relative path, or why it is not one this tree takes.
    func components(of path: String, writing: Bool) throws(FileRefusal) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !path.hasPrefix("/"), !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              !path.utf8.contains(0)
        else {
            throw FileRefusal("\(path) is not a path inside \(root)")
        }
        if kind == .workingTree, parts[0] == ".git", !(parts.count > 2 && parts[1] == "assist") {
            throw FileRefusal("\(path) is inside .git/, which \(writing ? "is never written" : "is not read") (only .git/assist/ is)")
        }
        return parts
    }

    /// Opens the folder holding a path's last component, walking from the root without following links.
    private func openParent(_ parts: [String], path: String, create: Bool) throws(FileRefusal) -> Int32 {
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw FileRefusal("cannot open \(root) (\(Self.errorText()))", isMissing: errno == ENOENT) }
        for part in parts.dropLast() {
            var next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0, errno == ENOENT, create {
                if mkdirat(directory, part, 0o755) != 0, errno != EEXIST {
                    let text = Self.errorText()
                    close(directory)
                    throw FileRefusal("cannot create the folder \(part) of \(path) (\(text))")
                }
                next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let error = errno
                close(directory)
                if error == ENOENT { throw FileRefusal("\(path) does not exist", isMissing: true) }
                if error == ELOOP || error == ENOTDIR {
                    throw FileRefusal("\(part) in \(path) is a symbolic link or not a folder; assist never follows links")
                }
                throw FileRefusal("cannot open \(part) in \(path) (\(Self.errorText(error)))")
            }
            close(directory)
            directory = next
        }
        return directory
    }

    // MARK: - Reading

    /// Reads a regular file of the tree.
    ///
    /// - Parameters:
    ///   - path: The path from the root.
    ///   - limit: The most bytes; a larger file is refused.
    /// - Returns: The bytes.
    /// - Throws: ``FileRefusal``: missing (``FileRefusal/isMissing``), a link on the way or at the
    ///   end, not a regular file, over the limit, or inside `.git/`.
    public func read(_ path: String, limit: Int = defaultReadLimit) throws(FileRefusal) -> [UInt8] {
        let parts = try components(of: path, writing: false)
        let directory = try openParent(parts, path: path, create: false)
        defer { close(directory) }
        return try Self.readFile(at: directory, name: parts[parts.count - 1], path: path, limit: limit)
    }

    /// Reads a file as UTF-8 text, or `nil` when it cannot be read or is not UTF-8.
    public func text(_ path: String, limit: Int = defaultReadLimit) -> String? {
        guard let bytes = try? read(path, limit: limit) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func readFile(at directory: Int32, name: String, path: String, limit: Int, followLink: Bool = false) throws(FileRefusal) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a file.
        let file = openat(directory, name, O_RDONLY | (followLink ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            let error = errno
            if error == ENOENT { throw FileRefusal("\(path) does not exist", isMissing: true) }
            if error == ELOOP { throw FileRefusal("\(path) is a symbolic link; assist never follows links") }
            throw FileRefusal("cannot open \(path) (\(errorText(error)))")
        }
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0 else { throw FileRefusal("cannot stat \(path) (\(errorText()))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw FileRefusal("\(path) is not a regular file") }
        guard Int(info.st_size) <= limit else {
            throw FileRefusal("\(path) has \(info.st_size) bytes, over the limit of \(limit)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= limit else { throw FileRefusal("\(path) grew over the limit of \(limit) bytes while it was read") }
                bytes.append(contentsOf: repeatElement(0, count: 4096))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(file, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count < 0 { throw FileRefusal("cannot read \(path) (\(errorText()))") }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw FileRefusal("\(path) is over the limit of \(limit) bytes") }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Whether a file of the tree is executable by its owner; `false` when it cannot be looked at.
    public func isExecutable(_ path: String) -> Bool {
        guard let parts = try? components(of: path, writing: false),
              let directory = try? openParent(parts, path: path, create: false)
        else { return false }
        defer { close(directory) }
        var info = stat()
        guard fstatat(directory, parts[parts.count - 1], &info, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o111 != 0
    }

    // MARK: - Writing

    /// What a write expects to find at the path.
    public enum Expectation: Sendable, Equatable {
        /// Nothing: the file is new.
        case absent
        /// Exactly these bytes (what the request read).
        case content([UInt8])
        /// Anything, or nothing (a file of `assist`'s own that it alone writes).
        case any
    }

    /// Replaces (or creates) a file atomically, only if it still holds what was expected.
    ///
    /// - Parameters:
    ///   - bytes: The new content.
    ///   - path: The path from the root.
    ///   - expected: What must be there just before the rename.
    ///   - mode: The new file's permissions; by default the old file's, else 0644.
    ///   - createFolders: Whether missing folders on the way are made.
    ///   - durable: Whether to `fsync` before the rename; a cache that checks itself can skip it.
    /// - Throws: ``FileRefusal`` when nothing was written, saying why.
    public func write(
        _ bytes: [UInt8], to path: String, expecting expected: Expectation, mode: mode_t? = nil, createFolders: Bool = true,
        durable: Bool = true
    ) throws(FileRefusal) {
        let parts = try components(of: path, writing: true)
        let directory = try openParent(parts, path: path, create: createFolders)
        defer { close(directory) }
        let name = parts[parts.count - 1]
        var info = stat()
        var existingMode: mode_t?
        if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: existingMode = info.st_mode & 0o7777
            case S_IFLNK: throw FileRefusal("\(path) is a symbolic link; assist never writes through links")
            default: throw FileRefusal("\(path) is not a regular file, so no new file is renamed over it")
            }
        } else if errno != ENOENT {
            throw FileRefusal("cannot look at \(path) (\(Self.errorText()))")
        }
        try check(expected, directory: directory, name: name, path: path, exists: existingMode != nil)

        let temporary = ".\(name).assist-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let permissions = mode ?? existingMode ?? 0o644
        let file = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard file >= 0 else { throw FileRefusal("cannot write next to \(path) (\(Self.errorText()))") }
        var failure: FileRefusal?
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in Glibc.write(file, buffer.baseAddress! + written, buffer.count - written) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                failure = FileRefusal("cannot write \(path) (\(Self.errorText()))")
                break
            }
            written += count
        }
        // The umask may have narrowed the mode given to openat; the file keeps the one asked for.
        if failure == nil, fchmod(file, permissions) != 0 { failure = FileRefusal("cannot set the mode of \(path) (\(Self.errorText()))") }
        if failure == nil, durable, fsync(file) != 0 { failure = FileRefusal("cannot flush \(path) (\(Self.errorText()))") }
        close(file)
        if failure == nil {
            do {
                try check(expected, directory: directory, name: name, path: path, exists: nil)
            } catch {
                failure = error
            }
        }
        if failure == nil, renameat(directory, temporary, directory, name) != 0 {
            failure = FileRefusal("cannot rename the new \(path) into place (\(Self.errorText()))")
        }
        if let failure {
            unlinkat(directory, temporary, 0)
            throw failure
        }
        if durable { _ = fsync(directory) }
    }

    /// Text, as UTF-8.
    public func write(
        _ text: String, to path: String, expecting expected: Expectation, mode: mode_t? = nil, createFolders: Bool = true
    ) throws(FileRefusal) {
        try write(Array(text.utf8), to: path, expecting: expected, mode: mode, createFolders: createFolders)
    }

    private func check(_ expected: Expectation, directory: Int32, name: String, path: String, exists: Bool?) throws(FileRefusal) {
        switch expected {
        case .any:
            return
        case .absent:
            var info = stat()
            let present = exists ?? (fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0)
            if present { throw FileRefusal("\(path) appeared since it was read; nothing was written (run the command again)") }
        case .content(let bytes):
            let current: [UInt8]
            do {
                current = try Self.readFile(at: directory, name: name, path: path, limit: max(bytes.count, 1) * 2 + 4096)
            } catch {
                throw FileRefusal("\(path) changed since it was read; nothing was written (run the command again)")
            }
            if current != bytes {
                throw FileRefusal("\(path) changed since it was read; nothing was written (run the command again)")
            }
        }
    }

    // MARK: - Appending

    /// Appends one record to a file in a single `write(2)` on a descriptor opened with `O_APPEND`,
    /// so concurrent writers never interleave; the file is made (0644) when missing.
    ///
    /// - Parameters:
    ///   - bytes: The record.
    ///   - path: The path from the root.
    /// - Throws: ``FileRefusal`` when it cannot be appended.
    public func append(_ bytes: [UInt8], to path: String) throws(FileRefusal) {
        let parts = try components(of: path, writing: true)
        let directory = try openParent(parts, path: path, create: true)
        defer { close(directory) }
        let file = openat(directory, parts[parts.count - 1], O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw FileRefusal("cannot open \(root)/\(path) (\(Self.errorText()))") }
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw FileRefusal("\(path) is not a regular file") }
        let written = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw FileRefusal("cannot append to \(root)/\(path) (\(Self.errorText()))") }
    }

    static func errorText(_ error: Int32 = errno) -> String {
        String(cString: strerror(error))
    }
}

/// Reads a single file named by an absolute path (a configuration file outside any tree): regular
/// files only, bounded, never blocking on a FIFO or a device. A link at the path itself is
/// followed, as the user may keep their configuration behind one.
public enum BoundedFile {
    /// Reads it.
    /// - Parameters:
    ///   - path: The absolute path.
    ///   - limit: The most bytes.
    /// - Returns: The bytes.
    /// - Throws: ``FileRefusal`` (``FileRefusal/isMissing`` when there is nothing there).
    public static func read(_ path: String, limit: Int) throws(FileRefusal) -> [UInt8] {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw FileRefusal("\(path) does not exist", isMissing: true) }
        defer { close(directory) }
        var info = stat()
        if fstatat(directory, name, &info, 0) != 0 {
            throw FileRefusal(errno == ENOENT ? "\(path) does not exist" : "cannot look at \(path)", isMissing: errno == ENOENT)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw FileRefusal("\(path) is not a regular file") }
        // The same bounded reader, with a link at the path (if any) resolved by the kernel.
        return try FileTree.readFile(at: directory, name: name, path: path, limit: limit, followLink: true)
    }
}
