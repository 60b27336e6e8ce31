import AssistFiles
import AssistGit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the index knows about one blob: facts about its content and, when it was analysed, the
/// analyser's result in encoded form.
struct BlobRecord: Sendable {
    /// Where the encoded result lives.
    enum Payload: Sendable {
        /// Not analysed (binary, too large, or no file of an accepted language had this content).
        case none
        /// Bytes of the loaded cache file (``ResultCache/file``), read when asked for and trusted
        /// only when they match their checksum.
        case stored(offset: Int, length: Int, checksum: UInt64)
        /// Bytes encoded in this process.
        case owned([UInt8])
    }

    /// The blob's size in bytes.
    var size: Int
    /// Whether a NUL byte occurs in the first 8 KiB.
    var isBinary: Bool
    /// The language of the `#!` line, if any.
    var shebang: Language?
    /// The encoded result.
    var payload: Payload

    var hasPayload: Bool {
        if case .none = payload { return false }
        return true
    }
}

/// Why a cache file was not used.
public enum CacheLoadOutcome: Hashable, Sendable, CustomStringConvertible {
    /// Persistence is off.
    case disabled
    /// There was no cache file: a cold start.
    case missing
    /// The file was read and trusted.
    case loaded(entries: Int)
    /// The file was unusable and is being rebuilt, with the reason (bad magic, foreign version,
    /// another analyser, truncated, checksum mismatch, unreadable).
    case rebuilt(reason: String)

    /// A short phrase for people.
    public var description: String {
        switch self {
        case .disabled: "persistence disabled"
        case .missing: "no cache file (cold start)"
        case .loaded(let entries): "loaded \(entries) cached blobs"
        case .rebuilt(let reason): "cache rebuilt: \(reason)"
        }
    }
}

/// The in-memory table blob id → record, and its on-disk form.
///
/// The file is a table of records, then the encoded results it points to, little-endian:
///
/// ```
/// "ASSISTIX"                      8 bytes magic
/// format version                  UInt32 (ResultCache.formatVersion)
/// analyser name                   UInt16 length + UTF-8 bytes
/// analyser version                Int64
/// table length                    UInt64: bytes from the file's start to the end of the table checksum
/// entry count                     UInt32
/// entries, each:
///   blob id                       20 bytes
///   size                          UInt64
///   flags                         UInt8 (bit 0 binary, bit 1 has payload)
///   shebang language              UInt8 length + UTF-8 raw value (0 = none)
///   payload, when bit 1 is set    UInt64 offset from the file's start, UInt32 length,
///                                 UInt64 cacheChecksum of the payload's bytes
/// table checksum                  UInt64 cacheChecksum of every byte before it
/// payloads                        the analyser's JSON of each entry with one, in entry order
/// ```
///
/// Loading reads and checks the table only: a warm start of 100,000 files reads a few MiB and
/// fills one dictionary, whatever the size of the results. A payload is read when a result is
/// asked for, from the file that was loaded (its descriptor stays open, so a newer file renamed
/// over it changes nothing), and used only when its checksum matches.
struct ResultCache: Sendable {
    /// The version of the layout above; bump it whenever the layout changes.
    static let formatVersion: UInt32 = 3
    static let magic: [UInt8] = Array("ASSISTIX".utf8)

    /// The loaded file, which ``BlobRecord/Payload/stored(offset:length:checksum:)`` payloads are read from.
    var file: LoadedCacheFile?
    var records: [ObjectID: BlobRecord] = [:]

    /// The encoded result bytes of a record: `nil` when it has none, or when its stored bytes
    /// cannot be read or do not match their checksum (the caller analyses the blob again).
    func payloadBytes(_ record: BlobRecord) -> [UInt8]? {
        Self.payloadBytes(record, in: file)
    }

    /// The encoded result bytes of a record whose stored payload lives in `file`.
    static func payloadBytes(_ record: BlobRecord, in file: LoadedCacheFile?) -> [UInt8]? {
        switch record.payload {
        case .none: return nil
        case .owned(let bytes): return bytes
        case .stored(let offset, let length, let checksum):
            guard let bytes = file?.read(offset: offset, count: length),
                  cacheChecksum(bytes, count: bytes.count) == checksum
            else { return nil }
            return bytes
        }
    }

    // MARK: - Reading

