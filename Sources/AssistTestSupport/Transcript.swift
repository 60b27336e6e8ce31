import AssistProtocol
import Foundation

/// Matches a message against a pattern from a `protocol/examples` transcript.
///
/// Every key of a pattern object must be present and match; other keys are ignored. Arrays match
/// element-wise and must have the same length. The strings `<any>`, `<string>`, `<number>`,
/// `<bool>`, `<object>` are wildcards, and `<absent>` requires the key to be missing.
public enum JSONPattern {
    /// Checks a value against a pattern.
    ///
    /// - Parameters:
    ///   - pattern: The expected shape.
    ///   - actual: The value received (`nil` when the key is missing).
    ///   - path: Where in the message this is, for the report.
    /// - Returns: `nil` when it matches, else a description of the first mismatch.
    public static func mismatch(_ pattern: JSONValue, _ actual: JSONValue?, path: String = "$") -> String? {
        if case .string(let wildcard) = pattern, wildcard.hasPrefix("<"), wildcard.hasSuffix(">") {
            switch (wildcard, actual) {
            case ("<absent>", nil): return nil
            case ("<absent>", let value?): return "\(path): expected no value, got \(value)"
            case (_, nil): return "\(path): missing (expected \(wildcard))"
            case ("<any>", _): return nil
            case ("<string>", .string?), ("<bool>", .bool?), ("<object>", .object?): return nil
            case ("<number>", .integer?), ("<number>", .double?): return nil
            default: return "\(path): expected \(wildcard), got \(actual!)"
            }
        }
        guard let actual else { return "\(path): missing (expected \(pattern))" }
        switch (pattern, actual) {
        case (.object(let expected), .object(let members)):
            for key in expected.keys.sorted() {
                if let problem = mismatch(expected[key]!, members[key], path: "\(path).\(key)") { return problem }
            }
            return nil
        case (.array(let expected), .array(let elements)):
            guard expected.count == elements.count else {
                return "\(path): expected \(expected.count) elements, got \(elements.count): \(actual)"
            }
            for (index, element) in elements.enumerated() {
                if let problem = mismatch(expected[index], element, path: "\(path)[\(index)]") { return problem }
            }
            return nil
        case (.integer(let a), .double(let b)), (.double(let b), .integer(let a)):
            return Double(a) == b ? nil : "\(path): expected \(pattern), got \(actual)"
        default:
            return pattern == actual ? nil : "\(path): expected \(pattern), got \(actual)"
        }
    }

    /// Replaces every string equal to a key of `substitutions` (or containing it) in a value.
    ///
    /// - Parameters:
    ///   - value: A message or pattern.
    ///   - substitutions: Placeholder → replacement, e.g. `$ROOT_URI` → `file:///tmp/x`.
    /// - Returns: The value with placeholders replaced.
    public static func substitute(_ value: JSONValue, _ substitutions: [(String, String)]) -> JSONValue {
        switch value {
        case .string(var string):
            for (placeholder, replacement) in substitutions { string = string.replacingOccurrences(of: placeholder, with: replacement) }
            return .string(string)
        case .array(let elements): return .array(elements.map { substitute($0, substitutions) })
        case .object(let members): return .object(members.mapValues { substitute($0, substitutions) })
        default: return value
        }
    }
}

/// A recorded conversation with the daemon, from `protocol/examples/*.json`.
public struct Transcript: Decodable, Sendable {
    public enum Step: Decodable, Sendable {
        case send(JSONValue)
        case sendRaw(String)
        case expect(JSONValue)
        case closeInput
        case expectExit(Int32)

        private enum Key: String, CodingKey { case send, sendRaw, expect, closeInput, expectExit }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let value = try container.decodeIfPresent(JSONValue.self, forKey: .send) {
                self = .send(value)
            } else if let raw = try container.decodeIfPresent(String.self, forKey: .sendRaw) {
                self = .sendRaw(raw)
            } else if let pattern = try container.decodeIfPresent(JSONValue.self, forKey: .expect) {
                self = .expect(pattern)
            } else if try container.decodeIfPresent(Bool.self, forKey: .closeInput) == true {
                self = .closeInput
            } else if let code = try container.decodeIfPresent(Int32.self, forKey: .expectExit) {
                self = .expectExit(code)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown step: expected one of send, sendRaw, expect, closeInput, expectExit"))
            }
        }
    }

    public var description: String
    public var steps: [Step]

    /// Plays the transcript against a client.
    ///
    /// - Parameters:
    ///   - client: A client connected to a fresh daemon.
    ///   - root: The repository path, substituted for `$ROOT` (and its URI for `$ROOT_URI`).
    ///   - timeout: Seconds to wait for each expected message or exit.
    /// - Returns: The failures, empty when every step held.
    public func replay(on client: TestClient, root: String, timeout: Double = 60) async -> [String] {
        let substitutions = [("$ROOT_URI", URL(fileURLWithPath: root).absoluteString), ("$ROOT", root)]
        var failures: [String] = []
        for (index, step) in steps.enumerated() {
            switch step {
            case .send(let message):
                client.send(JSONPattern.substitute(message, substitutions))
            case .sendRaw(let raw):
                client.sendRaw(raw)
            case .expect(let pattern):
                guard let message = await client.nextMessage(timeout: timeout) else {
                    failures.append("step \(index): no message within \(timeout) s (expected \(pattern))")
                    return failures
                }
                if let problem = JSONPattern.mismatch(JSONPattern.substitute(pattern, substitutions), message) {
                    failures.append("step \(index): \(problem)\n  message: \(message)")
                }
            case .closeInput:
                client.closeInput()
            case .expectExit(let code):
                guard let actual = await client.waitForExit(timeout: timeout) else {
                    failures.append("step \(index): the daemon did not exit within \(timeout) s")
                    return failures
                }
                if actual != code { failures.append("step \(index): exit code \(actual), expected \(code)") }
            }
        }
        return failures
    }
}
