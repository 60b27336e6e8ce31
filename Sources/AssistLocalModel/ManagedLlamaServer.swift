import CAssistSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `llama-server` process that this process starts, watches and stops.
///
/// The actor owns the process: ``endpoint()`` starts it on a free loopback port the first time,
/// waits until `/health` answers and reads the context window; later calls return the same
/// endpoint while the process lives, and start a new one if it died. ``stop()`` ends it. On Linux
/// the child is started with `PR_SET_PDEATHSIG`, so it ends with this process even when this
/// process is killed with SIGKILL: no orphan is left behind.
public actor ManagedLlamaServer {
    /// How to run the server.
    public struct Configuration: Sendable, Equatable {
        /// The `llama-server` binary.
        public var binary: URL
        /// The GGUF model file (already verified).
        public var model: URL
        /// The context size asked for (`-c`).
        public var contextSize: Int
        /// The number of threads (`-t`).
        public var threads: Int
        /// How long to wait for `/health` before giving up.
        public var startupTimeout: Duration
        /// Where to write the server's output (`llama-server-PORT.log`), or `nil` to discard it.
        public var logDirectory: URL?
        /// Where to write a record of the running server for `assist model status`, or `nil` for none.
        public var runDirectory: URL?
        /// Whether to pass `--no-repack` (no weight repacking, so no AMX kernels). See ``repackMarker``.
        public var disableRepacking: Bool
        /// A file whose presence means that weight repacking crashes `llama-server` on this machine
        /// (seen where the CPU reports AMX but its tile instructions fault, as in some sandboxes).
        /// When the server dies of SIGILL or SIGSEGV while loading, the server is started again with
        /// `--no-repack` and this file is written, so later starts skip the crash. `nil`: not remembered.
        public var repackMarker: URL?
        /// The number of slots (`-np`): requests answered at once, with continuous batching. With
        /// more than one, the slots share one KV cache (`--kv-unified`), so each may use the whole context.
        public var slots: Int
        /// A file holding the API key the server requires (`--api-key-file`), or `nil` for none.
        /// The key itself never appears on a command line, where other users could read it.
        public var apiKeyFile: URL?

        /// Creates a configuration.
        /// - Parameters:
        ///   - binary: The `llama-server` binary.
        ///   - model: The GGUF model file.
        ///   - contextSize: The context size asked for; 8192 by default.
        ///   - threads: The number of threads; ``defaultThreads`` by default.
        ///   - startupTimeout: How long to wait for `/health`; 120 seconds by default.
        ///   - logDirectory: Where to write the server's output, or `nil` to discard it.
        ///   - runDirectory: Where to record the running server, or `nil` for nowhere.
        ///   - slots: The number of slots; 1 by default.
        ///   - apiKeyFile: A file with the API key the server requires, or `nil`.
        /// The threads each server uses: 2 (these machines' cores), or `ASSIST_LLAMA_THREADS` (1–64)
        /// when it is set. Several servers at once on 2 cores collapse with 2 threads each — their
        /// threads wait for one another at every step (four SmolLM2 servers answered at about 4
        /// tokens/s each with 2 threads, 22 with 1) — so a test suite that runs many sets it to 1.
        public static var defaultThreads: Int {
            if let value = ProcessInfo.processInfo.environment["ASSIST_LLAMA_THREADS"], let threads = Int(value), (1...64).contains(threads) {
                return threads
            }
            return 2
        }

        public init(
            binary: URL, model: URL, contextSize: Int = 8192, threads: Int = Configuration.defaultThreads,
            startupTimeout: Duration = .seconds(120), logDirectory: URL? = nil, runDirectory: URL? = nil,
            disableRepacking: Bool = false, repackMarker: URL? = nil, slots: Int = 1, apiKeyFile: URL? = nil
        ) {
            self.slots = max(1, slots)
            self.apiKeyFile = apiKeyFile
            self.binary = binary
            self.model = model
            self.contextSize = contextSize
            self.threads = threads
            self.startupTimeout = startupTimeout
            self.logDirectory = logDirectory
            self.runDirectory = runDirectory
            self.disableRepacking = disableRepacking || repackMarker.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
            self.repackMarker = repackMarker
        }

        /// The configuration for a model installed in a cache, after checking that the engine is
        /// built for this host and that the model's sha256 matches.
        /// - Parameters:
        ///   - cache: The cache `assist model install` filled.
        ///   - model: The model to serve.
        /// - Returns: A configuration that logs to the cache's `logs/` and records to its `run/`.
        /// - Throws: ``LocalModelError`` `.notInstalled` (run `assist model install`) or `.checksumMismatch`.
        public static func installed(in cache: LocalModelCache, model: LocalModelSpec) async throws -> Configuration {
            guard let engine = LocalModelInstaller.installedEngine(in: cache) else {
                throw LocalModelError(.notInstalled, "llama-server is not built for this host in \(cache.root.path): run `assist model install`")
            }
            let file = try await LocalModelStore.verifiedFile(for: model, in: cache)
            return Configuration(
                binary: URL(fileURLWithPath: engine.binary), model: file,
                logDirectory: cache.logsDirectory, runDirectory: cache.runDirectory,
                repackMarker: cache.engineDirectory.appendingPathComponent("needs-no-repack"))
        }
    }

    /// Where a running server answers.
    public struct Endpoint: Sendable, Equatable {
        /// `http://127.0.0.1:PORT`.
        public let baseURL: URL
        /// The loopback port.
        public let port: Int
        /// The server's process id.
        public let processID: Int32
        /// The context window the server reports (`/v1/models` `meta.n_ctx`, else `/props`).
        public let contextWindow: Int
    }

    /// How the server is run (``Configuration/disableRepacking`` turns on after a crash while loading).
    public private(set) var configuration: Configuration
    /// How many times a server process was started (a restart after a death counts).
    public private(set) var startCount = 0
    private var current: Endpoint?
    /// The start under way, which every caller of ``endpoint()`` meanwhile waits for.
    private var starting: Task<Endpoint, any Error>?

    /// Creates the owner of a server; nothing starts until ``endpoint()``.
    /// - Parameter configuration: How to run the server.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    deinit {
        if let pid = current?.processID {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// The process id of the running server, or `nil` when none runs (a dead one is reaped here).
    public var processID: Int32? {
        guard let endpoint = current else { return nil }
        if Self.isRunning(endpoint.processID) { return endpoint.processID }
        forgetDead()
        return nil
    }

    /// The running server's endpoint, starting the server first if none runs or the last one died.
    /// - Returns: The endpoint.
    /// - Throws: ``LocalModelError`` `.serverFailed` with the end of the server's log when it does
    ///   not start or does not become healthy in time.
    public func endpoint() async throws -> Endpoint {
        if let endpoint = current {
            if Self.isRunning(endpoint.processID) { return endpoint }
            forgetDead()
        }
        // Callers that arrive while a start is under way wait for that start: the actor is
        // reentrant at each await, and two starts would leave one server orphaned.
        if let starting { return try await starting.value }
        let task = Task { try await self.startServer() }
        starting = task
        defer { starting = nil }
        return try await task.value
    }

    /// Starts a server (a few ports, and without repacking after a crash while loading).
    private func startServer() async throws -> Endpoint {
        var lastError: LocalModelError?
        // A port picked free can be taken before the server binds it; try a few.
        for _ in 0..<3 {
            do {
                let endpoint = try await start()
                current = endpoint
                return endpoint
            } catch let error as LocalModelError {
                lastError = error
            } catch let crash as CrashedWhileLoading {
                guard !configuration.disableRepacking else {
                    throw LocalModelError(.serverFailed, crash.message)
                }
                // Seen where the CPU reports AMX but its tile instructions fault: the repacked
                // (AMX) kernels crash; the plain ones work.
                configuration.disableRepacking = true
                if let marker = configuration.repackMarker {
                    try? AtomicFile.write(Data(crash.message.utf8), to: marker)
                }
                lastError = LocalModelError(.serverFailed, crash.message)
            }
        }
        throw lastError ?? LocalModelError(.serverFailed, "llama-server did not start")
    }

    /// Waits until the server's process has exited (and reaps it), or until `timeout` passes; used
    /// when its port stopped answering, so that the next ``endpoint()`` starts a new one.
    /// - Parameter timeout: The longest wait.
    public func waitUntilGone(for timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while processID != nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server if it runs: SIGTERM, then SIGKILL after five seconds; the process is reaped.
    public func stop() async {
        guard let endpoint = current else { return }
        current = nil
        let pid = endpoint.processID
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) {
                removeRecord(pid)
                return
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        removeRecord(pid)
    }

    // MARK: Internals

    /// Whether our child `pid` still runs; reaps it when it has exited.
    private static func isRunning(_ pid: Int32) -> Bool {
        exitStatus(pid) == nil
    }

    /// `nil` while our child `pid` runs; once it has exited, reaps it and returns its wait status
    /// (-1 when it was reaped elsewhere).
    private static func exitStatus(_ pid: Int32) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 { return nil }
        if result == pid { return status }
        if errno != ECHILD && kill(pid, 0) == 0 { return nil }
        return -1
    }

    /// The key in ``Configuration/apiKeyFile``, or `nil`.
    private var apiKey: String? {
        guard let file = configuration.apiKeyFile, let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: \.isNewline).first.map(String.init)
    }

    /// The server died of a signal such as SIGILL while loading the model.
    private struct CrashedWhileLoading: Error {
        var message: String
    }

    private func forgetDead() {
        if let pid = current?.processID { removeRecord(pid) }
        current = nil
    }

    private func start() async throws -> Endpoint {
        let port = try LoopbackHTTP.freePort()
        let logPath: String
        if let directory = configuration.logDirectory {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            logPath = directory.appendingPathComponent("llama-server-\(port).log").path
        } else {
            logPath = "/dev/null"
        }
        var arguments: [String] = [
            configuration.binary.path, "-m", configuration.model.path, "--host", "127.0.0.1", "--port", String(port),
            "-t", String(configuration.threads), "-c", String(configuration.contextSize), "-np", String(configuration.slots),
            "--no-webui", "--offline",
        ]
        if configuration.slots > 1 { arguments.append("--kv-unified") }
        if let keyFile = configuration.apiKeyFile { arguments += ["--api-key-file", keyFile.path] }
        if configuration.disableRepacking { arguments.append("--no-repack") }
        let environment = ChildEnvironment.clean(ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let output = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            throw LocalModelError(.serverFailed, "cannot open \(logPath): \(String(cString: strerror(errno)))")
        }
        defer { close(output) }
        let pid = try Self.spawn(arguments, environment: environment, output: output)
        startCount += 1
        writeRecord(pid: pid, port: port)

        let deadline = ContinuousClock.now + configuration.startupTimeout
        while true {
            if let status = Self.exitStatus(pid) {
                removeRecord(pid)
                let signal = status & 0x7f
                if status != -1, signal == SIGILL || signal == SIGSEGV || signal == SIGBUS {
                    throw CrashedWhileLoading(message: "llama-server died of signal \(signal) while loading \(configuration.model.lastPathComponent)\(configuration.disableRepacking ? " with --no-repack" : ""); the end of its log (\(logPath)):\n\(Self.tail(logPath))")
                }
                throw LocalModelError(.serverFailed, "llama-server exited while starting (wait status \(status)); the end of its log (\(logPath)):\n\(Self.tail(logPath))")
            }
            if let health = await LoopbackHTTP.get(port: port, path: "/health", timeoutSeconds: 2), health.status == 200 {
                break
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                removeRecord(pid)
                throw LocalModelError(.serverFailed, "llama-server did not answer /health within \(configuration.startupTimeout); the end of its log (\(logPath)):\n\(Self.tail(logPath))")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let contextWindow = await Self.contextWindow(port: port, bearer: apiKey) ?? configuration.contextSize
        var components = URLComponents()
        components.scheme = "http"
        components.host = "127.0.0.1"
        components.port = port
        guard let baseURL = components.url else {
            throw LocalModelError(.serverFailed, "cannot form the URL of port \(port)")
        }
        return Endpoint(baseURL: baseURL, port: port, processID: pid, contextWindow: contextWindow)
    }

    /// `meta.n_ctx` of the first model in `/v1/models`, else `n_ctx` from `/props`.
    static func contextWindow(port: Int, bearer: String?) async -> Int? {
        if let response = await LoopbackHTTP.get(port: port, path: "/v1/models", bearer: bearer), response.status == 200,
            let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let models = object["data"] as? [[String: Any]],
            let meta = models.first?["meta"] as? [String: Any],
            let value = (meta["n_ctx"] as? NSNumber)?.intValue
        {
            return value
        }
        if let response = await LoopbackHTTP.get(port: port, path: "/props", bearer: bearer), response.status == 200,
            let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        {
            if let settings = object["default_generation_settings"] as? [String: Any],
                let value = (settings["n_ctx"] as? NSNumber)?.intValue
            {
                return value
            }
            if let value = (object["n_ctx"] as? NSNumber)?.intValue { return value }
        }
        return nil
    }

    private static func spawn(_ arguments: [String], environment: [String], output: Int32) throws -> Int32 {
        func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
            strings.map { strdup($0) } + [nil]
        }
        let argv = cStrings(arguments)
        let envp = cStrings(environment)
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var errorNumber: Int32 = 0
        var failedCall: UnsafePointer<CChar>?
        let pid = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                assist_spawn(arguments[0], argvBuffer.baseAddress, envpBuffer.baseAddress, output, output, &errorNumber, &failedCall)
            }
        }
        guard pid > 0 else {
            let call = failedCall.map { String(cString: $0) } ?? "spawn"
            throw LocalModelError(.serverFailed, "cannot start \(arguments[0]): \(call): \(String(cString: strerror(errorNumber)))")
        }
        return pid
    }

    private static func tail(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log)" }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(15).joined(separator: "\n")
    }

    private func writeRecord(pid: Int32, port: Int) {
        guard let directory = configuration.runDirectory else { return }
        let record = ManagedServerRecord(
            processID: pid, port: port, ownerProcessID: getpid(), model: configuration.model.path,
            binary: configuration.binary.path, startedAt: Date().formatted(.iso8601))
        try? AtomicFile.write(record, to: directory.appendingPathComponent("server-\(pid).json"))
    }

    private func removeRecord(_ pid: Int32) {
        guard let directory = configuration.runDirectory else { return }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("server-\(pid).json"))
    }
}

/// What a managed server writes to the cache's `run/` directory while it runs.
public struct ManagedServerRecord: Codable, Sendable, Equatable {
    /// The server's process id.
    public var processID: Int32
    /// The loopback port it listens on.
    public var port: Int
    /// The process that started it and owns it.
    public var ownerProcessID: Int32
    /// The model file it serves.
    public var model: String
    /// The binary it runs.
    public var binary: String
    /// When it started, ISO 8601.
    public var startedAt: String
}
