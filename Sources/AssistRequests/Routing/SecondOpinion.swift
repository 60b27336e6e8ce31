import AssistCore
import AssistDocstrings
import Foundation

/// The local model's second opinion on a request the rules are unsure of: asked once per
/// instruction and facts (the answer is cached), within a time limit, and never in the way: when the
/// model cannot answer, the rules decide and the reason says why.
public struct SecondOpinion: Sendable {
    /// The local model.
    let backend: any ChatBackend
    /// Its identifier, as results name it (`local/qwen2.5-coder-0.5b`).
    let model: String
    /// Answers already given, by ``ClassifierOpinion/cacheKey(for:model:)``.
    let cache: DocstringCache
    /// The longest wait, the model's start included.
    let timeout: Duration

    /// Creates the step.
    ///
    /// - Parameters:
    ///   - backend: The local model.
    ///   - model: Its identifier.
    ///   - cache: Answers already given.
    ///   - timeout: The longest wait.
    public init(backend: any ChatBackend, model: String, cache: DocstringCache, timeout: Duration) {
        self.backend = backend
        self.model = model
        self.cache = cache
        self.timeout = timeout
    }

    /// The classification once the model has given its opinion, or the rules' with the reason it did not.
    ///
    /// - Parameters:
    ///   - rules: What the rules decided (unsure).
    ///   - request: The request and its facts.
    /// - Returns: The classification, decided by the model when it answered with a candidate.
    public func classify(_ rules: Classification, request: ClassificationRequest) async -> Classification {
        let candidates = ClassifierOpinion.candidates(for: request)
        let key = ClassifierOpinion.cacheKey(for: request, model: model)
        if let cached = cache.lines(for: key)?.first, let kind = ClassifierOpinion.parse(cached, candidates: candidates) {
            return ClassifierOpinion.decided(rules, by: kind, model: model, cached: true)
        }
        let chat = ClassifierOpinion.chatRequest(for: request)
        let backend = self.backend
        let answer: String
        do {
            answer = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    do {
                        return try await backend.complete(chat).text
                    } catch let error as BackendError where error.kind == .unsupported {
                        // A backend without grammars (Ollama) answers unconstrained; the parse
                        // below takes nothing but one of the kinds.
                        var plain = chat
                        plain.constraint = nil
                        return try await backend.complete(plain).text
                    }
                }
                let limit = timeout
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw OpinionTimeout()
                }
                defer { group.cancelAll() }
                return try await group.next() ?? ""
            }
        } catch is OpinionTimeout {
            return ClassifierOpinion.rulesDecided(rules, "\(model) did not answer within \(timeout)")
        } catch {
            return ClassifierOpinion.rulesDecided(rules, "\(model) could not answer (\(error))")
        }
        guard let kind = ClassifierOpinion.parse(answer, candidates: candidates) else {
            let shown = answer.count > 40 ? String(answer.prefix(40)) + "…" : answer
            return ClassifierOpinion.rulesDecided(rules, "\(model) answered \"\(shown)\", which is not one of the kinds")
        }
        cache.store([kind.rawValue], for: key)
        return ClassifierOpinion.decided(rules, by: kind, model: model, cached: false)
    }
}

private struct OpinionTimeout: Error {}