    /// Opens a cache file and reads its table, trusting nothing; the payloads stay on disk.
    ///
    /// - Returns: `nil` when there is no file; else the cache, or the reason it cannot be used.
    static func load(
        _ path: String, analyzerName: String, analyzerVersion: Int
    ) -> Result<ResultCache, CacheError>? {
        let file: LoadedCacheFile
        switch LoadedCacheFile.opening(path) {
        case nil: return nil
        case .failure(let error)?: return .failure(error)
        case .success(let opened)?: file = opened
        }
        // The header's fixed part and the analyser's name fit in the first read; the table's
        // length, once known, says how much more to read.
        guard let head = file.read(offset: 0, count: min(file.size, 4096)) else {
            return .failure(CacheError("cannot read \(path) (errno \(errno))"))
        }
        guard head.count >= magic.count, Array(head.prefix(magic.count)) == magic else {
            return .failure(CacheError("not an assist index cache (bad magic)"))
        }
        var reader = ByteReader(bytes: head)
        reader.offset = magic.count
        do {
            let version = try reader.u32()
            guard version == formatVersion else {
                throw CacheError("format version \(version), this build reads \(formatVersion)")
            }
            let nameLength = Int(try reader.u16())
            let name = String(decoding: try reader.bytes(nameLength), as: UTF8.self)
            let analyzer = Int(try reader.u64())
            guard name == analyzerName, analyzer == analyzerVersion else {
                throw CacheError("made by analyser \(name) v\(analyzer), expected \(analyzerName) v\(analyzerVersion)")
            }
            let tableLength = try reader.u64()
            let tableStart = reader.offset
            guard tableLength >= UInt64(tableStart + 4 + 8), tableLength <= UInt64(file.size) else {
                throw CacheError("truncated: a table of \(tableLength) bytes in a file of \(file.size)")
            }
            let tableEnd = Int(tableLength)
            guard let table = tableEnd <= head.count ? Array(head.prefix(tableEnd)) : file.read(offset: 0, count: tableEnd),
                  table.count == tableEnd
            else { throw CacheError("cannot read the table of \(path)") }
            let checksumOffset = tableEnd - 8
            let stored = table.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: checksumOffset, as: UInt64.self) }
            guard cacheChecksum(table, count: checksumOffset) == UInt64(littleEndian: stored) else {
                throw CacheError("checksum mismatch (corrupt or truncated)")
            }
            reader = ByteReader(bytes: table)
            reader.offset = tableStart
            reader.limit = checksumOffset
            let count = Int(try reader.u32())
            guard count <= checksumOffset / 31 else { throw CacheError("entry count \(count) exceeds the file") }
            var records: [ObjectID: BlobRecord] = [:]
            records.reserveCapacity(count)
            for _ in 0..<count {
                guard let oid = ObjectID(bytes: try reader.bytes(ObjectID.byteCount)) else {
                    throw CacheError("bad blob id")
                }
                let size = try reader.u64()
                let flags = try reader.u8()
                let languageLength = Int(try reader.u8())
                var shebang: Language?
                if languageLength > 0 {
                    let raw = String(decoding: try reader.bytes(languageLength), as: UTF8.self)
                    shebang = Language(rawValue: raw) ?? .unknown
                }
                var payload = BlobRecord.Payload.none
                if flags & 2 != 0 {
                    let offset = try reader.u64()
                    let length = UInt64(try reader.u32())
                    let checksum = try reader.u64()
                    guard offset >= tableLength, offset <= UInt64(file.size), length <= UInt64(file.size) - offset else {
                        throw CacheError("truncated: a payload at \(offset) of \(length) bytes in a file of \(file.size)")
                    }
                    payload = .stored(offset: Int(offset), length: Int(length), checksum: checksum)
                }
                guard size <= UInt64(Int.max) else { throw CacheError("bad size") }
                records[oid] = BlobRecord(size: Int(size), isBinary: flags & 1 != 0, shebang: shebang, payload: payload)
            }
            guard reader.offset == checksumOffset else { throw CacheError("trailing bytes after the entries") }
            return .success(ResultCache(file: file, records: records))
        } catch let error as CacheError {
            return .failure(error)
        } catch {
            return .failure(CacheError("\(error)"))
        }
    }

    // MARK: - Writing

    /// Encodes every record in the layout above. A stored payload that can no longer be read
    /// intact leaves its record out: the next process analyses that blob again.
    func serialized(analyzerName: String, analyzerVersion: Int) -> [UInt8] {
        let name = Array(analyzerName.utf8.prefix(Int(UInt16.max)))
        let sorted = records.sorted(by: { $0.key < $1.key })
        // Payloads first, so the table knows which records keep one.
        var payloads: [(ObjectID, BlobRecord, [UInt8]?)] = []
        payloads.reserveCapacity(sorted.count)
        var tableLength = Self.magic.count + 4 + 2 + name.count + 8 + 8 + 4 + 8
        var payloadLength = 0
        for (oid, record) in sorted {
            let bytes = payloadBytes(record)
            if record.hasPayload && bytes == nil { continue }
            payloads.append((oid, record, bytes))
            tableLength += 20 + 8 + 1 + 1 + min((record.shebang?.rawValue ?? "").utf8.count, 255)
            if let bytes {
                tableLength += 8 + 4 + 8
                payloadLength += bytes.count
            }
        }
        // The exact size first: growing by doubling would hold up to twice the file at once.
        var out: [UInt8] = []
        out.reserveCapacity(tableLength + payloadLength)
        out.append(contentsOf: Self.magic)
        append(Self.formatVersion, to: &out)
        append(UInt16(name.count), to: &out)
        out.append(contentsOf: name)
        append(UInt64(bitPattern: Int64(analyzerVersion)), to: &out)
        append(UInt64(tableLength), to: &out)
        append(UInt32(payloads.count), to: &out)
        var offset = tableLength
        for (oid, record, bytes) in payloads {
            out.append(contentsOf: oid.bytes)
            append(UInt64(record.size), to: &out)
            out.append((record.isBinary ? 1 : 0) | (bytes != nil ? 2 : 0))
            let language = Array((record.shebang?.rawValue ?? "").utf8.prefix(255))
            out.append(UInt8(language.count))
            out.append(contentsOf: language)
            if let bytes {
                append(UInt64(offset), to: &out)
                append(UInt32(bytes.count), to: &out)
                append(cacheChecksum(bytes, count: bytes.count), to: &out)
                offset += bytes.count
            }
        }
        append(cacheChecksum(out, count: out.count), to: &out)
        for (_, _, bytes) in payloads {
            if let bytes { out.append(contentsOf: bytes) }
        }
        return out
    }

    private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// A cache file opened for reading: its descriptor, kept open while records point into it.
