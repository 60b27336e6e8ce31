// assist-docstring-eval: `assist docstring` on real, human-documented Swift code, next to a naive
// baseline run in the same session (the spec: /work/shared/eval/docstrings/README.md).
//
//   scripts/eval-docstrings [--per-repo N] [--repos swift-log,swift-system,…] [--skip-naive] [--naive-every K]
//                           [--naive-timeout S] [--skip-all] [--all-max N] [--max-minutes M] [--scratch DIR]
//                           [--json FILE] [--model ID]
//   scripts/eval-docstrings --report FILE.jsonl      (the tables again, from a finished or partial run)
//
// The set: swift-nio 2.101.3 (Sources/NIOCore, Sources/NIOHTTP1), swift-log 1.16.2,
// swift-argument-parser 1.8.2, swift-system 1.8.1, cloned at the tag into a scratch directory
// (their Sources/ only). A case is a public/open func, init or subscript whose `///` comment has a
// summary line of at least five words and whose body is at most 60 lines; cases in path-then-line
// order, every k-th up to N per repository.
//
// One case: in the scratch clone (reset to the tag), delete the `///` lines directly above the
// declaration, commit, drop any `.git/assist` (no cached answer), run the built
// `assist docstring FILE --line N --json` and score its diff. The naive baseline pastes the whole file
// (with that comment removed) into one chat request to the same model file on a llama-server started
// with ManagedLlamaServer's own flags, and pastes the answer back as-is above the declaration.
// `--all`: one file per repository (the one with the most cases, at most --all-max) with every case's
// comment removed, `assist docstring FILE --all --json`; docstrings per minute of wall time.
// Cases run round-robin over the repositories, and each result is appended to results.jsonl as it
// comes, so `--max-minutes` or an interrupted run still gives a table (`--report`). `--naive-every K`
// runs the naive baseline on every K-th sampled case only (it costs minutes per case on 2 cores).

import AssistLocalModel
import AssistSwift
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Small helpers

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("assist-docstring-eval: \(message)\n".utf8))
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

struct Ran {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

/// Runs a program with its output in temporary files (no pipe deadlocks), optionally under `timeout`.
func run(_ arguments: [String], in directory: String? = nil, timeout: Int? = nil, scratch: String) -> Ran {
    let process = Process()
    var argv = arguments
    if let timeout { argv = ["/usr/bin/timeout", "-k", "10", String(timeout)] + argv }
    process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
    process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let outPath = scratch + "/out-\(getpid()).txt"
    let errPath = scratch + "/err-\(getpid()).txt"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
        fail("cannot write in \(scratch)")
    }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let start = now()
    do { try process.run() } catch { fail("cannot run \(arguments.joined(separator: " ")): \(error)") }
    process.waitUntilExit()
    let seconds = now() - start
    try? out.close()
    try? err.close()
    let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return Ran(status: process.terminationStatus, stdout: stdout, stderr: stderr, seconds: seconds)
}

@discardableResult
func git(_ arguments: [String], in directory: String, scratch: String) -> Ran {
    let result = run(["git", "-c", "advice.detachedHead=false", "-c", "user.name=eval", "-c", "user.email=eval@localhost"] + arguments,
                     in: directory, scratch: scratch)
    if result.status != 0 { fail("git \(arguments.joined(separator: " ")) in \(directory): \(result.stderr)") }
    return result
}

func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let position = p * Double(sorted.count - 1)
    let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

func format(_ value: Double, _ digits: Int = 2) -> String { value.isNaN ? "–" : String(format: "%.\(digits)f", value) }

// MARK: - Similarity

/// Lower-cased words: runs of letters and digits.
func words(_ text: String) -> [String] {
    text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
}

/// ROUGE-L F1 between two word sequences (longest common subsequence).
func rougeL(_ candidate: [String], _ reference: [String]) -> Double {
    guard !candidate.isEmpty, !reference.isEmpty else { return 0 }
    var previous = [Int](repeating: 0, count: reference.count + 1)
    for word in candidate {
        var current = [Int](repeating: 0, count: reference.count + 1)
        for (j, other) in reference.enumerated() {
            current[j + 1] = word == other ? previous[j] + 1 : max(previous[j + 1], current[j])
        }
        previous = current
    }
    let lcs = Double(previous[reference.count])
    guard lcs > 0 else { return 0 }
    let precision = lcs / Double(candidate.count), recall = lcs / Double(reference.count)
    return 2 * precision * recall / (precision + recall)
}

// MARK: - Doc comments

