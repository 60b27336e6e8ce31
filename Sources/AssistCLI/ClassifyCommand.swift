import ArgumentParser
import AssistCore
import AssistProtocol
import AssistRequests
import AssistWire
import Foundation

/// `assist classify "…"`: how a request would be classified, and why, without running it.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Show how a request would be classified (kind, confidence, features) without running it.",
        discussion: """
            Kinds: docstring, refactor (one file), multi-file, explain, tests, other. The classifier looks at \
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
        let workspace = CommandWorkspace.open(command: "classify")
        await workspace.refreshIndex()
        let relative = file.map { workspace.relativePath(of: $0) }
        let range = try selection.map(Self.parseSelection)
        let outcome: Workspace.ClassifyOutcome
        do {
            outcome = try await workspace.workspace.classify(instruction: instruction, file: relative, selection: range)
        } catch {
            workspace.fail(error.message)
        }
        let classification = outcome.classification
        let result = WireResults.classify(outcome)
        if json {
            print(try JSONOutput.encode(result))
            return
        }
        print("kind: \(classification.kind.rawValue)")
        print("confidence: \(classification.confidence)")
        print("decided by: \(classification.decidedBy.rawValue) — \(classification.reason)")
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

    @Flag(help: "With --apply: write a change even if it adds a high-risk construct (a process, file deletion, a secret, …).")
    var allowRisky = false

    @Flag(help: "Print the result as JSON (the answer is not streamed).")
    var json = false

    @Option(help: "The local model: qwen2.5-coder-0.5b (default) or smollm2-135m; with providers.local.baseURL set, the model name sent to that server.")
    var model: String?

    func validate() throws {
        if budget < 1 { throw ValidationError("--budget must be positive: got \(budget)") }
        if let selection { _ = try ClassifyCommand.parseSelection(selection) }
        if selection != nil, file == nil { throw ValidationError("--selection needs --file") }
        if contextOnly, apply { throw ValidationError("--context-only calls no model, so there is nothing to --apply") }
        if allowRisky, !apply { throw ValidationError("--allow-risky goes with --apply") }
    }

    func run() async throws {
        let workspace = CommandWorkspace.open(command: "ask", reportConfiguration: !contextOnly)
        await workspace.refreshIndex()
        if contextOnly {
            let context: PackedContext
            do {
                context = try await workspace.workspace.packContext(question: question, budget: budget)
            } catch {
                workspace.fail(error.message)
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
        let relative = file.map { workspace.relativePath(of: $0) }
        let requestFile = relative.flatMap { path in workspace.workspace.text(of: path).map { RequestFile(path: path, text: $0) } }
        let outcome: RoutedAskOutcome
        do {
            outcome = try await workspace.workspace.ask(
                question: question, file: requestFile, selection: try selection.map(ClassifyCommand.parseSelection),
                model: model, events: workspace.events(streaming: !json))
        } catch {
            await workspace.fail(error)
        }
        await workspace.workspace.stop()
        if apply, !outcome.changes.isEmpty {
            if !json { workspace.report(outcome.risks) }
            if !outcome.reviewOnly.isEmpty || outcome.risks.contains(where: { $0.risk.severity == .high }) && !allowRisky, !json {
                print(outcome.diff, terminator: "")
            }
            FileReplacement.apply(
                outcome.changes, reviewOnly: outcome.reviewOnly, risks: outcome.risks, allowRisky: allowRisky, root: workspace.root,
                command: "ask"
            ) { path in
                (try? workspace.workspace.files?.read(path)) != nil
            }
        }
        if json {
            print(try JSONOutput.encode(WireResults.ask(outcome, root: workspace.root)))
        } else {
            if !outcome.answer.hasSuffix("\n") { print("") }
            if !outcome.diff.isEmpty, !apply { print(outcome.diff, terminator: "") }
            if !apply { workspace.report(outcome.risks) }
            let context = "\(outcome.context.files.count) files, \(outcome.context.totalTokens) tokens of context"
            FileHandle.standardError.write(Data("assist ask: \(outcome.classification.kind.rawValue) → \(outcome.backend) \(outcome.model), \(context)\n".utf8))
        }
        if let problem = outcome.changeError {
            FileHandle.standardError.write(Data("assist ask: no change was made: \(problem)\n".utf8))
            throw ExitCode.failure
        }
    }
}
