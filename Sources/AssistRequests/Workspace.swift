import AssistCore
import AssistDocstrings
import AssistFiles
import AssistGit
import AssistIndex
import AssistLocalModel
import Foundation
import Synchronization

/// One repository as every surface sees it, and the one entry point per request kind: `document`,
/// `refactor`, `ask`, `classify`, `index`, `symbols`. The daemon, the shell commands and the hook
/// all call these; each takes plain values (paths from the repository root, text, lines,
/// instructions) and returns plain results with their route, usage and checks. No wire type and no
/// command-line argument reaches this module.
///
/// A workspace holds what outlives a request: the configuration, the index, and the local models
/// (prepared once per id, started on their first prompt, stopped by ``stop()``).
public final class Workspace: Sendable {
    /// The repository.
    public let repository: Repository
    /// Its working directory, or its git directory when it is bare.
    public let root: String
    /// The configuration in force for every request.
    public let configuration: Configuration
    public let environment: [String: String]
    public let homeDirectory: String
    /// An editor's unsaved text of a file, by path from the root; `nil` when it is not open.
    private let unsavedText: @Sendable (String) -> String?
    /// Where problems of the settings go (bad `privacy.localOnly` patterns, bad prices).
    private let warn: @Sendable (String) -> Void

    private struct State {
        var index: SwiftWorkspaceIndex?
        /// The local models prepared so far, by id.
        var localModels: [String: LocalModel] = [:]
        /// The one docstring cache of the repository for every request of this workspace.
        var docstringCache: DocstringCache?
        /// The local model's classification opinions (`<git dir>/assist/classifier-opinions.json`).
        var opinionCache: DocstringCache?
    }

    /// The cache of the local model's opinions on requests the rules were unsure of.
    private var opinionCache: DocstringCache { cache(\.opinionCache, file: "classifier-opinions.json") }

    /// The docstring cache (`<git dir>/assist/docstrings.json`), read once and shared by every request.
    private var docstringCache: DocstringCache { cache(\.docstringCache, file: "docstrings.json") }

    /// A cache under `<git dir>/assist/`, read on first use and shared by every request.
    private func cache(_ slot: WritableKeyPath<State, DocstringCache?> & Sendable, file: String) -> DocstringCache {
        state.withLock { state in
            if let cache = state[keyPath: slot] { return cache }
            let cache = DocstringCache(path: repository.gitDirectory + "/assist/" + file)
            state[keyPath: slot] = cache
            return cache
        }
    }

    /// Guards the index once made and the local models.
    private let state = Mutex(State())

    /// Creates a workspace over an open repository.
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - configuration: The configuration for every request.
    ///   - environment: The process environment (the model cache's and usage file's places).
    ///   - homeDirectory: The user's home.
    ///   - unsavedText: An editor's unsaved text of a file by repository path, `nil` when not open;
    ///     it wins over the file on disk wherever a request reads files.
    ///   - warn: Told of problems in the settings.
    public init(
        repository: Repository, configuration: Configuration, environment: [String: String], homeDirectory: String,
        unsavedText: @escaping @Sendable (String) -> String? = { _ in nil },
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.repository = repository
        self.root = repository.workingDirectory ?? repository.gitDirectory
        self.configuration = configuration
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.unsavedText = unsavedText
        self.warn = warn
    }

