/// Trims what small models do to a comment they otherwise got right: a sentence repeated until the
/// token budget runs out, sections that ramble, and the prompt's instructions copied back. Pure.
public enum DocstringTidy {
    /// The most sentences kept in a parameter, `Returns` or `Throws` text.
    public static let maximumFieldSentences = 2
    /// The most discussion paragraphs kept, and sentences in each.
    public static let maximumDiscussionParagraphs = 2
    public static let maximumParagraphSentences = 3

    /// Drops repeated sentences everywhere in the comment and bounds each part's length.
    ///
    /// - Parameter parsed: A parsed answer.
    /// - Returns: The same answer, tidied: summary, discussion, parameters, returns and throws.
    public static func tidy(_ parsed: ParsedDocstring) -> ParsedDocstring {
        var seen = Set<String>()
        var result = parsed
        result.summary = parsed.summary.map { bounded($0, sentences: 1, seen: &seen) }.flatMap { $0.isEmpty ? nil : $0 }
        result.discussion = parsed.discussion.prefix(maximumDiscussionParagraphs).map {
            bounded($0, sentences: maximumParagraphSentences, seen: &seen)
        }.filter { !$0.isEmpty }
        result.parameters = parsed.parameters.map { parameter in
            var local = Set<String>()  // Two parameters may honestly share a sentence.
            var parameter = parameter
            parameter.text = bounded(parameter.text, sentences: maximumFieldSentences, seen: &local)
            return parameter
        }
        result.returnsText = parsed.returnsText.map { bounded($0, sentences: maximumFieldSentences, seen: &seen) }.flatMap { $0.isEmpty ? nil : $0 }
        result.throwsText = parsed.throwsText.map { bounded($0, sentences: maximumFieldSentences, seen: &seen) }.flatMap { $0.isEmpty ? nil : $0 }
        return result
    }

    /// The first `sentences` sentences of `text` that were not seen before.
    static func bounded(_ text: String, sentences limit: Int, seen: inout Set<String>) -> String {
        var kept: [String] = []
        for sentence in split(text) {
            let key = sentence.lowercased().filter { $0.isLetter || $0.isNumber }
            guard !key.isEmpty, !echoesThePrompt(sentence), seen.insert(key).inserted else { continue }
            kept.append(sentence)
            if kept.count == limit { break }
        }
        return kept.joined(separator: " ")
    }

    /// Whether a sentence repeats one of the prompt's instructions ("Do not write - Throws:.")
    /// instead of describing the code.
    static func echoesThePrompt(_ sentence: String) -> Bool {
        sentence.hasPrefix("Do not write -") || sentence.hasPrefix("Write -") || sentence.hasPrefix("Document the parameter")
    }

    /// Sentences: text up to a `.`, `!` or `?` followed by a space (or the end); code spans and
    /// abbreviations like `e.g.` stay whole.
    static func split(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var inCode = false
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            if character == "`" { inCode.toggle() }
            guard !inCode, ".!?".contains(character) else { continue }
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            guard next == " " || next == "\n" else { continue }
            let lowered = current.lowercased()
            if lowered.hasSuffix("e.g.") || lowered.hasSuffix("i.e.") || lowered.hasSuffix("etc.") { continue }
            sentences.append(current.trimmingCharacters(in: " \n"))
            current = ""
        }
        let rest = current.trimmingCharacters(in: " \n")
        if !rest.isEmpty { sentences.append(rest) }
        return sentences
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
