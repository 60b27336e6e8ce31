import AssistCore
import Testing

/// One routing case: a request's facts, and the route the policy must choose.
struct RouteCase: CustomStringConvertible, Sendable {
    var name: String
    var input: RouteInput
    /// The backend asked first, or `nil` when the request must be refused.
    var primary: String?
    /// The backend that may take over.
    var fallback: String? = nil
    /// Step → outcome pairs that must appear in the reasons.
    var outcomes: [String: String]
    var escalation = false
    var redact = false
    var excludeLocalOnly = false
    /// Words the refusal must contain.
    var refusal: String? = nil
    var description: String { name }
}

private let local = RouteCandidate(name: "local", model: "qwen2.5-coder-0.5b", place: .local, contextWindow: 8_192)
private let cloud = RouteCandidate(
    name: "anthropic", model: "claude-sonnet-4-5", place: .cloud, contextWindow: 200_000,
    price: ModelPrice(inputPerMillion: 3, outputPerMillion: 15))

private func input(
    _ kind: RequestKind, tokens: Int = 1_000, completion: Int = 1_000, local: RouteCandidate? = local,
    cloud: RouteCandidate? = cloud, _ change: (inout RouteInput) -> Void = { _ in }
) -> RouteInput {
    var value = RouteInput(kind: kind, promptTokens: tokens, maxCompletionTokens: completion, local: local, cloud: cloud)
    change(&value)
    return value
}

private let cases: [RouteCase] = [
    // kind
    RouteCase(
        name: "a docstring goes local, with the cloud to escalate to", input: input(.docstring), primary: "local",
        fallback: "anthropic", outcomes: ["offline": "cloud-allowed", "kind": "local", "availability": "available"],
        escalation: true),
    RouteCase(
        name: "a small refactor goes local", input: input(.refactor, tokens: 3_000), primary: "local", fallback: "anthropic",
        outcomes: ["kind": "local", "fit": "both"], escalation: true),
    RouteCase(
        name: "a refactor over routing.localMaxTokens prefers the cloud",
        input: input(.refactor, tokens: 9_000, local: RouteCandidate(name: "local", model: "big", place: .local, contextWindow: 32_768)),
        primary: "anthropic", fallback: "local", outcomes: ["kind": "cloud", "fit": "both"]),
    RouteCase(
        name: "multi-file work goes to the cloud, the local model as fallback",
        input: input(.multiFile, tokens: 4_000), primary: "anthropic", fallback: "local", outcomes: ["kind": "cloud"]),
    RouteCase(
        name: "an explanation goes local", input: input(.explain), primary: "local", fallback: "anthropic",
        outcomes: ["kind": "local"], escalation: true),
    // offline
    RouteCase(
        name: "offline mode keeps multi-file work local", input: input(.multiFile, tokens: 4_000) { $0.offline = true },
        primary: "local", outcomes: ["offline": "local-only", "kind": "local"]),
    RouteCase(
        name: "offline mode refuses what the local model cannot hold",
        input: input(.multiFile, tokens: 20_000) { $0.offline = true }, primary: nil,
        outcomes: ["offline": "local-only", "fit": "none"], refusal: "offline"),
    RouteCase(
        name: "no cloud configured: everything local", input: input(.multiFile, tokens: 4_000, cloud: nil), primary: "local",
        outcomes: ["offline": "local-only"]),
    // privacy
    RouteCase(
        name: "a localOnly target stays local",
        input: input(.multiFile, tokens: 4_000) { $0.localOnly = [LocalOnlyMatch(path: "Internal/Keys.swift", pattern: "Internal/", isTarget: true)] },
        primary: "local", outcomes: ["privacy": "local-only", "kind": "local"]),
    RouteCase(
        name: "localOnly context files are left out of cloud-bound context",
        input: input(.multiFile, tokens: 4_000) { $0.localOnly = [LocalOnlyMatch(path: "Internal/Keys.swift", pattern: "Internal/", isTarget: false)] },
        primary: "anthropic", fallback: "local", outcomes: ["privacy": "exclude", "kind": "cloud"], excludeLocalOnly: true),
    RouteCase(
        name: "a localOnly target too big for the local model is refused",
        input: input(.refactor, tokens: 30_000) { $0.localOnly = [LocalOnlyMatch(path: "Internal/Big.swift", pattern: "Internal/**", isTarget: true)] },
        primary: nil, outcomes: ["privacy": "local-only", "fit": "none"], refusal: "Internal/Big.swift"),
    // secrets
    RouteCase(
        name: "secrets are redacted for the cloud",
        input: input(.multiFile, tokens: 4_000) { $0.secrets = ["Config.swift:3 awsAccessKey"] }, primary: "anthropic",
        fallback: "local", outcomes: ["secrets": "redact"], redact: true),
    RouteCase(
        name: "with privacy.secrets = local, secrets keep the request local",
        input: input(.multiFile, tokens: 4_000) {
            $0.secrets = ["Config.swift:3 awsAccessKey"]
            $0.secretsPolicy = .local
        }, primary: "local", outcomes: ["secrets": "local-only", "kind": "local"]),
    RouteCase(
        name: "no secrets: nothing to redact", input: input(.multiFile, tokens: 4_000), primary: "anthropic", fallback: "local",
        outcomes: ["secrets": "none"]),
    // budget
    RouteCase(
        name: "under the daily cap the cloud is allowed",
        input: input(.multiFile, tokens: 10_000) {
            $0.dailyCap = 1
            $0.spentToday = 0.5
        }, primary: "anthropic", outcomes: ["budget": "cloud-allowed", "fit": "cloud"]),
    RouteCase(
        name: "over the daily cap the cloud is refused",
        input: input(.multiFile, tokens: 4_000) {
            $0.dailyCap = 1
            $0.spentToday = 0.99
        }, primary: "local", outcomes: ["budget": "over-budget", "kind": "local"]),
    RouteCase(
        name: "over the monthly cap the cloud is refused",
        input: input(.multiFile, tokens: 4_000) {
            $0.monthlyCap = 20
            $0.spentThisMonth = 20
        }, primary: "local", outcomes: ["budget": "over-budget"]),
    RouteCase(
        name: "a cap with an unpriced cloud model refuses the cloud",
        input: input(.multiFile, tokens: 4_000, cloud: RouteCandidate(name: "openai", model: "gpt-x", place: .cloud, contextWindow: 128_000)) {
            $0.dailyCap = 5
        }, primary: "local", outcomes: ["budget": "over-budget"]),
    RouteCase(
        name: "no cap: the budget step allows the cloud", input: input(.multiFile, tokens: 4_000), primary: "anthropic",
        fallback: "local", outcomes: ["budget": "cloud-allowed"]),
    // fit
    RouteCase(
        name: "a refactor too big for the local window goes to the cloud", input: input(.refactor, tokens: 7_500, completion: 2_048),
        primary: "anthropic", outcomes: ["fit": "cloud", "kind": "cloud"]),
    RouteCase(
        name: "a request bigger than every window is refused",
        input: input(.multiFile, tokens: 250_000), primary: nil, outcomes: ["fit": "none"], refusal: "window"),
    RouteCase(
        name: "retrieved context can be packed down to the local window",
        input: input(.explain, tokens: 30_000) { $0.shrinkableContext = true }, primary: "local", fallback: "anthropic",
        outcomes: ["fit": "both", "kind": "local"], escalation: true),
    // availability
    RouteCase(
        name: "the cloud down: multi-file work fails over to the local model",
        input: input(.multiFile, tokens: 4_000, cloud: RouteCandidate(
            name: "anthropic", model: "claude-sonnet-4-5", place: .cloud, contextWindow: 200_000, unavailable: "no API key")),
        primary: "local", outcomes: ["availability": "failover"]),
    RouteCase(
        name: "the local model missing: a docstring fails over to the cloud",
        input: input(.docstring, local: RouteCandidate(name: "local", model: "none", place: .local, unavailable: "not installed")),
        primary: "anthropic", outcomes: ["availability": "failover"]),
    RouteCase(
        name: "the local model missing and offline: refused",
        input: input(.docstring, local: RouteCandidate(name: "local", model: "none", place: .local, unavailable: "not installed")) {
            $0.offline = true
        }, primary: nil, outcomes: ["availability": "refused"], refusal: "not installed"),
    // the cascade's permission
    RouteCase(
        name: "routing.escalate off: a local refactor may not escalate",
        input: input(.refactor) { $0.escalate = false }, primary: "local", fallback: "anthropic", outcomes: ["kind": "local"],
        escalation: false),
    RouteCase(
        name: "nothing configured at all", input: input(.explain, local: nil, cloud: nil), primary: nil,
        outcomes: ["offline": "local-only", "fit": "none"], refusal: "no backend is configured"),
]

