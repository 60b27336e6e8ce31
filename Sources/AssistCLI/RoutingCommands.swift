import ArgumentParser
import AssistCore
import AssistGit
import AssistRequests
import AssistWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `assist refactor FILE --instruction "…"`: a checked rewrite of one file, routed by policy.
struct RefactorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refactor",
        abstract: "Rewrite code in one Swift file as an instruction says; prints a unified diff.",
        discussion: """
            The request is routed by policy (offline mode, privacy.localOnly, secrets, budget, context \
            fit, kind, availability): small refactors go to the local model, which rewrites the --range \
            lines (or the whole file); a cloud model answers with SEARCH/REPLACE blocks, matched \
            tolerant of whitespace and indentation. The diff is printed only after it has been checked: \
            it applies to the file as read and the file still parses. An answer that fails is asked \
            again once with the error, then escalated to the cloud when policy allows. --apply writes \
            the change, refusing if the file changed meanwhile. The route and its reasons are in --json.
            """
    )

    @Argument(help: "The Swift file.")
    var file: String

    @Option(help: "What to change.")
    var instruction: String

    @Option(help: "The lines to change, 1-based and inclusive: START:END (default: the whole file).")
    var range: String?

    @Flag(help: "Write the change to the file (atomically).")
    var apply = false

    @Flag(help: "With --apply: write the change even if it adds a high-risk construct (a process, file deletion, a secret, …).")
    var allowRisky = false

    @Flag(help: "Print the full result object as JSON.")
    var json = false

    @Option(help: "The local model: qwen2.5-coder-0.5b (default) or smollm2-135m; with providers.local.baseURL set, the model name sent to that server.")
    var model: String?

    func validate() throws {
        if let range { _ = try ClassifyCommand.parseSelection(range) }
        if instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--instruction is empty") }
        if allowRisky, !apply { throw ValidationError("--allow-risky goes with --apply") }
    }

    func run() async throws {
        let target = SwiftFileArgument.locate(file, command: "refactor")
        let workspace = CommandWorkspace.open(command: "refactor", repository: target.repository)
        let outcome: RoutedEditOutcome
        do {
            outcome = try await workspace.workspace.refactor(
                file: RequestFile(path: target.relativePath, text: target.text), instruction: instruction,
                range: try range.map(ClassifyCommand.parseSelection), model: model, events: workspace.events())
        } catch {
            await workspace.fail(error)
        }
        await workspace.workspace.stop()
        if !json { workspace.report(outcome.risks) }
        if apply {
            if !outcome.reviewOnly.isEmpty || outcome.risks.contains(where: { $0.risk.severity == .high }) && !allowRisky, !json {
                print(outcome.diff, terminator: "")
            }
            FileReplacement.apply(
                outcome.changes, reviewOnly: outcome.reviewOnly, risks: outcome.risks, allowRisky: allowRisky,
                root: target.repositoryRoot, command: "refactor"
            ) { _ in true }
        }
        if json {
            print(try JSONOutput.encode(WireResults.refactor(outcome, root: target.repositoryRoot)))
        } else if !apply {
            print(outcome.diff, terminator: "")
        } else {
            FileHandle.standardError.write(Data("assist refactor: changed \(file) (\(outcome.backend) \(outcome.model))\n".utf8))
        }
    }
}

/// `assist egress`: every request that left the machine, from `.git/assist/egress.jsonl`.
struct EgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egress",
        abstract: "List every request that left the machine (the egress ledger).",
        discussion: """
            Each request sent to a cloud backend is recorded in <git dir>/assist/egress.jsonl before it \
            is sent: time, backend, model, kind, the files and byte ranges it carried, its estimated \
            tokens and highest cost, and the secrets redacted from it. Nothing else leaves the machine.
            """
    )

    @Option(help: "Only requests at or after this time: YYYY-MM-DD (UTC) or an ISO 8601 time.")
    var since: String?

    @Flag(help: "Print the entries as JSON.")
    var json = false

    static func parseDate(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        return day.date(from: text)
    }

    func validate() throws {
        if let since, Self.parseDate(since) == nil { throw ValidationError("--since is YYYY-MM-DD or an ISO 8601 time: got \(since)") }
    }

    func run() throws {
        let repository: Repository
        do {
            repository = try Repository.open(at: FileManager.default.currentDirectoryPath)
        } catch {
            CommandWorkspace.fail("egress", "\(error)")
        }
        let ledger = EgressLedger(gitCommonDirectory: repository.commonDirectory)
        let (entries, problems) = ledger.read(since: since.flatMap(Self.parseDate))
        for problem in problems { FileHandle.standardError.write(Data("assist egress: \(problem)\n".utf8)) }
        if json {
            print(try JSONOutput.encode(EgressReport(ledger: ledger.path, entries: entries)))
            return
        }
        guard !entries.isEmpty else {
            print("nothing has left the machine\(since.map { " since \($0)" } ?? "") (ledger: \(ledger.path))")
            return
        }
        for entry in entries {
            if entry.kind == "review" {
                print("    review of the answer of \(entry.backend)/\(entry.model): " + (entry.risks ?? []).joined(separator: "; "))
                continue
            }
            let bytes = entry.files.reduce(0) { $0 + $1.ranges.reduce(0) { $0 + ($1.count == 2 ? $1[1] - $1[0] : 0) } }
            let cost = entry.costUSD.map { String(format: "≤ $%.4f", $0) } ?? "unpriced"
            print("\(entry.time)  \(entry.backend)/\(entry.model)  \(entry.kind)  \(entry.promptTokens) tokens  \(cost)  \(entry.files.count) file(s), \(bytes) bytes of files, \(entry.redactions.count) redaction(s)")
            for file in entry.files {
                print("    \(file.path) " + file.ranges.map { "[\($0.first ?? 0), \($0.last ?? 0))" }.joined(separator: " "))
            }
            for redaction in entry.redactions { print("    redacted \(redaction.kind) at \(redaction.path):\(redaction.line)") }
        }
        let total = entries.compactMap(\.costUSD).reduce(0, +)
        print("\(entries.filter { $0.kind != "review" }.count) request(s), at most \(String(format: "$%.4f", total)) (ledger: \(ledger.path))")
    }
}

/// `assist egress --json`.
struct EgressReport: Encodable {
    var ledger: String
    var entries: [EgressEntry]
}
