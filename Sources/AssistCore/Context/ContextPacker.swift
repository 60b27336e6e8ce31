/// One declaration of a file, as context packing sees it.
public struct ContextDeclaration: Sendable, Hashable {
    /// The simple name.
    public var name: String
    /// The lines it spans, 1-based and inclusive, its doc comment included.
    public var lines: ClosedRange<Int>
    /// The declaration without body, on one line.
    public var signature: String
    /// Whether it declares a type (class, struct, enum, actor or protocol; not an extension).
    public var declaresType: Bool

    /// Creates a declaration value.
    ///
    /// - Parameters:
    ///   - name: The simple name.
    ///   - lines: Its lines, doc comment included.
    ///   - signature: Its one-line signature.
    ///   - declaresType: Whether it declares a type.
    public init(name: String, lines: ClosedRange<Int>, signature: String, declaresType: Bool) {
        self.name = name
        self.lines = lines
        self.signature = signature
        self.declaresType = declaresType
    }
}

/// One file of the repository offered to context packing.
public struct ContextDocument: Sendable {
    /// The path from the repository root.
    public var path: String
    /// The file's text.
    public var text: String
    /// Its declarations, in source order.
    public var declarations: [ContextDeclaration]
    /// The names it uses (the index's references).
    public var references: Set<String>
    /// Where the question's terms are in the text, when an index knows it for this exact text;
    /// packing counts the terms itself otherwise.
    public var termLines: TermLines?

    /// Creates a document.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - text: The text.
    ///   - declarations: The declarations.
    ///   - references: The names it uses.
    ///   - termLines: Where the question's terms are, if known.
    public init(path: String, text: String, declarations: [ContextDeclaration], references: Set<String> = [], termLines: TermLines? = nil) {
        self.path = path
        self.text = text
        self.declarations = declarations
        self.references = references
        self.termLines = termLines
    }
}

/// What signature packing needs of a file, without its text: its declarations and where its terms
/// are, both for the file's current content.
public struct ContextOutline: Sendable {
    /// Its declarations, in source order.
    public var declarations: [ContextDeclaration]
    /// Where its terms are.
    public var termLines: TermLines

    /// Creates an outline.
    public init(declarations: [ContextDeclaration], termLines: TermLines) {
        self.declarations = declarations
        self.termLines = termLines
    }
}

/// Where terms are in a text, as ``ContextPacker/forEachTerm(in:_:)`` reads it: how many terms come
/// before each line, and the line of each occurrence of some terms.
public struct TermLines: Sendable, Hashable {
    /// The text's number of lines.
    public var lineCount: Int
    /// `termsBefore[i]`: the number of terms on lines 1…i (`termsBefore[0]` is 0); `lineCount + 1` values.
    public var termsBefore: [Int]
    /// Term → the line of each of its occurrences, in increasing order.
    public var lines: [String: [Int]]

    /// Creates term lines.
    public init(lineCount: Int, termsBefore: [Int], lines: [String: [Int]]) {
        self.lineCount = lineCount
        self.termsBefore = termsBefore
        self.lines = lines
    }

    /// The lines of a text's terms, restricted to `wanted` terms (all when `nil`).
    public static func of(_ text: some StringProtocol, wanted: [String: Int]?, known: inout [[UInt8]: [String]]) -> TermLines {
        var perLine: [Int] = [0, 0]
        var lines: [String: [Int]] = [:]
        let lineCount = ContextPacker.forEachTerm(in: text, known: &known) { line, term in
            while perLine.count <= line { perLine.append(0) }
            perLine[line] += 1
            if wanted == nil || wanted?[term] != nil { lines[term, default: []].append(line) }
        }
        while perLine.count < lineCount + 1 { perLine.append(0) }
        var before = [Int](repeating: 0, count: lineCount + 1)
        for line in stride(from: 1, through: lineCount, by: 1) { before[line] = before[line - 1] + perLine[line] }
        return TermLines(lineCount: lineCount, termsBefore: before, lines: lines)
    }

    /// The BM25 score of lines `range` (1-based, inclusive, within the text) for a question's
    /// terms: ``ContextPacker/Statistics/score(_:bag:length:)`` of those lines' term counts,
    /// summed in the same order, without building the bag.
    ///
    /// - Parameters:
    ///   - range: The lines.
    ///   - weighted: The question's terms in sorted order, each with its weight times its idf.
    ///   - statistics: The repository's statistics.
    func score(of range: ClosedRange<Int>, weighted: [(term: String, weight: Double)], statistics: ContextPacker.Statistics) -> Double {
        func firstIndex(_ values: [Int], atLeast value: Int) -> Int {
            var low = 0, high = values.count
            while low < high {
                let middle = (low + high) / 2
                if values[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low
        }
        let k1 = 1.2, b = ContextPacker.lengthNormalization
        let length = Double(termsBefore[range.upperBound] - termsBefore[range.lowerBound - 1])
        var total = 0.0
        for (term, weight) in weighted {
            guard let found = lines[term] else { continue }
            let inside = firstIndex(found, atLeast: range.upperBound + 1) - firstIndex(found, atLeast: range.lowerBound)
            guard inside > 0 else { continue }
            let tf = Double(inside)
            total += weight * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / statistics.averageLength))
        }
        return total
    }
}

