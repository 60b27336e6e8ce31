import AssistProtocol
import Foundation

/// A small, seeded random number generator (SplitMix64), so that a fuzzing run can be replayed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator.
    /// - Parameter seed: The seed; the same seed gives the same numbers.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Makes requests for every method the daemon serves with random and boundary parameters: numbers
/// at the ends of their range and past the document, negative lines, wrong types, missing and
/// extra members, URIs outside the root, in `.git/`, of other schemes, and long or odd strings.
/// `shutdown` is left out (it would end the run); `initialize` is in (a second one must be refused).
public struct ParameterFuzzer: Sendable {
    /// The methods fuzzed.
    public static let methods: [String] = MethodRegistry.requests.map { $0.method }.filter { $0 != ShutdownRequest.method }

    /// URIs of files that exist in the repository served.
    public var knownURIs: [String]
    /// The repository's root, for URIs next to it.
    public var root: String
    private var random: SeededGenerator

    /// Creates a fuzzer.
    /// - Parameters:
    ///   - root: The repository's root.
    ///   - knownURIs: URIs of files in it.
    ///   - seed: The seed.
    public init(root: String, knownURIs: [String], seed: UInt64) {
        self.root = root
        self.knownURIs = knownURIs
        random = SeededGenerator(seed: seed)
    }

