// assist-backend-bench: the same prompts through assist's OpenAI-compatible client and through
// `curl` straight to the same managed `llama-server`, alternated in one run: for each prompt an
// unmeasured request puts it in the server's prompt cache, then curl, assist, assist, curl, so
// drift and the cache treat both alike.
//
//   swift run -c release assist-backend-bench [--model qwen2.5-coder-0.5b|smollm2-135m] [--prompts N] [--max-tokens N] [--floor-only]
//
// Both sides stream. curl's times come from its own trace clock (`--trace-time`), from sending the
// request to the first content delta and to the last byte, so its process start is not counted.
// assist's times run from calling `chat` to the first text event and to the end of the stream.
//
// A second part replays one recorded answer (48 deltas, 5 ms apart) from a stand-in HTTP server to
// both clients: with no model in the way, the difference is the client's own cost per request.

import AssistBackends
import AssistCore
import AssistLocalModel
import AssistTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var model = "qwen2.5-coder-0.5b"
    var prompts = 20
    var maxTokens = 48
    var floorOnly = false

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--model": model = iterator.next() ?? model
            case "--prompts": prompts = iterator.next().flatMap(Int.init) ?? prompts
            case "--max-tokens": maxTokens = iterator.next().flatMap(Int.init) ?? maxTokens
            case "--floor-only": floorOnly = true
            case "-h", "--help":
                print("usage: assist-backend-bench [--model qwen2.5-coder-0.5b|smollm2-135m] [--prompts N (≤ 20)] [--max-tokens N] [--floor-only]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("assist-backend-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
        prompts = max(1, min(prompts, Self.all.count))
    }

    /// Twenty short requests of the kind the daemon sends to the local model.
    static let all = [
        "Write a one-line DocC summary for: func clamp(_ value: Int, to range: ClosedRange<Int>) -> Int",
        "What does `defer` do in Swift? One sentence.",
        "Write a Swift function that reverses the words in a string.",
        "Explain the difference between a struct and a class in Swift in two sentences.",
        "Write a DocC comment for: public init(capacity: Int) throws",
        "Name three uses of Swift's `Result` type.",
        "Write a Swift extension on Array that returns every second element.",
        "What is a retain cycle and how does `weak` break it?",
        "Write a one-line summary for: mutating func removeAll(where shouldBeRemoved: (Element) throws -> Bool) rethrows",
        "Give a Swift example of `guard let` with an early return.",
        "Write a Swift enum for HTTP methods with a raw String value.",
        "What does `@inlinable` mean on a public Swift function?",
        "Write a DocC comment for: public func write(_ bytes: [UInt8]) async throws -> Int",
        "Convert this to a Swift switch: if x == 1 { a() } else if x == 2 { b() } else { c() }",
        "Explain `Sendable` in one paragraph.",
        "Write a Swift function that checks whether a string is a palindrome.",
        "Write a one-line summary for: func index(after i: Index) -> Index",
        "What does `some View` mean in Swift?",
        "Write a Swift property wrapper that clamps an Int to 0...100.",
        "Write a DocC comment for: public subscript(position: Int) -> UInt8 { get }",
    ]
}

/// One measured request.
struct Sample {
    var firstToken: Double
    var total: Double
    var completionTokens: Int
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The request body assist's client sends, for curl.
func curlBody(prompt: String, model: String, maxTokens: Int) throws -> Data {
    try JSONSerialization.data(withJSONObject: [
        "model": model, "messages": [["role": "user", "content": prompt]], "stream": true,
        "stream_options": ["include_usage": true], "max_tokens": maxTokens, "temperature": 0,
    ] as [String: Any])
}

/// Runs curl once and reads its trace: send → first content delta → last byte.
func viaCurl(url: String, body: Data, scratch: URL) throws -> Sample {
    let bodyFile = scratch.appendingPathComponent("body.json")
    let traceFile = scratch.appendingPathComponent("trace.txt")
    let outFile = scratch.appendingPathComponent("out.txt")
    try body.write(to: bodyFile)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "curl", "-sS", "-N", "--trace-ascii", traceFile.path, "--trace-time", "-o", outFile.path,
        "-H", "Content-Type: application/json", "--data-binary", "@" + bodyFile.path, url,
    ]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError("curl exited with \(process.terminationStatus)") }
    let trace = try String(contentsOf: traceFile, encoding: .utf8)
    // The trace is blocks: a time-stamped header ("=> Send header", "<= Recv data, 285 bytes"),
    // then the bytes as "0000: text" lines wrapped at 64 characters. A received block's text is
    // joined again before looking for the first content delta.
    var sent: Double?, first: Double?, last: Double?
    var block: (stamp: Double, receiving: Bool, text: String)?
    func close() {
        guard let current = block, current.receiving else { return }
        last = current.stamp
        if first == nil, current.text.contains("\"content\":\""), current.text.range(of: #""content":"[^"]"#, options: .regularExpression) != nil {
            first = current.stamp
        }
    }
    for line in trace.split(separator: "\n", omittingEmptySubsequences: true) {
        if let stamp = timestamp(line) {
            close()
            if line.contains("=> Send header"), sent == nil { sent = stamp }
            block = (stamp, line.contains("<= Recv data"), "")
        } else if let colon = line.firstIndex(of: ":"), line[..<colon].allSatisfy(\.isHexDigit) {
            block?.text += line[line.index(after: colon)...].dropFirst()
        }
    }
    close()
    guard let sent, let first, let last else { throw BenchError("curl's trace had no answer (see \(traceFile.path))") }
    let output = try String(contentsOf: outFile, encoding: .utf8)
    return Sample(firstToken: first - sent, total: last - sent, completionTokens: completionTokens(inSSE: output))
}

