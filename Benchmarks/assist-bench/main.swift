// assist-bench: round trips over real pipes to the real `assist serve`, next to the same frames
// echoed by `cat` (the floor: two pipe hops and a process wake-up, no JSON), measured in the same run.
//
//   swift run -c release assist-bench [--requests N] [--binary PATH] [--method assist/status]

import AssistJSONRPC
import AssistTestSupport
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var requests = 10_000
    var binary: String?
    var method = "assist/status"

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--requests": requests = iterator.next().flatMap(Int.init) ?? requests
            case "--binary": binary = iterator.next()
            case "--method": method = iterator.next() ?? method
            case "-h", "--help":
                print("usage: assist-bench [--requests N] [--binary PATH] [--method METHOD]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("assist-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

/// A child process driven over pipes with frames; a reader thread timestamps every reply by id.
final class Peer: @unchecked Sendable {
    let process = Process()
    private let input: Int32
    private let output: Int32
    private let arrivals: UnsafeMutablePointer<UInt64>
    private let capacity: Int
    private let received = Atomic<Int>(0)
    private let semaphore = DispatchSemaphore(value: 0)

    init(executable: String, arguments: [String], directory: String, capacity: Int) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["ASSIST_LOG_LEVEL"] = "warning"
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        input = stdin.fileHandleForWriting.fileDescriptor
        output = stdout.fileHandleForReading.fileDescriptor
        self.capacity = capacity
        arrivals = .allocate(capacity: capacity + 16)
        arrivals.initialize(repeating: 0, count: capacity + 16)
        Thread { [self] in readLoop() }.start()
    }

    var receivedCount: Int { received.load(ordering: .acquiring) }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(input, raw.baseAddress! + offset, raw.count - offset)
                precondition(written > 0, "write to the peer failed")
                offset += written
            }
        }
    }

    func waitForOne() { semaphore.wait() }

    func arrival(of id: Int) -> UInt64 { arrivals[id] }

    private func readLoop() {
        var decoder = FrameDecoder(maxMessageBytes: 1 << 30)
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            let now = monotonicNanoseconds()
            decoder.append(chunk[0..<count])
            while let event = decoder.next() {
                guard case .message(let body) = event else { continue }
                if let id = Self.numericID(body), id >= 0, id < capacity + 16 { arrivals[id] = now }
                received.add(1, ordering: .releasing)
                semaphore.signal()
            }
        }
    }

    /// The integer after `"id":` in a body, without a JSON parse (the client must not be the bottleneck).
    static func numericID(_ body: [UInt8]) -> Int? {
        let key = Array(#""id":"#.utf8)
        guard body.count > key.count else { return nil }
        var index = 0
        while index + key.count < body.count {
            if body[index] == key[0], Array(body[index..<index + key.count]) == key {
                var cursor = index + key.count
                var value = 0
                var digits = 0
                while cursor < body.count, body[cursor] >= 0x30, body[cursor] <= 0x39 {
                    value = value * 10 + Int(body[cursor] - 0x30)
                    cursor += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            index += 1
        }
        return nil
    }

    func close() {
        Glibc.close(input)
        process.waitUntilExit()
    }
}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

func frame(id: Int, method: String) -> [UInt8] {
    encodeFrame(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"}"#.utf8))
}

struct Figures {
    var messagesPerSecond: Double
    var p50: Double
    var p99: Double
    var max: Double
}

func figures(sent: [UInt64], peer: Peer, firstID: Int, total: Double) -> Figures {
    var latencies = (0..<sent.count).map { Double(peer.arrival(of: firstID + $0) &- sent[$0]) / 1000 }
    latencies.sort()
    func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    return Figures(messagesPerSecond: Double(sent.count) / total, p50: percentile(0.5), p99: percentile(0.99), max: latencies.last ?? 0)
}

/// Sends `count` requests one at a time, each after the previous reply.
func sequential(_ peer: Peer, count: Int, firstID: Int, method: String) -> Figures {
    var sent = [UInt64](repeating: 0, count: count)
    let frames = (0..<count).map { frame(id: firstID + $0, method: method) }
    let start = monotonicNanoseconds()
    for index in 0..<count {
        sent[index] = monotonicNanoseconds()
        peer.write(frames[index])
        peer.waitForOne()
    }
    let total = Double(monotonicNanoseconds() - start) / 1e9
    return figures(sent: sent, peer: peer, firstID: firstID, total: total)
}

/// Sends `count` requests without waiting, then waits for every reply.
func pipelined(_ peer: Peer, count: Int, firstID: Int, method: String) -> Figures {
    var sent = [UInt64](repeating: 0, count: count)
    let frames = (0..<count).map { frame(id: firstID + $0, method: method) }
    let already = peer.receivedCount
    let start = monotonicNanoseconds()
    for index in 0..<count {
        sent[index] = monotonicNanoseconds()
        peer.write(frames[index])
    }
    for _ in 0..<count { peer.waitForOne() }
    precondition(peer.receivedCount - already == count)
    let total = Double(monotonicNanoseconds() - start) / 1e9
    return figures(sent: sent, peer: peer, firstID: firstID, total: total)
}

func peakRSSMiB(pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return nil
}

let options = Options(arguments: CommandLine.arguments)
let binary = options.binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("assist").path
guard FileManager.default.isExecutableFile(atPath: binary) else {
    FileHandle.standardError.write(Data("assist-bench: no assist binary at \(binary); build it with `swift build -c release`\n".utf8))
    exit(1)
}
signal(SIGPIPE, SIG_IGN)
let fixture = try FixtureRepository.make(files: ["Sources/App/main.swift": "print(\"hello\")\n"])
defer { fixture.remove() }
let count = options.requests
let warmup = min(500, count)

// The floor: `cat` echoes each frame back.
let cat = try Peer(executable: "/bin/cat", arguments: [], directory: fixture.path, capacity: 3 * count + warmup + 4)
_ = sequential(cat, count: warmup, firstID: 1, method: options.method)
let catSequential = sequential(cat, count: count, firstID: warmup + 1, method: options.method)
let catPipelined = pipelined(cat, count: count, firstID: warmup + count + 1, method: options.method)
cat.close()

let assist = try Peer(executable: binary, arguments: ["serve"], directory: fixture.path, capacity: 3 * count + warmup + 4)
let rootURI = URL(fileURLWithPath: fixture.path).absoluteString
assist.write(encodeFrame(Array(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"rootUri":"\#(rootURI)","capabilities":{}}}"#.utf8)))
assist.waitForOne()
_ = sequential(assist, count: warmup, firstID: 1, method: options.method)
let assistSequential = sequential(assist, count: count, firstID: warmup + 1, method: options.method)
let assistPipelined = pipelined(assist, count: count, firstID: warmup + count + 1, method: options.method)
let rss = peakRSSMiB(pid: assist.process.processIdentifier)
assist.write(encodeFrame(Array(#"{"jsonrpc":"2.0","id":\#(3 * count + warmup + 2),"method":"shutdown"}"#.utf8)))
assist.waitForOne()
assist.write(encodeFrame(Array(#"{"jsonrpc":"2.0","method":"exit"}"#.utf8)))
assist.close()

func row(_ name: String, _ f: Figures) -> String {
    name.padding(toLength: 22, withPad: " ", startingAt: 0)
        + String(format: "%12.0f %10.1f %10.1f %10.1f", f.messagesPerSecond, f.p50, f.p99, f.max)
}
print("assist serve round trip: \(options.method), \(count) requests each way, over pipes")
func column(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
print("".padding(toLength: 22, withPad: " ", startingAt: 0) + column("msg/s", 12) + column("p50 µs", 11) + column("p99 µs", 11) + column("max µs", 11))
print(row("sequential  assist", assistSequential))
print(row("sequential  cat", catSequential))
print(row("pipelined   assist", assistPipelined))
print(row("pipelined   cat", catPipelined))
print(String(format: "ratios assist/cat: sequential p50 %.1fx, p99 %.1fx; pipelined throughput %.2fx",
             assistSequential.p50 / catSequential.p50, assistSequential.p99 / catSequential.p99,
             assistPipelined.messagesPerSecond / catPipelined.messagesPerSecond))
print(rss.map { String(format: "peak RSS of assist serve: %.1f MiB", $0) } ?? "peak RSS of assist serve: unavailable (no /proc)")
let sequentialGoal = assistSequential.p99 < 1000
let pipelinedGoal = assistPipelined.messagesPerSecond > 20_000
print("goal p99 sequential < 1 ms: \(sequentialGoal ? "met" : "NOT met"); goal pipelined > 20,000 msg/s: \(pipelinedGoal ? "met" : "NOT met")")
