import AssistCore

/// The prompts of routed requests.
enum EditPrompts {
    struct Prompt: Sendable {
        var system: String
        var user: String
    }

    /// Lines of context shown around a region.
    static let contextLines = 30

    /// A GBNF grammar for one fenced Swift block, so a small model answers with code only.
    static let fencedCodeGrammar = #"""
        root ::= "```swift\n" body "```" "\n"?
        body ::= ( [^`] | "`" [^`] | "``" [^`] )*
        """#

    /// The local model rewrites a line range and answers with the new code.
    static func region(file: RequestFile, lines region: ClosedRange<Int>, instruction: String) -> Prompt {
        let all = RoutedRequestRunner.lines(of: file.text)
        // Clamped, so that a region outside the file gives an empty part, never a bad slice.
        let end = max(0, min(region.upperBound, all.count))
        let start = max(0, min(region.lowerBound - 1, end))
        let before = all[max(0, start - contextLines)..<max(0, start)].joined(separator: "\n")
        let selected = start < end ? all[start..<end].joined(separator: "\n") : ""
        let after = all[min(all.count, end)..<min(all.count, end + contextLines)].joined(separator: "\n")
        let whole = region.lowerBound == 1 && end >= all.count
        var user = "File: \(file.path)\n"
        if !whole {
            if !before.isEmpty { user += "Code before the part to change:\n```swift\n\(before)\n```\n" }
            if !after.isEmpty { user += "Code after the part to change:\n```swift\n\(after)\n```\n" }
        }
        user += "\(whole ? "The code" : "The part to change (lines \(region.lowerBound)-\(end))"):\n```swift\n\(selected)\n```\n"
        user += "Instruction: \(instruction)\n"
        user += "Answer with the complete new version of \(whole ? "the code" : "the part to change") in one ```swift block."
        return Prompt(
            system: """
                You are a careful Swift refactoring tool. Rewrite the code you are given exactly as the instruction \
                says and keep everything else as it is. Answer with the complete rewritten code in one ```swift \
                block and nothing else.
                """,
            user: user)
    }

    /// The rules of the SEARCH/REPLACE format, for models that edit whole files.
    static let searchReplaceRules = """
        To change code, answer with SEARCH/REPLACE blocks, one per change:

        path/to/File.swift
        <<<<<<< SEARCH
        the exact lines to replace, copied from the file
        =======
        the new lines
        >>>>>>> REPLACE

        Copy the SEARCH lines exactly, with enough lines to be unique in the file. Keep [REDACTED:…] \
        markers exactly as they are. To create a file, leave SEARCH empty.
        """

    /// The cloud model edits a file with SEARCH/REPLACE blocks.
    static func searchReplace(file: RequestFile, lines: ClosedRange<Int>?, instruction: String) -> Prompt {
        var user = "\(file.path)\n```swift\n\(file.text)\(file.text.hasSuffix("\n") ? "" : "\n")```\n"
        if let lines {
            user += "The change is about lines \(lines.lowerBound)-\(lines.upperBound).\n"
        }
        user += "Instruction: \(instruction)\n"
        return Prompt(
            system: "You are a careful Swift refactoring tool. Change only what the instruction asks.\n\n" + searchReplaceRules,
            user: user)
    }

    /// The message that asks again after an answer failed validation.
    static func retry(_ error: String, searchReplace: Bool) -> String {
        "Your answer could not be used: \(error) "
            + (searchReplace
                ? "Answer again with corrected SEARCH/REPLACE blocks."
                : "Answer again with the complete corrected code in one ```swift block.")
    }

    /// A question about the repository, with its packed context.
    static func ask(question: String, context: [PackedPiece], wantsChange: Bool) -> Prompt {
        var user = ""
        var lastPath = ""
        for piece in context {
            if piece.path != lastPath {
                user += "// \(piece.path)\n"
                lastPath = piece.path
            }
            user += "// lines \(piece.lines.lowerBound)-\(piece.lines.upperBound)\(piece.form == .signature ? " (signatures)" : "")\n"
            user += piece.text
            if !piece.text.hasSuffix("\n") { user += "\n" }
        }
        user += "\nQuestion: \(question)\n"
        var system = """
            You answer questions about a Swift repository. Parts of its files are given, each under a \
            `// path` line. Answer briefly and precisely, naming the files and declarations you rely on.
            """
        if wantsChange { system += "\n\n" + searchReplaceRules }
        return Prompt(system: system, user: user)
    }
}
