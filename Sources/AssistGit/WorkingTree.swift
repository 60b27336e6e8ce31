#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What is found at a path of the working tree.
public enum WorkingTreeItem: Hashable, Sendable {
    /// A regular file and its bytes.
    case file([UInt8])
    /// A symbolic link and its target, exactly as stored in the link (never followed). Git stores
    /// this target as the link's blob content.
    case symlink(target: [UInt8])
    /// Nothing is there (or a parent folder is missing).
    case missing
    /// Something that is neither a file nor a link (a folder, a device), or a path that would
    /// leave the repository: an absolute path, a `..` part, or a parent folder that is a link.
    case refused(reason: String)
}

/// Reads files of a working tree strictly inside its root.
///
/// Every read walks the path one folder at a time from the root with `openat(…, O_NOFOLLOW)`, so
/// no symbolic link is ever followed — neither a parent folder that is a link nor the file itself —
/// and a link pointing outside the repository cannot make the reader leave it.
public struct WorkingTree: Sendable {
    /// The working tree's root folder.
    public let root: String

    /// Makes a reader for a working tree.
    ///
    /// - Parameters:
    ///   - root: The working tree's root folder (``Repository/workingDirectory``).
    public init(root: String) {
        self.root = root
    }

    /// Reads what is at a path relative to the root, without following any symbolic link.
    ///
    /// - Parameters:
    ///   - relativePath: A path with `/` separators, such as `"Sources/a.swift"`.
    /// - Returns: The file's bytes, a link's target, ``WorkingTreeItem/missing``, or
    ///   ``WorkingTreeItem/refused(reason:)`` for anything else.
    public func read(_ relativePath: String) -> WorkingTreeItem {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !relativePath.hasPrefix("/"), !parts.isEmpty,
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { return .refused(reason: "path is not inside the working tree: \(relativePath)") }

        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return .missing }
        defer { close(directory) }

        for part in parts.dropLast() {
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                let error = errno
                if error == ENOENT { return .missing }
                return .refused(reason: "\(part) in \(relativePath) is not a folder inside the working tree (errno \(error))")
            }
            close(directory)
            directory = next
        }

        let name = parts[parts.count - 1]
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            return .missing
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = buffer.withUnsafeMutableBufferPointer { pointer in
                pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                    readlinkat(directory, name, $0, pointer.count)
                }
            }
            guard length >= 0 else { return .missing }
            return .symlink(target: Array(buffer.prefix(length)))
        case S_IFREG:
            let file = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard file >= 0 else { return .missing }
            defer { close(file) }
            return .file(Self.readAll(file, sizeHint: Int(info.st_size)))
        default:
            return .refused(reason: "not a regular file or link: \(relativePath)")
        }
    }

    /// Reads a descriptor to its end.
    private static func readAll(_ descriptor: Int32, sizeHint: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(sizeHint, 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 4096)))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

extension Repository {
    /// A reader for the working tree that never leaves it, or `nil` for a bare repository.
    public var workingTree: WorkingTree? {
        workingDirectory.map(WorkingTree.init(root:))
    }
}

extension Repository {
    /// The checksum git stores in the last 20 bytes of the staging area's file (`<git dir>/index`),
    /// read without parsing the file: equal checksums mean an unchanged staging area.
    ///
    /// - Returns: The checksum, or `nil` when there is no index file, it is too short, or the
    ///   checksum is all zeros (`index.skipHash`), in which case nothing can be concluded.
    public func indexFileChecksum() -> ObjectID? {
        let descriptor = Glibc.open(gitDirectory + "/index", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size >= 32 else { return nil }
        var bytes = [UInt8](repeating: 0, count: ObjectID.byteCount)
        let count = bytes.withUnsafeMutableBytes { buffer in
            pread(descriptor, buffer.baseAddress, buffer.count, off_t(info.st_size) - off_t(ObjectID.byteCount))
        }
        guard count == ObjectID.byteCount, bytes.contains(where: { $0 != 0 }) else { return nil }
        return ObjectID(bytes: bytes)
    }
}
