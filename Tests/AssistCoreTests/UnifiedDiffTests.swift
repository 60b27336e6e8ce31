import AssistCore
import Foundation
import Testing

/// One row of the diff-writing table.
struct DiffCase: CustomTestStringConvertible, Sendable {
    var name: String
    var old: String
    var new: String
    var context: Int = 3
    var expected: String
    var testDescription: String { name }
}

private let header = "diff --git a/f.swift b/f.swift\n--- a/f.swift\n+++ b/f.swift\n"

private let diffCases: [DiffCase] = [
    DiffCase(name: "equal texts give no diff", old: "a\nb\n", new: "a\nb\n", expected: ""),
    DiffCase(name: "both empty", old: "", new: "", expected: ""),
    DiffCase(name: "change one line", old: "a\nb\nc\n", new: "a\nB\nc\n", expected: header + "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"),
    DiffCase(name: "insert at the start", old: "b\n", new: "a\nb\n", expected: header + "@@ -1 +1,2 @@\n+a\n b\n"),
    DiffCase(name: "insert into an empty file", old: "", new: "a\n", expected: header + "@@ -0,0 +1 @@\n+a\n"),
    DiffCase(name: "delete everything", old: "a\nb\n", new: "", expected: header + "@@ -1,2 +0,0 @@\n-a\n-b\n"),
    DiffCase(
        name: "add a final newline", old: "a\nb", new: "a\nb\n",
        expected: header + "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"),
    DiffCase(
        name: "remove the final newline", old: "a\nb\n", new: "a\nb",
        expected: header + "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"),
    DiffCase(
        name: "context line without a final newline", old: "a\nb", new: "x\nb",
        expected: header + "@@ -1,2 +1,2 @@\n-a\n+x\n b\n\\ No newline at end of file\n"),
    DiffCase(
        name: "CRLF lines are kept as they are", old: "a\r\nb\r\nc\r\n", new: "a\r\nB\r\nc\r\n",
        expected: header + "@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\r\n"),
    DiffCase(
        name: "a line-ending change is a change", old: "a\nb\n", new: "a\r\nb\n",
        expected: header + "@@ -1,2 +1,2 @@\n-a\n+a\r\n b\n"),
    DiffCase(
        name: "insert doc comment above a declaration", old: "struct S {\n    func f() {}\n}\n",
        new: "struct S {\n    /// Does f.\n    func f() {}\n}\n",
        expected: header + "@@ -1,3 +1,4 @@\n struct S {\n+    /// Does f.\n     func f() {}\n }\n"),
    DiffCase(
        name: "context zero", old: "a\nb\nc\n", new: "a\nB\nc\n", context: 0,
        expected: header + "@@ -2 +2 @@\n-b\n+B\n"),
    DiffCase(
        name: "far apart changes make two hunks", old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
        new: "one\n2\n3\n4\n5\n6\n7\n8\n9\nten\n", context: 1,
        expected: header + "@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -9,2 +9,2 @@\n 9\n-10\n+ten\n"),
    DiffCase(
        name: "changes two context lines apart share a hunk", old: "1\n2\n3\n4\n", new: "one\n2\n3\nfour\n", context: 1,
        expected: header + "@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n-4\n+four\n"),
    DiffCase(
        name: "changes three lines apart do not share a hunk with context 1", old: "1\n2\n3\n4\n5\n",
        new: "one\n2\n3\n4\nfive\n", context: 1,
        expected: header + "@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -4,2 +4,2 @@\n 4\n-5\n+five\n"),
    DiffCase(
        name: "unicode compares byte for byte", old: "caf\u{E9}\n", new: "cafe\u{301}\n",
        expected: header + "@@ -1 +1 @@\n-caf\u{E9}\n+cafe\u{301}\n"),
]

/// One row of the strict-apply failure table.
struct ApplyFailureCase: CustomTestStringConvertible, Sendable {
    var name: String
    var diff: String
    var files: [String: String]
    var expected: DiffError
    var testDescription: String { name }
}

