import AssistCore
import AssistDocstrings
import AssistIndex
import AssistRequests
import AssistSwift
import Foundation

// Routing and retrieval evaluation on real repositories:
//   assist-eval-routing [--eval DIR] [--scratch DIR] [--verbose] [--retrieval-only] [--no-model]
//                       [--model ID] [--model-everywhere]
// Clones swift-nio 2.101.3 and swift-argument-parser 1.8.2 into the scratch directory (default
// .assist-cache/) unless they are there. Classifies every case of DIR/routing/swift-nio.jsonl (over
// swift-nio) and of Benchmarks/assist-eval-routing/sets/swift-argument-parser.jsonl (over
// swift-argument-parser, a set written without looking at the classifier's rules) and of
// Benchmarks/assist-eval-routing/sets/swift-collections.jsonl (over swift-collections 1.6.0, held out:
// written after the rules were last changed, never used to change them), and packs
// context for every case of DIR/retrieval/swift-nio.jsonl at 8k and 32k tokens, next to a plain
// BM25 over whole files. Prints accuracy per set and kind, every miss with its features, and recall.
// Where the rules are unsure, the managed local model (default qwen2.5-coder-0.5b, started here and
// warmed before timing) gives its second opinion, as `assist classify` asks it; `--no-model` leaves
// it out, `--model-everywhere` also reports the model's accuracy if it decided every case.

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let here = FileManager.default.currentDirectoryPath
let evalDirectory = option("--eval") ?? (here + "/../shared/eval")
let scratch = option("--scratch") ?? (here + "/.assist-cache")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("assist-eval-routing: \(message)\n".utf8))
    exit(1)
}

func run(_ command: [String]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    do { try process.run() } catch { fail("cannot run \(command.joined(separator: " ")): \(error)") }
    process.waitUntilExit()
    if process.terminationStatus != 0 { fail("\(command.joined(separator: " ")) exited with \(process.terminationStatus)") }
}

/// A shallow clone of a tag, made once in the scratch directory.
func checkout(_ repository: String, tag: String) -> String {
    let name = String(repository.split(separator: "/").last ?? "")
    let path = scratch + "/\(name)-\(tag)"
    if !FileManager.default.fileExists(atPath: path + "/.git") {
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        run(["git", "clone", "--quiet", "--depth", "1", "--branch", tag, "https://github.com/\(repository)", path])
    }
    return path
}

func cases(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
        try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
}

/// An indexed repository: its gatherer and analyses.
func indexed(_ path: String, label: String) -> (RequestContextGatherer, [String: SwiftFileAnalysis]) {
    let started = Date()
    let index: SwiftWorkspaceIndex
    do {
        index = try SwiftWorkspaceIndex(at: path)
        try index.refresh()
    } catch {
        fail("index: \(error)")
    }
    let gatherer = RequestContextGatherer(index: index)
    let analyses = gatherer.analyses()
    print(String(format: "%@: %d Swift files indexed in %.1f s", label, analyses.count, Date().timeIntervalSince(started)))
    return (gatherer, analyses)
}

/// The local model that gives the second opinion (`--no-model` leaves it out), started and warmed
/// before any case is timed, so the figures are the warm path's.
let opinionModel: LocalModel? = await {
    if arguments.contains("--no-model") { return nil }
    let environment = ProcessInfo.processInfo.environment
    let model: LocalModel
    do {
        model = try await LocalModel.prepare(
            modelID: option("--model"), configuration: nil, environment: environment,
            homeDirectory: environment["HOME"] ?? NSHomeDirectory())
    } catch {
        fail("\(error) (or pass --no-model to evaluate the rules alone)")
    }
    let warmUp = ClassifierOpinion.chatRequest(for: ClassificationRequest(instruction: "warm up"))
    do {
        _ = try await model.chatBackend.complete(warmUp)
    } catch {
        fail("the local model did not answer: \(error)")
    }
    return model
}()

func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }

/// Per rule: how often it decided and how often it was right, against its confidence.
nonisolated(unsafe) var calibration: [String: (right: Int, total: Int, confidence: Double)] = [:]

