import ArgumentParser
import AssistBackends
import AssistCore
import Foundation

/// `assist usage`: tokens and cost of model answers, today and this month, by backend and model.
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Print today's and this month's tokens and cost, by backend and model.",
        discussion: """
            Totals are kept in $XDG_STATE_HOME/assist/usage.json (else ~/.local/state/assist/usage.json) \
            and priced from providers.NAME.prices (US dollars per million tokens). Answers from a model \
            without a price are counted as unpriced. Days are calendar days in the local time zone.
            """
    )

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = UsageStore.defaultPath(environment: environment, home: FileManager.default.homeDirectoryForCurrentUser.path)
        let (ledger, problem) = UsageStore.shared(path: path).load()
        if let problem {
            FileHandle.standardError.write(Data("warning: \(problem)\n".utf8))
        }
        let periods = UsageStore.periods(of: Date())
        let today = ledger.days[periods.day] ?? [:]
        let month = ledger.months[periods.month] ?? [:]
        if json {
            let object: [String: Any] = [
                "file": path,
                "day": periods.day,
                "month": periods.month,
                "today": Self.object(total: ledger.total(day: periods.day), byModel: today),
                "thisMonth": Self.object(total: ledger.total(month: periods.month), byModel: month),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.text(title: "today (\(periods.day))", total: ledger.total(day: periods.day), byModel: today), terminator: "")
            print(Self.text(title: "this month (\(periods.month))", total: ledger.total(month: periods.month), byModel: month), terminator: "")
        }
    }

    static func object(total: UsageTotals, byModel: [String: UsageTotals]) -> [String: Any] {
        func totals(_ value: UsageTotals) -> [String: Any] {
            [
                "requests": value.requests, "promptTokens": value.promptTokens, "completionTokens": value.completionTokens,
                "costUSD": value.costUSD, "unpricedRequests": value.unpricedRequests,
            ]
        }
        var result = totals(total)
        result["byModel"] = byModel.mapValues(totals)
        return result
    }

    static func text(title: String, total: UsageTotals, byModel: [String: UsageTotals]) -> String {
        func line(_ value: UsageTotals) -> String {
            let cost = String(format: "$%.4f", value.costUSD)
            let unpriced = value.unpricedRequests > 0 ? " (\(value.unpricedRequests) unpriced)" : ""
            return "\(value.requests) requests, \(value.promptTokens) prompt + \(value.completionTokens) completion tokens, \(cost)\(unpriced)"
        }
        var result = "\(title): \(line(total))\n"
        for (name, value) in byModel.sorted(by: { $0.key < $1.key }) {
            result += "  \(name): \(line(value))\n"
        }
        return result
    }
}