private let applyFailures: [ApplyFailureCase] = [
    ApplyFailureCase(
        name: "context differs", diff: header + "@@ -1,2 +1,2 @@\n a\n-b\n+B\n", files: ["f.swift": "A\nb\n"],
        expected: .contextMismatch(path: "f.swift", line: 1, expected: "a\n", found: "A\n")),
    ApplyFailureCase(
        name: "context at another line is not searched", diff: header + "@@ -1 +1 @@\n-b\n+B\n",
        files: ["f.swift": "a\nb\n"], expected: .contextMismatch(path: "f.swift", line: 1, expected: "b\n", found: "a\n")),
    ApplyFailureCase(
        name: "final newline differs", diff: header + "@@ -1 +1 @@\n-a\n+b\n", files: ["f.swift": "a"],
        expected: .contextMismatch(path: "f.swift", line: 1, expected: "a\n", found: "a")),
    ApplyFailureCase(
        name: "CRLF in the file but not in the diff", diff: header + "@@ -1 +1 @@\n-a\n+b\n", files: ["f.swift": "a\r\n"],
        expected: .contextMismatch(path: "f.swift", line: 1, expected: "a\n", found: "a\r\n")),
    ApplyFailureCase(
        name: "file missing", diff: header + "@@ -1 +1 @@\n-a\n+b\n", files: [:],
        expected: .fileNotFound(path: "f.swift")),
    ApplyFailureCase(
        name: "past the end", diff: header + "@@ -3 +3 @@\n-a\n+b\n", files: ["f.swift": "a\n"],
        expected: .hunkOutOfRange(path: "f.swift", line: 4)),
    ApplyFailureCase(
        name: "short hunk", diff: header + "@@ -1,2 +1,2 @@\n-a\n+b\n", files: ["f.swift": "a\nc\n"],
        expected: .malformed(line: 6, reason: "the hunk is shorter than its header says")),
    ApplyFailureCase(
        name: "bad header", diff: header + "@@ -x +1 @@\n-a\n+b\n", files: ["f.swift": "a\n"],
        expected: .malformed(line: 4, reason: "bad hunk header")),
    ApplyFailureCase(
        name: "bad line prefix", diff: header + "@@ -1 +1 @@\n*a\n+b\n", files: ["f.swift": "a\n"],
        expected: .malformed(line: 5, reason: "a hunk line must start with ' ', '-' or '+'")),
    ApplyFailureCase(
        name: "--- without +++", diff: "--- a/f.swift\n@@ -1 +1 @@\n", files: ["f.swift": "a\n"],
        expected: .malformed(line: 1, reason: "`---` is not followed by `+++`")),
    ApplyFailureCase(
        name: "creating a file that exists", diff: "--- /dev/null\n+++ b/f.swift\n@@ -0,0 +1 @@\n+a\n",
        files: ["f.swift": ""], expected: .fileExists(path: "f.swift")),
]

/// A deterministic random number generator (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Makes a random text from a small alphabet of lines, so equal lines are common.
func randomText(_ rng: inout SeededGenerator, lines: Int, breaks: [String] = ["\n"]) -> String {
    let words = ["a", "b", "c", "func f() {}", "}", "", "  x", "é", "let 🙂 = 1"]
    var text = ""
    for _ in 0..<lines {
        text += words.randomElement(using: &rng) ?? "a"
        text += breaks.randomElement(using: &rng) ?? "\n"
    }
    if Bool.random(using: &rng), !text.isEmpty { text.removeLast() }
    return text
}

/// Applies random line edits to a text: deletions, insertions, replacements, line-ending changes.
func randomlyEdited(_ text: String, _ rng: inout SeededGenerator, breaks: [String] = ["\n"]) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for _ in 0..<Int.random(in: 0...6, using: &rng) {
        let at = Int.random(in: 0...lines.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0 where at < lines.count: lines.remove(at: at)
        case 1: lines.insert(randomText(&rng, lines: 1, breaks: breaks).trimmingCharacters(in: .newlines), at: at)
        case 2 where at < lines.count: lines[at] = "changed \(at)"
        default: if at < lines.count { lines[at] += "\r" }
        }
    }
    var result = lines.joined(separator: "\n")
    if Bool.random(using: &rng) { result += "\n" }
    return result
}

