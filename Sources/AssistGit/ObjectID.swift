import CLibGit2

/// A git object id (SHA-1): 20 bytes, compared and hashed by value.
///
/// Stored inline as three integers, so a dictionary of a hundred thousand ids holds no heap
/// allocations per key. ``description`` is the usual 40 lowercase hexadecimal digits.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Bytes 0–7 of the id, in memory order.
    private var head: UInt64
    /// Bytes 8–15 of the id, in memory order.
    private var middle: UInt64
    /// Bytes 16–19 of the id, in memory order.
    private var tail: UInt32

    /// Feeds only the first eight bytes to the hasher: ids are uniformly distributed already,
    /// and this runs for every file on every refresh. Equality still compares all 20 bytes.
    ///
    /// - Parameters:
    ///   - hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(head)
    }

    /// The number of bytes in an id.
    public static let byteCount = 20

    /// Makes an id from its 20 raw bytes.
    ///
    /// - Parameters:
    ///   - bytes: Exactly 20 bytes.
    /// - Returns: The id, or `nil` when `bytes` does not hold exactly 20 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        let loaded = bytes.withContiguousStorageIfAvailable { Self.load(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { Self.load($0) }
        (head, middle, tail) = loaded
    }

    /// Reads the three parts from 20 bytes.
    private static func load(_ buffer: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt32) {
        (
            buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            buffer.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
        )
    }

    /// Makes an id from 40 hexadecimal digits (either case).
    ///
    /// - Parameters:
    ///   - hex: The id as text, such as `"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"`.
    /// - Returns: The id, or `nil` when `hex` is not 40 hexadecimal digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.byteCount)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// Copies a libgit2 id.
    init(_ oid: git_oid) {
        var copy = oid
        (head, middle, tail) = withUnsafeBytes(of: &copy.id) { Self.load($0) }
    }

    /// The id as a libgit2 value, for calls that take a `const git_oid *`.
    var gitOID: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { target in
            target.storeBytes(of: head, toByteOffset: 0, as: UInt64.self)
            target.storeBytes(of: middle, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: 16, as: UInt32.self)
        }
        return oid
    }

    /// The 20 raw bytes of the id.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: Self.byteCount)
        result.withUnsafeMutableBytes { target in
            target.storeBytes(of: head, toByteOffset: 0, as: UInt64.self)
            target.storeBytes(of: middle, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: 16, as: UInt32.self)
        }
        return result
    }

    /// The id as 40 lowercase hexadecimal digits.
    public var description: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(2 * Self.byteCount)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Orders ids by their bytes, as git sorts them.
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        // The parts hold bytes in memory order; reading them big-endian makes numeric order
        // the bytes' lexicographic order on any platform.
        let left = (UInt64(bigEndian: lhs.head), UInt64(bigEndian: lhs.middle), UInt32(bigEndian: lhs.tail))
        let right = (UInt64(bigEndian: rhs.head), UInt64(bigEndian: rhs.middle), UInt32(bigEndian: rhs.tail))
        return left < right
    }

    /// The id git gives a blob with this content (`git hash-object`), computed with `git_odb_hash`.
    ///
    /// No clean filters (such as `core.autocrlf`) are applied: the id is that of these exact bytes.
    ///
    /// - Parameters:
    ///   - bytes: The blob's content.
    /// - Returns: The blob id.
    /// - Throws: ``GitError`` naming `git_odb_hash` if libgit2 fails (it does not for valid input).
    public static func hashBlob(_ bytes: [UInt8]) throws(GitError) -> ObjectID {
        try LibGit2.initialize()
        var oid = git_oid()
        let rc = bytes.withUnsafeBytes { buffer in
            git_odb_hash(&oid, buffer.baseAddress, buffer.count, GIT_OBJECT_BLOB)
        }
        try check(rc, "git_odb_hash")
        return ObjectID(oid)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The mode git records for a tree or index entry.
public struct FileMode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The octal mode as a number, such as `0o100644`.
    public var rawValue: UInt32

    /// Makes a mode from its number.
    ///
    /// - Parameters:
    ///   - rawValue: The mode, such as `0o120000`.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// A subtree (`040000`).
    public static let tree = FileMode(rawValue: 0o040000)
    /// A regular file (`100644`).
    public static let regular = FileMode(rawValue: 0o100644)
    /// An executable file (`100755`).
    public static let executable = FileMode(rawValue: 0o100755)
    /// A symbolic link (`120000`); the blob holds the link's target path.
    public static let symlink = FileMode(rawValue: 0o120000)
    /// A submodule commit (`160000`), a "gitlink"; its id names a commit in another repository.
    public static let gitlink = FileMode(rawValue: 0o160000)

    /// Whether the entry is a file with content (regular or executable).
    public var isRegularFile: Bool { self == .regular || self == .executable }

    /// The mode as six octal digits, as `git ls-tree` prints it.
    public var description: String {
        let octal = String(rawValue, radix: 8)
        return String(repeating: "0", count: max(0, 6 - octal.count)) + octal
    }
}
