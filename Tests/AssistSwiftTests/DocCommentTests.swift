import AssistSwift
import Testing

@Suite struct DocCommentTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var source: String
        /// The doc comment text expected on the last declaration of `source`, or `nil` for none.
        var doc: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "line comments", source: "/// Moves.\n/// - Returns: Nothing.\nfunc f() {}",
             doc: "/// Moves.\n/// - Returns: Nothing."),
        Case(name: "indented, in a type", source: "struct S {\n    /// One.\n    /// Two.\n    var x = 1\n}",
             doc: "/// One.\n    /// Two."),
        Case(name: "attributes between comment and declaration",
             source: "/// Fast.\n@inlinable\n@available(*, deprecated)\npublic func f() {}", doc: "/// Fast."),
        Case(name: "block comment", source: "/**\n Block.\n */\nclass C {}", doc: "/**\n Block.\n */"),
        Case(name: "blank line detaches", source: "/// Orphan.\n\nfunc f() {}", doc: nil),
        Case(name: "blank line inside keeps the part below", source: "/// Far.\n\n/// Near.\nfunc f() {}",
             doc: "/// Near."),
        Case(name: "plain comment is not documentation", source: "// Plain.\nfunc f() {}", doc: nil),
        Case(name: "plain comment between detaches", source: "/// Doc.\n// Plain.\nfunc f() {}", doc: nil),
        Case(name: "no comment", source: "let x = 1\nlet y = 2", doc: nil),
        Case(name: "previous declaration's trailing comment", source: "let x = 1 /// not for y\nlet y = 2", doc: nil),
        Case(name: "CRLF line endings", source: "/// A.\r\n/// B.\r\nfunc f() {}", doc: "/// A.\r\n/// B."),
        Case(name: "enum case", source: "enum E {\n    /// The first.\n    case a\n}", doc: "/// The first."),
    ]

    @Test(arguments: cases)
    func attachment(_ testCase: Case) throws {
        let analysis = SwiftAnalyzer.analyze(source: testCase.source)
        #expect(analysis.syntaxErrors.isEmpty)
        let last = try #require(analysis.declarations.last)
        #expect(last.docComment?.text == testCase.doc)
        if let doc = last.docComment {
            // The range covers exactly the text, and ends before the declaration starts.
            let bytes = Array(testCase.source.utf8)
            let slice = bytes[doc.range.start.utf8Offset..<doc.range.end.utf8Offset]
            #expect(String(decoding: slice, as: UTF8.self) == doc.text)
            #expect(doc.range.end < last.range.start)
        }
    }

    @Test func docCommentIsNotPartOfRangeOrSignature() throws {
        let analysis = SwiftAnalyzer.analyze(source: "/// Doc.\n@discardableResult\nfunc f() -> Int { 0 }")
        let declaration = try #require(analysis.declarations.first)
        #expect(declaration.range.start.line == 2)
        #expect(declaration.signature == "@discardableResult func f() -> Int")
        #expect(declaration.docComment?.range.description == "1:1-1:9")
    }

    @Test func everyBindingSharesTheComment() {
        let analysis = SwiftAnalyzer.analyze(source: "/// Both.\nvar a = 1, b = 2")
        #expect(analysis.declarations.map(\.docComment?.text) == ["/// Both.", "/// Both."])
    }
}
