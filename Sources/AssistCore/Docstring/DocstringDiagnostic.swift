/// Something the docstring parser or renderer noticed in a model's answer, and usually fixed.
public enum DocstringDiagnostic: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The answer held no text at all.
    case emptyAnswer
    /// Markdown code fences were removed.
    case codeFence
    /// Lines of code (an echoed declaration or body) were dropped.
    case droppedCode(String)
    /// Prose outside the comment was dropped.
    case droppedProse(String)
    /// Lines used `//`, `*` or no prefix instead of `///`.
    case nonDocPrefix
    /// The comment was a `/** … */` block.
    case blockComment
    /// The comment used javadoc tags such as `@param` and `@return`.
    case javadocStyle
    /// The comment was written more than once; only the first copy was kept.
    case repeatedComment
    /// A parameter was documented more than once; the first text was kept.
    case duplicateParameter(String)
    /// The answer had no summary sentence.
    case missingSummary
    /// The summary held more than one sentence; the rest moved to the discussion.
    case summarySplit
    /// The summary did not end with a period; one was added.
    case summaryPunctuated
    /// A parameter that is not in the signature was documented; it was dropped.
    case inventedParameter(String)
    /// A parameter was documented under its argument label; it was renamed to the documented name.
    case renamedParameter(from: String, to: String)
    /// A parameter of the signature was not documented; a placeholder sentence stands in for it.
    case missingParameter(String)
    /// `- Returns:` was written for a declaration that returns nothing; it was dropped.
    case unexpectedReturns
    /// `- Throws:` was written for a declaration that does not throw; it was dropped.
    case unexpectedThrows
    /// The declaration returns a value but the answer did not say what.
    case missingReturns
    /// The declaration throws but the answer did not say when.
    case missingThrows
    /// A line was longer than 120 characters and was wrapped.
    case wrappedLongLine

    /// Whether the model should be asked again, with this diagnostic in the request.
    public var needsRetry: Bool {
        switch self {
        case .emptyAnswer, .missingSummary, .missingParameter: return true
        default: return false
        }
    }

    /// A sentence that describes what was found, phrased so it can be told to the model.
    public var description: String {
        switch self {
        case .emptyAnswer: return "The answer was empty."
        case .codeFence: return "The answer used Markdown code fences."
        case .droppedCode(let line): return "The answer repeated code: \(line)"
        case .droppedProse(let line): return "The answer held text outside the comment: \(line)"
        case .nonDocPrefix: return "Lines did not start with `///`."
        case .blockComment: return "The answer used a `/** */` block instead of `///` lines."
        case .javadocStyle: return "The answer used `@param` or `@return` instead of DocC fields."
        case .repeatedComment: return "The answer wrote the comment more than once."
        case .duplicateParameter(let name): return "The parameter `\(name)` was documented more than once."
        case .missingSummary: return "The answer had no one-sentence summary."
        case .summarySplit: return "The summary was longer than one sentence."
        case .summaryPunctuated: return "The summary did not end with a period."
        case .inventedParameter(let name): return "`\(name)` is not a parameter of this declaration."
        case .renamedParameter(let from, let to):
            return "The parameter `\(to)` was documented under its argument label `\(from)`."
        case .missingParameter(let name): return "The parameter `\(name)` was not documented."
        case .unexpectedReturns: return "The declaration returns nothing, so it takes no `- Returns:`."
        case .unexpectedThrows: return "The declaration does not throw, so it takes no `- Throws:`."
        case .missingReturns: return "The answer did not say what the declaration returns."
        case .missingThrows: return "The answer did not say when the declaration throws."
        case .wrappedLongLine: return "A line was longer than 120 characters."
        }
    }
}
