/// Where a backend runs.
public enum BackendPlace: String, Sendable, Hashable, Codable {
    /// On this machine: the managed `llama-server` or a server the user runs.
    case local
    /// A cloud API: the request leaves the machine.
    case cloud
}

/// A backend the router may choose, with what is known of it before any request.
public struct RouteCandidate: Sendable, Hashable {
    /// The backend's name, for example `local` or `anthropic`.
    public var name: String
    /// The model it would be asked for.
    public var model: String
    /// Where it runs.
    public var place: BackendPlace
    /// Its context window in tokens, or `nil` when unknown (then every context fits).
    public var contextWindow: Int?
    /// Why it cannot be used now (no key, model not installed, health check failed), or `nil`.
    public var unavailable: String?
    /// Its price, or `nil` when the price table has none (a cloud backend without a price cannot be
    /// checked against a budget).
    public var price: ModelPrice?

    /// Creates a candidate.
    /// - Parameters:
    ///   - name: The backend's name.
    ///   - model: The model.
    ///   - place: Where it runs.
    ///   - contextWindow: Its window in tokens, or `nil` when unknown.
    ///   - unavailable: Why it cannot be used, or `nil` when it can.
    ///   - price: Its price, or `nil`.
    public init(
        name: String, model: String, place: BackendPlace, contextWindow: Int? = nil, unavailable: String? = nil,
        price: ModelPrice? = nil
    ) {
        self.name = name
        self.model = model
        self.place = place
        self.contextWindow = contextWindow
        self.unavailable = unavailable
        self.price = price
    }
}

/// A file of the request's context that matched a `privacy.localOnly` pattern.
public struct LocalOnlyMatch: Sendable, Hashable {
    /// The file's repository-relative path.
    public var path: String
    /// The pattern it matched.
    public var pattern: String
    /// Whether the request is about this file (its target): then the request cannot go to the cloud at
    /// all; otherwise the file is only left out of the context sent to the cloud.
    public var isTarget: Bool

    /// Creates a match.
    /// - Parameters:
    ///   - path: The file.
    ///   - pattern: The pattern it matched.
    ///   - isTarget: Whether the request is about this file.
    public init(path: String, pattern: String, isTarget: Bool) {
        self.path = path
        self.pattern = pattern
        self.isTarget = isTarget
    }
}

/// What to do with secrets found in context bound for the cloud (`privacy.secrets`).
public enum SecretsPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Replace each secret with a marker before the request leaves the machine.
    case redact
    /// Keep any request whose context holds a secret on this machine.
    case local
}

/// Everything the routing policy looks at. The caller gathers it; the policy does no IO.
public struct RouteInput: Sendable, Hashable {
    /// The kind of work.
    public var kind: RequestKind
    /// The estimated prompt tokens (instruction, context, format rules).
    public var promptTokens: Int
    /// The most completion tokens the request allows.
    public var maxCompletionTokens: Int
    /// `routing.offline`: nothing leaves the machine.
    public var offline: Bool
    /// Context files that matched `privacy.localOnly`.
    public var localOnly: [LocalOnlyMatch]
    /// How many secrets were found in the cloud-bound context, and a short description of each
    /// (`Config.swift:3 awsAccessKey`).
    public var secrets: [String]
    /// `privacy.secrets`.
    public var secretsPolicy: SecretsPolicy
    /// Cloud spending today and this month, in dollars.
    public var spentToday: Double
    /// Cloud spending this month, in dollars.
    public var spentThisMonth: Double
    /// `budget.dailyUSD`, or `nil` for no cap.
    public var dailyCap: Double?
    /// `budget.monthlyUSD`, or `nil` for no cap.
    public var monthlyCap: Double?
    /// Prompt tokens up to which a refactor stays local when it fits (`routing.localMaxTokens`).
    public var localMaxTokens: Int
    /// `routing.escalate`: whether a local answer that fails validation twice may go to the cloud.
    public var escalate: Bool
    /// Whether the context can be packed smaller to fit the local window (retrieved context, as for
    /// `assist ask`); then the local model fits whatever ``promptTokens`` is.
    public var shrinkableContext: Bool
    /// The local backend, or `nil` when none is configured or installed.
    public var local: RouteCandidate?
    /// The cloud backend (`routing.cloudProvider`), or `nil` when none is configured.
    public var cloud: RouteCandidate?

