import AssistCore
import Testing

@Suite("Context packing")
struct ContextPackerTests {
    /// A file of `count` functions, each `bodyLines` long, named `prefix0`, `prefix1`, …
    static func document(_ path: String, prefix: String, count: Int, bodyLines: Int, words: String = "") -> ContextDocument {
        var lines: [String] = []
        var declarations: [ContextDeclaration] = []
        for i in 0..<count {
            let start = lines.count + 1
            lines.append("/// \(words) \(prefix) number \(i).")
            lines.append("func \(prefix)\(i)(value: Int) -> Int {")
            for j in 0..<bodyLines { lines.append("    let step\(j) = value + \(j) // \(words)") }
            lines.append("    return value")
            lines.append("}")
            declarations.append(ContextDeclaration(
                name: "\(prefix)\(i)", lines: start...lines.count, signature: "func \(prefix)\(i)(value: Int) -> Int", declaresType: false))
        }
        return ContextDocument(path: path, text: lines.joined(separator: "\n") + "\n", declarations: declarations)
    }

    static let corpus = ContextPacker.Corpus([
        document("Sources/Net/SocketWriter.swift", prefix: "flushPendingWrites", count: 30, bodyLines: 20, words: "socket write flush"),
        document("Sources/Net/Pipeline.swift", prefix: "forwardWrite", count: 20, bodyLines: 20, words: "pipeline handler write"),
        document("Sources/Net/Small.swift", prefix: "tinyHelper", count: 1, bodyLines: 2, words: "socket"),
        document("Sources/Util/Strings.swift", prefix: "trimSpaces", count: 40, bodyLines: 10, words: "string spaces"),
    ] + (0..<30).map { document("Sources/Other/File\($0).swift", prefix: "unrelated\($0)x", count: 10, bodyLines: 10, words: "colour shape") })

    static let symbols = [
        SymbolLocations(name: "forwardWrite3", definitions: ["Sources/Net/Pipeline.swift"], references: ["Sources/Net/SocketWriter.swift": 4]),
    ]

    @Test(arguments: [300, 1_000, 4_000, 16_000, 64_000])
    func budgetIsRespected(budget: Int) {
        let packed = ContextPacker.pack(question: "How does a socket write get flushed from `forwardWrite3`?", corpus: Self.corpus, symbols: Self.symbols, budget: budget)
        #expect(packed.totalTokens <= budget)
        var headers = Set<String>()
        var total = 0
        for piece in packed.pieces {
            #expect(piece.tokens == TokenEstimate.of(piece.text))
            if headers.insert(piece.path).inserted { total += TokenEstimate.of("// \(piece.path)\n") }
            total += piece.tokens
        }
        #expect(total == packed.totalTokens)
    }

    @Test func closestCodeInFullTheRestAsSignatures() {
        let packed = ContextPacker.pack(question: "How does a socket write get flushed from `forwardWrite3`?", corpus: Self.corpus, symbols: Self.symbols, budget: 4_000)
        let files = packed.files
        #expect(files.prefix(3).contains("Sources/Net/Pipeline.swift"))
        #expect(files.prefix(3).contains("Sources/Net/SocketWriter.swift"))
        #expect(!files.contains { $0.hasPrefix("Sources/Other/") })
        // The named declaration is there in full, its doc comment included.
        let named = packed.pieces.first { $0.path == "Sources/Net/Pipeline.swift" && $0.form == .full && $0.text.contains("func forwardWrite3(") }
        #expect(named != nil)
        #expect(named?.text.hasPrefix("///") == true)
        // The small matching file goes in whole.
        #expect(packed.pieces.contains { $0.path == "Sources/Net/Small.swift" && $0.form == .full && $0.lines == 1...6 })
        // Signatures list declarations by line, without bodies.
        let signatures = packed.pieces.filter { $0.form == .signature }
        #expect(!signatures.isEmpty)
        for piece in signatures { #expect(!piece.text.contains("let step")) }
    }

    @Test func deterministic() {
        let question = "socket write flush pipeline"
        let first = ContextPacker.pack(question: question, corpus: Self.corpus, symbols: [], budget: 2_000)
        let reordered = ContextPacker.Corpus(Self.corpus.documents.reversed())
        let second = ContextPacker.pack(question: question, corpus: reordered, symbols: [], budget: 2_000)
        #expect(first == second)
    }

    @Test func baselinePacksWholeFilesWithinBudget() {
        let files = ContextPacker.packWholeFilesByBM25(question: "socket write", corpus: Self.corpus, budget: 5_000)
        #expect(files.first == "Sources/Net/SocketWriter.swift" || files.contains("Sources/Net/Small.swift"))
        let tokens = files.map { path in
            let text = Self.corpus.documents.first { $0.path == path }!.text
            return TokenEstimate.of(text) + TokenEstimate.of("// \(path)\n")
        }.reduce(0, +)
        #expect(tokens <= 5_000)
    }

    @Test func tokenEstimateIsBytesOverFour() {
        #expect(TokenEstimate.of("") == 0)
        #expect(TokenEstimate.of("abcd") == 1)
        #expect(TokenEstimate.of("abcde") == 2)
        #expect(TokenEstimate.of("é") == 1)
    }

    @Test("test files by folder or name, on the path's bytes", arguments: [
        ("Tests/NIOTests/ChannelTests.swift", true),
        ("Sources/NIOCore/Channel.swift", false),
        ("Sources/Request/RequestTimeout.swift", false),
        ("pkg/tests/helpers.py", true),
        ("pkg/test/helpers.py", true),
        ("Testing/Latest.swift", false),
        ("Sources/IntegrationTests/Main.swift", true),
        ("Sources/FooTest.swift", true),
        ("Sources/FooTests.generated.swift", true),
        ("Sources/.FooTest.swift", true),
        ("Sources/Fooest.swift", false),
        ("FooTests", true),
        ("//Tests//a.swift", true),
        ("Sources/Tests", true),
        ("Sources/Te\u{301}sts/a.swift", false),
        ("Sources/Ünicode/ÜberTest.swift", true),
        ("", false),
    ])
    func testPaths(path: String, expected: Bool) {
        #expect(ContextPacker.isTest(path) == expected, "\(path)")
    }
}
