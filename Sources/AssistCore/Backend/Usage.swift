/// The price of one model, in US dollars per million tokens.
public struct ModelPrice: Sendable, Hashable {
    /// Dollars per million prompt tokens.
    public var inputPerMillion: Double
    /// Dollars per million completion tokens.
    public var outputPerMillion: Double

    /// Creates a price.
    /// - Parameters:
    ///   - inputPerMillion: Dollars per million prompt tokens.
    ///   - outputPerMillion: Dollars per million completion tokens.
    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    /// The cost of one answer's usage.
    /// - Parameter usage: The token counts.
    /// - Returns: The cost in dollars.
    public func cost(of usage: TokenUsage) -> Double {
        (Double(usage.promptTokens) * inputPerMillion + Double(usage.completionTokens) * outputPerMillion) / 1_000_000
    }
}

/// Prices by model name, read from configuration entries such as `"claude-sonnet-4-5=3.0,15.0"`.
public struct PriceTable: Sendable, Equatable {
    /// The prices by model name.
    public var prices: [String: ModelPrice]

    /// Creates a table.
    /// - Parameter prices: The prices by model name.
    public init(prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    /// Parses entries of the form `MODEL=INPUT,OUTPUT` or `MODEL=INPUT/OUTPUT` (dollars per million tokens). The model is
    /// what precedes the last `=`, so names with `:` or `/` work.
    /// - Parameter entries: The entries.
    /// - Returns: The table, and a message for each entry that could not be read.
    public static func parse(_ entries: [String]) -> (table: PriceTable, problems: [String]) {
        var table = PriceTable()
        var problems: [String] = []
        for entry in entries {
            guard let equals = entry.lastIndex(of: "=") else {
                problems.append("price entry '\(entry)' is not MODEL=INPUT,OUTPUT")
                continue
            }
            let model = entry[..<equals].trimmingSpaces()
            // `INPUT,OUTPUT`, or `INPUT/OUTPUT` where commas separate list items (environment variables).
            let numbers = entry[entry.index(after: equals)...].split(whereSeparator: { $0 == "," || $0 == "/" }).map { $0.trimmingSpaces() }
            guard !model.isEmpty, numbers.count == 2, let input = Double(numbers[0]), let output = Double(numbers[1]),
                input >= 0, output >= 0
            else {
                problems.append("price entry '\(entry)' is not MODEL=INPUT,OUTPUT with two non-negative numbers")
                continue
            }
            table.prices[model] = ModelPrice(inputPerMillion: input, outputPerMillion: output)
        }
        return (table, problems)
    }

    /// The cost of an answer by a model.
    /// - Parameters:
    ///   - usage: The token counts.
    ///   - model: The model's name.
    /// - Returns: The cost in dollars, or `nil` when the table has no price for the model.
    public func cost(of usage: TokenUsage, model: String) -> Double? {
        prices[model]?.cost(of: usage)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// Running totals of requests, tokens and cost.
public struct UsageTotals: Sendable, Equatable {
    /// Answers counted.
    public var requests: Int
    /// Prompt tokens.
    public var promptTokens: Int
    /// Completion tokens.
    public var completionTokens: Int
    /// Cost in dollars of the answers whose model has a price.
    public var costUSD: Double
    /// Answers whose model has no price, so their cost is not in ``costUSD``.
    public var unpricedRequests: Int

    /// Creates totals.
    /// - Parameters:
    ///   - requests: Answers counted.
    ///   - promptTokens: Prompt tokens.
    ///   - completionTokens: Completion tokens.
    ///   - costUSD: Cost in dollars.
    ///   - unpricedRequests: Answers without a price.
    public init(requests: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0, costUSD: Double = 0, unpricedRequests: Int = 0) {
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.unpricedRequests = unpricedRequests
    }

    /// Adds one answer.
    /// - Parameters:
    ///   - usage: The answer's token counts.
    ///   - cost: Its cost, or `nil` when its model has no price.
    public mutating func add(_ usage: TokenUsage, cost: Double?) {
        requests += 1
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
        if let cost { costUSD += cost } else { unpricedRequests += 1 }
    }

    /// Adds other totals to these.
    /// - Parameter other: The totals to add.
    public mutating func add(_ other: UsageTotals) {
        requests += other.requests
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        costUSD += other.costUSD
        unpricedRequests += other.unpricedRequests
    }
}

/// The usage ledger: totals per day and per month, each split by `backend/model`.
///
/// A value: the caller says which day and month an answer belongs to, and persists the ledger.
public struct UsageLedger: Sendable, Equatable {
    /// Totals by day (`YYYY-MM-DD`), then by `backend/model`.
    public var days: [String: [String: UsageTotals]]
    /// Totals by month (`YYYY-MM`), then by `backend/model`.
    public var months: [String: [String: UsageTotals]]

    /// Creates a ledger.
    /// - Parameters:
    ///   - days: Totals by day, then by `backend/model`.
    ///   - months: Totals by month, then by `backend/model`.
    public init(days: [String: [String: UsageTotals]] = [:], months: [String: [String: UsageTotals]] = [:]) {
        self.days = days
        self.months = months
    }

    /// Adds one answer to its day's and its month's totals.
    /// - Parameters:
    ///   - usage: The answer's token counts.
    ///   - cost: Its cost, or `nil` when unpriced.
    ///   - backend: The backend's name.
    ///   - model: The model's name.
    ///   - day: The day, `YYYY-MM-DD`.
    ///   - month: The month, `YYYY-MM`.
    public mutating func record(
        _ usage: TokenUsage, cost: Double?, backend: String, model: String, day: String, month: String
    ) {
        let key = "\(backend)/\(model)"
        days[day, default: [:]][key, default: UsageTotals()].add(usage, cost: cost)
        months[month, default: [:]][key, default: UsageTotals()].add(usage, cost: cost)
    }

    /// The totals of one day, all backends together.
    /// - Parameter day: The day, `YYYY-MM-DD`.
    /// - Returns: The totals (zero when nothing was recorded).
    public func total(day: String) -> UsageTotals { Self.sum(days[day]) }

    /// The totals of one month, all backends together.
    /// - Parameter month: The month, `YYYY-MM`.
    /// - Returns: The totals (zero when nothing was recorded).
    public func total(month: String) -> UsageTotals { Self.sum(months[month]) }

    /// Drops days before a given day, so the ledger does not grow without end; months are kept.
    /// - Parameter day: The first day to keep, `YYYY-MM-DD` (days compare as strings).
    public mutating func dropDays(before day: String) {
        days = days.filter { $0.key >= day }
    }

    private static func sum(_ totals: [String: UsageTotals]?) -> UsageTotals {
        var result = UsageTotals()
        for value in (totals ?? [:]).values { result.add(value) }
        return result
    }
}
