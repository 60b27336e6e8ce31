import AssistCore
import AssistJSONRPC
import AssistProtocol
import AssistServer
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value shared between threads, guarded by its mutex.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// Why a test client call failed.
public struct TestClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A JSON-RPC client for tests: it talks over real pipes to a server running in this process, or to
/// the real `assist serve` binary, and checks that the server's output holds nothing but frames.
///
/// Waiting calls are `async` and never block a thread (tests and the server's tasks share the
/// cooperative pool); the reading thread hands messages to waiters or queues them, under `inbox`'s mutex.
public final class TestClient: Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable (JSONValue) -> Bool
        var continuation: CheckedContinuation<JSONValue?, Never>
    }

    private struct Inbox {
        var messages: [JSONValue] = []
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false
        /// Framing problems in the server's output: stdout must carry only frames.
        var outputErrors: [String] = []
        var rawOutputBytes = 0
    }

    private let inbox = Mutex(Inbox())
    private let toServer: Int32
    private let nextID = Atomic<Int>(0)
    private let exitState: Locked<Int32?>
    private let exitCode: @Sendable () -> Int32?
    private let stderrBuffer: Locked<[UInt8]>
    /// The server, when it runs in this process.
    public let server: Server?

    private init(
        toServer: Int32, fromServer: Int32, server: Server?, exitState: Locked<Int32?>,
        stderrBuffer: Locked<[UInt8]>, exitCode: @escaping @Sendable () -> Int32?
    ) {
        self.toServer = toServer
        self.server = server
        self.exitState = exitState
        self.stderrBuffer = stderrBuffer
        self.exitCode = exitCode
        let reader = Thread { [self] in self.readLoop(fromServer) }
        reader.start()
    }

    // MARK: - Starting

    /// Starts a server in this process, over two pipes, on a thread of its own.
    ///
    /// - Parameters:
    ///   - workingDirectory: The server's working directory (its default repository root).
    ///   - environment: The environment the server sees (no user config is read unless it points there).
    ///   - maxMessageBytes: The frame size limit before `initialize`.
    ///   - configure: Registers extra handlers (test-only methods) before the server starts.
    /// - Returns: A connected client.
    public static func inProcess(
        workingDirectory: String = FileManager.default.temporaryDirectory.path,
        environment: [String: String] = [:],
        maxMessageBytes: Int? = nil,
        parentCheckInterval: Duration = .seconds(2),
        terminate: @escaping @Sendable (Int32) -> Void = { _ in },
        configure: (Server) -> Void = { _ in }
    ) throws -> TestClient {
        let input = try makePipe()
        let output = try makePipe()
        var environment = environment
        if let maxMessageBytes { environment["ASSIST_SERVER_MAX_MESSAGE_BYTES"] = String(maxMessageBytes) }
        let (configuration, _) = ConfigLoader.load(userFile: nil, repositoryFile: nil, environment: environment)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("assist-test-home").path
        let server = Server(
            connection: FileDescriptorConnection(input: input.read, output: output.write),
            options: ServerOptions(
                workingDirectory: workingDirectory,
                environment: environment.merging(["XDG_CONFIG_HOME": home]) { mine, _ in mine },
                homeDirectory: home,
                logger: Logger(label: "assist.test", factory: { _ in SwiftLogNoOpLogHandler() }),
                parentCheckInterval: parentCheckInterval,
                terminate: terminate
            ),
            configuration: configuration
        )
        configure(server)
        let exitState = Locked<Int32?>(nil)
        let thread = Thread {
            let code = server.run()
            close(output.write)
            close(input.read)
            exitState.withLock { $0 = code }
        }
        thread.start()
        return TestClient(
            toServer: input.write, fromServer: output.read, server: server, exitState: exitState,
            stderrBuffer: Locked([]), exitCode: { exitState.withLock { $0 } }
        )
    }

    /// Starts the real `assist` binary with `serve`.
    ///
    /// - Parameters:
    ///   - arguments: The arguments (default `["serve"]`).
    ///   - workingDirectory: Its working directory.
    ///   - environment: Extra environment variables; `HOME` and `XDG_CONFIG_HOME` default to a scratch folder.
    /// - Returns: A connected client.
    /// - Throws: `TestClientError` when the binary is missing (it names the command that builds it).
    public static func subprocess(
        arguments: [String] = ["serve"], workingDirectory: String = FileManager.default.temporaryDirectory.path,
        environment: [String: String] = [:]
    ) throws -> TestClient {
        let binary = try assistBinary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("assist-test-home").path
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ASSIST_") && !$0.key.hasSuffix("_API_KEY") }
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home
        env.merge(environment) { _, new in new }
        process.environment = env
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let stderrBuffer = Locked<[UInt8]>([])
        let stderrFD = stderr.fileHandleForReading.fileDescriptor
        Thread {
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                stderrBuffer.withLock { $0.append(contentsOf: chunk[0..<count]) }
            }
        }.start()
        let exitState = Locked<Int32?>(nil)
        let processBox = ProcessBox(process)
        return TestClient(
            toServer: stdin.fileHandleForWriting.fileDescriptor,
            fromServer: stdout.fileHandleForReading.fileDescriptor,
            server: nil, exitState: exitState, stderrBuffer: stderrBuffer,
            exitCode: {
                guard !processBox.process.isRunning else { return nil }
                let process = processBox.process
                let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
                exitState.withLock { $0 = status }
                return status
            }
        )
    }

    private final class ProcessBox: @unchecked Sendable {
        let process: Process
        init(_ process: Process) { self.process = process }
    }

    /// The path of the built `assist` binary: `$ASSIST_BINARY`, else beside the test bundle.
    ///
    /// - Returns: The path.
    /// - Throws: `TestClientError` naming the build command when it is missing.
    public static func assistBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["ASSIST_BINARY"] { return path }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On macOS the tests run inside a .xctest bundle.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
            || directory.lastPathComponent == "Contents"
        {
            directory = directory.deletingLastPathComponent()
        }
        let candidate = directory.appendingPathComponent("assist").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw TestClientError("the assist binary is not at \(candidate): run `swift build` first, or set ASSIST_BINARY")
        }
        return candidate
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestClientError("pipe() failed: errno \(errno)") }
        return (fds[0], fds[1])
    }

    // MARK: - Sending

    /// Writes raw bytes to the server, as they are.
    ///
    /// - Parameter bytes: The bytes.
    public func sendRaw(_ bytes: [UInt8]) {
        signal(SIGPIPE, SIG_IGN)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(toServer, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Writes a string to the server, as it is.
    public func sendRaw(_ text: String) { sendRaw(Array(text.utf8)) }

    /// Frames and writes a JSON body.
    ///
    /// - Parameter body: The body's exact text.
    public func sendBody(_ body: String) { sendRaw(encodeFrame(Array(body.utf8))) }

    /// Frames and writes a JSON value.
    ///
    /// - Parameter message: The message.
    public func send(_ message: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail for finite numbers; tests pass only those.
        let body = (try? encoder.encode(message)) ?? Data()
        sendRaw(encodeFrame(Array(body)))
    }

    /// Sends a request with a fresh numeric id.
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - params: Its parameters, or `nil` for none.
    /// - Returns: The id used.
    @discardableResult
    public func sendRequest(_ method: String, _ params: JSONValue? = nil) -> RequestID {
        let id = nextID.add(1, ordering: .relaxed).newValue
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method)]
        if let params { message["params"] = params }
        send(.object(message))
        return .number(id)
    }

    /// Sends a notification.
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - params: Its parameters, or `nil` for none.
    public func notify(_ method: String, _ params: JSONValue? = nil) {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        send(.object(message))
    }

    /// Sends a request and waits for the response with its id (other messages stay queued).
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - params: Its parameters.
    ///   - timeout: Seconds to wait.
    /// - Returns: The whole response object.
    /// - Throws: `TestClientError` on timeout.
    @discardableResult
    public func request(_ method: String, _ params: JSONValue? = nil, timeout: Double = 60) async throws -> JSONValue {
        let id = sendRequest(method, params)
        return try await response(to: id, timeout: timeout)
    }

    /// Sends `initialize` (and `initialized`) and returns the `initialize` response.
    ///
    /// - Parameters:
    ///   - rootPath: The workspace root, sent as a `file://` URI.
    ///   - options: `initializationOptions`.
    ///   - capabilities: The client's LSP capabilities.
    /// - Returns: The response.
    @discardableResult
    public func initialize(rootPath: String? = nil, options: JSONValue? = nil, capabilities: JSONValue = [:]) async throws -> JSONValue {
        var params: [String: JSONValue] = ["processId": .null, "capabilities": capabilities, "clientInfo": ["name": "assist-tests"]]
        if let rootPath { params["rootUri"] = .string(URL(fileURLWithPath: rootPath).absoluteString) }
        if let options { params["initializationOptions"] = options }
        let response = try await request("initialize", .object(params))
        notify("initialized", [:])
        return response
    }

    /// Sends `shutdown` then `exit` and waits for the process (or thread) to end.
    ///
    /// - Returns: The exit code.
    public func shutdownAndExit(timeout: Double = 60) async throws -> Int32 {
        let response = try await request("shutdown")
        guard response["error"] == nil else { throw TestClientError("shutdown failed: \(response)") }
        notify("exit")
        guard let code = await waitForExit(timeout: timeout) else { throw TestClientError("the server did not exit") }
        return code
    }

    /// Answers a request the server sent (e.g. `workspace/applyEdit`) with a result.
    ///
    /// - Parameters:
    ///   - request: The server's request, as received.
    ///   - result: The result to answer with.
    public func respond(to request: JSONValue, result: JSONValue) {
        send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": result])
    }

    /// Closes the server's input (EOF).
    public func closeInput() { close(toServer) }

    // MARK: - Receiving

    /// Waits for the next message of any kind.
    ///
    /// - Parameter timeout: Seconds to wait.
    /// - Returns: The message, or `nil` when the output closed or the time ran out.
    public func nextMessage(timeout: Double = 60) async -> JSONValue? {
        await take(timeout: timeout) { _ in true }
    }

    /// Waits for the response with this id.
    ///
    /// - Parameters:
    ///   - id: The request id.
    ///   - timeout: Seconds to wait.
    /// - Returns: The response object.
    /// - Throws: `TestClientError` on timeout, naming what did arrive.
    public func response(to id: RequestID, timeout: Double = 60) async throws -> JSONValue {
        let wanted = id.jsonValue
        if let message = await take(timeout: timeout, where: { $0["id"] == wanted && $0["method"] == nil }) {
            return message
        }
        throw TestClientError("no response to request \(id) within \(timeout) s; queued: \(pending)")
    }

    /// Waits for a request the server sends to the client.
    ///
    /// - Parameters:
    ///   - method: The request's method.
    ///   - timeout: Seconds to wait.
    /// - Returns: The request, or `nil` on timeout or when the output closed.
    public func serverRequest(_ method: String, timeout: Double = 60) async -> JSONValue? {
        await take(timeout: timeout) { $0["method"] == .string(method) && $0["id"] != nil }
    }

    /// Waits for the first message that matches.
    ///
    /// - Parameters:
    ///   - timeout: Seconds to wait.
    ///   - predicate: Which message to take.
    /// - Returns: The message, or `nil` on timeout or when the output closed.
    public func take(timeout: Double = 60, where predicate: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue? {
        let waiterID = inbox.withLock { inbox in
            inbox.nextWaiter += 1
            return inbox.nextWaiter
        }
        let expiry = Task {
            try? await Task.sleep(for: .seconds(timeout))
            let expired = self.inbox.withLock { inbox -> Waiter? in
                guard let index = inbox.waiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return inbox.waiters.remove(at: index)
            }
            expired?.continuation.resume(returning: nil)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { continuation in
            let immediate: JSONValue?? = inbox.withLock { inbox -> JSONValue?? in
                if let index = inbox.messages.firstIndex(where: predicate) { return .some(inbox.messages.remove(at: index)) }
                if inbox.closed { return .some(.none) }
                inbox.waiters.append(Waiter(id: waiterID, predicate: predicate, continuation: continuation))
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// The messages received and not yet taken.
    public var pending: [JSONValue] { inbox.withLock { $0.messages } }

    /// Problems found in the server's output; empty when it carried only well-formed frames.
    public var outputErrors: [String] { inbox.withLock { $0.outputErrors } }

    /// What the server wrote to stderr (subprocess only).
    public var standardError: String { stderrBuffer.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits for the server to end.
    ///
    /// - Parameter timeout: Seconds to wait.
    /// - Returns: The exit code (negative: killed by that signal), or `nil` when it is still running.
    public func waitForExit(timeout: Double = 60) async -> Int32? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let code = exitCode() { return code }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return exitCode()
    }

    /// The exit code if the server has ended, without waiting.
    public var exitCodeIfEnded: Int32? { exitCode() }

    private func readLoop(_ fd: Int32) {
        var decoder = FrameDecoder(maxMessageBytes: 1 << 30)
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            decoder.append(chunk[0..<count])
            inbox.withLock { $0.rawOutputBytes += count }
            while let event = decoder.next() {
                let delivery: (CheckedContinuation<JSONValue?, Never>, JSONValue)? = inbox.withLock { inbox in
                    switch event {
                    case .message(let body):
                        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
                            inbox.outputErrors.append("a frame whose body is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
                            return nil
                        }
                        if let index = inbox.waiters.firstIndex(where: { $0.predicate(value) }) {
                            return (inbox.waiters.remove(at: index).continuation, value)
                        }
                        inbox.messages.append(value)
                    case .error(let error):
                        inbox.outputErrors.append("output is not clean frames: \(error)")
                    }
                    return nil
                }
                if let (continuation, value) = delivery { continuation.resume(returning: value) }
            }
        }
        let waiters = inbox.withLock { inbox in
            if let error = decoder.finish() { inbox.outputErrors.append("output ended inside a frame: \(error)") }
            inbox.closed = true
            defer { inbox.waiters.removeAll() }
            return inbox.waiters
        }
        close(fd)
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }
}