final class LoadedCacheFile: Sendable {
    let descriptor: Int32
    /// The file's size when it was opened.
    let size: Int

    private init(descriptor: Int32, size: Int) {
        self.descriptor = descriptor
        self.size = size
    }

    deinit {
        close(descriptor)
    }

    /// Opens a regular file without following a link.
    ///
    /// - Returns: `nil` when there is no file; else the file, or why it cannot be read.
    static func opening(_ path: String) -> Result<LoadedCacheFile, CacheError>? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            return .failure(CacheError(errno == ELOOP ? "\(path) is a link" : "cannot open \(path) (errno \(errno))"))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return .failure(CacheError("\(path) is not a readable regular file"))
        }
        return .success(LoadedCacheFile(descriptor: descriptor, size: Int(info.st_size)))
    }

    /// `count` bytes from `offset`, or `nil` when they cannot all be read.
    func read(offset: Int, count: Int) -> [UInt8]? {
        guard count > 0 else { return count == 0 ? [] : nil }
        guard offset >= 0 else { return nil }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var filled = 0
            while filled < count {
                let got = pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                if got < 0, errno == EINTR { continue }
                if got <= 0 { failed = true; break }
                filled += got
            }
            initialized = filled
        }
        return failed ? nil : bytes
    }
}

/// Why a cache file could not be used, or could not be written.
struct CacheError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The file's checksum over the first `count` bytes: four lanes of 64-bit multiply-rotate rounds
/// over little-endian words (the shape of xxHash64's inner loop), then the tail bytes one by one,
/// folded with the length. It catches truncation and damage, not tampering (the database and
/// the blob ids are what is trusted); word-wise, it costs a fraction of a byte-wise hash.
func cacheChecksum(_ bytes: [UInt8], count: Int) -> UInt64 {
    let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return ((mixed << 31) | (mixed >> 33)) &* prime1
    }
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1 &+ prime2, prime2, 0, 0 &- prime1)
    var offset = 0
    bytes.withUnsafeBytes { buffer in
        while offset + 32 <= count {
            lanes.0 = round(lanes.0, UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            lanes.1 = round(lanes.1, UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
            lanes.2 = round(lanes.2, UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
            lanes.3 = round(lanes.3, UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
            offset += 32
        }
    }
    var hash = round(round(round(round(UInt64(count), lanes.0), lanes.1), lanes.2), lanes.3)
    while offset < count {
        hash = (hash ^ UInt64(bytes[offset])) &* 0x0000_0100_0000_01b3
        offset += 1
    }
    hash ^= hash >> 33
    hash = hash &* prime2
    return hash ^ (hash >> 29)
}

/// A bounds-checked little-endian reader.
private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    var limit: Int

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.limit = bytes.count
    }

    mutating func bytes(_ count: Int) throws(CacheError) -> ArraySlice<UInt8> {
        guard count >= 0, offset + count <= limit else { throw CacheError("truncated at byte \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(CacheError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= limit else { throw CacheError("truncated at byte \(offset)") }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func u8() throws(CacheError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(CacheError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(CacheError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(CacheError) -> UInt64 { try integer(UInt64.self) }
}

/// Atomically replacing whole files, with POSIX calls.
enum FileIO {
    /// Writes a file atomically: a temporary file in the same folder, then renamed over the
    /// destination, so a reader sees the old file or the new one, never a mix. On any failure the
    /// temporary file is removed and the old file is intact.
    ///
    /// There is no `fsync`: it cost more than the whole one-file refresh, and the file is a cache
    /// whose checksum catches what a power loss could leave behind (it is then rebuilt).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CacheError) {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let directory = String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        if !directory.isEmpty {
            try makeDirectories(directory)
        }
        do {
            try FileTree(root: directory.isEmpty ? "/" : directory, kind: .owned)
                .write(bytes, to: name, expecting: .any, durable: false)
        } catch {
            throw CacheError(error.reason)
        }
    }

    /// Creates a folder and its parents, succeeding when it exists.
    static func makeDirectories(_ path: String) throws(CacheError) {
        var current = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw CacheError("cannot create folder \(current) (errno \(errno))")
            }
        }
    }
}
