// Analyses every .swift file under a directory with AssistSwift and prints counts and timings.
//
//   swift build -c release --product assist-swift-perf
//   .build/release/assist-swift-perf /tmp/swift-syntax-603 [workers]
//
// Files are read before the clock starts: the figure is analysis only (parse + walk).
import AssistSwift
import Foundation
import SwiftParser
import Synchronization

func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: assist-swift-perf DIRECTORY [WORKERS]\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: arguments[1])
let workers = arguments.count >= 3 ? max(1, Int(arguments[2]) ?? 2) : 2

func readSources(under root: URL) -> [(path: String, text: String)] {
    var sources: [(path: String, text: String)] = []
    if let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            if url.pathComponents.contains(".build") { continue }
            if let data = FileManager.default.contents(atPath: url.path) {
                sources.append((url.path, String(decoding: data, as: UTF8.self)))
            }
        }
    }
    // Largest first, so the last file a worker takes is a small one.
    return sources.sorted { $0.text.utf8.count > $1.text.utf8.count }
}

let files = readSources(under: root)
let sources = files.map(\.text)
let bytes = sources.reduce(0) { $0 + $1.utf8.count }

struct Totals { var declarations = 0; var references = 0; var errors = 0; var publicAPI = 0; var documented = 0 }

func run(_ sources: [String], workers: Int) -> (Totals, wall: Double, cpu: Double) {
    let next = Atomic<Int>(0)
    let totals = Mutex(Totals())
    let cpuStart = cpuSeconds()
    let wallStart = Date()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        var local = Totals()
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            if index >= sources.count { break }
            let analysis = SwiftAnalyzer.analyze(source: sources[index])
            local.declarations += analysis.declarations.count
            local.references += analysis.references.values.reduce(0) { $0 + $1.count }
            local.errors += analysis.syntaxErrors.count
            for declaration in analysis.declarations where declaration.isPublicAPI {
                local.publicAPI += 1
                if declaration.docComment != nil { local.documented += 1 }
            }
        }
        totals.withLock {
            $0.declarations += local.declarations
            $0.references += local.references
            $0.errors += local.errors
            $0.publicAPI += local.publicAPI
            $0.documented += local.documented
        }
    }
    let wall = Date().timeIntervalSince(wallStart)
    return (totals.withLock { $0 }, wall, cpuSeconds() - cpuStart)
}

/// The floor: swift-syntax parsing alone, one worker, CPU seconds.
func parseOnly(_ sources: [String]) -> Double {
    let cpuStart = cpuSeconds()
    for source in sources {
        _ = Parser.parse(source: source)
    }
    return cpuSeconds() - cpuStart
}

print("files: \(sources.count), bytes: \(bytes)")
// Which files did not parse cleanly, and why (first error each).
for file in files {
    let analysis = SwiftAnalyzer.analyze(source: file.text)
    if let error = analysis.syntaxErrors.first {
        print("  syntax errors in \(file.path): \(analysis.syntaxErrors.count), first at \(error.range.start): \(error.message)")
    }
}
let floor = parseOnly(sources)
print("parse only (swift-syntax, baseline): cpu: \(String(format: "%.3f", floor)) s")
for count in [1, workers] {
    let (totals, wall, cpu) = run(sources, workers: count)
    print("""
        workers: \(count)  wall: \(String(format: "%.3f", wall)) s  cpu: \(String(format: "%.3f", cpu)) s  \
        declarations: \(totals.declarations)  references: \(totals.references)  \
        public API: \(totals.publicAPI) (documented \(totals.documented))  syntax errors: \(totals.errors)
          analysis cpu / parse-only cpu: \(String(format: "%.2f", cpu / floor))×
        """)
}
