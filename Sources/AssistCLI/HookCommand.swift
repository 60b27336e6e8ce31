import ArgumentParser
import AssistCore
import AssistDocstrings
import AssistFiles
import AssistGit
import AssistLocalModel
import AssistRequests
import AssistSwift
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `assist hook`: the git pre-commit hook that keeps staged public API documented.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Install, remove or run the pre-commit hook that checks staged Swift files for undocumented public API.",
        discussion: """
            `assist hook install` writes the repository's pre-commit hook; each commit then runs \
            `assist hook run`, which looks only at the staged Swift files (their staged content, not the \
            working tree). In check mode it lists undocumented public/open declarations and fails the \
            commit; in fix mode it writes DocC comments with the local model into the working tree and \
            fails the commit so that you review and stage them. The pre-commit framework can run the same \
            hooks through the repository's .pre-commit-hooks.yaml (assist-docstring-check, assist-docstring-fix).
            """,
        subcommands: [HookInstallCommand.self, HookUninstallCommand.self, HookRunCommand.self]
    )
}

/// What the hook does with undocumented public API.
enum HookMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// List it and fail; no model.
    case check
    /// Document it with the local model in the working tree, then fail so that it is reviewed.
    case fix
}

/// Which undocumented public declarations the hook looks at.
enum HookScope: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Only those the commit adds or changes (their text differs from HEAD's): a legacy code base
    /// can adopt the hook without documenting everything first.
    case changes
    /// Every one in the staged files.
    case file
}

/// `assist hook install`: writes `pre-commit` into the repository's hooks folder.
struct HookInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write the git pre-commit hook that runs `assist hook run`.",
        discussion: """
            The hook goes where git looks for it: core.hooksPath when set, else the hooks folder of the \
            repository's common git directory (shared by linked worktrees). It is a shell script that runs \
            this assist binary by its absolute path (or `assist` from PATH if that binary is gone). An \
            existing pre-commit hook that assist did not write is left alone unless --force is given; \
            assist's own hook is replaced freely (to change the mode, install again).
            """
    )

    @Option(help: "check: list undocumented public API and fail the commit; fix: document it with the local model.")
    var mode: HookMode = .check

    @Option(help: "The local model for fix mode: qwen2.5-coder-0.5b (default) or smollm2-135m.")
    var model: String?

    @Option(help: "changes: only the public declarations a commit adds or changes; file: every one in the staged files.")
    var scope: HookScope = .changes

    @Flag(help: "Replace a pre-commit hook that assist did not write.")
    var force = false

    func run() throws {
        let place = HookPlace.locate()
        let hookPath = place.hookPath
        switch HookFile.inspect(hookPath) {
        case .missing, .ours:
            break
        case .foreign:
            guard force else {
                HookPlace.fail("\(hookPath) already exists and was not written by assist; not replacing it (pass --force to replace it)")
            }
        case .unreadable(let reason):
            guard force else { HookPlace.fail("\(hookPath) exists but cannot be read (\(reason)); pass --force to replace it") }
        }
        do {
            try FileManager.default.createDirectory(atPath: (hookPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            HookPlace.fail("cannot create \((hookPath as NSString).deletingLastPathComponent): \(error.localizedDescription)")
        }
        let script = HookFile.script(binary: HookFile.currentBinary(), mode: mode, model: model, scope: scope)
        let hooks = (hookPath as NSString).deletingLastPathComponent
        do {
            try FileTree(root: hooks, kind: .owned).write(script, to: "pre-commit", expecting: .any, mode: 0o755)
        } catch {
            HookPlace.fail(error.reason)
        }
        print("assist hook: installed \(hookPath) (mode \(mode.rawValue), scope \(scope.rawValue))")
    }
}

/// `assist hook uninstall`: removes the hook that `install` wrote, and nothing else.
struct HookUninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove the pre-commit hook that `assist hook install` wrote.",
        discussion: "A pre-commit hook that assist did not write is never removed. With no hook installed, it says so and exits 0."
    )

    func run() throws {
        let hookPath = HookPlace.locate().hookPath
        switch HookFile.inspect(hookPath) {
        case .missing:
            print("assist hook: no pre-commit hook is installed at \(hookPath)")
        case .foreign, .unreadable:
            HookPlace.fail("\(hookPath) was not written by assist; not removing it (delete it yourself if you mean to)")
        case .ours:
            guard unlink(hookPath) == 0 else { HookPlace.fail("cannot remove \(hookPath): \(String(cString: strerror(errno)))") }
            print("assist hook: removed \(hookPath)")
        }
    }
}

