import AssistCore
import Testing

// MARK: - Tables

/// One answer the parser must read.
struct EditParseCase: CustomTestStringConvertible, Sendable {
    var name: String
    var answer: String
    var blocks: [EditBlock]
    var prose: String = ""
    var testDescription: String { name }
}

/// One answer the parser must refuse.
struct EditParseFailureCase: CustomTestStringConvertible, Sendable {
    var name: String
    var answer: String
    var kind: EditError.Kind
    var mentions: [String] = []
    var testDescription: String { name }
}

/// One set of blocks the matcher must apply.
struct EditApplyCase: CustomTestStringConvertible, Sendable {
    var name: String
    var files: [String: String]
    var blocks: [EditBlock]
    var defaultPath: String? = "f.swift"
    var expected: [String: String]
    var testDescription: String { name }
}

/// One set of blocks the matcher must refuse.
struct EditApplyFailureCase: CustomTestStringConvertible, Sendable {
    var name: String
    var files: [String: String]
    var blocks: [EditBlock]
    var defaultPath: String? = "f.swift"
    var kind: EditError.Kind
    var mentions: [String] = []
    var testDescription: String { name }
}

/// A block for the default file.
private func block(_ search: String, _ replace: String, path: String? = nil) -> EditBlock {
    EditBlock(path: path, search: search, replace: replace)
}

/// An answer of one block for `Sources/Foo.swift`, with `head` in place of the path line.
private func answer(head: String, tail: String = "") -> String {
    head + "\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n" + tail
}

private let fooBlock = EditBlock(path: "Sources/Foo.swift", search: "old\n", replace: "new\n")