/// `HH:MM:SS.ffffff` at the start of a trace line, as seconds of the day.
func timestamp(_ line: Substring) -> Double? {
    let parts = line.prefix(15).split(separator: ":")
    guard line.count > 15, parts.count == 3, let hours = Double(parts[0]), let minutes = Double(parts[1]), let rest = Double(parts[2])
    else { return nil }
    return hours * 3600 + minutes * 60 + rest
}

func completionTokens(inSSE text: String) -> Int {
    for line in text.split(separator: "\n").reversed() where line.contains("\"usage\"") {
        guard let data = line.dropFirst("data: ".count).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let usage = object["usage"] as? [String: Any], let tokens = usage["completion_tokens"] as? Int
        else { continue }
        return tokens
    }
    return 0
}

/// One request through assist's client.
func viaAssist(_ backend: any ChatBackend, prompt: String, maxTokens: Int) async throws -> Sample {
    let request = ChatRequest(messages: [.user(prompt)], maxTokens: maxTokens, temperature: 0, streaming: true)
    let start = ContinuousClock.now
    var first: Double?
    var tokens = 0
    for try await event in backend.chat(request) {
        switch event {
        case .text(let text) where first == nil && !text.isEmpty: first = seconds(since: start)
        case .usage(let usage): tokens = usage.completionTokens
        default: break
        }
    }
    let total = seconds(since: start)
    return Sample(firstToken: first ?? total, total: total, completionTokens: tokens)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let rank = p * Double(sorted.count - 1)
    let low = Int(rank.rounded(.down)), high = Int(rank.rounded(.up))
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func run() async throws {
    let options = Options(arguments: CommandLine.arguments)
    if options.floorOnly {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assist-backend-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try await clientFloor(scratch: scratch, rounds: 20)
        return
    }
    let environment = ProcessInfo.processInfo.environment
    let cache = LocalModelCache.default(environment: environment, homeDirectory: FileManager.default.homeDirectoryForCurrentUser.path)
    guard let spec = LocalModelSpec.all.first(where: { $0.id == options.model }) else {
        throw BenchError("unknown model \(options.model); choose \(LocalModelSpec.all.map(\.id).joined(separator: " or "))")
    }
    let server = ManagedLlamaServer(configuration: try await ManagedLlamaServer.Configuration.installed(in: cache, model: spec))
    FileHandle.standardError.write(Data("starting llama-server with \(spec.id)…\n".utf8))
    let endpoint = try await server.endpoint()
    defer { Task { await server.stop() } }
    let baseURL = endpoint.baseURL.absoluteString + "/v1"
    let settings = BackendSettings(
        name: "local", baseURL: baseURL, model: spec.id, apiKey: nil, keySource: "none",
        connectTimeout: .seconds(5), readTimeout: .seconds(300),
        retry: RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(100), maxDelay: .seconds(1)),
        maxConcurrentRequests: 1, contextWindow: endpoint.contextWindow)
    let backend = BackendFactory.make(.local, settings: settings)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assist-backend-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let url = baseURL + "/chat/completions"

    // One unmeasured request each way: loads the model's pages and opens assist's connection.
    let warm = Options.all[0]
    _ = try viaCurl(url: url, body: try curlBody(prompt: warm, model: spec.id, maxTokens: 8), scratch: scratch)
    _ = try await viaAssist(backend, prompt: warm, maxTokens: 8)

    var curl: [Sample] = [], assist: [Sample] = []
    var mismatched = 0
    print("prompt  curl ttft/total ms   assist ttft/total ms   tokens")
    for (index, prompt) in Options.all.prefix(options.prompts).enumerated() {
        let body = try curlBody(prompt: prompt, model: spec.id, maxTokens: options.maxTokens)
        // Unmeasured: puts this prompt in the server's cache, so all four measured runs find it there.
        _ = try viaCurl(url: url, body: try curlBody(prompt: prompt, model: spec.id, maxTokens: 1), scratch: scratch)
        let c1 = try viaCurl(url: url, body: body, scratch: scratch)
        let a1 = try await viaAssist(backend, prompt: prompt, maxTokens: options.maxTokens)
        let a2 = try await viaAssist(backend, prompt: prompt, maxTokens: options.maxTokens)
        let c2 = try viaCurl(url: url, body: body, scratch: scratch)
        let c = Sample(firstToken: (c1.firstToken + c2.firstToken) / 2, total: (c1.total + c2.total) / 2, completionTokens: c1.completionTokens)
        let a = Sample(firstToken: (a1.firstToken + a2.firstToken) / 2, total: (a1.total + a2.total) / 2, completionTokens: a1.completionTokens)
        if Set([c1.completionTokens, c2.completionTokens, a1.completionTokens, a2.completionTokens]).count != 1 { mismatched += 1 }
        curl.append(c)
        assist.append(a)
        print(String(format: "%6d  %8.1f / %8.1f   %8.1f / %8.1f   %d", index + 1, c.firstToken * 1000, c.total * 1000, a.firstToken * 1000, a.total * 1000, a.completionTokens))
    }
    let added = zip(assist, curl).map { ($0.total - $1.total) * 1000 }
    let ttftRatio = percentile(assist.map(\.firstToken), 0.5) / percentile(curl.map(\.firstToken), 0.5)
    let ttftPaired = zip(assist, curl).map { $0.firstToken / $1.firstToken }
    func rate(_ samples: [Sample]) -> Double {
        let tokens = samples.map(\.completionTokens).reduce(0, +)
        let time = samples.map { $0.total - $0.firstToken }.reduce(0, +)
        return Double(max(0, tokens - samples.count)) / time
    }
    print("")
    print("model \(spec.id), \(options.prompts) prompts, max \(options.maxTokens) tokens, each prompt curl, assist, assist, curl")
    print("added latency per request (assist − curl, paired): median \(format(percentile(added, 0.5), 2)) ms, mean \(format(added.reduce(0, +) / Double(added.count), 2)) ms, p90 \(format(percentile(added, 0.9), 2)) ms   (goal < 2 ms)")
    print("time to first token: assist median \(format(percentile(assist.map(\.firstToken), 0.5) * 1000)) ms, curl median \(format(percentile(curl.map(\.firstToken), 0.5) * 1000)) ms, ratio \(format(ttftRatio, 3)), paired median ratio \(format(percentile(ttftPaired, 0.5), 3))   (goal ≤ 1.05)")
    print("generation: assist \(format(rate(assist))) tok/s, curl \(format(rate(curl))) tok/s (tokens after the first / time after the first)")
    if mismatched > 0 { print("note: \(mismatched) prompt(s) got answers of different lengths across the four runs") }
    await server.stop()
    try await clientFloor(scratch: scratch, rounds: 20)
}

