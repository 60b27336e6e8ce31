import AssistCore
import Testing

/// A row of the valid-input table: text and the entries expected, as `key line value`.
struct ValidParseCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var entries: [ConfigFileEntry]
    var testDescription: String { name }
}

/// A row of the invalid-input table: text, the errors expected as (line, key, message part), and
/// the keys of the entries that still parse.
struct InvalidParseCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var errors: [(line: Int, key: String?, message: String)]
    var keys: [String] = []
    var testDescription: String { name }
}

private func entry(_ key: String, _ line: Int, _ value: ConfigFileValue) -> ConfigFileEntry {
    ConfigFileEntry(key: key, value: value, line: line)
}

private let validCases: [ValidParseCase] = [
    ValidParseCase(name: "empty text", text: "", entries: []),
    ValidParseCase(name: "only comments and blank lines", text: "# one\n\n   # two\n\t\n", entries: []),
    ValidParseCase(
        name: "top-level keys with comments", text: "# settings\n\na = 1 # trailing comment\nb=true\n",
        entries: [entry("a", 3, .integer(1)), entry("b", 4, .bool(true))]),
    ValidParseCase(
        name: "table header", text: "[server]\nmaxMessageBytes = 2048\n",
        entries: [entry("server.maxMessageBytes", 2, .integer(2048))]),
    ValidParseCase(
        name: "dotted header and dotted keys", text: "[providers.openai]\napiKey = 'k'\n[a]\nb . c = 1\n\"d.e\".f = 2",
        entries: [
            entry("providers.openai.apiKey", 2, .string("k")), entry("a.b.c", 4, .integer(1)),
            entry("a.d.e.f", 5, .integer(2)),
        ]),
    ValidParseCase(
        name: "header with spaces and a comment", text: "[ log ]  # logging\nlevel = \"debug\"",
        entries: [entry("log.level", 2, .string("debug"))]),
    ValidParseCase(
        name: "dotted key at top level before tables", text: "log.level = \"info\"\n[server]\nx = 1",
        entries: [entry("log.level", 1, .string("info")), entry("server.x", 3, .integer(1))]),
    ValidParseCase(
        name: "basic string escapes",
        text: #"s = "q\" b\\ n\n t\t u\u00e9 U\U0001F600 r\r b\b f\f""#,
        entries: [entry("s", 1, .string("q\" b\\ n\n t\t u\u{e9} U\u{1F600} r\r b\u{8} f\u{C}"))]),
    ValidParseCase(
        name: "literal string keeps backslashes", text: #"p = 'C:\Users\me\n' # not an escape"#,
        entries: [entry("p", 1, .string(#"C:\Users\me\n"#))]),
    ValidParseCase(
        name: "strings with # and unicode", text: "s = \"a # b\"\nt = 'été 😀'",
        entries: [entry("s", 1, .string("a # b")), entry("t", 2, .string("été 😀"))]),
    ValidParseCase(
        name: "integers", text: "a = 0\nb = +5\nc = -17\nd = 1_000_000\ne = 0xff_ff\nf = 0o17\ng = 0b101\nh = -9223372036854775808",
        entries: [
            entry("a", 1, .integer(0)), entry("b", 2, .integer(5)), entry("c", 3, .integer(-17)),
            entry("d", 4, .integer(1_000_000)), entry("e", 5, .integer(0xffff)), entry("f", 6, .integer(0o17)),
            entry("g", 7, .integer(0b101)), entry("h", 8, .integer(Int.min)),
        ]),
    ValidParseCase(
        name: "floats", text: "a = 1.5\nb = -0.25\nc = 6.02e23\nd = 1E-3\ne = 1_000.5\nf = inf\ng = -inf\nh = 0.0",
        entries: [
            entry("a", 1, .double(1.5)), entry("b", 2, .double(-0.25)), entry("c", 3, .double(6.02e23)),
            entry("d", 4, .double(0.001)), entry("e", 5, .double(1000.5)), entry("f", 6, .double(.infinity)),
            entry("g", 7, .double(-.infinity)), entry("h", 8, .double(0)),
        ]),
    ValidParseCase(
        name: "booleans", text: "a = true\nb = false", entries: [entry("a", 1, .bool(true)), entry("b", 2, .bool(false))]),
    ValidParseCase(
        name: "arrays on one line", text: "a = []\nb = [ 'x', \"y\" ]\nc = [1, 2.5, true]",
        entries: [
            entry("a", 1, .array([])), entry("b", 2, .array([.string("x"), .string("y")])),
            entry("c", 3, .array([.integer(1), .double(2.5), .bool(true)])),
        ]),
    ValidParseCase(
        name: "array over several lines with comments and a trailing comma",
        text: "globs = [\n  \"*.swift\", # sources\n\n  # a comment line\n  'secrets/**',\n]\nnext = 1",
        entries: [entry("globs", 1, .array([.string("*.swift"), .string("secrets/**")])), entry("next", 7, .integer(1))]),
    ValidParseCase(
        name: "CRLF line breaks", text: "a = 1\r\n[t]\r\nb = [\r\n 2,\r\n]\r\nc = 3\r\n",
        entries: [entry("a", 1, .integer(1)), entry("t.b", 3, .array([.integer(2)])), entry("t.c", 6, .integer(3))]),
    ValidParseCase(
        name: "byte order mark", text: "\u{FEFF}a = 1", entries: [entry("a", 1, .integer(1))]),
    ValidParseCase(
        name: "no final line break", text: "[x]\ny = 'z'", entries: [entry("x.y", 2, .string("z"))]),
    ValidParseCase(
        name: "subtable header before its parent", text: "[a.b]\nc = 1\n[a]\nd = 2",
        entries: [entry("a.b.c", 2, .integer(1)), entry("a.d", 4, .integer(2))]),
]

private let invalidCases: [InvalidParseCase] = [
    InvalidParseCase(
        name: "inline table", text: "a = 1\nb = { c = 1 }",
        errors: [(2, "b", "inline tables are not supported; use a [table] header")], keys: ["a"]),
    InvalidParseCase(
        name: "array of tables", text: "x = 1\n\n[[servers]]\nname = 'a'",
        errors: [(3, nil, "arrays of tables ([[…]]) are not supported")], keys: ["x"]),
    InvalidParseCase(name: "date", text: "d = 1979-05-27", errors: [(1, "d", "dates and times are not supported")]),
    InvalidParseCase(
        name: "date-time", text: "\nd = 1979-05-27T07:32:00Z", errors: [(2, "d", "dates and times are not supported")]),
    InvalidParseCase(name: "time", text: "t = 07:32:00", errors: [(1, "t", "dates and times are not supported")]),
    InvalidParseCase(
        name: "multi-line basic string", text: "s = \"\"\"\nabc = 1\n\"\"\"\nt = 2",
        errors: [(1, "s", "multi-line strings")], keys: ["t"]),
    InvalidParseCase(name: "multi-line literal string", text: "s = '''x'''", errors: [(1, "s", "multi-line strings")]),
    InvalidParseCase(
        name: "duplicate key", text: "a = 1\nb = 2\na = 3",
        errors: [(3, "a", "duplicate key: set on line 1 and again on line 3")], keys: ["a", "b"]),
    InvalidParseCase(
        name: "duplicate key through a table", text: "log.level = 'a'\n\n[log]\nlevel = 'b'",
        errors: [(4, "log.level", "duplicate key: set on line 1 and again on line 4")], keys: ["log.level"]),
    InvalidParseCase(
        name: "table defined twice", text: "[log]\nlevel = 'a'\n[server]\n[log]\nfile = 'x'",
        errors: [(4, nil, "table [log] is defined twice, on line 1 and on line 4")], keys: ["log.level"]),
    InvalidParseCase(
        name: "value then table under it", text: "a = 1\na.b = 2",
        errors: [(2, "a.b", "a is already a value (line 1), so it cannot be a table")], keys: ["a"]),
    InvalidParseCase(
        name: "table then value over it", text: "a.b = 1\na = 2",
        errors: [(2, "a", "already a table (line 1), so it cannot be a value")], keys: ["a.b"]),
    InvalidParseCase(
        name: "header over a value", text: "a = 1\n[a]",
        errors: [(2, nil, "a is already a value (line 1), so it cannot be a table")], keys: ["a"]),
    InvalidParseCase(
        name: "unterminated basic string", text: "s = \"abc\nt = 1",
        errors: [(1, "s", "unterminated string")], keys: ["t"]),
    InvalidParseCase(
        name: "unterminated literal string", text: "s = 'abc", errors: [(1, "s", "unterminated string")]),
    InvalidParseCase(
        name: "unterminated array", text: "a = [1,\n  2,\n", errors: [(3, "a", "unterminated array (opened on line 1)")]),
    InvalidParseCase(name: "missing value", text: "a =\nb = 1", errors: [(1, "a", "expected a value after =")], keys: ["b"]),
    InvalidParseCase(name: "missing equals", text: "a 1", errors: [(1, "a", "expected = after the key")]),
    InvalidParseCase(name: "missing key", text: "= 1", errors: [(1, nil, "expected a key before =")]),
    InvalidParseCase(name: "unquoted string", text: "level = debug", errors: [(1, "level", "strings must be quoted")]),
    InvalidParseCase(
        name: "capitalized boolean", text: "a = True", errors: [(1, "a", "strings must be quoted")]),
    InvalidParseCase(name: "invalid escape", text: #"s = "a\qb""#, errors: [(1, "s", "invalid escape sequence")]),
    InvalidParseCase(name: "short unicode escape", text: #"s = "\u12""#, errors: [(1, "s", "\\u needs 4 hexadecimal digits")]),
    InvalidParseCase(
        name: "surrogate unicode escape", text: #"s = "\uD800""#, errors: [(1, "s", "not a Unicode scalar value")]),
    InvalidParseCase(name: "leading zeros", text: "a = 007", errors: [(1, "a", "leading zeros are not allowed")]),
    InvalidParseCase(name: "integer out of range", text: "a = 9223372036854775808", errors: [(1, "a", "integer out of range")]),
    InvalidParseCase(name: "double underscore", text: "a = 1__000", errors: [(1, "a", "invalid integer")]),
    InvalidParseCase(name: "trailing underscore", text: "a = 1_", errors: [(1, "a", "invalid integer")]),
    InvalidParseCase(name: "float without leading digit", text: "a = .5", errors: [(1, "a", "invalid float")]),
    InvalidParseCase(name: "float without fraction digits", text: "a = 5.", errors: [(1, "a", "invalid float")]),
    InvalidParseCase(name: "float without exponent digits", text: "a = 1e", errors: [(1, "a", "invalid float")]),
    InvalidParseCase(name: "signed hexadecimal", text: "a = -0xff", errors: [(1, "a", "cannot have a sign")]),
    InvalidParseCase(name: "bad hexadecimal digit", text: "a = 0xfg", errors: [(1, "a", "invalid integer")]),
    InvalidParseCase(
        name: "two values on a line", text: "a = 1 2", errors: [(1, "a", "expected the end of the line after the value")]),
    InvalidParseCase(
        name: "text after a header", text: "[a] b = 1", errors: [(1, nil, "expected the end of the line after the table header")]),
    InvalidParseCase(name: "unclosed header", text: "[a\nb = 1", errors: [(1, nil, "expected ] to close the table header")]),
    InvalidParseCase(
        name: "nested array", text: "a = [[1], [2]]", errors: [(1, "a", "nested arrays are not supported")]),
    InvalidParseCase(
        name: "inline table in an array", text: "a = [\n  { b = 1 },\n]\nc = 2",
        errors: [(2, "a", "inline tables are not supported")], keys: ["c"]),
    InvalidParseCase(
        name: "missing comma in an array", text: "a = [1 2]", errors: [(1, "a", "expected , or ] after an array element")]),
    InvalidParseCase(name: "empty array element", text: "a = [1,,2]", errors: [(1, "a", "expected a value before ,")]),
    InvalidParseCase(
        name: "control character in a string", text: "s = \"a\u{1}b\"",
        errors: [(1, "s", "control characters in strings must be escaped")]),
    InvalidParseCase(
        name: "keys under a bad header are skipped", text: "[bad\nx = 1\n[good]\ny = 2",
        errors: [(1, nil, "expected ] to close the table header")], keys: ["good.y"]),
    InvalidParseCase(
        name: "every error is reported and parsing goes on",
        text: "a = {x = 1}\nb = 2\nc = [1,\n  {y = 2},\n  3]\nd = 4\ne = nope\nf = 'ok'",
        errors: [
            (1, "a", "inline tables are not supported"), (4, "c", "inline tables are not supported"),
            (7, "e", "strings must be quoted"),
        ],
        keys: ["b", "d", "f"]),
    InvalidParseCase(
        name: "backslash at the end of a line", text: "s = \"abc\\\nt = 1\nu = {}",
        errors: [(1, "s", "unterminated string"), (3, "u", "inline tables")], keys: ["t"]),
    InvalidParseCase(
        name: "non-ASCII bare key", text: "clé = 1\n\"clé\" = 2",
        errors: [(1, nil, "bare keys use only letters, digits, _ and -")], keys: ["clé"]),
    InvalidParseCase(
        name: "lines count CRLF once", text: "a = 1\r\n\r\nb = {}\r\n", errors: [(3, "b", "inline tables")], keys: ["a"]),
]

@Suite("ConfigFileParser")
struct ConfigFileParserTests {
    @Test("valid inputs", arguments: validCases)
    func valid(_ row: ValidParseCase) {
        let result = ConfigFileParser.parse(row.text)
        #expect(result.errors == [])
        #expect(result.entries == row.entries)
    }

    @Test("invalid inputs name the line", arguments: invalidCases)
    func invalid(_ row: InvalidParseCase) {
        let result = ConfigFileParser.parse(row.text)
        #expect(result.errors.count == row.errors.count, "\(result.errors)")
        for (error, expected) in zip(result.errors, row.errors) {
            #expect(error.line == expected.line, "\(error)")
            #expect(error.key == expected.key, "\(error)")
            #expect(error.message.contains(expected.message), "\(error)")
        }
        #expect(result.entries.map(\.key) == row.keys)
    }

    @Test("nan parses as a float")
    func nan() {
        let result = ConfigFileParser.parse("a = nan")
        guard case .double(let value)? = result.entries.first?.value else {
            Issue.record("expected a float, got \(result)")
            return
        }
        #expect(value.isNaN)
    }

    @Test("random input never traps and every error names a real line", arguments: [11, 12, 13])
    func randomInput(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let pieces = [
            "a", "b.c", " = ", "=", "\"", "'", "\"\"\"", "'''", "\\", "\\u12", "[", "]", "[[", "{", "}", ",", "#",
            "\n", "\r\n", "\r", " ", "\t", "1", "-", "+", "0x", "1e", ".", "_", "true", "nan", "1979-05-27", ":", "é",
            "😀", "\u{0}",
        ]
        for _ in 0..<300 {
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                pieces.randomElement(using: &generator) ?? ""
            }.joined()
            let result = ConfigFileParser.parse(text)
            let lineCount = TextDocument(uri: "", languageID: "", version: 0, text: text).lineCount
            for error in result.errors {
                #expect((1...lineCount).contains(error.line), "\(error) in \(text.debugDescription)")
            }
            for entry in result.entries {
                #expect((1...lineCount).contains(entry.line), "\(entry) in \(text.debugDescription)")
            }
        }
    }

    @Test("syntax errors never quote the value", arguments: [
        "providers.openai.apiKey = sk-live-TOPSECRET-9f8e7d",
        "providers.openai.apiKey = \"sk-live-TOPSECRET-9f8e7d",
        "providers.openai.apiKey = \"sk-live-TOPSECRET-9f8e7d\\q\"",
        "providers.openai.apiKey = \"sk-live-TOPSECRET-9f8e7d\" trailing",
        "providers.openai.apiKey = [\"sk-live-TOPSECRET-9f8e7d\" 1]",
        "providers.openai.apiKey = { key = \"sk-live-TOPSECRET-9f8e7d\" }",
        "providers.openai.apiKey = 'sk-live-TOPSECRET-9f8e7d",
    ])
    func errorsDoNotQuoteValues(_ text: String) {
        let result = ConfigFileParser.parse(text)
        #expect(!result.errors.isEmpty)
        for error in result.errors {
            #expect(!error.description.contains("TOPSECRET"), "\(error)")
        }
    }
}
