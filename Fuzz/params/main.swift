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

let daemon = try await FuzzedDaemon.start()
let start = Date()
let report = await daemon.fuzz(requests: runs, seconds: seconds, seed: seed)
for error in report.internalErrors { FileHandle.standardError.write(Data("fuzz: params: internal error for \(error)\n".utf8)) }
if let lost = report.lost {
    await daemon.stop()
    fail("\(report.sent) requests sent (seed \(seed)), crashes: 1: \(lost)")
}
let status = try await daemon.client.request("assist/status")
guard status["result"] != nil else { fail("\(report.sent) requests sent (seed \(seed)), the daemon no longer answers assist/status") }
_ = try await daemon.client.shutdownAndExit()
await daemon.stop()
let internalErrors = report.errorsByCode[-32603] ?? 0
print("fuzz: params: \(report.sent) requests sent (seed \(seed)), crashes: 0, internal errors: \(internalErrors), \(Int(Date().timeIntervalSince(start)))s")
exit(internalErrors == 0 ? 0 : 1)