    /// The next request: a method and its parameters (absent, or any JSON value).
    public mutating func next() -> (method: String, params: JSONValue?) {
        let method = Self.methods.randomElement(using: &random)!
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return (method, nil)
        case 1: return (method, anyValue(depth: 0))
        default: return (method, params(for: method))
        }
    }

    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    private mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &random)! }

    /// An integer at a boundary, a small one, or a large one.
    private mutating func integer() -> JSONValue {
        switch Int.random(in: 0..<8, using: &random) {
        case 0: return .integer(pick([Int.min, Int.max, Int.max - 1, Int.min + 1]))
        case 1: return .integer(pick([-1, -2, -1_000_000]))
        case 2: return .integer(pick([Int(Int32.max), Int(Int32.max) + 1, 1 << 53, 1 << 31]))
        case 3: return .double(pick([1.5, -0.5, 1e300, -1e300]))
        case 4: return .integer(Int.random(in: 500...100_000, using: &random))
        default: return .integer(Int.random(in: 0...12, using: &random))
        }
    }

    /// A string that is empty, long, odd or ordinary.
    private mutating func string() -> JSONValue {
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return ""
        case 1: return .string(String(repeating: "x", count: Int.random(in: 1_000...120_000, using: &random)))
        case 2: return "\u{0}\u{1}\u{7F}"
        case 3: return "é🙂\u{202E}\u{FEFF}"
        case 4: return "../../../../etc/passwd"
        case 5: return "[REDACTED:awsAccessKey]"
        case 6: return "<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE"
        default: return .string(pick(["increment", "Counter", "count", "Counter.increment()", "use +=", "How does Counter work?", "rename count to total across the repository"]))
        }
    }

    private mutating func uri() -> JSONValue {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return .string(URL(fileURLWithPath: root + "/.git/config").absoluteString)
        case 1: return .string(URL(fileURLWithPath: root + "/../outside.swift").absoluteString)
        case 2: return "file:///etc/passwd"
        case 3: return "https://example.invalid/Counter.swift"
        case 4: return .string(URL(fileURLWithPath: root + "/Missing.swift").absoluteString)
        case 5: return string()
        case 6: return integer()
        default: return .string(knownURIs.randomElement(using: &random) ?? "file:///")
        }
    }

    private mutating func position() -> JSONValue {
        if chance(10) { return anyValue(depth: 1) }
        var members: [String: JSONValue] = [:]
        if !chance(5) { members["line"] = chance(60) ? .integer(Int.random(in: 0...12, using: &random)) : integer() }
        if !chance(5) { members["character"] = chance(60) ? .integer(Int.random(in: 0...20, using: &random)) : integer() }
        return .object(members)
    }

    private mutating func range() -> JSONValue {
        if chance(10) { return anyValue(depth: 1) }
        return .object(["start": position(), "end": position()])
    }

    private mutating func textDocument() -> JSONValue {
        chance(5) ? anyValue(depth: 1) : .object(["uri": uri()])
    }

    /// Parameters shaped like the method's, with each member sometimes left out, of the wrong type
    /// or at a boundary.
    private mutating func params(for method: String) -> JSONValue {
        var members: [String: JSONValue] = [:]
        func maybe(_ key: String, _ make: (inout ParameterFuzzer) -> JSONValue, present: Int = 80) {
            guard chance(present) else { return }
            members[key] = chance(8) ? anyValue(depth: 1) : make(&self)
        }
        switch method {
        case WorkspaceSymbolRequest.method:
            maybe("query", { $0.string() }, present: 95)
        case ClassifyRequest.method:
            maybe("instruction", { $0.string() }, present: 95)
            maybe("textDocument", { $0.textDocument() }, present: 60)
            maybe("range", { $0.range() }, present: 50)
        case DocstringRequest.method:
            maybe("textDocument", { $0.textDocument() }, present: 95)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: maybe("position", { $0.position() })
            case 1: maybe("symbol", { $0.string() })
            case 2: maybe("all", { _ in .bool(true) })
            default:
                maybe("position", { $0.position() })
                maybe("all", { $0.chance(50) ? .bool(true) : .bool(false) })
            }
        case CodeActionRequest.method:
            maybe("textDocument", { $0.textDocument() }, present: 95)
            maybe("range", { $0.range() }, present: 95)
            maybe("context", { $0.chance(50) ? ["diagnostics": []] : ["diagnostics": [], "only": ["refactor", "source"]] }, present: 90)
        case ExecuteCommandRequest.method:
            maybe("command", { $0.pick(["assist.docstring", "assist.refactor", "unknown.command"]) }, present: 95)
            maybe("arguments", { fuzzer in
                var argument: [String: JSONValue] = ["uri": fuzzer.uri()]
                if fuzzer.chance(50) { argument["line"] = fuzzer.integer() }
                if fuzzer.chance(30) { argument["range"] = fuzzer.range() }
                if fuzzer.chance(30) { argument["instruction"] = fuzzer.string() }
                if fuzzer.chance(20) { argument["all"] = .bool(true) }
                if fuzzer.chance(20) { argument["version"] = fuzzer.integer() }
                return fuzzer.chance(80) ? [.object(argument)] : [.object(argument), .object(argument)]
            })
        case RefactorRequest.method:
            maybe("textDocument", { $0.textDocument() }, present: 95)
            maybe("instruction", { $0.string() }, present: 90)
            maybe("range", { $0.range() }, present: 60)
            maybe("model", { $0.string() }, present: 10)
        case AskRequest.method:
            maybe("question", { $0.string() }, present: 95)
            maybe("textDocument", { $0.textDocument() }, present: 40)
            maybe("range", { $0.range() }, present: 30)
            maybe("partialResultToken", { $0.chance(50) ? $0.string() : $0.integer() }, present: 20)
        case InitializeRequest.method:
            maybe("processId", { $0.integer() })
            maybe("rootUri", { $0.uri() })
            maybe("capabilities", { $0.anyValue(depth: 1) })
        default:
            break
        }
        if chance(10) { members["workDoneToken"] = chance(50) ? string() : integer() }
        if chance(5) { members["unexpected"] = anyValue(depth: 1) }
        return .object(members)
    }

    /// Any JSON value, nested at most a few levels.
    private mutating func anyValue(depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(chance(50))
        case 2: return integer()
        case 3: return string()
        case 4: return .double(pick([0.0, -1.0, 3.25]))
        case 5: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in anyValue(depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for key in ["uri", "line", "range", "textDocument", "instruction"].shuffled(using: &random).prefix(Int.random(in: 0...3, using: &random)) {
                members[key] = anyValue(depth: depth + 1)
            }
            return .object(members)
        }
    }
}
