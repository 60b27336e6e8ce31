import AssistTestSupport
import Foundation
import Testing

/// The committed file every hook test starts from: documented public API, then an internal helper
/// far enough below for an unstaged edit there to stay out of a docstring diff's context.
private let baseSource = """
    /// A list of things.
    public struct Things {
        /// Makes an empty list.
        public init() {}
    }

    // One.
    // Two.
    // Three.
    // Four.
    // Five.
    // Six.
    func helper() -> Int { 1 }

    """

/// `baseSource` with an undocumented public declaration at line 7.
private let stagedSource = baseSource.replacingOccurrences(of: "}\n\n// One.", with: "}\n\npublic struct Marker {}\n\n// One.")

/// `stagedSource` with its public declaration documented.
private let documentedSource = stagedSource.replacingOccurrences(of: "public struct Marker {}", with: "/// A marker.\npublic struct Marker {}")

private let file = "Sources/Things.swift"

/// The line of a declaration appended to `documentedSource`.
private let laterLine = documentedSource.filter { $0 == "\n" }.count + 1

/// Runs a program with a hermetic git environment (no system or user git configuration, a home in
/// the sandbox) plus `environment`; returns its status and its standard output and error together.
private func runTool(
    _ executable: String, _ arguments: [String], in fixture: FixtureRepository, environment: [String: String] = [:]
) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: fixture.path)
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") && !$0.key.hasPrefix("ASSIST_") }
    env["HOME"] = fixture.sandbox + "/home"
    env["XDG_CONFIG_HOME"] = fixture.sandbox + "/home/.config"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_DATE"] = FixtureRepository.fixedDate
    env["GIT_COMMITTER_DATE"] = FixtureRepository.fixedDate
    env["LC_ALL"] = "C"
    env.merge(environment) { _, new in new }
    process.environment = env
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("assist-hook-out-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
}

/// `git commit` as a user runs it (hooks included), with the fixture's identity.
private func commit(_ fixture: FixtureRepository, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    try runTool(
        "/usr/bin/env",
        ["git", "-c", "user.name=\(FixtureRepository.userName)", "-c", "user.email=\(FixtureRepository.userEmail)",
         "-c", "commit.gpgSign=false", "commit", "--quiet", "-m", "change"] + extra,
        in: fixture, environment: environment)
}

private func read(_ fixture: FixtureRepository, _ path: String) throws -> String {
    try String(contentsOfFile: fixture.path + "/" + path, encoding: .utf8)
}

@Suite("assist hook")
struct HookTests {
    // MARK: install / uninstall

    @Test func installWritesAnExecutableHookAndUninstallRemovesIt() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        let hook = fixture.path + "/.git/hooks/pre-commit"
        let installed = try await runAssist(["hook", "install"], in: fixture.path)
        #expect(installed.status == 0, "\(installed.stderr)")
        #expect(installed.stdout.contains(hook))
        let script = try String(contentsOfFile: hook, encoding: .utf8)
        #expect(script.hasPrefix("#!/bin/sh\n"))
        #expect(script.contains("# assist-managed pre-commit hook"))
        #expect(script.contains(try TestClient.assistBinary()))
        #expect(script.contains("hook run --mode check"))
        #expect(FileManager.default.isExecutableFile(atPath: hook))