/// The index's answer about one identifier a question names: where it is declared and used.
public struct SymbolLocations: Sendable, Hashable {
    public var name: String
    /// Paths declaring it.
    public var definitions: Set<String>
    /// Uses by path.
    public var references: [String: Int]

    /// Creates a symbol's locations.
    ///
    /// - Parameters:
    ///   - name: The identifier.
    ///   - definitions: The files declaring it.
    ///   - references: How many times each file uses it.
    public init(name: String, definitions: Set<String>, references: [String: Int]) {
        self.name = name
        self.definitions = definitions
        self.references = references
    }
}

/// How much of a file a piece holds.
public enum PackedForm: String, Sendable, Hashable, Codable {
    /// The lines' full text.
    case full
    /// One-line signatures of declarations in the range (a repository map).
    case signature
}

/// One piece of packed context: a line range of a file in full, or signatures.
public struct PackedPiece: Sendable, Hashable {
    public var path: String
    /// The lines covered, 1-based and inclusive.
    public var lines: ClosedRange<Int>
    public var form: PackedForm
    /// Estimated tokens of `text` (``TokenEstimate``).
    public var tokens: Int
    public var text: String
}

/// The context packed for a question, within a token budget.
public struct PackedContext: Sendable, Hashable {
    /// The budget asked for.
    public var budget: Int
    /// The pieces, grouped by file in rank order, each file's pieces by line.
    public var pieces: [PackedPiece]
    /// Estimated tokens of all pieces, headers included; never above `budget`.
    public var totalTokens: Int
    /// The files ranked, best first, with their scores (the candidates, packed or not).
    public var ranking: [(path: String, score: Double)]

    /// The packed files, in rank order.
    public var files: [String] {
        var seen = Set<String>()
        return pieces.map(\.path).filter { seen.insert($0).inserted }
    }

    public static func == (lhs: PackedContext, rhs: PackedContext) -> Bool {
        lhs.budget == rhs.budget && lhs.pieces == rhs.pieces && lhs.totalTokens == rhs.totalTokens
            && lhs.ranking.map(\.path) == rhs.ranking.map(\.path) && lhs.ranking.map(\.score) == rhs.ranking.map(\.score)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(budget)
        hasher.combine(pieces)
    }
}

/// Retrieval and packing for questions about a repository. Pure.
///
/// Ranking, per file: BM25 (k1 1.2, b ``lengthNormalization``) of the question's terms over the
/// file's bag of terms — every word and identifier of its text split at case changes and stemmed,
/// plus adjacent pairs (`socket+channel`, so "socket channel" meets `SocketChannel`), the file
/// name's terms counted three more times; plus the share of the question's weight (by idf) that
/// the file's name holds; then the index's evidence: files declaring a named identifier gain the
/// best lexical score (split among the declaring files), files using one gain a share of it by how
/// often. Tests count ``testWeight`` unless the question is about tests. Last, the reference graph:
/// a type that one of the ``neighbourSources`` best files uses, declared in a single other file and
/// named with the question's terms, brings that file closer.
///
/// Packing: the header `// path` of each file costs its tokens too; full text first (whole small
/// files, else each file's two best declarations, doc comments included) for the 12 closest files,
/// up to ``fullShare`` of the budget; then a repository map: the signatures of the best six
/// declarations of each next file, until the budget is spent. Ties break by path and sums run in
/// a fixed order, so the result is deterministic.
public enum ContextPacker {
    /// BM25's `b`: how much a long file's term counts are discounted. Low, because the files that
    /// implement a subsystem are long and say its words often.
    public static let lengthNormalization = 0.4
    /// The weight of a test file's score when the question is not about tests.
    public static let testWeight = 0.5

    /// Whether a path is a test: under a `Tests`, `IntegrationTests` or `*Tests` directory, or named `*Test(s).swift`.
    public static func isTest(_ path: String) -> Bool {
        // On UTF-8 bytes: this runs for every candidate of every question.
        if let answer = path.utf8.withContiguousStorageIfAvailable({ isTest($0) }) { return answer }
        return Array(path.utf8).withUnsafeBufferPointer { isTest($0) }
    }

