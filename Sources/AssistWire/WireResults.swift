import Foundation
import AssistCore
import AssistDocstrings
import AssistIndex
import AssistProtocol
import AssistRequests
import AssistSwift

/// Request results as wire values: the one conversion the daemon's answers and the CLI's `--json`
/// both use, so a surface never describes the same result differently.
public enum WireResults {
    /// The figures of `assist/index/status`, `assist/index/refresh` and `assist index --json`.
    ///
    /// - Parameters:
    ///   - summary: The index summary.
    ///   - root: The repository's working directory (or git directory when bare).
    /// - Returns: The wire result.
    public static func index(_ summary: WorkspaceIndexSummary, root: String) -> IndexStatusResult {
        let figures = summary.figures
        return IndexStatusResult(
            repository: root, files: figures.files,
            filesByLanguage: Dictionary(uniqueKeysWithValues: figures.filesByLanguage.map { ($0.key.rawValue, $0.value) }),
            filesAnalyzed: figures.filesAnalyzed,
            filesSkipped: Dictionary(uniqueKeysWithValues: figures.filesSkipped.map { ($0.key.rawValue, $0.value) }),
            declarations: summary.declarations,
            publicAPI: PublicAPICounts(
                total: summary.publicAPI, documented: summary.publicAPIDocumented,
                undocumented: summary.publicAPI - summary.publicAPIDocumented),
            filesWithSyntaxErrors: summary.filesWithSyntaxErrors, openBuffers: summary.overlays,
            cache: IndexCacheFigures(
                load: figures.cacheLoad.description, hits: figures.cacheHits, misses: figures.cacheMisses,
                analyses: figures.analyses, fileBytes: figures.cacheFileBytes, writeError: figures.cacheWriteError),
            database: IndexDatabaseFigures(
                path: summary.database.path, bytes: summary.database.bytes, note: summary.database.note,
                filesWritten: summary.database.sync.filesWritten, filesRemoved: summary.database.sync.filesRemoved,
                blobsAdded: summary.database.sync.blobsAdded, blobsRemoved: summary.database.sync.blobsRemoved),
            timings: Dictionary(uniqueKeysWithValues: figures.timings.map { ($0.key.rawValue, $0.value) }))
    }

    /// The result object of `assist/docstring` and `assist docstring --json`.
    ///
    /// - Parameters:
    ///   - outcome: What the docstring engine did.
    ///   - model: The model's identifier.
    ///   - uri: The document's `file://` URI, which the edits are keyed by.
    /// - Returns: The wire result.
    public static func docstring(_ outcome: DocstringOutcome, model identifier: String, uri: String) -> DocstringResult {
        // The route names the model as refactors and questions do: backend `local`, model without the prefix.
        let model = identifier.hasPrefix("local/") ? String(identifier.dropFirst("local/".count)) : identifier
        let edits = WireValues.textEdits(old: outcome.original, new: outcome.updated)
        return DocstringResult(
            diff: outcome.diff, edits: edits.isEmpty ? [:] : [uri: edits],
            route: Route(
                kind: "docstring", backend: "local", model: model,
                reasons: [
                    RouteReasonInfo(step: "kind", outcome: "local", detail: "Docstrings go to the local model."),
                    RouteReasonInfo(step: "availability", outcome: "available", detail: "local \(model) answers on this machine."),
                ]),
            usage: Usage(promptTokens: outcome.promptTokens, completionTokens: outcome.completionTokens), costUSD: 0,
            cached: !outcome.documented.isEmpty && outcome.documented.allSatisfy(\.cached),
            validation: Validation(passed: outcome.failures.isEmpty, checks: outcome.validation),
            declarations: outcome.documented.map {
                DocstringDeclarationInfo(
                    name: $0.name, line: $0.line, attempts: $0.attempts, cached: $0.cached,
                    promptTokens: $0.promptTokens, completionTokens: $0.completionTokens, seconds: $0.seconds,
                    cachedPromptTokens: $0.cachedPromptTokens)
            },
            failures: outcome.failures.map { DocstringFailureInfo(name: $0.name, line: $0.line, reason: $0.reason) })
    }

