import AssistSwift
import Testing

@Suite struct DeclarationTests {
    @Test func functionsWithParametersEffectsAndResults() {
        check(
            """
            public func move(from source: Int, to destination: inout [Int], _ extra: String = "x", values: Int...) async throws -> Bool { true }
            func plain() {}
            func typed() throws(ParseError) -> Int { 0 }
            func map<T, U>(_ value: T, _ body: (T) throws -> U) rethrows -> U where T: Equatable { try body(value) }
            """,
            [
                Expected(
                    fullName: "move(from:to:_:values:)", kind: .function, access: .some(.public), isPublicAPI: true,
                    signature: #"public func move(from source: Int, to destination: inout [Int], _ extra: String = "x", values: Int...) async throws -> Bool"#,
                    parameters: [
                        p("from", "source", "Int"), p("to", "destination", "inout [Int]", inOut: true),
                        p(nil, "extra", "String", default: #""x""#), p("values", "values", "Int...", variadic: true),
                    ],
                    resultType: .some("Bool"), isAsync: true, throwsKind: .throws, thrownType: .some(nil),
                    hasBody: true, nameAt: "1:13", rangeIs: "1:1-1:133"
                ),
                Expected(fullName: "plain()", kind: .function, access: .some(nil), isPublicAPI: false,
                         signature: "func plain()", parameters: [], resultType: .some(nil), isAsync: false,
                         throwsKind: SwiftThrowsKind.none, nameAt: "2:6", rangeIs: "2:1-2:16"),
                Expected(fullName: "typed()", kind: .function, resultType: .some("Int"), throwsKind: .typed,
                         thrownType: .some("ParseError")),
                Expected(fullName: "map(_:_:)", kind: .function,
                         signature: "func map<T, U>(_ value: T, _ body: (T) throws -> U) rethrows -> U where T: Equatable",
                         parameters: [p(nil, "value", "T"), p(nil, "body", "(T) throws -> U")],
                         resultType: .some("U"), throwsKind: .rethrows, generics: .some("<T, U>"),
                         whereClause: .some("where T: Equatable")),
            ]
        )
    }

    @Test func initializersDeinitializersSubscriptsAndOperators() {
        check(
            """
            struct Vector {
                init(_ x: Int) {}
                init?(string: String) async throws {}
                subscript(index: Int) -> Int { get { 0 } set {} }
                subscript(key key: String, default value: Int = 0) -> Int { 0 }
                static func + (lhs: Vector, rhs: Vector) -> Vector { lhs }
                static prefix func - (v: Vector) -> Vector { v }
            }
            class Box { deinit {} }
            infix operator <> : AdditionPrecedence
            precedencegroup Pipe { associativity: left }
            """,
            [
                Expected(fullName: "Vector", kind: .struct, signature: "struct Vector", hasBody: true,
                         rangeIs: "1:1-8:2"),
                Expected(fullName: "init(_:)", kind: .initializer, containers: ["Vector"],
                         signature: "init(_ x: Int)", parameters: [p(nil, "x", "Int")], resultType: .some(nil),
                         nameAt: "2:5"),
                Expected(fullName: "init(string:)", kind: .initializer, containers: ["Vector"],
                         signature: "init?(string: String) async throws", isAsync: true, throwsKind: .throws),
                Expected(fullName: "subscript(_:)", kind: .subscript, containers: ["Vector"],
                         signature: "subscript(index: Int) -> Int", parameters: [p(nil, "index", "Int")],
                         resultType: .some("Int"), hasBody: true),
                Expected(fullName: "subscript(key:default:)", kind: .subscript, containers: ["Vector"],
                         parameters: [p("key", "key", "String"), p("default", "value", "Int", default: "0")]),
                Expected(fullName: "+(_:_:)", kind: .function, containers: ["Vector"],
                         signature: "static func + (lhs: Vector, rhs: Vector) -> Vector",
                         parameters: [p(nil, "lhs", "Vector"), p(nil, "rhs", "Vector")], modifiers: ["static"]),
                Expected(fullName: "-(_:)", kind: .function, containers: ["Vector"], modifiers: ["static", "prefix"]),
                Expected(fullName: "Box", kind: .class),
                Expected(fullName: "deinit", kind: .deinitializer, containers: ["Box"], signature: "deinit",
                         hasBody: true, nameAt: "9:13"),
                Expected(fullName: "<>", kind: .operator, signature: "infix operator <> : AdditionPrecedence"),
                Expected(fullName: "Pipe", kind: .precedenceGroup, signature: "precedencegroup Pipe"),
            ]
        )
    }

    @Test func variablesStoredComputedAndMultiBinding() {
        check(
            """
            var a = 1, b: String = "two"
            let (c, d) = (3, 4)
            struct S {
                var stored: Int = 0 { didSet {} }
                var computed: Int { stored * 2 }
                private(set) var count: Int { get async throws { 1 } }
                static let shared = S()
            }
            protocol P {
                var name: String { get set }
            }
            """,
            [
                Expected(fullName: "a", kind: .variable, signature: "var a", resultType: .some(nil),
                         isComputed: false, nameAt: "1:5", rangeIs: "1:5-1:10"),
                Expected(fullName: "b", kind: .variable, signature: "var b: String", resultType: .some("String"),
                         nameAt: "1:12", rangeIs: "1:12-1:29"),
                Expected(fullName: "c", kind: .constant, nameAt: "2:6", rangeIs: "2:1-2:20"),
                Expected(fullName: "d", kind: .constant, nameAt: "2:9"),
                Expected(fullName: "S", kind: .struct),
                Expected(fullName: "stored", kind: .variable, containers: ["S"], signature: "var stored: Int",
                         hasBody: true, isComputed: false),
                Expected(fullName: "computed", kind: .variable, containers: ["S"], signature: "var computed: Int",
                         resultType: .some("Int"), hasBody: true, isComputed: true),
                Expected(fullName: "count", kind: .variable, containers: ["S"], access: .some(nil),
                         isAsync: true, throwsKind: .throws, modifiers: ["private(set)"], isComputed: true),
                Expected(fullName: "shared", kind: .constant, containers: ["S"], signature: "static let shared",
                         resultType: .some(nil), modifiers: ["static"], hasBody: false),
                Expected(fullName: "P", kind: .protocol),
                Expected(fullName: "name", kind: .variable, containers: ["P"],
                         signature: "var name: String { get set }", hasBody: false, isComputed: true),
            ]
        )
    }

    @Test func typesGenericsNestingAndExtensions() {
        check(
            """
            public struct Outer<Element: Hashable>: Sequence, Sendable where Element: Sendable {
                public enum Inner {
                    public actor Deep {}
                }
                typealias Pair<T> = (T, T)
            }
            extension Outer.Inner: Equatable where Element == Int {
                func helper() {}
            }
            public protocol Store<Item>: AnyObject {
                associatedtype Item: Codable = String
            }
            """,
            [
                Expected(fullName: "Outer", kind: .struct, isPublicAPI: true,
                         signature: "public struct Outer<Element: Hashable>: Sequence, Sendable where Element: Sendable",
                         generics: .some("<Element: Hashable>"), whereClause: .some("where Element: Sendable"),
                         inheritedTypes: ["Sequence", "Sendable"]),
                Expected(fullName: "Inner", kind: .enum, containers: ["Outer"], isPublicAPI: true),
                Expected(fullName: "Deep", kind: .actor, containers: ["Outer", "Inner"], isPublicAPI: true),
                Expected(fullName: "Pair", kind: .typeAlias, containers: ["Outer"], isPublicAPI: false,
                         signature: "typealias Pair<T> = (T, T)", generics: .some("<T>")),
                Expected(fullName: "Outer.Inner", kind: .extension, isPublicAPI: false,
                         signature: "extension Outer.Inner: Equatable where Element == Int",
                         whereClause: .some("where Element == Int"), inheritedTypes: ["Equatable"], nameAt: "7:11"),
                Expected(fullName: "helper()", kind: .function, containers: ["Outer.Inner"], isPublicAPI: false),
                Expected(fullName: "Store", kind: .protocol, generics: .some("<Item>"), inheritedTypes: ["AnyObject"]),
                Expected(fullName: "Item", kind: .associatedType, containers: ["Store"], isPublicAPI: true,
                         signature: "associatedtype Item: Codable = String", inheritedTypes: ["Codable"]),
            ]
        )
    }

    @Test func enumCasesWithAssociatedValues() {
        check(
            """
            public enum Token {
                case eof
                case number(Int), word(text: String, quoted: Bool = false)
                indirect case pair(Token, Token)
            }
            """,
            [
                Expected(fullName: "Token", kind: .enum, isPublicAPI: true),
                Expected(fullName: "eof", kind: .enumCase, containers: ["Token"], isPublicAPI: true,
                         signature: "case eof", parameters: [], rangeIs: "2:5-2:13"),
                Expected(fullName: "number(_:)", kind: .enumCase, containers: ["Token"], isPublicAPI: true,
                         signature: "case number(Int)", parameters: [p(nil, nil, "Int")], rangeIs: "3:10-3:21"),
                Expected(fullName: "word(text:quoted:)", kind: .enumCase, containers: ["Token"],
                         signature: "case word(text: String, quoted: Bool = false)",
                         parameters: [p("text", nil, "String"), p("quoted", nil, "Bool", default: "false")]),
                Expected(fullName: "pair(_:_:)", kind: .enumCase, containers: ["Token"],
                         signature: "indirect case pair(Token, Token)", modifiers: ["indirect"]),
            ]
        )
    }

    @Test func macrosAndAttributes() {
        check(
            """
            @freestanding(expression)
            public macro stringify<T>(_ value: T) -> (T, String) = #externalMacro(module: "M", type: "S")
            @attached(member, names: named(init))
            macro Memberwise() = #externalMacro(module: "M", type: "W")
            @inlinable @available(macOS 15,   *)
            public func fast() {}
            """,
            [
                Expected(fullName: "stringify(_:)", kind: .macro, isPublicAPI: true,
                         signature: "@freestanding(expression) public macro stringify<T>(_ value: T) -> (T, String)",
                         parameters: [p(nil, "value", "T")], resultType: .some("(T, String)"), generics: .some("<T>"),
                         attributes: ["@freestanding(expression)"], hasBody: false, rangeIs: "1:1-2:94"),
                Expected(fullName: "Memberwise()", kind: .macro, isPublicAPI: false,
                         attributes: ["@attached(member, names: named(init))"]),
                Expected(fullName: "fast()", kind: .function,
                         signature: "@inlinable @available(macOS 15, *) public func fast()",
                         attributes: ["@inlinable", "@available(macOS 15, *)"], modifiers: ["public"]),
            ]
        )
    }

    @Test func publicAPIFollowsContainersExtensionsAndProtocols() {
        check(
            """
            public struct A {
                public func visible() {}
                func hidden() {}
                public struct B { public var deep = 0 }
            }
            struct Internal {
                public func notVisible() {}
            }
            public extension A {
                func fromPublicExtension() {}
                private func privateInPublicExtension() {}
            }
            extension A {
                public func explicitInPlainExtension() {}
                func internalInPlainExtension() {}
            }
            private extension A {
                func inPrivateExtension() {}
            }
            public protocol Service {
                func run()
            }
            protocol Hidden {
                func run()
            }
            open class Base {
                open func hook() {}
                package func pkg() {}
            }
            func body() {
                struct Local {}
                let local = 1
            }
            """,
            [
                Expected(fullName: "A", kind: .struct, isPublicAPI: true),
                Expected(fullName: "visible()", kind: .function, containers: ["A"], isPublicAPI: true),
                Expected(fullName: "hidden()", kind: .function, containers: ["A"], isPublicAPI: false),
                Expected(fullName: "B", kind: .struct, containers: ["A"], isPublicAPI: true),
                Expected(fullName: "deep", kind: .variable, containers: ["A", "B"], isPublicAPI: true),
                Expected(fullName: "Internal", kind: .struct, isPublicAPI: false),
                Expected(fullName: "notVisible()", kind: .function, containers: ["Internal"], isPublicAPI: false),
                Expected(fullName: "A", kind: .extension, access: .some(.public), isPublicAPI: true),
                Expected(fullName: "fromPublicExtension()", kind: .function, containers: ["A"], isPublicAPI: true),
                Expected(fullName: "privateInPublicExtension()", kind: .function, containers: ["A"], isPublicAPI: false),
                Expected(fullName: "A", kind: .extension, access: .some(nil), isPublicAPI: false),
                Expected(fullName: "explicitInPlainExtension()", kind: .function, containers: ["A"], isPublicAPI: true),
                Expected(fullName: "internalInPlainExtension()", kind: .function, containers: ["A"], isPublicAPI: false),
                Expected(fullName: "A", kind: .extension, access: .some(.private), isPublicAPI: false),
                Expected(fullName: "inPrivateExtension()", kind: .function, containers: ["A"], isPublicAPI: false),
                Expected(fullName: "Service", kind: .protocol, isPublicAPI: true),
                Expected(fullName: "run()", kind: .function, containers: ["Service"], isPublicAPI: true),
                Expected(fullName: "Hidden", kind: .protocol, isPublicAPI: false),
                Expected(fullName: "run()", kind: .function, containers: ["Hidden"], isPublicAPI: false),
                Expected(fullName: "Base", kind: .class, access: .some(.open), isPublicAPI: true),
                Expected(fullName: "hook()", kind: .function, containers: ["Base"], access: .some(.open), isPublicAPI: true),
                Expected(fullName: "pkg()", kind: .function, containers: ["Base"], access: .some(.package), isPublicAPI: false),
                Expected(fullName: "body()", kind: .function, isPublicAPI: false),
            ]
        )
    }

    @Test func multiLineSignaturesAreNormalised() {
        check(
            """
            func long(
                first: Int,   // the first
                second: [String:
                    Int] = [:]
            ) -> Int {
                0
            }
            """,
            [
                Expected(fullName: "long(first:second:)", kind: .function,
                         signature: "func long(first: Int, second: [String: Int] = [:]) -> Int",
                         parameters: [p("first", "first", "Int"), p("second", "second", "[String: Int]", default: "[:]")],
                         rangeIs: "1:1-7:2"),
            ]
        )
    }

    @Test func backtickedNamesLoseTheirBackticks() {
        check(
            """
            enum Keyword { case `default`, `class` }
            func `func`(`in` value: Int) {}
            """,
            [
                Expected(fullName: "Keyword", kind: .enum),
                Expected(fullName: "default", kind: .enumCase, containers: ["Keyword"], nameAt: "1:21"),
                Expected(fullName: "class", kind: .enumCase, containers: ["Keyword"]),
                Expected(fullName: "func(in:)", kind: .function, parameters: [p("in", "value", "Int")]),
            ]
        )
    }
}
