// assist-index-bench: the repository index on a checkout of swift-syntax, a bare clone of it, and a
// generated repository of N files, next to baselines measured in the same run:
//   cold index      vs  `git ls-files` + `git cat-file --batch-all-objects --batch` (the floor)
//   warm start      vs  `git status`
//   refresh 1/100   (files changed between two refreshes)
//   peak RSS, on-disk cache size.
//
//   scripts/bench-index [--files N] [--scratch DIR] [--skip-swift-syntax] [--skip-generated] [--analyzer swift|lines]
//
// Each index measurement runs in a child process (`assist-index-bench measure …`), so its peak RSS
// is its own. The analyser is the index's swift-syntax analyser (`--analyzer swift`, the default), or
// `--analyzer lines`, a cheap stand-in that only counts lines, to see the index's own costs.

import AssistGit
import AssistIndex
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Small helpers

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("assist-index-bench: \(message)\n".utf8))
    exit(1)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Runs a shell command (stdout to /dev/null unless captured) and returns (seconds, stdout).
@discardableResult
func shell(_ command: String, in directory: String? = nil, capture: Bool = false) -> (Double, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = capture ? output : FileHandle.nullDevice
    process.standardError = FileHandle.standardError
    let start = now()
    do { try process.run() } catch { fail("cannot run \(command): \(error)") }
    var text = ""
    if capture {
        text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
    process.waitUntilExit()
    let seconds = now() - start
    guard process.terminationStatus == 0 else { fail("`\(command)` exited with \(process.terminationStatus)") }
    return (seconds, text)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func quoted(_ path: String) -> String {
    "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

// MARK: - Generator

/// A deterministic pseudo-random sequence (SplitMix64), so the same N gives the same repository.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The path and content of generated file `number`: mostly small Swift files in nested folders,
/// some Markdown and JSON, and every 25th file a copy of one shared boilerplate file.
func generatedFile(_ number: Int) -> (String, String) {
    var random = SplitMix(state: UInt64(number) &* 2_654_435_761)
    let module = number / 1000
    let group = (number / 100) % 10
    let folder = "Sources/Module\(module)/Group\(group)"
    if number % 25 == 24 {
        return ("\(folder)/Boilerplate\(number).swift", "// Generated boilerplate, identical in every copy.\nimport Foundation\n\npublic enum Boilerplate {}\n")
    }
    if number % 50 == 7 {
        return ("\(folder)/README\(number).md", "# File \(number)\n\nNotes for module \(module), group \(group).\n")
    }
    if number % 100 == 13 {
        return ("\(folder)/config\(number).json", "{\"number\": \(number), \"module\": \(module)}\n")
    }
    var text = "// File \(number) of module \(module).\nimport Foundation\n\n"
    text += "public struct Type\(number) {\n    public var value: Int = \(random.below(1000))\n"
    for function in 0..<(1 + random.below(6)) {
        text += "\n    /// Does step \(function).\n    public func step\(function)(_ input: Int) -> Int {\n"
        for line in 0..<(1 + random.below(5)) {
            text += "        let v\(line) = input &* \(random.below(97) + 1) &+ \(line)\n"
        }
        text += "        return input &+ value\n    }\n"
    }
    text += "}\n"
    return ("\(folder)/Type\(number).swift", text)
}

/// Writes a repository of `count` generated files with one commit (via `git fast-import`) and
/// checks it out.
func generate(files count: Int, at path: String) {
    try? FileManager.default.removeItem(atPath: path)
    shell("git init -q --initial-branch=main \(quoted(path))")
    let streamPath = path + ".fast-import"
    _ = FileManager.default.createFile(atPath: streamPath, contents: nil)
    guard let stream = FileHandle(forWritingAtPath: streamPath) else { fail("cannot write \(streamPath)") }
    var buffer = Data()
    buffer.append(Data("commit refs/heads/main\ncommitter Bench <bench@assist.invalid> 1700000000 +0000\ndata 6\nbench\n".utf8))
    for number in 0..<count {
        let (file, content) = generatedFile(number)
        let bytes = Data(content.utf8)
        buffer.append(Data("M 100644 inline \(file)\ndata \(bytes.count)\n".utf8))
        buffer.append(bytes)
        buffer.append(Data("\n".utf8))
        if buffer.count > 1 << 22 {
            stream.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
    buffer.append(Data("\n".utf8))
    stream.write(buffer)
    try? stream.close()
    shell("git fast-import --quiet < \(quoted(streamPath))", in: path)
    try? FileManager.default.removeItem(atPath: streamPath)
    shell("git reset -q --hard main && git update-index -q --refresh; git status --porcelain", in: path)
}

// MARK: - Child: one measurement in its own process

/// `measure --repo PATH --phase cold|warm|refresh --changes N`: prints one line of key=value pairs.
func measure(arguments: [String]) {
    var repo = "", phase = "cold", changes = 1, analyzerName = "swift"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--repo": repo = iterator.next() ?? ""
        case "--phase": phase = iterator.next() ?? phase
        case "--changes": changes = iterator.next().flatMap(Int.init) ?? changes
        case "--analyzer": analyzerName = iterator.next() ?? analyzerName
        default: fail("measure: unknown argument \(argument)")
        }
    }
    switch analyzerName {
    case "swift": measure(SwiftIndexAnalyzer(), repo: repo, phase: phase, changes: changes)
    case "lines": measure(LineCountAnalyzer(), repo: repo, phase: phase, changes: changes)
    default: fail("measure: unknown analyser \(analyzerName) (swift or lines)")
    }
}

func measure<Analyzer: BlobAnalyzer>(_ analyzer: Analyzer, repo: String, phase: String, changes: Int) {
    let start = now()
    let index: RepositoryIndex<Analyzer>
    do { index = try RepositoryIndex(at: repo, analyzer: analyzer) } catch { fail("\(error)") }
    let opened = now() - start
    if phase == "cold", let cachePath = index.cachePath {
        try? FileManager.default.removeItem(atPath: cachePath)
    }
    var figures: IndexFigures
    var seconds: Double
    do {
        figures = try index.refresh()
        seconds = now() - start
        if phase == "refresh" {
            guard let root = try Repository.open(at: repo).workingDirectory else { fail("refresh needs a working tree") }
            let swiftFiles = index.files.filter { $0.language == .swift && $0.state == .unmodified }
            let step = max(1, swiftFiles.count / changes)
            let chosen = stride(from: 0, to: swiftFiles.count, by: step).prefix(changes).map { swiftFiles[$0].path }
            var originals: [(String, Data)] = []
            for path in chosen {
                let url = URL(fileURLWithPath: root + "/" + path)
                guard let data = try? Data(contentsOf: url) else { fail("cannot read \(path)") }
                originals.append((path, data))
                try (data + Data("// touched by the benchmark\nfunc touched() {}\n".utf8)).write(to: url)
            }
            let refreshStart = now()
            figures = try index.refresh()
            seconds = now() - refreshStart
            for (path, data) in originals {
                try data.write(to: URL(fileURLWithPath: root + "/" + path))
            }
            // Identical files touched the same way share one new blob, so analyses may be fewer.
            guard figures.filesHashed == chosen.count, figures.analyses > 0, figures.analyses <= chosen.count else {
                fail("refresh hashed \(figures.filesHashed) files and analysed \(figures.analyses) blobs for \(chosen.count) changes")
            }
        }
    } catch {
        fail("\(error)")
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    var fields: [String] = [
        "seconds=\(seconds)", "open=\(opened)", "rssKB=\(usage.ru_maxrss)", "files=\(figures.files)", "analysed=\(figures.filesAnalyzed)",
        "analyses=\(figures.analyses)", "hits=\(figures.cacheHits)", "misses=\(figures.cacheMisses)",
        "cacheBytes=\(figures.cacheFileBytes)", "hashed=\(figures.filesHashed)",
    ]
    for phase in IndexFigures.Phase.allCases {
        fields.append("\(phase.rawValue)=\(figures.timings[phase] ?? 0)")
    }
    print(fields.joined(separator: " "))
}

// MARK: - Orchestrator

struct Measurement {
    var values: [String: Double] = [:]
    subscript(_ key: String) -> Double { values[key] ?? 0 }
}

let executable = CommandLine.arguments[0]
/// The analyser the measurements use (`--analyzer`), set by the orchestrator.
nonisolated(unsafe) var analyzerChoice = "swift"

func child(_ repo: String, _ phase: String, changes: Int = 1) -> Measurement {
    let (wall, output) = shell(
        "\(quoted(executable)) measure --repo \(quoted(repo)) --phase \(phase) --changes \(changes) --analyzer \(analyzerChoice)", capture: true)
    var measurement = Measurement()
    measurement.values["processSeconds"] = wall
    for pair in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
        let parts = pair.split(separator: "=", maxSplits: 1)
        if parts.count == 2, let value = Double(parts[1]) { measurement.values[String(parts[0])] = value }
    }
    return measurement
}

struct Row {
    var repository: String
    var measure: String
    var assist: String
    var baseline: String
    var ratio: String
    var goal: String
}

func format(seconds: Double) -> String {
    seconds < 1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
}

func format(bytes: Double) -> String {
    bytes >= 1_048_576 ? String(format: "%.1f MiB", bytes / Double(1 << 20)) : String(format: "%.0f KiB", bytes / 1024)
}

func verdict(_ ok: Bool) -> String { ok ? "met" : "NOT met" }

/// Measures one repository and returns its rows.
func bench(
    name: String, repo: String, bare: Bool, coldGoal: Double?, warmGoal: (ratio: Double?, seconds: Double?),
    refreshGoal: Double?, rssGoalMiB: Double?
) -> [Row] {
    note("== \(name): \(repo)")
    var rows: [Row] = []
    // The floor: list the files and read every object once.
    let list = bare ? "git ls-tree -r HEAD" : "git ls-files"
    let floorCommand = "\(list) > /dev/null && git cat-file --batch-all-objects --batch > /dev/null"
    shell(floorCommand, in: repo)  // warm the page cache the same way the index will find it
    let floor = median((0..<3).map { _ in shell(floorCommand, in: repo).0 })
    let cold = child(repo, "cold")
    let files = Int(cold["files"])
    rows.append(Row(
        repository: "\(name) (\(files) files)", measure: "cold index", assist: format(seconds: cold["seconds"]),
        baseline: "floor \(format(seconds: floor))", ratio: String(format: "%.2f×", cold["seconds"] / floor),
        goal: coldGoal.map { "< \(format(seconds: $0)): \(verdict(cold["seconds"] < $0))" } ?? ""))
    rows.append(Row(
        repository: "", measure: "  cold phases", assist: String(
            format: "list %.0f ms, status %.0f ms, analyse %.0f ms, save %.0f ms",
            cold["listFiles"] * 1000, cold["status"] * 1000, cold["analyze"] * 1000, cold["saveCache"] * 1000),
        baseline: "", ratio: "", goal: ""))

    let warmRuns = (0..<3).map { _ in child(repo, "warm") }
    let warm = warmRuns.sorted { $0["seconds"] < $1["seconds"] }[1]
    if bare {
        let floorList = median((0..<3).map { _ in shell("git ls-tree -r HEAD > /dev/null", in: repo).0 })
        rows.append(Row(
            repository: "", measure: "warm start", assist: format(seconds: warm["seconds"]),
            baseline: "ls-tree \(format(seconds: floorList))", ratio: String(format: "%.2f×", warm["seconds"] / floorList),
            goal: warmGoal.seconds.map { "< \(format(seconds: $0)): \(verdict(warm["seconds"] < $0))" } ?? ""))
    } else {
        let status = median((0..<5).map { _ in shell("git status --porcelain > /dev/null", in: repo).0 })
        let ratio = warm["seconds"] / status
        var goals: [String] = []
        if let limit = warmGoal.ratio { goals.append("< \(Int(limit))× status: \(verdict(ratio < limit))") }
        if let limit = warmGoal.seconds { goals.append("< \(format(seconds: limit)): \(verdict(warm["seconds"] < limit))") }
        rows.append(Row(
            repository: "", measure: "warm start (in process)", assist: format(seconds: warm["seconds"]),
            baseline: "git status \(format(seconds: status))", ratio: String(format: "%.2f×", ratio),
            goal: goals.joined(separator: ", ")))
        rows.append(Row(
            repository: "", measure: "  as a process", assist: format(seconds: warm["processSeconds"]),
            baseline: "git status \(format(seconds: status))", ratio: String(format: "%.2f×", warm["processSeconds"] / status),
            goal: "(start-up, dynamic linking and exit included, like the baseline)"))
        rows.append(Row(
            repository: "", measure: "  warm phases", assist: String(
                format: "load %.0f ms, list %.0f ms, status %.0f ms",
                warm["loadCache"] * 1000, warm["listFiles"] * 1000, warm["status"] * 1000),
            baseline: "", ratio: "", goal: ""))
        for changes in [1, 100] {
            let refresh = child(repo, "refresh", changes: changes)
            rows.append(Row(
                repository: "", measure: "refresh, \(changes) changed", assist: format(seconds: refresh["seconds"]),
                baseline: "git status \(format(seconds: status))", ratio: String(format: "%.2f×", refresh["seconds"] / status),
                goal: changes == 1 ? refreshGoal.map { "< \(format(seconds: $0)): \(verdict(refresh["seconds"] < $0))" } ?? "" : ""))
        }
    }
    let rss = max(cold["rssKB"], warm["rssKB"]) * 1024
    rows.append(Row(
        repository: "", measure: "peak RSS", assist: format(bytes: rss), baseline: "", ratio: "",
        goal: rssGoalMiB.map { "< \(Int($0)) MiB: \(verdict(rss < $0 * 1024 * 1024))" } ?? ""))
    rows.append(Row(
        repository: "", measure: "cache file", assist: format(bytes: cold["cacheBytes"]),
        baseline: "", ratio: String(format: "%.0f B/file", cold["cacheBytes"] / max(1, Double(files))), goal: ""))
    return rows
}

func printTable(_ rows: [Row]) {
    let header = Row(repository: "repository", measure: "measure", assist: "assist", baseline: "baseline", ratio: "ratio", goal: "goal")
    let all = [header] + rows
    func width(_ key: KeyPath<Row, String>) -> Int { all.map { $0[keyPath: key].count }.max() ?? 0 }
    let widths = [width(\.repository), width(\.measure), width(\.assist), width(\.baseline), width(\.ratio)]
    for row in all {
        let cells = [row.repository, row.measure, row.assist, row.baseline, row.ratio]
        let line = zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        print(line + "  " + row.goal)
    }
}

func orchestrate(arguments: [String]) {
    var files = 100_000
    var scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assist-index-bench").path
    var swiftSyntax = true, generated = true
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--files": files = iterator.next().flatMap(Int.init) ?? files
        case "--scratch": scratch = iterator.next() ?? scratch
        case "--skip-swift-syntax": swiftSyntax = false
        case "--skip-generated": generated = false
        case "--analyzer": analyzerChoice = iterator.next() ?? analyzerChoice
        case "-h", "--help":
            print("usage: assist-index-bench [--files N] [--scratch DIR] [--skip-swift-syntax] [--skip-generated] [--analyzer swift|lines]")
            exit(0)
        default: fail("unknown argument \(argument)")
        }
    }
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let analyzerDescription = analyzerChoice == "lines"
        ? "line-count, a cheap stand-in that reads every byte once (the index's own costs)"
        : "swift-syntax (declarations, references, doc comments: what the daemon uses)"
    print("assist-index-bench: analyser = \(analyzerDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores, libgit2 \(LibGit2.version).")
    var rows: [Row] = []
    if swiftSyntax {
        let checkout = scratch + "/swift-syntax"
        let bare = scratch + "/swift-syntax.git"
        if !FileManager.default.fileExists(atPath: checkout + "/.git") {
            note("cloning swift-syntax 603.0.1")
            shell("git clone -q --branch 603.0.1 https://github.com/swiftlang/swift-syntax \(quoted(checkout))")
        }
        if !FileManager.default.fileExists(atPath: bare + "/HEAD") {
            shell("git clone -q --bare \(quoted(checkout)) \(quoted(bare))")
        }
        shell("git update-index -q --refresh; git status --porcelain", in: checkout)
        rows += bench(
            name: "swift-syntax 603.0.1", repo: checkout, bare: false, coldGoal: 3, warmGoal: (3, nil),
            refreshGoal: 0.05, rssGoalMiB: nil)
        rows += bench(
            name: "swift-syntax, bare", repo: bare, bare: true, coldGoal: 3, warmGoal: (nil, nil),
            refreshGoal: nil, rssGoalMiB: nil)
    }
    if generated {
        let path = scratch + "/generated-\(files)"
        if !FileManager.default.fileExists(atPath: path + "/.git/assist-bench-complete") {
            note("generating \(files) files")
            let start = now()
            generate(files: files, at: path)
            _ = FileManager.default.createFile(atPath: path + "/.git/assist-bench-complete", contents: nil)
            note(String(format: "generated in %.1f s", now() - start))
        }
        rows += bench(
            name: "generated", repo: path, bare: false, coldGoal: files >= 100_000 ? 60 : nil,
            warmGoal: (nil, files >= 100_000 ? 3 : nil), refreshGoal: nil, rssGoalMiB: 1024)
    }
    printTable(rows)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "measure" {
    measure(arguments: Array(arguments.dropFirst()))
} else if arguments.first == "generate" {
    var files = 1000
    var path = ""
    var iterator = arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
        if argument == "--files" { files = iterator.next().flatMap(Int.init) ?? files }
        else if argument == "--out" { path = iterator.next() ?? "" }
    }
    guard !path.isEmpty else { fail("generate needs --out DIR") }
    generate(files: files, at: path)
} else {
    orchestrate(arguments: arguments)
}