    /// Creates the input of a routing decision.
    /// - Parameters:
    ///   - kind: The kind of work.
    ///   - promptTokens: The estimated prompt tokens.
    ///   - maxCompletionTokens: The most completion tokens allowed.
    ///   - offline: Whether nothing may leave the machine.
    ///   - localOnly: Context files that matched `privacy.localOnly`.
    ///   - secrets: The secrets found in the cloud-bound context, described.
    ///   - secretsPolicy: What to do with them.
    ///   - spentToday: Cloud spending today.
    ///   - spentThisMonth: Cloud spending this month.
    ///   - dailyCap: The daily cap, or `nil`.
    ///   - monthlyCap: The monthly cap, or `nil`.
    ///   - localMaxTokens: The largest refactor prompt kept local by kind.
    ///   - escalate: Whether the cascade may go to the cloud.
    ///   - shrinkableContext: Whether the context can be packed down to the local window.
    ///   - local: The local backend, if any.
    ///   - cloud: The cloud backend, if any.
    public init(
        kind: RequestKind, promptTokens: Int, maxCompletionTokens: Int, offline: Bool = false,
        localOnly: [LocalOnlyMatch] = [], secrets: [String] = [], secretsPolicy: SecretsPolicy = .redact,
        spentToday: Double = 0, spentThisMonth: Double = 0, dailyCap: Double? = nil, monthlyCap: Double? = nil,
        localMaxTokens: Int = Classifier.localContextTokens, escalate: Bool = true, shrinkableContext: Bool = false,
        local: RouteCandidate?, cloud: RouteCandidate?
    ) {
        self.shrinkableContext = shrinkableContext
        self.kind = kind
        self.promptTokens = promptTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.offline = offline
        self.localOnly = localOnly
        self.secrets = secrets
        self.secretsPolicy = secretsPolicy
        self.spentToday = spentToday
        self.spentThisMonth = spentThisMonth
        self.dailyCap = dailyCap
        self.monthlyCap = monthlyCap
        self.localMaxTokens = localMaxTokens
        self.escalate = escalate
        self.local = local
        self.cloud = cloud
    }
}

/// One step of the routing policy and what it decided.
public struct RouteReason: Sendable, Hashable, Codable {
    /// The step: `offline`, `privacy`, `secrets`, `budget`, `fit`, `kind`, `availability`, `cascade`.
    public var step: String
    /// What it decided, in a word or two: `cloud-allowed`, `local-only`, `redact`, `over-budget`,
    /// `local`, `cloud`, `failover`, `escalate`, `refused`, …
    public var outcome: String
    /// Why, in a sentence with the figures.
    public var detail: String

    /// Creates a reason.
    /// - Parameters:
    ///   - step: The policy step.
    ///   - outcome: What it decided.
    ///   - detail: Why.
    public init(step: String, outcome: String, detail: String) {
        self.step = step
        self.outcome = outcome
        self.detail = detail
    }
}

/// The route of a request: which backend answers first, which may take over, and why.
public struct RouteDecision: Sendable, Hashable {
    /// The backend to ask first, or `nil` when no backend may take the request (see ``refusal``).
    public var primary: RouteCandidate?
    /// The backend that may take over when the primary is down, or (for a local primary) when its
    /// answer fails validation twice; `nil` when policy allows none.
    public var fallback: RouteCandidate?
    /// Whether the cascade may escalate a local answer that failed validation to ``fallback``.
    public var escalationAllowed: Bool
    /// Whether cloud-bound context must have its secrets redacted.
    public var redactSecrets: Bool
    /// Whether `localOnly` files must be left out of cloud-bound context.
    public var excludeLocalOnly: Bool
    /// Every step, in order.
    public var reasons: [RouteReason]
    /// Why nothing may take the request, when ``primary`` is `nil`.
    public var refusal: String?
}