/// Classifies every case of a set over a repository: the rules alone, then with the local model's
/// opinion where the rules are unsure; prints accuracy by kind, every miss with its features, and
/// the p50 latency of each path.
func evaluateRouting(_ set: String, gatherer: RequestContextGatherer, analyses: [String: SwiftFileAnalysis], label: String) async {
    let routing = cases(set)
    var correct = 0, correctRules = 0, asked = 0, askedRight = 0, askedRulesRight = 0, modelEverywhereRight = 0
    var misses: [String] = []
    var byKind: [String: (right: Int, total: Int)] = [:]
    var ruleSeconds: [Double] = []
    var modelSeconds: [Double] = []
    var everywhereSeconds: [Double] = []
    let opinion = opinionModel.map {
        SecondOpinion(backend: $0.chatBackend, model: $0.identifier, cache: DocstringCache(path: nil), timeout: .seconds(30))
    }
    for item in routing {
        let id = item["id"] as? String ?? "?"
        let instruction = item["instruction"] as? String ?? ""
        let expected = item["expect"] as? String ?? ""
        let file = item["file"] as? String
        var selection: ClosedRange<Int>?
        if let bounds = item["selection"] as? [Int], bounds.count == 2 { selection = bounds[0]...bounds[1] }
        let started = Date()
        let request: ClassificationRequest
        do {
            request = try gatherer.classificationRequest(instruction: instruction, file: file, selection: selection, analyses: analyses)
        } catch {
            fail("\(id): \(error)")
        }
        let rules = Classifier.classify(request)
        ruleSeconds.append(Date().timeIntervalSince(started))
        var result = rules
        if let opinion, rules.wantsSecondOpinion {
            result = await opinion.classify(rules, request: request)
            modelSeconds.append(Date().timeIntervalSince(started))
            asked += 1
            if result.kind.rawValue == expected { askedRight += 1 }
            if rules.kind.rawValue == expected { askedRulesRight += 1 }
        }
        if let opinion, arguments.contains("--model-everywhere") {
            var forced = rules
            forced.confidence = 0
            let asking = Date()
            if await opinion.classify(forced, request: request).kind.rawValue == expected { modelEverywhereRight += 1 }
            everywhereSeconds.append(Date().timeIntervalSince(asking) + (ruleSeconds.last ?? 0))
        }
        let rule = rules.feature("rule") ?? "?"
        calibration[rule, default: (0, 0, rules.confidence)].total += 1
        if rules.kind.rawValue == expected {
            correctRules += 1
            calibration[rule, default: (0, 0, rules.confidence)].right += 1
        }
        let right = result.kind.rawValue == expected
        byKind[expected, default: (0, 0)].total += 1
        if right {
            correct += 1
            byKind[expected, default: (0, 0)].right += 1
        } else {
            let features = result.features.map { "\($0.decisive ? "*" : "")\($0.name)=\($0.value)" }.joined(separator: "; ")
            misses.append("  MISS \(id): expected \(expected), got \(result.kind.rawValue) (\(result.confidence), decided by \(result.decidedBy.rawValue)) \"\(instruction)\"\n    \(features)")
        }
        if arguments.contains("--verbose") {
            print("  \(id) \(result.kind.rawValue) \(result.confidence) rule=\(rule) by=\(result.decidedBy.rawValue)")
        }
    }
    let n = Double(max(1, routing.count))
    print(String(
        format: "routing on %@: %d/%d correct (%.1f%%); rules alone %d/%d (%.1f%%); classification p50 %.1f ms",
        label, correct, routing.count, 100 * Double(correct) / n, correctRules, routing.count, 100 * Double(correctRules) / n,
        median(ruleSeconds) * 1000))
    if opinionModel != nil {
        print(String(
            format: "  model's opinion asked on %d cases (confidence below %.2f): right on %d, the rules alone on %d; p50 with the opinion %.0f ms",
            asked, Classifier.opinionThreshold, askedRight, askedRulesRight, median(modelSeconds) * 1000))
        if arguments.contains("--model-everywhere") {
            print(String(
                format: "  the model asked on every case: right on %d/%d; p50 of the rules plus the model's opinion %.0f ms",
                modelEverywhereRight, routing.count, median(everywhereSeconds) * 1000))
        }
    }
    for (kind, figures) in byKind.sorted(by: { $0.key < $1.key }) { print("  \(kind): \(figures.right)/\(figures.total)") }
    for miss in misses { print(miss) }
}

/// Each rule's confidence against how often it was right, over every set evaluated.
func printCalibration() {
    print("calibration (rules, both sets): rule, confidence, right/decided")
    for (rule, figures) in calibration.sorted(by: { $0.value.total > $1.value.total }) {
        print(String(format: "  %-32@ %.2f  %d/%d (%.0f%%)", rule as NSString, figures.confidence, figures.right, figures.total,
                     100 * Double(figures.right) / Double(max(1, figures.total))))
    }
}

