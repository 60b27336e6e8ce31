/// A way in which documentation comment lines break the rules a generated docstring must keep.
public enum ValidationProblem: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// There are no lines at all.
    case empty
    /// The line at this 0-based index is not the declaration's indentation followed by `///`.
    case notADocLine(Int)
    /// The line at this 0-based index is longer than 120 characters.
    case lineTooLong(Int)
    /// The first line is not a summary sentence ending with a period.
    case badSummary
    /// A documented parameter is not in the signature.
    case unknownParameter(String)
    /// A parameter of the signature is not documented.
    case undocumentedParameter(String)
    /// A parameter is documented more than once.
    case duplicateParameter(String)
    /// `- Returns:` documents a declaration that returns nothing.
    case unexpectedReturns
    /// `- Throws:` documents a declaration that does not throw.
    case unexpectedThrows

    /// A sentence that describes the problem.
    public var description: String {
        switch self {
        case .empty: return "the comment is empty"
        case .notADocLine(let index): return "line \(index + 1) is not a `///` line at the declaration's indentation"
        case .lineTooLong(let index): return "line \(index + 1) is longer than 120 characters"
        case .badSummary: return "the first line is not a summary sentence ending with a period"
        case .unknownParameter(let name): return "`\(name)` is not a parameter of the declaration"
        case .undocumentedParameter(let name): return "the parameter `\(name)` is not documented"
        case .duplicateParameter(let name): return "the parameter `\(name)` is documented more than once"
        case .unexpectedReturns: return "`- Returns:` on a declaration that returns nothing"
        case .unexpectedThrows: return "`- Throws:` on a declaration that does not throw"
        }
    }
}

/// Checks rendered documentation comment lines against their declaration.
///
/// The rules are those of the docstring evaluation's validity score: only `///` lines at the
/// declaration's indentation, every documented parameter exists in the signature and every
/// parameter is documented, `- Returns:` only for a non-`Void` result, `- Throws:` only when the
/// declaration throws; plus the renderer's own: a summary sentence first, no line over 120 characters.
public enum DocstringValidator {
    /// Checks comment lines.
    /// - Parameters:
    ///   - lines: The comment's lines, without line breaks.
    ///   - target: The declaration the comment documents.
    /// - Returns: The problems found, in line order; empty when the lines are valid.
    public static func check(lines: [String], target: DocTarget) -> [ValidationProblem] {
        guard !lines.isEmpty else { return [.empty] }
        var problems: [ValidationProblem] = []
        let prefix = target.indentation + "///"
        var contents: [String] = []
        for (index, line) in lines.enumerated() {
            if line.count > DocstringRenderer.maximumLineLength { problems.append(.lineTooLong(index)) }
            guard line.hasPrefix(prefix), !line.contains("\n"), !line.contains("\r") else {
                problems.append(.notADocLine(index))
                contents.append("")
                continue
            }
            let rest = line.dropFirst(prefix.count)
            if let first = rest.first, first == "/" || first != " " {
                problems.append(.notADocLine(index))  // `////` or `///text`
            }
            contents.append(String(rest.dropFirst()))
        }
        let summaryLines = contents.prefix { !$0.isEmpty && !$0.hasPrefix("- ") }
        if let first = contents.first, first.isEmpty || first.hasPrefix(" ") || first.hasPrefix("-")
            || summaryLines.last?.hasSuffix(".") != true
        {
            if !problems.contains(.notADocLine(0)) { problems.append(.badSummary) }
        }

        var documented: [String] = []
        var inList = false
        var hasReturns = false
        var hasThrows = false
        for content in contents {
            let lower = content.lowercased()
            if lower.hasPrefix("- parameters:") {
                inList = true
            } else if lower.hasPrefix("- parameter ") {
                inList = false
                let rest = content.dropFirst("- parameter ".count)
                documented.append(String(rest.prefix { $0 != ":" }).trimmingWhitespace())
            } else if inList, content.hasPrefix("  - ") {
                let rest = content.dropFirst(4)
                documented.append(String(rest.prefix { $0 != ":" }).trimmingWhitespace())
            } else if lower.hasPrefix("- returns:") {
                inList = false
                hasReturns = true
            } else if lower.hasPrefix("- throws:") {
                inList = false
                hasThrows = true
            } else if content.hasPrefix("- ") || content.isEmpty {
                inList = false
            }
        }
        let names = target.documentedParameterNames
        var seen: Set<String> = []
        for name in documented {
            if !seen.insert(name).inserted {
                problems.append(.duplicateParameter(name))
            } else if !names.contains(name) {
                problems.append(.unknownParameter(name))
            }
        }
        for name in names where !seen.contains(name) { problems.append(.undocumentedParameter(name)) }
        if hasReturns, !target.returnsValue { problems.append(.unexpectedReturns) }
        if hasThrows, !target.isThrowing { problems.append(.unexpectedThrows) }
        return problems
    }
}
