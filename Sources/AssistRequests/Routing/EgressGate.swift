import AssistCore

/// The one gate every cloud-bound request passes, whatever built it (a first attempt, a retry with
/// its error feedback, an escalation, a cascade step): it runs in ``RoutedRequestRunner/call`` just
/// before the ledger line is written and any byte is sent.
///
/// - Every message is scanned for secrets — the instruction, the paths, the context, the feedback,
///   the model's own earlier answer — and each one found is replaced by a `[REDACTED:kind]` marker.
/// - Every path-like word that matches `privacy.localOnly` is replaced, wherever it stands.
/// - Feedback (a user message after the first) may quote only text that was already sent: a line
///   of it that is not a line of the messages before it is left out.
enum EgressGate {
    /// What the gate changed, for the ledger.
    struct Sealed {
        var messages: [ChatMessage]
        var redactions: [EgressEntry.Redaction]
        /// How many lines of feedback were left out because they were never sent.
        var withheldLines: Int
        /// How many local-only paths were replaced.
        var localOnlyPaths: Int
    }

    static let withheldLine = "[a line that was not sent is left out]"
    static let localOnlyPath = "[a privacy.localOnly path]"

    /// Seals a request's messages.
    ///
    /// - Parameters:
    ///   - messages: The messages as built.
    ///   - localOnly: The `privacy.localOnly` patterns.
    /// - Returns: The messages that may be sent, and what was changed.
    static func seal(_ messages: [ChatMessage], localOnly: [PathGlob]) -> Sealed {
        var sent = Set<Substring>()
        var sealed: [ChatMessage] = []
        var redactions: [EgressEntry.Redaction] = []
        var withheld = 0
        var replacedPaths = 0
        var firstUserSeen = false
        for (number, message) in messages.enumerated() {
            var text = message.content
            let isFeedback = message.role == .user && firstUserSeen
            if message.role == .user { firstUserSeen = true }
            if isFeedback {
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                var lastWithheld = false
                var kept: [Substring] = []
                for (index, line) in lines.enumerated() {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if index == 0 || trimmed.isEmpty || trimmed.hasPrefix("```") || sent.contains(Substring(trimmed)) {
                        kept.append(line)
                        lastWithheld = false
                    } else {
                        withheld += 1
                        if !lastWithheld { kept.append(Substring(withheldLine)) }
                        lastWithheld = true
                    }
                }
                lines = kept
                text = lines.joined(separator: "\n")
            }
            for line in message.content.split(separator: "\n") {
                sent.insert(Substring(line.trimmingCharacters(in: .whitespaces)))
            }
            let (paths, count) = replacingLocalOnlyPaths(text, localOnly: localOnly)
            text = paths
            replacedPaths += count
            let (redacted, findings) = SecretScanner.redact(text)
            for finding in findings {
                redactions.append(EgressEntry.Redaction(path: "(message \(number + 1))", line: finding.line, kind: finding.kind.rawValue))
            }
            sealed.append(ChatMessage(role: message.role, content: redacted))
        }
        return Sealed(messages: sealed, redactions: redactions, withheldLines: withheld, localOnlyPaths: replacedPaths)
    }

    /// Replaces every word that looks like a path (it has a `/` or a file extension) and matches a
    /// `privacy.localOnly` pattern.
    static func replacingLocalOnlyPaths(_ text: String, localOnly: [PathGlob]) -> (String, Int) {
        guard !localOnly.isEmpty else { return (text, 0) }
        var result = ""
        var count = 0
        var word = ""
        func flush() {
            var candidate = word
            while let last = candidate.last, ".,;:)".contains(last) { candidate.removeLast() }
            let trailing = word.dropFirst(candidate.count)
            var path = candidate
            for prefix in ["./", "a/", "b/"] where path.hasPrefix(prefix) { path.removeFirst(prefix.count) }
            if (path.contains("/") || path.contains(".")), localOnly.contains(where: { $0.matches(path) || $0.matches(path + "/") }) {
                result += localOnlyPath + trailing
                count += 1
            } else {
                result += word
            }
            word = ""
        }
        for character in text {
            if character.isWhitespace || "`'\"(<>[]{}".contains(character) {
                flush()
                result.append(character)
            } else {
                word.append(character)
            }
        }
        flush()
        return (result, count)
    }
}