        // Installing again over its own hook is fine: it changes the mode.
        let again = try await runAssist(["hook", "install", "--mode", "fix", "--model", "smollm2-135m"], in: fixture.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: hook, encoding: .utf8).contains("hook run --mode fix --model smollm2-135m"))

        let removed = try await runAssist(["hook", "uninstall"], in: fixture.path)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hook))
        let nothing = try await runAssist(["hook", "uninstall"], in: fixture.path)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("no pre-commit hook is installed"))

        let bad = try await runAssist(["hook", "install", "--mode", "loud"], in: fixture.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("loud"))
    }

    @Test func aForeignHookIsKeptUnlessForced() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        let foreign = "#!/bin/sh\necho someone else's hook\n"
        try fixture.write(".git/hooks/pre-commit", foreign)
        let refused = try await runAssist(["hook", "install"], in: fixture.path)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(refused.stderr.contains("not written by assist"))
        #expect(try read(fixture, ".git/hooks/pre-commit") == foreign)

        let notRemoved = try await runAssist(["hook", "uninstall"], in: fixture.path)
        #expect(notRemoved.status == 1)
        #expect(notRemoved.stderr.contains("not written by assist"), "\(notRemoved.stderr)")
        #expect(try read(fixture, ".git/hooks/pre-commit") == foreign)

        let forced = try await runAssist(["hook", "install", "--force"], in: fixture.path)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try read(fixture, ".git/hooks/pre-commit").contains("# assist-managed pre-commit hook"))
    }

    @Test func installGoesWhereGitLooks() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        // A linked worktree shares the main repository's hooks.
        let linked = fixture.sandbox + "/linked"
        try fixture.git("worktree", "add", "--quiet", "-b", "side", linked)
        let fromLinked = try await runAssist(["hook", "install"], in: linked)
        #expect(fromLinked.status == 0, "\(fromLinked.stderr)")
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/hooks/pre-commit"))
        #expect(try await runAssist(["hook", "uninstall"], in: linked).status == 0)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/hooks/pre-commit"))

        // core.hooksPath wins when set (relative to the working tree, as git takes it).
        try fixture.git("config", "core.hooksPath", "tools/hooks")
        let custom = try await runAssist(["hook", "install"], in: fixture.path)
        #expect(custom.status == 0, "\(custom.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: fixture.path + "/tools/hooks/pre-commit"))
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/hooks/pre-commit"))
    }

    @Test func helpExplainsEachSubcommand() async throws {
        let top = try await runAssist(["--help"], in: NSTemporaryDirectory())
        #expect(top.stdout.contains("hook"))
        for (arguments, words) in [
            (["hook", "--help"], ["install", "uninstall", "run", ".pre-commit-hooks.yaml"]),
            (["hook", "install", "--help"], ["--mode", "--force", "core.hooksPath"]),
            (["hook", "uninstall", "--help"], ["never"]),
            (["hook", "run", "--help"], ["staged", "--mode", "path:line:", "GIT_INDEX_FILE"]),
        ] {
            let result = try await runAssist(arguments, in: NSTemporaryDirectory())
            #expect(result.status == 0, "\(arguments)")
            for word in words { #expect(result.stdout.contains(word), "\(arguments) lacks \(word)") }
        }
    }

    // MARK: check mode

    @Test func checkReadsTheStagedContentNotTheWorkingTree() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource, "notes.txt": "hi\n"])
        defer { fixture.remove() }
        let noModel = ["ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache"]
        // Nothing staged: silent success.
        try fixture.write(file, stagedSource)
        let nothing = try await runAssist(["hook", "run"], in: fixture.path, environment: noModel)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.isEmpty && nothing.stderr.isEmpty)

        // Staged undocumented, working tree documented: fails on the staged content.
        try fixture.git("add", file)
        try fixture.write(file, documentedSource)
        let failing = try await runAssist(["hook", "run", "--mode", "check"], in: fixture.path, environment: noModel)
        #expect(failing.status == 1)
        #expect(failing.stdout == "\(file):7: Marker\n")
        #expect(failing.stderr.contains("assist docstring FILE --all --apply"))
        #expect(failing.stderr.contains("--mode fix"))

        // Staged documented, working tree undocumented: passes.
        try fixture.git("add", file)
        try fixture.write(file, stagedSource + "public func later() {}\n")
        let passing = try await runAssist(["hook", "run"], in: fixture.path, environment: noModel)
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(passing.stdout.isEmpty)

        // A new file counts too, and other languages do not.
        try fixture.write("Sources/New.swift", "public enum Fresh {}\n")
        try fixture.write("notes.txt", "public func notSwift() {}\n")
        try fixture.git("add", "Sources/New.swift", "notes.txt")
        let added = try await runAssist(["hook", "run"], in: fixture.path, environment: noModel)
        #expect(added.status == 1)
        #expect(added.stdout == "Sources/New.swift:1: Fresh\n")
    }

    @Test func aRealCommitRunsTheInstalledHook() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        #expect(try await runAssist(["hook", "install"], in: fixture.path).status == 0)
        let noModel = ["ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache"]

        try fixture.write(file, stagedSource)
        try fixture.git("add", file)
        let refused = try commit(fixture, environment: noModel)
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(file):7: Marker"), "\(refused.output)")
        #expect(try fixture.git("rev-list", "--count", "HEAD") == "1")

        try fixture.write(file, documentedSource)
        try fixture.git("add", file)
        let accepted = try commit(fixture, environment: noModel)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(try fixture.git("rev-list", "--count", "HEAD") == "2")

        // `git commit -a` stages into a temporary index (GIT_INDEX_FILE); the hook reads that one.
        try fixture.write(file, documentedSource + "public func later() {}\n")
        let all = try commit(fixture, ["-a"], environment: noModel)
        #expect(all.status != 0)
        #expect(all.output.contains("\(file):\(laterLine): later()"), "\(all.output)")
        #expect(try fixture.git("rev-list", "--count", "HEAD") == "2")
    }

    // MARK: fix mode

    @Test func fixWithoutAModelSaysHowToInstallOne() async throws {
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        try fixture.write(file, stagedSource)
        try fixture.git("add", file)
        let result = try await runAssist(["hook", "run", "--mode", "fix"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("assist model install"), "\(result.stderr)")
        #expect(try read(fixture, file) == stagedSource)
    }

    /// The real model on a partially staged file: the docstring is computed on the staged content and
    /// lands in the working tree next to an unstaged edit; an unstaged edit of the same lines stops it.
    @Test func fixDocumentsTheStagedContentAroundUnstagedEdits() async throws {
        let cache = TestModelCache.path
        guard TestModelCache.hasTestModel else {
            Issue.record("the test model is not installed in \(cache): run `assist model install --test-model-only` (scripts/test does)")
            return
        }
        let environment = ["ASSIST_CACHE_DIR": cache]
        let fixture = try FixtureRepository.make(files: [file: baseSource])
        defer { fixture.remove() }
        try fixture.write(file, stagedSource)
        try fixture.git("add", file)
        let stagedDiff = try fixture.git("diff", "--cached")

        // (a) An unstaged edit further down: the comment is written, the edit kept, the index untouched.
        let working = stagedSource.replacingOccurrences(of: "{ 1 }", with: "{ 2 }")
        try fixture.write(file, working)
        let fixed = try await runAssist(["hook", "run", "--mode", "fix", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
        #expect(fixed.status == 1)
        #expect(fixed.stderr.contains("assist hook: wrote \(file): documented Marker"), "\(fixed.stderr)")
        let updated = try read(fixture, file)
        #expect(updated.contains("func helper() -> Int { 2 }"))
        let lines = updated.split(separator: "\n", omittingEmptySubsequences: false)
        let marker = try #require(lines.firstIndex(of: "public struct Marker {}"))
        let comment = lines[..<marker].reversed().prefix { $0.hasPrefix("///") }
        #expect(!comment.isEmpty, "\(updated)")
        #expect(lines.count == working.split(separator: "\n", omittingEmptySubsequences: false).count + comment.count)
        #expect(updated.replacingOccurrences(of: comment.reversed().joined(separator: "\n") + "\n", with: "") == working)
        #expect(try fixture.git("diff", "--cached") == stagedDiff)
        // Once staged, the check passes.
        try fixture.git("add", file)
        #expect(try await runAssist(["hook", "run"], in: fixture.path).status == 0)

        // (b) The same comment against an unstaged edit of the declaration itself: nothing is written.
        try fixture.write(file, stagedSource)
        try fixture.git("add", file)
        let overlapping = stagedSource.replacingOccurrences(of: "public struct Marker {}", with: "public struct Marker: Sendable {}")
        try fixture.write(file, overlapping)
        let refused = try await runAssist(["hook", "run", "--mode", "fix", "--model", "smollm2-135m"], in: fixture.path, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(file): not written"), "\(refused.stderr)")
        #expect(refused.stderr.contains("left untouched"))
        #expect(try read(fixture, file) == overlapping)
        #expect(try fixture.git("diff", "--cached") == stagedDiff)
    }

    // MARK: the pre-commit framework

    /// The shipped `.pre-commit-hooks.yaml`, run by the real `pre-commit` as `repo: local` hooks (no
    /// network: `language: system` builds nothing), with the built `assist` first on PATH.
    /// The pre-commit framework's command, or `nil` (with an issue recorded) when it is not installed.
    func preCommitTool() -> String? {
        let cacheTool = TestModelCache.path + "/tools/pre-commit/bin/pre-commit"
        let preCommit = ProcessInfo.processInfo.environment["ASSIST_PRE_COMMIT"] ?? cacheTool
        guard FileManager.default.isExecutableFile(atPath: preCommit) else {
            Issue.record("pre-commit is not installed at \(preCommit): run scripts/install-pre-commit (scripts/test does) or set ASSIST_PRE_COMMIT")
            return nil
        }
        return preCommit
    }

    /// A `.pre-commit-config.yaml` that runs this repository's shipped hooks from a local repo.
    func preCommitConfig() throws -> String {
        let manifest = try String(contentsOf: packageRoot.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        let hooks = manifest.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        return "repos:\n- repo: local\n  hooks:\n\(hooks)\n"
    }

    /// The environment pre-commit runs in: the built `assist` first on PATH, a home in the sandbox, no model.
    func preCommitEnvironment(_ fixture: FixtureRepository) throws -> [String: String] {
        let binDirectory = (try TestClient.assistBinary() as NSString).deletingLastPathComponent
        return [
            "PATH": binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "PRE_COMMIT_HOME": fixture.sandbox + "/pre-commit-home",
            "ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache",
        ]
    }

    @Test func thePreCommitFrameworkRunsTheShippedCheckHook() async throws {
        guard let preCommit = preCommitTool() else { return }
        let manifest = try String(contentsOf: packageRoot.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        #expect(manifest.contains("id: assist-docstring-check"))
        #expect(manifest.contains("id: assist-docstring-fix"))
        let fixture = try FixtureRepository.make(files: [file: baseSource, ".pre-commit-config.yaml": try preCommitConfig()])
        defer { fixture.remove() }
        let environment = try preCommitEnvironment(fixture)

        // Staged undocumented public API (with an unstaged edit that pre-commit stashes): fails.
        try fixture.write(file, stagedSource)
        try fixture.git("add", file)
        try fixture.write(file, documentedSource)
        let failing = try runTool(preCommit, ["run", "assist-docstring-check"], in: fixture, environment: environment)
        #expect(failing.status == 1)
        #expect(failing.output.contains("\(file):7: Marker"), "\(failing.output)")
        #expect(try read(fixture, file) == documentedSource)

        // Documented and staged: passes.
        try fixture.git("add", file)
        let passing = try runTool(preCommit, ["run", "assist-docstring-check"], in: fixture, environment: environment)
        #expect(passing.status == 0, "\(passing.output)")
        #expect(passing.output.contains("Passed"))

        // Installed as the git hook by `pre-commit install`: a real commit fails, then passes.
        let install = try runTool(preCommit, ["install"], in: fixture, environment: environment)
        #expect(install.status == 0, "\(install.output)")
        try fixture.git("commit", "--quiet", "--no-verify", "-m", "documented")
        try fixture.write(file, documentedSource + "public func later() {}\n")
        try fixture.git("add", file)
        let refused = try commit(fixture, environment: environment)
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(file):\(laterLine): later()"), "\(refused.output)")
        try fixture.write(file, documentedSource + "/// Later.\npublic func later() {}\n")
        try fixture.git("add", file)
        let accepted = try commit(fixture, environment: environment)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(try fixture.git("rev-list", "--count", "HEAD") == "3")
    }

    // MARK: scope: what a commit adds or changes

    /// A legacy file: undocumented public API that is already committed, and one documented function.
    static let legacySource = """
        public struct Legacy {
            public var count: Int

            public func one() -> Int { 1 }

            public func two(x: Int) -> Int {
                x * 2
            }
        }

        /// Doubles its argument.
        public func documented(_ value: Int) -> Int {
            value * 2
        }

        public func helper() {}

        """

    /// Stages `text` for the legacy file and runs the hook; returns its status and output.
    func stageAndCheck(_ fixture: FixtureRepository, _ text: String, arguments: [String] = []) async throws -> (status: Int32, out: String, err: String) {
        try fixture.write("Sources/Legacy.swift", text)
        try fixture.git("add", "Sources/Legacy.swift")
        let result = try await runAssist(["hook", "run"] + arguments, in: fixture.path, environment: ["ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache"])
        return (result.status, result.stdout, result.stderr)
    }

    @Test func aLegacyFileWithAChangeElsewherePassesAndSaysWhatItLeftAlone() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Legacy.swift": Self.legacySource])
        defer { fixture.remove() }
        // A one-line change in a documented function's body, and a trailing space on line 1.
        let edited = Self.legacySource.replacingOccurrences(of: "value * 2", with: "value + value")
            .replacingOccurrences(of: "public struct Legacy {", with: "public struct Legacy { ")
        let result = try await stageAndCheck(fixture, edited)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.isEmpty)
        #expect(result.err.contains("undocumented public declaration(s) that this commit does not add or change were left alone"), "\(result.err)")
        // The whole-file scope still sees them.
        let whole = try await stageAndCheck(fixture, edited, arguments: ["--scope", "file"])
        #expect(whole.status == 1)
        for name in ["Legacy", "count", "one()", "two(x:)", "helper()"] {
            #expect(whole.out.contains(name), "\(name) missing from \(whole.out)")
        }
    }

    @Test(arguments: [
        ("a changed signature", "public func two(x: Int) -> Int {", "public func two(x: Int, by factor: Int) -> Int {", "two(x:by:)"),
        ("a new declaration", "public func helper() {}", "public func helper() {}\n\npublic func added() {}", "added()"),
        ("a rename", "public func helper() {}", "public func assist() {}", "assist()"),
        ("a changed body", "x * 2", "x * 4", "two(x:)"),
    ])
    func theDeclarationsACommitTouchesAreChecked(change: (String, String, String, String)) async throws {
        let (_, from, to, expected) = change
        let fixture = try FixtureRepository.make(files: ["Sources/Legacy.swift": Self.legacySource])
        defer { fixture.remove() }
        let result = try await stageAndCheck(fixture, Self.legacySource.replacingOccurrences(of: from, with: to))
        #expect(result.status == 1)
        let listed = result.out.split(separator: "\n")
        #expect(listed.count == 1 && listed[0].hasSuffix(": \(expected)"), "\(result.out)")
        #expect(result.err.contains("that this commit adds or changes"), "\(result.err)")
    }

    @Test func installWritesTheScopeIntoTheHook() async throws {
        let fixture = try FixtureRepository.make(files: ["Sources/Legacy.swift": Self.legacySource])
        defer { fixture.remove() }
        #expect(try await runAssist(["hook", "install", "--scope", "file"], in: fixture.path).status == 0)
        let hook = try String(contentsOfFile: fixture.path + "/.git/hooks/pre-commit", encoding: .utf8)
        #expect(hook.contains("hook run --mode check --scope file"), "\(hook)")
        #expect(try await runAssist(["hook", "install"], in: fixture.path).status == 0)
        #expect(try String(contentsOfFile: fixture.path + "/.git/hooks/pre-commit", encoding: .utf8).contains("--scope changes"))
        // A real commit of a change elsewhere goes through the default hook.
        try fixture.write("Sources/Legacy.swift", Self.legacySource.replacingOccurrences(of: "value * 2", with: "value + value"))
        try fixture.git("add", "Sources/Legacy.swift")
        let committed = try commit(fixture, environment: ["ASSIST_CACHE_DIR": fixture.sandbox + "/no-cache"])
        #expect(committed.status == 0, "\(committed.output)")
    }

    /// Fix mode with the default model documents only the declaration the commit adds.
    @Test func fixDocumentsOnlyWhatTheCommitAdds() async throws {
        guard TestModelCache.requireDefaultModel() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Legacy.swift": Self.legacySource])
        defer { fixture.remove() }
        let added = Self.legacySource.replacingOccurrences(of: "public func helper() {}", with: "public func helper() {}\n\npublic func square(_ value: Int) -> Int {\n    value * value\n}")
        try fixture.write("Sources/Legacy.swift", added)
        try fixture.git("add", "Sources/Legacy.swift")
        let result = try await runAssist(["hook", "run", "--mode", "fix"], in: fixture.path, environment: ["ASSIST_CACHE_DIR": TestModelCache.path])
        #expect(result.status == 1, "fix mode fails the commit so that the comment is reviewed")
        #expect(result.stderr.contains("documented square(_:)"), "\(result.stderr)")
        let diff = try fixture.git("diff", "--", "Sources/Legacy.swift")
        let addedLines = diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
        #expect(!addedLines.isEmpty && addedLines.allSatisfy { $0.hasPrefix("+///") }, "\(diff)")
        #expect(diff.contains("public func square"), "the comment is on square: \(diff)")
        #expect(!diff.contains("public func one"), "an untouched declaration was documented: \(diff)")
    }

    /// Under the pre-commit framework: the shipped check hook passes a legacy file's change elsewhere.
    @Test func thePreCommitFrameworkPassesALegacyChangeElsewhere() async throws {
        guard let preCommit = preCommitTool() else { return }
        let fixture = try FixtureRepository.make(files: ["Sources/Legacy.swift": Self.legacySource, ".pre-commit-config.yaml": try preCommitConfig()])
        defer { fixture.remove() }
        let environment = try preCommitEnvironment(fixture)
        try fixture.write("Sources/Legacy.swift", Self.legacySource.replacingOccurrences(of: "value * 2", with: "value + value"))
        try fixture.git("add", "Sources/Legacy.swift")
        let passing = try runTool(preCommit, ["run", "assist-docstring-check"], in: fixture, environment: environment)
        #expect(passing.status == 0, "\(passing.output)")
        try fixture.write("Sources/Legacy.swift", Self.legacySource.replacingOccurrences(of: "public func one() -> Int { 1 }", with: "public func one(more: Bool) -> Int { 1 }"))
        try fixture.git("add", "Sources/Legacy.swift")
        let failing = try runTool(preCommit, ["run", "assist-docstring-check"], in: fixture, environment: environment)
        #expect(failing.status == 1)
        #expect(failing.output.contains("one(more:)"), "\(failing.output)")
        #expect(!failing.output.contains(": helper()"), "\(failing.output)")
    }
}
