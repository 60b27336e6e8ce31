import AssistCore
import AssistGit
import AssistIndex
import AssistProtocol
import Foundation

/// `assist/refactor`, `assist/ask`, and the routing shown by `assist/classify`.
extension Server {
    func registerRouting() {
        register(RefactorRequest.self) { [unowned self] request, context in
            try await self.refactor(request, progress: context.progress)
        }
        register(AskRequest.self) { [unowned self] request, context in
            try await self.ask(request, progress: context.progress)
        }
    }

    /// The backends and policy settings for one request, from the configuration in force now.
    func routingSetup(model: String? = nil) async throws(ResponseError) -> RoutingSetup {
        guard let repository = servedRepository else {
            throw ResponseError(.requestFailed, "no repository: the workspace is not in a git repository")
        }
        var local: LocalDocstringModel?
        var problem: String?
        do {
            local = try await docstringModel(model)
        } catch {
            problem = (error as? ResponseError)?.message ?? "\(error)"
        }
        let setup = await RoutingSetup.make(
            configuration: configuration, localModel: local, localProblem: problem,
            gitCommonDirectory: repository.commonDirectory, environment: options.environment,
            homeDirectory: options.homeDirectory)
        for problem in setup.problems { serverLogger.warning("\(problem)") }
        return setup
    }

    /// A gatherer whose files are the editor's open buffers where there are some, else the disk.
    func routingGatherer(index: SwiftWorkspaceIndex, root: String) -> RequestContextGatherer {
        let documents = self.documents
        return RequestContextGatherer(index: index) { path in
            let uri = URL(fileURLWithPath: root).appendingPathComponent(path).absoluteString
            if let open = documents.document(uri) { return open.text }
            return FileManager.default.contents(atPath: root + "/" + path).flatMap { String(data: $0, encoding: .utf8) }
        }
    }

    /// 1-based inclusive lines of an LSP range: an end at column 0 of a later line ends on the line before.
    static func lines(of range: AssistProtocol.Range) -> ClosedRange<Int> {
        let start = range.start.line + 1
        let end = range.end.character == 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1
        return start...max(start, end)
    }

    static func responseError(_ error: RoutedRequestError) -> ResponseError {
        ResponseError(
            .requestFailed, error.message,
            data: .object(["reasons": .array(error.reasons.map {
                .object(["step": .string($0.step), "outcome": .string($0.outcome), "detail": .string($0.detail)])
            })]))
    }

    func refactor(_ request: RefactorRequest, progress: ProgressReporter) async throws -> RefactorResult {
        let input = try docstringInput(request.textDocument.uri)
        guard let root = servedRepository?.workingDirectory else {
            throw ResponseError(.requestFailed, "the repository has no working tree")
        }
        guard !request.instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ResponseError.invalidParams("the instruction is empty")
        }
        var runner = RoutedRequestRunner(setup: try await routingSetup(model: request.model))
        progress.begin("Refactoring \(input.relative)")
        runner.onAttempt = { backend, attempt in progress.report("asking \(backend) (call \(attempt))") }
        do {
            let outcome = try await runner.refactor(
                file: RequestFile(path: input.relative, text: input.text), instruction: request.instruction,
                range: request.range.map(Self.lines(of:)))
            progress.end()
            return WireResults.refactor(outcome, root: root)
        } catch let error as RoutedRequestError {
            throw Self.responseError(error)
        } catch let error as BackendError {
            throw ResponseError(.requestFailed, error.description)
        }
    }

    private func ask(_ request: AskRequest, progress: ProgressReporter) async throws -> AskResult {
        let (index, root) = try currentIndex()
        var file: RequestFile?
        if let uri = request.textDocument?.uri {
            let input = try docstringInput(uri)
            file = RequestFile(path: input.relative, text: input.text)
        }
        let selection = request.range.map(Self.lines(of:))
        if selection != nil, file == nil { throw ResponseError.invalidParams("a range needs a textDocument") }
        _ = try await Self.offThePool { () throws(GitError) in try index.summary() }
        var runner = RoutedRequestRunner(setup: try await routingSetup(model: request.model))
        progress.begin("Answering")
        runner.onAttempt = { backend, attempt in progress.report("asking \(backend) (call \(attempt))") }
        if let token = request.partialResultToken {
            runner.onText = { [weak self] text in
                self?.send(.notification(
                    method: AskPartialResultNotification.method,
                    params: AskPartialResultNotification(token: token, value: AskPartialResult(answer: text))))
            }
        }
        let gatherer = routingGatherer(index: index, root: root)
        do {
            let outcome = try await runner.ask(question: request.question, file: file, selection: selection, gatherer: gatherer)
            progress.end()
            return WireResults.ask(outcome, root: root)
        } catch let error as RoutedRequestError {
            throw Self.responseError(error)
        } catch let error as BackendError {
            throw ResponseError(.requestFailed, error.description)
        } catch let error as GitError {
            throw ResponseError(.requestFailed, error.description)
        }
    }
}