    /// The result of `assist/classify` and `assist classify --json`.
    ///
    /// - Parameter classification: The classifier's answer.
    /// - Returns: The wire result.
    public static func classification(_ classification: Classification) -> ClassifyResult {
        ClassifyResult(
            kind: classification.kind.rawValue, confidence: classification.confidence,
            features: classification.features.map { ClassifyFeature(name: $0.name, value: $0.value, decisive: $0.decisive) },
            decidedBy: classification.decidedBy.rawValue, reason: classification.reason,
            ruleKind: (classification.ruleKind ?? classification.kind).rawValue)
    }

    /// The packed context of `assist ask --context-only --json`.
    ///
    /// - Parameter context: The packed context.
    /// - Returns: The wire result, files in rank order.
    public static func packedContext(_ context: PackedContext) -> PackedContextResult {
        let scores = Dictionary(context.ranking.map { ($0.path, $0.score) }, uniquingKeysWith: { first, _ in first })
        let files = context.files.map { path in
            let pieces = context.pieces.filter { $0.path == path }
            return PackedFileInfo(
                path: path, score: ((scores[path] ?? 0) * 1000).rounded() / 1000, tokens: pieces.map(\.tokens).reduce(0, +),
                pieces: pieces.map {
                    PackedPieceInfo(startLine: $0.lines.lowerBound, endLine: $0.lines.upperBound, form: $0.form.rawValue, tokens: $0.tokens, text: $0.text)
                })
        }
        return PackedContextResult(
            budget: context.budget, totalTokens: context.totalTokens, tokenEstimate: "UTF-8 bytes / 4, rounded up", files: files)
    }

    /// The risks of a result; `nil` when there are none.
    public static func risks(_ risks: [EditRisk]) -> [RiskInfo]? {
        risks.isEmpty ? nil : risks.map {
            RiskInfo(kind: $0.risk.kind.rawValue, severity: $0.risk.severity.rawValue, path: $0.path, line: $0.risk.line, text: $0.risk.text)
        }
    }

    /// The review-only files of a result, sorted; `nil` when there are none.
    static func reviewOnly(_ files: [String: String]) -> [ReviewOnlyChange]? {
        files.isEmpty ? nil : files.keys.sorted().map { ReviewOnlyChange(path: $0, reason: files[$0]!) }
    }

    /// The wire form of routing steps.
    public static func reasons(_ reasons: [RouteReason]) -> [RouteReasonInfo] {
        reasons.map { RouteReasonInfo(step: $0.step, outcome: $0.outcome, detail: $0.detail) }
    }

    /// LSP edits by `file://` URI for changed files under a root.
    public static func edits(_ changes: [String: (old: String, new: String)], root: String) -> [String: [TextEdit]] {
        var result: [String: [TextEdit]] = [:]
        for (path, change) in changes {
            result[WireValues.uri(of: path, root: root)] = WireValues.textEdits(old: change.old, new: change.new)
        }
        return result
    }

    /// The result of `assist/refactor` and `assist refactor --json`.
    ///
    /// - Parameters:
    ///   - outcome: The checked outcome.
    ///   - root: The repository's working directory, for the edits' URIs.
    /// - Returns: The wire result.
    public static func refactor(_ outcome: RoutedEditOutcome, root: String) -> RefactorResult {
        RefactorResult(
            diff: outcome.diff, edits: edits(outcome.changes.filter { outcome.reviewOnly[$0.key] == nil }, root: root),
            route: Route(kind: outcome.kind.rawValue, backend: outcome.backend, model: outcome.model, reasons: reasons(outcome.reasons)),
            usage: Usage(promptTokens: outcome.usage.promptTokens, completionTokens: outcome.usage.completionTokens),
            costUSD: outcome.costUSD, cached: false, validation: Validation(passed: true, checks: outcome.validation),
            attempts: outcome.attempts, explanation: outcome.prose, reviewOnly: reviewOnly(outcome.reviewOnly),
            risks: risks(outcome.risks))
    }

