import AssistSwift
import Foundation
import Testing

@Suite struct PositionTests {
    @Test func nonASCIIColumnsDifferBetweenUTF8AndUTF16() throws {
        let analysis = SwiftAnalyzer.analyze(source: "let s = \"é😀\"; let 名前 = 1\nlet t = 2")
        #expect(analysis.syntaxErrors.isEmpty)
        #expect(analysis.declarations.map(\.name) == ["s", "名前", "t"])
        let name = analysis.declarations[1].nameRange
        #expect(name.start == SwiftSourcePosition(line: 1, utf8Column: 23, utf16Column: 20, utf8Offset: 22))
        #expect(name.end == SwiftSourcePosition(line: 1, utf8Column: 29, utf16Column: 22, utf8Offset: 28))
        // The next line is ASCII again: both columns agree.
        let t = analysis.declarations[2].nameRange.start
        #expect(t == SwiftSourcePosition(line: 2, utf8Column: 5, utf16Column: 5, utf8Offset: 37))
    }

    @Test func nonASCIIReferencesGetUTF16Columns() throws {
        let analysis = SwiftAnalyzer.analyze(source: "let ü = 1\nlet v = \"ß\" + String(ü)")
        let use = try #require(analysis.references["ü"]?.first)
        // `let v = "ß" + String(` is 22 bytes but 21 UTF-16 units.
        #expect(use == SwiftSourcePosition(line: 2, utf8Column: 23, utf16Column: 22, utf8Offset: 33))
    }

    @Test(arguments: [
        ("LF", "struct A {}\nstruct B {}\n", 12),
        ("CRLF", "struct A {}\r\nstruct B {}\r\n", 13),
        ("CR", "struct A {}\rstruct B {}\r", 12),
    ])
    func lineEndings(_ label: String, _ source: String, _ offsetOfB: Int) throws {
        let analysis = SwiftAnalyzer.analyze(source: source)
        #expect(analysis.syntaxErrors.isEmpty, "\(label)")
        #expect(analysis.declarations.map(\.name) == ["A", "B"], "\(label)")
        #expect(analysis.lineCount == 3, "\(label)")
        let b = try #require(analysis.declarations.last)
        #expect(b.range.start == SwiftSourcePosition(line: 2, utf8Column: 1, utf16Column: 1, utf8Offset: offsetOfB), "\(label)")
        #expect(b.nameRange.start.description == "2:8", "\(label)")
        #expect(b.range.end.description == "2:12", "\(label)")
    }

    @Test func bodyRangeCoversTheBraces() throws {
        let analysis = SwiftAnalyzer.analyze(source: "func f() {\n    g()\n}")
        let body = try #require(analysis.declarations.first?.bodyRange)
        #expect(body.description == "1:10-3:2")
    }
}

@Suite struct ReferenceTests {
    static let source = """
        struct Point { var x: Int }
        func use(p: Point) -> Int {
            let q = Point(x: 1)
            return p.x + q.x + Swift.max(1, 2)
        }
        @MainActor func ui() {}
        """

    @Test func identifierUsesTypeNamesAndMemberAccesses() {
        let references = SwiftAnalyzer.analyze(source: Self.source).references
        #expect(references["Point"]?.map(\.description) == ["2:13", "3:13"])
        #expect(references["Int"]?.map(\.description) == ["1:23", "2:23"])
        #expect(references["x"]?.map(\.description) == ["4:14", "4:20"])
        #expect(references["p"]?.map(\.description) == ["4:12"])
        #expect(references["q"]?.map(\.description) == ["4:18"])
        #expect(references["Swift"]?.map(\.description) == ["4:24"])
        #expect(references["max"]?.map(\.description) == ["4:30"])
        #expect(references["MainActor"]?.map(\.description) == ["6:2"])
    }

    @Test func declaredNamesAndKeywordsAreNotReferences() {
        let references = SwiftAnalyzer.analyze(source: Self.source).references
        #expect(references["use"] == nil)
        #expect(references["ui"] == nil)
        #expect(references["self"] == nil)
        #expect(Set(references.keys) == ["Point", "Int", "x", "p", "q", "Swift", "max", "MainActor"])
    }

    @Test func localDeclarationsAreNotListedButTheirUsesAreReferences() {
        let analysis = SwiftAnalyzer.analyze(source: "func f() {\n    let local = 1\n    print(local)\n}")
        #expect(analysis.declarations.map(\.name) == ["f"])
        #expect(analysis.references["local"]?.map(\.description) == ["3:11"])
        #expect(analysis.references["print"]?.count == 1)
    }
}

@Suite struct RobustnessTests {
    @Test func emptyFile() {
        let analysis = SwiftAnalyzer.analyze(source: "")
        #expect(analysis.declarations.isEmpty)
        #expect(analysis.references.isEmpty)
        #expect(analysis.syntaxErrors.isEmpty)
        #expect(!analysis.hasSyntaxErrors)
        #expect(analysis.lineCount == 1)
        #expect(analysis.formatVersion == SwiftAnalyzer.formatVersion)
    }

