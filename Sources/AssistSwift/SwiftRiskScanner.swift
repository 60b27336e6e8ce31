import SwiftParser
import SwiftSyntax

/// A construct in Swift code that deserves a person's look before a model's edit that adds it lands.
public struct SwiftRisk: Sendable, Hashable, Codable {
    /// What kind of construct it is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Starting a process: `Process`, `posix_spawn`, `system`, `popen`, `exec*`.
        case process
        /// Network access: `URLSession`, sockets, `HTTPClient`, `NWConnection`.
        case network
        /// Deleting files or changing their permissions: `removeItem`, `unlink`, `chmod`, …
        case fileDeletion
        /// `Unsafe…` pointer APIs, `unsafeBitCast`, `withUnsafe…`.
        case unsafePointer
        /// A `try!`.
        case forceTry
        /// A force unwrap `x!`.
        case forceUnwrap
        /// `@unchecked Sendable`.
        case uncheckedSendable
        /// Certificate validation turned off or a server trust accepted unchecked.
        case certificateValidation
        /// A secret in the code (found by the secret scanner; added by the caller).
        case secret
        /// A module the file did not import before (added by the caller).
        case newImport
    }

    /// How much a person should look.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case low, medium, high

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            let order: [Severity] = [.low, .medium, .high]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    public var kind: Kind
    public var severity: Severity
    /// The 1-based line.
    public var line: Int
    /// The construct's text (one line, trimmed, at most 200 characters).
    public var text: String

    /// Creates a finding.
    public init(kind: Kind, severity: Severity, line: Int, text: String) {
        self.kind = kind
        self.severity = severity
        self.line = line
        self.text = text
    }

    /// The severity of each kind.
    public static func severity(of kind: Kind) -> Severity {
        switch kind {
        case .process, .fileDeletion, .certificateValidation, .secret: .high
        case .network, .unsafePointer, .uncheckedSendable, .newImport: .medium
        case .forceTry, .forceUnwrap: .low
        }
    }
}

/// Finds risky constructs in Swift source with swift-syntax. Pure: it reads only the text given.
public enum SwiftRiskScanner {
    static let processNames: Set<String> = [
        "Process", "NSTask", "posix_spawn", "posix_spawnp", "system", "popen", "execv", "execve", "execvp", "execl", "execlp", "fork", "vfork",
    ]
    static let networkNames: Set<String> = [
        "URLSession", "URLRequest", "NSURLConnection", "NWConnection", "NWListener", "HTTPClient", "ClientBootstrap", "ServerBootstrap",
        "socket", "connect", "CFStream", "getStreamsToHost",
    ]
    static let deletionNames: Set<String> = [
        "removeItem", "unlink", "unlinkat", "rmdir", "chmod", "fchmod", "chown", "setAttributes", "trashItem", "ftruncate",
    ]
    static let certificateWords: [String] = [
        "certificateVerification", "serverTrust", "performDefaultHandling", "allowsExpiredCertificates", "allowsInvalidCertificates",
        "validatesDomainName", "disableCertificateValidation", "kSecTrustResultProceed", "URLCredential(trust",
    ]

    /// The risky constructs of a file, in source order.
    ///
    /// - Parameter source: The file's text.
    /// - Returns: The findings.
    public static func findings(in source: String) -> [SwiftRisk] {
        let bytes = Array(source.utf8)
        let tree = bytes.withUnsafeBufferPointer { Parser.parse(source: $0) }
        let visitor = RiskVisitor(bytes: bytes)
        visitor.walk(tree)
        return visitor.found.sorted { ($0.line, $0.kind.rawValue) < ($1.line, $1.kind.rawValue) }
    }

