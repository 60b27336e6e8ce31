import ArgumentParser
import AssistIndex
import AssistRequests
import AssistWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `assist index`: builds or refreshes the repository index and prints its figures.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build or refresh the repository index and print its figures.",
        discussion: """
            Lists the files git knows (HEAD, the staged index, the working tree's changes and \
            untracked files), parses every Swift file with swift-syntax, and keeps the results under \
            .git/assist/, keyed by content, so later runs analyse only what changed. Shows a progress \
            bar on a terminal.
            """
    )

    @Argument(help: "A directory inside the repository (default: the current directory).")
    var path: String?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Flag(help: "Check the index database file first (SQLite's quick_check) and rebuild it if it is damaged.")
    var verify = false

    func run() async throws {
        let start = path ?? FileManager.default.currentDirectoryPath
        let workspace: Workspace
        do {
            workspace = try Workspace.open(
                at: start, environment: ProcessInfo.processInfo.environment,
                homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path).0
        } catch {
            FileHandle.standardError.write(Data("assist index: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if verify, let problem = try? await workspace.verifyIndexDatabase() {
            FileHandle.standardError.write(Data("assist index: the index database was damaged (\(problem)); it was rebuilt\n".utf8))
        }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let summary: WorkspaceIndexSummary
        do {
            summary = try await workspace.index(refresh: true) { done, total in bar.update(done: done, total: total) }
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("assist index: \(error)\n".utf8))
            throw ExitCode.failure
        }
        bar.finish()
        let root = workspace.root
        if json {
            print(try JSONOutput.encode(WireResults.index(summary, root: root)))
        } else {
            print(IndexReport.text(summary, root: root), terminator: "")
        }
    }
}

/// A one-line progress bar on stderr, redrawn in place.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let width = 30
        let filled = done * width / total
        let line = "\r[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(done)/\(total) files"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}

/// The figures of `assist index` as text; `--json` prints the wire result of `assist/index/status`.
enum IndexReport {
    static func text(_ summary: WorkspaceIndexSummary, root: String) -> String {
        let figures = summary.figures
        var lines = ["repository: \(root)"]
        let languages = figures.filesByLanguage.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
        lines.append("files: \(figures.files) (" + languages.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")")
        lines.append("analysed: \(figures.filesAnalyzed) Swift files, \(summary.declarations) declarations, \(summary.filesWithSyntaxErrors) with syntax errors")
        if !figures.filesSkipped.isEmpty {
            lines.append("not analysed: " + figures.filesSkipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        }
        let undocumented = summary.publicAPI - summary.publicAPIDocumented
        lines.append("public API: \(summary.publicAPI) declarations, \(summary.publicAPIDocumented) documented, \(undocumented) undocumented")
        lines.append("cache: \(figures.cacheLoad); \(figures.cacheHits) hits, \(figures.cacheMisses) misses, \(figures.analyses) analyses, \(figures.cacheFileBytes) bytes on disk")
        if let error = figures.cacheWriteError { lines.append("cache not written: \(error)") }
        let database = summary.database
        let sync = database.sync
        lines.append(
            "database: \(database.path ?? "in memory"), \(database.bytes) bytes on disk; this refresh wrote \(sync.filesWritten) files, "
                + "removed \(sync.filesRemoved), added \(sync.blobsAdded) blobs, removed \(sync.blobsRemoved)")
        if let note = database.note { lines.append("database \(note)") }
        let total = figures.timings.values.reduce(0, +)
        var time = String(format: "time: %.3f s in the index (", total) + IndexFigures.Phase.allCases.compactMap { phase in
            figures.timings[phase].map { String(format: "%@ %.3f", phase.rawValue, $0) }
        }.joined(separator: ", ") + ")"
        if let wall = ProcessClock.secondsSinceStart() {
            time += String(format: "; %.3f s since the process started (start-up, opening the repository and this report included)", wall)
        }
        lines.append(time)
        return lines.joined(separator: "\n") + "\n"
    }

}

/// The wall time of this process so far, from the kernel's record of when it started.
enum ProcessClock {
    /// Seconds since the process started (10 ms resolution), or `nil` where `/proc` cannot tell.
    static func secondsSinceStart() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces); starttime is field 22 of the line.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]), let now = Double(uptime.split(separator: " ").first ?? "") else { return nil }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return max(0, now - ticks / max(1, hertz))
    }
}

/// `--json` output: the wire values, pretty-printed with sorted keys.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