@Suite struct UnifiedDiffTests {
    @Test(arguments: diffCases)
    func writesDiff(_ row: DiffCase) {
        let diff = UnifiedDiff.make(path: "f.swift", old: row.old, new: row.new, context: row.context)
        #expect(diff == row.expected)
        if !diff.isEmpty {
            let applied = UnifiedDiff.apply(diff, to: ["f.swift": row.old])
            #expect(applied == .success(["f.swift": row.new]))
        }
    }

    @Test(arguments: applyFailures)
    func refusesWhatDoesNotApply(_ row: ApplyFailureCase) {
        #expect(UnifiedDiff.apply(row.diff, to: row.files) == .failure(row.expected))
    }

    @Test func appliesSeveralFilesAndCreatesAndDeletes() {
        let diff = UnifiedDiff.make(path: "a.swift", old: "1\n", new: "2\n")
            + UnifiedDiff.make(path: "dir/b.swift", old: "x\ny\n", new: "x\n")
            + "--- /dev/null\n+++ b/new.swift\n@@ -0,0 +1 @@\n+hello\n"
            + "--- a/gone.swift\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        let files = ["a.swift": "1\n", "dir/b.swift": "x\ny\n", "gone.swift": "bye\n", "other": "o"]
        #expect(
            UnifiedDiff.apply(diff, to: files)
                == .success(["a.swift": "2\n", "dir/b.swift": "x\n", "new.swift": "hello\n", "other": "o"]))
    }

    @Test(arguments: [
        ("my file.swift", "diff --git a/my file.swift b/my file.swift\n--- a/my file.swift\t\n+++ b/my file.swift\t\n"),
        ("q\"t.swift", "diff --git \"a/q\\\"t.swift\" \"b/q\\\"t.swift\"\n--- \"a/q\\\"t.swift\"\n+++ \"b/q\\\"t.swift\"\n"),
        ("tab\there", "diff --git \"a/tab\\there\" \"b/tab\\there\"\n--- \"a/tab\\there\"\n+++ \"b/tab\\there\"\n"),
        ("caf\u{E9}/\u{1F642}.swift", "diff --git a/caf\u{E9}/\u{1F642}.swift b/caf\u{E9}/\u{1F642}.swift\n--- a/caf\u{E9}/\u{1F642}.swift\n+++ b/caf\u{E9}/\u{1F642}.swift\n"),
    ])
    func writesAndReadsPathsAsGitDoes(path: String, header: String) {
        let diff = UnifiedDiff.make(path: path, old: "a\n", new: "b\n")
        #expect(diff == header + "@@ -1 +1 @@\n-a\n+b\n")
        #expect(UnifiedDiff.apply(diff, to: [path: "a\n"]) == .success([path: "b\n"]))
    }

    @Test func readsOctalEscapesInQuotedPaths() {
        let diff = "--- \"a/caf\\303\\251.swift\"\n+++ \"b/caf\\303\\251.swift\"\n@@ -1 +1 @@\n-a\n+b\n"
        #expect(UnifiedDiff.apply(diff, to: ["caf\u{E9}.swift": "a\n"]) == .success(["caf\u{E9}.swift": "b\n"]))
    }

    @Test func randomRoundTrips() {
        var rng = SeededGenerator(state: 42)
        for round in 0..<400 {
            let old = randomText(&rng, lines: Int.random(in: 0...25, using: &rng))
            let new = randomlyEdited(old, &rng)
            let context = Int.random(in: 0...4, using: &rng)
            let diff = UnifiedDiff.make(path: "r.swift", old: old, new: new, context: context)
            #expect(diff.isEmpty == (old == new && old.utf8.elementsEqual(new.utf8)), "round \(round)")
            if diff.isEmpty { continue }
            let applied = UnifiedDiff.apply(diff, to: ["r.swift": old])
            guard case .success(let files) = applied else {
                Issue.record("round \(round): \(applied)\n\(diff)")
                continue
            }
            #expect(files["r.swift"].map { Array($0.utf8) } == Array(new.utf8), "round \(round)\n\(diff)")
        }
    }

    /// The diff removes exactly the lines outside a longest common subsequence, checked against
    /// the textbook dynamic program on small random texts.
    @Test func minimalAgainstDynamicProgramming() {
        var rng = SeededGenerator(state: 11)
        for round in 0..<300 {
            let old = randomText(&rng, lines: Int.random(in: 0...30, using: &rng))
            let new = randomlyEdited(old, &rng)
            // Split bytes, not characters: "\r\n" is one Character.
            let a = old.utf8.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
            let b = new.utf8.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
            // Lines of the diff's model: every piece but a final empty one ends with `\n`.
            let aLines = zip(a.indices, a).compactMap { i, l in i == a.count - 1 ? (l.isEmpty ? nil : l + [0]) : l + [10] }
            let bLines = zip(b.indices, b).compactMap { i, l in i == b.count - 1 ? (l.isEmpty ? nil : l + [0]) : l + [10] }
            var table = Array(repeating: Array(repeating: 0, count: bLines.count + 1), count: aLines.count + 1)
            for i in stride(from: aLines.count - 1, through: 0, by: -1) {
                for j in stride(from: bLines.count - 1, through: 0, by: -1) {
                    table[i][j] = aLines[i] == bLines[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
                }
            }
            let diff = UnifiedDiff.make(path: "f", old: old, new: new, context: 0)
            let rows = diff.utf8.split(separator: 10).map { String(decoding: $0, as: UTF8.self) }
            let removed = rows.filter { $0.hasPrefix("-") && !$0.hasPrefix("--- a/") }.count
            let added = rows.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++ b/") }.count
            #expect(removed == aLines.count - table[0][0], "round \(round)")
            #expect(added == bLines.count - table[0][0], "round \(round)")
        }
    }

    @Test func minimalOnKnownCases() {
        // A single changed line in a long file gives exactly one removed and one added line.
        let old = (0..<500).map { "line \($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "line 250\n", with: "LINE 250\n")
        let diff = UnifiedDiff.make(path: "f", old: old, new: new)
        let body = diff.split(separator: "\n").filter { $0.hasPrefix("-") || $0.hasPrefix("+") }
        #expect(body == ["--- a/f", "+++ b/f", "-line 250", "+LINE 250"])
    }

    @Test(.timeLimit(.minutes(1)))
    func largeFileWithScatteredEdits() {
        var rng = SeededGenerator(state: 7)
        var oldLines = (0..<10_000).map { "    let value\($0) = compute(\($0 % 97))" }
        let old = oldLines.joined(separator: "\n") + "\n"
        for _ in 0..<200 {
            let at = Int.random(in: 0..<oldLines.count, using: &rng)
            if Bool.random(using: &rng) { oldLines[at] = "    // edited \(at)" } else { oldLines.insert("/// new", at: at) }
        }
        let new = oldLines.joined(separator: "\n") + "\n"
        let diff = UnifiedDiff.make(path: "big.swift", old: old, new: new)
        #expect(UnifiedDiff.apply(diff, to: ["big.swift": old]) == .success(["big.swift": new]))
        let removed = diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
        #expect(removed <= 200)
    }

    @Test func largeFilesWithNothingInCommon() {
        let old = (0..<5_000).map { "old \($0)\n" }.joined()
        let new = (0..<5_000).map { "new \($0)\n" }.joined()
        let diff = UnifiedDiff.make(path: "f", old: old, new: new)
        #expect(UnifiedDiff.apply(diff, to: ["f": old]) == .success(["f": new]))
    }

    @Test(.timeLimit(.minutes(1)))
    func largeFilesOfRepeatedLinesInAnotherOrder() {
        // Many equal lines and many differences: the costly case, where the diff gives up on minimality.
        let old = (0..<8_000).map { "x\($0 % 300)\n" }.joined()
        let new = (0..<8_000).map { "x\(($0 * 7) % 300)\n" }.joined()
        let diff = UnifiedDiff.make(path: "f", old: old, new: new)
        #expect(UnifiedDiff.apply(diff, to: ["f": old]) == .success(["f": new]))
        let edits = TextEdits.make(old: old, new: new)
        #expect(!edits.isEmpty)
    }

    /// Runs the real `git apply --check` on generated diffs.
    @Test func gitApplyAcceptsGeneratedDiffs() throws {
        let git = URL(fileURLWithPath: "/usr/bin/git")
        try #require(FileManager.default.isExecutableFile(atPath: git.path), "install git to run this test")
        let cases: [(String, String)] = [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb", "a\nb\n"),
            ("a\nb\n", "a\nb"),
            ("a\r\nb\r\nc\r\n", "a\r\n/// doc\r\nb\r\nc\r\n"),
            ("struct S {\n    func f() {}\n}\n", "struct S {\n    /// Does f.\n    ///\n    /// - Returns: Nothing.\n    func f() {}\n}\n"),
            ((0..<40).map { "\($0)\n" }.joined(), (0..<40).map { $0 % 9 == 0 ? "x\($0)\n" : "\($0)\n" }.joined()),
        ]
        var rng = SeededGenerator(state: 99)
        var all = cases
        for _ in 0..<10 {
            let old = randomText(&rng, lines: 20, breaks: ["\n", "\r\n"])
            all.append((old, randomlyEdited(old, &rng)))
        }
        let paths = ["f.swift", "my file.swift", "q\"t.swift", "caf\u{E9}.swift", "dir/sub/f.swift"]
        for (index, (old, new)) in all.enumerated() where old != new {
            let path = paths[index % paths.count]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assist-diff-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(old.utf8).write(to: file)
            let diff = UnifiedDiff.make(path: path, old: old, new: new)
            try Data(diff.utf8).write(to: directory.appendingPathComponent("change.diff"))
            for arguments in [["apply", "--check", "change.diff"], ["apply", "change.diff"]] {
                let process = Process()
                process.executableURL = git
                process.arguments = arguments
                process.currentDirectoryURL = directory
                let errors = Pipe()
                process.standardError = errors
                try process.run()
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "case \(index) \(arguments): \(message)\n\(diff)")
            }
            let applied = try Data(contentsOf: file)
            #expect(Array(applied) == Array(new.utf8), "case \(index): git apply gave different bytes")
        }
    }
}