    @Test func syntaxErrorsAreReportedAndTheRestIsStillFound() throws {
        let source = "func broken(a: Int {\n}\nstruct Fine {\n    var ok = 1\n}\n"
        let analysis = SwiftAnalyzer.analyze(source: source)
        #expect(analysis.hasSyntaxErrors)
        let names = analysis.declarations.map(\.name)
        #expect(names.contains("broken"))
        #expect(names.contains("Fine"))
        #expect(names.contains("ok"))
        let first = try #require(analysis.syntaxErrors.first)
        #expect(first.message == "expected `)`")
        #expect(first.range.start.line == 1)
        for error in analysis.syntaxErrors {
            #expect(error.range.start.utf8Offset <= error.range.end.utf8Offset)
            #expect(error.range.end.utf8Offset <= source.utf8.count)
        }
    }

    @Test func unexpectedCodeIsQuoted() {
        let analysis = SwiftAnalyzer.analyze(source: "case x")
        #expect(analysis.syntaxErrors.first?.message == "unexpected code `case x`")
        #expect(analysis.syntaxErrors.first?.range.description == "1:1-1:7")
    }

    @Test func missingTokensAfterGoodCodeKeepTheGoodCode() {
        let analysis = SwiftAnalyzer.analyze(source: "struct S {\n    var a = 1 @@@\n}")
        #expect(analysis.hasSyntaxErrors)
        #expect(analysis.syntaxErrors.allSatisfy { $0.range.start.line == 2 })
        #expect(analysis.declarations.map(\.name) == ["S", "a"])
    }

    @Test func deepBracketNestingIsRefusedWithADiagnostic() {
        let limit = SwiftAnalyzer.maximumBracketDepth
        let deep = "let x = " + String(repeating: "[", count: limit + 1) + "1" + String(repeating: "]", count: limit + 1)
        let refused = SwiftAnalyzer.analyze(source: "func f() {}\n" + deep)
        #expect(refused.declarations.isEmpty)
        #expect(refused.syntaxErrors.count == 1)
        #expect(refused.syntaxErrors.first?.message.contains("nested \(limit + 1) deep") == true)
        #expect(refused.lineCount == 2)
        let shallow = "let x = " + String(repeating: "[", count: 6) + "1" + String(repeating: "]", count: 6)
        let parsed = SwiftAnalyzer.analyze(source: shallow)
        #expect(parsed.declarations.map(\.name) == ["x"])
        #expect(!parsed.hasSyntaxErrors)
    }

    @Test func bracketsInStringsAndCommentsDoNotCountAsNesting() {
        let many = String(repeating: "[", count: 40)
        let source = """
            let ansi = "\\u{1B}[1m\(many)\\\\"
            let raw = #"\(many)"\(many)"#
            let block = \"""
                \(many)
                \"""
            // \(many)
            /* \(many) /* nested \(many) */ \(many) */
            let last = [1]
            """
        let analysis = SwiftAnalyzer.analyze(source: source)
        #expect(!analysis.hasSyntaxErrors)
        #expect(analysis.declarations.map(\.name) == ["ansi", "raw", "block", "last"])
    }

    @Test(arguments: [
        "}}}}", "((((", "func", "struct", "extension", "let = = =", "case x", "@", "/** unterminated",
        "\"unterminated string", "#if X\nfunc f() {\n", "var x: Int { get set", "subscript", "init(",
        "enum E { case a(, ) }", String(repeating: "[", count: 2000),
    ])
    func malformedInputNeverCrashesAndIsFlagged(_ source: String) {
        let analysis = SwiftAnalyzer.analyze(source: source)
        #expect(analysis.hasSyntaxErrors)
        for declaration in analysis.declarations {
            #expect(declaration.range.start.utf8Offset <= declaration.range.end.utf8Offset)
            #expect(declaration.range.end.utf8Offset <= source.utf8.count)
        }
    }

    @Test func analysisIsDeterministic() {
        let source = ReferenceTests.source
        #expect(SwiftAnalyzer.analyze(source: source) == SwiftAnalyzer.analyze(source: source))
    }
}

@Suite struct CodableTests {
    @Test func jsonRoundTrip() throws {
        let source = """
            /// A type.
            public struct S<T>: Equatable where T: Equatable {
                public init(_ value: inout T, rest: Int...) async throws(E) {}
                public var é: Int { get async { 1 } }
                subscript(i: Int) -> T? { nil }
            }
            public enum E: Error { case a(Int), b }
            func broken( {
            """
        let analysis = SwiftAnalyzer.analyze(source: source)
        #expect(analysis.declarations.count >= 7)
        #expect(analysis.hasSyntaxErrors)
        let data = try JSONEncoder().encode(analysis)
        let decoded = try JSONDecoder().decode(SwiftFileAnalysis.self, from: data)
        #expect(decoded == analysis)
    }

    @Test func enumsEncodeAsReadableStrings() throws {
        let analysis = SwiftAnalyzer.analyze(source: "public func f() throws {}")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(analysis.declarations[0]), as: UTF8.self)
        #expect(json.contains(#""kind":"function""#))
        #expect(json.contains(#""throwsKind":"throws""#))
        #expect(json.contains(#""accessLevel":"public""#))
    }
}
