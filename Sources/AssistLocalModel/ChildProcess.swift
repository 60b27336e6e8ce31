import Foundation

/// Runs helper programs (python, pip, sha256sum) as child processes.
enum ChildProcess {
    /// The result of a command whose standard output was captured.
    struct Output: Sendable {
        var status: Int32
        var standardOutput: String
    }

    /// Finds an executable by name on a `PATH`.
    /// - Parameters:
    ///   - name: A program name such as `python3`.
    ///   - path: The `PATH` value to search.
    /// - Returns: The program's absolute path, or `nil` when no directory on `path` has it.
    static func find(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program, sending its standard output and standard error to this process's standard
    /// error, and waits for it.
    /// - Parameters:
    ///   - executable: The program's path.
    ///   - arguments: Its arguments.
    ///   - environment: Its whole environment.
    ///   - captureOutput: Whether to capture standard output instead of passing it to standard error.
    ///   - quiet: Whether to discard standard error too (for probes whose failure is reported otherwise).
    /// - Returns: The exit status and, when captured, the standard output.
    /// - Throws: ``LocalModelError`` when the program cannot be started.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        captureOutput: Bool = false, quiet: Bool = false
    ) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        let sink: FileHandle = quiet ? FileHandle.nullDevice : FileHandle.standardError
        process.standardOutput = captureOutput ? pipe : sink
        process.standardError = sink
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished.continuation.yield($0.terminationStatus); finished.continuation.finish() }
        do {
            try process.run()
        } catch {
            throw LocalModelError(.commandFailed, "cannot run \(executable): \(error.localizedDescription)")
        }
        var captured = Data()
        if captureOutput {
            // Read on a plain thread: the read blocks until the child closes its output.
            let handle = pipe.fileHandleForReading
            captured = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: handle.readDataToEndOfFile()) }.start()
            }
        }
        var status: Int32 = -1
        for await value in finished.stream { status = value }
        return Output(status: status, standardOutput: String(decoding: captured, as: UTF8.self))
    }
}