/// The text of `///` lines without the marker and one following space.
func commentBody(_ commentLines: [String]) -> [String] {
    commentLines.map { line in
        var text = Substring(line.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("///") { text = text.dropFirst(3) }
        if text.hasPrefix(" ") { text = text.dropFirst() }
        return String(text)
    }
}

/// The summary: the first non-empty line that is not a callout (`- Parameter…`).
func summaryLine(_ body: [String]) -> String {
    for line in body {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("```") { continue }
        if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") { continue }
        return trimmed
    }
    return ""
}

struct Callouts {
    var parameters: [String] = []
    var returns = false
    var throwsCallout = false
}

/// `- Parameter name:`, `- Parameters:` with nested `- name:`, `- Returns:`, `- Throws:`.
func callouts(_ body: [String]) -> Callouts {
    var result = Callouts()
    var parametersIndent: Int?
    for line in body {
        let indent = line.prefix { $0 == " " }.count
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") else {
            if trimmed.isEmpty { continue }
            if let level = parametersIndent, indent <= level { parametersIndent = nil }
            continue
        }
        let item = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
        if let level = parametersIndent, indent > level {
            if let colon = item.firstIndex(of: ":") { result.parameters.append(String(item[..<colon]).trimmingCharacters(in: .whitespaces)) }
            continue
        }
        parametersIndent = nil
        let lower = item.lowercased()
        if lower.hasPrefix("parameters:") {
            parametersIndent = indent
        } else if lower.hasPrefix("parameter ") {
            let rest = item.dropFirst("parameter ".count)
            if let colon = rest.firstIndex(of: ":") { result.parameters.append(String(rest[..<colon]).trimmingCharacters(in: .whitespaces)) }
        } else if lower.hasPrefix("returns:") || lower.hasPrefix("returns ") {
            result.returns = true
        } else if lower.hasPrefix("throws:") || lower.hasPrefix("throws ") {
            result.throwsCallout = true
        }
    }
    return result
}

// MARK: - The set and its cases

struct RepositorySpec {
    var name: String
    var url: String
    var tag: String
    var roots: [String]
}

enum EvalSet {
    static let repositories: [RepositorySpec] = [
    RepositorySpec(name: "swift-nio", url: "https://github.com/apple/swift-nio", tag: "2.101.3", roots: ["Sources/NIOCore", "Sources/NIOHTTP1"]),
    RepositorySpec(name: "swift-log", url: "https://github.com/apple/swift-log", tag: "1.16.2", roots: ["Sources"]),
    RepositorySpec(name: "swift-argument-parser", url: "https://github.com/apple/swift-argument-parser", tag: "1.8.2", roots: ["Sources"]),
    RepositorySpec(name: "swift-system", url: "https://github.com/apple/swift-system", tag: "1.8.1", roots: ["Sources"]),
    ]
}

struct Case {
    var repository: String
    var path: String
    /// 1-based line of the declaration's name in the original file.
    var line: Int
    var name: String
    var declaration: SwiftDeclaration
    /// 1-based, inclusive: the `///` lines to delete.
    var commentLines: ClosedRange<Int>
    var originalSummary: String
}

func swiftFiles(under root: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var files: [String] = []
    while let next = enumerator.nextObject() as? String {
        if next.hasSuffix(".swift") { files.append(next) }
    }
    return files
}

func findCases(_ spec: RepositorySpec, checkout: String) -> [Case] {
    var paths: [String] = []
    for root in spec.roots {
        paths += swiftFiles(under: checkout + "/" + root).map { root + "/" + $0 }
    }
    paths.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    var cases: [Case] = []
    for path in paths {
        guard let source = try? String(contentsOfFile: checkout + "/" + path, encoding: .utf8) else { continue }
        let fileLines = lines(source)
        let analysis = SwiftAnalyzer.analyze(source: source)
        for declaration in analysis.declarations {
            guard [.function, .initializer, .subscript].contains(declaration.kind), declaration.isPublicAPI,
                  let comment = declaration.docComment
            else { continue }
            let range = comment.range.start.line...comment.range.end.line
            guard range.allSatisfy({ fileLines[$0 - 1].trimmingCharacters(in: .whitespaces).hasPrefix("///") }) else { continue }
            // Only a comment directly above the declaration (or directly above its keyword, under attributes).
            guard range.upperBound + 1 <= declaration.nameRange.start.line else { continue }
            let summary = summaryLine(commentBody(range.map { fileLines[$0 - 1] }))
            guard summary.split(whereSeparator: \.isWhitespace).count >= 5 else { continue }
            let bodyLines = declaration.bodyRange.map { $0.end.line - $0.start.line + 1 } ?? 0
            guard bodyLines <= 60 else { continue }
            cases.append(Case(
                repository: spec.name, path: path, line: declaration.nameRange.start.line, name: declaration.fullName,
                declaration: declaration, commentLines: range, originalSummary: summary))
        }
    }
    cases.sort { ($0.path, $0.line) < ($1.path, $1.line) }
    return cases
}