let (gatherer, analyses) = indexed(checkout("apple/swift-nio", tag: "2.101.3"), label: "swift-nio 2.101.3")
if !arguments.contains("--retrieval-only") {
    await evaluateRouting(evalDirectory + "/routing/swift-nio.jsonl", gatherer: gatherer, analyses: analyses, label: "swift-nio")
    let parser = indexed(checkout("apple/swift-argument-parser", tag: "1.8.2"), label: "swift-argument-parser 1.8.2")
    await evaluateRouting(
        here + "/Benchmarks/assist-eval-routing/sets/swift-argument-parser.jsonl", gatherer: parser.0, analyses: parser.1,
        label: "swift-argument-parser")
    printCalibration()
    // Held out: written after the rules were last changed, and never used to change them.
    calibration = [:]
    let collections = indexed(checkout("apple/swift-collections", tag: "1.6.0"), label: "swift-collections 1.6.0")
    await evaluateRouting(
        here + "/Benchmarks/assist-eval-routing/sets/swift-collections.jsonl", gatherer: collections.0, analyses: collections.1,
        label: "swift-collections (held out)")
}
await opinionModel?.stop()

// Retrieval.
let retrieval = cases(evalDirectory + "/retrieval/swift-nio.jsonl")
let corpusStart = Date()
let corpus = gatherer.corpus(analyses: analyses)
print(String(format: "corpus: %d files, term bags in %.1f s", corpus.documents.count, Date().timeIntervalSince(corpusStart)))
let budgets = [8_000, 32_000]
var found: [Int: Int] = [:]
var foundBM25: [Int: Int] = [:]
// The index database's packing, which must rank as the in-memory reference does.
var foundDatabase: [Int: Int] = [:]
var databaseDiffers: [String] = []
for item in retrieval {
    let id = item["id"] as? String ?? "?"
    let question = item["question"] as? String ?? ""
    let needs = item["needs"] as? [String] ?? []
    let symbols: [SymbolLocations]
    do {
        symbols = try gatherer.locations(of: QueryTerms.identifiers(in: question), analyses: analyses)
    } catch {
        fail("\(id): \(error)")
    }
    var line = "  \(id):"
    for budget in budgets {
        let packed = ContextPacker.pack(question: question, corpus: corpus, symbols: symbols, budget: budget)
        let files = Set(packed.files)
        if let stored = try? gatherer.pack(question: question, budget: budget) {
            if needs.allSatisfy(Set(stored.files).contains) { foundDatabase[budget, default: 0] += 1 }
            if stored.ranking.map(\.path) != packed.ranking.map(\.path) || stored.pieces != packed.pieces {
                databaseDiffers.append("\(id) at \(budget / 1000)k")
            }
        }
        let baseline = Set(ContextPacker.packWholeFilesByBM25(question: question, corpus: corpus, budget: budget))
        let hit = needs.allSatisfy(files.contains)
        let hitBM25 = needs.allSatisfy(baseline.contains)
        if hit { found[budget, default: 0] += 1 }
        if hitBM25 { foundBM25[budget, default: 0] += 1 }
        let rank = needs.map { need in packed.ranking.firstIndex { $0.path == need }.map { "\($0 + 1)" } ?? "-" }.joined(separator: ",")
        line += " \(budget / 1000)k \(hit ? "found" : "MISSED") (\(packed.files.count) files, \(packed.totalTokens) tokens; needed files ranked \(rank)), BM25 \(hitBM25 ? "found" : "missed") (\(baseline.count) files);"
        if !hit {
            let missing = needs.filter { !files.contains($0) }
            line += " missing \(missing.joined(separator: ", "));"
        }
    }
    print(line)
    if arguments.contains("--verbose") {
        let packed = ContextPacker.pack(question: question, corpus: corpus, symbols: symbols, budget: 8_000)
        for (rank, entry) in packed.ranking.prefix(12).enumerated() {
            print(String(format: "    %2d %7.2f %@%@", rank + 1, entry.score, entry.path, needs.contains(entry.path) ? "  <- needed" : ""))
        }
    }
}
for budget in budgets {
    let n = Double(max(1, retrieval.count))
    print(String(
        format: "retrieval at %dk: %d/%d cases (%.0f%%); plain BM25 over whole files: %d/%d (%.0f%%)",
        budget / 1000, found[budget] ?? 0, retrieval.count, 100 * Double(found[budget] ?? 0) / n,
        foundBM25[budget] ?? 0, retrieval.count, 100 * Double(foundBM25[budget] ?? 0) / n))
    print(String(format: "retrieval at %dk from the index database: %d/%d cases", budget / 1000, foundDatabase[budget] ?? 0, retrieval.count))
}
print(databaseDiffers.isEmpty
    ? "the index database's packing equals the in-memory reference on every case"
    : "the index database's packing differs from the in-memory reference: \(databaseDiffers.joined(separator: ", "))")
