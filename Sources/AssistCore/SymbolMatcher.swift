/// Ranks symbol names against what a user typed (`workspace/symbol`): exact matches first, then
/// prefixes, then camel-case and subsequence matches. Pure.
public enum SymbolMatcher {
    /// Scores a candidate name against a query.
    ///
    /// - Parameters:
    ///   - query: What the user typed; an empty query matches everything equally.
    ///   - candidate: A symbol name.
    /// - Returns: A score (higher is better), or `nil` when the candidate does not match: every
    ///   character of the query must appear in the name, in order, ignoring case.
    public static func score(query: String, candidate: String) -> Int? {
        if query.isEmpty { return 1 }
        if candidate == query { return 10_000 }
        let loweredQuery = Array(query.lowercased().unicodeScalars)
        let name = Array(candidate.unicodeScalars)
        let loweredName = Array(candidate.lowercased().unicodeScalars)
        guard loweredName.count == name.count else { return subsequenceScore(loweredQuery, loweredName, name) }
        if loweredName == loweredQuery { return 9_000 }
        if loweredName.starts(with: loweredQuery) {
            return 8_000 - min(999, loweredName.count - loweredQuery.count) + (candidate.hasPrefix(query) ? 500 : 0)
        }
        if let range = firstRange(of: loweredQuery, in: loweredName) {
            let atBoundary = isBoundary(name, range)
            return 6_000 + (atBoundary ? 1_000 : 0) - min(999, range + loweredName.count - loweredQuery.count)
        }
        return subsequenceScore(loweredQuery, loweredName, name)
    }

    /// Sorts candidates by score (then by shorter name, then alphabetically), keeping at most `limit`.
    ///
    /// - Parameters:
    ///   - query: What the user typed.
    ///   - candidates: The names with a payload each.
    ///   - limit: The most results to return.
    /// - Returns: The matching payloads, best first.
    public static func rank<Payload>(query: String, _ candidates: [(name: String, payload: Payload)], limit: Int) -> [Payload] {
        var scored: [(score: Int, name: String, index: Int)] = []
        for (index, candidate) in candidates.enumerated() {
            if let score = score(query: query, candidate: candidate.name) {
                scored.append((score, candidate.name, index))
            }
        }
        scored.sort {
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.name.count != $1.name.count { return $0.name.count < $1.name.count }
            if $0.name != $1.name { return $0.name < $1.name }
            return $0.index < $1.index
        }
        return scored.prefix(limit).map { candidates[$0.index].payload }
    }

    private static func firstRange(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// Whether position `index` starts a word: the first character, an upper-case letter after a
    /// lower-case one, or a character after `_`.
    private static func isBoundary(_ name: [Unicode.Scalar], _ index: Int) -> Bool {
        if index == 0 { return true }
        let previous = name[index - 1], current = name[index]
        if previous == "_" { return true }
        return current.properties.isUppercase && !previous.properties.isUppercase
    }

    private static func subsequenceScore(_ query: [Unicode.Scalar], _ lowered: [Unicode.Scalar], _ name: [Unicode.Scalar]) -> Int? {
        var position = 0
        var boundaries = 0
        var gaps = 0
        var previousMatch = -1
        for character in query {
            while position < lowered.count, lowered[position] != character { position += 1 }
            guard position < lowered.count else { return nil }
            if position < name.count, isBoundary(name, position) { boundaries += 1 }
            if previousMatch >= 0, position != previousMatch + 1 { gaps += 1 }
            previousMatch = position
            position += 1
        }
        // Every character at a word start ("bba" for ByteBufferAllocator) ranks with substrings.
        if boundaries == query.count { return 7_500 - min(999, lowered.count) }
        return 2_000 + boundaries * 200 - gaps * 50 - min(500, lowered.count)
    }
}