@Suite("routing policy")
struct RoutePolicyTests {
    @Test(arguments: cases)
    func routes(_ routeCase: RouteCase) {
        let decision = RoutePolicy.decide(routeCase.input)
        #expect(decision.primary?.name == routeCase.primary, "\(decision.reasons)")
        #expect(decision.fallback?.name == routeCase.fallback, "\(decision.reasons)")
        for (step, outcome) in routeCase.outcomes {
            let reason = decision.reasons.first { $0.step == step }
            #expect(reason?.outcome == outcome, "step \(step): \(decision.reasons)")
        }
        #expect(decision.escalationAllowed == routeCase.escalation)
        #expect(decision.redactSecrets == routeCase.redact)
        #expect(decision.excludeLocalOnly == routeCase.excludeLocalOnly)
        if let words = routeCase.refusal {
            #expect(decision.refusal?.contains(words) == true, "\(decision.refusal ?? "no refusal")")
        } else {
            #expect(decision.refusal == nil)
        }
    }

    @Test func everyStepIsReportedInOrder() {
        let decision = RoutePolicy.decide(input(.multiFile, tokens: 4_000) { $0.dailyCap = 10 })
        #expect(decision.reasons.map(\.step) == ["offline", "privacy", "secrets", "budget", "fit", "kind", "availability"])
        #expect(decision.reasons.allSatisfy { !$0.detail.isEmpty })
    }

    @Test func aBudgetReasonGivesTheFigures() {
        let decision = RoutePolicy.decide(input(.multiFile, tokens: 100_000, completion: 4_000) {
            $0.dailyCap = 1
            $0.spentToday = 0.75
        })
        // 100k prompt tokens at $3/M + 4k at $15/M = $0.36; 0.75 + 0.36 > 1.
        let budget = decision.reasons.first { $0.step == "budget" }
        #expect(budget?.outcome == "over-budget")
        #expect(budget?.detail.contains("$0.3600") == true, "\(budget?.detail ?? "")")
        #expect(budget?.detail.contains("$1.0000") == true)
    }
}
