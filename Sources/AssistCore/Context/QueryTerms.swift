/// The token estimate used for every context figure: one token per four UTF-8 bytes, rounded up.
///
/// Code tokenisers average three to five bytes per token on Swift source; one rule used everywhere
/// keeps budgets, reports and benchmarks comparable. A model's real count may differ by about 25%.
public enum TokenEstimate {
    /// The estimated tokens of a text.
    ///
    /// - Parameter text: The text.
    /// - Returns: `ceil(utf8 bytes / 4)`.
    public static func of(_ text: some StringProtocol) -> Int { bytes(text.utf8.count) }

    /// The estimated tokens of a number of UTF-8 bytes.
    ///
    /// - Parameter count: The byte count.
    /// - Returns: `ceil(count / 4)`.
    public static func bytes(_ count: Int) -> Int { (max(0, count) + 3) / 4 }
}

/// What a free-form question or instruction names: code identifiers and plain words.
public enum QueryTerms {
    /// Identifiers named in a text, in order of first appearance, without duplicates: backticked
    /// spans (`` `readableBytes` ``, `` `replaceOrAdd(name:value:)` `` gives `replaceOrAdd`, `` `@inlinable` ``
    /// gives `inlinable`), UpperCamelCase and lowerCamelCase words, words joined by `_` or holding
    /// digits next to letters, names written before `(`, and capitalised words that do not start a
    /// sentence.
    ///
    /// - Parameter text: The question or instruction.
    /// - Returns: The identifiers.
    public static func identifiers(in text: String) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        func add(_ name: Substring) {
            let name = String(name)
            guard !name.isEmpty, name.first.map({ $0.isLetter || $0 == "_" }) == true, seen.insert(name).inserted else { return }
            found.append(name)
        }
        let scalars = Array(text)
        var index = 0
        var sentenceStart = true
        while index < scalars.count {
            let character = scalars[index]
            if character == "`" {
                guard let close = scalars[(index + 1)...].firstIndex(of: "`") else { index += 1; continue }
                let span = String(scalars[(index + 1)..<close])
                for piece in span.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).prefix(1) {
                    add(piece)
                }
                // Further names in a backticked expression (`a.b`): member names count too.
                for piece in span.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).dropFirst()
                where isCodeLike(piece) {
                    add(piece)
                }
                index = close + 1
                sentenceStart = false
                continue
            }
            if character.isLetter || character == "_" {
                var end = index
                while end < scalars.count, scalars[end].isLetter || scalars[end].isNumber || scalars[end] == "_" { end += 1 }
                let word = String(scalars[index..<end])
                let calls = end < scalars.count && scalars[end] == "("
                if isCodeLike(Substring(word)) || calls || (!sentenceStart && word.first!.isUppercase && word.count > 1) {
                    add(Substring(word))
                }
                sentenceStart = false
                index = end
                continue
            }
            if character == "." || character == "?" || character == "!" || character == "\n" {
                // `a.b` inside a word run is a member access, not a sentence end.
                let next = index + 1 < scalars.count ? scalars[index + 1] : " "
                if character != "." || next.isWhitespace { sentenceStart = true }
            }
            index += 1
        }
        return found
    }

    /// Whether a word looks like code rather than prose: a capital after a lowercase letter
    /// (`readableBytes`, `ByteBuffer`), two capitals then a lowercase letter (`HTTPDecoder`), an
    /// underscore, or digits next to letters (`NIOHTTP1`).
    static func isCodeLike(_ word: Substring) -> Bool {
        let characters = Array(word)
        guard characters.count > 1 else { return false }
        if characters.contains("_") { return true }
        let hasLetter = characters.contains { $0.isLetter }
        if hasLetter, characters.contains(where: { $0.isNumber }) { return true }
        for i in 1..<characters.count {
            if characters[i].isUppercase, characters[i - 1].isLowercase { return true }
            if i + 1 < characters.count, characters[i - 1].isUppercase, characters[i].isUppercase, characters[i + 1].isLowercase {
                return true
            }
        }
        return false
    }

    /// The plain words of a text, lowercased, backticked spans left out, in order.
    ///
    /// - Parameter text: The text.
    /// - Returns: The words (letters, digits, apostrophes kept inside a word).
    public static func words(in text: String) -> [String] { rawWords(in: text).map { $0.lowercased() } }

    /// The words of a text as written, backticked spans left out.
    static func rawWords(in text: String) -> [String] {
        var result: [String] = []
        var inBackticks = false
        var current = ""
        func flush() {
            if !current.isEmpty { result.append(current) }
            current = ""
        }
        for character in text {
            if character == "`" {
                flush()
                inBackticks.toggle()
                continue
            }
            if inBackticks { continue }
            if character.isLetter || character.isNumber || (character == "'" && !current.isEmpty) {
                current.append(character)
            } else {
                flush()
            }
        }
        flush()
        return result.map { $0.hasSuffix("'") ? String($0.dropLast()) : $0 }
    }

    /// The search terms of an identifier or word: split at case changes, `_` and digits, lowercased,
    /// stemmed (`PendingWritesManager` gives `pending`, `write`, `manager`).
    ///
    /// - Parameter name: An identifier or word.
    /// - Returns: The terms, in order.
    public static func subwords(of name: some StringProtocol) -> [String] {
        var parts: [String] = []
        var current = ""
        let characters = Array(name)
        for (i, character) in characters.enumerated() {
            guard character.isLetter else {
                if !current.isEmpty { parts.append(current) }
                current = ""
                continue
            }
            if character.isUppercase, !current.isEmpty {
                let previousLower = characters[i - 1].isLowercase
                let nextLower = i + 1 < characters.count && characters[i + 1].isLowercase
                if previousLower || (characters[i - 1].isUppercase && nextLower) {
                    parts.append(current)
                    current = ""
                }
            }
            current.append(character)
        }
        if !current.isEmpty { parts.append(current) }
        return parts.map { stem($0.lowercased()) }.filter { $0.count > 1 }
    }

    /// A light suffix stemmer for English and identifier words: `writes`, `writing` and `written`
    /// all become `writ`-like stems that match each other often enough for ranking.
    ///
    /// - Parameter word: A lowercased word.
    /// - Returns: Its stem.
    public static func stem(_ word: String) -> String {
        var word = word
        if word.count > 4, word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        for suffix in ["ing", "ed", "es", "s"] where word.count > suffix.count + 2 && word.hasSuffix(suffix) {
            if suffix == "s", word.hasSuffix("ss") { break }
            word = String(word.dropLast(suffix.count))
            break
        }
        if word.count > 3, word.hasSuffix("e") { word.removeLast() }
        return word
    }

    /// Words that carry no meaning for search.
    public static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "from", "with", "without", "by", "at", "as",
        "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "there", "here",
        "what", "which", "who", "how", "why", "where", "when", "does", "do", "did", "done", "can", "could", "would",
        "should", "will", "i", "me", "my", "we", "our", "you", "your", "they", "them", "their", "he", "she",
        "explain", "walk", "through", "involved", "file", "files", "code", "between", "into", "down", "up", "out",
        "any", "all", "every", "each", "some", "other", "than", "then", "so", "if", "not", "no", "yes", "way",
        "happen", "happens", "get", "gets", "make", "makes", "use", "used", "uses", "using", "new", "differently",
        "different", "real", "whether", "also", "just", "only", "about", "please", "tell",
    ]

    /// The search terms of a question: each identifier's subwords and each plain word not a stop word,
    /// stemmed, with duplicates (a term named twice weighs twice).
    ///
    /// - Parameter text: The question.
    /// - Returns: The terms.
    public static func searchTerms(in text: String) -> [String] {
        var terms: [String] = []
        for identifier in identifiers(in: text) { terms += subwords(of: identifier) }
        let named = Set(identifiers(in: text))
        for word in rawWords(in: text) where !named.contains(word) {
            let lower = word.lowercased()
            guard !stopWords.contains(lower), lower.count > 1 else { continue }
            terms += subwords(of: lower)
        }
        return terms
    }
}
