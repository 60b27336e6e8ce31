/// What kind of declaration a docstring documents.
public enum DeclarationKind: String, Sendable, Equatable, CaseIterable {
    /// A function or method, operators included.
    case function
    /// An initializer.
    case initializer
    /// A subscript.
    case `subscript`
    /// A stored or computed property, or a global variable or constant.
    case property
    /// A struct, class, enum, actor or protocol.
    case type
    /// An enumeration case.
    case enumCase
    /// A type alias or an associated type.
    case typeAlias
    /// A macro.
    case macro
    /// An extension or any other declaration.
    case other
}

/// One parameter of a declaration, as written in its signature.
public struct DocParameter: Sendable, Equatable {
    /// The argument label callers write, `_` when there is none, or `nil` when the signature gives only one name.
    public var externalLabel: String?
    /// The name used inside the body, or `nil` when the signature gives only one name.
    public var internalName: String?

    /// Creates a parameter.
    ///
    /// For `func move(to point: P)` the label is `to` and the name `point`; for `func f(x: Int)`
    /// pass `externalLabel: "x"` and no internal name; for `func f(_ x: Int)` pass `"_"` and `"x"`.
    /// - Parameters:
    ///   - externalLabel: The argument label, `_`, or `nil`.
    ///   - internalName: The name used inside the body, or `nil`.
    public init(externalLabel: String?, internalName: String?) {
        self.externalLabel = externalLabel
        self.internalName = internalName
    }

    /// The name DocC documents: the internal name, or the external label when there is no internal
    /// name; `nil` when neither is a real name (both `_` or absent).
    public var documentedName: String? {
        for candidate in [internalName, externalLabel] {
            if let name = candidate, !name.isEmpty, name != "_" { return name }
        }
        return nil
    }
}

/// A declaration as the docstring code needs it: who maps a syntax tree onto this decides what it
/// says, and nothing here reads files.
public struct DocTarget: Sendable, Equatable {
    /// The declaration's name, for example `append(_:)` or `count`.
    public var name: String
    /// What kind of declaration it is.
    public var kind: DeclarationKind
    /// The parameters in signature order.
    public var parameters: [DocParameter]
    /// Whether the declaration throws (`throws`, `throws(E)` or `rethrows`).
    public var isThrowing: Bool
    /// Whether it returns a value other than `Void` or `()` (functions and subscripts).
    public var returnsValue: Bool
    /// Whether it is `async`.
    public var isAsync: Bool
    /// The whitespace before the declaration's first line; the comment is written at this indentation.
    public var indentation: String
    /// The declaration's source text: attributes, signature and body.
    public var sourceText: String

    /// Creates a declaration description.
    /// - Parameters:
    ///   - name: The declaration's name.
    ///   - kind: What kind of declaration it is.
    ///   - parameters: The parameters in signature order.
    ///   - isThrowing: Whether the declaration throws.
    ///   - returnsValue: Whether it returns a non-`Void` value.
    ///   - isAsync: Whether it is `async`.
    ///   - indentation: The whitespace before the declaration's first line.
    ///   - sourceText: The declaration's source text.
    public init(
        name: String, kind: DeclarationKind, parameters: [DocParameter] = [], isThrowing: Bool = false,
        returnsValue: Bool = false, isAsync: Bool = false, indentation: String = "", sourceText: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.parameters = parameters
        self.isThrowing = isThrowing
        self.returnsValue = returnsValue
        self.isAsync = isAsync
        self.indentation = indentation
        self.sourceText = sourceText
    }

    /// The names the comment must document, in signature order, without duplicates.
    public var documentedParameterNames: [String] {
        var seen: Set<String> = []
        return parameters.compactMap(\.documentedName).filter { seen.insert($0).inserted }
    }
}