    /// The result of `assist/ask` and `assist ask --json`.
    ///
    /// - Parameters:
    ///   - outcome: The outcome.
    ///   - root: The repository's working directory, for the edits' URIs.
    /// - Returns: The wire result.
    public static func ask(_ outcome: RoutedAskOutcome, root: String) -> AskResult {
        AskResult(
            answer: outcome.answer, diff: outcome.diff,
            edits: edits(outcome.changes.filter { outcome.reviewOnly[$0.key] == nil }, root: root),
            route: Route(
                kind: outcome.classification.kind.rawValue, backend: outcome.backend, model: outcome.model,
                reasons: reasons(outcome.reasons)),
            usage: Usage(promptTokens: outcome.usage.promptTokens, completionTokens: outcome.usage.completionTokens),
            costUSD: outcome.costUSD, cached: false,
            validation: Validation(passed: outcome.changeError == nil, checks: outcome.validation),
            changeError: outcome.changeError, confidence: outcome.classification.confidence,
            context: packedContext(outcome.context), attempts: outcome.attempts, reviewOnly: reviewOnly(outcome.reviewOnly),
            risks: risks(outcome.risks))
    }

    /// The result of `assist/classify` and `assist classify --json`: the classification and its route.
    ///
    /// - Parameter outcome: The classification and the route the policy would take.
    /// - Returns: The wire result.
    public static func classify(_ outcome: Workspace.ClassifyOutcome) -> ClassifyResult {
        var result = classification(outcome.classification)
        result.route = routePreview(outcome.route, promptTokens: outcome.promptTokens)
        return result
    }

    /// The declarations of `workspace/symbol`.
    ///
    /// - Parameters:
    ///   - symbols: The matching declarations, best first.
    ///   - root: The repository's working directory, for the locations' URIs.
    /// - Returns: The wire symbols.
    public static func symbols(_ symbols: [WorkspaceSymbol], root: String) -> [SymbolInformation] {
        symbols.map { symbol in
            let range = Range(
                start: Position(line: symbol.nameRange.start.line - 1, character: symbol.nameRange.start.utf16Column - 1),
                end: Position(line: symbol.nameRange.end.line - 1, character: symbol.nameRange.end.utf16Column - 1))
            return SymbolInformation(
                name: symbol.name, kind: symbolKind(symbol.kind, containers: symbol.containers),
                location: Location(uri: WireValues.uri(of: symbol.path, root: root), range: range),
                containerName: symbol.containers.isEmpty ? nil : symbol.containers.joined(separator: "."))
        }
    }

    /// The LSP `SymbolKind` of a declaration.
    static func symbolKind(_ kind: SwiftDeclarationKind, containers: [String]) -> Int {
        switch kind {
        case .class, .actor: 5
        case .function: containers.isEmpty ? 12 : 6
        case .variable: containers.isEmpty ? 13 : 7
        case .constant: containers.isEmpty ? 14 : 7
        case .initializer, .deinitializer: 9
        case .enum: 10
        case .protocol: 11
        case .enumCase: 22
        case .struct: 23
        case .operator, .precedenceGroup: 25
        case .typeAlias, .associatedType: 26
        case .extension: 3
        case .subscript: 6
        case .macro: 12
        }
    }

    /// A routing decision as `assist/classify` shows it.
    ///
    /// - Parameters:
    ///   - decision: The decision.
    ///   - promptTokens: The prompt tokens it assumed.
    /// - Returns: The wire preview.
    public static func routePreview(_ decision: RouteDecision, promptTokens: Int) -> RoutePreview {
        RoutePreview(
            backend: decision.primary?.name ?? "", model: decision.primary?.model ?? "",
            fallback: decision.fallback.map { "\($0.name) \($0.model)" }, reasons: reasons(decision.reasons),
            refusal: decision.refusal, promptTokens: promptTokens)
    }
}
