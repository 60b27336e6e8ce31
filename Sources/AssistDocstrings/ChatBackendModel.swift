import AssistCore

/// A `DocstringModel` over any chat backend: a short, deterministic, grammar-constrained answer.
/// The answer is streamed, so the backend's read timeout bounds the wait between tokens (a slow,
/// busy machine still finishes) rather than the whole answer.
public struct ChatBackendModel: DocstringModel {
    public let backend: any ChatBackend
    /// Whether to send the GBNF grammar (only backends that support grammars take it).
    public let useGrammar: Bool

    public init(backend: any ChatBackend, useGrammar: Bool) {
        self.backend = backend
        self.useGrammar = useGrammar
    }

    public var identifier: String { "\(backend.name)/\(backend.model)" }

    public func complete(system: String, user: String, grammar: String?, stop: [String]) async throws -> DocstringModelReply {
        let request = ChatRequest(
            messages: [.system(system), .user(user)], maxTokens: 200, temperature: 0, stopSequences: stop,
            constraint: useGrammar ? grammar.map(OutputConstraint.grammar) : nil, streaming: true)
        let completion = try await backend.complete(request)
        return DocstringModelReply(
            text: completion.text, promptTokens: completion.usage?.promptTokens ?? 0,
            completionTokens: completion.usage?.completionTokens ?? 0, cachedPromptTokens: completion.usage?.cachedPromptTokens)
    }
}