@Suite struct TextEditsTests {
    private func apply(_ edits: [LineEdit], to text: String) throws -> String {
        var document = TextDocument(uri: "file:///t", languageID: "swift", version: 0, text: text)
        // All ranges refer to the old text; applying from the last keeps earlier ranges valid.
        try document.apply(edits.reversed().map { TextChange(range: $0.range, text: $0.newText) }, version: 1)
        return document.text
    }

    @Test(arguments: [
        ("a\nb\nc\n", "a\nB\nc\n", [LineEdit(range: TextRange(start: .init(line: 1, character: 0), end: .init(line: 2, character: 0)), newText: "B\n")]),
        ("a\nb", "a\nc", [LineEdit(range: TextRange(start: .init(line: 1, character: 0), end: .init(line: 1, character: 1)), newText: "c")]),
        ("", "x\n", [LineEdit(range: TextRange(start: .init(line: 0, character: 0), end: .init(line: 0, character: 0)), newText: "x\n")]),
        ("a\r\nb\r\n", "a\r\n/// d\r\nb\r\n", [LineEdit(range: TextRange(start: .init(line: 1, character: 0), end: .init(line: 1, character: 0)), newText: "/// d\r\n")]),
        ("a\rb\rc", "a\rB\rc", [LineEdit(range: TextRange(start: .init(line: 1, character: 0), end: .init(line: 2, character: 0)), newText: "B\r")]),
        ("x\n🙂é", "x\nz", [LineEdit(range: TextRange(start: .init(line: 1, character: 0), end: .init(line: 1, character: 3)), newText: "z")]),
        ("same\n", "same\n", []),
    ])
    func makesEdits(old: String, new: String, expected: [LineEdit]) throws {
        let edits = TextEdits.make(old: old, new: new)
        #expect(edits == expected)
        #expect(try apply(edits, to: old) == new)
    }

    @Test func randomRoundTrips() throws {
        var rng = SeededGenerator(state: 5)
        for round in 0..<300 {
            let old = randomText(&rng, lines: Int.random(in: 0...20, using: &rng), breaks: ["\n", "\r\n", "\r"])
            let new = randomlyEdited(old, &rng, breaks: ["\n", "\r\n", "\r"])
            let edits = TextEdits.make(old: old, new: new)
            for (first, second) in zip(edits, edits.dropFirst()) {
                #expect(!(second.range.start < first.range.end), "round \(round): edits overlap")
            }
            #expect(Array(try apply(edits, to: old).utf8) == Array(new.utf8), "round \(round)")
        }
    }
}
