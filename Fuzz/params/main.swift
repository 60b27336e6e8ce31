import AssistProtocol
import AssistTestSupport
import Foundation

// Sends requests with random and boundary parameters (`ParameterFuzzer`) for every method to a real
// `assist serve` over a small fixture repository whose local model is a stand-in, many in flight at
// once, and checks that each is answered (with a result or an error that is not internal) and that
// the daemon is still serving. Run by `scripts/fuzz params`.
//
//   assist-fuzz-params --assist PATH [--runs N | --seconds S] [--seed N]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz: params: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var assistPath: String?
var runs = Int.max
var seconds = 60.0
var seed = UInt64(Date().timeIntervalSince1970)
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard let value = arguments.first else { fail("\(flag) needs a value") }
    arguments.removeFirst()
    switch flag {
    case "--assist": assistPath = value
    case "--runs":
        guard let number = Int(value), number > 0 else { fail("--runs takes a whole number") }
        runs = number
        seconds = .infinity
    case "--seconds":
        guard let number = Double(value), number > 0 else { fail("--seconds takes a number") }
        seconds = number
    case "--seed":
        guard let number = UInt64(value) else { fail("--seed takes a whole number") }
        seed = number
    default: fail("unknown option \(flag)")
    }
}
guard let assistPath else { fail("--assist PATH is required") }
setenv("ASSIST_BINARY", assistPath, 1)

let answer = "```swift\\n    mutating func increment() {\\n        count += 1\\n    }\\n```\\n"
let model = try await StandInServer.start { request, _ in
    guard request.path.hasSuffix("/chat/completions") else { return .whole(status: 404, body: "{\"error\":{\"message\":\"no\"}}") }
    return .streamed([
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(answer)\"},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    ])
}
let fixture = try FixtureRepository.make(files: [
    "Sources/Counter.swift": "struct Counter {\n    var count = 0\n\n    mutating func increment() {\n        count = count + 1\n    }\n}\n",
    "Sources/Other.swift": "let other = 1\n",
])
defer { fixture.remove() }
let client = try TestClient.subprocess(workingDirectory: fixture.path, environment: [
    "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
    "ASSIST_PROVIDERS_LOCAL_BASE_URL": model.baseURL + "/v1",
    "ASSIST_PROVIDERS_LOCAL_MODEL": "stand-in",
    "ASSIST_PROVIDERS_LOCAL_CONTEXT_WINDOW": "8192",
    "ASSIST_LOG_LEVEL": "error",
])
guard (try await client.initialize(rootPath: fixture.path))["error"] == nil else { fail("initialize failed") }
let uris = ["Counter", "Other"].map { URL(fileURLWithPath: fixture.path + "/Sources/\($0).swift").absoluteString }
var fuzzer = ParameterFuzzer(root: fixture.path, knownURIs: uris, seed: seed)
let start = Date()
var sent = 0
var internalErrors = 0
while sent < runs, Date().timeIntervalSince(start) < seconds {
    var batch: [(RequestID, String, JSONValue?)] = []
    for _ in 0..<min(64, runs - sent) {
        let (method, params) = fuzzer.next()
        batch.append((client.sendRequest(method, params), method, params))
        sent += 1
    }
    for (id, method, params) in batch {
        let reply: JSONValue
        do {
            reply = try await client.response(to: id, timeout: 120)
        } catch {
            fail("\(sent) requests sent (seed \(seed)), crashes: 1: no answer to \(method) \(params.map { "\($0)".prefix(500) } ?? "nil"); the daemon's stderr ends: \(client.standardError.suffix(2_000))")
        }
        if case .integer(-32603)? = reply["error"]?["code"] {
            internalErrors += 1
            FileHandle.standardError.write(Data("fuzz: params: internal error for \(method) \(params.map { "\($0)".prefix(500) } ?? "nil"): \(reply)\n".utf8))
        }
    }
}
let status = try await client.request("assist/status")
guard status["result"] != nil else { fail("\(sent) requests sent (seed \(seed)), the daemon no longer answers assist/status") }
_ = try await client.shutdownAndExit()
await model.stop()
print("fuzz: params: \(sent) requests sent (seed \(seed)), crashes: 0, internal errors: \(internalErrors), \(Int(Date().timeIntervalSince(start)))s")
exit(internalErrors == 0 ? 0 : 1)
