import AssistBackends
import AssistCore
import Foundation

/// A backend a routed request may call, and what the policy knows of it.
public struct RoutableBackend: Sendable {
    /// The policy's view: name, model, place, window, availability, price.
    public var candidate: RouteCandidate
    /// The backend itself (a cloud backend records its usage).
    public var backend: any ChatBackend

    /// Creates a routable backend.
    /// - Parameters:
    ///   - candidate: The policy's view of it.
    ///   - backend: The backend.
    public init(candidate: RouteCandidate, backend: any ChatBackend) {
        self.candidate = candidate
        self.backend = backend
    }
}

/// Everything a routed request (refactor, ask) can use: the local and cloud backends, the policy's
/// settings, the spending so far and the egress ledger. Made once per request from the
/// configuration, so a changed configuration applies to the next request.
public struct RoutingSetup: Sendable {
    /// The local backend, or `nil` (see ``localProblem``).
    public var local: RoutableBackend?
    /// Why there is no local backend.
    public var localProblem: String?
    /// The cloud backend of `routing.cloudProvider`, or `nil` when none is configured.
    public var cloud: RoutableBackend?
    /// The effective configuration.
    public var configuration: Configuration
    /// The egress ledger of the repository.
    public var ledger: EgressLedger
    /// The `privacy.localOnly` patterns that could be read.
    public var localOnly: [PathGlob]
    /// Problems found while reading the settings (bad patterns, bad prices), for the log.
    public var problems: [String]
    /// Cloud spending today and this month, from the usage file.
    public var spentToday: Double
    /// Cloud spending this month.
    public var spentThisMonth: Double
    /// The usage file, read again before each cloud call to check the budget; `nil`: no check then.
    public var usage: UsageStore?

    /// Creates a setup from its parts (tests use this to put stand-in backends in).
    /// - Parameters:
    ///   - local: The local backend, if any.
    ///   - localProblem: Why there is none.
    ///   - cloud: The cloud backend, if any.
    ///   - configuration: The effective configuration.
    ///   - ledger: The egress ledger.
    ///   - spentToday: Cloud spending today.
    ///   - spentThisMonth: Cloud spending this month.
    ///   - usage: The usage file, read before each cloud call to check the budget.
    public init(
        local: RoutableBackend?, localProblem: String? = nil, cloud: RoutableBackend?, configuration: Configuration,
        ledger: EgressLedger, spentToday: Double = 0, spentThisMonth: Double = 0, usage: UsageStore? = nil
    ) {
        self.usage = usage
        self.local = local
        self.localProblem = localProblem
        self.cloud = cloud
        self.configuration = configuration
        self.ledger = ledger
        self.spentToday = spentToday
        self.spentThisMonth = spentThisMonth
        var globs: [PathGlob] = []
        var problems: [String] = []
        for pattern in configuration.strings("privacy.localOnly") ?? [] {
            do {
                globs.append(try PathGlob(pattern))
            } catch {
                problems.append("privacy.localOnly: \(error)")
            }
        }
        self.localOnly = globs
        self.problems = problems
    }

