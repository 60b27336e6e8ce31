import AssistBackends
import AssistCore

extension RoutedRequestRunner {
    /// What an answer that failed its check is asked again with.
    struct Feedback: Sendable {
        /// The answer as the model wrote it.
        var answer: String
        /// Why it could not be used.
        var error: String
    }

    /// What the calls of one request add up to. A value owned by the request: the cascade and the
    /// calls it makes update it in place.
    struct Tally: Sendable {
        /// Every routing and cascade step so far.
        var reasons: [RouteReason]
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        var cost = 0.0
        /// Model calls made.
        var attempts = 0
        /// The text of the last answer, and the backend that gave it.
        var lastAnswer = ""
        var lastCandidate: RouteCandidate?
    }

    /// One call to make: the request and what its ledger line says it carries.
    struct Call: Sendable {
        var request: ChatRequest
        var manifest: EgressManifest
    }

    /// The one cascade of routed requests, a single loop over attempts.
    ///
    /// The primary is asked first. An answer that fails `check` is asked again once with the error;
    /// if it fails again the fallback takes over when the decision allows escalation. A backend that
    /// is down hands over to the fallback whenever policy allows the other one. Every step lands in
    /// `tally.reasons`.
    ///
    /// - Parameters:
    ///   - decision: The route policy's decision.
    ///   - primary: Its primary backend.
    ///   - tally: The request's calls, usage, cost and reasons, updated in place.
    ///   - validates: Whether `check` can refuse an answer (a question with no change asked cannot).
    ///   - prepare: The call to make to a backend, given the feedback of a refused answer.
    ///   - check: Turns an answer into the request's value; an `EditError` refuses it.
    /// - Returns: The accepted value and the backend that gave it.
    /// - Throws: ``RoutedRequestError`` when every allowed backend failed or no answer passed.
    func cascade<Value>(
        _ decision: RouteDecision, primary: RouteCandidate, tally: inout Tally, validates: Bool = true,
        prepare: (RouteCandidate, Feedback?) async throws -> Call,
        check: (RouteCandidate, String) throws -> Value
    ) async throws -> (value: Value, candidate: RouteCandidate) {
        var order: [RouteCandidate] = [primary]
        if let fallback = decision.fallback { order.append(fallback) }
        var lastError = ""
        var backendFailed = false
        var index = 0
        while index < order.count {
            let candidate = order[index]
            var feedback: Feedback?
            var tries = 0
            /// Doubled after an answer was cut at its token limit, for the next try of the same backend.
            var limitScale = 1
            backendFailed = false
            while tries < 2 {
                tries += 1
                do {
                    try Task.checkCancellation()
                    var call = try await prepare(candidate, feedback)
                    if limitScale > 1, let limit = call.request.maxTokens {
                        call.request.maxTokens = min(limit * limitScale, max(limit, (candidate.contextWindow ?? 8_192) / 2))
                    }
                    let answer = try await self.call(candidate, request: call.request, manifest: call.manifest, tally: &tally)
                    let value = try check(candidate, answer)
                    if validates, tries > 1 || index > 0 {
                        tally.reasons.append(RouteReason(
                            step: "cascade", outcome: "passed",
                            detail: "The answer of \(candidate.name) \(candidate.model) passed validation on attempt \(tally.attempts)."))
                    }
                    return (value, candidate)
                } catch let cut as AnswerCut {
                    // A cut answer is never used, not even its complete blocks: asked again with room.
                    lastError = cut.message
                    feedback = nil
                    limitScale *= 2
                    tally.reasons.append(RouteReason(
                        step: "cascade", outcome: tries == 1 ? "retry" : "failed",
                        detail: "The answer of \(candidate.name) \(candidate.model) \(cut.message)"
                            + (tries == 1 ? " It is asked again with twice the limit." : "")))
                } catch let error as EditError {
                    lastError = error.message
                    feedback = Feedback(answer: tally.lastAnswer, error: error.message)
                    tally.reasons.append(RouteReason(
                        step: "cascade", outcome: tries == 1 ? "retry" : "failed",
                        detail: "The answer of \(candidate.name) \(candidate.model) failed validation: \(error.message)"
                            + (tries == 1 ? " It is asked again with the error." : "")))
                } catch let error as BackendError {
                    // The backend is down: fail over when policy allows.
                    lastError = validates ? error.description : "\(candidate.name) failed: \(error.description)"
                    backendFailed = true
                    let next = index + 1 < order.count ? order[index + 1] : nil
                    tally.reasons.append(RouteReason(
                        step: "availability", outcome: next == nil ? "refused" : "failover",
                        detail: "\(candidate.name) failed: \(error.description)" + (next.map { " \($0.name) takes the request." } ?? "")))
                    break
                }
            }
            index += 1
            if index < order.count {
                let next = order[index]
                // A backend that is down hands over whenever policy allows the other one; an answer
                // that failed validation goes to the cloud only when escalation is allowed too.
                if !backendFailed, candidate.place == .local, next.place == .cloud, !decision.escalationAllowed {
                    tally.reasons.append(RouteReason(
                        step: "cascade", outcome: "refused",
                        detail: "Escalation to \(next.name) is not allowed (routing.escalate is off)."))
                    break
                }
                if tally.reasons.last?.step == "cascade" {
                    tally.reasons.append(RouteReason(
                        step: "cascade", outcome: "escalate", detail: "\(next.name) \(next.model) takes the request."))
                }
            }
        }
        if backendFailed {
            throw RoutedRequestError(validates ? "no backend could answer: \(lastError)" : lastError, reasons: tally.reasons)
        }
        let escalation = decision.fallback == nil && primary.place == .local
            ? " No cloud backend is allowed to take it over" + (decision.reasons.first { $0.outcome == "local-only" || $0.outcome == "over-budget" }.map { " (\($0.detail))" } ?? ".")
            : ""
        throw RoutedRequestError("no answer passed validation: \(lastError)\(escalation)", reasons: tally.reasons)
    }

