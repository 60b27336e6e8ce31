import AssistCore
import AssistSwift

/// A construct a model's edit adds that deserves a person's look, in one changed file.
public struct EditRisk: Sendable, Hashable {
    /// The path from the repository root.
    public var path: String
    /// The finding: kind, severity, line in the new text, text.
    public var risk: SwiftRisk
}

/// The review every edit of `refactor` and `ask` gets before it is returned: what it **adds** that a
/// person should look at — starting processes, network access, deleting files or changing their
/// permissions, unsafe pointers, `try!`, force unwraps, `@unchecked Sendable`, turning certificate
/// validation off, secrets, and modules the file did not import before (other than the
/// repository's own). A small local model follows a steering prompt more readily than a large one,
/// and repository text can carry such a prompt; this review does not trust the answer to be benign.
enum RiskReview {
    /// The risks each change adds, in path and line order.
    ///
    /// - Parameters:
    ///   - changes: Each changed file's text as read and as changed.
    ///   - ownModules: The repository's own modules (`Sources/NAME`), whose imports are not risks.
    /// - Returns: The findings that the new texts have and the old ones did not.
    static func review(_ changes: [String: (old: String, new: String)], ownModules: Set<String>) -> [EditRisk] {
        var result: [EditRisk] = []
        for path in changes.keys.sorted() {
            let (old, new) = changes[path]!
            var risks: [SwiftRisk] = []
            if path.hasSuffix(".swift") {
                var before: [String: Int] = [:]
                for risk in SwiftRiskScanner.findings(in: old) { before[key(risk), default: 0] += 1 }
                for risk in SwiftRiskScanner.findings(in: new) {
                    if let count = before[key(risk)], count > 0 {
                        before[key(risk)] = count - 1
                    } else {
                        risks.append(risk)
                    }
                }
                let imported = Set(SwiftRiskScanner.imports(in: old).map(\.module))
                for (module, line) in SwiftRiskScanner.imports(in: new) where !imported.contains(module) && !ownModules.contains(module) {
                    risks.append(SwiftRisk(kind: .newImport, severity: SwiftRisk.severity(of: .newImport), line: line, text: "import \(module)"))
                }
            }
            // Secrets on the lines the change adds, in any file.
            let oldLines = Set(old.split(separator: "\n", omittingEmptySubsequences: false))
            for (index, line) in new.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !oldLines.contains(line) {
                for finding in SecretScanner.scan(String(line)) {
                    risks.append(SwiftRisk(
                        kind: .secret, severity: .high, line: index + 1, text: "a \(finding.kind.rawValue) (value not shown)"))
                }
            }
            result += risks.sorted { $0.line < $1.line }.map { EditRisk(path: path, risk: $0) }
        }
        return result
    }

    /// A finding's identity across the two versions: its kind and its line's text, not its line number.
    private static func key(_ risk: SwiftRisk) -> String { "\(risk.kind.rawValue)\u{0}\(risk.text)" }
}