/// `assist hook run`: what the installed hook runs, on the staged Swift files.
struct HookRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Check (or fix) the staged Swift files for undocumented public/open declarations.",
        discussion: """
            Only files added or modified in the staging area (compared with HEAD) are looked at, and their \
            staged content is read, never the working tree; the staging area is $GIT_INDEX_FILE when git \
            sets it (as during `git commit -a`). With nothing staged it exits 0 silently.

            By default (--scope changes) only the undocumented public/open declarations that the commit adds \
            or changes are looked at: their text differs from HEAD's (a type counts as changed when its \
            declaration up to the body does, so editing one member does not touch its type; a renamed \
            declaration is a new one). Undocumented declarations the commit does not touch are left alone, \
            and the message says how many. --scope file looks at every one in the staged files.

            check (default): calls no model; prints each undocumented public/open declaration as \
            path:line: name and exits 1 if there is any.

            fix: documents those declarations with the local model, computed on the staged content, and \
            applies the change to the working-tree file only if it applies there exactly, at the same lines \
            (unstaged edits further down the file are kept; a file whose unstaged edits touch those lines, or \
            move them by adding or removing lines above, is left untouched and reported). Files are written atomically and never when they changed meanwhile. Exits 1 \
            when anything needed documenting (review the change, stage it and commit again), 0 otherwise.
            """
    )

    @Option(help: "check: list and fail; fix: document with the local model, then fail so that you review and stage.")
    var mode: HookMode = .check

    @Option(help: "The local model for fix mode: qwen2.5-coder-0.5b (default) or smollm2-135m.")
    var model: String?

    @Option(help: "changes (default): only the public declarations the commit adds or changes; file: every one in the staged files.")
    var scope: HookScope = .changes

    func run() async throws {
        let place = HookPlace.locate(findingHook: false)
        let repository = place.repository
        let environment = ProcessInfo.processInfo.environment
        var indexFile: String?
        if let named = environment["GIT_INDEX_FILE"], !named.isEmpty {
            let absolute = named.hasPrefix("/") ? named : FileManager.default.currentDirectoryPath + "/" + named
            if FileManager.default.fileExists(atPath: absolute) { indexFile = absolute }
        }
        let staged: [StagedFile]
        do {
            staged = try repository.stagedFiles(indexFile: indexFile).filter { $0.path.hasSuffix(".swift") }
        } catch {
            HookPlace.fail("cannot read the staging area: \(error)")
        }
        // Each staged Swift file with undocumented public API in scope, read from its staged blob.
        var pending: [(path: String, source: String, missing: [SwiftDeclaration])] = []
        var untouched = 0
        for file in staged {
            let bytes: [UInt8]
            do {
                bytes = try repository.blob(file.oid)
            } catch {
                HookPlace.fail("cannot read the staged content of \(file.path): \(error)")
            }
            guard let source = String(validating: bytes, as: UTF8.self) else {
                printError("assist hook: \(file.path): skipped, its staged content is not valid UTF-8")
                continue
            }
            let analysis = SwiftAnalyzer.analyze(source: source)
            var missing = DocstringPlanner.undocumentedPublicAPI(analysis)
            if scope == .changes, let head = file.headOID, !missing.isEmpty {
                // HEAD's version of the file, to tell what the commit changed.
                let before = (try? repository.blob(head)).flatMap { String(validating: $0, as: UTF8.self) }
                if let before {
                    let changes = DocstringPlanner.changedPublicAPI(
                        analysis, source: source, since: SwiftAnalyzer.analyze(source: before), source: before)
                    missing = changes.changed
                    untouched += changes.untouched
                }
            }
            if !missing.isEmpty { pending.append((file.path, source, missing)) }
        }
        let leftAlone = untouched == 0 ? nil : """
            assist hook: \(untouched) undocumented public declaration(s) that this commit does not add or change \
            were left alone (`assist hook run --scope file` checks them too)
            """
        if pending.isEmpty {
            if let leftAlone { printError(leftAlone) }
            return
        }
        switch mode {
        case .check:
            for file in pending {
                for declaration in file.missing { print("\(file.path):\(declaration.range.start.line): \(declaration.fullName)") }
            }
            let count = pending.reduce(0) { $0 + $1.missing.count }
            let what = scope == .changes ? "that this commit adds or changes" : "in staged Swift files"
            printError("""
                assist hook: \(count) undocumented public declaration(s) \(what) (checked \(pending.count) file(s)); \
                document them with `assist docstring FILE --all --apply` (or `--line N` for one) and stage the \
                change, or let the hook write them: `assist hook install --mode fix`
                """)
            if let leftAlone { printError(leftAlone) }
            throw ExitCode.failure
        case .fix:
            if let leftAlone { printError(leftAlone) }
            try await fix(pending, place: place, environment: environment)
        }
    }

    private func fix(
        _ pending: [(path: String, source: String, missing: [SwiftDeclaration])], place: HookPlace, environment: [String: String]
    ) async throws {
        let workspace = CommandWorkspace.open(command: "hook", repository: place.repository).workspace
        var wrote: [String] = []
        var notWritten: [String] = []
        for file in pending {
            let outcome: DocstringOutcome
            do {
                let selection: DocstringSelection = scope == .changes
                    ? .undocumentedPublicAPIAt(Set(file.missing.map(\.range.start.line))) : .undocumentedPublicAPI
                outcome = try await workspace.document(path: file.path, text: file.source, selection: selection, model: model).outcome
            } catch {
                await workspace.stop()
                HookPlace.fail(error is CancellationError ? "cancelled" : "\(error)")
            }
            for failure in outcome.failures { notWritten.append("\(file.path): \(failure)") }
            let documentedLines = Set(outcome.documented.map(\.line))
            for declaration in file.missing where !documentedLines.contains(declaration.range.start.line) {
                if !outcome.failures.contains(where: { $0.line == declaration.range.start.line }) {
                    notWritten.append("\(file.path):\(declaration.range.start.line): \(declaration.fullName): a doc comment cannot attach here (it shares its line with other code)")
                }
            }
            guard !outcome.diff.isEmpty else { continue }
            if let problem = applyToWorkingTree(outcome, place: place) {
                notWritten.append("\(file.path): not written: \(problem)")
            } else {
                wrote.append("\(file.path): documented \(outcome.documented.map(\.name).joined(separator: ", "))")
            }
        }
        await workspace.stop()
        for line in wrote { printError("assist hook: wrote \(line)") }
        for line in notWritten { printError("assist hook: \(line)") }
        if !wrote.isEmpty {
            printError("assist hook: review the new comments, stage them (git add -p) and commit again")
        }
        if !notWritten.isEmpty {
            printError("assist hook: document the rest yourself (`assist docstring FILE --all` prints a diff), stage it and commit again")
        }
        throw ExitCode.failure
    }

    /// Applies the outcome's diff (made on the staged text) to the working-tree file, atomically.
    ///
    /// - Returns: `nil` when written, else why nothing was written.
    private func applyToWorkingTree(_ outcome: DocstringOutcome, place: HookPlace) -> String? {
        guard let workingTree = place.repository.workingTree else { return "the repository has no working tree" }
        let bytes: [UInt8]
        switch workingTree.read(outcome.path) {
        case .file(let read): bytes = read
        case .missing: return "the file is missing from the working tree"
        case .symlink: return "the working-tree file is a symbolic link"
        case .refused(let reason): return reason
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return "the working-tree file is not valid UTF-8" }
        let updated: String
        switch UnifiedDiff.apply(outcome.diff, to: [outcome.path: text]) {
        case .success(let files):
            guard let new = files[outcome.path] else { return "the change does not name the file" }
            updated = new
        case .failure(let error):
            return "the comments do not apply exactly to the working-tree file, whose unstaged changes touch or move those lines (\(error)); it was left untouched"
        }
        do {
            try FileTree(root: place.root).write(updated, to: outcome.path, expecting: .content(bytes))
            return nil
        } catch {
            return "\(error.reason); it was left untouched"
        }
    }
}