    private static func isTest(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func hasSuffix(_ part: Slice<UnsafeBufferPointer<UInt8>>, _ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard part.count >= count else { return false }
            let tail = part.suffix(count)
            return zip(tail, UnsafeBufferPointer(start: suffix.utf8Start, count: count)).allSatisfy { $0 == $1 }
        }
        func equals(_ part: Slice<UnsafeBufferPointer<UInt8>>, _ word: StaticString) -> Bool {
            part.count == word.utf8CodeUnitCount && hasSuffix(part, word)
        }
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        // Every form below holds "est"; most paths do not, and are answered at once.
        var holdsEst = false
        var position = 2
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "t"), bytes[position - 1] == UInt8(ascii: "s"), bytes[position - 2] == UInt8(ascii: "e") {
                holdsEst = true
                break
            }
            position += 1
        }
        guard holdsEst else { return false }
        // Components between slashes, empty ones skipped; every one but the last is a folder.
        var parts: [Slice<UnsafeBufferPointer<UInt8>>] = []
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == slash {
            if index > start { parts.append(bytes[start..<index]) }
            start = index + 1
        }
        guard let last = parts.last else { return false }
        for folder in parts.dropLast()
        where equals(folder, "Tests") || hasSuffix(folder, "Tests") || equals(folder, "test") || equals(folder, "tests") {
            return true
        }
        // The name up to its first dot (leading dots skipped, as a split on "." would).
        var nameStart = last.startIndex
        while nameStart < last.endIndex, bytes[nameStart] == dot { nameStart += 1 }
        var nameEnd = nameStart
        while nameEnd < last.endIndex, bytes[nameEnd] != dot { nameEnd += 1 }
        let name = bytes[nameStart..<nameEnd]
        return hasSuffix(name, "Tests") || hasSuffix(name, "Test")
    }

    /// How many of the best files lend their neighbours a share of the question's weight.
    public static let neighbourSources = 10
    /// The share of the budget given to full text before signatures.
    public static let fullShare = 0.6
    /// A file at most this many tokens (and at most an eighth of the budget) goes in whole.
    public static let smallFileTokens = 1_500

    /// The terms of a text: words and identifiers, split at case changes, lowercased, stemmed, counted.
    ///
    /// - Parameter text: The text.
    /// - Returns: Term → occurrences.
    public static func bag(of text: some StringProtocol) -> [String: Int] {
        var bag: [String: Int] = [:]
        forEachTerm(in: text) { _, term in bag[term, default: 0] += 1 }
        return bag
    }

    /// Calls `body` with each term of a text in order, with the 1-based line it is on (lines end at
    /// `\n`): for each word (a run of letters and digits), its subwords that are longer than one
    /// character and not stop words, then their adjacent pairs. ``bag(of:)`` counts exactly these.
    ///
    /// The text is read a byte at a time (a non-ASCII character is decoded to test whether it is a
    /// letter or digit), and each distinct word is split once, so a file costs about one pass over
    /// its bytes.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - body: Called with each term's line and the term.
    /// - Returns: The number of lines (one more than the number of `\n`).
    @discardableResult
    public static func forEachTerm(in text: some StringProtocol, _ body: (_ line: Int, _ term: String) -> Void) -> Int {
        var known: [[UInt8]: [String]] = [:]
        return forEachTerm(in: text, known: &known, body)
    }

    /// ``forEachTerm(in:_:)`` with the words already split kept in `known` (UTF-8 bytes → terms),
    /// to share between texts.
    @discardableResult
    public static func forEachTerm(
        in text: some StringProtocol, known: inout [[UInt8]: [String]], _ body: (_ line: Int, _ term: String) -> Void
    ) -> Int {
        var word: [UInt8] = []
        word.reserveCapacity(64)
        var line = 1
        func flush() {
            // A word of one character gives no subword longer than one character.
            guard word.count > 1 else {
                word.removeAll(keepingCapacity: true)
                return
            }
            let terms: [String]
            if let cached = known[word] {
                terms = cached
            } else {
                let parts = QueryTerms.subwords(of: String(decoding: word, as: UTF8.self)).filter { !QueryTerms.stopWords.contains($0) }
                terms = parts + bigrams(parts)
                known[word] = terms
            }
            for term in terms { body(line, term) }
            word.removeAll(keepingCapacity: true)
        }
        var bytes = text.utf8.makeIterator()
        var pending: UInt8? = nil
        while let byte = pending ?? bytes.next() {
            pending = nil
            if byte < 0x80 {
                if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) {
                    word.append(byte)
                } else {
                    flush()
                    if byte == 0x0A { line += 1 }
                }
                continue
            }
            // A multi-byte character: its lead byte, then continuation bytes (10xxxxxx).
            var sequence: [UInt8] = [byte]
            while let next = bytes.next() {
                if next & 0xC0 == 0x80 {
                    sequence.append(next)
                } else {
                    pending = next
                    break
                }
            }
            let scalar = String(decoding: sequence, as: UTF8.self).unicodeScalars.first
            if let scalar, isWordScalar(scalar) {
                word.append(contentsOf: sequence)
            } else {
                flush()
            }
        }
        flush()
        return line
    }

    /// Letters and digits by their general category (L*, N*), as SQLite's unicode61 tokenizer reads
    /// them, so each term is one token of the index's full-text table.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            true
        default:
            false
        }
    }

    /// BM25's statistics over a set of documents: how many, their average length, and in how many
    /// documents each term occurs. An index database keeps them; ``BM25`` computes them from bags.
    public struct Statistics: Sendable, Hashable {
        /// The number of documents.
        public var documentCount: Int
        /// Their average length in terms (at least 1).
        public var averageLength: Double
        /// Term → the number of documents holding it (the terms that matter, at least).
        public var documentFrequency: [String: Int]

        /// Creates statistics.
        ///
        /// - Parameters:
        ///   - documentCount: The number of documents.
        ///   - totalLength: The sum of their lengths in terms.
        ///   - documentFrequency: Term → documents holding it.
        public init(documentCount: Int, totalLength: Double, documentFrequency: [String: Int]) {
            self.documentCount = documentCount
            averageLength = max(1, totalLength / Double(max(1, documentCount)))
            self.documentFrequency = documentFrequency
        }

        /// The inverse document frequency of a term (BM25's, floored at 0).
        public func idf(_ term: String) -> Double {
            let n = Double(documentCount)
            let df = Double(documentFrequency[term] ?? 0)
            return max(0, naturalLog((n - df + 0.5) / (df + 0.5) + 1))
        }

        /// The score of a document for query terms, with these statistics: the same sum as
        /// ``score(_:bag:length:)``'s when `weights` are its terms' weights times their idf, in
        /// sorted term order.
        ///
        /// - Parameters:
        ///   - weights: Each term's weight times its idf.
        ///   - length: The document's length in terms.
        ///   - count: How often the document holds the term at an index of `weights`.
        /// - Returns: The BM25 score.
        public func score(weights: [Double], length: Double, count: (Int) -> Int) -> Double {
            let k1 = 1.2, b = ContextPacker.lengthNormalization
            var total = 0.0
            for term in weights.indices {
                let found = count(term)
                guard found > 0 else { continue }
                let tf = Double(found)
                total += weights[term] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / averageLength))
            }
            return total
        }

        /// The score of a bag for query terms, with these statistics.
        ///
        /// - Parameters:
        ///   - terms: The query's terms (repeats weigh more).
        ///   - bag: The document's bag (only the query's terms are looked up).
        ///   - length: The document's length in terms.
        /// - Returns: The BM25 score.
        public func score(_ terms: [String: Int], bag: [String: Int], length: Double) -> Double {
            let k1 = 1.2, b = ContextPacker.lengthNormalization
            var total = 0.0
            // In a fixed order: floating-point sums depend on it, and the result must not.
            for term in terms.keys.sorted() {
                guard let count = bag[term], let weight = terms[term] else { continue }
                let tf = Double(count)
                total += Double(weight) * idf(term) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / averageLength))
            }
            return total
        }
    }

    /// A BM25 index over documents' term bags.
    public struct BM25: Sendable {
        public var bags: [[String: Int]]
        var lengths: [Double]
        /// The statistics of these bags.
        public var statistics: Statistics

        /// Builds the index.
        ///
        /// - Parameter bags: One term bag per document.
        public init(bags: [[String: Int]]) {
            self.bags = bags
            lengths = bags.map { Double($0.values.reduce(0, +)) }
            var frequency: [String: Int] = [:]
            for bag in bags { for term in bag.keys { frequency[term, default: 0] += 1 } }
            statistics = Statistics(documentCount: bags.count, totalLength: lengths.reduce(0, +), documentFrequency: frequency)
        }

        /// The inverse document frequency of a term (BM25's, floored at 0).
        public func idf(_ term: String) -> Double { statistics.idf(term) }

        /// The score of a bag for query terms, with this index's statistics.
        public func score(_ terms: [String: Int], bag: [String: Int], length: Double) -> Double {
            statistics.score(terms, bag: bag, length: length)
        }

        /// The score of document `index`.
        public func score(_ terms: [String: Int], document index: Int) -> Double {
            score(terms, bag: bags[index], length: lengths[index])
        }
    }

    /// The term bags of documents, file names weighted: reuse them across questions.
    public struct Corpus: Sendable {
        public var documents: [ContextDocument]
        public var bm25: BM25
        /// Each file name's terms (without the extension), unigrams and bigrams.
        public var nameTerms: [Set<String>]
        /// Type name → the documents declaring it.
        public var typeDeclarations: [String: [Int]]

        /// Builds the corpus.
        ///
        /// - Parameter documents: The repository's files.
        public init(_ documents: [ContextDocument]) {
            let documents = documents.sorted { $0.path < $1.path }
            self.documents = documents
            let names = documents.map { document in
                let file = document.path.split(separator: "/").last.map(String.init) ?? document.path
                let terms = QueryTerms.subwords(of: file.split(separator: ".").first ?? Substring(file))
                return Set(terms + ContextPacker.bigrams(terms))
            }
            nameTerms = names
            var types: [String: [Int]] = [:]
            for (index, document) in documents.enumerated() {
                for declaration in document.declarations where declaration.declaresType { types[declaration.name, default: []].append(index) }
            }
            typeDeclarations = types
            bm25 = BM25(bags: zip(documents, names).map { document, name in
                var bag = ContextPacker.bag(of: document.text)
                for term in name { bag[term, default: 0] += 3 }
                return bag
            })
        }
    }

    /// Adjacent pairs of terms, joined by `+` (`socket+channel`): a compound name said in words
    /// ("socket channel") matches the identifier (`SocketChannel`).
    static func bigrams(_ terms: [String]) -> [String] {
        terms.count < 2 ? [] : (1..<terms.count).map { terms[$0 - 1] + "+" + terms[$0] }
    }

    /// The terms of a question as ranking weighs them: search terms, pairs of adjacent content words,
    /// and the pairs inside each identifier it names (term → weight).
    public static func queryBag(_ question: String) -> [String: Int] {
        var terms: [String: Int] = [:]
        for term in QueryTerms.searchTerms(in: question) where !QueryTerms.stopWords.contains(term) { terms[term, default: 0] += 1 }
        // Pairs of adjacent content words of the question, and inside each identifier it names.
        var run: [String] = []
        for word in QueryTerms.words(in: question) {
            if QueryTerms.stopWords.contains(word) || word.count < 2 {
                run.removeAll()
                continue
            }
            let parts = QueryTerms.subwords(of: word)
            if let last = run.last, let first = parts.first { terms[last + "+" + first, default: 0] += 1 }
            run += parts
        }
        for identifier in QueryTerms.identifiers(in: question) {
            for pair in bigrams(QueryTerms.subwords(of: identifier)) { terms[pair, default: 0] += 1 }
        }
        return terms
    }

    /// Files ranked for a question.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - corpus: The repository's files.
    ///   - symbols: What the index knows of the identifiers the question names.
    /// - Returns: Indices into `corpus.documents` with scores, best first; only positive scores.
    public static func rank(question: String, corpus: Corpus, symbols: [SymbolLocations]) -> [(index: Int, score: Double)] {
        let position = Dictionary(uniqueKeysWithValues: corpus.documents.enumerated().map { ($1.path, $0) })
        return rank(question: question, candidates: Candidates(corpus, terms: queryBag(question).keys), symbols: symbols).map { (index: position[$0.path]!, score: $0.score) }
    }

    /// The files that may rank for a question, with what ranking asks of the rest of the repository.
    /// An in-memory ``Corpus`` gives every file; an index database gives those holding a term of the
    /// question or named by the index's evidence, with the whole repository's statistics.
    ///
    /// Each file is a row of flat tables whose columns are the question's terms (``terms``): how
    /// often its bag holds each, and whether its name does. Ranking tens of thousands of files then
    /// builds no dictionary per file.
    public struct Candidates {
        /// BM25's statistics over every file of the repository.
        public var statistics: Statistics
        /// The question's terms, sorted: the columns of each file's row.
        public let terms: [String]
        /// The candidate files' paths, one per row.
        public private(set) var paths: [String] = []
        /// Each file's bag length in terms.
        public private(set) var lengths: [Double] = []
        /// Row-major: how often each file's bag (its name's terms counted three more times) holds each term.
        private var counts: [Int32] = []
        /// Row-major: whether each file's name (without the extension) holds each term.
        private var named: [Bool] = []
        /// Row by path.
        public private(set) var rows: [String: Int] = [:]
        /// The names a file uses (the index's references), asked for the best few files.
        public var references: (String) -> Set<String>
        /// The files declaring a type of each of these names, anywhere in the repository (sorted;
        /// a name no file declares as a type may be left out).
        public var typeDeclarers: ([String]) -> [String: [String]]
        /// A used name's subwords (``QueryTerms/subwords(of:)``), which a long-lived caller may remember.
        public var nameParts: (String) -> [String]

        /// Creates candidates with no file yet.
        ///
        /// - Parameters:
        ///   - statistics: The repository's statistics.
        ///   - terms: The question's terms (``queryBag(_:)``'s keys), in any order.
        ///   - capacity: How many files are about to be added.
        public init(
            statistics: Statistics, terms: some Sequence<String>, capacity: Int = 0,
            references: @escaping (String) -> Set<String> = { _ in [] },
            typeDeclarers: @escaping ([String]) -> [String: [String]] = { _ in [:] },
            nameParts: @escaping (String) -> [String] = { QueryTerms.subwords(of: $0) }
        ) {
            self.statistics = statistics
            self.terms = Array(Set(terms)).sorted()
            self.references = references
            self.typeDeclarers = typeDeclarers
            self.nameParts = nameParts
            paths.reserveCapacity(capacity)
            lengths.reserveCapacity(capacity)
            counts.reserveCapacity(capacity * self.terms.count)
            named.reserveCapacity(capacity * self.terms.count)
            rows.reserveCapacity(capacity)
        }

        /// Adds a file, unless its path is there already.
        ///
        /// - Parameters:
        ///   - path: The file's path.
        ///   - length: Its bag's length in terms.
        ///   - count: How often its bag holds the term at an index of ``terms``.
        ///   - inName: Whether its name holds the term at an index of ``terms``.
        /// - Returns: Whether it was added.
        @discardableResult
        public mutating func append(path: String, length: Double, count: (Int) -> Int, inName: (Int) -> Bool) -> Bool {
            guard rows.updateValue(paths.count, forKey: path) == nil else { return false }
            paths.append(path)
            lengths.append(length)
            for term in terms.indices {
                counts.append(Int32(clamping: count(term)))
                named.append(inName(term))
            }
            return true
        }

        /// Adds a file from its bag (only the question's terms are looked up) and its name's terms.
        @discardableResult
        public mutating func append(path: String, length: Double, termCounts: [String: Int], nameTerms: Set<String>) -> Bool {
            let terms = terms
            return append(path: path, length: length, count: { termCounts[terms[$0]] ?? 0 }, inName: { nameTerms.contains(terms[$0]) })
        }

        /// How often a file's bag holds a term.
        ///
        /// - Parameters:
        ///   - row: The file's row.
        ///   - term: An index of ``terms``.
        public func count(_ row: Int, _ term: Int) -> Int { Int(counts[row * terms.count + term]) }

        /// Whether a file's name holds a term.
        public func inName(_ row: Int, _ term: Int) -> Bool { named[row * terms.count + term] }

        /// Every file of a corpus, for a question's terms.
        public init(_ corpus: Corpus, terms: some Sequence<String>) {
            let references = Dictionary(uniqueKeysWithValues: corpus.documents.map { ($0.path, $0.references) })
            let types = corpus.typeDeclarations.mapValues { $0.map { corpus.documents[$0].path } }
            self.init(
                statistics: corpus.bm25.statistics, terms: terms, capacity: corpus.documents.count,
                references: { references[$0] ?? [] },
                typeDeclarers: { names in Dictionary(names.map { ($0, types[$0] ?? []) }, uniquingKeysWith: { first, _ in first }) })
            for (index, document) in corpus.documents.enumerated() {
                append(path: document.path, length: corpus.bm25.lengths[index], termCounts: corpus.bm25.bags[index], nameTerms: corpus.nameTerms[index])
            }
        }
    }

    /// The candidates ranked for a question.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - candidates: The files that may rank, with the repository's statistics.
    ///   - symbols: What the index knows of the identifiers the question names.
    /// - Returns: Paths with scores, best first; only positive scores.
    public static func rank(question: String, candidates: Candidates, symbols: [SymbolLocations]) -> [(path: String, score: Double)] {
        let terms = queryBag(question)
        let paths = candidates.paths
        let statistics = candidates.statistics
        // The candidates' columns are the question's terms, sorted: BM25 sums in that order (a
        // column the question lacks weighs nothing).
        let columns = candidates.terms
        let weights = columns.map { Double(terms[$0] ?? 0) * statistics.idf($0) }
        var scores = paths.indices.map { row in
            statistics.score(weights: weights, length: candidates.lengths[row]) { candidates.count(row, $0) }
        }
        let best = scores.max() ?? 0
        let unit = max(best, 1)
        // Tests exercise the code a question is about but rarely explain it: they count half,
        // unless the question is about tests.
        let aboutTests = terms.keys.contains { $0 == "test" || $0 == "tests" }
        if !aboutTests {
            for i in scores.indices where isTest(paths[i]) { scores[i] *= testWeight }
        }
        // A file named for what the question asks about: the share of the question's weight its name holds.
        let totalWeight = terms.keys.sorted().reduce(0.0) { $0 + Double(terms[$1] ?? 0) * statistics.idf($1) }
        if totalWeight > 0 {
            for i in scores.indices {
                var named = 0.0
                for term in columns.indices { named += candidates.inName(i, term) ? weights[term] : 0 }
                scores[i] += unit * named / totalWeight
            }
        }
        let position = candidates.rows
        for symbol in symbols {
            // A name declared in many files (`init`, `write`) says little about any one of them.
            let spread = Double(max(1, symbol.definitions.count))
            for path in symbol.definitions { if let i = position[path] { scores[i] += unit / spread } }
            let totalUses = Double(symbol.references.values.reduce(0, +))
            guard totalUses > 0 else { continue }
            for (path, uses) in symbol.references {
                guard let i = position[path] else { continue }
                scores[i] += unit * 0.5 * naturalLog(1 + Double(uses)) / naturalLog(2 + totalUses) / Double(max(1, symbol.references.count)).squareRoot()
            }
        }
        // Neighbours in the reference graph: a type that the best files use, declared in one other
        // file, and named with the question's terms, brings its file closer.
        if totalWeight > 0 {
            let first = scores.enumerated().filter { $0.element > 0 }
                .sorted { $0.element != $1.element ? $0.element > $1.element : paths[$0.offset] < paths[$1.offset] }
                .prefix(neighbourSources)
            var boost = [Double](repeating: 0, count: scores.count)
            // The names' terms first: where types are declared is asked only for names that hold one.
            var hits: [(rank: Int, source: Int, name: String, hit: Double)] = []
            for (rank, source) in first.enumerated() {
                for name in candidates.references(paths[source.offset]).sorted() {
                    let parts = candidates.nameParts(name)
                    let hit = (parts + bigrams(parts)).reduce(0.0) { $0 + (terms[$1] != nil ? statistics.idf($1) : 0) }
                    if hit > 0 { hits.append((rank, source.offset, name, hit)) }
                }
            }
            let declarers = hits.isEmpty ? [:] : candidates.typeDeclarers(Array(Set(hits.map(\.name))).sorted())
            for (rank, source, name, hit) in hits {
                guard let declaring = declarers[name], declaring.count == 1, let target = position[declaring[0]], target != source else { continue }
                boost[target] += unit * 0.5 * hit / totalWeight / Double(rank + 1).squareRoot()
            }
            for i in scores.indices { scores[i] += min(boost[i], unit * 0.8) }
        }
        return scores.enumerated().filter { $0.element > 0 }
            .sorted { $0.element != $1.element ? $0.element > $1.element : paths[$0.offset] < paths[$1.offset] }
            .map { (path: paths[$0.offset], score: $0.element) }
    }

    /// Retrieves and packs context for a question within a budget.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - corpus: The repository's files.
    ///   - symbols: What the index knows of the identifiers the question names.
    ///   - budget: The most tokens to pack (``TokenEstimate``), headers included.
    /// - Returns: The packed context.
    public static func pack(question: String, corpus: Corpus, symbols: [SymbolLocations], budget: Int) -> PackedContext {
        let byPath = Dictionary(uniqueKeysWithValues: corpus.documents.map { ($0.path, $0) })
        let ranking = rank(question: question, candidates: Candidates(corpus, terms: queryBag(question).keys), symbols: symbols)
        return pack(question: question, ranking: ranking, statistics: corpus.bm25.statistics, symbols: symbols, budget: budget) { byPath[$0] }
    }

    /// Packs context for a question from a ranking, within a budget, asking for each file's text and
    /// declarations only as it comes to it.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - ranking: The files ranked (``rank(question:candidates:symbols:)``).
    ///   - statistics: The repository's BM25 statistics, for ranking declarations inside a file.
    ///   - symbols: What the index knows of the identifiers the question names.
    ///   - budget: The most tokens to pack (``TokenEstimate``), headers included.
    ///   - document: A ranked file's text and declarations; `nil` leaves the file out.
    /// - Returns: The packed context.
    public static func pack(
        question: String, ranking: [(path: String, score: Double)], statistics: Statistics, symbols: [SymbolLocations],
        budget: Int, document load: (String) -> ContextDocument?, outline: ((String) -> ContextOutline?)? = nil
    ) -> PackedContext {
        let terms = queryBag(question)
        let named = Set(symbols.map(\.name))
        var used = 0
        var pieces: [PackedPiece] = []
        var hasHeader = Set<String>()
        func cost(_ path: String, _ tokens: Int) -> Int { tokens + (hasHeader.contains(path) ? 0 : TokenEstimate.of("// \(path)\n")) }
        func take(_ piece: PackedPiece) {
            used += cost(piece.path, piece.tokens)
            hasHeader.insert(piece.path)
            pieces.append(piece)
        }
        var loaded: [String: ContextDocument?] = [:]
        func document(_ path: String) -> ContextDocument? {
            if let known = loaded[path] { return known }
            let found = load(path)
            loaded[path] = found
            return found
        }
        let fullBudget = Int(Double(budget) * fullShare)
        var fullFiles = Set<String>()
        var covered: [String: [ClosedRange<Int>]] = [:]
        // Declarations ranked inside each candidate file, computed once, from one pass over the
        // file: each line's number of terms and the lines the question's terms are on.
        var rankedDeclarations: [String: [(declaration: ContextDeclaration, score: Double)]] = [:]
        var documentLines: [String: [Substring]] = [:]
        var knownWords: [[UInt8]: [String]] = [:]
        /// A declaration's text (doc comment included), taken only for the pieces that may be packed.
        func text(of declaration: ContextDeclaration, in document: ContextDocument) -> String {
            let lines = documentLines[document.path] ?? lineSlices(document.text)
            documentLines[document.path] = lines
            return lines[(declaration.lines.lowerBound - 1)..<declaration.lines.upperBound].joined(separator: "\n") + "\n"
        }
        // Weight times idf, in the order Statistics.score sums them.
        let weightedTerms = terms.keys.sorted().map { (term: $0, weight: Double(terms[$0] ?? 0) * statistics.idf($0)) }
        func declarations(of document: ContextDocument) -> [(declaration: ContextDeclaration, score: Double)] {
            declarations(document.path, document.declarations) {
                document.termLines ?? TermLines.of(document.text, wanted: terms, known: &knownWords)
            }
        }
        func declarations(
            _ path: String, _ declarations: [ContextDeclaration], _ termLines: () -> TermLines
        ) -> [(declaration: ContextDeclaration, score: Double)] {
            if let known = rankedDeclarations[path] { return known }
            let where_ = termLines()
            let scored = declarations.compactMap { declaration -> (declaration: ContextDeclaration, score: Double)? in
                guard declaration.lines.lowerBound >= 1, declaration.lines.upperBound <= where_.lineCount else { return nil }
                var score = where_.score(of: declaration.lines, weighted: weightedTerms, statistics: statistics)
                if named.contains(declaration.name) { score += 10 }
                return (declaration, score)
            }
            let sorted = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.declaration.lines.lowerBound < $1.declaration.lines.lowerBound }
            rankedDeclarations[path] = sorted
            return sorted
        }
        // 1. Full text for the closest code.
        for (path, _) in ranking.prefix(12) {
            guard let document = document(path) else { continue }
            let fileTokens = TokenEstimate.of(document.text)
            if fileTokens <= min(smallFileTokens, budget / 8) {
                guard used + cost(document.path, fileTokens) <= fullBudget else { continue }
                let newlines = document.text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                let lineCount = max(1, newlines + 1 - (document.text.utf8.last == UInt8(ascii: "\n") ? 1 : 0))
                take(PackedPiece(path: document.path, lines: 1...lineCount, form: .full, tokens: fileTokens, text: document.text))
                fullFiles.insert(document.path)
                continue
            }
            var taken = 0
            for candidate in declarations(of: document) where candidate.score > 0 && taken < 2 {
                let candidateText = text(of: candidate.declaration, in: document)
                let tokens = TokenEstimate.of(candidateText)
                guard tokens <= budget / 6 else { continue }
                if covered[document.path, default: []].contains(where: { $0.overlaps(candidate.declaration.lines) }) { continue }
                guard used + cost(document.path, tokens) <= fullBudget else { break }
                take(PackedPiece(path: document.path, lines: candidate.declaration.lines, form: .full, tokens: tokens, text: candidateText))
                covered[document.path, default: []].append(candidate.declaration.lines)
                taken += 1
            }
        }
        // 2. Signatures for the rest: a map of the next files' best declarations.
        for (path, _) in ranking where !fullFiles.contains(path) {
            guard used < budget else { break }
            // Every signature line costs at least 2 tokens ("1: x"): a file whose header and one
            // such line cannot fit gives nothing, so it is not read.
            guard used + cost(path, 2) <= budget else { continue }
            // Signatures need no text: a file not read yet is outlined from the index when it can vouch
            // that the outline is of the file's current content.
            let ranked: [(declaration: ContextDeclaration, score: Double)]
            if loaded[path] == nil, let found = outline?(path) {
                ranked = declarations(path, found.declarations) { found.termLines }
            } else if let document = document(path) {
                ranked = declarations(of: document)
            } else {
                continue
            }
            let ranges = covered[path, default: []]
            let best = ranked
                .filter { candidate in !ranges.contains(where: { $0.contains(candidate.declaration.lines.lowerBound) }) }
                .prefix(6)
                .sorted { $0.declaration.lines.lowerBound < $1.declaration.lines.lowerBound }
            var lines: [String] = []
            var first = Int.max, last = 0
            for candidate in best {
                let line = "\(candidate.declaration.lines.lowerBound): \(candidate.declaration.signature)"
                let tokens = TokenEstimate.of((lines + [line]).joined(separator: "\n") + "\n")
                if used + cost(path, tokens) > budget { break }
                lines.append(line)
                first = min(first, candidate.declaration.lines.lowerBound)
                last = max(last, candidate.declaration.lines.upperBound)
            }
            guard !lines.isEmpty else { continue }
            let text = lines.joined(separator: "\n") + "\n"
            take(PackedPiece(path: path, lines: first...last, form: .signature, tokens: TokenEstimate.of(text), text: text))
        }
        // Group by file in rank order, each file's pieces by line.
        let order = Dictionary(uniqueKeysWithValues: ranking.enumerated().map { ($1.path, $0) })
        pieces.sort { lhs, rhs in
            let l = order[lhs.path] ?? Int.max, r = order[rhs.path] ?? Int.max
            if l != r { return l < r }
            return lhs.lines.lowerBound < rhs.lines.lowerBound
        }
        return PackedContext(budget: budget, pieces: pieces, totalTokens: used, ranking: ranking)
    }

    /// A text's lines, split at each `\n` byte as the index counts lines (a `\r` before it stays
    /// on its line), without the grapheme breaking of `String.split`.
    static func lineSlices(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "\n") {
                lines.append(text[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        lines.append(text[start..<utf8.endIndex])
        return lines
    }

    /// The baseline: whole files ranked by BM25 of the question alone, packed whole while they fit.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - corpus: The repository's files.
    ///   - budget: The most tokens to pack.
    /// - Returns: The packed files in rank order.
    public static func packWholeFilesByBM25(question: String, corpus: Corpus, budget: Int) -> [String] {
        let terms = queryBag(question)
        let ranked = corpus.documents.indices.map { ($0, corpus.bm25.score(terms, document: $0)) }
            .filter { $0.1 > 0 }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : corpus.documents[$0.0].path < corpus.documents[$1.0].path }
        var used = 0
        var files: [String] = []
        for (index, _) in ranked {
            let document = corpus.documents[index]
            let tokens = TokenEstimate.of(document.text) + TokenEstimate.of("// \(document.path)\n")
            guard used + tokens <= budget else { continue }
            used += tokens
            files.append(document.path)
        }
        return files
    }
}

/// The natural logarithm, without Foundation: `exponent · ln 2 + ln(significand)`, the latter by the
/// series of `2 · atanh((s − 1) / (s + 1))` (the significand is in [1, 2), so it converges fast).
func naturalLog(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
    let z = (x.significand - 1) / (x.significand + 1)
    let z2 = z * z
    var term = z, sum = 0.0, k = 1.0
    while true {
        let next = sum + term / k
        if next == sum { break }
        sum = next
        term *= z2
        k += 2
    }
    return Double(x.exponent) * 0.6931471805599453 + 2 * sum
}
