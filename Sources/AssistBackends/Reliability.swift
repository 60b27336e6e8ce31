import Foundation

/// When and how long to wait before trying a request again.
///
/// Retries happen on HTTP 429 and 503 (and 529 for Anthropic), and on a connection that fails
/// before the first byte of the answer; never on another 4xx, and never once the answer has begun.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (0 disables retries).
    public var maxRetries: Int
    /// The delay before the first retry; each later retry doubles it, with jitter.
    public var baseDelay: Duration
    /// The longest delay: a backoff is capped to it, and a `Retry-After` beyond it is not waited
    /// for (the request fails at once with the server's error).
    public var maxDelay: Duration

    /// Creates a policy.
    /// - Parameters:
    ///   - maxRetries: Retries after the first attempt.
    ///   - baseDelay: The delay before the first retry.
    ///   - maxDelay: The longest delay.
    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The exponential backoff before a retry, with "equal jitter": half the delay fixed, half random.
    /// - Parameters:
    ///   - retry: The retry's number, from 0 for the first.
    ///   - random: A number in `0..<1`.
    /// - Returns: `baseDelay × 2^retry × (0.5 + random / 2)`, capped at ``maxDelay``.
    public func backoff(retry: Int, random: Double) -> Duration {
        let exponential = baseDelay * Double(1 << min(retry, 30))
        let jittered = exponential * (0.5 + min(max(random, 0), 1) / 2)
        return min(jittered, maxDelay)
    }

    /// Reads a `Retry-After` header: delay seconds (`120`) or an HTTP date
    /// (`Wed, 21 Oct 2015 07:28:00 GMT`).
    /// - Parameters:
    ///   - value: The header's value.
    ///   - now: The current time, for a date.
    /// - Returns: How long to wait (zero for a date in the past), or `nil` when the value is neither.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite {
            return .milliseconds(Int64(seconds * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let interval = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64(interval * 1000))
            }
        }
        return nil
    }
}

/// A limit on how many requests run at once against one backend; the others wait in order.
///
/// State: `active` and `waiters` are protected by the actor.
public actor ConcurrencyLimiter {
    /// The most requests at once.
    public let limit: Int
    private var active = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    /// Creates a limiter.
    /// - Parameter limit: The most requests at once (at least 1).
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// How many requests hold a permit now.
    public var activeCount: Int { active }

    /// Waits for a permit.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire() async throws {
        try Task.checkCancellation()
        if active < limit {
            active += 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Gives a permit back; the longest waiter gets it.
    public func release() {
        if waiters.isEmpty {
            active = max(0, active - 1)
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            waiters.remove(at: index).continuation.resume(throwing: CancellationError())
        }
    }
}

/// Removes secrets from text that may reach an error message or a log line.
struct Redactor: Sendable {
    let secrets: [String]

    init(_ secrets: [String?]) {
        // Very short strings are not treated as secrets: replacing them would mangle messages.
        self.secrets = secrets.compactMap { $0 }.filter { $0.count >= 6 }
    }

    func callAsFunction(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "****")
        }
        return result
    }
}