/// The routing policy: offline and privacy, secrets, budget, fit, kind, availability; the cascade's
/// permission is decided here and applied by the caller.
public enum RoutePolicy {
    /// Decides the route of a request.
    ///
    /// Steps, each recorded in ``RouteDecision/reasons``:
    /// 1. `offline`: with `routing.offline`, the cloud is refused.
    /// 2. `privacy`: a `localOnly` target keeps the request local; other `localOnly` context files are
    ///    left out of what the cloud sees.
    /// 3. `secrets`: secrets in cloud-bound context are redacted, or, when `privacy.secrets` is `local`,
    ///    the cloud is refused.
    /// 4. `budget`: the request's highest cost (prompt plus every allowed completion token) on top of
    ///    today's and this month's spending must stay under the caps; a cloud model without a price is
    ///    refused when a cap is set.
    /// 5. `fit`: prompt plus completion tokens against each backend's window.
    /// 6. `kind`: docstrings and refactors up to `localMaxTokens` go local; multi-file work goes to the
    ///    cloud when allowed; explain and other go local when they fit.
    /// 7. `availability`: a preferred backend that is down hands over to the other when allowed.
    ///
    /// - Parameter input: The facts of the request.
    /// - Returns: The decision.
    public static func decide(_ input: RouteInput) -> RouteDecision {
        var reasons: [RouteReason] = []
        var cloudRefused: String?
        var redact = false
        var excludeLocalOnly = false

        // 1. offline
        if input.cloud == nil {
            cloudRefused = "no cloud backend is configured (routing.cloudProvider)"
            reasons.append(RouteReason(step: "offline", outcome: "local-only", detail: "No cloud backend is configured (set routing.cloudProvider and its API key)."))
        } else if input.offline {
            cloudRefused = "offline mode is on (routing.offline)"
            reasons.append(RouteReason(step: "offline", outcome: "local-only", detail: "Offline mode is on (routing.offline): nothing leaves the machine."))
        } else {
            reasons.append(RouteReason(step: "offline", outcome: "cloud-allowed", detail: "Offline mode is off."))
        }

        // 2. privacy
        if cloudRefused == nil {
            let targets = input.localOnly.filter(\.isTarget)
            let others = input.localOnly.filter { !$0.isTarget }
            if let target = targets.first {
                cloudRefused = "\(target.path) matches privacy.localOnly '\(target.pattern)'"
                reasons.append(RouteReason(
                    step: "privacy", outcome: "local-only",
                    detail: "\(target.path) matches privacy.localOnly '\(target.pattern)': the request stays on this machine."))
            } else if !others.isEmpty {
                excludeLocalOnly = true
                let list = others.map { "\($0.path) ('\($0.pattern)')" }.joined(separator: ", ")
                reasons.append(RouteReason(
                    step: "privacy", outcome: "exclude",
                    detail: "\(others.count) localOnly file\(others.count == 1 ? "" : "s") left out of cloud-bound context: \(list)."))
            } else {
                reasons.append(RouteReason(step: "privacy", outcome: "cloud-allowed", detail: "No context file matches privacy.localOnly."))
            }
        }

        // 3. secrets
        if cloudRefused == nil {
            if input.secrets.isEmpty {
                reasons.append(RouteReason(step: "secrets", outcome: "none", detail: "No secrets found in the cloud-bound context."))
            } else if input.secretsPolicy == .local {
                cloudRefused = "the context holds \(input.secrets.count) secret\(input.secrets.count == 1 ? "" : "s") and privacy.secrets is \"local\""
                reasons.append(RouteReason(
                    step: "secrets", outcome: "local-only",
                    detail: "\(input.secrets.count) secret\(input.secrets.count == 1 ? "" : "s") in the context (\(input.secrets.joined(separator: ", "))) and privacy.secrets is \"local\"."))
            } else {
                redact = true
                reasons.append(RouteReason(
                    step: "secrets", outcome: "redact",
                    detail: "\(input.secrets.count) secret\(input.secrets.count == 1 ? "" : "s") redacted before sending: \(input.secrets.joined(separator: ", "))."))
            }
        }

        // 4. budget
        if cloudRefused == nil, let cloud = input.cloud {
            if input.dailyCap == nil, input.monthlyCap == nil {
                reasons.append(RouteReason(step: "budget", outcome: "cloud-allowed", detail: "No budget cap is set."))
            } else if let price = cloud.price {
                let cost = price.cost(of: TokenUsage(promptTokens: input.promptTokens, completionTokens: input.maxCompletionTokens))
                if let over = budgetOverrun(
                    cost: cost, spentToday: input.spentToday, spentThisMonth: input.spentThisMonth,
                    dailyCap: input.dailyCap, monthlyCap: input.monthlyCap) {
                    cloudRefused = over
                    reasons.append(RouteReason(step: "budget", outcome: "over-budget", detail: capitalized(over) + "."))
                } else {
                    var parts: [String] = []
                    if let cap = input.dailyCap { parts.append("\(money(input.spentToday)) of \(money(cap)) today") }
                    if let cap = input.monthlyCap { parts.append("\(money(input.spentThisMonth)) of \(money(cap)) this month") }
                    reasons.append(RouteReason(
                        step: "budget", outcome: "cloud-allowed",
                        detail: "At most \(money(cost)) for this request; spent \(parts.joined(separator: ", "))."))
                }
            } else {
                cloudRefused = "a budget cap is set but \(cloud.model) has no price (providers.\(cloud.name).prices)"
                reasons.append(RouteReason(
                    step: "budget", outcome: "over-budget",
                    detail: "A budget cap is set but \(cloud.model) has no price in providers.\(cloud.name).prices, so its cost cannot be checked."))
            }
        }

        // 5. fit
        let needed = input.promptTokens + input.maxCompletionTokens
        func fits(_ candidate: RouteCandidate?) -> Bool {
            guard let candidate else { return false }
            guard let window = candidate.contextWindow else { return true }
            return needed <= window
        }
        let localFitsWhole = fits(input.local)
        let localFits = input.local != nil && (localFitsWhole || input.shrinkableContext)
        let cloudFits = cloudRefused == nil && fits(input.cloud)
        var fitParts: [String] = []
        if let local = input.local {
            let verdict = localFitsWhole ? "fits" : (localFits ? "context packed down to fit" : "does not fit")
            fitParts.append("local \(local.model): \(local.contextWindow.map { "\(needed) of \($0) tokens, \(verdict)" } ?? "window unknown")")
        }
        if cloudRefused == nil, let cloud = input.cloud {
            fitParts.append("\(cloud.name) \(cloud.model): \(cloud.contextWindow.map { "\(needed) of \($0) tokens, \(cloudFits ? "fits" : "does not fit")" } ?? "window unknown")")
        }
        reasons.append(RouteReason(
            step: "fit", outcome: localFits ? (cloudFits ? "both" : "local") : (cloudFits ? "cloud" : "none"),
            detail: fitParts.isEmpty
                ? "No backend is configured."
                : "\(input.promptTokens) prompt tokens + \(input.maxCompletionTokens) for the answer. " + fitParts.joined(separator: "; ") + "."))

        let local = localFits ? input.local : nil
        let cloud = cloudFits ? input.cloud : nil

        // 6. kind
        let prefersCloud: Bool
        let kindDetail: String
        switch input.kind {
        case .docstring:
            prefersCloud = false
            kindDetail = "Docstrings go to the local model."
        case .refactor:
            prefersCloud = input.promptTokens > input.localMaxTokens
            kindDetail = prefersCloud
                ? "A refactor of \(input.promptTokens) prompt tokens is over routing.localMaxTokens (\(input.localMaxTokens)): the cloud model is preferred."
                : "A refactor of \(input.promptTokens) prompt tokens (routing.localMaxTokens \(input.localMaxTokens)) goes to the local model."
        case .multiFile:
            prefersCloud = true
            kindDetail = "Multi-file work goes to the cloud model when allowed."
        case .tests:
            prefersCloud = false
            kindDetail = "Tests for one piece of code go to the local model, as a refactor of one file does."
        case .explain, .other:
            prefersCloud = false
            kindDetail = "\(input.kind == .explain ? "Explanations" : "Other requests") go to the local model when they fit."
        }
        var preferred = prefersCloud ? (cloud ?? local) : (local ?? cloud)
        var other = preferred == nil ? nil : (preferred == local ? cloud : local)
        if preferred == nil {
            reasons.append(RouteReason(step: "kind", outcome: "none", detail: kindDetail))
        } else {
            var detail = kindDetail
            if prefersCloud, cloud == nil {
                detail += " The cloud is not allowed or does not fit, so the local model takes it."
            } else if !prefersCloud, local == nil {
                detail += " The local model is missing or too small, so the cloud model takes it."
            }
            reasons.append(RouteReason(step: "kind", outcome: preferred!.place.rawValue, detail: detail))
        }

        // 7. availability
        if let chosen = preferred, let down = chosen.unavailable {
            if let other, other.unavailable == nil {
                reasons.append(RouteReason(
                    step: "availability", outcome: "failover",
                    detail: "\(chosen.name) is unavailable (\(down)); \(other.name) takes the request."))
                preferred = other
            } else {
                reasons.append(RouteReason(
                    step: "availability", outcome: "refused",
                    detail: "\(chosen.name) is unavailable (\(down)) and no other backend is allowed."))
                return RouteDecision(
                    primary: nil, fallback: nil, escalationAllowed: false, redactSecrets: redact,
                    excludeLocalOnly: excludeLocalOnly, reasons: reasons,
                    refusal: "\(chosen.name) is unavailable (\(down))" + (cloudRefused.map { " and the cloud is not allowed: \($0)" } ?? ""))
            }
            other = nil
        } else if let chosen = preferred {
            reasons.append(RouteReason(step: "availability", outcome: "available", detail: "\(chosen.name) \(chosen.model) is available."))
            if other?.unavailable != nil { other = nil }
        }

        guard let primary = preferred else {
            let refusal: String
            if input.local == nil, input.cloud == nil {
                refusal = "no backend is configured: install the local model with `assist model install` or set routing.cloudProvider"
            } else if let cloudRefused, !localFits {
                refusal = input.local == nil
                    ? "no local model is available and the cloud is not allowed: \(cloudRefused)"
                    : "the request needs \(needed) tokens, more than the local model's window, and the cloud is not allowed: \(cloudRefused)"
            } else {
                refusal = "the request needs \(needed) tokens, more than any allowed backend's window"
            }
            return RouteDecision(
                primary: nil, fallback: nil, escalationAllowed: false, redactSecrets: redact,
                excludeLocalOnly: excludeLocalOnly, reasons: reasons, refusal: refusal)
        }
        let escalation = primary.place == .local && other?.place == .cloud && input.escalate
        return RouteDecision(
            primary: primary, fallback: other, escalationAllowed: escalation, redactSecrets: redact && (primary.place == .cloud || other?.place == .cloud),
            excludeLocalOnly: excludeLocalOnly, reasons: reasons, refusal: nil)
    }

