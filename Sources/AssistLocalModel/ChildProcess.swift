import CAssistSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs helper programs (python, pip, sha256sum) as child processes.
public enum ChildProcess {
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

    /// The process groups of the children running now, so that an interrupted installation can end
    /// them (pip's build runs as pip's children, out of reach of the death signal).
    private static let running = Mutex<Set<Int32>>([])

    /// Sends SIGTERM to every running child's process group (for SIGINT/SIGTERM handlers).
    public static func terminateAll() {
        for group in running.withLock({ $0 }) { kill(-group, SIGTERM) }
    }

    /// Runs a program, sending its standard output and standard error to this process's standard
    /// error, and waits for it.
    ///
    /// The child starts through `assist_spawn`: a new process group, default signal handling,
    /// and (Linux) a death signal when this process ends.
    /// - Parameters:
    ///   - executable: The program's path.
    ///   - arguments: Its arguments.
    ///   - environment: Its whole environment.
    ///   - captureOutput: Whether to capture standard output instead of passing it to standard error.
    ///   - quiet: Whether to discard standard error too (for probes whose failure is reported otherwise).
    /// - Returns: The exit status (128 + the signal number when a signal ended it) and, when captured,
    ///   the standard output.
    /// - Throws: ``LocalModelError`` when the program cannot be started.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        captureOutput: Bool = false, quiet: Bool = false
    ) async throws -> Output {
        var pipe: [Int32] = [-1, -1]
        if captureOutput {
            guard pipe.withUnsafeMutableBufferPointer({ makePipe($0.baseAddress) }) == 0 else {
                throw LocalModelError(.commandFailed, "pipe() failed: \(String(cString: strerror(errno)))")
            }
        }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        let errorFD = quiet ? null : STDERR_FILENO
        let outputFD = captureOutput ? pipe[1] : errorFD
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ChildEnvironment.clean(environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var errorNumber: Int32 = 0
        var failedCall: UnsafePointer<CChar>?
        let pid = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                assist_spawn(executable, argvBuffer.baseAddress, envpBuffer.baseAddress, outputFD, errorFD, &errorNumber, &failedCall)
            }
        }
        if captureOutput { close(pipe[1]) }
        guard pid > 0 else {
            if captureOutput { close(pipe[0]) }
            let call = failedCall.map { String(cString: $0) } ?? "spawn"
            throw LocalModelError(.commandFailed, "cannot run \(executable): \(call): \(String(cString: strerror(errorNumber)))")
        }
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }
        let readFD = pipe[0]
        // Blocking reads and waitpid run on their own thread, never on the cooperative pool.
        return await withCheckedContinuation { continuation in
            Thread {
                var captured: [UInt8] = []
                if captureOutput {
                    var chunk = [UInt8](repeating: 0, count: 16 << 10)
                    while true {
                        let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                        if count < 0 && errno == EINTR { continue }
                        if count <= 0 { break }
                        captured += chunk[0..<count]
                    }
                    close(readFD)
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let signal = status & 0x7f
                let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                continuation.resume(returning: Output(status: code, standardOutput: String(decoding: captured, as: UTF8.self)))
            }.start()
        }
    }
}

private func makePipe(_ descriptors: UnsafeMutablePointer<Int32>?) -> Int32 {
    #if canImport(Glibc)
    Glibc.pipe(descriptors)
    #else
    Darwin.pipe(descriptors)
    #endif
}
