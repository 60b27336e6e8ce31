/// A point in a Swift source file, in every unit an index or an editor may need.
///
/// Lines and columns count from 1. `utf8Column` counts UTF-8 bytes from the start of the line,
/// `utf16Column` counts UTF-16 code units (the unit LSP uses by default); they differ only on a line
/// with non-ASCII text before the point. `utf8Offset` counts bytes from the start of the file, from 0.
public struct SwiftSourcePosition: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column, counted in UTF-8 bytes.
    public var utf8Column: Int
    /// The 1-based column, counted in UTF-16 code units.
    public var utf16Column: Int
    /// The 0-based byte offset from the start of the file.
    public var utf8Offset: Int

    /// Creates a position from its four coordinates.
    ///
    /// - Parameters:
    ///   - line: The 1-based line number.
    ///   - utf8Column: The 1-based column in UTF-8 bytes.
    ///   - utf16Column: The 1-based column in UTF-16 code units.
    ///   - utf8Offset: The 0-based byte offset in the file.
    public init(line: Int, utf8Column: Int, utf16Column: Int, utf8Offset: Int) {
        self.line = line
        self.utf8Column = utf8Column
        self.utf16Column = utf16Column
        self.utf8Offset = utf8Offset
    }

    /// Orders positions by their offset in the file.
    public static func < (lhs: SwiftSourcePosition, rhs: SwiftSourcePosition) -> Bool {
        lhs.utf8Offset < rhs.utf8Offset
    }

    /// The position as `line:utf8Column`.
    public var description: String { "\(line):\(utf8Column)" }

    /// Decodes the compact form, `[line, utf8Column, utf16Column, utf8Offset]`.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when the array does not hold four integers.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        line = try container.decode(Int.self)
        utf8Column = try container.decode(Int.self)
        utf16Column = try container.decode(Int.self)
        utf8Offset = try container.decode(Int.self)
    }

    /// Encodes the position as `[line, utf8Column, utf16Column, utf8Offset]`: references make up
    /// most of an index, so the compact form keeps the cache small.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: Whatever the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(line)
        try container.encode(utf8Column)
        try container.encode(utf16Column)
        try container.encode(utf8Offset)
    }
}

/// A half-open range of Swift source: `start` is the first character, `end` is just past the last.
public struct SwiftSourceRange: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The position of the first character.
    public var start: SwiftSourcePosition
    /// The position just past the last character.
    public var end: SwiftSourcePosition

    /// Creates a range from its two ends.
    ///
    /// - Parameters:
    ///   - start: The position of the first character.
    ///   - end: The position just past the last character.
    public init(start: SwiftSourcePosition, end: SwiftSourcePosition) {
        self.start = start
        self.end = end
    }

    /// The range as `line:column-line:column` (UTF-8 columns).
    public var description: String { "\(start)-\(end)" }
}

/// What a declaration declares.
public enum SwiftDeclarationKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// A function or method, operator functions included.
    case function
    /// An `init`.
    case initializer
    /// A `deinit`.
    case deinitializer
    /// A `subscript`.
    case `subscript`
    /// A `var` binding, stored or computed.
    case variable
    /// A `let` binding.
    case constant
    /// A `typealias`.
    case typeAlias
    /// An `associatedtype` in a protocol.
    case associatedType
    /// A `class`.
    case `class`
    /// A `struct`.
    case `struct`
    /// An `enum`.
    case `enum`
    /// An `actor`.
    case actor
    /// A `protocol`.
    case `protocol`
    /// An `extension`; its name is the extended type as written.
    case `extension`
    /// One element of an enum `case` declaration.
    case enumCase
    /// A `macro` declaration.
    case macro
    /// An `operator` declaration (`infix operator <>`).
    case `operator`
    /// A `precedencegroup` declaration.
    case precedenceGroup
}

/// An access level written on a declaration.
public enum SwiftAccessLevel: String, Codable, Sendable, Hashable, CaseIterable {
    /// `private`.
    case `private`
    /// `fileprivate`.
    case `fileprivate`
    /// `internal`.
    case `internal`
    /// `package`.
    case `package`
    /// `public`.
    case `public`
    /// `open`.
    case `open`
}

/// How a function, initializer, subscript or property getter throws.
public enum SwiftThrowsKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// It does not throw.
    case none
    /// `throws`, untyped.
    case `throws`
    /// `rethrows`.
    case `rethrows`
    /// `throws(SomeError)`; the type is in ``SwiftDeclaration/thrownType``.
    case typed
}

/// One parameter of a function, initializer, subscript, macro or enum case.
public struct SwiftParameter: Codable, Sendable, Hashable {
    /// The argument label callers write, or `nil` when there is none (`_`, subscripts, operators).
    public var externalName: String?
    /// The name used inside the body, or `nil` when none is written (enum case payloads).
    public var internalName: String?
    /// The type as written, whitespace normalised (`inout [Int]`, `Int...`).
    public var type: String
    /// The default value as written, or `nil`.
    public var defaultValue: String?
    /// Whether the parameter is variadic (`Int...`).
    public var isVariadic: Bool
    /// Whether the parameter is `inout`.
    public var isInout: Bool