func sample(_ cases: [Case], _ count: Int) -> [Case] {
    guard count > 0, !cases.isEmpty else { return [] }
    let step = max(1, cases.count / count)
    return Array(stride(from: 0, to: cases.count, by: step).map { cases[$0] }.prefix(count))
}

// MARK: - Scoring

struct Score: Codable {
    var valid: Bool
    var problems: [String]
    var comment: [String]
    var summary: String
    var rougeL: Double
}

/// Removes the case's comment; returns the new lines and the 0-based indices where a comment may go.
func removeComment(_ fileLines: [String], _ item: Case) -> (lines: [String], insertAt: Set<Int>, line: Int) {
    var result = fileLines
    result.removeSubrange((item.commentLines.lowerBound - 1)...(item.commentLines.upperBound - 1))
    let removed = item.commentLines.count
    var positions: Set<Int> = [item.commentLines.lowerBound - 1]
    let start = item.declaration.range.start.line
    positions.insert(start > item.commentLines.upperBound ? start - 1 - removed : start - 1)
    return (result, positions, item.line - removed)
}

/// The checks of the spec on a changed file: only `///` lines added directly above the declaration,
/// the file still parses, parameters, Returns and Throws match the signature.
func score(old: [String], new newText: String, insertAt: Set<Int>, item: Case) -> Score {
    let new = lines(newText)
    var problems: [String] = []
    let added = new.count - old.count
    guard added > 0 else {
        return Score(valid: false, problems: ["adds no lines"], comment: [], summary: "", rougeL: 0)
    }
    var prefix = 0
    while prefix < old.count, new[prefix] == old[prefix] { prefix += 1 }
    let inserted = Array(new[prefix..<(prefix + added)])
    if Array(new[(prefix + added)...]) != Array(old[prefix...]) { problems.append("changes lines other than an insertion") }
    if !insertAt.contains(prefix) { problems.append("inserted at line \(prefix + 1), not directly above the declaration") }
    let commentLines = inserted.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("///") }
    if commentLines.count != inserted.count { problems.append("adds lines that are not /// comments") }
    let oldErrors = SwiftAnalyzer.analyze(source: old.joined(separator: "\n")).syntaxErrors.count
    let newErrors = SwiftAnalyzer.analyze(source: newText).syntaxErrors.count
    if newErrors > oldErrors { problems.append("the file no longer parses (\(newErrors - oldErrors) new syntax errors)") }

    let body = commentBody(commentLines)
    let found = callouts(body)
    let declaration = item.declaration
    // The name DocC documents: the internal name, or the label when there is no internal name.
    let names = declaration.parameters.compactMap { parameter in
        [parameter.internalName, parameter.externalName].compactMap { $0 }.first { !$0.isEmpty && $0 != "_" }
    }
    for name in found.parameters where !names.contains(name) { problems.append("documents a parameter `\(name)` the signature lacks") }
    for name in names where !found.parameters.contains(name) { problems.append("leaves parameter `\(name)` undocumented") }
    let returnsSomething = declaration.kind != .initializer && declaration.resultType.map { !["Void", "()", "Swift.Void"].contains($0) } ?? false
    if found.returns && !returnsSomething { problems.append("- Returns: on a declaration that returns nothing") }
    if found.throwsCallout && declaration.throwsKind == .none { problems.append("- Throws: on a declaration that does not throw") }
    let summary = summaryLine(body.isEmpty ? inserted : body)
    return Score(valid: problems.isEmpty, problems: problems, comment: inserted, summary: summary,
                 rougeL: rougeL(words(summary), words(item.originalSummary)))
}

// MARK: - Results

struct Attempt: Codable {
    var ok: Bool
    var score: Score?
    var error: String?
    var promptTokens: Int
    var completionTokens: Int
    var seconds: Double
    /// For assist: the model's own seconds (from --json declarations), without process and server start.
    var modelSeconds: Double?
}

struct CaseResult: Codable {
    var repository: String
    var path: String
    var line: Int
    var name: String
    var original: String
    var assist: Attempt
    var naive: Attempt?
}

