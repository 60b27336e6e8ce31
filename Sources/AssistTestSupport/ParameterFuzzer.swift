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

/// `assist serve` as a process over a small fixture repository whose local model is a stand-in that
/// answers every chat at once: the target of the parameter fuzzer, for the test suite and for
/// `scripts/fuzz params`.
public struct FuzzedDaemon: Sendable {
    public let model: StandInServer
    public let fixture: FixtureRepository
    public let client: TestClient
    /// `Sources/Counter.swift` (on disk) and `Sources/Other.swift` (open, with unsaved text).
    public let uris: [String]

    /// The text of `Sources/Counter.swift`.
    public static let counterSource = """
        struct Counter {
            var count = 0

            mutating func increment() {
                count = count + 1
            }
        }

        """

    /// Starts the stand-in model and the daemon, initializes it, and opens one buffer.
    /// - Throws: `TestClientError` when the daemon does not initialize.
    public static func start() async throws -> FuzzedDaemon {
        let model = try await StandInServer.start { request, _ in
            guard request.path.hasSuffix("/chat/completions") else {
                return .whole(status: 404, body: "{\"error\":{\"message\":\"no such path\"}}")
            }
            return .streamed([
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```swift\\n    mutating func increment() {\\n        count += 1\\n    }\\n```\\n\"},\"finish_reason\":null}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20}}\n\n",
                "data: [DONE]\n\n",
            ])
        }
        let fixture = try FixtureRepository.make(files: ["Sources/Counter.swift": counterSource, "Sources/Other.swift": "let other = 1\n"])
        let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1",
            "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
            "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
            "ASSIST_LOG_LEVEL": "error",
        ])
        let initialized = try await client.initialize(rootPath: fixture.path)
        guard initialized["error"] == nil else { throw TestClientError("initialize failed: \(initialized)") }
        let uris = ["Counter", "Other"].map { URL(fileURLWithPath: fixture.path + "/Sources/\($0).swift").absoluteString }
        client.notify("textDocument/didOpen", [
            "textDocument": ["uri": .string(uris[1]), "languageId": "swift", "version": 1, "text": "let other = 2\nlet more = 3\n"],
        ])
        return FuzzedDaemon(model: model, fixture: fixture, client: client, uris: uris)
    }

    /// What a fuzzing run saw.
    public struct Report: Sendable {
        public var sent = 0
        public var answered = 0
        public var errorsByCode: [Int: Int] = [:]
        /// The first few requests answered with an internal error (-32603), with the answer.
        public var internalErrors: [String] = []
        /// Why the run stopped early: a request that got no answer (the daemon died), or `nil`.
        public var lost: String?
    }

    /// Sends fuzzed requests, `window` in flight at once, and checks that each is answered.
    ///
    /// - Parameters:
    ///   - requests: The most requests.
    ///   - seconds: The longest run.
    ///   - seed: The fuzzer's seed.
    ///   - window: Requests in flight at once.
    /// - Returns: What it saw; it stops at the first request without an answer.
    public func fuzz(requests: Int, seconds: Double = .infinity, seed: UInt64, window: Int = 64) async -> Report {
        var fuzzer = ParameterFuzzer(root: fixture.path, knownURIs: uris, seed: seed)
        var report = Report()
        let start = Date()
        while report.sent < requests, Date().timeIntervalSince(start) < seconds {
            var batch: [(RequestID, String, JSONValue?)] = []
            for _ in 0..<min(window, requests - report.sent) {
                let (method, params) = fuzzer.next()
                batch.append((client.sendRequest(method, params), method, params))
                report.sent += 1
            }
            for (id, method, params) in batch {
                let shown = "\(method) \(params.map { "\($0)".prefix(500) } ?? "nil")"
                guard let reply = try? await client.response(to: id, timeout: 120) else {
                    report.lost = "no answer to \(shown) after \(report.sent) requests; the daemon's stderr ends: \(client.standardError.suffix(2_000))"
                    return report
                }
                report.answered += 1
                if case .integer(let code)? = reply["error"]?["code"] {
                    report.errorsByCode[code, default: 0] += 1
                    if code == -32603, report.internalErrors.count < 5 { report.internalErrors.append("\(shown): \(reply)") }
                }
            }
        }
        return report
    }

    /// Stops the stand-in and removes the fixture (the daemon is shut down by the caller).
    public func stop() async {
        await model.stop()
        fixture.remove()
    }
}
