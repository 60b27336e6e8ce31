import SwiftParser
import SwiftSyntax

/// Analyses Swift source text: declarations, identifier references and syntax errors.
///
/// The analysis is pure: it reads only the text it is given. It parses once with swift-syntax and
/// walks the tree once. Text that does not parse cleanly still gives every declaration the parser
/// recovered, plus ``SwiftFileAnalysis/syntaxErrors``.
public enum SwiftAnalyzer {
    /// The version of the ``SwiftFileAnalysis`` shape and content. It changes whenever the same
    /// source would analyse to a different value, so caches keyed on it are rebuilt.
    public static let formatVersion = 2

    /// The deepest nesting of `[` brackets that is parsed. swift-syntax 603's lookahead for
    /// `InlineArray` sugar takes time exponential in this depth (each level is tried twice), so a
    /// file nested deeper is not parsed: it gets one syntax error saying so, and nothing else.
    public static let maximumBracketDepth = 16

    /// Analyses one Swift file.
    ///
    /// - Parameter source: The file's text.
    /// - Returns: The declarations, references and syntax errors found.
    public static func analyze(source: String) -> SwiftFileAnalysis {
        let bytes = Array(source.utf8)
        let depth = squareBracketDepth(bytes)
        if depth > maximumBracketDepth {
            var lines = LineTable(bytes: bytes)
            let error = SwiftSyntaxError(
                message: "`[` nested \(depth) deep, more than \(maximumBracketDepth): the file was not analysed",
                range: lines.range(0, 0))
            return SwiftFileAnalysis(
                formatVersion: formatVersion, lineCount: lines.lineCount, declarations: [], references: [:],
                syntaxErrors: [error])
        }
        let tree = bytes.withUnsafeBufferPointer { Parser.parse(source: $0) }
        let collector = DeclarationCollector(bytes: bytes)
        collector.walk(tree)
        let errors = tree.hasError ? collector.syntaxErrors(in: Syntax(tree)) : []
        return SwiftFileAnalysis(
            formatVersion: formatVersion,
            lineCount: collector.lines.lineCount,
            declarations: collector.declarations,
            references: collector.references,
            syntaxErrors: errors
        )
    }
}

/// The deepest nesting of `[` … `]` in the bytes, outside comments and string literals (a rough
/// scan: string interpolations count as string text, regex literals as code).
private func squareBracketDepth(_ bytes: [UInt8]) -> Int {
    let count = bytes.count
    var depth = 0
    var deepest = 0
    var index = 0
    while index < count {
        let byte = bytes[index]
        switch byte {
        case 0x5B: // [
            depth += 1
            if depth > deepest { deepest = depth }
            index += 1
        case 0x5D: // ]
            if depth > 0 { depth -= 1 }
            index += 1
        case 0x2F where index + 1 < count && bytes[index + 1] == 0x2F: // line comment
            while index < count, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
        case 0x2F where index + 1 < count && bytes[index + 1] == 0x2A: // block comment, nestable
            var nesting = 1
            index += 2
            while index < count, nesting > 0 {
                if bytes[index] == 0x2F, index + 1 < count, bytes[index + 1] == 0x2A {
                    nesting += 1
                    index += 2
                } else if bytes[index] == 0x2A, index + 1 < count, bytes[index + 1] == 0x2F {
                    nesting -= 1
                    index += 2
                } else {
                    index += 1
                }
            }
        case 0x22, 0x23: // " or # (a raw string's opening)
            var hashes = 0
            var cursor = index
            while cursor < count, bytes[cursor] == 0x23 { hashes += 1; cursor += 1 }
            guard cursor < count, bytes[cursor] == 0x22 else { index = max(cursor, index + 1); continue }
            let multiline = cursor + 2 < count && bytes[cursor + 1] == 0x22 && bytes[cursor + 2] == 0x22
            cursor += multiline ? 3 : 1
            index = skipString(bytes, from: cursor, hashes: hashes, multiline: multiline)
        default:
            index += 1
        }
    }
    return deepest
}

/// The offset just past the string literal whose body starts at `start`.
private func skipString(_ bytes: [UInt8], from start: Int, hashes: Int, multiline: Bool) -> Int {
    let count = bytes.count
    var index = start
    while index < count {
        let byte = bytes[index]
        if byte == 0x5C, hashes == 0 { // backslash escape in a plain string
            index += 2
            continue
        }
        if !multiline, byte == 0x0A || byte == 0x0D { return index } // unterminated
        if byte == 0x22 {
            var cursor = index + 1
            if multiline {
                guard cursor + 1 < count, bytes[cursor] == 0x22, bytes[cursor + 1] == 0x22 else { index += 1; continue }
                cursor += 2
            }
            var closing = 0
            while closing < hashes, cursor < count, bytes[cursor] == 0x23 { closing += 1; cursor += 1 }
            if closing == hashes { return cursor }
        }
        index += 1
    }
    return count
}

