import AssistCore
import AssistFiles
import AssistGit
import AssistSwift
import Foundation

/// Gathers what classification and context packing need from a repository's index: where named
/// identifiers are declared and used, what a selection holds, and the Swift files with their text
/// and declarations. The decisions themselves are AssistCore's (``Classifier``, ``ContextPacker``).
public struct RequestContextGatherer: Sendable {
    public let index: SwiftWorkspaceIndex
    /// Reads a file's text by its path from the repository root; by default the working tree's file.
    public let readText: @Sendable (String) -> String?

    /// Creates a gatherer over an index that was refreshed.
    ///
    /// - Parameters:
    ///   - index: The index.
    ///   - readText: Reads a file's text by repository path; `nil` reads the working tree (through ``FileTree``: no link followed).
    public init(index: SwiftWorkspaceIndex, readText: (@Sendable (String) -> String?)? = nil) {
        self.index = index
        let files = FileTree(root: index.index.root)
        self.readText = readText ?? { path in files.text(path) }
    }

    private var swiftPaths: [String] {
        index.index.files.filter { $0.language == .swift && $0.skipReason == nil && $0.blob != nil }.map(\.path)
    }

    /// The analyses of every Swift file, by path.
    ///
    /// - Returns: Path → analysis.
    public func analyses() -> [String: SwiftFileAnalysis] {
        var result: [String: SwiftFileAnalysis] = [:]
        for path in swiftPaths { if let analysis = index.index.result(for: path) { result[path] = analysis } }
        return result
    }

    /// Where each name is declared and used.
    ///
    /// - Parameters:
    ///   - names: Identifiers.
    ///   - analyses: The analyses from ``analyses()``.
    /// - Returns: One value per name the index knows (declared or used), in the order given.
    /// - Throws: `GitError` when the index cannot be read.
    public func locations(of names: [String], analyses: [String: SwiftFileAnalysis]) throws(GitError) -> [SymbolLocations] {
        var definitions: [String: Set<String>] = [:]
        let wanted = Set(names)
        for (path, analysis) in analyses {
            for declaration in analysis.declarations where wanted.contains(declaration.name) && declaration.kind != .extension {
                definitions[declaration.name, default: []].insert(path)
            }
            // A file is named after what it holds: `BashCompletionsGenerator` names
            // `…/BashCompletionsGenerator.swift` even when its declarations are extensions.
            let base = (path as NSString).lastPathComponent
            if base.hasSuffix(".swift"), wanted.contains(String(base.dropLast(6))) {
                definitions[String(base.dropLast(6)), default: []].insert(path)
            }
        }
        var result: [SymbolLocations] = []
        for name in names {
            var references: [String: Int] = [:]
            for use in try index.references(to: name) { references[use.path, default: 0] += 1 }
            let declared = definitions[name] ?? []
            guard !declared.isEmpty || !references.isEmpty else { continue }
            result.append(SymbolLocations(name: name, definitions: declared, references: references))
        }
        return result
    }

    /// The classifier's input for a request: the named identifiers the index knows, what the
    /// selection holds, and the tokens of the needed context (the selection's, else the named
    /// declarations' text).
    ///
    /// - Parameters:
    ///   - instruction: The instruction.
    ///   - file: The file from the repository root, if any.
    ///   - selection: The selected lines (1-based, inclusive), if any.
    ///   - text: The file's text if the caller has it (an editor buffer); else it is read.
    ///   - known: The analyses from ``analyses()`` when the caller has them.
    /// - Returns: The request to classify.
    /// - Throws: `GitError` when the index cannot be read.
    public func classificationRequest(
        instruction: String, file: String?, selection: ClosedRange<Int>?, text: String? = nil,
        analyses known: [String: SwiftFileAnalysis]? = nil
    ) throws(GitError) -> ClassificationRequest {
        guard let analyses = known else {
            return try classificationRequestFromDatabase(instruction: instruction, file: file, selection: selection, text: text)
        }
        let locations = try locations(of: QueryTerms.identifiers(in: instruction), analyses: analyses)
        let found = locations.map { location in
            (locations: location, bytes: Dictionary(uniqueKeysWithValues: location.definitions.map { path in
                (path, (analyses[path]?.declarations ?? []).filter { $0.name == location.name }
                    .map { $0.range.end.utf8Offset - $0.range.start.utf8Offset })
            }))
        }
        return classificationRequest(instruction: instruction, file: file, selection: selection, text: text, found: found)
    }