/// The same recorded stream from a stand-in server to both clients, alternated: the clients' own
/// cost, without the model's timing noise.
func clientFloor(scratch: URL, rounds: Int) async throws {
    var events = (0..<48).map { index in
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" word\(index)\"},\"finish_reason\":null}]}\n\n"
    }
    events.append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n")
    events.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":48}}\n\n")
    events.append("data: [DONE]\n\n")
    let stream = events
    let standIn = try await StandInServer.start { _, _ in .streamed(stream) }
    let settings = BackendSettings(
        name: "local", baseURL: standIn.baseURL + "/v1", model: "m", apiKey: nil, keySource: "none",
        connectTimeout: .seconds(5), readTimeout: .seconds(30),
        retry: RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(100), maxDelay: .seconds(1)),
        maxConcurrentRequests: 1, contextWindow: 8192)
    let backend = BackendFactory.make(.local, settings: settings)
    let url = standIn.baseURL + "/v1/chat/completions"
    let body = try curlBody(prompt: Options.all[0], model: "m", maxTokens: 48)
    _ = try viaCurl(url: url, body: body, scratch: scratch)
    _ = try await viaAssist(backend, prompt: Options.all[0], maxTokens: 48)
    var curl: [Sample] = [], assist: [Sample] = []
    for _ in 0..<rounds {
        curl.append(try viaCurl(url: url, body: body, scratch: scratch))
        assist.append(try await viaAssist(backend, prompt: Options.all[0], maxTokens: 48))
        assist.append(try await viaAssist(backend, prompt: Options.all[0], maxTokens: 48))
        curl.append(try viaCurl(url: url, body: body, scratch: scratch))
    }
    await standIn.stop()
    let added = zip(assist, curl).map { ($0.total - $1.total) * 1000 }
    let firstAdded = zip(assist, curl).map { ($0.firstToken - $1.firstToken) * 1000 }
    print("")
    print("client floor: one recorded answer (48 deltas, 5 ms apart) from a stand-in server, \(rounds * 2) requests each, alternated")
    print("  total: assist median \(format(percentile(assist.map(\.total), 0.5) * 1000)) ms, curl median \(format(percentile(curl.map(\.total), 0.5) * 1000)) ms; added per request median \(format(percentile(added, 0.5), 2)) ms, p90 \(format(percentile(added, 0.9), 2)) ms   (goal < 2 ms)")
    print("  first token: assist median \(format(percentile(assist.map(\.firstToken), 0.5) * 1000, 2)) ms, curl median \(format(percentile(curl.map(\.firstToken), 0.5) * 1000, 2)) ms; added median \(format(percentile(firstAdded, 0.5), 2)) ms")
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("assist-backend-bench: \(error)\n".utf8))
    exit(1)
}
