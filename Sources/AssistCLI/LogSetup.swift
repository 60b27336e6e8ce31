import ArgumentParser
import AssistCore
import Foundation
import Logging
import Synchronization

/// Sets up swift-log for the process: to standard error, or appended to the `log.file` file.
/// Never to standard output.
enum LogSetup {
    static func bootstrap(configuration: Configuration, label: String) throws -> Logger {
        let level = configuration.string("log.level").flatMap(Logger.Level.init(rawValue:)) ?? .info
        if let path = configuration.string("log.file"), !path.isEmpty {
            guard let handle = FileLogHandler.open(path) else {
                FileHandle.standardError.write(Data("assist: cannot open the log file '\(path)' (log.file) for appending\n".utf8))
                throw ExitCode.failure
            }
            LoggingSystem.bootstrap { label in FileLogHandler(label: label, file: handle, logLevel: level) }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: label)
    }
}

/// Appends one line per message to a file; writes are serialised by the file's mutex.
struct FileLogHandler: LogHandler {
    final class File: Sendable {
        let handle: Mutex<FileHandle>
        init(_ handle: FileHandle) { self.handle = Mutex(handle) }
    }

    let label: String
    let file: File
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, file: File, logLevel: Logger.Level) {
        self.label = label
        self.file = file
        self.logLevel = logLevel
    }

    static func open(_ path: String) -> File? {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { return nil }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return nil }
        handle.seekToEndOfFile()
        return File(handle)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let details = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(event.message)\(details)\n"
        file.handle.withLock { $0.write(Data(line.utf8)) }
    }
}