struct AllResult: Codable {
    var repository: String
    var path: String
    var removed: Int
    var documented: Int
    var failures: Int
    var applies: Bool
    var seconds: Double
    var perMinute: Double
}

// MARK: - Running assist

struct Workspace {
    var spec: RepositorySpec
    var directory: String
    var base: String
    var scratch: String

    func reset() {
        git(["reset", "-q", "--hard", base], in: directory, scratch: scratch)
        try? FileManager.default.removeItem(atPath: directory + "/.git/assist")
    }

    /// Writes `text` at `path` and commits it, so that the diff assist gives is against a clean tree.
    func commit(_ text: String, at path: String, message: String) {
        FileManager.default.createFile(atPath: directory + "/" + path, contents: Data(text.utf8))
        git(["commit", "-q", "-a", "-m", message], in: directory, scratch: scratch)
        try? FileManager.default.removeItem(atPath: directory + "/.git/assist")
    }
}

func json(_ text: String) -> [String: Any]? {
    guard let start = text.firstIndex(of: "{") else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(text[start...].utf8))) as? [String: Any]
}

func runAssist(_ item: Case, workspace: Workspace, assist: String, model: String?) -> Attempt {
    let original = try! String(contentsOfFile: workspace.directory + "/" + item.path, encoding: .utf8)
    let removal = removeComment(lines(original), item)
    let removedText = removal.lines.joined(separator: "\n")
    workspace.commit(removedText, at: item.path, message: "remove the doc comment of \(item.name)")
    var arguments = [assist, "docstring", item.path, "--line", String(removal.line), "--json"]
    if let model { arguments += ["--model", model] }
    let ran = run(arguments, in: workspace.directory, timeout: 600, scratch: workspace.scratch)
    guard let result = json(ran.stdout) else {
        return Attempt(ok: false, score: nil, error: "exit \(ran.status): \(ran.stderr.suffix(400))", promptTokens: 0, completionTokens: 0,
                       seconds: ran.seconds)
    }
    let usage = result["usage"] as? [String: Any] ?? [:]
    let prompt = usage["promptTokens"] as? Int ?? 0, completion = usage["completionTokens"] as? Int ?? 0
    let declarations = result["declarations"] as? [[String: Any]] ?? []
    let modelSeconds = declarations.compactMap { $0["seconds"] as? Double }.reduce(0, +)
    let failures = (result["failures"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
    let diff = result["diff"] as? String ?? ""
    if (result["cached"] as? Bool) == true { note("  warning: \(item.path):\(item.line) answered from the cache") }
    guard !diff.isEmpty else {
        let reason = failures.isEmpty ? "empty diff (exit \(ran.status)) \(ran.stderr.suffix(300))" : failures.joined(separator: "; ")
        return Attempt(ok: false, score: Score(valid: false, problems: [reason], comment: [], summary: "", rougeL: 0), error: reason,
                       promptTokens: prompt, completionTokens: completion, seconds: ran.seconds, modelSeconds: modelSeconds)
    }
    let patch = workspace.scratch + "/case.diff"
    FileManager.default.createFile(atPath: patch, contents: Data(diff.utf8))
    let check = run(["git", "apply", "--check", patch], in: workspace.directory, scratch: workspace.scratch)
    var scored: Score
    if check.status == 0 {
        _ = run(["git", "apply", patch], in: workspace.directory, scratch: workspace.scratch)
        let updated = (try? String(contentsOfFile: workspace.directory + "/" + item.path, encoding: .utf8)) ?? ""
        scored = score(old: removal.lines, new: updated, insertAt: removal.insertAt, item: item)
    } else {
        scored = Score(valid: false, problems: ["git apply --check: \(check.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"],
                       comment: [], summary: "", rougeL: 0)
    }
    if !failures.isEmpty { scored.problems += failures; scored.valid = false }
    if (result["validation"] as? [String: Any])?["passed"] as? Bool == false { scored.problems.append("validation.passed is false") }
    return Attempt(ok: ran.status == 0, score: scored, error: nil, promptTokens: prompt, completionTokens: completion,
                   seconds: ran.seconds, modelSeconds: modelSeconds)
}

// MARK: - The naive baseline

func runNaive(_ item: Case, workspace: Workspace, baseURL: URL, timeout: Int) -> Attempt {
    let original = try! String(contentsOfFile: workspace.directory + "/" + item.path, encoding: .utf8)
    let removal = removeComment(lines(original), item)
    let removedText = removal.lines.joined(separator: "\n")
    let target = removal.lines[removal.line - 1].trimmingCharacters(in: .whitespaces)
    let request: [String: Any] = [
        "messages": [
            ["role": "system", "content": "You are an expert Swift developer who writes DocC documentation comments."],
            ["role": "user", "content": """
                Here is the Swift file \(item.path):

                ```swift
                \(removedText)
                ```

                Write the documentation comment for the declaration at line \(removal.line):

                \(target)

                Reply with the documentation comment only.
                """],
        ],
        "temperature": 0,
        "max_tokens": 256,
    ]
    let body = workspace.scratch + "/naive-request.json"
    FileManager.default.createFile(atPath: body, contents: try! JSONSerialization.data(withJSONObject: request))
    let ran = run(["curl", "-sS", "--max-time", String(timeout), "-H", "Content-Type: application/json", "--data-binary", "@" + body,
                   baseURL.appendingPathComponent("v1/chat/completions").absoluteString], scratch: workspace.scratch)
    let answer = json(ran.stdout)
    let usage = answer?["usage"] as? [String: Any] ?? [:]
    let prompt = usage["prompt_tokens"] as? Int ?? 0, completion = usage["completion_tokens"] as? Int ?? 0
    guard let choices = answer?["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any],
          let content = message["content"] as? String
    else {
        var reason = "no answer: \(ran.stdout.prefix(300)) \(ran.stderr.prefix(200))"
        if let error = answer?["error"] as? [String: Any] {
            reason = "server error: \(error["message"] as? String ?? "")"
        }
        // No usage came back (timeout, context overflow): count the prompt with the server's tokenizer.
        let promptTokens = (answer?["error"] as? [String: Any])?["n_prompt_tokens"] as? Int ?? countTokens(request, baseURL: baseURL, scratch: workspace.scratch)
        return Attempt(ok: false, score: Score(valid: false, problems: [reason], comment: [], summary: "", rougeL: 0), error: reason,
                       promptTokens: promptTokens, completionTokens: completion, seconds: ran.seconds)
    }
    // Pasted back as-is, above the declaration.
    var pasted = removal.lines
    let position = removal.insertAt.min()!
    let text = content.hasSuffix("\n") ? String(content.dropLast()) : content
    pasted.insert(contentsOf: lines(text), at: position)
    let scored = score(old: removal.lines, new: pasted.joined(separator: "\n"), insertAt: removal.insertAt, item: item)
    return Attempt(ok: true, score: scored, error: nil, promptTokens: prompt, completionTokens: completion, seconds: ran.seconds)
}

/// The tokens of a chat request's messages by `/tokenize` (without the chat template's few tokens).
func countTokens(_ request: [String: Any], baseURL: URL, scratch: String) -> Int {
    let messages = request["messages"] as? [[String: String]] ?? []
    let text = messages.compactMap { $0["content"] }.joined(separator: "\n")
    let body = scratch + "/naive-tokenize.json"
    FileManager.default.createFile(atPath: body, contents: try! JSONSerialization.data(withJSONObject: ["content": text]))
    let ran = run(["curl", "-sS", "--max-time", "120", "-H", "Content-Type: application/json", "--data-binary", "@" + body,
                   baseURL.appendingPathComponent("tokenize").absoluteString], scratch: scratch)
    return (json(ran.stdout)?["tokens"] as? [Any])?.count ?? 0
}

// MARK: - --all on one file

func runAll(_ cases: [Case], workspace: Workspace, assist: String, model: String?, limit: Int) -> AllResult? {
    let byFile = Dictionary(grouping: cases, by: \.path)
    guard let (path, fileCases) = byFile.filter({ $0.value.count <= limit }).max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) })
    else { return nil }
    workspace.reset()
    let original = try! String(contentsOfFile: workspace.directory + "/" + path, encoding: .utf8)
    var fileLines = lines(original)
    for item in fileCases.sorted(by: { $0.commentLines.lowerBound > $1.commentLines.lowerBound }) {
        fileLines.removeSubrange((item.commentLines.lowerBound - 1)...(item.commentLines.upperBound - 1))
    }
    workspace.commit(fileLines.joined(separator: "\n"), at: path, message: "remove \(fileCases.count) doc comments")
    var arguments = [assist, "docstring", path, "--all", "--json"]
    if let model { arguments += ["--model", model] }
    let ran = run(arguments, in: workspace.directory, timeout: 600, scratch: workspace.scratch)
    let result = json(ran.stdout) ?? [:]
    let documented = (result["declarations"] as? [[String: Any]] ?? []).count
    let failures = (result["failures"] as? [[String: Any]] ?? []).count
    var applies = false
    if let diff = result["diff"] as? String, !diff.isEmpty {
        let patch = workspace.scratch + "/all.diff"
        FileManager.default.createFile(atPath: patch, contents: Data(diff.utf8))
        applies = run(["git", "apply", "--check", patch], in: workspace.directory, scratch: workspace.scratch).status == 0
    }
    if result.isEmpty { note("  --all failed: exit \(ran.status): \(ran.stderr.suffix(400))") }
    workspace.reset()
    return AllResult(repository: workspace.spec.name, path: path, removed: fileCases.count, documented: documented, failures: failures,
                     applies: applies, seconds: ran.seconds, perMinute: Double(documented) / (ran.seconds / 60))
}