/// The repository the hook commands work on (the current directory's) and where its hook lives.
struct HookPlace {
    var repository: Repository
    var root: String
    /// Where git runs the pre-commit hook from (empty when not asked for).
    var hookPath: String

    static func fail(_ message: String) -> Never {
        printError("assist hook: \(message)")
        Foundation.exit(1)
    }

    static func locate(findingHook: Bool = true) -> HookPlace {
        let repository: Repository
        do {
            repository = try Repository.open(at: FileManager.default.currentDirectoryPath)
        } catch {
            fail("\(error)")
        }
        guard let root = repository.workingDirectory else { fail("the repository has no working tree: \(repository.gitDirectory)") }
        let hookPath = findingHook ? hooksDirectory(repository: repository, root: root) + "/pre-commit" : ""
        return HookPlace(repository: repository, root: root, hookPath: hookPath)
    }

    /// git's own answer (it honours core.hooksPath and linked worktrees), else `<common dir>/hooks`.
    static func hooksDirectory(repository: Repository, root: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--git-path", "hooks"]
        process.environment = ChildEnvironment.clean(ProcessInfo.processInfo.environment)
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        if (try? process.run()) != nil {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0,
               let answer = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .newlines), !answer.isEmpty
            {
                let absolute = answer.hasPrefix("/") ? answer : root + "/" + answer
                return URL(fileURLWithPath: absolute).standardizedFileURL.path
            }
        }
        return repository.commonDirectory + "/hooks"
    }
}

