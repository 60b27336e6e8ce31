import AssistCore
import AssistSwift

/// A docstring request planned against one file's text: what ``DocstringEngine`` documents.
public struct DocstringPlan: Sendable {
    /// The file's text, as the request saw it.
    public var source: String
    public var analysis: SwiftFileAnalysis
    /// The declarations to document, in file order.
    public var candidates: [DocstringCandidate]
}

/// Which declarations a docstring request is about.
public enum DocstringSelection: Sendable, Hashable {
    /// The declaration with this name (`append`, `append(_:)`, or `Type.member`).
    case symbol(String)
    /// The innermost declaration whose signature or body holds this 1-based line.
    case line(Int)
    /// Every undocumented declaration in the file.
    case allUndocumented
    /// Every undocumented `public`/`open` declaration (what `--check` lists) that starts its own line.
    case undocumentedPublicAPI
    /// The undocumented `public`/`open` declarations that start at these 1-based lines (what a
    /// commit adds or changes, see ``DocstringPlanner/changedPublicAPI(_:source:since:source:)``).
    case undocumentedPublicAPIAt(Set<Int>)
}

/// One declaration to document: the analysis, what the docstring core needs, and where the comment goes.
public struct DocstringCandidate: Sendable {
    public var declaration: SwiftDeclaration
    public var target: DocTarget
    /// The 0-based line the comment is inserted before (the first attribute's line, or the keyword's).
    public var insertionLine: Int
}

/// Why a docstring request cannot be carried out.
public struct DocstringError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Chooses declarations and maps them onto `DocTarget`. Pure.
public enum DocstringPlanner {
    /// Kinds that take a doc comment.
    static let documentableKinds: Set<SwiftDeclarationKind> = [
        .function, .initializer, .subscript, .variable, .constant, .typeAlias, .associatedType, .class, .struct,
        .enum, .actor, .protocol, .enumCase, .macro,
    ]