// MARK: - Tables

func table(_ results: [CaseResult], all: [AllResult]) -> String {
    var out = ""
    let repositories = EvalSet.repositories.map(\.name).filter { name in results.contains { $0.repository == name } }
    if !results.isEmpty {
    out += "| repository | system | cases | valid % | ROUGE-L mean | min / p25 / median / p75 / max | median s | mean s | prompt tok | completion tok |\n"
    out += "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n"
    func rows(_ name: String, _ subset: [CaseResult]) {
        let systems: [(String, [Attempt])] = [
            ("assist", subset.map(\.assist)),
            ("naive", subset.compactMap(\.naive)),
        ]
        for (system, attempts) in systems where !attempts.isEmpty {
            let valid = attempts.filter { $0.score?.valid == true }.count
            let rouge = attempts.map { $0.score?.rougeL ?? 0 }.sorted()
            let seconds = attempts.map(\.seconds).sorted()
            out += "| \(name) | \(system) | \(attempts.count) | \(format(100 * Double(valid) / Double(attempts.count), 0)) "
            out += "| \(format(mean(rouge))) | \([0, 0.25, 0.5, 0.75, 1].map { format(percentile(rouge, $0)) }.joined(separator: " / ")) "
            out += "| \(format(percentile(seconds, 0.5))) | \(format(mean(seconds))) "
            out += "| \(format(mean(attempts.map { Double($0.promptTokens) }), 0)) | \(format(mean(attempts.map { Double($0.completionTokens) }), 0)) |\n"
        }
    }
    for name in repositories { rows(name, results.filter { $0.repository == name }) }
    if repositories.count > 1 { rows("all", results) }
    }

    let model = results.compactMap(\.assist.modelSeconds).filter { $0 > 0 }.sorted()
    if !model.isEmpty {
        out += "\nassist model time per docstring (from --json `declarations[].seconds`, without process and llama-server start): "
        out += "median \(format(percentile(model, 0.5))) s, mean \(format(mean(model))) s\n"
    }
    // Side by side on exactly the cases both ran (the naive baseline may run on every k-th case only).
    let paired = results.filter { $0.naive != nil }
    if !paired.isEmpty {
        func line(_ label: String, _ subset: [CaseResult]) {
            guard !subset.isEmpty else { return }
            let rougeA = mean(subset.map { $0.assist.score?.rougeL ?? 0 }), rougeN = mean(subset.map { $0.naive?.score?.rougeL ?? 0 })
            let promptA = mean(subset.map { Double($0.assist.promptTokens) }), promptN = mean(subset.map { Double($0.naive?.promptTokens ?? 0) })
            let validA = subset.filter { $0.assist.score?.valid == true }.count, validN = subset.filter { $0.naive?.score?.valid == true }.count
            out += "| \(label) | \(subset.count) | \(validA) / \(validN) | \(format(rougeA)) / \(format(rougeN)) "
            out += "| \(format(promptA, 0)) / \(format(promptN, 0)) | \(format(promptN > 0 ? promptA / promptN : .nan)) |\n"
        }
        out += "\nPaired (assist / naive on the same cases):\n\n"
        out += "| cases | n | valid | ROUGE-L mean | prompt tok mean | prompt ratio |\n| --- | ---: | --- | --- | --- | ---: |\n"
        line("every case the naive baseline ran", paired)
        line("those it answered (no context overflow or error)", paired.filter { $0.naive?.ok == true })
    }
    if !all.isEmpty {
        out += "\n| repository | --all file | comments removed | documented | failures | diff applies | seconds | docstrings/min |\n"
        out += "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |\n"
        for item in all {
            out += "| \(item.repository) | \(item.path) | \(item.removed) | \(item.documented) | \(item.failures) | \(item.applies ? "yes" : "no") "
            out += "| \(format(item.seconds, 1)) | \(format(item.perMinute, 1)) |\n"
        }
    }
    return out
}

