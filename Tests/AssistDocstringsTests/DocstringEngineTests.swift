import AssistCore
import AssistDocstrings
import AssistSwift
import Foundation
import Synchronization
import Testing

/// A model that answers from a script, one answer per call, and records the prompts it got.
final class ScriptedModel: DocstringModel {
    let identifier = "scripted"
    private let answers: Mutex<[String]>
    let prompts = Mutex<[String]>([])
    init(_ answers: [String]) { self.answers = Mutex(answers) }
    var calls: Int { prompts.withLock { $0.count } }
    func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply {
        prompts.withLock { $0.append(user) }
        let answer = answers.withLock { $0.isEmpty ? "" : $0.removeFirst() }
        return DocstringModelReply(text: answer, promptTokens: user.count / 4, completionTokens: answer.count / 4)
    }
}

private let source = """
    import Foundation

    public struct Buffer {
        var storage: [UInt8] = []

        @inlinable
        public mutating func append(_ byte: UInt8, times count: Int) throws -> Int {
            storage.append(contentsOf: repeatElement(byte, count: count))
            return storage.count
        }

        /// Already documented.
        public func clear() {}
    }

    func helper(x: Int) {}

    """

@Suite("Docstring planner")
struct DocstringPlannerTests {
    let analysis = SwiftAnalyzer.analyze(source: source)

    @Test func lineSelectsTheInnermostDeclaration() throws {
        let chosen = try DocstringPlanner.candidates(.line(8), analysis: analysis, source: source)
        #expect(chosen.map(\.declaration.name) == ["append"])
        #expect(chosen.first?.insertionLine == 5)  // the @inlinable line, 0-based
        #expect(chosen.first?.target.indentation == "    ")
        #expect(chosen.first?.target.documentedParameterNames == ["byte", "count"])
        #expect(chosen.first?.target.isThrowing == true)
        #expect(chosen.first?.target.returnsValue == true)
        #expect(try DocstringPlanner.candidates(.line(3), analysis: analysis, source: source).map(\.declaration.name) == ["Buffer"])
    }

    @Test func errorsNameTheProblem() {
        #expect(throws: DocstringError("no declaration at line 1")) {
            try DocstringPlanner.candidates(.line(1), analysis: analysis, source: source)
        }
        do {
            _ = try DocstringPlanner.candidates(.symbol("apend"), analysis: analysis, source: source)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("no declaration named 'apend'"))
            #expect(error.description.contains("append(_:times:)"))
        }
    }

    @Test func symbolsByNameFullNameOrQualified() throws {
        for name in ["append", "append(_:times:)", "Buffer.append"] {
            #expect(try DocstringPlanner.candidates(.symbol(name), analysis: analysis, source: source).map(\.declaration.name) == ["append"])
        }
        // Already documented: nothing to do.
        #expect(try DocstringPlanner.candidates(.symbol("clear"), analysis: analysis, source: source).isEmpty)
    }

    @Test func declarationsSharingALineAreNotDocumentedAboveIt() throws {
        let oneLine = "enum StackError: Error { case empty }\n"
        let analysis = SwiftAnalyzer.analyze(source: oneLine)
        #expect(try DocstringPlanner.candidates(.allUndocumented, analysis: analysis, source: oneLine).map(\.declaration.name) == ["StackError"])
        #expect(try DocstringPlanner.candidates(.line(1), analysis: analysis, source: oneLine).map(\.declaration.name) == ["StackError"])
        do {
            _ = try DocstringPlanner.candidates(.symbol("empty"), analysis: analysis, source: oneLine)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("shares its line"))
        }
    }

    @Test func allAndCheck() throws {
        let all = try DocstringPlanner.candidates(.allUndocumented, analysis: analysis, source: source)
        #expect(all.map(\.declaration.name) == ["Buffer", "storage", "append", "helper"])
        #expect(DocstringPlanner.undocumentedPublicAPI(analysis).map(\.name) == ["Buffer", "append"])
    }

    @Test func publicAPIOnlyForTheHook() throws {
        let publicOnly = try DocstringPlanner.candidates(.undocumentedPublicAPI, analysis: analysis, source: source)
        #expect(publicOnly.map(\.declaration.name) == ["Buffer", "append"])
        // A public declaration sharing its line with other code cannot take a comment: left out.
        let oneLine = "public enum StackError: Error { case empty }\npublic func pop() {}\n"
        let shared = SwiftAnalyzer.analyze(source: oneLine)
        #expect(try DocstringPlanner.candidates(.undocumentedPublicAPI, analysis: shared, source: oneLine).map(\.declaration.name) == ["StackError", "pop"])
    }
}