/// The hook script, and how to tell it from one that someone else wrote.
enum HookFile {
    /// The line that marks a hook as assist's; never change it, or old hooks stop being recognised.
    static let marker = "# assist-managed pre-commit hook (written by `assist hook install`)"

    enum State: Equatable {
        case missing, ours, foreign
        case unreadable(String)
    }

    static func inspect(_ path: String) -> State {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno))) }
        guard info.st_mode & 0o170000 == 0o100000 else { return .foreign }
        guard let data = FileManager.default.contents(atPath: path) else { return .unreadable("cannot read it") }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").contains { $0 == marker } ? .ours : .foreign
    }

    static func script(binary: String, mode: HookMode, model: String?, scope: HookScope = .changes) -> String {
        var arguments = ["hook", "run", "--mode", mode.rawValue]
        if let model { arguments += ["--model", model] }
        arguments += ["--scope", scope.rawValue]
        return """
            #!/bin/sh
            \(marker)
            # Remove it with `assist hook uninstall`; change the mode with `assist hook install --mode check|fix`.
            assist=\(shellQuoted(binary))
            if [ ! -x "$assist" ]; then assist=assist; fi
            exec "$assist" \(arguments.map(shellQuoted).joined(separator: " "))

            """
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:+@%".contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The absolute path of the running binary (as invoked, links kept), else `assist` from PATH.
    static func currentBinary() -> String {
        let invoked = CommandLine.arguments.first ?? ""
        let fileManager = FileManager.default
        if invoked.contains("/") {
            let absolute = URL(fileURLWithPath: invoked, relativeTo: URL(fileURLWithPath: fileManager.currentDirectoryPath)).standardizedFileURL.path
            if fileManager.isExecutableFile(atPath: absolute) { return absolute }
        } else if !invoked.isEmpty {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where folder.hasPrefix("/") {
                let candidate = "\(folder)/\(invoked)"
                if fileManager.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        if let executable = Bundle.main.executablePath, fileManager.isExecutableFile(atPath: executable) { return executable }
        return "assist"
    }
}