    /// Calls a backend, streaming its text and adding its usage and cost to the tally; a cloud call
    /// is written to the egress ledger first, and is not sent when that fails.
    func call(_ candidate: RouteCandidate, request: ChatRequest, manifest: EgressManifest, tally: inout Tally) async throws -> String {
        guard let routable = setup.backend(for: candidate) else {
            throw BackendError(.configuration, backend: candidate.name, message: "not configured")
        }
        tally.attempts += 1
        onAttempt?("\(candidate.name) \(candidate.model)", tally.attempts)
        var request = request
        if candidate.place == .cloud {
            // The one gate: every byte of every cloud-bound message, whoever built it.
            let sealed = EgressGate.seal(request.messages, localOnly: setup.localOnly)
            request.messages = sealed.messages
            if sealed.withheldLines > 0 || sealed.localOnlyPaths > 0 {
                tally.reasons.append(RouteReason(
                    step: "egress", outcome: "withheld",
                    detail: "Left out of the request to \(candidate.name): \(sealed.withheldLines) line(s) of feedback that were never sent, \(sealed.localOnlyPaths) privacy.localOnly path(s)."))
            }
            let bytes = request.messages.reduce(0) { $0 + $1.content.utf8.count }
            let promptTokens = TokenEstimate.of(request.messages.map(\.content).joined(separator: "\n"))
            // The budget, again before each call: the calls before this one have spent since the route was planned.
            if let refusal = budgetRefusal(candidate, promptTokens: promptTokens, maxTokens: request.maxTokens ?? 0) {
                tally.reasons.append(RouteReason(step: "budget", outcome: "over-budget", detail: refusal))
                throw RoutedRequestError("no further request goes to \(candidate.name): \(refusal)", reasons: tally.reasons)
            }
            let entry = EgressEntry(
                time: EgressLedger.timestamp(), backend: candidate.name, model: candidate.model, kind: manifest.kind.rawValue,
                files: manifest.files, promptTokens: promptTokens, maxCompletionTokens: request.maxTokens ?? 0,
                costUSD: candidate.price?.cost(of: TokenUsage(promptTokens: promptTokens, completionTokens: request.maxTokens ?? 0)),
                redactions: manifest.redactions + sealed.redactions, bytes: bytes)
            do {
                try setup.ledger.append(entry)
            } catch {
                throw RoutedRequestError("the egress ledger cannot be written, so nothing was sent: \(error)", reasons: tally.reasons)
            }
        }
        var text = ""
        var finish: FinishReason?
        for try await event in routable.backend.chat(request) {
            switch event {
            case .text(let delta):
                text += delta
                onText?(delta)
            case .usage(let usage):
                tally.usage.promptTokens += usage.promptTokens
                tally.usage.completionTokens += usage.completionTokens
                if candidate.place == .cloud, let price = candidate.price { tally.cost += price.cost(of: usage) }
            case .finish(let reason):
                finish = reason
            }
        }
        // A stream that ended because the request was cancelled is not an answer.
        try Task.checkCancellation()
        tally.lastAnswer = text
        tally.lastCandidate = candidate
        if finish == .length {
            throw AnswerCut(limit: request.maxTokens)
        }
        return text
    }
}

/// An answer that stopped at its token limit (`finish_reason: length`): it may end between two
/// edit blocks or inside one, so none of it is used.
struct AnswerCut: Error, Sendable {
    var limit: Int?
    var message: String {
        "was cut off at its limit of \(limit.map(String.init) ?? "?") tokens, so none of it is used."
    }
}

extension RoutedRequestRunner {
    /// Why a cloud call may not be made now: the spending is unknown, or with this call's highest
    /// cost it would pass `budget.dailyUSD` or `budget.monthlyUSD`; `nil` when it may.
    func budgetRefusal(_ candidate: RouteCandidate, promptTokens: Int, maxTokens: Int) -> String? {
        guard let store = setup.usage else { return nil }
        let daily = setup.configuration.double("budget.dailyUSD"), monthly = setup.configuration.double("budget.monthlyUSD")
        let spent: (today: Double, month: Double)
        switch store.cloudSpending() {
        case .failure(let problem): return problem.message
        case .success(let value): spent = value
        }
        guard daily != nil || monthly != nil, let price = candidate.price else { return nil }
        return RoutePolicy.budgetOverrun(
            cost: price.cost(of: TokenUsage(promptTokens: promptTokens, completionTokens: maxTokens)),
            spentToday: spent.today, spentThisMonth: spent.month, dailyCap: daily, monthlyCap: monthly)
    }
}
