import AssistCore
import AssistFiles
import Foundation
import Logging
import Synchronization

/// The usage ledger on disk: `$XDG_STATE_HOME/assist/usage.json`, else
/// `~/.local/state/assist/usage.json`.
///
/// One store per file in a process (``shared(path:)``), its updates serialised by a mutex; across
/// processes every read-modify-write holds an exclusive `flock` on `usage.json.lock`, so a daemon,
/// the shell and the hook never lose each other's updates. Writes go through ``FileTree``
/// (atomic). A file that cannot be read as a ledger is moved aside to `usage.json.corrupt`; while
/// that file exists the spending is unknown, and ``cloudSpending(at:)`` says so, so that the cloud
/// is refused (failing closed) until the user looks at it and removes it.
public final class UsageStore: Sendable {
    /// The file's path.
    public let path: String
    private let lock = Mutex(())

    /// The stores of this process, by path.
    private static let stores = Mutex<[String: UsageStore]>([:])

    /// The one store of this process for a file.
    /// - Parameter path: The file's path.
    /// - Returns: The store.
    public static func shared(path: String) -> UsageStore {
        stores.withLock { stores in
            if let store = stores[path] { return store }
            let store = UsageStore(path: path)
            stores[path] = store
            return store
        }
    }

    /// Creates a store for a file (tests; the program uses ``shared(path:)``).
    /// - Parameter path: The file's path.
    public init(path: String) {
        self.path = path
    }

    /// Where a corrupt ledger was moved.
    public var asidePath: String { path + ".corrupt" }

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
    ///   unreadable or corrupt (it has then been moved aside) or an earlier corrupt one is still aside.
    public func load() -> (ledger: UsageLedger, problem: String?) {
        lock.withLock { _ in
            withFileLock(exclusive: true) { loadUnlocked() }
        }
    }

    /// Cloud spending today and this month, or why it cannot be known (then the cloud must be refused).
    ///
    /// - Parameter date: Now.
    /// - Returns: The dollars spent on cloud backends (local and Ollama models do not count), or the problem.
    public func cloudSpending(at date: Date = Date()) -> Result<(today: Double, month: Double), UsageError> {
        let (ledger, problem) = load()
        if let problem { return .failure(UsageError(message: problem)) }
        let periods = Self.periods(of: date)
        func cloud(_ totals: [String: UsageTotals]?) -> Double {
            (totals ?? [:]).filter { !$0.key.hasPrefix("local/") && !$0.key.hasPrefix("ollama/") }.values.reduce(0) { $0 + $1.costUSD }
        }
        return .success((cloud(ledger.days[periods.day]), cloud(ledger.months[periods.month])))
    }

    /// Adds one answer and writes the ledger, holding the file lock for the whole update.
    /// - Parameters:
    ///   - usage: The answer's token counts.
    ///   - cost: Its cost, or `nil` when unpriced.
    ///   - backend: The backend's name.
    ///   - model: The model.
    ///   - date: When the answer was received.
    /// - Returns: A problem when the old file was corrupt or the new one could not be written.
    @discardableResult
    public func record(_ usage: TokenUsage, cost: Double?, backend: String, model: String, date: Date = Date()) -> String? {
        lock.withLock { _ in
            withFileLock(exclusive: true) {
                var (ledger, problem) = loadUnlocked()
                let periods = Self.periods(of: date)
                ledger.record(usage, cost: cost, backend: backend, model: model, day: periods.day, month: periods.month)
                let cutoff = Self.periods(of: date.addingTimeInterval(-92 * 86_400)).day
                ledger.dropDays(before: cutoff)
                do {
                    try write(ledger)
                } catch {
                    return "cannot write the usage file \(path): \(error)"
                }
                return problem
            }
        }
    }

    /// Runs `body` holding `flock` on `usage.json.lock` (made when missing); without a lock file
    /// (an unwritable folder) it runs unlocked, and the write that follows reports the problem.
    private func withFileLock<T>(exclusive: Bool, _ body: () -> T) -> T {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return body() }
        defer { close(descriptor) }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0, errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return body()
    }

    private func loadUnlocked() -> (UsageLedger, String?) {
        let aside = asidePath
        let stillAside = FileManager.default.fileExists(atPath: aside)
            ? "the usage file was corrupt and was moved to \(aside); cloud spending is unknown, so no request goes to a cloud backend until you look at it and remove it"
            : nil
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let bytes: [UInt8]
        do {
            bytes = try FileTree(root: directory, kind: .owned).read(name, limit: 64 << 20)
        } catch where error.isMissing {
            return (UsageLedger(), stillAside)
        } catch {
            return (UsageLedger(), "cannot read the usage file \(path) (\(error.reason)); cloud spending is unknown, so no request goes to a cloud backend until it can be read")
        }
        if let ledger = UsageFile.decode(Data(bytes)) { return (ledger, stillAside) }
        if !FileManager.default.fileExists(atPath: aside) {
            try? FileManager.default.moveItem(atPath: path, toPath: aside)
        } else {
            try? FileManager.default.moveItem(atPath: path, toPath: aside + "-\(Int(Date().timeIntervalSince1970))")
        }
        return (UsageLedger(), "the usage file \(path) was corrupt and was moved to \(aside); cloud spending is unknown, so no request goes to a cloud backend until you look at it and remove it")
    }

    private func write(_ ledger: UsageLedger) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try UsageFile.encode(ledger)
        try FileTree(root: directory, kind: .owned).write(Array(data), to: (path as NSString).lastPathComponent, expecting: .any)
    }
}

/// Why the spending on cloud backends cannot be known.
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
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