    /// Dollars with four decimals, as `$0.0123`.
    /// Why a cloud request of at most `cost` dollars would pass a budget cap, or `nil` when it would not.
    ///
    /// - Parameters:
    ///   - cost: The request's highest cost.
    ///   - spentToday: Cloud spending today.
    ///   - spentThisMonth: Cloud spending this month.
    ///   - dailyCap: `budget.dailyUSD`, or `nil`.
    ///   - monthlyCap: `budget.monthlyUSD`, or `nil`.
    /// - Returns: The reason, in words.
    public static func budgetOverrun(
        cost: Double, spentToday: Double, spentThisMonth: Double, dailyCap: Double?, monthlyCap: Double?
    ) -> String? {
        if let cap = dailyCap, spentToday + cost > cap {
            return "today's spending \(money(spentToday)) plus this request's at most \(money(cost)) exceeds budget.dailyUSD \(money(cap))"
        }
        if let cap = monthlyCap, spentThisMonth + cost > cap {
            return "this month's spending \(money(spentThisMonth)) plus this request's at most \(money(cost)) exceeds budget.monthlyUSD \(money(cap))"
        }
        return nil
    }

    static func money(_ value: Double) -> String {
        let cents = (value * 10_000).rounded()
        let whole = Int(cents / 10_000)
        let fraction = Int(cents) - whole * 10_000
        let digits = String(fraction)
        return "$\(whole)." + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
