import ArgumentParser
import AssistCore
import AssistIndex
import AssistServer
import Foundation

/// `assist classify "…"`: how a request would be classified, and why, without running it.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Show how a request would be classified (kind, confidence, features) without running it.",
        discussion: """
            Kinds: docstring, refactor (one file), multi-file, explain, other. The classifier looks at \
            the instruction's words, the selection, the identifiers it names and where the repository \
            index says they are declared and used, and the tokens the needed context would take. Run it \
            inside a git repository; the index is built or refreshed first.
            """
    )

    @Argument(help: "The instruction or question.")
    var instruction: String

    @Option(help: "The file the request is about.")
    var file: String?

    @Option(help: "The selected lines, 1-based and inclusive: START:END.")
    var selection: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if let selection { _ = try Self.parseSelection(selection) }
        if selection != nil, file == nil { throw ValidationError("--selection needs --file") }
    }

    static func parseSelection(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]), start >= 1, end >= start else {
            throw ValidationError("--selection is START:END, 1-based with START <= END: got \(text)")
        }
        return start...end
    }

    func run() throws {
        let workspace = try RepositoryWorkspace.open(command: "classify")
        let relative = try file.map { try workspace.relativePath(of: $0, command: "classify") }
        let range = try selection.map(Self.parseSelection)
        let input: ClassificationRequest
        do {
            input = try workspace.gatherer.classificationRequest(instruction: instruction, file: relative, selection: range)
        } catch {
            RepositoryWorkspace.fail("classify", "\(error)")
        }
        let classification = Classifier.classify(input)
        if json {
            print(try JSONOutput.encode(WireResults.classification(classification)))
            return
        }
        print("kind: \(classification.kind.rawValue)")
        print("confidence: \(classification.confidence)")
        print("features:")
        for feature in classification.features {
            print("  \(feature.decisive ? "*" : " ") \(feature.name) = \(feature.value)")
        }
    }
}

/// `assist ask "…"`: multi-file questions; for now only the packed context (`--context-only`).
struct AskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask about the repository; --context-only prints the context that would be sent.",
        discussion: """
            Retrieval: the identifiers the question names (CamelCase, lowerCamel, backticked), their \
            declarations and uses in the index, and BM25 over every Swift file's words and identifiers. \
            Packing: full text for the closest code, signatures for the rest, within --budget tokens \
            (estimated as UTF-8 bytes / 4). Answering with a model is not available yet: use --context-only.
            """
    )

    @Argument(help: "The question.")
    var question: String

    @Flag(help: "Print the packed context without calling any model.")
    var contextOnly = false

    @Option(help: "The token budget of the packed context.")
    var budget = 32_000

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if budget < 1 { throw ValidationError("--budget must be positive: got \(budget)") }
    }

    func run() throws {
        guard contextOnly else {
            RepositoryWorkspace.fail("ask", "answering with a model is not available yet; use --context-only to see the packed context")
        }
        let workspace = try RepositoryWorkspace.open(command: "ask")
        let context: PackedContext
        do {
            context = try workspace.gatherer.pack(question: question, budget: budget)
        } catch {
            RepositoryWorkspace.fail("ask", "\(error)")
        }
        if json {
            print(try JSONOutput.encode(WireResults.packedContext(context)))
            return
        }
        for piece in context.pieces {
            print("// \(piece.path):\(piece.lines.lowerBound)-\(piece.lines.upperBound) (\(piece.form.rawValue), \(piece.tokens) tokens)")
            print(piece.text, terminator: "")
        }
        print("// total: \(context.totalTokens) of \(context.budget) tokens, \(context.files.count) files")
    }
}

/// The repository around the current directory, its index refreshed.
struct RepositoryWorkspace {
    var index: SwiftWorkspaceIndex
    var gatherer: RequestContextGatherer
    var root: String

    static func fail(_ command: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("assist \(command): \(message)\n".utf8))
        Foundation.exit(1)
    }

    static func open(command: String) throws -> RepositoryWorkspace {
        let index: SwiftWorkspaceIndex
        do {
            index = try SwiftWorkspaceIndex(at: FileManager.default.currentDirectoryPath)
            try index.refresh()
        } catch {
            fail(command, "\(error)")
        }
        return RepositoryWorkspace(index: index, gatherer: RequestContextGatherer(index: index), root: index.index.root)
    }

    func relativePath(of file: String, command: String) throws -> String {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let resolved = URL(fileURLWithPath: file, relativeTo: cwd).standardizedFileURL.resolvingSymlinksInPath().path
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(resolvedRoot + "/") else { Self.fail(command, "\(file) is outside the repository at \(root)") }
        guard FileManager.default.fileExists(atPath: resolved) else { Self.fail(command, "file not found: \(file)") }
        return String(resolved.dropFirst(resolvedRoot.count + 1))
    }
}