func problemsReport(_ results: [CaseResult]) -> String {
    var out = ""
    for result in results {
        if let score = result.assist.score, !score.valid {
            out += "- assist \(result.repository) \(result.path):\(result.line) \(result.name): \(score.problems.joined(separator: "; "))\n"
        } else if result.assist.score == nil {
            out += "- assist \(result.repository) \(result.path):\(result.line) \(result.name): \(result.assist.error ?? "no result")\n"
        }
    }
    return out
}

// MARK: - Main

struct Options {
    var perRepository = 50
    var repositories = EvalSet.repositories.map(\.name)
    var skipNaive = false
    var skipAll = false
    var allLimit = 12
    var scratch = ".assist-cache/docstring-eval"
    var jsonPath: String?
    var assist: String?
    var model: String?
    var report: String?
    var naiveEvery = 1
    var naiveTimeout = 1200
    var maxMinutes: Double?
}

func number(_ text: String, _ flag: String) -> Int {
    guard let value = Int(text), value >= 0 else { fail("\(flag) needs a number, got \(text)") }
    return value
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    func value(_ flag: String) -> String {
        guard !arguments.isEmpty else { fail("\(flag) needs a value") }
        return arguments.removeFirst()
    }
    while !arguments.isEmpty {
        let flag = arguments.removeFirst()
        switch flag {
        case "--per-repo": options.perRepository = number(value(flag), flag)
        case "--repos":
            options.repositories = value(flag).split(separator: ",").map { String($0) }
            for name in options.repositories where !EvalSet.repositories.contains(where: { $0.name == name }) {
                fail("unknown repository \(name); choose from \(EvalSet.repositories.map(\.name).joined(separator: ","))")
            }
        case "--skip-naive": options.skipNaive = true
        case "--skip-all": options.skipAll = true
        case "--naive-every": options.naiveEvery = max(1, number(value(flag), flag))
        case "--naive-timeout": options.naiveTimeout = max(1, number(value(flag), flag))
        case "--max-minutes": options.maxMinutes = Double(number(value(flag), flag))
        case "--all-max": options.allLimit = number(value(flag), flag)
        case "--scratch": options.scratch = value(flag)
        case "--json": options.jsonPath = value(flag)
        case "--assist": options.assist = value(flag)
        case "--model": options.model = value(flag)
        case "--report": options.report = value(flag)
        case "-h", "--help":
            print("usage: assist-docstring-eval --assist PATH [--per-repo N] [--repos a,b] [--skip-naive] [--naive-every K] [--naive-timeout S] [--skip-all] [--all-max N] [--max-minutes M] [--scratch DIR] [--json FILE] [--model ID]\n       assist-docstring-eval --report FILE.jsonl")
            exit(0)
        default: fail("unknown argument \(flag)")
        }
    }
    return options
}

