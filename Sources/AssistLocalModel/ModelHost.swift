import CAssistSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shared model host of one user: one `llama-server` per model that outlives the command,
/// hook run or daemon that started it, and stops after `local.keepAliveSeconds` without requests.
///
/// The host is a supervisor process (`assist model host`, started detached) that owns the server,
/// restarts it if it dies, and stops it once idle. Its state lives in the cache's `run/`:
/// - `host-MODEL.json`: the record (pids, port, model file and sha256, engine build, slots, who started it);
/// - `host-MODEL.lock`: taken (`flock`) by whoever looks for or starts a host, so racing starts give one;
/// - `host-MODEL.requests`: one byte appended per request (its size counts requests, its
///   modification time is the last activity the supervisor's idle clock reads);
/// - `host.key`: the API key the server requires (mode 0600), passed to it by file, never on a command line.
///
/// The server listens on 127.0.0.1 only. A record, key or directory owned by another user is
/// refused, never used.
public struct ModelHost: Sendable {
    /// The cache the host lives in.
    public let cache: LocalModelCache
    /// The model it serves.
    public let model: LocalModelSpec
    /// The slots asked for when a host is started (an existing host keeps its own).
    public let slots: Int
    /// Seconds without requests before the host stops.
    public let keepAliveSeconds: Int
    /// The `assist` executable that runs the supervisor (`assist model host`).
    public let executable: URL
    /// How long a start may take before it is given up.
    public var startupTimeout: Duration = .seconds(120)

    /// Creates a description of the host; nothing starts.
    /// - Parameters:
    ///   - cache: The cache.
    ///   - model: The model.
    ///   - slots: The slots a new host gets.
    ///   - keepAliveSeconds: Seconds without requests before it stops (at least 1).
    ///   - executable: The `assist` binary.
    public init(cache: LocalModelCache, model: LocalModelSpec, slots: Int, keepAliveSeconds: Int, executable: URL) {
        self.cache = cache
        self.model = model
        self.slots = max(1, slots)
        self.keepAliveSeconds = max(1, keepAliveSeconds)
        self.executable = executable
    }

    /// What a host writes once its server answers.
    public struct Record: Codable, Sendable, Equatable {
        /// The format of this record.
        public var format = 1
        /// The supervisor (`assist model host`).
        public var supervisorProcessID: Int32
        /// The `llama-server` it runs.
        public var serverProcessID: Int32
        /// The loopback port.
        public var port: Int
        /// The model's id, file, sha256, and the file's size and modification time when it was loaded.
        public var modelID: String
        public var modelFile: String
        public var modelSHA256: String
        public var modelBytes: Int64
        public var modelModified: Double
        /// The engine binary and when it was built.
        public var engineBinary: String
        public var engineBuiltAt: String
        /// Requests answered at once.
        public var slots: Int
        /// The context window the server reports per request.
        public var contextWindow: Int
        /// Seconds without requests before it stops.
        public var keepAliveSeconds: Int
        /// The user it runs as.
        public var userID: UInt32
        /// What started it, for example `assist docstring (pid 4242)`.
        public var startedBy: String
        /// When it started, ISO 8601.
        public var startedAt: String
        /// The server's own log.
        public var serverLog: String
    }

    /// A host ready for requests.
    public struct Connection: Sendable, Equatable {
        /// `http://127.0.0.1:PORT`.
        public var baseURL: URL
        /// The key the server requires.
        public var apiKey: String
        /// What the host recorded.
        public var record: Record
    }

    // MARK: Files

    var recordFile: URL { cache.runDirectory.appendingPathComponent("host-\(model.id).json") }
    var lockFile: URL { cache.runDirectory.appendingPathComponent("host-\(model.id).lock") }
    var requestsFile: URL { cache.runDirectory.appendingPathComponent("host-\(model.id).requests") }
    var keyFile: URL { cache.runDirectory.appendingPathComponent("host.key") }
    var supervisorLog: URL { cache.logsDirectory.appendingPathComponent("host-\(model.id).log") }

    // MARK: Connecting