    /// The modules a file imports.
    public static func imports(in source: String) -> [(module: String, line: Int)] {
        var result: [(String, Int)] = []
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let importIndex = words.firstIndex(of: "import"), importIndex + 1 < words.count else { continue }
            if words[..<importIndex].allSatisfy({ $0.hasPrefix("@") || ["public", "internal", "private", "fileprivate", "package"].contains($0) }) {
                var module = words[importIndex + 1]
                if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(module), importIndex + 2 < words.count {
                    module = words[importIndex + 2]
                }
                result.append((String(module.split(separator: ".").first ?? module), index + 1))
            }
        }
        return result
    }

    private final class RiskVisitor: SyntaxVisitor {
        let bytes: [UInt8]
        var lineStarts: [Int] = [0]
        var found: [SwiftRisk] = []

        init(bytes: [UInt8]) {
            self.bytes = bytes
            for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { lineStarts.append(offset + 1) }
            super.init(viewMode: .sourceAccurate)
        }

        func line(of node: some SyntaxProtocol) -> Int {
            let offset = node.positionAfterSkippingLeadingTrivia.utf8Offset
            var low = 0, high = lineStarts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
            }
            return low + 1
        }

        func lineText(_ line: Int) -> String {
            let start = lineStarts[line - 1]
            let end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
            var slice = bytes[start..<max(start, end)]
            while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
            while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0D { slice = slice.dropLast() }
            let text = String(decoding: slice, as: UTF8.self)
            return text.count > 200 ? String(text.prefix(200)) : text
        }

        func add(_ kind: SwiftRisk.Kind, at node: some SyntaxProtocol) {
            let line = line(of: node)
            let risk = SwiftRisk(kind: kind, severity: SwiftRisk.severity(of: kind), line: line, text: lineText(line))
            if !found.contains(risk) { found.append(risk) }
        }

        override func visit(_ node: DeclReferenceExprSyntax) -> SyntaxVisitorContinueKind {
            classify(node.baseName.text, at: node)
            return .visitChildren
        }

        override func visit(_ node: IdentifierTypeSyntax) -> SyntaxVisitorContinueKind {
            classify(node.name.text, at: node)
            return .visitChildren
        }

        override func visit(_ node: MemberAccessExprSyntax) -> SyntaxVisitorContinueKind {
            let name = node.declName.baseName.text
            if SwiftRiskScanner.deletionNames.contains(name) { add(.fileDeletion, at: node) }
            if SwiftRiskScanner.certificateWords.contains(name) { add(.certificateValidation, at: node) }
            if name.hasPrefix("withUnsafe") || name.hasPrefix("assumingMemoryBound") || name == "bindMemory" { add(.unsafePointer, at: node) }
            return .visitChildren
        }

        override func visit(_ node: LabeledExprSyntax) -> SyntaxVisitorContinueKind {
            if let label = node.label?.text, label == "trust" || SwiftRiskScanner.certificateWords.contains(label) {
                add(.certificateValidation, at: node)
            }
            return .visitChildren
        }

        override func visit(_ node: TryExprSyntax) -> SyntaxVisitorContinueKind {
            if node.questionOrExclamationMark?.tokenKind == .exclamationMark { add(.forceTry, at: node) }
            return .visitChildren
        }

        override func visit(_ node: ForceUnwrapExprSyntax) -> SyntaxVisitorContinueKind {
            add(.forceUnwrap, at: node)
            return .visitChildren
        }

        override func visit(_ node: AttributedTypeSyntax) -> SyntaxVisitorContinueKind {
            if node.attributes.description.contains("@unchecked") { add(.uncheckedSendable, at: node) }
            return .visitChildren
        }

        override func visit(_ node: InheritedTypeSyntax) -> SyntaxVisitorContinueKind {
            let text = node.type.description
            if text.contains("@unchecked") && text.contains("Sendable") { add(.uncheckedSendable, at: node) }
            return .visitChildren
        }

        private func classify(_ name: String, at node: some SyntaxProtocol) {
            if SwiftRiskScanner.processNames.contains(name) { add(.process, at: node) }
            if SwiftRiskScanner.networkNames.contains(name) { add(.network, at: node) }
            if ["unlink", "unlinkat", "rmdir", "chmod", "fchmod", "chown", "truncate", "ftruncate"].contains(name) { add(.fileDeletion, at: node) }
            if name.hasPrefix("Unsafe") || name == "unsafeBitCast" || name.hasPrefix("withUnsafe") { add(.unsafePointer, at: node) }
            if SwiftRiskScanner.certificateWords.contains(name) { add(.certificateValidation, at: node) }
        }
    }
}