let options = parseOptions()

if let report = options.report {
    guard let text = try? String(contentsOfFile: report, encoding: .utf8) else { fail("cannot read \(report)") }
    var results: [CaseResult] = []
    var all: [AllResult] = []
    for line in text.split(separator: "\n") {
        let data = Data(line.utf8)
        if let result = try? JSONDecoder().decode(CaseResult.self, from: data) { results.append(result) }
        else if let result = try? JSONDecoder().decode(AllResult.self, from: data) { all.append(result) }
    }
    print(table(results, all: all), terminator: "")
    let problems = problemsReport(results)
    if !problems.isEmpty { print("\nassist cases that were not valid:\n" + problems, terminator: "") }
    exit(0)
}

guard let assist = options.assist else { fail("--assist PATH (the built assist binary) is required") }
let scratch = URL(fileURLWithPath: options.scratch).standardizedFileURL.path
try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
let jsonlPath = scratch + "/results.jsonl"
/// Appends one JSON line per result as the run goes, so a partial run can be reported (`--report`).
final class Recorder {
    let handle: FileHandle
    let encoder = JSONEncoder()
    init(path: String) {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { fail("cannot write \(path)") }
        self.handle = handle
        encoder.outputFormatting = [.sortedKeys]
    }
    func callAsFunction(_ value: some Encodable) {
        handle.write(try! encoder.encode(value))
        handle.write(Data("\n".utf8))
    }
}
let record = Recorder(path: jsonlPath)