@Suite("Docstring engine")
struct DocstringEngineTests {
    @Test func aValidAnswerBecomesAnApplyingDiff() async throws {
        let model = ScriptedModel(["""
            ```swift
            /// Appends a byte several times.
            ///
            /// - Parameters:
            ///   - byte: The byte to append.
            ///   - count: How many times.
            /// - Returns: The new count.
            /// - Throws: Never in practice.
            public mutating func append(_ byte: UInt8, times count: Int) throws -> Int {
            ```
            """])
        let outcome = try await DocstringEngine(model: model).document(path: "Sources/Buffer.swift", source: source, selection: .symbol("append"))
        #expect(model.calls == 1)
        #expect(outcome.failures.isEmpty)
        #expect(outcome.documented.map(\.attempts) == [1])
        #expect(outcome.updated.contains("""
                /// Appends a byte several times.
                ///
                /// - Parameters:
                ///   - byte: The byte to append.
                ///   - count: How many times.
                /// - Returns: The new count.
                /// - Throws: Never in practice.
                @inlinable
            """))
        #expect(outcome.diff.hasPrefix("diff --git a/Sources/Buffer.swift b/Sources/Buffer.swift"))
        #expect(outcome.validation.contains("the tokens without trivia are unchanged"))
        try expectGitApplies(outcome)
    }

    @Test func anInvalidAnswerIsRetriedWithTheProblem() async throws {
        let model = ScriptedModel([
            "/// Appends bytes.\n/// - Parameter value: Invented.\n",
            "/// Appends a byte several times.\n/// - Parameters:\n///   - byte: The byte.\n///   - count: The count.\n/// - Returns: The count.\n/// - Throws: An error.",
        ])
        let outcome = try await DocstringEngine(model: model).document(path: "B.swift", source: source, selection: .line(7))
        #expect(model.calls == 2)
        #expect(outcome.documented.first?.attempts == 2)
        let retryPrompt = model.prompts.withLock { $0.last } ?? ""
        #expect(retryPrompt.contains("count"))
    }

    @Test func twoInvalidAnswersFailAndNothingIsWritten() async throws {
        let model = ScriptedModel(["I cannot help with that.", ""])
        let outcome = try await DocstringEngine(model: model).document(path: "B.swift", source: source, selection: .symbol("helper"))
        #expect(outcome.diff.isEmpty)
        #expect(outcome.updated == source)
        #expect(outcome.failures.map(\.name) == ["helper(x:)"])
    }

    @Test func allUndocumentedInOnePassAndTheCacheAnswersAgain() async throws {
        let answers = [
            "/// A growable byte buffer.",
            "/// The bytes held.",
            "/// Appends a byte.\n/// - Parameters:\n///   - byte: The byte.\n///   - count: Times.\n/// - Returns: The count.\n/// - Throws: Errors.",
            "/// Helps.\n/// - Parameter x: A value.",
        ]
        let cache = DocstringCache(path: nil)
        let model = ScriptedModel(answers)
        let first = try await DocstringEngine(model: model, cache: cache).document(path: "B.swift", source: source, selection: .allUndocumented)
        #expect(first.documented.count == 4)
        #expect(first.failures.isEmpty)
        try expectGitApplies(first)
        let again = ScriptedModel([])
        let second = try await DocstringEngine(model: again, cache: cache).document(path: "B.swift", source: source, selection: .allUndocumented)
        #expect(again.calls == 0)
        #expect(second.documented.allSatisfy { $0.cached })
        #expect(second.updated == first.updated)
        // The documented file has nothing left to document.
        let third = try await DocstringEngine(model: again).document(path: "B.swift", source: first.updated, selection: .allUndocumented)
        #expect(third.diff.isEmpty)
    }

    @Test func crlfFilesStayCRLF() async throws {
        let crlf = "public func f(a: Int) -> Int {\r\n    a\r\n}\r\n"
        let model = ScriptedModel(["/// Returns a.\n/// - Parameter a: A.\n/// - Returns: A."])
        let outcome = try await DocstringEngine(model: model).document(path: "C.swift", source: crlf, selection: .line(1))
        #expect(outcome.updated == "/// Returns a.\r\n///\r\n/// - Parameter a: A.\r\n/// - Returns: A.\r\n" + crlf || outcome.updated.hasPrefix("/// Returns a.\r\n"))
        #expect(!outcome.updated.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        try expectGitApplies(outcome)
    }
}

/// Runs `git apply --check` on the outcome's diff in a scratch repository holding the original.
func expectGitApplies(_ outcome: DocstringOutcome) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assist-docstring-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent(outcome.path)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(outcome.original.utf8).write(to: file)
    try Data(outcome.diff.utf8).write(to: directory.appendingPathComponent("change.diff"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "apply", "--check", "change.diff"]
    process.currentDirectoryURL = directory
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "git apply --check refused:\n\(outcome.diff)")
}

/// A model whose answers name the function asked about and come back in a scrambled order, and
/// which counts how many prompts it holds at once.
final class SlowNamingModel: DocstringModel {
    let identifier = "slow-naming"
    let inFlight = Mutex((now: 0, most: 0))
    func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply {
        inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
        defer { inFlight.withLock { $0.now -= 1 } }
        let name = user.components(separatedBy: "func f").dropFirst().first?.prefix { $0.isNumber } ?? "?"
        try await Task.sleep(for: .milliseconds(5 * ((Int(name) ?? 0) * 7 % 5 + 1)))
        return DocstringModelReply(text: "/// Returns the value of f\(name).", promptTokens: 10, completionTokens: 5)
    }
}

@Suite("Docstring engine in parallel")
struct DocstringParallelTests {
    /// Four prompts in flight give the same file, comment for comment, as one at a time, however
    /// the answers come back, and never more than four are held at once.
    @Test func parallelPromptsGiveTheSameFile() async throws {
        let source = (0..<9).map { "func f\($0)() {}\n" }.joined(separator: "\n")
        let one = SlowNamingModel()
        let four = SlowNamingModel()
        let serial = try await DocstringEngine(model: one, parallelism: 1).document(path: "F.swift", source: source, selection: .allUndocumented)
        let progress = Mutex<[Int]>([])
        let parallel = try await DocstringEngine(model: four, parallelism: 4).document(path: "F.swift", source: source, selection: .allUndocumented) { done, _ in
            progress.withLock { $0.append(done) }
        }
        #expect(parallel.updated == serial.updated)
        #expect(parallel.documented.map(\.name) == (0..<9).map { "f\($0)()" })
        #expect(parallel.updated.contains("/// Returns the value of f8.\nfunc f8() {}"))
        #expect(one.inFlight.withLock { $0.most } == 1)
        #expect(four.inFlight.withLock { $0.most } == 4)
        #expect(progress.withLock { $0 } == Array(1...9))
    }
}
