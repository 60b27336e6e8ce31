import ArgumentParser
import AssistCore
import AssistIndex
import AssistProtocol
import AssistServer
import Foundation

/// `assist classify "…"`: how a request would be classified, and why, without running it.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Show how a request would be classified (kind, confidence, features) without running it.",
        discussion: """
            Kinds: docstring, refactor (one file), multi-file, explain, other. The classifier looks at \
            the instruction's words, the selection, the identifiers it names and where the repository \
            index says they are declared and used, and the tokens the needed context would take. Run it \
            inside a git repository; the index is built or refreshed first. The route is worked out \
            too (offline, privacy, secrets, budget, fit, kind, availability), each step with its reason; \
            no model is called.
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

    func run() async throws {
        let workspace = try RepositoryWorkspace.open(command: "classify")
        let relative = try file.map { try workspace.relativePath(of: $0, command: "classify") }
        let range = try selection.map(Self.parseSelection)
        let classification: Classification
        var result: ClassifyResult
        do {
            let input = try workspace.gatherer.classificationRequest(instruction: instruction, file: relative, selection: range)
            classification = Classifier.classify(input)
            result = WireResults.classification(classification)
            let routing = await CommandRouting.make(root: workspace.root, command: "classify")
            let requestFile = relative.flatMap { path in workspace.gatherer.readText(path).map { RequestFile(path: path, text: $0) } }
            let preview = try routing.runner(command: "classify").preview(
                instruction: instruction, classification: classification, file: requestFile, selection: range,
                gatherer: workspace.gatherer)
            result.route = WireResults.routePreview(preview.decision, promptTokens: preview.promptTokens)
        } catch {
            RepositoryWorkspace.fail("classify", "\(error)")
        }
        if json {
            print(try JSONOutput.encode(result))
            return
        }
        print("kind: \(classification.kind.rawValue)")
        print("confidence: \(classification.confidence)")
        print("features:")
        for feature in classification.features {
            print("  \(feature.decisive ? "*" : " ") \(feature.name) = \(feature.value)")
        }
        if let route = result.route {
            print("route: \(route.backend.isEmpty ? "refused: \(route.refusal ?? "")" : "\(route.backend) \(route.model)")\(route.fallback.map { " (fallback: \($0))" } ?? "")")
            for reason in route.reasons { print("  \(reason.step): \(reason.outcome) — \(reason.detail)") }
        }
    }
}

/// `assist ask "…"`: a question about the repository, answered with retrieved context and routed by policy.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask about the repository; prints the answer as it arrives, and a checked diff when a change was asked.",
        discussion: """
            The question is classified (explain, multi-file, refactor, …) and its context retrieved: the \
            identifiers it names (CamelCase, lowerCamel, backticked), their declarations and uses in the \
            index, and BM25 over every Swift file's words and identifiers; full text for the closest code, \
            signatures for the rest, within the chosen model's window (tokens estimated as UTF-8 bytes / 4). \
            The route follows the policy (offline, privacy.localOnly, secrets, budget, fit, kind, \
            availability): multi-file work goes to the cloud model when allowed. A change comes back as \
            SEARCH/REPLACE blocks turned into a diff that is checked before it is printed; --apply writes it. \
            --context-only prints the packed context (--budget tokens) without calling any model.
            """
    )

    @Argument(help: "The question.")
    var question: String

    @Option(help: "The file the question is about.")
    var file: String?

    @Option(help: "The selected lines of --file, 1-based and inclusive: START:END.")
    var selection: String?

    @Flag(help: "Print the packed context without calling any model.")
    var contextOnly = false

    @Option(help: "The token budget of the packed context (with --context-only).")
    var budget = 32_000

    @Flag(help: "Write the change, if one was asked and passed the checks.")
    var apply = false

    @Flag(help: "Print the result as JSON (the answer is not streamed).")
    var json = false

    @Option(help: "The local model: qwen2.5-coder-0.5b (default) or smollm2-135m; with providers.local.baseURL set, the model name sent to that server.")
    var model: String?

    func validate() throws {
        if budget < 1 { throw ValidationError("--budget must be positive: got \(budget)") }
        if let selection { _ = try ClassifyCommand.parseSelection(selection) }
        if selection != nil, file == nil { throw ValidationError("--selection needs --file") }
        if contextOnly, apply { throw ValidationError("--context-only calls no model, so there is nothing to --apply") }
    }

    func run() async throws {
        let workspace = try RepositoryWorkspace.open(command: "ask")
        if contextOnly {
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
            return
        }
        let relative = try file.map { try workspace.relativePath(of: $0, command: "ask") }
        let requestFile = relative.flatMap { path in workspace.gatherer.readText(path).map { RequestFile(path: path, text: $0) } }
        let routing = await CommandRouting.make(root: workspace.root, command: "ask", model: model)
        var runner = routing.runner(command: "ask")
        if !json {
            runner.onText = { text in
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
        let outcome: RoutedAskOutcome
        do {
            outcome = try await runner.ask(
                question: question, file: requestFile, selection: try selection.map(ClassifyCommand.parseSelection),
                gatherer: workspace.gatherer)
        } catch {
            await routing.fail("ask", error)
        }
        await routing.local?.stop()
        if apply, !outcome.changes.isEmpty {
            FileReplacement.apply(outcome.changes, root: workspace.root, command: "ask") { path in
                FileManager.default.fileExists(atPath: workspace.root + "/" + path)
            }
        }
        if json {
            print(try JSONOutput.encode(WireResults.ask(outcome, root: workspace.root)))
        } else {
            if !outcome.answer.hasSuffix("\n") { print("") }
            if !outcome.diff.isEmpty, !apply { print(outcome.diff, terminator: "") }
            let context = "\(outcome.context.files.count) files, \(outcome.context.totalTokens) tokens of context"
            FileHandle.standardError.write(Data("assist ask: \(outcome.classification.kind.rawValue) → \(outcome.backend) \(outcome.model), \(context)\n".utf8))
        }
        if let problem = outcome.changeError {
            FileHandle.standardError.write(Data("assist ask: no change was made: \(problem)\n".utf8))
            throw ExitCode.failure
        }
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