// The naive baseline's server: the same model file and flags as ManagedLlamaServer uses for assist.
var naiveServer: ManagedLlamaServer?
var naiveURL: URL?
if !options.skipNaive {
    let cache = LocalModelCache.default(environment: ProcessInfo.processInfo.environment, homeDirectory: NSHomeDirectory())
    guard let spec = LocalModelSpec.all.first(where: { $0.id == (options.model ?? LocalModelSpec.qwenCoder.id) }) else { fail("unknown model") }
    do {
        var configuration = try await ManagedLlamaServer.Configuration.installed(in: cache, model: spec)
        configuration.runDirectory = nil
        configuration.logDirectory = URL(fileURLWithPath: scratch)
        let server = ManagedLlamaServer(configuration: configuration)
        let endpoint = try await server.endpoint()
        naiveServer = server
        naiveURL = endpoint.baseURL
        note("naive baseline: llama-server pid \(endpoint.processID) on port \(endpoint.port), context \(endpoint.contextWindow)")
    } catch {
        fail("cannot start the naive baseline's llama-server: \(error)")
    }
}

var results: [CaseResult] = []
var allResults: [AllResult] = []
var prepared: [(workspace: Workspace, cases: [Case], chosen: [Case])] = []
for spec in EvalSet.repositories where options.repositories.contains(spec.name) {
    let directory = scratch + "/" + spec.name
    if !FileManager.default.fileExists(atPath: directory + "/.git") {
        note("cloning \(spec.url) at \(spec.tag)")
        git(["clone", "-q", "--branch", spec.tag, spec.url, directory], in: scratch, scratch: scratch)
    }
    let base = git(["rev-parse", "refs/tags/\(spec.tag)^{commit}"], in: directory, scratch: scratch).stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
    let workspace = Workspace(spec: spec, directory: directory, base: base, scratch: scratch)
    workspace.reset()
    let cases = findCases(spec, checkout: directory)
    let chosen = sample(cases, options.perRepository)
    note("\(spec.name) \(spec.tag): \(cases.count) cases, running \(chosen.count)")
    prepared.append((workspace, cases, chosen))
}

// Round-robin over the repositories, so that a partial run covers each of them.
let rounds = prepared.map(\.chosen.count).max() ?? 0
let started = now()
var stoppedEarly = false
rounds: for index in 0..<rounds {
    for (workspace, _, chosen) in prepared where index < chosen.count {
        if let maxMinutes = options.maxMinutes, now() - started > maxMinutes * 60 {
            note("stopping: --max-minutes \(Int(maxMinutes)) reached after \(results.count) cases")
            stoppedEarly = true
            break rounds
        }
        let item = chosen[index]
        workspace.reset()
        let assisted = runAssist(item, workspace: workspace, assist: assist, model: options.model)
        var naive: Attempt?
        if let naiveURL, index % options.naiveEvery == 0 {
            workspace.reset()
            naive = runNaive(item, workspace: workspace, baseURL: naiveURL, timeout: options.naiveTimeout)
        }
        workspace.reset()
        let result = CaseResult(repository: item.repository, path: item.path, line: item.line, name: item.name,
                                original: item.originalSummary, assist: assisted, naive: naive)
        results.append(result)
        record(result)
        let mark = assisted.score?.valid == true ? "valid" : "INVALID \(assisted.score?.problems.joined(separator: "; ") ?? assisted.error ?? "")"
        let naiveText = naive.map {
            "| naive \(format($0.seconds, 1))s \($0.score?.valid == true ? "valid" : "invalid") rouge \(format($0.score?.rougeL ?? 0))"
        } ?? ""
        note("  [\(index + 1)/\(chosen.count)] \(item.repository) \(item.path):\(item.line) \(item.name)  assist \(format(assisted.seconds, 1))s \(mark) rouge \(format(assisted.score?.rougeL ?? 0)) \(naiveText)")
    }
}
if !options.skipAll, !stoppedEarly {
    for (workspace, cases, _) in prepared {
        guard let all = runAll(cases, workspace: workspace, assist: assist, model: options.model, limit: options.allLimit) else { continue }
        allResults.append(all)
        record(all)
        note("  --all \(workspace.spec.name) \(all.path): \(all.documented) documented in \(format(all.seconds, 1)) s (\(format(all.perMinute, 1))/min)")
    }
}
await naiveServer?.stop()

struct Report: Codable {
    var cases: [CaseResult]
    var all: [AllResult]
}
let jsonPath = options.jsonPath ?? scratch + "/results.json"
let pretty = JSONEncoder()
pretty.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
FileManager.default.createFile(atPath: jsonPath, contents: try pretty.encode(Report(cases: results, all: allResults)))
note("per-case results: \(jsonPath)")
print(table(results, all: allResults), terminator: "")
let problems = problemsReport(results)
if !problems.isEmpty { print("\nassist cases that were not valid:\n" + problems, terminator: "") }
