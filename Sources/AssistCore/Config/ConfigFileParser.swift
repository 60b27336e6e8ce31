/// A value as written in a configuration file, before the schema gives it a type.
public enum ConfigFileValue: Sendable, Equatable {
    /// A basic (`"…"`) or literal (`'…'`) string.
    case string(String)
    /// An integer.
    case integer(Int)
    /// A float, including `inf` and `nan`.
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// An array of scalars.
    case array([ConfigFileValue])

    /// The kind of value with an article, as diagnostics name it, for example "a string".
    public var kindDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .double: return "a float"
        case .bool: return "a boolean"
        case .array: return "an array"
        }
    }
}

/// One `key = value` of a configuration file, with its full dotted key.
public struct ConfigFileEntry: Sendable, Equatable {
    /// The full dotted key: the table header's key followed by the line's key.
    public var key: String
    /// The value.
    public var value: ConfigFileValue
    /// The 1-based line the key is on.
    public var line: Int

    /// Creates an entry.
    /// - Parameters:
    ///   - key: The full dotted key.
    ///   - value: The value.
    ///   - line: The 1-based line the key is on.
    public init(key: String, value: ConfigFileValue, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// A syntax error in a configuration file.
public struct ConfigFileSyntaxError: Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line of the error.
    public var line: Int
    /// The full dotted key of the statement, when the error comes after its key.
    public var key: String?
    /// What is wrong; it never quotes the value.
    public var message: String

    /// Creates a syntax error.
    /// - Parameters:
    ///   - line: The 1-based line of the error.
    ///   - key: The full dotted key of the statement, if known.
    ///   - message: What is wrong.
    public init(line: Int, key: String? = nil, message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    /// The error as `line N: key: message`.
    public var description: String {
        "line \(line): " + (key.map { "\($0): " } ?? "") + message
    }
}

/// What ``ConfigFileParser/parse(_:)`` found: the entries in file order and the syntax errors.
public struct ConfigFileParseResult: Sendable, Equatable {
    /// The well-formed entries, in the order of the file; no key appears twice.
    public var entries: [ConfigFileEntry]
    /// The syntax errors, in the order of the file; a statement with an error has no entry.
    public var errors: [ConfigFileSyntaxError]
}

/// The parser of the configuration file format, a subset of TOML 1.0.
///
/// Supported:
/// - `# comments`, blank lines, `\n` and `\r\n` line breaks (a lone `\r` also ends a line);
/// - `[table]` and `[a.b]` headers, and `key = value` lines with dotted keys (`a.b = 1`);
///   keys are bare (`A-Z a-z 0-9 _ -`) or quoted;
/// - basic strings `"…"` with the escapes `\"` `\\` `\b` `\f` `\n` `\r` `\t` `\uXXXX` `\UXXXXXXXX`,
///   and literal strings `'…'`;
/// - integers with an optional sign and `_` between digits, and `0x`, `0o`, `0b` integers;
/// - floats (`1.5`, `-2e10`, `6.02_2e23`, `inf`, `nan`) and booleans;
/// - arrays of those scalars, which may span lines and end with a comma.
///
/// Not supported, each reported as an error naming the line: inline tables, arrays of tables,
/// nested arrays, multi-line strings, dates and times. Defining a key twice is an error that names
/// both lines. The parser never stops at the first error: it skips the bad statement and goes on,
/// so one run reports every error. Messages never quote a value, so a secret cannot leak into one.
public enum ConfigFileParser {
    /// Parses a configuration file.
    /// - Parameter text: The file's contents.
    /// - Returns: The entries and the syntax errors.
    public static func parse(_ text: String) -> ConfigFileParseResult {
        var parser = Parser(bytes: Array(text.utf8))
        parser.parseFile()
        return ConfigFileParseResult(entries: parser.entries, errors: parser.errors)
    }
}

// MARK: - Implementation

private struct SyntaxError: Error {
    var message: String
    var line: Int?
}

private struct Parser {
    let bytes: [UInt8]
    var position = 0
    var line = 1
    /// The current table's key path; `nil` after a bad header, until the next good one.
    var table: [String]? = []
    /// How many arrays are open where the parser is, for recovery after an error.
    var arrayDepth = 0

    var entries: [ConfigFileEntry] = []
    var errors: [ConfigFileSyntaxError] = []
    /// The line each full key was set on.
    var valueLines: [String: Int] = [:]
    /// The line each table (from a header or as the prefix of a dotted key) was first made on.
    var tableLines: [String: Int] = [:]
    /// The line each `[header]` was written on.
    var headerLines: [String: Int] = [:]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    // MARK: Bytes

    var atEnd: Bool { position >= bytes.count }
    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    var atNewline: Bool { current == UInt8(ascii: "\n") || current == UInt8(ascii: "\r") }

    mutating func consumeNewline() {
        if current == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { position += 1 }
        position += 1
        line += 1
    }

    mutating func skipSpaces() {
        while current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") { position += 1 }
    }

    mutating func skipComment() {
        while let byte = current, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") { position += 1 }
    }

    /// Skips spaces, comments and line breaks, as allowed inside arrays.
    mutating func skipSpacesCommentsAndNewlines() {
        while true {
            skipSpaces()
            if current == UInt8(ascii: "#") {
                skipComment()
            } else if atNewline {
                consumeNewline()
            } else {
                return
            }
        }
    }

    // MARK: Statements

    mutating func parseFile() {
        while true {
            skipSpaces()
            guard let byte = current else { return }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                consumeNewline()
                continue
            }
            if byte == UInt8(ascii: "#") {
                skipComment()
                continue
            }
            var key: String?
            do throws(SyntaxError) {
                if byte == UInt8(ascii: "[") {
                    table = nil  // until the header turns out to be good
                    let (path, headerLine) = try parseHeader()
                    defineTable(path, line: headerLine)
                } else {
                    let (path, value, valueLine) = try parseKeyValue(key: &key)
                    defineValue(path, value, line: valueLine)
                }
            } catch {
                errors.append(ConfigFileSyntaxError(line: error.line ?? line, key: key, message: error.message))
                recover()
            }
        }
    }

    /// Skips the rest of a bad statement: to the end of its line, or of its array.
    mutating func recover() {
        var depth = arrayDepth
        arrayDepth = 0
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                consumeNewline()
                if depth <= 0 { return }
            case UInt8(ascii: "#"):
                skipComment()
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                position += 1
                while let inner = current, inner != byte, !isNewline(inner) {
                    let escapesNext = inner == UInt8(ascii: "\\") && byte == UInt8(ascii: "\"")
                        && peek(1).map { !isNewline($0) } ?? false
                    position += escapesNext ? 2 : 1
                }
                if current == byte { position += 1 }
            case UInt8(ascii: "["):
                depth += 1
                position += 1
            case UInt8(ascii: "]"):
                depth -= 1
                position += 1
            default:
                position += 1
            }
        }
    }

    /// After a statement: spaces, an optional comment, then a line break or the end of the text.
    mutating func expectEndOfLine(after what: String) throws(SyntaxError) {
        skipSpaces()
        if current == UInt8(ascii: "#") { skipComment() }
        if atEnd { return }
        guard atNewline else {
            throw SyntaxError(message: "expected the end of the line after \(what)")
        }
        consumeNewline()
    }

    /// A `[header]` line, up to and including its line break.
    mutating func parseHeader() throws(SyntaxError) -> (path: [String], line: Int) {
        let headerLine = line
        position += 1  // [
        if current == UInt8(ascii: "[") {
            throw SyntaxError(message: "arrays of tables ([[…]]) are not supported; use a [table] header")
        }
        skipSpaces()
        let path = try parseKey()
        skipSpaces()
        guard current == UInt8(ascii: "]") else {
            throw SyntaxError(message: "expected ] to close the table header")
        }
        position += 1
        try expectEndOfLine(after: "the table header")
        return (path, headerLine)
    }

    /// A `key = value` line, up to and including its line break.
    mutating func parseKeyValue(key fullKey: inout String?) throws(SyntaxError) -> (
        path: [String], value: ConfigFileValue, line: Int
    ) {
        let statementLine = line
        let path = (table ?? []) + (try parseKey())
        fullKey = path.joined(separator: ".")
        skipSpaces()
        guard current == UInt8(ascii: "=") else {
            throw SyntaxError(message: "expected = after the key")
        }
        position += 1
        skipSpaces()
        let value = try parseValue()
        try expectEndOfLine(after: "the value")
        return (path, value, statementLine)
    }

    /// Makes a well-formed header the current table, unless it clashes with earlier lines.
    mutating func defineTable(_ path: [String], line headerLine: Int) {
        let name = path.joined(separator: ".")
        func fail(_ message: String) {
            errors.append(ConfigFileSyntaxError(line: headerLine, message: message))
        }
        if let first = headerLines[name] {
            return fail("table [\(name)] is defined twice, on line \(first) and on line \(headerLine)")
        }
        for end in 1...path.count {
            let prefix = path[..<end].joined(separator: ".")
            if let valueLine = valueLines[prefix] {
                return fail("\(prefix) is already a value (line \(valueLine)), so it cannot be a table")
            }
        }
        for end in 1...path.count {
            let prefix = path[..<end].joined(separator: ".")
            if tableLines[prefix] == nil { tableLines[prefix] = headerLine }
        }
        headerLines[name] = headerLine
        table = path
    }

    /// Records a well-formed `key = value`, unless it clashes with earlier lines.
    mutating func defineValue(_ path: [String], _ value: ConfigFileValue, line valueLine: Int) {
        guard table != nil else { return }  // under a bad header, which is already reported
        let name = path.joined(separator: ".")
        func fail(_ message: String) {
            errors.append(ConfigFileSyntaxError(line: valueLine, key: name, message: message))
        }
        if let first = valueLines[name] {
            return fail("duplicate key: set on line \(first) and again on line \(valueLine)")
        }
        if let tableLine = tableLines[name] {
            return fail("already a table (line \(tableLine)), so it cannot be a value")
        }
        for end in 1..<path.count {
            let prefix = path[..<end].joined(separator: ".")
            if let otherLine = valueLines[prefix] {
                return fail("\(prefix) is already a value (line \(otherLine)), so it cannot be a table")
            }
        }
        for end in 1..<path.count {
            let prefix = path[..<end].joined(separator: ".")
            if tableLines[prefix] == nil { tableLines[prefix] = valueLine }
        }
        valueLines[name] = valueLine
        entries.append(ConfigFileEntry(key: name, value: value, line: valueLine))
    }

    func isNewline(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }

    // MARK: Keys

    /// A dotted key: simple keys separated by `.`, with optional spaces around the dots.
    mutating func parseKey() throws(SyntaxError) -> [String] {
        var path = [try parseSimpleKey()]
        while true {
            let save = position
            skipSpaces()
            guard current == UInt8(ascii: ".") else {
                position = save
                return path
            }
            position += 1
            skipSpaces()
            path.append(try parseSimpleKey())
        }
    }

    mutating func parseSimpleKey() throws(SyntaxError) -> String {
        switch current {
        case UInt8(ascii: "\""):
            return try parseBasicString()
        case UInt8(ascii: "'"):
            return try parseLiteralString()
        default:
            let start = position
            while let byte = current, Parser.isBareKeyByte(byte) { position += 1 }
            guard position > start else {
                if current == UInt8(ascii: "=") { throw SyntaxError(message: "expected a key before =") }
                throw SyntaxError(message: "expected a key (letters, digits, _ and -, or a quoted key)")
            }
            if let next = current, !" \t=.]#\n\r".utf8.contains(next) {
                throw SyntaxError(message: "bare keys use only letters, digits, _ and -; put other keys in quotes")
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    // MARK: Values

    mutating func parseValue() throws(SyntaxError) -> ConfigFileValue {
        guard let byte = current, !isNewline(byte), byte != UInt8(ascii: "#") else {
            throw SyntaxError(message: "expected a value after =")
        }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return .string(byte == UInt8(ascii: "\"") ? try parseBasicString() : try parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "{"):
            throw SyntaxError(message: "inline tables are not supported; use a [table] header")
        default:
            return try parseBareValue()
        }
    }

    mutating func parseArray() throws(SyntaxError) -> ConfigFileValue {
        let openLine = line
        position += 1  // [
        arrayDepth += 1
        var elements: [ConfigFileValue] = []
        while true {
            skipSpacesCommentsAndNewlines()
            guard let byte = current else {
                throw SyntaxError(message: "unterminated array (opened on line \(openLine))")
            }
            if byte == UInt8(ascii: "]") { break }
            if byte == UInt8(ascii: "[") {
                throw SyntaxError(message: "nested arrays are not supported; arrays hold strings, numbers or booleans")
            }
            if byte == UInt8(ascii: ",") {
                throw SyntaxError(message: "expected a value before , in the array")
            }
            elements.append(try parseValue())
            skipSpacesCommentsAndNewlines()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if current == UInt8(ascii: "]") { break }
            if atEnd { throw SyntaxError(message: "unterminated array (opened on line \(openLine))") }
            throw SyntaxError(message: "expected , or ] after an array element")
        }
        position += 1  // ]
        arrayDepth -= 1
        return .array(elements)
    }

    mutating func parseBasicString() throws(SyntaxError) -> String {
        if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
            throw skipMultilineString(
                message: "multi-line strings (\"\"\"…\"\"\") are not supported; use \\n in a \"…\" string")
        }
        position += 1  // "
        var result: [UInt8] = []
        while true {
            guard let byte = current, !isNewline(byte) else {
                throw SyntaxError(message: "unterminated string: a \"…\" string must end on the same line")
            }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try appendEscape(to: &result)
            default:
                guard byte >= 0x20 || byte == UInt8(ascii: "\t"), byte != 0x7F else {
                    throw SyntaxError(message: "control characters in strings must be escaped")
                }
                result.append(byte)
            }
        }
    }

    mutating func appendEscape(to result: inout [UInt8]) throws(SyntaxError) {
        guard let escape = current, !isNewline(escape) else {
            throw SyntaxError(message: "unterminated string: a \"…\" string must end on the same line")
        }
        position += 1
        let simple: UInt8?
        switch escape {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = UInt8(ascii: "\n")
        case UInt8(ascii: "r"): simple = UInt8(ascii: "\r")
        case UInt8(ascii: "t"): simple = UInt8(ascii: "\t")
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            simple = nil
        default:
            throw SyntaxError(
                message: "invalid escape sequence; use \\\" \\\\ \\b \\f \\n \\r \\t \\uXXXX or \\UXXXXXXXX, or a '…' literal string")
        }
        if let simple {
            result.append(simple)
            return
        }
        let digits = escape == UInt8(ascii: "u") ? 4 : 8
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = current, let digit = Parser.hexValue(byte) else {
                throw SyntaxError(message: "\\u needs 4 hexadecimal digits and \\U needs 8")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw SyntaxError(message: "the \\u or \\U escape is not a Unicode scalar value")
        }
        result.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Skips an unsupported multi-line string, so that its lines do not read as statements, and
    /// returns the error to throw for the line it started on.
    mutating func skipMultilineString(message: String) -> SyntaxError {
        let startLine = line
        let quote = bytes[position]
        position += 3
        while let byte = current {
            if byte == quote, peek(1) == quote, peek(2) == quote {
                position += 3
                while current == quote { position += 1 }
                break
            }
            if isNewline(byte) { consumeNewline() } else { position += 1 }
        }
        return SyntaxError(message: message, line: startLine)
    }

    mutating func parseLiteralString() throws(SyntaxError) -> String {
        if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
            throw skipMultilineString(message: "multi-line strings ('''…''') are not supported; use a \"…\" string")
        }
        position += 1  // '
        let start = position
        while true {
            guard let byte = current, !isNewline(byte) else {
                throw SyntaxError(message: "unterminated string: a '…' string must end on the same line")
            }
            if byte == UInt8(ascii: "'") { break }
            guard byte >= 0x20 || byte == UInt8(ascii: "\t"), byte != 0x7F else {
                throw SyntaxError(message: "control characters are not allowed in '…' strings")
            }
            position += 1
        }
        let string = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1  // '
        return string
    }

    /// Booleans, numbers, and the things that look like them but are not supported.
    mutating func parseBareValue() throws(SyntaxError) -> ConfigFileValue {
        let start = position
        while let byte = current, Parser.isBareValueByte(byte) { position += 1 }
        let token = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !token.isEmpty else {
            throw SyntaxError(message: "expected a value: a \"string\", a number, true, false or an [array]")
        }
        switch token {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .double(.infinity)
        case "-inf": return .double(-.infinity)
        case "nan", "+nan", "-nan": return .double(.nan)
        default: break
        }
        if Parser.looksLikeDateOrTime(token) {
            throw SyntaxError(message: "dates and times are not supported; write them as a \"string\"")
        }
        guard let first = token.unicodeScalars.first,
            first == "+" || first == "-" || first == "." || ("0"..."9").contains(first)
        else {
            throw SyntaxError(message: "expected a value: strings must be quoted, as in \"…\" or '…'")
        }
        return try Parser.number(token)
    }

    static func isBareValueByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    static func looksLikeDateOrTime(_ token: String) -> Bool {
        let scalars = Array(token.unicodeScalars)
        if scalars.contains(":") { return true }
        // YYYY-MM-DD
        return scalars.count >= 10 && scalars[4] == "-" && scalars[7] == "-"
            && scalars[0..<4].allSatisfy { ("0"..."9").contains($0) }
    }

    static func number(_ token: String) throws(SyntaxError) -> ConfigFileValue {
        var body = Substring(token)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        if body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b") {
            guard body.count == token.count else {
                throw SyntaxError(message: "hexadecimal, octal and binary integers cannot have a sign")
            }
            let radix = body.hasPrefix("0x") ? 16 : body.hasPrefix("0o") ? 8 : 2
            let digits = body.dropFirst(2)
            guard let cleaned = withoutUnderscores(digits, isDigit: { $0.isASCII && ($0.hexDigitValue.map { $0 < radix } ?? false) })
            else { throw SyntaxError(message: "invalid integer") }
            guard let value = Int(cleaned, radix: radix) else {
                throw SyntaxError(message: "integer out of range (the largest is \(Int.max))")
            }
            return .integer(value)
        }
        let isFloat = body.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        guard let cleaned = withoutUnderscores(body, isDigit: { $0.isASCII && $0.isNumber }, allowFloat: isFloat) else {
            throw SyntaxError(message: isFloat ? "invalid float" : "invalid integer")
        }
        let integerPart = cleaned.prefix { $0.isASCII && $0.isNumber }
        if integerPart.count > 1, integerPart.first == "0" {
            throw SyntaxError(message: "leading zeros are not allowed in numbers")
        }
        if isFloat {
            guard isValidFloat(cleaned), let value = Double(cleaned) else {
                throw SyntaxError(message: "invalid float: write digits on both sides of the point, as in 0.5")
            }
            return .double(negative ? -value : value)
        }
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw SyntaxError(message: "invalid integer")
        }
        guard let value = Int((negative ? "-" : "") + cleaned) else {
            throw SyntaxError(message: "integer out of range (\(Int.min) to \(Int.max))")
        }
        return .integer(value)
    }

    /// The digits without `_`, or `nil` when an underscore is not between two digits.
    static func withoutUnderscores(
        _ text: Substring, isDigit: (Character) -> Bool, allowFloat: Bool = false
    ) -> String? {
        let characters = Array(text)
        guard !characters.isEmpty else { return nil }
        var result = ""
        for (i, character) in characters.enumerated() {
            if character == "_" {
                guard i > 0, i + 1 < characters.count, isDigit(characters[i - 1]), isDigit(characters[i + 1]) else {
                    return nil
                }
                continue
            }
            guard isDigit(character) || (allowFloat && "+-.eE".contains(character)) else { return nil }
            result.append(character)
        }
        return result
    }

    /// `digits [. digits] [(e|E) [+|-] digits]`, with a fraction or an exponent.
    static func isValidFloat(_ text: String) -> Bool {
        var scalars = Substring(text)[...]
        func digits() -> Int {
            let count = scalars.prefix { $0.isASCII && $0.isNumber }.count
            scalars = scalars.dropFirst(count)
            return count
        }
        guard digits() > 0 else { return false }
        var hasFraction = false
        if scalars.first == "." {
            scalars = scalars.dropFirst()
            guard digits() > 0 else { return false }
            hasFraction = true
        }
        var hasExponent = false
        if let e = scalars.first, e == "e" || e == "E" {
            scalars = scalars.dropFirst()
            if let sign = scalars.first, sign == "+" || sign == "-" { scalars = scalars.dropFirst() }
            guard digits() > 0 else { return false }
            hasExponent = true
        }
        return scalars.isEmpty && (hasFraction || hasExponent)
    }
}