    /// Opens the repository at or above `path` and reads its configuration (user file, the
    /// repository's `.assist.toml`, the environment).
    ///
    /// - Parameters:
    ///   - path: A directory inside the repository.
    ///   - environment: The process environment.
    ///   - homeDirectory: The user's home.
    ///   - warn: Told of problems in the settings.
    /// - Returns: The workspace and the configuration's diagnostics.
    /// - Throws: `GitError` when `path` is not in a repository.
    public static func open(
        at path: String, environment: [String: String], homeDirectory: String,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(GitError) -> (Workspace, [ConfigDiagnostic]) {
        let repository = try Repository.open(at: path)
        let (configuration, diagnostics) = ConfigurationFiles.load(
            repositoryRoot: repository.workingDirectory, environment: environment, homeDirectory: homeDirectory)
        let workspace = Workspace(
            repository: repository, configuration: configuration, environment: environment, homeDirectory: homeDirectory,
            warn: warn)
        return (workspace, diagnostics)
    }

    /// Stops every local model server this workspace started.
    public func stop() async {
        let models = state.withLock { state in
            defer { state.localModels.removeAll() }
            return Array(state.localModels.values)
        }
        for model in models { await model.stop() }
    }

    /// The managed `llama-server`s of the local models prepared so far (started or not yet).
    public var managedModelServers: [ManagedLlamaServer] {
        state.withLock { state in state.localModels.values.compactMap(\.server) }
    }

    /// A file's text as requests see it: the editor's unsaved buffer, else the file on disk.
    ///
    /// - Parameter path: The path from the root.
    /// - Returns: The text, or `nil` when it cannot be read as UTF-8.
    public func text(of path: String) -> String? {
        if let unsaved = unsavedText(path) { return unsaved }
        return files?.text(path)
    }

    /// The working tree, read and written only through ``FileTree``; `nil` for a bare repository.
    public var files: FileTree? { repository.workingDirectory.map { FileTree(root: $0) } }

    // MARK: - The local model and the routes

    /// The local model with this id (the default when `nil`), prepared once and kept for the
    /// workspace's life; starts nothing.
    ///
    /// - Parameter id: The model's id, or `nil` for the default.
    /// - Returns: The model.
    /// - Throws: ``RequestError`` naming the install command when it is missing.
    public func localModel(_ id: String?) async throws(RequestError) -> LocalModel {
        let wanted = id ?? LocalModel.defaultModelID
        if let model = state.withLock({ $0.localModels[wanted] }) { return model }
        let model: LocalModel
        do {
            model = try await LocalModel.prepare(
                modelID: id, configuration: configuration, environment: environment, homeDirectory: homeDirectory)
        } catch {
            throw RequestError(error.description)
        }
        return state.withLock { state in
            if let existing = state.localModels[wanted] { return existing }
            state.localModels[wanted] = model
            return model
        }
    }

    /// The backends and policy settings of one routed request.
    ///
    /// - Parameter model: The local model's id, or `nil` for the default.
    /// - Returns: The setup; a local model that cannot be had is a reason the policy sees.
    public func routingSetup(model: String? = nil) async -> RoutingSetup {
        var local: LocalModel?
        var problem: String?
        do {
            local = try await localModel(model)
        } catch {
            problem = error.message
        }
        let setup = await RoutingSetup.make(
            configuration: configuration, localModel: local, localProblem: problem,
            gitCommonDirectory: repository.commonDirectory, environment: environment, homeDirectory: homeDirectory)
        for problem in setup.problems { warn(problem) }
        return setup
    }

    private func runner(model: String?, events: RequestEvents) async -> RoutedRequestRunner {
        var runner = RoutedRequestRunner(setup: await routingSetup(model: model))
        runner.onAttempt = events.attempt
        runner.onText = events.text
        return runner
    }

    // MARK: - The index

    /// The repository's index, made on first use.
    ///
    /// - Returns: The index.
    /// - Throws: ``RequestError`` when the repository cannot be indexed.
    public func index() throws(RequestError) -> SwiftWorkspaceIndex {
        try state.withLock { (state) throws(RequestError) in
            if let index = state.index { return index }
            do {
                let index = try SwiftWorkspaceIndex(at: root)
                state.index = index
                return index
            } catch {
                throw RequestError("no repository to index: \(error)")
            }
        }
    }

    /// Whether the index has been made in this process (a request needed it).
    public var hasIndex: Bool { state.withLock { $0.index != nil } }

    /// Whether HEAD or the staging area moved since the index was last refreshed (a commit,
    /// checkout, pull or `git add`); `false` when the index has not been made.
    public func indexIsBehindRepository() async -> Bool {
        guard let index = state.withLock({ $0.index }) else { return false }
        return await Blocking.run { index.isBehindRepository }
    }

    /// Gives the index an editor's unsaved text of a Swift file, or takes it back with `nil`.
    ///
    /// - Parameters:
    ///   - path: The path from the root.
    ///   - text: The buffer's text, or `nil` when it was closed.
    public func setOverlay(path: String, text: String?) throws(RequestError) {
        try index().setOverlay(path: path, text: text)
    }

    /// The index's figures, after bringing it up to date when `refresh` is set (else only when it
    /// was never read).
    ///
    /// - Parameters:
    ///   - refresh: Whether to refresh it first.
    ///   - progress: Files analysed, of how many, from worker threads.
    /// - Returns: The summary.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func index(
        refresh: Bool, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws(RequestError) -> WorkspaceIndexSummary {
        let index = try index()
        return try await Self.reading { () throws(GitError) in
            refresh ? try index.refresh(progress: progress) : try index.summary()
        }
    }

    /// Brings some files of the index up to date (saved or watched files), without a whole
    /// `git status`; a whole refresh when the staging area moved or the index was never read.
    ///
    /// - Parameter paths: Paths from the root.
    /// - Returns: The summary.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func refreshIndex(paths: [String]) async throws(RequestError) -> WorkspaceIndexSummary {
        let index = try index()
        return try await Self.reading { () throws(GitError) in try index.refresh(paths: paths) }
    }

