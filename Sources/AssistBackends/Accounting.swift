import AssistCore
import Foundation
import Logging
import Synchronization

/// The usage ledger on disk: `$XDG_STATE_HOME/assist/usage.json`, else
/// `~/.local/state/assist/usage.json`.
///
/// Writes are atomic (a temporary file renamed over the old one). A file that cannot be read as
/// a ledger is reported, moved aside to `usage.json.corrupt`, and a new ledger is started; reading
/// never crashes. Updates within the process are serialised by a mutex; two processes writing at
/// once may lose one update (the last rename wins).
public final class UsageStore: Sendable {
    /// The file's path.
    public let path: String
    private let lock = Mutex(())

    /// Creates a store for a file.
    /// - Parameter path: The file's path.
    public init(path: String) {
        self.path = path
    }

    /// The default file's path.
    /// - Parameters:
    ///   - environment: The process environment; `XDG_STATE_HOME` is used when absolute.
    ///   - home: The home directory.
    /// - Returns: The path of `usage.json`.
    public static func defaultPath(environment: [String: String], home: String) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/assist/usage.json"
        }
        return home + "/.local/state/assist/usage.json"
    }

    /// The day and month keys of a date, in a time zone.
    /// - Parameters:
    ///   - date: The date.
    ///   - timeZone: The time zone whose calendar days count.
    /// - Returns: `YYYY-MM-DD` and `YYYY-MM`.
    public static func periods(of date: Date, timeZone: TimeZone = .current) -> (day: String, month: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let year = parts.year ?? 0, month = parts.month ?? 0, day = parts.day ?? 0
        let monthKey = String(format: "%04d-%02d", year, month)
        return (monthKey + String(format: "-%02d", day), monthKey)
    }

    /// Reads the ledger.
    /// - Returns: The ledger (empty when there is no file), and a problem when the file was
    ///   unreadable or corrupt (it has then been moved aside).
    public func load() -> (ledger: UsageLedger, problem: String?) {
        lock.withLock { _ in loadUnlocked() }
    }

    /// Adds one answer and writes the ledger.
    /// - Parameters:
    ///   - usage: The answer's token counts.
    ///   - cost: Its cost, or `nil` when unpriced.
    ///   - backend: The backend's name.
    ///   - model: The model.
    ///   - date: When the answer was received.
    /// - Returns: A problem when the old file was corrupt (it was restarted) or the new one could not be written.
    @discardableResult
    public func record(_ usage: TokenUsage, cost: Double?, backend: String, model: String, date: Date = Date()) -> String? {
        lock.withLock { _ in
            var (ledger, problem) = loadUnlocked()
            let periods = Self.periods(of: date)
            ledger.record(usage, cost: cost, backend: backend, model: model, day: periods.day, month: periods.month)
            let cutoff = Self.periods(of: date.addingTimeInterval(-92 * 86_400)).day
            ledger.dropDays(before: cutoff)
            do {
                try write(ledger)
            } catch {
                return "cannot write the usage file \(path): \(error.localizedDescription)"
            }
            return problem
        }
    }

    private func loadUnlocked() -> (UsageLedger, String?) {
        guard FileManager.default.fileExists(atPath: path) else { return (UsageLedger(), nil) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return (UsageLedger(), "cannot read the usage file \(path)")
        }
        if let ledger = UsageFile.decode(data) { return (ledger, nil) }
        let aside = path + ".corrupt"
        try? FileManager.default.removeItem(atPath: aside)
        try? FileManager.default.moveItem(atPath: path, toPath: aside)
        return (UsageLedger(), "the usage file \(path) was corrupt; it was moved to \(aside) and totals restart from zero")
    }

    private func write(_ ledger: UsageLedger) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try UsageFile.encode(ledger)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// The JSON shape of `usage.json` (version 1).
enum UsageFile {
    struct Totals: Codable {
        var requests: Int
        var promptTokens: Int
        var completionTokens: Int
        var costUSD: Double
        var unpricedRequests: Int
    }

    struct File: Codable {
        var version: Int
        var days: [String: [String: Totals]]
        var months: [String: [String: Totals]]
    }

    static func encode(_ ledger: UsageLedger) throws -> Data {
        func convert(_ periods: [String: [String: UsageTotals]]) -> [String: [String: Totals]] {
            periods.mapValues { $0.mapValues { Totals(requests: $0.requests, promptTokens: $0.promptTokens, completionTokens: $0.completionTokens, costUSD: $0.costUSD, unpricedRequests: $0.unpricedRequests) } }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(File(version: 1, days: convert(ledger.days), months: convert(ledger.months)))
    }

    static func decode(_ data: Data) -> UsageLedger? {
        guard let file = try? JSONDecoder().decode(File.self, from: data), file.version == 1 else { return nil }
        func convert(_ periods: [String: [String: Totals]]) -> [String: [String: UsageTotals]] {
            periods.mapValues { $0.mapValues { UsageTotals(requests: $0.requests, promptTokens: $0.promptTokens, completionTokens: $0.completionTokens, costUSD: $0.costUSD, unpricedRequests: $0.unpricedRequests) } }
        }
        return UsageLedger(days: convert(file.days), months: convert(file.months))
    }
}

/// A backend that records the usage of every answer in a ``UsageStore``, priced from a table.
///
/// It passes every event through unchanged; the usage is recorded when the usage event arrives,
/// so a stream cut after it still counts what the backend reported.
public struct AccountingBackend: ChatBackend {
    /// The backend whose answers are counted.
    public let base: any ChatBackend
    /// Where the totals are kept.
    public let store: UsageStore
    /// The prices.
    public let prices: PriceTable
    let logger: Logger

    /// Wraps a backend.
    /// - Parameters:
    ///   - base: The backend.
    ///   - store: Where the totals are kept.
    ///   - prices: The prices by model.
    ///   - logger: Where problems with the usage file are logged.
    public init(_ base: any ChatBackend, store: UsageStore, prices: PriceTable, logger: Logger = Logger(label: "assist.usage")) {
        self.base = base
        self.store = store
        self.prices = prices
        self.logger = logger
    }

    /// The base backend's name.
    public var name: String { base.name }
    /// The base backend's model.
    public var model: String { base.model }

    /// Answers through the base backend, recording the usage; see ``ChatBackend/chat(_:)``.
    /// - Parameter request: The request.
    /// - Returns: The base backend's events.
    public func chat(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let upstream = base.chat(request)
        let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
        let task = Task {
            do {
                for try await event in upstream {
                    if case .usage(let usage) = event {
                        let cost = prices.cost(of: usage, model: base.model)
                        if let problem = store.record(usage, cost: cost, backend: base.name, model: base.model) {
                            logger.warning("\(problem)")
                        }
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The base backend's capabilities.
    /// - Returns: The capabilities.
    public func capabilities() async throws -> BackendCapabilities { try await base.capabilities() }

    /// Counts tokens with the base backend.
    /// - Parameter text: The text.
    /// - Returns: The count.
    public func countTokens(_ text: String) async throws -> TokenCount { try await base.countTokens(text) }

    /// The base backend's health.
    /// - Returns: The health.
    public func health() async -> BackendHealth { await base.health() }
}
