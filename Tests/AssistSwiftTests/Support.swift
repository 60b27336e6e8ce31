import AssistSwift
import Testing

/// What a test expects of one declaration; `nil` fields are not checked.
struct Expected: CustomTestStringConvertible, Sendable {
    var fullName: String
    var kind: SwiftDeclarationKind
    var containers: [String] = []
    var access: SwiftAccessLevel?? = nil
    var isPublicAPI: Bool? = nil
    var signature: String? = nil
    var parameters: [SwiftParameter]? = nil
    var resultType: String?? = nil
    var isAsync: Bool? = nil
    var throwsKind: SwiftThrowsKind? = nil
    var thrownType: String?? = nil
    var generics: String?? = nil
    var whereClause: String?? = nil
    var inheritedTypes: [String]? = nil
    var attributes: [String]? = nil
    var modifiers: [String]? = nil
    /// The doc comment's text, `.some(nil)` for "no doc comment".
    var doc: String?? = nil
    var hasBody: Bool? = nil
    var isComputed: Bool? = nil
    /// `line:utf8Column` of the name's start.
    var nameAt: String? = nil
    /// `line:utf8Column-line:utf8Column` of the whole declaration.
    var rangeIs: String? = nil

    var testDescription: String { "\(kind) \(containers.joined(separator: ".")) \(fullName)" }
}

/// Analyses `source` and checks that exactly the `expected` declarations come out, in that order,
/// each matching every field the expectation sets.
func check(_ source: String, _ expected: [Expected], sourceLocation: SourceLocation = #_sourceLocation) {
    let analysis = SwiftAnalyzer.analyze(source: source)
    #expect(analysis.syntaxErrors == [], "unexpected syntax errors", sourceLocation: sourceLocation)
    let actualNames = analysis.declarations.map { "\($0.kind) \($0.fullName)" }
    let expectedNames = expected.map { "\($0.kind) \($0.fullName)" }
    #expect(actualNames == expectedNames, sourceLocation: sourceLocation)
    for (want, got) in zip(expected, analysis.declarations) {
        compare(want, got, sourceLocation: sourceLocation)
    }
}

func compare(_ want: Expected, _ got: SwiftDeclaration, sourceLocation: SourceLocation) {
    let what = want.testDescription
    #expect(got.fullName == want.fullName, "\(what)", sourceLocation: sourceLocation)
    #expect(got.kind == want.kind, "\(what)", sourceLocation: sourceLocation)
    #expect(got.containers == want.containers, "\(what)", sourceLocation: sourceLocation)
    if let access = want.access { #expect(got.accessLevel == access, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.isPublicAPI { #expect(got.isPublicAPI == value, "\(what) isPublicAPI", sourceLocation: sourceLocation) }
    if let value = want.signature { #expect(got.signature == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.parameters { #expect(got.parameters == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.resultType { #expect(got.resultType == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.isAsync { #expect(got.isAsync == value, "\(what) isAsync", sourceLocation: sourceLocation) }
    if let value = want.throwsKind { #expect(got.throwsKind == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.thrownType { #expect(got.thrownType == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.generics { #expect(got.genericParameterClause == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.whereClause { #expect(got.genericWhereClause == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.inheritedTypes { #expect(got.inheritedTypes == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.attributes { #expect(got.attributes == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.modifiers { #expect(got.modifiers == value, "\(what)", sourceLocation: sourceLocation) }
    if let value = want.doc { #expect(got.docComment?.text == value, "\(what) doc comment", sourceLocation: sourceLocation) }
    if let value = want.hasBody { #expect((got.bodyRange != nil) == value, "\(what) body", sourceLocation: sourceLocation) }
    if let value = want.isComputed { #expect(got.isComputed == value, "\(what) isComputed", sourceLocation: sourceLocation) }
    if let value = want.nameAt { #expect(got.nameRange.start.description == value, "\(what) name", sourceLocation: sourceLocation) }
    if let value = want.rangeIs { #expect(got.range.description == value, "\(what) range", sourceLocation: sourceLocation) }
}

/// A parameter, shortly: `p("from", "source", "Int")`.
func p(
    _ external: String?, _ internalName: String?, _ type: String, default defaultValue: String? = nil,
    variadic: Bool = false, inOut isInout: Bool = false
) -> SwiftParameter {
    SwiftParameter(externalName: external, internalName: internalName, type: type, defaultValue: defaultValue,
                   isVariadic: variadic, isInout: isInout)
}