    /// The running host, started first when none runs, it died, or it serves another model file or
    /// engine build than the cache has now.
    ///
    /// - Parameters:
    ///   - startedBy: What is asking, recorded when it starts the host.
    ///   - notice: Told, in a sentence, when a host is started or replaced and why.
    /// - Returns: Where the host answers, with its key.
    /// - Throws: ``LocalModelError`` with what went wrong and what to do: another user's host, a key
    ///   file others can read, a supervisor that exits while starting (the end of its log), a timeout.
    public func connect(startedBy: String, notice: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Connection {
        let host = self
        // A lock wait, file reads and loopback probes: on a thread of its own, never on the pool.
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try host.blockingConnect(startedBy: startedBy, notice: notice) })
            }.start()
        }
    }

    func blockingConnect(startedBy: String, notice: @Sendable (String) -> Void) throws -> Connection {
        try Self.ownedDirectory(cache.runDirectory)
        let key = try HostKey.loadOrCreate(keyFile)
        let expected = try expectedModel()
        return try FileLock.holding(lockFile) {
            if let record = try readRecord() {
                switch check(record, key: key, expected: expected) {
                case .usable:
                    // Under the lock: the host cannot decide it is idle between here and the request.
                    noteActivity()
                    return Connection(baseURL: Self.baseURL(record.port), apiKey: key, record: record)
                case .stale(let reason):
                    notice("the model host (pid \(record.supervisorProcessID)) \(reason); starting a new one")
                    Self.end(record)
                    try? FileManager.default.removeItem(at: recordFile)
                case .gone:
                    try? FileManager.default.removeItem(at: recordFile)
                }
            }
            notice("starting the model host for \(model.id) (\(slots) slot\(slots == 1 ? "" : "s"), stops after \(keepAliveSeconds) s idle)")
            let record = try start(startedBy: startedBy, key: key, expected: expected)
            return Connection(baseURL: Self.baseURL(record.port), apiKey: key, record: record)
        }
    }

    /// The model file as the cache has it now: its path, size and modification time.
    struct ExpectedModel {
        var file: String
        var bytes: Int64
        var modified: Double
        var engine: EngineRecord
    }

    func expectedModel() throws -> ExpectedModel {
        guard let engine = LocalModelInstaller.installedEngine(in: cache) else {
            throw LocalModelError(.notInstalled, "llama-server is not built for this host in \(cache.root.path): run `assist model install`")
        }
        let file = cache.file(for: model)
        guard let record = AtomicFile.read(VerificationRecord.self, from: cache.verificationRecord(for: model)), record.sha256 == model.sha256,
            let (bytes, modified) = Self.sizeAndTime(file.path), bytes == record.bytes, modified == record.modified
        else {
            throw LocalModelError(.notInstalled, "\(model.displayName) is not verified in \(cache.root.path): run `assist model install`")
        }
        return ExpectedModel(file: file.path, bytes: bytes, modified: modified, engine: engine)
    }

    enum Verdict: Equatable {
        case usable
        /// It runs but must not be used (another model file, another engine build).
        case stale(String)
        /// It no longer runs.
        case gone
    }

    func check(_ record: Record, key: String, expected: ExpectedModel) -> Verdict {
        guard ProcessProbe.isLive(record.supervisorProcessID, commandContains: "assist"),
            ProcessProbe.isLive(record.serverProcessID, commandContains: "llama-server")
        else { return .gone }
        if record.modelFile != expected.file || record.modelSHA256 != model.sha256 || record.modelBytes != expected.bytes
            || record.modelModified != expected.modified
        {
            return .stale("serves a model file that has changed since it started")
        }
        if record.engineBinary != expected.engine.binary || record.engineBuiltAt != expected.engine.builtAt {
            return .stale("runs another build of llama-server than the one installed now")
        }
        guard let health = LoopbackHTTP.blockingGet(port: record.port, path: "/health", timeoutSeconds: 2), health.status == 200 else {
            return .stale("does not answer /health on port \(record.port)")
        }
        // The port is ours only if the server there takes our key and serves our file.
        guard let models = LoopbackHTTP.blockingGet(port: record.port, path: "/v1/models", bearer: key, timeoutSeconds: 2),
            models.status == 200,
            let object = try? JSONSerialization.jsonObject(with: models.body) as? [String: Any],
            let data = object["data"] as? [[String: Any]], data.first?["id"] as? String == expected.file
        else {
            return .stale("on port \(record.port) does not take this user's key or serve \(expected.file)")
        }
        return .usable
    }

    private func start(startedBy: String, key: String, expected: ExpectedModel) throws -> Record {
        try FileManager.default.createDirectory(at: cache.logsDirectory, withIntermediateDirectories: true)
        // A new host counts its requests from zero; its idle clock starts now.
        try Self.createPrivate(requestsFile, truncate: true)
        let log = open(supervisorLog.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard log >= 0 else {
            throw LocalModelError(.fileSystem, "cannot open \(supervisorLog.path): \(String(cString: strerror(errno)))")
        }
        defer { close(log) }
        let arguments = [
            executable.path, "model", "host", "--model", model.id, "--cache", cache.root.path,
            "--slots", String(slots), "--keep-alive", String(keepAliveSeconds), "--started-by", startedBy,
        ]
        let environment = ChildEnvironment.clean(ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let pid = try Self.spawnDetached(arguments, environment: environment, output: log)
        let deadline = ContinuousClock.now + startupTimeout
        while true {
            if let record = try? readRecord(), record.supervisorProcessID == pid {
                if check(record, key: key, expected: expected) == .usable { return record }
            }
            if !ProcessProbe.isLive(pid) {
                throw LocalModelError(.serverFailed, "the model host exited while starting; the end of its log (\(supervisorLog.path)):\n\(Self.tail(supervisorLog.path))")
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGTERM)
                throw LocalModelError(.serverFailed, "the model host did not answer within \(startupTimeout); the end of its log (\(supervisorLog.path)):\n\(Self.tail(supervisorLog.path))")
            }
            usleep(20_000)
        }
    }

    // MARK: Records

    /// The record, or `nil` when there is none; a record another user owns is refused.
    func readRecord() throws -> Record? {
        var info = stat()
        guard lstat(recordFile.path, &info) == 0 else { return nil }
        guard info.st_uid == geteuid(), (info.st_mode & S_IFMT) == S_IFREG else {
            throw LocalModelError(.fileSystem, "\(recordFile.path) belongs to user \(info.st_uid), not to you (\(geteuid())): a model host is used only by the user who started it; set ASSIST_CACHE_DIR to a cache of your own")
        }
        guard let record = AtomicFile.read(Record.self, from: recordFile) else { return nil }
        guard record.userID == geteuid() else {
            throw LocalModelError(.fileSystem, "the model host in \(recordFile.path) runs as user \(record.userID), not as you (\(geteuid())); set ASSIST_CACHE_DIR to a cache of your own")
        }
        return record
    }

    /// Writes the record (the supervisor, once its server answers).
    func write(_ record: Record) throws {
        try AtomicFile.write(record, to: recordFile)
    }

    /// Removes the record if it still names this supervisor.
    func removeRecord(ifOwnedBy supervisor: Int32) {
        if let record = try? readRecord(), record.supervisorProcessID == supervisor {
            try? FileManager.default.removeItem(at: recordFile)
        }
    }

    // MARK: Requests and idleness

    /// Counts a request and restarts the idle clock: one byte appended to `host-MODEL.requests`.
    public func noteRequest() {
        let fd = open(requestsFile.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        var byte: UInt8 = 0x2e
        _ = Glibc.write(fd, &byte, 1)
        close(fd)
    }

    /// Restarts the idle clock when a request ends (a long answer is activity too).
    public func noteActivity() {
        _ = utimensat(AT_FDCWD, requestsFile.path, nil, AT_SYMLINK_NOFOLLOW)
    }

    /// Requests counted and seconds since the last activity, from `host-MODEL.requests`.
    func activity() -> (requests: Int, idleSeconds: Double)? {
        var info = stat()
        guard lstat(requestsFile.path, &info) == 0 else { return nil }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return (Int(info.st_size), max(0, Date().timeIntervalSince1970 - modified))
    }

    // MARK: Status and stopping

    /// What `assist model status` shows of a host.
    public struct Status: Codable, Sendable, Equatable {
        public var record: Record
        /// Seconds since the last request began or ended.
        public var idleSeconds: Double
        /// Requests counted since it started.
        public var requests: Int
    }

    /// The hosts running in a cache (records of hosts that are gone are removed).
    /// - Parameter cache: The cache.
    /// - Returns: One status per running host.
    public static func running(in cache: LocalModelCache) -> [Status] {
        LocalModelSpec.all.compactMap { spec in
            let host = ModelHost(cache: cache, model: spec, slots: 1, keepAliveSeconds: 1, executable: URL(fileURLWithPath: "/"))
            guard let record = try? host.readRecord() else { return nil }
            guard ProcessProbe.isLive(record.supervisorProcessID, commandContains: "assist") else {
                try? FileManager.default.removeItem(at: host.recordFile)
                return nil
            }
            let activity = host.activity()
            return Status(record: record, idleSeconds: activity?.idleSeconds ?? 0, requests: activity?.requests ?? 0)
        }
    }

    /// Stops every host running in a cache and waits until each is gone.
    /// - Parameter cache: The cache.
    /// - Returns: The records of the hosts stopped.
    /// - Throws: ``LocalModelError`` when a record belongs to another user.
    @discardableResult
    public static func stopAll(in cache: LocalModelCache) throws -> [Record] {
        var stopped: [Record] = []
        for spec in LocalModelSpec.all {
            let host = ModelHost(cache: cache, model: spec, slots: 1, keepAliveSeconds: 1, executable: URL(fileURLWithPath: "/"))
            guard FileManager.default.fileExists(atPath: host.cache.runDirectory.path) else { continue }
            try FileLock.holding(host.lockFile) {
                guard let record = try host.readRecord() else { return }
                if ProcessProbe.isLive(record.supervisorProcessID, commandContains: "assist") { stopped.append(record) }
                end(record)
                try? FileManager.default.removeItem(at: host.recordFile)
            }
        }
        return stopped
    }

    /// Ends a host: SIGTERM to its supervisor (which stops its server), then SIGKILL to both after
    /// ten seconds.
    static func end(_ record: Record) {
        let supervisor = record.supervisorProcessID
        let server = record.serverProcessID
        if ProcessProbe.isLive(supervisor, commandContains: "assist") { kill(supervisor, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, ProcessProbe.isLive(supervisor, commandContains: "assist") || ProcessProbe.isLive(server, commandContains: "llama-server") {
            usleep(20_000)
        }
        if ProcessProbe.isLive(supervisor, commandContains: "assist") { kill(supervisor, SIGKILL) }
        if ProcessProbe.isLive(server, commandContains: "llama-server") { kill(server, SIGKILL) }
    }

    // MARK: Helpers

    static func baseURL(_ port: Int) -> URL {
        URL(string: "http://127.0.0.1:\(port)")!
    }

    static func sizeAndTime(_ path: String) -> (Int64, Double)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return ((attributes[.size] as? NSNumber)?.int64Value ?? -1, (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
    }

    /// Creates `directory` (mode 0700) if needed, and refuses one that another user owns.
    static func ownedDirectory(_ directory: URL) throws {
        mkdir(directory.deletingLastPathComponent().path, 0o700)
        mkdir(directory.path, 0o700)
        var info = stat()
        guard lstat(directory.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw LocalModelError(.fileSystem, "\(directory.path) is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw LocalModelError(.fileSystem, "\(directory.path) belongs to user \(info.st_uid), not to you (\(geteuid())): a model host is used only by the user who started it; set ASSIST_CACHE_DIR to a cache of your own")
        }
    }

    /// Creates (or empties) a file only its owner can read.
    static func createPrivate(_ file: URL, truncate: Bool) throws {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (truncate ? O_TRUNC : 0), 0o600)
        guard fd >= 0 else {
            throw LocalModelError(.fileSystem, "cannot create \(file.path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    static func tail(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log)" }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(15).joined(separator: "\n")
    }

    static func spawnDetached(_ arguments: [String], environment: [String], output: Int32) throws -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var errorNumber: Int32 = 0
        var failedCall: UnsafePointer<CChar>?
        let pid = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                assist_spawn_detached(arguments[0], argvBuffer.baseAddress, envpBuffer.baseAddress, output, &errorNumber, &failedCall)
            }
        }
        guard pid > 0 else {
            let call = failedCall.map { String(cString: $0) } ?? "spawn"
            throw LocalModelError(.serverFailed, "cannot start \(arguments[0]): \(call): \(String(cString: strerror(errorNumber)))")
        }
        return pid
    }
}

/// The API key of a user's model hosts: 32 random bytes as hex, in a file only its owner can read.
enum HostKey {
    static func loadOrCreate(_ file: URL) throws -> String {
        // Written whole to a private temporary file, then linked into place: a racing process sees
        // either no key or the whole key, and the first link wins.
        if access(file.path, F_OK) != 0 {
            let temporary = file.path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            let created = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard created >= 0 else {
                throw LocalModelError(.fileSystem, "cannot create \(temporary): \(String(cString: strerror(errno)))")
            }
            var generator = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
            let bytes = Array((key + "\n").utf8)
            let written = bytes.withUnsafeBytes { write(created, $0.baseAddress, $0.count) }
            close(created)
            defer { unlink(temporary) }
            guard written == bytes.count else {
                throw LocalModelError(.fileSystem, "cannot write \(temporary)")
            }
            if link(temporary, file.path) == 0 { return key }
            guard errno == EEXIST else {
                throw LocalModelError(.fileSystem, "cannot create \(file.path): \(String(cString: strerror(errno)))")
            }
        }
        let fd = open(file.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw LocalModelError(.fileSystem, "cannot read the model host's key \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else {
            throw LocalModelError(.fileSystem, "the model host's key \(file.path) is not a file of yours; remove it")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LocalModelError(.fileSystem, "the model host's key \(file.path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); remove it and a new one is made")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        let key = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.count >= 32, key.allSatisfy(\.isHexDigit) else {
            throw LocalModelError(.fileSystem, "the model host's key \(file.path) is malformed; remove it and a new one is made")
        }
        return key
    }
}

/// An exclusive `flock` on a file, held while a closure runs (blocking: call it off the pool).
enum FileLock {
    static func holding<T>(_ file: URL, _ body: () throws -> T) throws -> T {
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw LocalModelError(.fileSystem, "cannot open the lock \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw LocalModelError(.fileSystem, "cannot lock \(file.path): \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
