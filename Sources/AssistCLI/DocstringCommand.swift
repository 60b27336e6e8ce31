import ArgumentParser
import AssistCore
import AssistDocstrings
import AssistFiles
import AssistGit
import AssistRequests
import AssistSwift
import AssistWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `assist docstring FILE`: DocC comments written by the local model, as a diff known to apply.
struct DocstringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docstring",
        abstract: "Document Swift declarations with the local model; prints a unified diff.",
        discussion: """
            Choose one declaration with --symbol NAME or --line N, or every undocumented one with --all. \
            The diff (paths a/… b/… from the repository root) is printed only after it has been checked: \
            it applies to the file as read, only /// lines were added, the file still parses, and each \
            comment's parameters, Returns and Throws match its signature. --apply writes it, refusing if \
            the file changed meanwhile. --check calls no model: it lists undocumented public/open \
            declarations as path:line: name and exits 1 if there are any.
            """
    )

    @Argument(help: "The Swift file.")
    var file: String

    @Option(help: "The declaration to document (a name like append, append(_:) or Buffer.append).")
    var symbol: String?

    @Option(help: "Document the innermost declaration holding this 1-based line.")
    var line: Int?

    @Flag(help: "Document every undocumented declaration in the file.")
    var all = false

    @Flag(help: "Write the change to the file (atomically).")
    var apply = false

    @Flag(help: "List undocumented public/open declarations without calling a model; exit 1 if any.")
    var check = false

    @Flag(help: "Print the full result object as JSON.")
    var json = false

    @Option(help: "The local model: qwen2.5-coder-0.5b (default) or smollm2-135m; with providers.local.baseURL set, the model name sent to that server.")
    var model: String?

    func validate() throws {
        let choices = [symbol != nil, line != nil, all].filter { $0 }.count
        if check, choices > 0 { throw ValidationError("--check takes no --symbol, --line or --all: it looks at the whole file") }
        if !check, choices != 1 { throw ValidationError("choose one of --symbol NAME, --line N or --all (or --check)") }
        if let line, line < 1 { throw ValidationError("--line is 1-based: got \(line)") }
    }

    func run() async throws {
        let target = SwiftFileArgument.locate(file, command: "docstring")
        let source = target.text
        if check {
            let analysis = SwiftAnalyzer.analyze(source: source)
            let missing = DocstringPlanner.undocumentedPublicAPI(analysis)
            for declaration in missing { print("\(file):\(declaration.range.start.line): \(declaration.fullName)") }
            if !missing.isEmpty { throw ExitCode.failure }
            return
        }
        let selection: DocstringSelection = if let symbol { .symbol(symbol) } else if let line { .line(line) } else { .allUndocumented }
        let workspace = CommandWorkspace.open(command: "docstring", repository: target.repository)
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json && all)
        let outcome: DocstringOutcome
        let model: String
        do {
            (outcome, model) = try await workspace.workspace.document(
                path: target.relativePath, text: source, selection: selection, model: self.model,
                events: RequestEvents(progress: { done, total in bar.update(done: done, total: total) }))
        } catch {
            bar.finish()
            await workspace.workspace.stop()
            workspace.fail(error is CancellationError ? "cancelled" : "\(error)")
        }
        bar.finish()
        await workspace.workspace.stop()
        for failure in outcome.failures { FileHandle.standardError.write(Data("assist docstring: \(failure)\n".utf8)) }
        if apply, !outcome.diff.isEmpty {
            do {
                try FileTree(root: target.repositoryRoot).write(
                    outcome.updated, to: target.relativePath, expecting: .content(Array(source.utf8)))
            } catch {
                workspace.fail(error.reason)
            }
        }
        if json {
            let result = WireResults.docstring(outcome, model: model, uri: URL(fileURLWithPath: target.absolutePath).absoluteString)
            print(try JSONOutput.encode(result))
        } else if !apply {
            print(outcome.diff, terminator: "")
        } else if !outcome.diff.isEmpty {
            FileHandle.standardError.write(Data("assist docstring: documented \(outcome.documented.count) declaration(s) in \(file)\n".utf8))
        }
        if !outcome.failures.isEmpty { throw ExitCode.failure }
    }
}

/// A Swift file named on the command line, inside a repository's working tree, read once.
struct SwiftFileArgument {
    var absolutePath: String
    var relativePath: String
    var repository: Repository
    /// The repository's working directory.
    var repositoryRoot: String
    var text: String

    /// Finds and reads the file; exits 1 with `assist COMMAND: …` when it cannot be used.
    static func locate(_ file: String, command: String) -> SwiftFileArgument {
        func fail(_ message: String) -> Never { CommandWorkspace.fail(command, message) }
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            fail("file not found: \(file)")
        }
        guard path.hasSuffix(".swift") else { fail("not a Swift file: \(file)") }
        let repository: Repository
        do {
            repository = try Repository.open(at: url.deletingLastPathComponent().path)
        } catch {
            fail("\(error)")
        }
        guard let root = repository.workingDirectory else { fail("the repository has no working tree: \(repository.gitDirectory)") }
        let (resolved, relative) = CommandWorkspace.inside(path, root: root, named: file, command: command)
        let resolvedRoot = String(resolved.dropLast(relative.count + 1))
        guard !relative.hasPrefix(".git/") else { fail("refusing to touch a file inside .git/: \(file)") }
        let bytes: [UInt8]
        do {
            bytes = try FileTree(root: resolvedRoot).read(relative)
        } catch {
            fail("cannot read \(file): \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { fail("\(file) is not valid UTF-8") }
        return SwiftFileArgument(
            absolutePath: resolved, relativePath: relative, repository: repository, repositoryRoot: root, text: text)
    }
}