private let parseCases: [EditParseCase] = [
    EditParseCase(
        name: "plain block with a path line",
        answer: "Sources/Foo.swift\n<<<<<<< SEARCH\nlet a = 1\n=======\nlet a = 2\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "Sources/Foo.swift", search: "let a = 1\n", replace: "let a = 2\n")]),
    EditParseCase(
        name: "fenced block with prose before and after",
        answer: "Here is the fix.\n\nSources/Foo.swift\n```swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n\nThat should do it.\n",
        blocks: [fooBlock], prose: "Here is the fix.\n\nThat should do it."),
    EditParseCase(name: "path in backticks", answer: answer(head: "`Sources/Foo.swift`"), blocks: [fooBlock]),
    EditParseCase(
        name: "path with a plus sign", answer: "Sources/String+Extras.swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE",
        blocks: [EditBlock(path: "Sources/String+Extras.swift", search: "old\n", replace: "new\n")]),
    EditParseCase(
        name: "path with a space in backticks", answer: "`Sources/My File.swift`\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE",
        blocks: [EditBlock(path: "Sources/My File.swift", search: "old\n", replace: "new\n")]),
    EditParseCase(name: "path in bold", answer: answer(head: "**Sources/Foo.swift**"), blocks: [fooBlock]),
    EditParseCase(name: "path after File:", answer: answer(head: "File: Sources/Foo.swift"), blocks: [fooBlock]),
    EditParseCase(name: "path after bold File: in backticks", answer: answer(head: "**File:** `Sources/Foo.swift`"), blocks: [fooBlock]),
    EditParseCase(name: "path after Path:", answer: answer(head: "Path: Sources/Foo.swift"), blocks: [fooBlock]),
    EditParseCase(name: "path after ###", answer: answer(head: "### Sources/Foo.swift"), blocks: [fooBlock]),
    EditParseCase(name: "path with a colon after it", answer: answer(head: "`Sources/Foo.swift`:"), blocks: [fooBlock]),
    EditParseCase(name: "path with a remark", answer: answer(head: "Sources/Foo.swift (new file)"), blocks: [fooBlock]),
    EditParseCase(
        name: "path in a prose line in backticks", answer: answer(head: "Change `Sources/Foo.swift` like this:"),
        blocks: [fooBlock]),
    EditParseCase(
        name: "path in the fence info string", answer: "```swift Sources/Foo.swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n",
        blocks: [fooBlock]),
    EditParseCase(
        name: "path in the fence info string after a colon",
        answer: "```swift:Sources/Foo.swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```", blocks: [fooBlock]),
    EditParseCase(
        name: "path before a fence with a language only",
        answer: "### Sources/Foo.swift\n\n```swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```", blocks: [fooBlock]),
    EditParseCase(
        name: "path in a comment inside the fence",
        answer: "```swift\n// Sources/Foo.swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```", blocks: [fooBlock]),
    EditParseCase(
        name: "path inside the fence", answer: "```\nSources/Foo.swift\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```",
        blocks: [fooBlock]),
    EditParseCase(
        name: "prose line that is not a path gives no path",
        answer: "Here is the change:\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE",
        blocks: [EditBlock(path: nil, search: "old\n", replace: "new\n")], prose: "Here is the change:"),
    EditParseCase(
        name: "lenient markers: 5 and 9 characters, no space, any case, trailing junk",
        answer: "Sources/Foo.swift\n<<<<<search\nold\n=====\nnew\n>>>>>>>>> Replace (end of block)\n", blocks: [fooBlock]),
    EditParseCase(
        name: "marker without a space and junk after SEARCH",
        answer: "Sources/Foo.swift\n  <<<<<<<SEARCH: here\nold\n  =======  \nnew\n  >>>>>>>REPLACE\n", blocks: [fooBlock]),
    EditParseCase(
        name: "several blocks for several files, a block inherits the previous path",
        answer: """
            A.swift
            <<<<<<< SEARCH
            a1
            =======
            a2
            >>>>>>> REPLACE
            <<<<<<< SEARCH
            a3
            =======
            a4
            >>>>>>> REPLACE

            dir/B.swift
            <<<<<<< SEARCH
            b1
            =======
            b2
            >>>>>>> REPLACE
            """,
        blocks: [
            EditBlock(path: "A.swift", search: "a1\n", replace: "a2\n"),
            EditBlock(path: "A.swift", search: "a3\n", replace: "a4\n"),
            EditBlock(path: "dir/B.swift", search: "b1\n", replace: "b2\n"),
        ]),
    EditParseCase(
        name: "prose between blocks; a block after prose inherits the path",
        answer: """
            First, rename it:

            A.swift
            ```swift
            <<<<<<< SEARCH
            x
            =======
            y
            >>>>>>> REPLACE
            ```

            Then use it:
            ```swift
            <<<<<<< SEARCH
            x()
            =======
            y()
            >>>>>>> REPLACE
            ```
            Done.
            """,
        blocks: [EditBlock(path: "A.swift", search: "x\n", replace: "y\n"), EditBlock(path: "A.swift", search: "x()\n", replace: "y()\n")],
        prose: "First, rename it:\n\nThen use it:\n\nDone."),
    EditParseCase(
        name: "a code sample in the prose keeps its fence",
        answer: "Call it as\n```\nfoo()\n```\n\nA.swift\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "A.swift", search: "x\n", replace: "y\n")], prose: "Call it as\n```\nfoo()\n```"),
    EditParseCase(
        name: "empty search creates a file",
        answer: "New.swift\n<<<<<<< SEARCH\n=======\nlet x = 1\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "New.swift", search: "", replace: "let x = 1\n")]),
    EditParseCase(
        name: "a search of blank lines is empty",
        answer: "New.swift\n<<<<<<< SEARCH\n\n   \n=======\nlet x = 1\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "New.swift", search: "", replace: "let x = 1\n")]),
    EditParseCase(
        name: "fences around each part are not content",
        answer: "A.swift\n<<<<<<< SEARCH\n```swift\nold\n```\n=======\n```swift\nnew\n```\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "A.swift", search: "old\n", replace: "new\n")]),
    EditParseCase(
        name: "indentation, blank lines and an empty replacement are kept",
        answer: "A.swift\n<<<<<<< SEARCH\n    func f() {\n\n        x()\n    }\n=======\n>>>>>>> REPLACE\n",
        blocks: [EditBlock(path: "A.swift", search: "    func f() {\n\n        x()\n    }\n", replace: "")]),
    EditParseCase(
        name: "CRLF answer",
        answer: "A.swift\r\n<<<<<<< SEARCH\r\nold\r\n=======\r\nnew\r\n>>>>>>> REPLACE\r\n",
        blocks: [EditBlock(path: "A.swift", search: "old\n", replace: "new\n")]),
    EditParseCase(
        name: "unicode content and path",
        answer: "Sources/Caf\u{E9}.swift\n<<<<<<< SEARCH\nlet s = \"na\u{EF}ve \u{1F642}\"\n=======\nlet s = \"\u{65E5}\u{672C}\"\n>>>>>>> REPLACE",
        blocks: [EditBlock(path: "Sources/Caf\u{E9}.swift", search: "let s = \"na\u{EF}ve \u{1F642}\"\n", replace: "let s = \"\u{65E5}\u{672C}\"\n")]),
    EditParseCase(
        name: "an `=======` line outside blocks is prose",
        answer: "Title\n=======\n\nA.swift\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE",
        blocks: [EditBlock(path: "A.swift", search: "x\n", replace: "y\n")], prose: "Title\n======="),
]

private let parseFailures: [EditParseFailureCase] = [
    EditParseFailureCase(name: "prose only", answer: "I think the code is fine as it is.", kind: .noBlocks),
    EditParseFailureCase(name: "empty answer", answer: "", kind: .noBlocks),
    EditParseFailureCase(
        name: "four marker characters are not a marker", answer: "A.swift\n<<<< SEARCH\nx\n====\ny\n>>>> REPLACE\n", kind: .noBlocks),
    EditParseFailureCase(
        name: "ten marker characters are not a marker",
        answer: "A.swift\n<<<<<<<<<< SEARCH\nx\n==========\ny\n>>>>>>>>>> REPLACE\n", kind: .noBlocks),
    EditParseFailureCase(
        name: "SEARCH without a divider before the next SEARCH",
        answer: "A.swift\n<<<<<<< SEARCH\nx\n<<<<<<< SEARCH\ny\n=======\nz\n>>>>>>> REPLACE\n", kind: .malformed,
        mentions: ["Block 1", "A.swift", "line 2", "line 4"]),
    EditParseFailureCase(
        name: "divider without REPLACE before the next SEARCH",
        answer: "A.swift\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n<<<<<<< SEARCH\np\n=======\nq\n<<<<<<< SEARCH\nr\n=======\ns\n>>>>>>> REPLACE\n",
        kind: .malformed, mentions: ["Block 2", "REPLACE"]),
    EditParseFailureCase(
        name: "REPLACE without a divider", answer: "A.swift\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n", kind: .malformed,
        mentions: ["Block 1", "======="]),
    EditParseFailureCase(
        name: "REPLACE without SEARCH", answer: "A.swift\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\nz\n>>>>>>> REPLACE\n",
        kind: .malformed, mentions: ["Block 2", "line 8"]),
    EditParseFailureCase(
        name: "answer ends in the SEARCH part", answer: "A.swift\n<<<<<<< SEARCH\nfunc f() {\n", kind: .truncated,
        mentions: ["Block 1", "A.swift", "======="]),
    EditParseFailureCase(
        name: "answer ends in the REPLACE part of the second block",
        answer: "A.swift\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n\nB.swift\n<<<<<<< SEARCH\np\n=======\nq\n", kind: .truncated,
        mentions: ["Block 2", "B.swift", "REPLACE"]),
]

private let struct3 = "struct S {\n    func f() -> Int {\n        return 1\n    }\n}\n"

private let applyCases: [EditApplyCase] = [
    // Stage 1: exact substring.
    EditApplyCase(
        name: "exact substring inside a line", files: ["f.swift": "let total = price * count\nlet other = count\n"],
        blocks: [block("price * count", "price * Double(count)")],
        expected: ["f.swift": "let total = price * Double(count)\nlet other = count\n"]),
    EditApplyCase(
        name: "exact whole lines", files: ["f.swift": struct3],
        blocks: [block("        return 1\n    }\n", "        return 2\n    }\n")],
        expected: ["f.swift": "struct S {\n    func f() -> Int {\n        return 2\n    }\n}\n"]),
    EditApplyCase(
        name: "a whole-line match wins over matches inside other lines", files: ["f.swift": "    foo()  \nbar(foo())\n"],
        blocks: [block("foo()", "baz()")], expected: ["f.swift": "    baz()\nbar(foo())\n"]),
    EditApplyCase(
        name: "single dedented line: inserted lines take the file's indentation", files: ["f.swift": "struct S {\n    func f() {}\n}\n"],
        blocks: [block("func f() {}\n", "/// Does f.\nfunc f() {}\n")],
        expected: ["f.swift": "struct S {\n    /// Does f.\n    func f() {}\n}\n"]),
    EditApplyCase(
        name: "deleting whole lines leaves no blank line", files: ["f.swift": "a\nb\nc\nd\n"], blocks: [block("b\nc\n", "")],
        expected: ["f.swift": "a\nd\n"]),
    // Stage 2: trailing whitespace.
    EditApplyCase(
        name: "lines match ignoring trailing whitespace", files: ["f.swift": "func f() {   \n    return 1  \n}\n"],
        blocks: [block("func f() {\n    return 1\n}\n", "func f() {\n    return 2\n}\n")],
        expected: ["f.swift": "func f() {\n    return 2\n}\n"]),
    EditApplyCase(
        name: "an earlier stage's single match wins over a later stage's several",
        files: ["f.swift": "func a() {   \n    b()\n}\n\n    func a() {\n        b()\n    }\n"],
        blocks: [block("func a() {  \n    b()\n}\n", "func a() {\n    c()\n}\n")],
        expected: ["f.swift": "func a() {\n    c()\n}\n\n    func a() {\n        b()\n    }\n"]),
    // Stage 3: indentation.
    EditApplyCase(
        name: "model dropped the indentation of a method inside a type", files: ["f.swift": struct3],
        blocks: [block("func f() -> Int {\n    return 1\n}\n", "func f() -> Int {\n    let x = 1\n    return x\n}\n")],
        expected: ["f.swift": "struct S {\n    func f() -> Int {\n        let x = 1\n        return x\n    }\n}\n"]),
    EditApplyCase(
        name: "search dedented but replacement written at the file's indentation is not shifted", files: ["f.swift": struct3],
        blocks: [block("func f() -> Int {\n    return 1\n}\n", "    func f() -> Int {\n        return 4\n    }\n")],
        expected: ["f.swift": "struct S {\n    func f() -> Int {\n        return 4\n    }\n}\n"]),
    EditApplyCase(
        name: "model over-indented a top-level function", files: ["f.swift": "func g() {\n    work()\n}\n"],
        blocks: [block("        func g() {\n            work()\n        }\n", "        func g() {\n            work()\n            more()\n        }\n")],
        expected: ["f.swift": "func g() {\n    work()\n    more()\n}\n"]),
    EditApplyCase(
        name: "tab-indented file, model wrote spaces",
        files: ["f.swift": "struct S {\n\tfunc f() {\n\t\tx()\n\t}\n}\n"],
        blocks: [block("func f() {\n    x()\n}\n", "func f() {\n    x()\n    y()\n}\n")],
        expected: ["f.swift": "struct S {\n\tfunc f() {\n\t\tx()\n\t\ty()\n\t}\n}\n"]),
    EditApplyCase(
        name: "tab-indented top-level function, model wrote spaces at the same level",
        files: ["f.swift": "func f() {\n\tx()\n}\n"], blocks: [block("func f() {\n    x()\n}\n", "func f() {\n    y()\n}\n")],
        expected: ["f.swift": "func f() {\n\ty()\n}\n"]),
    EditApplyCase(
        name: "a file without indented lines keeps the model's tabs", files: ["Makefile": "all: build\nbuild:\n"],
        blocks: [block("build:\n", "build:\n\tswift build\n", path: "Makefile")],
        expected: ["Makefile": "all: build\nbuild:\n\tswift build\n"]),
    EditApplyCase(
        name: "space-indented file, model wrote tabs", files: ["f.swift": struct3],
        blocks: [block("\tfunc f() -> Int {\n\t\treturn 1\n\t}\n", "\tfunc f() -> Int {\n\t\treturn 3\n\t}\n")],
        expected: ["f.swift": "struct S {\n    func f() -> Int {\n        return 3\n    }\n}\n"]),
    // Stage 4: whitespace runs.
    EditApplyCase(
        name: "lines match with whitespace runs collapsed", files: ["f.swift": "    let x  =  foo(a,   b)\n"],
        blocks: [block("let x = foo(a, b)\n", "let x = foo(b, a)\n")], expected: ["f.swift": "    let x = foo(b, a)\n"]),
    // Stage 5: blank lines.
    EditApplyCase(
        name: "search without the file's blank line", files: ["f.swift": "struct S {\n    func a() {}\n\n    func b() {}\n}\n"],
        blocks: [block("func a() {}\nfunc b() {}\n", "func a() {}\n\nfunc c() {}\n")],
        expected: ["f.swift": "struct S {\n    func a() {}\n\n    func c() {}\n}\n"]),
    EditApplyCase(
        name: "search with blank lines the file lacks", files: ["f.swift": "a()\n  b()\nc()\n"],
        blocks: [block("\na()\n\nb()\n\n", "\na()\n\nd()\n\n")], expected: ["f.swift": "a()\n\nd()\nc()\n"]),
    // Line endings and final newlines.
    EditApplyCase(
        name: "CRLF file keeps CRLF", files: ["f.swift": "a\r\nb\r\nc\r\n"], blocks: [block("b\n", "B\nB2\n")],
        expected: ["f.swift": "a\r\nB\r\nB2\r\nc\r\n"]),
    EditApplyCase(
        name: "CRLF in the search and in the file", files: ["f.swift": "a\r\n    b\r\nc\r\n"], blocks: [block("b\r\nc\r\n", "x\r\n")],
        expected: ["f.swift": "a\r\n    x\r\n"]),
    EditApplyCase(
        name: "file without a final newline stays without", files: ["f.swift": "a\nb"], blocks: [block("b\n", "c\nd\n")],
        expected: ["f.swift": "a\nc\nd"]),
    EditApplyCase(
        name: "deleting the last line of a file without a final newline", files: ["f.swift": "a\nb"], blocks: [block("b\n", "")],
        expected: ["f.swift": "a"]),
    EditApplyCase(
        name: "unicode text", files: ["f.swift": "let caf\u{E9} = \"na\u{EF}ve \u{1F642}\"\nlet n = 1\n"],
        blocks: [block("let caf\u{E9} = \"na\u{EF}ve \u{1F642}\"\n", "let caf\u{E9} = \"\u{65E5}\u{672C}\u{8A9E} \u{1F389}\"\n")],
        expected: ["f.swift": "let caf\u{E9} = \"\u{65E5}\u{672C}\u{8A9E} \u{1F389}\"\nlet n = 1\n"]),
    // Files.
    EditApplyCase(
        name: "empty search creates a new file", files: ["f.swift": "x\n"], blocks: [block("", "let x = 1", path: "Sources/New.swift")],
        expected: ["Sources/New.swift": "let x = 1\n"]),
    EditApplyCase(
        name: "empty search fills an empty file", files: ["f.swift": ""], blocks: [block("", "let x = 1\n")],
        expected: ["f.swift": "let x = 1\n"]),
    EditApplyCase(
        name: "several files; unchanged files are not returned",
        files: ["A.swift": "a\n", "B.swift": "b\n", "C.swift": "c\n"],
        blocks: [block("a", "A", path: "A.swift"), block("b", "B", path: "B.swift")],
        expected: ["A.swift": "A\n", "B.swift": "B\n"]),
    EditApplyCase(
        name: "a later block sees the earlier block's result", files: ["f.swift": "let a = 1\n"],
        blocks: [block("let a = 1", "let b = 1"), block("let b = 1", "let b = 2")], expected: ["f.swift": "let b = 2\n"]),
    EditApplyCase(
        name: "a block whose search equals its replace is fine beside a change", files: ["f.swift": "a\nb\n"],
        blocks: [block("a", "a"), block("b", "c")], expected: ["f.swift": "a\nc\n"]),
    EditApplyCase(
        name: "block without a path goes to the default file", files: ["f.swift": "a\n", "g.swift": "a\n"], blocks: [block("a", "b")],
        defaultPath: "g.swift", expected: ["g.swift": "b\n"]),
    EditApplyCase(
        name: "paths are normalised against the files", files: ["Sources/Foo.swift": "a\nb\n"],
        blocks: [block("a", "A", path: "./Sources/Foo.swift"), block("b", "B", path: "a/Sources/Foo.swift")],
        expected: ["Sources/Foo.swift": "A\nB\n"]),
    EditApplyCase(
        name: "a created file can be edited by a later block", files: [:],
        blocks: [block("", "one\ntwo\n", path: "N.swift"), block("two", "three", path: "N.swift")], defaultPath: nil,
        expected: ["N.swift": "one\nthree\n"]),
]

private let applyFailures: [EditApplyFailureCase] = [
    EditApplyFailureCase(
        name: "several exact matches", files: ["f.swift": "x = 1\ny = 2\nx = 1\n"], blocks: [block("x = 1\n", "x = 3\n")],
        kind: .ambiguous, mentions: ["SEARCH block 1 for f.swift", "2 places", "lines 1 and 3", "surrounding lines"]),
    EditApplyFailureCase(
        name: "several matches ignoring indentation", files: ["f.swift": "  a()\nb()\n    a()\n"],
        blocks: [block("b()\n", "c()\n"), block("a()\n", "z()\n")], kind: .ambiguous, mentions: ["SEARCH block 2", "2 places"]),
    EditApplyFailureCase(
        name: "several matches inside lines", files: ["f.swift": "let x = foo(1)\nlet y = foo(1) + 1\n"],
        blocks: [block("foo(1)", "foo(2)")], kind: .ambiguous, mentions: ["2 places", "lines 1 and 2"]),
    EditApplyFailureCase(
        name: "the same line at two indentations", files: ["f.swift": "a()\n    a()\n"], blocks: [block("a()", "b()")],
        kind: .ambiguous, mentions: ["lines 1 and 2"]),
    EditApplyFailureCase(
        name: "several matches in one line", files: ["f.swift": "let b = a + a\n"], blocks: [block("a", "c")], kind: .ambiguous,
        mentions: ["2 places (all on line 1)"]),
    EditApplyFailureCase(
        name: "no match names the closest lines",
        files: ["f.swift": "import Lib\n\nfunc computeTotal(items: [Item]) -> Int {\n    items.count\n}\n\nfunc other() {}\n"],
        blocks: [block("func computeTotals(items: [Item]) -> Int {\n    return 0\n}\n", "func computeTotal() {}\n")],
        kind: .notFound,
        mentions: ["SEARCH block 1 for f.swift matches nothing", "closest lines are 3-5", "func computeTotal(items: [Item]) -> Int {\n    items.count\n}"]),
    EditApplyFailureCase(
        name: "no match in a one-line file names line 1", files: ["f.swift": "let value = 10\n"], blocks: [block("let valeu = 10", "x")],
        kind: .notFound, mentions: ["closest line is 1", "let value = 10"]),
    EditApplyFailureCase(
        name: "a search in a file the request does not have", files: ["A.swift": "a\n"], blocks: [block("a", "b", path: "B.swift")],
        kind: .notFound, mentions: ["B.swift", "A.swift"]),
    EditApplyFailureCase(
        name: "an empty search in a file with content", files: ["f.swift": "a\n"], blocks: [block("", "b\n")], kind: .notFound,
        mentions: ["empty"]),
    EditApplyFailureCase(
        name: "no path and no default", files: ["f.swift": "a\n"], blocks: [block("a", "b")], defaultPath: nil, kind: .badPath,
        mentions: ["Block 1"]),
    EditApplyFailureCase(
        name: "absolute path", files: ["f.swift": "a\n"], blocks: [block("", "x", path: "/etc/passwd")], kind: .badPath,
        mentions: ["Block 1", "/etc/passwd", "absolute"]),
    EditApplyFailureCase(
        name: "path out of the repository", files: ["f.swift": "a\n"], blocks: [block("", "x", path: "../x.swift")], kind: .badPath),
    EditApplyFailureCase(
        name: "path into .git", files: ["f.swift": "a\n"], blocks: [block("", "x", path: ".git/config")], kind: .badPath),
    EditApplyFailureCase(
        name: "creating a file where a directory is", files: ["Sources/A.swift": "a\n"], blocks: [block("", "x", path: "Sources")],
        kind: .badPath, mentions: ["directory"]),
    EditApplyFailureCase(
        name: "search equal to replace is the only change", files: ["f.swift": "a\nb\n"], blocks: [block("a\n", "a\n")], kind: .noChange,
        mentions: ["Block 1"]),
    EditApplyFailureCase(
        name: "blocks that undo each other", files: ["f.swift": "a\n"], blocks: [block("a", "b"), block("b", "a")], kind: .noChange),
    EditApplyFailureCase(
        name: "a later block searches text an earlier block changed", files: ["f.swift": "a\nb\nc\n"],
        blocks: [block("a\nb\n", "x\ny\n"), block("b\nc\n", "q\n")], kind: .overlapping, mentions: ["SEARCH block 2", "block 1"]),
    EditApplyFailureCase(name: "no blocks", files: ["f.swift": "a\n"], blocks: [], kind: .noBlocks),
]

/// Paths and what they normalise to (`nil`: refused).
private let pathCases: [(String, String?)] = [
    ("Sources/Foo.swift", "Sources/Foo.swift"),
    ("`Sources/Foo.swift`", "Sources/Foo.swift"),
    ("**Sources/Foo.swift**", "Sources/Foo.swift"),
    ("**`Sources/Foo.swift`**", "Sources/Foo.swift"),
    ("\"Sources/Foo.swift\"", "Sources/Foo.swift"),
    ("'Sources/Foo.swift'", "Sources/Foo.swift"),
    ("  Sources/Foo.swift  ", "Sources/Foo.swift"),
    ("./Sources/Foo.swift", "Sources/Foo.swift"),
    ("a/Sources/Foo.swift", "Sources/Foo.swift"),
    ("b/Sources/Foo.swift", "Sources/Foo.swift"),
    ("a/b.swift", "a/b.swift"),
    ("a/New.swift", "a/New.swift"),
    ("Sources//Foo.swift", "Sources/Foo.swift"),
    ("Sources/./Foo.swift", "Sources/Foo.swift"),
    (".gitignore", ".gitignore"),
    (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
    ("Caf\u{E9}/\u{1F642}.swift", "Caf\u{E9}/\u{1F642}.swift"),
    ("/etc/passwd", nil),
    ("/work/repo/Sources/Foo.swift", nil),
    ("~/x.swift", nil),
    ("C:\\x.swift", nil),
    ("../x.swift", nil),
    ("Sources/../../x.swift", nil),
    ("Sources/..", nil),
    (".git", nil),
    (".git/config", nil),
    ("./.git/HEAD", nil),
    ("sub/.git/config", nil),
    (".GIT/config", nil),
    ("", nil),
    ("   ", nil),
    ("``", nil),
    ("a\u{0}b.swift", nil),
    ("Sources/", nil),
    (".", nil),
]

// MARK: - Tests

@Suite struct EditMatcherTests {
    @Test(arguments: parseCases)
    func parsesAnswers(_ row: EditParseCase) {
        #expect(EditAnswerParser.parse(row.answer) == .success(EditAnswer(blocks: row.blocks, prose: row.prose)))
    }

    @Test(arguments: parseFailures)
    func refusesBadAnswers(_ row: EditParseFailureCase) throws {
        let result = EditAnswerParser.parse(row.answer)
        guard case .failure(let error) = result else {
            Issue.record("parsed: \(result)")
            return
        }
        #expect(error.kind == row.kind)
        for text in row.mentions { #expect(error.message.contains(text), "\(error.message) lacks \(text)") }
        #expect(error.description == error.message)
    }

    @Test(arguments: applyCases)
    func appliesBlocks(_ row: EditApplyCase) {
        #expect(EditMatcher.apply(row.blocks, to: row.files, defaultPath: row.defaultPath) == .success(row.expected))
    }

    @Test(arguments: applyFailures)
    func refusesBlocks(_ row: EditApplyFailureCase) {
        let result = EditMatcher.apply(row.blocks, to: row.files, defaultPath: row.defaultPath)
        guard case .failure(let error) = result else {
            Issue.record("applied: \(result)")
            return
        }
        #expect(error.kind == row.kind, "\(error.message)")
        for text in row.mentions { #expect(error.message.contains(text), "\(error.message) lacks \(text)") }
    }

    @Test(arguments: pathCases)
    func normalisesPaths(raw: String, expected: String?) {
        let known: Set<String> = ["Sources/Foo.swift", "a/b.swift", "b.swift", ".gitignore"]
        let result = EditPath.normalize(raw, known: known)
        if let expected {
            #expect(result == .success(expected))
        } else {
            guard case .failure(let error) = result else {
                Issue.record("\(raw.debugDescription) was accepted as \(result)")
                return
            }
            #expect(error.kind == .badPath)
            #expect(!error.message.isEmpty)
        }
    }

    @Test(arguments: [
        ("```swift\nfunc f() {}\n```", "func f() {}\n"),
        ("Here is the new code:\n\n```\n    let x = 1\n\n    let y = 2\n```\nIt is shorter.", "    let x = 1\n\n    let y = 2\n"),
        ("\n\nfunc f() {}\n  return\n\n", "func f() {}\n  return\n"),
        ("```\n```\nThen:\n~~~swift\nx\n~~~\n", "x\n"),
        ("```\na\n```\n```\nb\n```", "a\n"),
        ("````swift\nlet s = \"```\"\n```\n````", "let s = \"```\"\n```\n"),
        ("```swift\r\nlet caf\u{E9} = 1\r\n```\r\n", "let caf\u{E9} = 1\n"),
    ])
    func readsReplacements(answer: String, expected: String) {
        #expect(EditAnswerParser.replacement(from: answer) == .success(expected))
    }

    @Test(arguments: [
        ("", EditError.Kind.noBlocks), ("  \n\n", .noBlocks), ("```swift\n```", .noBlocks), ("Sure:\n```swift\n\n```\n", .noBlocks),
        ("Here:\n```swift\nfunc f() {\n", .truncated),
    ])
    func refusesEmptyOrCutReplacements(answer: String, kind: EditError.Kind) {
        let result = EditAnswerParser.replacement(from: answer)
        guard case .failure(let error) = result else {
            Issue.record("read: \(result)")
            return
        }
        #expect(error.kind == kind)
    }

    @Test(arguments: [
        // The model dropped the indentation.
        ("struct S {\n    var a = 1\n}\n", 2...2, "var a = 2\nvar b = 3", "struct S {\n    var a = 2\n    var b = 3\n}\n"),
        // The model over-indented, keeping relative indentation.
        ("func f() {\n    x()\n}\n", 1...3, "        func f() {\n            y()\n        }\n", "func f() {\n    y()\n}\n"),
        // Region starting deeper than it ends: the first lines decide.
        ("enum E {\n    func f() {\n        a()\n    }\n}\n", 3...4, "    b()\n}\n", "enum E {\n    func f() {\n        b()\n    }\n}\n"),
        // Same indentation: unchanged.
        ("a\n  b\nc\n", 2...2, "  x\n    y\n", "a\n  x\n    y\nc\n"),
        // Blank lines before the region's first line do not count.
        ("{\n\n    old()\n}\n", 2...3, "\nnew()\n", "{\n\n    new()\n}\n"),
        // Tabs.
        ("{\n\tx()\n}\n", 2...2, "y()\nz()\n", "{\n\ty()\n\tz()\n}\n"),
        // CRLF.
        ("a\r\nb\r\nc\r\n", 2...2, "x\ny\n", "a\r\nx\r\ny\r\nc\r\n"),
        // No final newline.
        ("a\nb", 2...2, "c\n", "a\nc"),
        ("a\nb", 1...2, "c\nd\n", "c\nd"),
        // Empty replacement deletes.
        ("a\nb\nc\n", 2...3, "", "a\n"),
        // Unicode.
        ("\u{1F642}\ncaf\u{E9}\n", 2...2, "na\u{EF}ve", "\u{1F642}\nna\u{EF}ve\n"),
    ])
    func replacesLines(text: String, lines: ClosedRange<Int>, replacement: String, expected: String) {
        #expect(EditMatcher.replaceLines(lines, of: text, with: replacement) == .success(expected))
    }

    @Test(arguments: [("a\nb\n", 0...1), ("a\nb\n", 2...3), ("a\nb\n", 3...3), ("", 1...1), ("a", -1...1)])
    func refusesLinesOutsideTheText(text: String, lines: ClosedRange<Int>) {
        let result = EditMatcher.replaceLines(lines, of: text, with: "x")
        guard case .failure(let error) = result else {
            Issue.record("replaced: \(result)")
            return
        }
        #expect(error.kind == .notFound)
        #expect(error.message.contains("\(lines.lowerBound)-\(lines.upperBound)"))
    }

    @Test func parsesAndAppliesARealisticAnswer() throws {
        let files = [
            "Sources/App/Counter.swift": "struct Counter {\n    var count = 0\n\n    mutating func increment() {\n        count += 1\n    }\n}\n",
            "Sources/App/main.swift": "var c = Counter()\nc.increment()\nprint(c.count)\n",
        ]
        let answer = """
            I'll add a `reset()` method and call it.

            **Sources/App/Counter.swift**
            ```swift
            <<<<<<< SEARCH
            mutating func increment() {
                count += 1
            }
            =======
            mutating func increment() {
                count += 1
            }

            mutating func reset() {
                count = 0
            }
            >>>>>>> REPLACE
            ```

            `./Sources/App/main.swift`
            ```swift
            <<<<<<< SEARCH
            print(c.count)
            =======
            c.reset()
            print(c.count)
            >>>>>>> REPLACE
            ```
            """
        let parsed = try EditAnswerParser.parse(answer).get()
        #expect(parsed.blocks.map(\.path) == ["Sources/App/Counter.swift", "./Sources/App/main.swift"])
        #expect(parsed.prose == "I'll add a `reset()` method and call it.")
        let changed = try EditMatcher.apply(parsed.blocks, to: files, defaultPath: nil).get()
        #expect(
            changed == [
                "Sources/App/Counter.swift":
                    "struct Counter {\n    var count = 0\n\n    mutating func increment() {\n        count += 1\n    }\n\n    mutating func reset() {\n        count = 0\n    }\n}\n",
                "Sources/App/main.swift": "var c = Counter()\nc.increment()\nc.reset()\nprint(c.count)\n",
            ])
    }

    /// Model-like damage to a method's lines: each kind is undone by one matching stage.
    private static func damaged(_ lines: [String], mode: Int) -> [String] {
        switch mode {
        case 0: return lines.map { String($0.dropFirst(4)) }  // indentation dropped
        case 1: return lines.map { "    " + $0 }  // over-indented
        case 2: return lines.map { $0 + "  " }  // trailing spaces
        case 3: return lines.map { $0.replacing("    ", with: "\t") }  // tabs for spaces
        case 4: return lines.map { $0.replacing(" = ", with: "  =  ") }  // spaces doubled
        default: return [lines[0], ""] + lines.dropFirst()  // a blank line the file lacks
        }
    }

    @Test func randomDamagedSearchesStillApply() throws {
        var rng = SeededGenerator(state: 7)
        for round in 0..<300 {
            let types = Int.random(in: 1...4, using: &rng)
            let methods = Int.random(in: 1...4, using: &rng)
            var lines: [String] = []
            for t in 0..<types {
                lines.append("struct T\(t) {")
                for m in 0..<methods {
                    lines += ["    func m\(t)_\(m)() -> Int {", "        let v\(t)_\(m) = \(t * m)", "        return v\(t)_\(m)", "    }"]
                }
                lines.append("}")
            }
            let t = Int.random(in: 0..<types, using: &rng)
            let m = Int.random(in: 0..<methods, using: &rng)
            let start = 1 + t * (methods * 4 + 2) + m * 4
            let region = Array(lines[start..<(start + 4)])
            var changed = region
            changed[1] = "        let v\(t)_\(m) = 999"
            let mode = round % 6
            let search = Self.damaged(region, mode: mode)
            let replace = mode == 5 ? changed : Self.damaged(changed, mode: mode)
            let lineBreak = Bool.random(using: &rng) ? "\r\n" : "\n"
            let final = Bool.random(using: &rng) ? lineBreak : ""
            var expectedLines = lines
            // Trailing spaces go; changed lines keep the model's inner spacing.
            expectedLines[start + 1] = mode == 4 ? "        let v\(t)_\(m)  =  999" : changed[1]
            let file = lines.joined(separator: lineBreak) + final
            let expected = expectedLines.joined(separator: lineBreak) + final
            let edit = EditBlock(path: "f.swift", search: search.joined(separator: "\n") + "\n", replace: replace.joined(separator: "\n") + "\n")
            let result = EditMatcher.apply([edit], to: ["f.swift": file], defaultPath: nil)
            #expect(result == .success(["f.swift": expected]), "round \(round), mode \(mode)")
        }
    }

    @Test func randomWellFormedAnswersParseBack() throws {
        var rng = SeededGenerator(state: 11)
        let contents = ["let x = 1", "    foo()", "", "}", "// a comment", "\tbar()", "let s = \"<<< not a marker\"", "caf\u{E9} \u{1F642}"]
        let paths = ["Sources/A.swift", "Sources/Deep/B+C.swift", "Package.swift"]
        let proses = ["Here is the change.", "This keeps the old behaviour:", "Done."]
        for round in 0..<300 {
            var answer = ""
            var expected: [EditBlock] = []
            var expectedProse: [String] = []
            var previous: String?
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                if Bool.random(using: &rng) {
                    let prose = proses.randomElement(using: &rng)!
                    answer += prose + "\n\n"
                    expectedProse.append(prose)
                }
                let inherit = previous != nil && Int.random(in: 0..<3, using: &rng) == 0
                let path = inherit ? previous! : paths.randomElement(using: &rng)!
                let fenced = Bool.random(using: &rng)
                let style = Int.random(in: 0..<6, using: &rng)
                if !inherit {
                    switch style {
                    case 0: answer += path + "\n"
                    case 1: answer += "`\(path)`\n"
                    case 2: answer += "**\(path)**\n"
                    case 3: answer += "File: \(path)\n"
                    case 4: answer += "### \(path)\n\n"
                    default: break
                    }
                }
                if fenced || (!inherit && style == 5) {
                    answer += !inherit && style == 5 ? "```swift \(path)\n" : "```swift\n"
                }
                let search = (0..<Int.random(in: 1...4, using: &rng)).map { _ in contents.randomElement(using: &rng)! }
                let replace = (0..<Int.random(in: 0...4, using: &rng)).map { _ in contents.randomElement(using: &rng)! }
                answer += "<<<<<<< SEARCH\n" + search.map { $0 + "\n" }.joined() + "=======\n"
                answer += replace.map { $0 + "\n" }.joined() + ">>>>>>> REPLACE\n"
                if fenced || (!inherit && style == 5) { answer += "```\n" }
                answer += "\n"
                let searchText = search.allSatisfy { $0.isEmpty } ? "" : search.map { $0 + "\n" }.joined()
                expected.append(EditBlock(path: path, search: searchText, replace: replace.map { $0 + "\n" }.joined()))
                previous = path
            }
            let parsed = try EditAnswerParser.parse(answer).get()
            #expect(parsed == EditAnswer(blocks: expected, prose: expectedProse.joined(separator: "\n\n")), "round \(round):\n\(answer)")
        }
    }

    @Test func errorMessagesCanBeSentBack() {
        let error = EditError(kind: .notFound, message: "SEARCH block 2 for Foo.swift matches nothing.")
        #expect("\(error)" == "SEARCH block 2 for Foo.swift matches nothing.")
        #expect(EditError.Kind(rawValue: "overlapping") == .overlapping)
    }
}