    /// Makes the setup of a request from the configuration.
    ///
    /// - Parameters:
    ///   - configuration: The effective configuration.
    ///   - localModel: The local model, or `nil` when none could be prepared.
    ///   - localProblem: Why there is none.
    ///   - gitCommonDirectory: The repository's common git directory (for the ledger).
    ///   - environment: The process environment (for the usage file's place).
    ///   - homeDirectory: The user's home.
    /// - Returns: The setup.
    public static func make(
        configuration: Configuration, localModel: LocalModel?, localProblem: String?, gitCommonDirectory: String,
        environment: [String: String], homeDirectory: String
    ) async -> RoutingSetup {
        var local: RoutableBackend?
        if let localModel {
            let chat = localModel.chatBackend
            local = RoutableBackend(
                candidate: RouteCandidate(
                    name: "local", model: chat.model, place: .local, contextWindow: await localModel.contextWindow()),
                backend: chat)
        }
        let store = UsageStore.shared(path: UsageStore.defaultPath(environment: environment, home: homeDirectory))
        // Spending that cannot be known refuses the cloud (failing closed), as a configuration problem does.
        let spending = store.cloudSpending()
        var refusals = configuration.cloudRefusals.isEmpty
            ? [] : ["the configuration refuses cloud requests until it is fixed: " + configuration.cloudRefusals.joined(separator: "; ")]
        if case .failure(let problem) = spending { refusals.append(problem.message) }
        var cloud: RoutableBackend?
        var problems: [String] = []
        if let name = configuration.string("routing.cloudProvider"), let provider = ProviderName(rawValue: name) {
            do {
                let settings = try BackendFactory.settings(for: provider, configuration: configuration)
                let (prices, priceProblems) = BackendFactory.prices(for: provider, configuration: configuration)
                problems += priceProblems
                let base = BackendFactory.make(provider, settings: settings)
                // The configured window, else the provider's documented one: asking a cloud API would be
                // a request that leaves the machine without a ledger line.
                let window = settings.contextWindow ?? Self.defaultCloudWindow(provider)
                let refused = refusals.isEmpty ? nil : refusals.joined(separator: "; ")
                cloud = RoutableBackend(
                    candidate: RouteCandidate(
                        name: provider.rawValue, model: settings.model, place: .cloud, contextWindow: window,
                        unavailable: refused ?? (settings.apiKey == nil ? "no API key: set \(settings.keySource)" : nil),
                        price: prices.prices[settings.model]),
                    backend: AccountingBackend(base, store: store, prices: prices))
            } catch {
                problems.append("routing.cloudProvider \(name): \(error)")
            }
        }
        let spent = (try? spending.get()) ?? (today: 0, month: 0)
        var setup = RoutingSetup(
            local: local, localProblem: localProblem, cloud: cloud, configuration: configuration,
            ledger: EgressLedger(gitCommonDirectory: gitCommonDirectory),
            spentToday: spent.today, spentThisMonth: spent.month, usage: store)
        setup.problems += problems
        return setup
    }

    /// The context window of a cloud provider when `providers.NAME.contextWindow` is unset.
    static func defaultCloudWindow(_ provider: ProviderName) -> Int {
        switch provider {
        case .anthropic: AnthropicBackend.defaultContextWindow
        case .gemini: GeminiBackend.defaultContextWindow
        case .ollama: OllamaBackend.defaultContextWindow
        case .openai, .local: 128_000
        }
    }

    /// The `privacy.localOnly` pattern a path matches, or `nil`.
    /// - Parameter path: A repository-relative path.
    /// - Returns: The first matching pattern.
    public func localOnlyPattern(for path: String) -> String? {
        localOnly.first { $0.matches(path) }?.pattern
    }

    /// The policy's input for a request.
    /// - Parameters:
    ///   - kind: The request's kind.
    ///   - promptTokens: The estimated prompt tokens.
    ///   - maxCompletionTokens: The completion limit.
    ///   - localOnly: Context files that matched `privacy.localOnly`.
    ///   - secrets: The secrets found in cloud-bound context, described.
    ///   - shrinkableContext: Whether the context can be packed down to the local window.
    /// - Returns: The input.
    public func routeInput(
        kind: RequestKind, promptTokens: Int, maxCompletionTokens: Int, localOnly: [LocalOnlyMatch], secrets: [String],
        shrinkableContext: Bool = false
    ) -> RouteInput {
        var localCandidate = local?.candidate
        if localCandidate == nil, let localProblem {
            localCandidate = RouteCandidate(name: "local", model: "none", place: .local, unavailable: localProblem)
        }
        return RouteInput(
            kind: kind, promptTokens: promptTokens, maxCompletionTokens: maxCompletionTokens,
            offline: configuration.bool("routing.offline") ?? false, localOnly: localOnly, secrets: secrets,
            secretsPolicy: SecretsPolicy(rawValue: configuration.string("privacy.secrets") ?? "redact") ?? .redact,
            spentToday: spentToday, spentThisMonth: spentThisMonth, dailyCap: configuration.double("budget.dailyUSD"),
            monthlyCap: configuration.double("budget.monthlyUSD"),
            localMaxTokens: configuration.integer("routing.localMaxTokens") ?? Classifier.localContextTokens,
            escalate: configuration.bool("routing.escalate") ?? true, shrinkableContext: shrinkableContext,
            local: localCandidate, cloud: cloud?.candidate)
    }

    /// The backend of a chosen candidate.
    func backend(for candidate: RouteCandidate) -> RoutableBackend? {
        if candidate.place == .cloud { return cloud }
        return local
    }
}
