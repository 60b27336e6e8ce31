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
        /// A range of the loaded cache file's bytes (``ResultCache/base``).
        case loaded(Range<Int>)
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
/// The file is one compact binary table, little-endian:
///
/// ```
/// "ASSISTIX"                      8 bytes magic
/// format version                  UInt32 (ResultCache.formatVersion)
/// analyser name                   UInt16 length + UTF-8 bytes
/// analyser version                Int64
/// entry count                     UInt32
/// entries, each:
///   blob id                       20 bytes
///   size                          UInt64
///   flags                         UInt8 (bit 0 binary, bit 1 has payload)
///   shebang language              UInt8 length + UTF-8 raw value (0 = none)
///   payload                       UInt32 length + bytes (the analyser's JSON), when bit 1 is set
/// checksum                        UInt64 cacheChecksum of every byte before it
/// ```
///
/// Loading does not decode results: each record keeps a range into the file's bytes, and a
/// result is decoded only when it is asked for. So a warm start of 100,000 files costs one read,
/// one checksum pass and 100,000 dictionary insertions.
struct ResultCache: Sendable {
    /// The version of the layout above; bump it whenever the layout changes.
    static let formatVersion: UInt32 = 2
    static let magic: [UInt8] = Array("ASSISTIX".utf8)

    /// The loaded file's bytes, which ``BlobRecord/Payload/loaded(_:)`` ranges point into.
    var base: [UInt8] = []
    var records: [ObjectID: BlobRecord] = [:]

    /// The encoded result bytes of a record.
    func payloadBytes(_ record: BlobRecord) -> ArraySlice<UInt8>? {
        switch record.payload {
        case .none: nil
        case .loaded(let range): base[range]
        case .owned(let bytes): bytes[...]
        }
    }

    // MARK: - Reading

    /// Parses a cache file's bytes, trusting nothing.
    ///
    /// - Returns: The cache, or the reason it cannot be used.
    static func parse(_ bytes: [UInt8], analyzerName: String, analyzerVersion: Int) -> Result<ResultCache, CacheError> {
        var reader = ByteReader(bytes: bytes)
        guard bytes.count >= magic.count + 8, Array(bytes.prefix(magic.count)) == magic else {
            return .failure(CacheError("not an assist index cache (bad magic)"))
        }
        reader.offset = magic.count
        guard bytes.count >= magic.count + 4 + 8 else { return .failure(CacheError("truncated header")) }
        let checksumOffset = bytes.count - 8
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: checksumOffset, as: UInt64.self) }
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
            guard cacheChecksum(bytes, count: checksumOffset) == UInt64(littleEndian: stored) else {
                throw CacheError("checksum mismatch (corrupt or truncated)")
            }
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
                    let length = Int(try reader.u32())
                    let start = reader.offset
                    _ = try reader.bytes(length)
                    payload = .loaded(start..<start + length)
                }
                guard size <= UInt64(Int.max) else { throw CacheError("bad size") }
                records[oid] = BlobRecord(size: Int(size), isBinary: flags & 1 != 0, shebang: shebang, payload: payload)
            }
            guard reader.offset == checksumOffset else { throw CacheError("trailing bytes after the entries") }
            return .success(ResultCache(base: bytes, records: records))
        } catch let error as CacheError {
            return .failure(error)
        } catch {
            return .failure(CacheError("\(error)"))
        }
    }

    // MARK: - Writing

    /// Encodes every record in the layout above.
    func serialized(analyzerName: String, analyzerVersion: Int) -> [UInt8] {
        // The exact size first: growing by doubling would hold up to twice the file at once.
        var size = Self.magic.count + 4 + 2 + min(analyzerName.utf8.count, Int(UInt16.max)) + 8 + 4 + 8
        for record in records.values {
            size += 20 + 8 + 1 + 1 + min((record.shebang?.rawValue ?? "").utf8.count, 255)
            if let payload = payloadBytes(record) { size += 4 + payload.count }
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out.append(contentsOf: Self.magic)
        append(Self.formatVersion, to: &out)
        let name = Array(analyzerName.utf8.prefix(Int(UInt16.max)))
        append(UInt16(name.count), to: &out)
        out.append(contentsOf: name)
        append(UInt64(bitPattern: Int64(analyzerVersion)), to: &out)
        append(UInt32(records.count), to: &out)
        // Sorted by id, so the same records always give the same file.
        for (oid, record) in records.sorted(by: { $0.key < $1.key }) {
            out.append(contentsOf: oid.bytes)
            append(UInt64(record.size), to: &out)
            let payload = payloadBytes(record)
            out.append((record.isBinary ? 1 : 0) | (payload != nil ? 2 : 0))
            let language = Array((record.shebang?.rawValue ?? "").utf8.prefix(255))
            out.append(UInt8(language.count))
            out.append(contentsOf: language)
            if let payload {
                append(UInt32(payload.count), to: &out)
                out.append(contentsOf: payload)
            }
        }
        append(cacheChecksum(out, count: out.count), to: &out)
        return out
    }

    private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
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

/// Reading and atomically replacing whole files, with POSIX calls.
enum FileIO {
    /// Reads a whole file; `nil` when it does not exist.
    static func read(_ path: String) throws(CacheError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw CacheError("cannot open \(path) (errno \(errno))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CacheError("cannot stat \(path) (errno \(errno))") }
        let size = Int(info.st_size)
        var failure: Int32 = 0
        // Not zeroed first: only the bytes read are kept.
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var filled = 0
            while filled < size {
                let count = Glibc.read(descriptor, buffer.baseAddress! + filled, size - filled)
                if count < 0, errno == EINTR { continue }
                if count < 0 { failure = errno; break }
                if count == 0 { break }
                filled += count
            }
            initialized = filled
        }
        if failure != 0 { throw CacheError("cannot read \(path) (errno \(failure))") }
        return bytes
    }

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
