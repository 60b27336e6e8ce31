import AssistCore
import AssistProtocol
import Foundation

/// The small conversions between wire values and the application's: URIs and paths, LSP ranges
/// and 1-based lines, text edits, the editor's options. Each is written once, here.
public enum WireValues {
    /// The path of a `file://` URI, percent-decoded, or `nil` for other schemes.
    ///
    /// - Parameter uri: The URI.
    /// - Returns: The absolute path.
    public static func filePath(fromURI uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return url.path(percentEncoded: false)
    }

    /// The `file://` URI of a path under a root.
    ///
    /// - Parameters:
    ///   - path: The path from the root.
    ///   - root: The root's absolute path.
    /// - Returns: The URI.
    public static func uri(of path: String, root: String) -> String {
        URL(fileURLWithPath: root).appendingPathComponent(path).absoluteString
    }

    /// `path` relative to `root`, or `nil` when it is outside.
    ///
    /// - Parameters:
    ///   - path: An absolute path.
    ///   - root: The root's absolute path.
    /// - Returns: The path from the root.
    public static func relativePath(_ path: String, root: String) -> String? {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// The 1-based inclusive lines an LSP range covers: an end at column 0 of a later line ends on
    /// the line before.
    ///
    /// - Parameter range: The range (0-based lines).
    /// - Returns: The lines.
    public static func lines(of range: AssistProtocol.Range) -> ClosedRange<Int> {
        let start = range.start.line + 1
        let end = range.end.character == 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1
        return start...max(start, end)
    }

    /// The 0-based index of a text's last line: its number of line breaks.
    ///
    /// - Parameter text: The text.
    /// - Returns: The index.
    public static func lastLine(of text: String) -> Int {
        text.utf8.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    /// Why a position cannot be used in a text, or `nil` when it can: lines and characters are
    /// 0-based and not negative, and the line is one of the text's (a character past the end of its
    /// line means the line's end, as LSP says).
    ///
    /// - Parameters:
    ///   - position: The position.
    ///   - text: The document's text.
    ///   - name: What the parameter is called, for the message.
    /// - Returns: The problem, in words.
    public static func problem(with position: Position, in text: String, name: String = "position") -> String? {
        if position.line < 0 || position.character < 0 {
            return "\(name) \(position.line):\(position.character) is negative; lines and characters are 0-based"
        }
        let last = lastLine(of: text)
        if position.line > last {
            return "\(name) is at line \(position.line), past the end of the document (its last line is \(last), 0-based)"
        }
        return nil
    }

    /// Why a range cannot be used in a text, or `nil` when it can: both ends are positions of the
    /// text and the end is not before the start.
    ///
    /// - Parameters:
    ///   - range: The range.
    ///   - text: The document's text.
    ///   - name: What the parameter is called, for the message.
    /// - Returns: The problem, in words.
    public static func problem(with range: AssistProtocol.Range, in text: String, name: String = "range") -> String? {
        if let problem = problem(with: range.start, in: text, name: "\(name).start") { return problem }
        if let problem = problem(with: range.end, in: text, name: "\(name).end") { return problem }
        if (range.end.line, range.end.character) < (range.start.line, range.start.character) {
            return "\(name) ends (\(range.end.line):\(range.end.character)) before it starts (\(range.start.line):\(range.start.character))"
        }
        return nil
    }

    /// The LSP edits that turn `old` into `new`.
    ///
    /// - Parameters:
    ///   - old: The text as read.
    ///   - new: The text after the change.
    /// - Returns: The edits, in document order.
    public static func textEdits(old: String, new: String) -> [TextEdit] {
        TextEdits.make(old: old, new: new).map { edit in
            TextEdit(
                range: Range(
                    start: Position(line: edit.range.start.line, character: edit.range.start.character),
                    end: Position(line: edit.range.end.line, character: edit.range.end.character)),
                newText: edit.newText)
        }
    }

    /// A text-sync change as the core's document takes it.
    ///
    /// - Parameter event: The change the editor sent.
    /// - Returns: The change.
    public static func textChange(_ event: TextDocumentContentChangeEvent) -> TextChange {
        TextChange(
            range: event.range.map {
                TextRange(
                    start: TextPosition(line: $0.start.line, character: $0.start.character),
                    end: TextPosition(line: $0.end.line, character: $0.end.character)
                )
            },
            text: event.text
        )
    }

    /// An editor's `initializationOptions` as dotted configuration keys: `{"server":
    /// {"maxMessageBytes": 1}}` → `server.maxMessageBytes`.
    ///
    /// - Parameter options: The options object.
    /// - Returns: The flattened values, and the keys whose values are not a string, number,
    ///   boolean or array of strings.
    public static func configurationOptions(_ options: JSONValue?) -> (values: [String: ConfigValue], unsupported: [String]) {
        var values: [String: ConfigValue] = [:]
        var unsupported: [String] = []
        if let options { flatten(options, prefix: "", into: &values, unsupported: &unsupported) }
        return (values, unsupported)
    }

    private static func flatten(_ value: JSONValue, prefix: String, into flat: inout [String: ConfigValue], unsupported: inout [String]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                flatten(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &flat, unsupported: &unsupported)
            }
        case .string(let string): flat[prefix] = .string(string)
        case .integer(let integer): flat[prefix] = .integer(integer)
        case .double(let double): flat[prefix] = .double(double)
        case .bool(let bool): flat[prefix] = .bool(bool)
        case .array(let elements):
            let strings = elements.compactMap(\.stringValue)
            if strings.count == elements.count { flat[prefix] = .strings(strings) } else { unsupported.append(prefix) }
        case .null:
            break
        }
    }
}