    /// Creates a parameter description.
    ///
    /// - Parameters:
    ///   - externalName: The argument label, or `nil`.
    ///   - internalName: The parameter name, or `nil`.
    ///   - type: The type text.
    ///   - defaultValue: The default value text, or `nil`.
    ///   - isVariadic: Whether the parameter is variadic.
    ///   - isInout: Whether the parameter is `inout`.
    public init(
        externalName: String?, internalName: String?, type: String, defaultValue: String? = nil,
        isVariadic: Bool = false, isInout: Bool = false
    ) {
        self.externalName = externalName
        self.internalName = internalName
        self.type = type
        self.defaultValue = defaultValue
        self.isVariadic = isVariadic
        self.isInout = isInout
    }
}

/// The documentation comment attached to a declaration.
public struct SwiftDocComment: Codable, Sendable, Hashable {
    /// From the first `///` (or `/**`) to the end of the last comment line.
    public var range: SwiftSourceRange
    /// The source text of that range, markers and line breaks included.
    public var text: String

    /// Creates a doc comment value.
    ///
    /// - Parameters:
    ///   - range: The comment's range.
    ///   - text: The comment's source text.
    public init(range: SwiftSourceRange, text: String) {
        self.range = range
        self.text = text
    }
}

/// One declared name in a Swift file.
///
/// A declaration that declares several names (`var a = 1, b = 2`, `case a, b`) gives one value per
/// name; each then has the range of its own clause, and shares the attributes, modifiers and doc
/// comment. Declarations local to a body (inside a function, accessor or closure) are not listed.
public struct SwiftDeclaration: Codable, Sendable, Hashable {
    /// What is declared.
    public var kind: SwiftDeclarationKind
    /// The simple name: `move`, `init`, `subscript`, `+`, `Outer.Inner` for an extension.
    public var name: String
    /// The name with argument labels as DocC writes it: `move(from:to:)`, `init(_:)`, `some(_:)`.
    public var fullName: String
    /// The whole declaration, attributes included, doc comment excluded.
    public var range: SwiftSourceRange
    /// The name token (the `init`, `subscript` or `deinit` keyword where there is no name).
    public var nameRange: SwiftSourceRange
    /// The access level written on the declaration, or `nil` when none is written.
    public var accessLevel: SwiftAccessLevel?
    /// Whether the declaration is visible to clients of the module: it and every container are
    /// `public` or `open`, counting `public extension` members and protocol requirements and enum
    /// cases of a public type. Members of an extension of a type declared elsewhere count when the
    /// member itself is public.
    public var isPublicAPI: Bool
    /// The declaration without body or doc comment, on one line: runs of whitespace and comments
    /// become single spaces.
    public var signature: String
    /// The parameters, in order; empty for declarations without a parameter list.
    public var parameters: [SwiftParameter]
    /// The generic parameter clause (`<T: Equatable>`), or a protocol's primary associated types.
    public var genericParameterClause: String?
    /// The generic `where` clause, or `nil`.
    public var genericWhereClause: String?
    /// The inherited types and conformances, as written.
    public var inheritedTypes: [String]
    /// Whether it is `async` (for properties and subscripts: whether the getter is).
    public var isAsync: Bool
    /// How it throws (for properties and subscripts: how the getter does).
    public var throwsKind: SwiftThrowsKind
    /// The thrown type of a typed `throws(E)`, or `nil`.
    public var thrownType: String?
    /// The result type: a function's or macro's return type (`nil` when it returns `Void` by
    /// omission), a subscript's element type, or a property's annotated type.
    public var resultType: String?
    /// The attributes as written, each whitespace normalised: `@inlinable`, `@available(*, deprecated)`.
    public var attributes: [String]
    /// The modifiers as written: `public`, `static`, `private(set)`, `mutating`.
    public var modifiers: [String]
    /// The enclosing types, outermost first; an extension contributes its extended type as written.
    public var containers: [String]
    /// The body: braces of a function, accessor block of a computed property, member block of a type.
    public var bodyRange: SwiftSourceRange?
    /// Whether a property has a getter (or `get` requirement); `false` for stored properties,
    /// observers only, and every other kind.
    public var isComputed: Bool
    /// The attached doc comment, or `nil` when there is none.
    public var docComment: SwiftDocComment?
}

/// A syntax error the parser recovered from.
public struct SwiftSyntaxError: Codable, Sendable, Hashable {
    /// What is wrong: "expected `)`", "unexpected code `case x`", "malformed token …".
    public var message: String
    /// Where: the unexpected text, or an empty range where something is missing.
    public var range: SwiftSourceRange

    /// Creates a syntax error value.
    ///
    /// - Parameters:
    ///   - message: What is wrong.
    ///   - range: Where it is.
    public init(message: String, range: SwiftSourceRange) {
        self.message = message
        self.range = range
    }
}

/// Everything ``SwiftAnalyzer`` learned from one Swift file.
public struct SwiftFileAnalysis: Codable, Sendable, Hashable {
    /// The ``SwiftAnalyzer/formatVersion`` that produced this value.
    public var formatVersion: Int
    /// The number of lines (a final line break does not start a new line with content, but counts).
    public var lineCount: Int
    /// Every declaration at file or type scope, in source order.
    public var declarations: [SwiftDeclaration]
    /// Identifier uses: name (without backticks) → start of each use, in source order. Uses are
    /// names in expressions, member accesses, type names and attribute names; declared names are not
    /// uses.
    public var references: [String: [SwiftSourcePosition]]
    /// The syntax errors found; empty for a well-formed file.
    public var syntaxErrors: [SwiftSyntaxError]

    /// Whether the parser had to recover from at least one error.
    public var hasSyntaxErrors: Bool { !syntaxErrors.isEmpty }
}