/// What the walk knows about an enclosing type or extension.
private struct Container {
    var name: String
    /// Whether this container and all of its own containers are visible outside the module.
    var isPublic: Bool
    /// Whether members without an access modifier are public (`public extension`, public protocol).
    var membersDefaultPublic: Bool
    /// Whether enum cases are public (a public enum).
    var casesDefaultPublic: Bool
}

/// The single pass over the tree that collects declarations and references.
private final class DeclarationCollector: SyntaxVisitor {
    let bytes: [UInt8]
    var lines: LineTable
    var declarations: [SwiftDeclaration] = []
    var references: [String: [SwiftSourcePosition]] = [:]
    private var containers: [Container] = []
    /// How many bodies (code blocks, closures, accessor blocks, switch cases) enclose the current node.
    private var localDepth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.lines = LineTable(bytes: bytes)
        super.init(viewMode: .sourceAccurate)
    }

    // MARK: Scopes

    override func visit(_ node: CodeBlockSyntax) -> SyntaxVisitorContinueKind { localDepth += 1; return .visitChildren }
    override func visitPost(_ node: CodeBlockSyntax) { localDepth -= 1 }
    override func visit(_ node: ClosureExprSyntax) -> SyntaxVisitorContinueKind { localDepth += 1; return .visitChildren }
    override func visitPost(_ node: ClosureExprSyntax) { localDepth -= 1 }
    override func visit(_ node: AccessorBlockSyntax) -> SyntaxVisitorContinueKind { localDepth += 1; return .visitChildren }
    override func visitPost(_ node: AccessorBlockSyntax) { localDepth -= 1 }
    override func visit(_ node: SwitchCaseSyntax) -> SyntaxVisitorContinueKind { localDepth += 1; return .visitChildren }
    override func visitPost(_ node: SwitchCaseSyntax) { localDepth -= 1 }

    // MARK: References

    override func visit(_ node: DeclReferenceExprSyntax) -> SyntaxVisitorContinueKind {
        addReference(node.baseName)
        return .visitChildren
    }

    override func visit(_ node: IdentifierTypeSyntax) -> SyntaxVisitorContinueKind {
        addReference(node.name)
        return .visitChildren
    }

    override func visit(_ node: MemberTypeSyntax) -> SyntaxVisitorContinueKind {
        addReference(node.name)
        return .visitChildren
    }

    private func addReference(_ token: TokenSyntax) {
        guard case .identifier = token.tokenKind else { return }
        let start = token.positionAfterSkippingLeadingTrivia.utf8Offset
        let end = token.endPositionBeforeTrailingTrivia.utf8Offset
        guard end > start else { return }
        let name = identifierText(start, end)
        references[name, default: []].append(lines.position(start))
    }

    // MARK: Types

    override func visit(_ node: ClassDeclSyntax) -> SyntaxVisitorContinueKind {
        typeDeclaration(.class, node, name: node.name, generics: node.genericParameterClause.map(Syntax.init),
                        inheritance: node.inheritanceClause, whereClause: node.genericWhereClause, memberBlock: node.memberBlock)
        return .visitChildren
    }
    override func visitPost(_ node: ClassDeclSyntax) { popContainer() }

    override func visit(_ node: StructDeclSyntax) -> SyntaxVisitorContinueKind {
        typeDeclaration(.struct, node, name: node.name, generics: node.genericParameterClause.map(Syntax.init),
                        inheritance: node.inheritanceClause, whereClause: node.genericWhereClause, memberBlock: node.memberBlock)
        return .visitChildren
    }
    override func visitPost(_ node: StructDeclSyntax) { popContainer() }

    override func visit(_ node: EnumDeclSyntax) -> SyntaxVisitorContinueKind {
        typeDeclaration(.enum, node, name: node.name, generics: node.genericParameterClause.map(Syntax.init),
                        inheritance: node.inheritanceClause, whereClause: node.genericWhereClause, memberBlock: node.memberBlock)
        return .visitChildren
    }
    override func visitPost(_ node: EnumDeclSyntax) { popContainer() }

    override func visit(_ node: ActorDeclSyntax) -> SyntaxVisitorContinueKind {
        typeDeclaration(.actor, node, name: node.name, generics: node.genericParameterClause.map(Syntax.init),
                        inheritance: node.inheritanceClause, whereClause: node.genericWhereClause, memberBlock: node.memberBlock)
        return .visitChildren
    }
    override func visitPost(_ node: ActorDeclSyntax) { popContainer() }

    override func visit(_ node: ProtocolDeclSyntax) -> SyntaxVisitorContinueKind {
        typeDeclaration(.protocol, node, name: node.name, generics: node.primaryAssociatedTypeClause.map(Syntax.init),
                        inheritance: node.inheritanceClause, whereClause: node.genericWhereClause, memberBlock: node.memberBlock)
        return .visitChildren
    }
    override func visitPost(_ node: ProtocolDeclSyntax) { popContainer() }

    override func visit(_ node: ExtensionDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let extended = text(of: node.extendedType)
        let access = accessLevel(node.modifiers)
        let explicitPublic = access == .public || access == .open
        var declaration = makeDeclaration(
            .extension, node, name: extended, fullName: extended,
            nameStart: node.extendedType.positionAfterSkippingLeadingTrivia.utf8Offset,
            nameEnd: node.extendedType.endPositionBeforeTrailingTrivia.utf8Offset,
            attributes: node.attributes, modifiers: node.modifiers, access: access,
            isPublicAPI: (containers.last?.isPublic ?? true) && explicitPublic,
            signatureEnd: node.memberBlock.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declaration.inheritedTypes = inheritedTypes(node.inheritanceClause)
        declaration.bodyRange = range(of: node.memberBlock)
        declarations.append(declaration)
        let visible = access == nil || explicitPublic
        containers.append(Container(
            name: extended, isPublic: (containers.last?.isPublic ?? true) && visible,
            membersDefaultPublic: explicitPublic, casesDefaultPublic: explicitPublic))
        return .visitChildren
    }
    override func visitPost(_ node: ExtensionDeclSyntax) { popContainer() }

    private func typeDeclaration(
        _ kind: SwiftDeclarationKind, _ node: some DeclSyntaxProtocol & WithAttributesSyntax & WithModifiersSyntax,
        name: TokenSyntax, generics: Syntax?, inheritance: InheritanceClauseSyntax?,
        whereClause: GenericWhereClauseSyntax?, memberBlock: MemberBlockSyntax
    ) {
        guard localDepth == 0 else { return }
        let access = accessLevel(node.modifiers)
        let isPublic = isPublicAPI(kind, access)
        let simpleName = identifierText(name)
        var declaration = makeDeclaration(
            kind, node, name: simpleName, fullName: simpleName, nameToken: name,
            attributes: node.attributes, modifiers: node.modifiers, access: access, isPublicAPI: isPublic,
            signatureEnd: memberBlock.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        declaration.genericParameterClause = generics.map { text(of: $0) }
        declaration.genericWhereClause = whereClause.map { text(of: $0) }
        declaration.inheritedTypes = inheritedTypes(inheritance)
        declaration.bodyRange = range(of: memberBlock)
        declarations.append(declaration)
        containers.append(Container(
            name: simpleName, isPublic: isPublic,
            membersDefaultPublic: kind == .protocol && isPublic,
            casesDefaultPublic: kind == .enum && isPublic))
    }

    private func popContainer() {
        if localDepth == 0, !containers.isEmpty { containers.removeLast() }
    }

    // MARK: Functions and friends

    override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let isOperator: Bool
        switch node.name.tokenKind {
        case .binaryOperator, .prefixOperator, .postfixOperator: isOperator = true
        default: isOperator = false
        }
        let simpleName = identifierText(node.name)
        let parameters = functionParameters(node.signature.parameterClause.parameters, labelled: !isOperator)
        var declaration = makeDeclaration(
            .function, node, name: simpleName, fullName: fullName(simpleName, parameters), nameToken: node.name,
            attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: node.body?.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        declaration.parameters = parameters
        declaration.genericParameterClause = node.genericParameterClause.map { text(of: $0) }
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declaration.resultType = node.signature.returnClause.map { text(of: $0.type) }
        effects(node.signature.effectSpecifiers, into: &declaration)
        declaration.bodyRange = node.body.map { range(of: $0) }
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: InitializerDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let parameters = functionParameters(node.signature.parameterClause.parameters, labelled: true)
        var declaration = makeDeclaration(
            .initializer, node, name: "init", fullName: fullName("init", parameters), nameToken: node.initKeyword,
            attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: node.body?.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        declaration.parameters = parameters
        declaration.genericParameterClause = node.genericParameterClause.map { text(of: $0) }
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        effects(node.signature.effectSpecifiers, into: &declaration)
        declaration.bodyRange = node.body.map { range(of: $0) }
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: DeinitializerDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        var declaration = makeDeclaration(
            .deinitializer, node, name: "deinit", fullName: "deinit", nameToken: node.deinitKeyword,
            attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: node.body?.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        if node.effectSpecifiers?.asyncSpecifier != nil { declaration.isAsync = true }
        declaration.bodyRange = node.body.map { range(of: $0) }
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: SubscriptDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        var parameters: [SwiftParameter] = []
        for parameter in node.parameterClause.parameters {
            // A subscript parameter has no argument label unless two names are written.
            var external: String? = nil
            var internalName = parameterName(parameter.firstName)
            if let second = parameter.secondName {
                external = parameterName(parameter.firstName)
                internalName = parameterName(second)
            }
            parameters.append(makeParameter(external: external, internal: internalName, type: parameter.type,
                                            ellipsis: parameter.ellipsis, defaultValue: parameter.defaultValue))
        }
        let block = node.accessorBlock
        let hasCode = block.map(accessorBlockHasCode) ?? false
        var declaration = makeDeclaration(
            .subscript, node, name: "subscript", fullName: fullName("subscript", parameters),
            nameToken: node.subscriptKeyword, attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: hasCode ? block?.positionAfterSkippingLeadingTrivia.utf8Offset : nil
        )
        declaration.parameters = parameters
        declaration.genericParameterClause = node.genericParameterClause.map { text(of: $0) }
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declaration.resultType = text(of: node.returnClause.type)
        if let block { getterEffects(block, into: &declaration) }
        declaration.bodyRange = hasCode ? block.map { range(of: $0) } : nil
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: MacroDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let simpleName = identifierText(node.name)
        let parameters = functionParameters(node.signature.parameterClause.parameters, labelled: true)
        var declaration = makeDeclaration(
            .macro, node, name: simpleName, fullName: fullName(simpleName, parameters), nameToken: node.name,
            attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: node.definition?.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        if node.definition != nil, let whereClause = node.genericWhereClause {
            declaration.signature += " " + text(of: whereClause)
        }
        declaration.parameters = parameters
        declaration.genericParameterClause = node.genericParameterClause.map { text(of: $0) }
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declaration.resultType = node.signature.returnClause.map { text(of: $0.type) }
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: TypeAliasDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let simpleName = identifierText(node.name)
        var declaration = makeDeclaration(
            .typeAlias, node, name: simpleName, fullName: simpleName, nameToken: node.name,
            attributes: node.attributes, modifiers: node.modifiers, signatureEnd: nil
        )
        declaration.genericParameterClause = node.genericParameterClause.map { text(of: $0) }
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: AssociatedTypeDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let simpleName = identifierText(node.name)
        var declaration = makeDeclaration(
            .associatedType, node, name: simpleName, fullName: simpleName, nameToken: node.name,
            attributes: node.attributes, modifiers: node.modifiers, signatureEnd: nil
        )
        declaration.genericWhereClause = node.genericWhereClause.map { text(of: $0) }
        declaration.inheritedTypes = inheritedTypes(node.inheritanceClause)
        declarations.append(declaration)
        return .visitChildren
    }

    override func visit(_ node: OperatorDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let simpleName = node.name.text
        let start = node.positionAfterSkippingLeadingTrivia.utf8Offset
        let end = node.endPositionBeforeTrailingTrivia.utf8Offset
        declarations.append(SwiftDeclaration(
            kind: .operator, name: simpleName, fullName: simpleName, range: lines.range(start, end),
            nameRange: range(of: node.name), accessLevel: nil, isPublicAPI: containers.isEmpty,
            signature: text(of: node), parameters: [], genericParameterClause: nil, genericWhereClause: nil,
            inheritedTypes: [], isAsync: false, throwsKind: .none, thrownType: nil, resultType: nil,
            attributes: [], modifiers: [], containers: containers.map(\.name), bodyRange: nil,
            isComputed: false, docComment: docComment(before: Syntax(node))
        ))
        return .visitChildren
    }

    override func visit(_ node: PrecedenceGroupDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let simpleName = identifierText(node.name)
        let declaration = makeDeclaration(
            .precedenceGroup, node, name: simpleName, fullName: simpleName, nameToken: node.name,
            attributes: node.attributes, modifiers: node.modifiers,
            signatureEnd: node.leftBrace.positionAfterSkippingLeadingTrivia.utf8Offset
        )
        declarations.append(declaration)
        return .visitChildren
    }

    // MARK: Enum cases and variables

    override func visit(_ node: EnumCaseDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let access = accessLevel(node.modifiers)
        let isPublic = isPublicAPI(.enumCase, access)
        let attributes = node.attributes.map { text(of: $0) }
        let modifiers = node.modifiers.map { text(of: $0) }
        let single = node.elements.count == 1
        let doc = docComment(before: Syntax(node))
        let containerNames = containers.map(\.name)
        for element in node.elements {
            let simpleName = identifierText(element.name)
            var parameters: [SwiftParameter] = []
            if let clause = element.parameterClause {
                for parameter in clause.parameters {
                    parameters.append(makeParameter(
                        external: parameter.firstName.flatMap(parameterName), internal: parameter.secondName.flatMap(parameterName),
                        type: parameter.type, ellipsis: nil, defaultValue: parameter.defaultValue))
                }
            }
            let full = element.parameterClause == nil ? simpleName : fullName(simpleName, parameters)
            var signature = TextJoiner(bytes: bytes)
            if single {
                signature.append(node)
            } else {
                signature.append(node.attributes)
                signature.append(node.modifiers)
                signature.append(node.caseKeyword)
                signature.append(element.name)
                if let clause = element.parameterClause { signature.append(clause) }
                if let rawValue = element.rawValue { signature.append(rawValue) }
            }
            let rangeNode: Syntax = single ? Syntax(node) : Syntax(element)
            let elementEnd = element.trailingComma?.positionAfterSkippingLeadingTrivia.utf8Offset
                ?? element.endPositionBeforeTrailingTrivia.utf8Offset
            declarations.append(SwiftDeclaration(
                kind: .enumCase, name: simpleName, fullName: full,
                range: lines.range(rangeNode.positionAfterSkippingLeadingTrivia.utf8Offset,
                                   single ? rangeNode.endPositionBeforeTrailingTrivia.utf8Offset : elementEnd),
                nameRange: range(of: element.name), accessLevel: access, isPublicAPI: isPublic,
                signature: signature.string, parameters: parameters, genericParameterClause: nil,
                genericWhereClause: nil, inheritedTypes: [], isAsync: false, throwsKind: .none, thrownType: nil,
                resultType: nil, attributes: attributes, modifiers: modifiers, containers: containerNames,
                bodyRange: nil, isComputed: false, docComment: doc
            ))
        }
        return .visitChildren
    }

    override func visit(_ node: VariableDeclSyntax) -> SyntaxVisitorContinueKind {
        guard localDepth == 0 else { return .visitChildren }
        let kind: SwiftDeclarationKind = node.bindingSpecifier.tokenKind == .keyword(.let) ? .constant : .variable
        let access = accessLevel(node.modifiers)
        let isPublic = isPublicAPI(kind, access)
        let attributes = node.attributes.map { text(of: $0) }
        let modifiers = node.modifiers.map { text(of: $0) }
        let single = node.bindings.count == 1
        let doc = docComment(before: Syntax(node))
        let containerNames = containers.map(\.name)
        for binding in node.bindings {
            var names: [TokenSyntax] = []
            collectNames(binding.pattern, into: &names)
            guard !names.isEmpty else { continue }
            let block = binding.accessorBlock
            let hasCode = block.map(accessorBlockHasCode) ?? false
            var signature = TextJoiner(bytes: bytes)
            signature.append(node.attributes)
            signature.append(node.modifiers)
            signature.append(node.bindingSpecifier)
            signature.append(binding.pattern)
            if let annotation = binding.typeAnnotation { signature.append(annotation) }
            if let block, !hasCode { signature.append(block) }
            let signatureText = signature.string
            let start = single ? node.positionAfterSkippingLeadingTrivia.utf8Offset
                : binding.positionAfterSkippingLeadingTrivia.utf8Offset
            let end = single ? node.endPositionBeforeTrailingTrivia.utf8Offset
                : (binding.trailingComma?.positionAfterSkippingLeadingTrivia.utf8Offset
                    ?? binding.endPositionBeforeTrailingTrivia.utf8Offset)
            let fullRange = lines.range(start, end)
            let isSimple = binding.pattern.is(IdentifierPatternSyntax.self)
            let resultType = isSimple ? binding.typeAnnotation.map { text(of: $0.type) } : nil
            let bodyRange = hasCode ? block.map { range(of: $0) } : nil
            for nameToken in names {
                let simpleName = identifierText(nameToken)
                var declaration = SwiftDeclaration(
                    kind: kind, name: simpleName, fullName: simpleName, range: fullRange,
                    nameRange: range(of: nameToken), accessLevel: access, isPublicAPI: isPublic,
                    signature: signatureText, parameters: [], genericParameterClause: nil, genericWhereClause: nil,
                    inheritedTypes: [], isAsync: false, throwsKind: .none, thrownType: nil, resultType: resultType,
                    attributes: attributes, modifiers: modifiers, containers: containerNames, bodyRange: bodyRange,
                    isComputed: block.map(accessorBlockIsComputed) ?? false, docComment: doc
                )
                if let block { getterEffects(block, into: &declaration) }
                declarations.append(declaration)
            }
        }
        return .visitChildren
    }

    private func collectNames(_ pattern: PatternSyntax, into names: inout [TokenSyntax]) {
        if let identifier = pattern.as(IdentifierPatternSyntax.self) {
            names.append(identifier.identifier)
        } else if let tuple = pattern.as(TuplePatternSyntax.self) {
            for element in tuple.elements { collectNames(element.pattern, into: &names) }
        } else if let binding = pattern.as(ValueBindingPatternSyntax.self) {
            collectNames(binding.pattern, into: &names)
        }
    }

    private func accessorBlockHasCode(_ block: AccessorBlockSyntax) -> Bool {
        switch block.accessors {
        case .getter: return true
        case .accessors(let list): return list.contains { $0.body != nil }
        }
    }

    private func accessorBlockIsComputed(_ block: AccessorBlockSyntax) -> Bool {
        switch block.accessors {
        case .getter: return true
        case .accessors(let list):
            return list.contains {
                switch $0.accessorSpecifier.tokenKind {
                case .keyword(.willSet), .keyword(.didSet): return false
                default: return true
                }
            }
        }
    }

    private func getterEffects(_ block: AccessorBlockSyntax, into declaration: inout SwiftDeclaration) {
        guard case .accessors(let list) = block.accessors,
              let getter = list.first(where: { $0.accessorSpecifier.tokenKind == .keyword(.get) }),
              let specifiers = getter.effectSpecifiers
        else { return }
        declaration.isAsync = specifiers.asyncSpecifier != nil
        throwsClause(specifiers.throwsClause, into: &declaration)
    }

    private func effects(_ specifiers: FunctionEffectSpecifiersSyntax?, into declaration: inout SwiftDeclaration) {
        guard let specifiers else { return }
        declaration.isAsync = specifiers.asyncSpecifier != nil
        throwsClause(specifiers.throwsClause, into: &declaration)
    }

    private func throwsClause(_ clause: ThrowsClauseSyntax?, into declaration: inout SwiftDeclaration) {
        guard let clause, clause.throwsSpecifier.presence == .present else { return }
        if let type = clause.type {
            declaration.throwsKind = .typed
            declaration.thrownType = text(of: type)
        } else if clause.throwsSpecifier.tokenKind == .keyword(.rethrows) {
            declaration.throwsKind = .rethrows
        } else {
            declaration.throwsKind = .throws
        }
    }

    // MARK: Parameters

    private func functionParameters(_ list: FunctionParameterListSyntax, labelled: Bool) -> [SwiftParameter] {
        var parameters: [SwiftParameter] = []
        parameters.reserveCapacity(list.count)
        for parameter in list {
            let first = parameterName(parameter.firstName)
            let internalName = parameter.secondName.map(parameterName) ?? first
            parameters.append(makeParameter(
                external: labelled ? first : nil, internal: internalName, type: parameter.type,
                ellipsis: parameter.ellipsis, defaultValue: parameter.defaultValue))
        }
        return parameters
    }

    private func makeParameter(
        external: String?, internal internalName: String?, type: TypeSyntax, ellipsis: TokenSyntax?,
        defaultValue: InitializerClauseSyntax?
    ) -> SwiftParameter {
        var isInout = false
        if let attributed = type.as(AttributedTypeSyntax.self) {
            for specifier in attributed.specifiers {
                if case .simpleTypeSpecifier(let simple) = specifier, simple.specifier.tokenKind == .keyword(.inout) {
                    isInout = true
                }
            }
        }
        var typeText = text(of: type)
        if let ellipsis, ellipsis.presence == .present { typeText += "..." }
        return SwiftParameter(
            externalName: external, internalName: internalName, type: typeText,
            defaultValue: defaultValue.map { text(of: $0.value) },
            isVariadic: ellipsis?.presence == .present, isInout: isInout)
    }

    /// A parameter name, or `nil` for `_` and for a name the parser had to invent.
    private func parameterName(_ token: TokenSyntax) -> String? {
        if token.tokenKind == .wildcard || token.presence == .missing { return nil }
        let name = identifierText(token)
        return name.isEmpty ? nil : name
    }

    private func fullName(_ name: String, _ parameters: [SwiftParameter]) -> String {
        var result = name + "("
        for parameter in parameters { result += (parameter.externalName ?? "_") + ":" }
        return result + ")"
    }

    // MARK: Common parts

    private func makeDeclaration(
        _ kind: SwiftDeclarationKind, _ node: some SyntaxProtocol, name: String, fullName: String,
        nameToken: TokenSyntax, attributes: AttributeListSyntax, modifiers: DeclModifierListSyntax,
        access: SwiftAccessLevel?? = nil, isPublicAPI: Bool? = nil, signatureEnd: Int?
    ) -> SwiftDeclaration {
        makeDeclaration(
            kind, node, name: name, fullName: fullName,
            nameStart: nameToken.positionAfterSkippingLeadingTrivia.utf8Offset,
            nameEnd: nameToken.endPositionBeforeTrailingTrivia.utf8Offset,
            attributes: attributes, modifiers: modifiers, access: access, isPublicAPI: isPublicAPI,
            signatureEnd: signatureEnd)
    }

    private func makeDeclaration(
        _ kind: SwiftDeclarationKind, _ node: some SyntaxProtocol, name: String, fullName: String,
        nameStart: Int, nameEnd: Int, attributes: AttributeListSyntax, modifiers: DeclModifierListSyntax,
        access knownAccess: SwiftAccessLevel??, isPublicAPI knownPublic: Bool?, signatureEnd: Int?
    ) -> SwiftDeclaration {
        let access = knownAccess ?? accessLevel(modifiers)
        let isPublic = knownPublic ?? isPublicAPI(kind, access)
        var signature = TextJoiner(bytes: bytes)
        signature.append(node, until: signatureEnd)
        return SwiftDeclaration(
            kind: kind, name: name, fullName: fullName,
            range: lines.range(node.positionAfterSkippingLeadingTrivia.utf8Offset, node.endPositionBeforeTrailingTrivia.utf8Offset),
            nameRange: lines.range(nameStart, nameEnd), accessLevel: access, isPublicAPI: isPublic,
            signature: signature.string, parameters: [], genericParameterClause: nil, genericWhereClause: nil,
            inheritedTypes: [], isAsync: false, throwsKind: .none, thrownType: nil, resultType: nil,
            attributes: attributes.map { text(of: $0) }, modifiers: modifiers.map { text(of: $0) },
            containers: containers.map(\.name), bodyRange: nil, isComputed: false,
            docComment: docComment(before: Syntax(node))
        )
    }

    private func accessLevel(_ modifiers: DeclModifierListSyntax) -> SwiftAccessLevel? {
        for modifier in modifiers where modifier.detail == nil {
            switch modifier.name.tokenKind {
            case .keyword(.private): return .private
            case .keyword(.fileprivate): return .fileprivate
            case .keyword(.internal): return .internal
            case .keyword(.package): return .package
            case .keyword(.public): return .public
            case .keyword(.open): return .open
            case .identifier where modifier.name.text == "open": return .open
            default: continue
            }
        }
        return nil
    }

    /// Whether a member of the innermost container with this access is visible outside the module.
    private func isPublicAPI(_ kind: SwiftDeclarationKind, _ access: SwiftAccessLevel?) -> Bool {
        guard let container = containers.last else { return access == .public || access == .open }
        guard container.isPublic else { return false }
        switch access {
        case .public?, .open?: return true
        case nil: return container.membersDefaultPublic || (kind == .enumCase && container.casesDefaultPublic)
        default: return false
        }
    }

    private func inheritedTypes(_ clause: InheritanceClauseSyntax?) -> [String] {
        guard let clause else { return [] }
        return clause.inheritedTypes.map { text(of: $0.type) }
    }

    // MARK: Text and positions

    private func range(of node: some SyntaxProtocol) -> SwiftSourceRange {
        lines.range(node.positionAfterSkippingLeadingTrivia.utf8Offset, node.endPositionBeforeTrailingTrivia.utf8Offset)
    }

    /// A node's text with whitespace and comments between tokens normalised to single spaces.
    private func text(of node: some SyntaxProtocol) -> String {
        let start = node.positionAfterSkippingLeadingTrivia.utf8Offset
        let end = node.endPositionBeforeTrailingTrivia.utf8Offset
        guard start < end else { return "" }
        var plain = true
        for index in start..<end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2F, 0x0B, 0x0C: plain = false
            default: continue
            }
            break
        }
        if plain { return String(decoding: bytes[start..<end], as: UTF8.self) }
        var joiner = TextJoiner(bytes: bytes)
        joiner.append(node)
        return joiner.string
    }

    /// An identifier's text without backticks.
    private func identifierText(_ token: TokenSyntax) -> String {
        identifierText(token.positionAfterSkippingLeadingTrivia.utf8Offset, token.endPositionBeforeTrailingTrivia.utf8Offset)
    }

    private func identifierText(_ start: Int, _ end: Int) -> String {
        if end - start >= 2, bytes[start] == 0x60, bytes[end - 1] == 0x60 {
            return String(decoding: bytes[(start + 1)..<(end - 1)], as: UTF8.self)
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    // MARK: Doc comments

    /// The `///` lines or the `/** */` block directly above a declaration: nothing but whitespace
    /// with at most one line break may separate the comment from the declaration or its lines
    /// from one another.
    private func docComment(before node: Syntax) -> SwiftDocComment? {
        let trivia = node.leadingTrivia.pieces
        guard !trivia.isEmpty else { return nil }
        var offsets: [Int] = []
        offsets.reserveCapacity(trivia.count + 1)
        var offset = node.position.utf8Offset
        for piece in trivia {
            offsets.append(offset)
            offset += piece.sourceLength.utf8Length
        }
        offsets.append(offset)
        var firstStart: Int? = nil
        var lastEnd: Int? = nil
        var breaks = 0
        var index = trivia.count - 1
        scan: while index >= 0 {
            let piece = trivia[index]
            switch piece {
            case .spaces, .tabs, .formfeeds, .verticalTabs:
                break
            case .newlines(let count), .carriageReturns(let count), .carriageReturnLineFeeds(let count):
                breaks += count
                if breaks > 1 { break scan }
            case .docLineComment:
                firstStart = offsets[index]
                if lastEnd == nil { lastEnd = offsets[index + 1] }
                breaks = 0
            case .docBlockComment:
                if lastEnd == nil {
                    firstStart = offsets[index]
                    lastEnd = offsets[index + 1]
                }
                break scan
            default:
                break scan
            }
            index -= 1
        }
        guard let firstStart, let lastEnd else { return nil }
        return SwiftDocComment(
            range: lines.range(firstStart, lastEnd),
            text: String(decoding: bytes[firstStart..<lastEnd], as: UTF8.self))
    }

    // MARK: Syntax errors

    /// The missing tokens, unexpected code and malformed tokens in a tree, visiting only the
    /// subtrees that hold an error.
    func syntaxErrors(in root: Syntax) -> [SwiftSyntaxError] {
        var errors: [SwiftSyntaxError] = []
        var stack: [Syntax] = [root]
        while let node = stack.popLast() {
            if let unexpected = node.as(UnexpectedNodesSyntax.self) {
                let start = unexpected.positionAfterSkippingLeadingTrivia.utf8Offset
                let end = unexpected.endPositionBeforeTrailingTrivia.utf8Offset
                var snippet = text(of: unexpected)
                if snippet.count > 40 { snippet = String(snippet.prefix(40)) + "…" }
                errors.append(SwiftSyntaxError(message: "unexpected code `\(snippet)`", range: lines.range(start, end)))
                continue
            }
            if let token = node.as(TokenSyntax.self) {
                let start = token.positionAfterSkippingLeadingTrivia.utf8Offset
                if token.presence == .missing {
                    let message: String
                    switch token.tokenKind {
                    case .identifier: message = "expected identifier"
                    default: message = token.text.isEmpty ? "expected token" : "expected `\(token.text)`"
                    }
                    errors.append(SwiftSyntaxError(message: message, range: lines.range(start, start)))
                } else if token.tokenDiagnostic != nil {
                    errors.append(SwiftSyntaxError(
                        message: "malformed token `\(token.text)`",
                        range: lines.range(start, token.endPositionBeforeTrailingTrivia.utf8Offset)))
                }
                continue
            }
            // Push children in reverse so errors come out in source order.
            for child in node.children(viewMode: .all).reversed() where child.hasError {
                stack.append(child)
            }
        }
        errors.sort { $0.range.start.utf8Offset < $1.range.start.utf8Offset }
        if errors.isEmpty {
            errors.append(SwiftSyntaxError(message: "syntax error", range: lines.range(0, 0)))
        }
        return errors
    }
}

/// Joins token texts, putting one space where the source had any whitespace or comment between
/// two tokens, except just inside `(` `[` and before `)` `]`.
private struct TextJoiner {
    let bytes: [UInt8]
    private var output: [UInt8] = []
    private var lastEnd = -1

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var string: String { String(decoding: output, as: UTF8.self) }

    /// Appends the tokens of `node` that start before `stop` (all of them when `stop` is `nil`).
    mutating func append(_ node: some SyntaxProtocol, until stop: Int? = nil) {
        for token in node.tokens(viewMode: .sourceAccurate) {
            let start = token.positionAfterSkippingLeadingTrivia.utf8Offset
            if let stop, start >= stop { break }
            let end = token.endPositionBeforeTrailingTrivia.utf8Offset
            guard end > start else { continue }
            if let last = output.last, start != lastEnd {
                let next = bytes[start]
                if last != 0x28, last != 0x5B, next != 0x29, next != 0x5D { output.append(0x20) }
            }
            output.append(contentsOf: bytes[start..<end])
            lastEnd = end
        }
    }
}

extension SwiftAnalyzer {
    /// The text of every token, without trivia (whitespace and comments), and whether the source
    /// parsed without errors. Two sources with equal token lists differ only in trivia: this is how
    /// a docstring edit is proved to have changed comments alone.
    ///
    /// - Parameter source: A Swift file's text.
    /// - Returns: The token texts in order, and whether the parse had errors.
    public static func tokens(source: String) -> (tokens: [String], hasErrors: Bool) {
        let bytes = Array(source.utf8)
        if squareBracketDepth(bytes) > maximumBracketDepth { return ([], true) }
        let tree = bytes.withUnsafeBufferPointer { Parser.parse(source: $0) }
        let tokens = tree.tokens(viewMode: .sourceAccurate).map(\.text)
        return (tokens, tree.hasError)
    }
}