    /// Checks the index database file (`PRAGMA quick_check`) and rebuilds it when it is damaged.
    ///
    /// - Returns: What was wrong, or `nil` when it was sound.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func verifyIndexDatabase() async throws(RequestError) -> String? {
        let index = try index()
        return try await Self.reading { () throws(GitError) -> String? in index.verifyDatabase() }
    }

    /// The declarations whose names match a query, best first (prefix and fuzzy match).
    ///
    /// - Parameter query: What the user typed.
    /// - Returns: The symbols.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func symbols(matching query: String) async throws(RequestError) -> [WorkspaceSymbol] {
        let index = try index()
        return try await Self.reading { () throws(GitError) in try index.symbols(matching: query) }
    }

    /// The context a question would be sent with, packed within a token budget; calls no model.
    ///
    /// - Parameters:
    ///   - question: The question.
    ///   - budget: The most tokens.
    /// - Returns: The packed context.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func packContext(question: String, budget: Int) async throws(RequestError) -> PackedContext {
        let gatherer = try gatherer()
        return try await Self.reading { () throws(GitError) in
            _ = try gatherer.index.summary()
            return try gatherer.pack(question: question, budget: budget)
        }
    }

    /// The index's facts, reading files as requests see them.
    private func gatherer() throws(RequestError) -> RequestContextGatherer {
        RequestContextGatherer(index: try index()) { [self] path in text(of: path) }
    }

    /// Blocking index work off the cooperative pool; a failure says the index could not read.
    private static func reading<T: Sendable>(_ work: @escaping @Sendable () throws(GitError) -> T) async throws(RequestError) -> T {
        do {
            return try await Blocking.run(work)
        } catch {
            throw RequestError("the index could not read the repository: \(error)")
        }
    }

    // MARK: - Requests

    /// How a request was classified, and how it would be routed.
    public struct ClassifyOutcome: Sendable {
        /// The kind, confidence and the features that decided.
        public var classification: Classification
        /// The route the policy would take; no model was called.
        public var route: RouteDecision
        /// The prompt tokens that route assumed.
        public var promptTokens: Int
    }

    /// Classifies a request and works out its route, without running it.
    ///
    /// - Parameters:
    ///   - instruction: The instruction or question.
    ///   - file: The file it is about, by path from the root, if any.
    ///   - text: That file's text as the request sees it, when known (else it is read).
    ///   - selection: The selected lines, 1-based and inclusive.
    /// - Returns: The classification and the route.
    /// - Throws: ``RequestError`` when the repository cannot be read.
    public func classify(
        instruction: String, file: String?, text: String? = nil, selection: ClosedRange<Int>?
    ) async throws(RequestError) -> ClassifyOutcome {
        let gatherer = try gatherer()
        let (input, rules) = try await Self.reading { () throws(GitError) -> (ClassificationRequest, Classification) in
            _ = try gatherer.index.summary()
            let input = try gatherer.classificationRequest(instruction: instruction, file: file, selection: selection, text: text)
            return (input, Classifier.classify(input))
        }
        let classification = rules.wantsSecondOpinion ? await secondOpinion(on: rules, request: input) : rules
        let runner = RoutedRequestRunner(setup: await routingSetup())
        let requestFile: RequestFile? = if let file, let text = text ?? gatherer.readText(file) {
            RequestFile(path: file, text: text)
        } else {
            nil
        }
        let preview = try await Self.reading { () throws(GitError) in
            try runner.preview(
                instruction: instruction, classification: classification, file: requestFile, selection: selection,
                gatherer: gatherer)
        }
        return ClassifyOutcome(classification: classification, route: preview.decision, promptTokens: preview.promptTokens)
    }

    /// The local model's opinion on a request the rules are unsure of, unless
    /// `routing.classifierModel` is off or no local model is installed.
    private func secondOpinion(on rules: Classification, request: ClassificationRequest) async -> Classification {
        guard configuration.bool(ConfigKey.routingClassifierModel.name) ?? true else {
            return ClassifierOpinion.rulesDecided(rules, "routing.classifierModel is off")
        }
        let model: LocalModel
        do {
            model = try await localModel(nil)
        } catch {
            return ClassifierOpinion.rulesDecided(rules, "no local model (\(error.message))")
        }
        let seconds = configuration.double(ConfigKey.routingClassifierTimeout.name) ?? 15
        let opinion = SecondOpinion(
            backend: model.chatBackend, model: model.identifier, cache: opinionCache,
            timeout: .milliseconds(Int64((max(seconds, 0.001) * 1000).rounded())))
        return await opinion.classify(rules, request: request)
    }

    /// Documents declarations of one Swift file with the local model.
    ///
    /// The declarations are chosen before any model is looked for, so a selection that names
    /// nothing fails the same way with or without one installed.
    ///
    /// - Parameters:
    ///   - path: The file's path from the root.
    ///   - text: Its text as the request sees it.
    ///   - selection: Which declarations.
    ///   - model: The local model's id, or `nil` for the default.
    ///   - events: `began` once the model is found, `progress` after each declaration.
    /// - Returns: The engine's verified outcome and the model's identifier.
    /// - Throws: ``RequestError`` when the selection names nothing, the model is missing or the
    ///   engine fails; `CancellationError` when cancelled.
    public func document(
        path: String, text: String, selection: DocstringSelection, model id: String?, events: RequestEvents = RequestEvents()
    ) async throws -> (outcome: DocstringOutcome, model: String) {
        let plan: DocstringPlan
        do {
            plan = try DocstringPlanner.plan(selection, source: text)
        } catch {
            throw RequestError(error.description)
        }
        let model = try await localModel(id)
        let engine = DocstringEngine(model: model, cache: docstringCache, parallelism: model.parallelism)
        events.began?("Writing doc comments")
        do {
            let outcome = try await engine.document(path: path, plan: plan) { done, total in events.progress?(done, total) }
            return (outcome, model.identifier)
        } catch let error as DocstringError {
            throw RequestError(error.description)
        }
    }

    /// Rewrites code of one file as an instruction says, routed by policy and checked.
    ///
    /// - Parameters:
    ///   - file: The file as read.
    ///   - instruction: What to change.
    ///   - range: The 1-based inclusive lines to change, or `nil` for anywhere in the file.
    ///   - model: The local model's id, or `nil` for the default.
    ///   - events: `began` before the first call, `attempt` for each call.
    /// - Returns: The checked outcome.
    /// - Throws: ``RoutedRequestError`` when nothing may take the request or no answer passes;
    ///   `BackendError` when a backend fails outside the cascade.
    public func refactor(
        file: RequestFile, instruction: String, range: ClosedRange<Int>?, model: String?, events: RequestEvents = RequestEvents()
    ) async throws -> RoutedEditOutcome {
        let runner = await runner(model: model, events: events)
        events.began?("Refactoring \(file.path)")
        var outcome = try await runner.refactor(file: file, instruction: instruction, range: range)
        outcome.reviewOnly = reviewOnly(outcome.changes.keys, requested: file.path)
        outcome.risks = review(outcome.changes, backend: outcome.backend, model: outcome.model)
        return outcome
    }

    /// The review of what an edit adds; for a cloud answer its findings go into the egress ledger too.
    func review(
        _ changes: [String: (old: String, new: String)], backend: String, model: String
    ) -> [EditRisk] {
        let risks = RiskReview.review(changes, ownModules: ownModules)
        if !risks.isEmpty, backend != "local" {
            let entry = EgressEntry(
                time: EgressLedger.timestamp(), backend: backend, model: model, kind: "review", files: [], promptTokens: 0,
                maxCompletionTokens: 0, costUSD: nil, redactions: [], bytes: 0,
                risks: risks.map { "\($0.risk.severity.rawValue) \($0.risk.kind.rawValue) \($0.path):\($0.risk.line)" })
            try? EgressLedger(gitCommonDirectory: repository.commonDirectory).append(entry)
        }
        return risks
    }

    /// The repository's own modules: the folders under `Sources/`.
    var ownModules: Set<String> {
        guard let root = repository.workingDirectory,
              let names = try? FileManager.default.contentsOfDirectory(atPath: root + "/Sources")
        else { return [] }
        return Set(names)
    }

    /// The changed files a person must review before they are written (dotfiles, executables,
    /// files that are not Swift sources, manifests), with the reason.
    func reviewOnly(_ paths: some Sequence<String>, requested: String?) -> [String: String] {
        var result: [String: String] = [:]
        for path in paths {
            let executable = files?.isExecutable(path) ?? false
            if let reason = EditPath.reviewReason(path, isExecutable: executable, requested: requested) { result[path] = reason }
        }
        return result
    }

    /// Answers a question about the repository with retrieved context; a change it asks for comes
    /// back as a checked diff.
    ///
    /// - Parameters:
    ///   - question: The question or instruction.
    ///   - file: The file it is about, if any (as read).
    ///   - selection: The selected lines of that file, if any.
    ///   - model: The local model's id, or `nil` for the default.
    ///   - events: `began` before the first call, `attempt` for each call, `text` as the answer streams.
    /// - Returns: The outcome.
    /// - Throws: ``RoutedRequestError`` when no backend may take it or every backend failed;
    ///   ``RequestError`` when the repository cannot be read.
    public func ask(
        question: String, file: RequestFile?, selection: ClosedRange<Int>?, model: String?,
        events: RequestEvents = RequestEvents()
    ) async throws -> RoutedAskOutcome {
        let gatherer = try gatherer()
        _ = try await Self.reading { () throws(GitError) in try gatherer.index.summary() }
        let runner = await runner(model: model, events: events)
        events.began?("Answering")
        do {
            var outcome = try await runner.ask(question: question, file: file, selection: selection, gatherer: gatherer)
            outcome.reviewOnly = reviewOnly(outcome.changes.keys, requested: file?.path)
            outcome.risks = review(outcome.changes, backend: outcome.backend, model: outcome.model)
            return outcome
        } catch let error as GitError {
            throw RequestError(error.description)
        }
    }
}
