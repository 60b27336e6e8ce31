import AssistCore
import AssistSwift

/// The checks every routed edit passes before it is returned.
extension RoutedRequestRunner {
    /// Checks new contents against the files as read: each changed, still parses as well as before,
    /// and the diff applies to the text read and gives the new text.
    static func check(
        files: [String: String], newContents: [String: String], instruction: String
    ) throws(EditError) -> (changes: [String: (old: String, new: String)], diff: String, checks: [String]) {
        var changes: [String: (old: String, new: String)] = [:]
        var diff = ""
        var checks: [String] = []
        for path in newContents.keys.sorted() {
            let new = newContents[path]!
            let old = files[path] ?? ""
            if new == old { continue }
            if case .failure(let error) = EditPath.normalize(path, known: Set(files.keys)) { throw error }
            if path.hasSuffix(".swift") {
                let beforeAnalysis = files[path].map { SwiftAnalyzer.analyze(source: $0) }
                let before = beforeAnalysis?.syntaxErrors.count ?? 0
                let afterAnalysis = SwiftAnalyzer.analyze(source: new)
                let afterErrors = afterAnalysis.syntaxErrors
                if afterErrors.count > before {
                    let first = afterErrors.first.map { " (line \($0.range.start.line): \($0.message))" } ?? ""
                    throw EditError(kind: .malformed, message: "The new \(path) does not parse: \(afterErrors.count) syntax error\(afterErrors.count == 1 ? "" : "s")\(first).")
                }
                checks.append("\(path) parses (\(afterErrors.count) syntax errors, \(before) before)")
                if let beforeAnalysis {
                    let dropped = droppedDeclarations(
                        before: beforeAnalysis.declarations.map(\.name), after: afterAnalysis.declarations.map(\.name),
                        instruction: instruction)
                    if !dropped.isEmpty {
                        throw EditError(
                            kind: .malformed,
                            message: "The answer removed \(dropped.joined(separator: ", ")) from \(path), which the instruction does not ask for; keep every declaration it does not mention and add or change only what it asks.")
                    }
                    checks.append("\(path) keeps every declaration the instruction does not mention")
                }
            }
            let fileDiff = UnifiedDiff.make(path: path, old: old, new: new)
            guard case .success(let applied) = UnifiedDiff.apply(fileDiff, to: [path: old]), applied[path] == new else {
                throw EditError(kind: .malformed, message: "The diff of \(path) does not apply to the file as read.")
            }
            changes[path] = (old, new)
            diff += fileDiff
        }
        guard !changes.isEmpty else { throw EditError(kind: .noChange, message: "The answer changes nothing.") }
        checks.insert("every path is inside the repository and outside .git/", at: 0)
        checks.append("the diff applies to the content the request saw")
        return (changes, diff, checks)
    }

    /// Words that ask for declarations to go away or change their names.
    static let removalWords: Set<String> = [
        "remove", "delete", "drop", "rename", "replace", "inline", "merge", "combine", "move", "extract", "split",
        "convert", "rewrite", "restructure", "consolidate", "dedupe", "deduplicate", "eliminate", "collapse", "turn",
    ]

    /// Declarations (by name) fewer after an edit than before, unless the instruction names them or
    /// asks for removals or renames.
    static func droppedDeclarations(before: [String], after: [String], instruction: String) -> [String] {
        let words = Set(QueryTerms.words(in: instruction))
        if !words.isDisjoint(with: removalWords) { return [] }
        var remaining = Dictionary(after.map { ($0, 1) }, uniquingKeysWith: +)
        var dropped: [String] = []
        for name in before {
            if let count = remaining[name], count > 0 {
                remaining[name] = count - 1
            } else if !instruction.lowercased().contains(name.lowercased()), !dropped.contains(name) {
                dropped.append(name)
            }
        }
        return dropped
    }

    static func lines(of text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }
}

/// What a cloud request carries, for its ledger line.
struct EgressManifest: Sendable {
    var kind: RequestKind
    var files: [EgressEntry.FileRange]
    var redactions: [EgressEntry.Redaction]
}

/// Putting secrets back after a cloud model edited redacted text.
enum Redactions {
    /// The markers of a redacted text, in order.
    static func markers(in text: String) -> [Substring] {
        var result: [Substring] = []
        var rest = text[...]
        while let start = rest.range(of: "[REDACTED:") {
            guard let end = rest[start.upperBound...].firstIndex(of: "]") else { break }
            result.append(rest[start.lowerBound...end])
            rest = rest[rest.index(after: end)...]
        }
        return result
    }

    /// The secrets of a text, in the order of its findings.
    static func secrets(of text: String, findings: [SecretFinding]) -> [String] {
        let bytes = Array(text.utf8)
        return findings.map { String(decoding: bytes[$0.range], as: UTF8.self) }
    }

    /// Replaces the markers of an edited redacted text with the original secrets. Each marker must
    /// come back at the place it was sent: on the same line, unchanged, between the same neighbouring
    /// lines. An answer that removed, reordered, invented or moved a marker (say, into another
    /// expression) is refused, so a model can never place a secret anywhere new.
    /// - Parameters:
    ///   - edited: The model's new text, over the redacted text.
    ///   - redactedOriginal: The redacted text that was sent.
    ///   - secrets: The secrets the markers replaced, in order.
    /// - Returns: The new text with the secrets back.
    /// - Throws: ``EditError`` when a marker changed or moved.
    static func restore(_ edited: String, redactedOriginal: String, secrets: [String]) throws(EditError) -> String {
        let sent = markers(in: redactedOriginal).map(String.init)
        guard markers(in: edited).map(String.init) == sent, sent.count == secrets.count else {
            throw EditError(kind: .malformed, message: "The answer changed, removed or added a [REDACTED:…] marker; keep every marker exactly as it is.")
        }
        let before = places(in: redactedOriginal)
        let after = places(in: edited)
        guard before.count == after.count else {
            throw EditError(kind: .malformed, message: "The answer moved a [REDACTED:…] marker; keep each marker's line and the lines around it as they are.")
        }
        for (original, new) in zip(before, after) where original != new {
            throw EditError(kind: .malformed, message: "The answer moved a [REDACTED:…] marker or changed the line around it; keep each marker's line and the lines around it as they are.")
        }
        var result = ""
        var rest = edited[...]
        for secret in secrets {
            guard let start = rest.range(of: "[REDACTED:"), let end = rest[start.upperBound...].firstIndex(of: "]") else { break }
            result += rest[..<start.lowerBound]
            result += secret
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// Where each marker stands: its line, and the lines before and after it (`nil` at an end), one
    /// entry per marker, in order.
    static func places(in text: String) -> [[Substring?]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var result: [[Substring?]] = []
        for (index, line) in lines.enumerated() {
            for _ in markers(in: String(line)) {
                result.append([index > 0 ? lines[index - 1] : nil, line, index + 1 < lines.count ? lines[index + 1] : nil])
            }
        }
        return result
    }
}