    /// The classifier's input from the named identifiers' locations and the bytes of their
    /// declarations by path: the selection's facts when there is one, else the tokens of the
    /// declarations the instruction names.
    func classificationRequest(
        instruction: String, file: String?, selection: ClosedRange<Int>?, text: String?,
        found: [(locations: SymbolLocations, bytes: [String: [Int]])]
    ) -> ClassificationRequest {
        let symbols = found.map {
            NamedSymbolFacts(
                name: $0.locations.name, definitionFiles: $0.locations.definitions.sorted(),
                referenceFiles: $0.locations.references.keys.sorted())
        }
        var selectionFacts: SelectionFacts?
        var contextTokens: Int?
        if let file, let selection {
            selectionFacts = self.selectionFacts(file: file, selection: selection, text: text)
            contextTokens = selectionFacts?.tokens
        } else {
            var bytes = 0
            for entry in found {
                for path in entry.locations.definitions { bytes += (entry.bytes[path] ?? []).reduce(0, +) }
            }
            if bytes > 0 { contextTokens = TokenEstimate.bytes(bytes) }
        }
        return ClassificationRequest(
            instruction: instruction, file: file, selection: selection, selectionFacts: selectionFacts,
            symbols: symbols, contextTokens: contextTokens)
    }

    /// What a selection holds: its lines, tokens and declarations (from the text as the request
    /// sees it), or `nil` when the file cannot be read.
    func selectionFacts(file: String, selection: ClosedRange<Int>, text: String?) -> SelectionFacts? {
        guard let source = text ?? readText(file) else { return nil }
        let analysis = SwiftAnalyzer.analyze(source: source)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let lower = max(1, selection.lowerBound), upper = min(lines.count, selection.upperBound)
        let selected = lower <= upper ? lines[(lower - 1)..<upper].joined(separator: "\n") : ""
        let declarations = Self.declarations(in: selection, of: analysis)
        return SelectionFacts(
            lines: selection.count, tokens: TokenEstimate.of(selected), declarations: declarations.count,
            undocumentedDeclarations: declarations.filter { $0.docComment == nil }.count)
    }

    /// The declarations that start in a line range, or else the innermost one holding its first line.
    static func declarations(in lines: ClosedRange<Int>, of analysis: SwiftFileAnalysis) -> [SwiftDeclaration] {
        let inside = analysis.declarations.filter { lines.contains($0.range.start.line) }
        if !inside.isEmpty { return inside }
        let holding = analysis.declarations.filter { $0.range.start.line <= lines.lowerBound && $0.range.end.line >= lines.lowerBound }
        return holding.max { ($0.range.start.line, -$0.range.end.line) < ($1.range.start.line, -$1.range.end.line) }.map { [$0] } ?? []
    }

    /// The Swift files of the repository as context packing needs them.
    ///
    /// - Parameter analyses: The analyses from ``analyses()``.
    /// - Returns: The corpus (files that could be read).
    public func corpus(analyses: [String: SwiftFileAnalysis]) -> ContextPacker.Corpus {
        var documents: [ContextDocument] = []
        for (path, analysis) in analyses {
            guard let text = readText(path) else { continue }
            documents.append(ContextDocument(
                path: path, text: text, declarations: Self.contextDeclarations(analysis), references: Set(analysis.references.keys)))
        }
        return ContextPacker.Corpus(documents)
    }

    /// A file's declarations as context packing sees them: lines with the doc comment.
    static func contextDeclarations(_ analysis: SwiftFileAnalysis) -> [ContextDeclaration] {
        analysis.declarations.map { declaration in
            ContextDeclaration(
                name: declaration.name,
                lines: (declaration.docComment?.range.start.line ?? declaration.range.start.line)...declaration.range.end.line,
                signature: declaration.signature,
                declaresType: [.class, .struct, .enum, .actor, .protocol].contains(declaration.kind))
        }
    }

    /// Retrieves and packs context for a question from an in-memory corpus of every file: each
    /// analysis decoded, each file read and its terms counted. The index database's
    /// ``pack(question:budget:excluding:)`` ranks the same way; this is its reference.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - budget: The token budget.
    ///   - excluding: Files never to pack.
    /// - Returns: The packed context.
    /// - Throws: `GitError` when the index cannot be read.
    public func packFromMemory(question: String, budget: Int, excluding: (String) -> Bool = { _ in false }) throws(GitError) -> PackedContext {
        let analyses = analyses().filter { !excluding($0.key) }
        let symbols = try locations(of: QueryTerms.identifiers(in: question), analyses: analyses)
        return ContextPacker.pack(question: question, corpus: corpus(analyses: analyses), symbols: symbols, budget: budget)
    }
}