    /// The declarations a selection names, in file order.
    ///
    /// - Parameters:
    ///   - selection: What the user asked for.
    ///   - analysis: The file's analysis.
    ///   - source: The file's text.
    /// - Returns: The candidates; `allUndocumented`, `undocumentedPublicAPI` and an already documented
    ///   declaration give none.
    /// - Throws: `DocstringError` when no declaration matches (naming the close ones).
    public static func candidates(
        _ selection: DocstringSelection, analysis: SwiftFileAnalysis, source: String
    ) throws(DocstringError) -> [DocstringCandidate] {
        let lines = lineTexts(source)
        let documentable = analysis.declarations.filter { documentableKinds.contains($0.kind) }
        // A `///` comment attaches only to a declaration that starts its own line.
        func startsLine(_ declaration: SwiftDeclaration) -> Bool {
            let index = declaration.range.start.line - 1
            guard index < lines.count else { return false }
            return lines[index].utf8.prefix(declaration.range.start.utf8Column - 1).allSatisfy { $0 == 0x20 || $0 == 0x09 }
        }
        func attachable(_ declaration: SwiftDeclaration) throws(DocstringError) -> SwiftDeclaration {
            guard startsLine(declaration) else {
                throw DocstringError("\(declaration.fullName) (line \(declaration.range.start.line)) shares its line with other code, so a doc comment cannot attach to it; put it on a line of its own first")
            }
            return declaration
        }
        let chosen: [SwiftDeclaration]
        switch selection {
        case .allUndocumented:
            chosen = documentable.filter { $0.docComment == nil && startsLine($0) }
        case .undocumentedPublicAPI:
            chosen = undocumentedPublicAPI(analysis).filter(startsLine)
        case .undocumentedPublicAPIAt(let starts):
            chosen = undocumentedPublicAPI(analysis).filter { starts.contains($0.range.start.line) && startsLine($0) }
        case .line(let line):
            let holding = documentable.filter { $0.range.start.line <= line && line <= endLine($0) }
            guard let innermost = holding.min(by: { span($0) < span($1) }) else {
                throw DocstringError("no declaration at line \(line)")
            }
            let target = startsLine(innermost) ? innermost : (holding.filter(startsLine).min(by: { span($0) < span($1) }) ?? innermost)
            chosen = target.docComment == nil ? [try attachable(target)] : []
        case .symbol(let name):
            let matches = documentable.filter { matchesSymbol($0, name) }
            guard !matches.isEmpty else {
                let close = SymbolMatcher.rank(query: name, documentable.map { ($0.name, $0.fullName) }, limit: 3)
                throw DocstringError("no declaration named '\(name)'" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"))
            }
            guard matches.count == 1 else {
                throw DocstringError("'\(name)' names \(matches.count) declarations (lines \(matches.map { String($0.range.start.line) }.joined(separator: ", "))): use --line")
            }
            chosen = matches[0].docComment == nil ? [try attachable(matches[0])] : []
        }
        return chosen.map { candidate(for: $0, lines: lines) }
    }

    /// Plans a request before any model is needed, so one that names nothing fails the same way
    /// whether or not a model is installed.
    ///
    /// - Parameters:
    ///   - selection: What the user asked for.
    ///   - source: The file's text, as the request saw it.
    /// - Returns: The file's analysis and the declarations to document.
    /// - Throws: `DocstringError` when no declaration matches (naming the close ones).
    public static func plan(_ selection: DocstringSelection, source: String) throws(DocstringError) -> DocstringPlan {
        let analysis = SwiftAnalyzer.analyze(source: source)
        return DocstringPlan(
            source: source, analysis: analysis, candidates: try candidates(selection, analysis: analysis, source: source))
    }

    /// Undocumented `public`/`open` declarations (`assist docstring --check`).
    ///
    /// - Parameter analysis: The file's analysis.
    /// - Returns: The declarations, in file order.
    public static func undocumentedPublicAPI(_ analysis: SwiftFileAnalysis) -> [SwiftDeclaration] {
        analysis.declarations.filter { documentableKinds.contains($0.kind) && $0.isPublicAPI && $0.docComment == nil }
    }

    /// The undocumented public declarations of a file that differ from an earlier version of it:
    /// what a commit adds or changes. A declaration is unchanged when the earlier version has one of
    /// the same kind and full name whose text is the same — for a type or an extension its
    /// declaration up to the body (so editing one member does not touch its type), for any other
    /// declaration all of it. A renamed or new declaration has no such match, so it counts.
    ///
    /// - Parameters:
    ///   - analysis: The new version's analysis.
    ///   - source: The new version's text.
    ///   - earlier: The earlier version's analysis, or `nil` when the file is new.
    ///   - earlierSource: The earlier version's text.
    /// - Returns: The changed undocumented public declarations, and how many undocumented public
    ///   declarations were left alone because they did not change.
    public static func changedPublicAPI(
        _ analysis: SwiftFileAnalysis, source: String, since earlier: SwiftFileAnalysis?, source earlierSource: String
    ) -> (changed: [SwiftDeclaration], untouched: Int) {
        let undocumented = undocumentedPublicAPI(analysis)
        guard let earlier else { return (undocumented, 0) }
        let earlierBytes = Array(earlierSource.utf8)
        let bytes = Array(source.utf8)
        var known = Set<String>()
        for declaration in earlier.declarations {
            known.insert(identity(declaration, in: earlierBytes))
        }
        let changed = undocumented.filter { !known.contains(identity($0, in: bytes)) }
        return (changed, undocumented.count - changed.count)
    }

    static let typeKinds: Set<SwiftDeclarationKind> = [.class, .struct, .enum, .actor, .protocol, .extension]

    /// What must stay the same for a declaration to count as unchanged.
    static func identity(_ declaration: SwiftDeclaration, in bytes: [UInt8]) -> String {
        let start = declaration.range.start.utf8Offset
        var end = declaration.range.end.utf8Offset
        if typeKinds.contains(declaration.kind), let body = declaration.bodyRange { end = body.start.utf8Offset }
        let text = start >= 0 && start <= end && end <= bytes.count
            ? String(decoding: bytes[start..<end], as: UTF8.self) : declaration.signature
        return "\(declaration.kind)\u{0}\(declaration.containers.joined(separator: "."))\u{0}\(declaration.fullName)\u{0}\(text)"
    }

    static func candidate(for declaration: SwiftDeclaration, lines: [Substring]) -> DocstringCandidate {
        let first = declaration.range.start.line - 1
        let lineText = first < lines.count ? lines[first] : ""
        let indentation = String(lineText.prefix { $0 == " " || $0 == "\t" })
        let last = min(lines.count, endLine(declaration))
        let sourceText = first < last ? lines[first..<last].joined(separator: "\n") : String(lineText)
        let kind: DeclarationKind = switch declaration.kind {
        case .function, .macro: .function
        case .initializer: .initializer
        case .subscript: .subscript
        case .variable, .constant: .property
        case .class, .struct, .enum, .actor, .protocol: .type
        case .enumCase: .enumCase
        case .typeAlias, .associatedType: .typeAlias
        default: .other
        }
        let takesParameters = [.function, .initializer, .subscript, .macro].contains(declaration.kind)
        let target = DocTarget(
            name: declaration.fullName, kind: kind,
            parameters: takesParameters ? declaration.parameters.map {
                DocParameter(externalLabel: $0.externalName, internalName: $0.internalName)
            } : [],
            isThrowing: declaration.throwsKind != .none,
            returnsValue: takesParameters && declaration.kind != .initializer && returnsValue(declaration.resultType),
            isAsync: declaration.isAsync, indentation: indentation, sourceText: sourceText)
        return DocstringCandidate(declaration: declaration, target: target, insertionLine: first)
    }

    static func returnsValue(_ resultType: String?) -> Bool {
        guard let type = resultType?.filter({ !$0.isWhitespace }) else { return false }
        return !["Void", "()", "Swift.Void", "Never"].contains(type)
    }

    static func matchesSymbol(_ declaration: SwiftDeclaration, _ name: String) -> Bool {
        if declaration.name == name || declaration.fullName == name { return true }
        let qualified = (declaration.containers + [declaration.name]).joined(separator: ".")
        let qualifiedFull = (declaration.containers + [declaration.fullName]).joined(separator: ".")
        return qualified == name || qualifiedFull == name
    }

    static func endLine(_ declaration: SwiftDeclaration) -> Int {
        // A range ends exclusively: at column 1 of a line, the declaration ended on the line before.
        declaration.range.end.utf8Column == 1 ? declaration.range.end.line - 1 : declaration.range.end.line
    }

    static func span(_ declaration: SwiftDeclaration) -> Int {
        declaration.range.end.utf8Offset - declaration.range.start.utf8Offset
    }

    static func lineTexts(_ source: String) -> [Substring] {
        source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }
}
