import AssistBackends
import AssistCore
import AssistTestSupport
import Foundation
import Testing

private func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("assist-usage-\(UUID().uuidString)/state/assist/usage.json").path
}

@Suite struct PriceTableTests {
    @Test func parsesEntries() {
        let (table, problems) = PriceTable.parse(["claude-sonnet-4-5=3,15", "qwen2.5-coder:0.5b = 0 , 0", "bad", "x=1", "y=-1,2", "a=b=1.5,2.5"])
        #expect(table.prices["claude-sonnet-4-5"] == ModelPrice(inputPerMillion: 3, outputPerMillion: 15))
        #expect(table.prices["qwen2.5-coder:0.5b"] == ModelPrice(inputPerMillion: 0, outputPerMillion: 0))
        #expect(table.prices["a=b"] == ModelPrice(inputPerMillion: 1.5, outputPerMillion: 2.5))
        #expect(problems.count == 3)
    }

    @Test func aSlashSeparatesThePricesWhereCommasSeparateItems() {
        // ASSIST_PROVIDERS_ANTHROPIC_PRICES="claude-sonnet-4-5=3/15,claude-haiku=1/5"
        let (table, problems) = PriceTable.parse(["claude-sonnet-4-5=3/15", "claude-haiku=1/5"])
        #expect(problems.isEmpty)
        #expect(table.prices["claude-sonnet-4-5"] == ModelPrice(inputPerMillion: 3, outputPerMillion: 15))
        #expect(table.prices["claude-haiku"] == ModelPrice(inputPerMillion: 1, outputPerMillion: 5))
    }

    @Test func costPerMillion() {
        let table = PriceTable(prices: ["m": ModelPrice(inputPerMillion: 3, outputPerMillion: 15)])
        let cost = table.cost(of: TokenUsage(promptTokens: 1_000, completionTokens: 2_000), model: "m")
        #expect(cost.map { abs($0 - 0.033) < 1e-12 } == true)
        #expect(table.cost(of: TokenUsage(promptTokens: 1, completionTokens: 1), model: "other") == nil)
    }
}

@Suite struct UsageLedgerTests {
    @Test func totalsByDayMonthAndModel() {
        var ledger = UsageLedger()
        ledger.record(TokenUsage(promptTokens: 10, completionTokens: 5), cost: 0.5, backend: "anthropic", model: "c", day: "2026-11-21", month: "2026-11")
        ledger.record(TokenUsage(promptTokens: 1, completionTokens: 1), cost: nil, backend: "local", model: "q", day: "2026-11-22", month: "2026-11")
        ledger.record(TokenUsage(promptTokens: 2, completionTokens: 2), cost: 0.25, backend: "anthropic", model: "c", day: "2026-11-22", month: "2026-11")
        #expect(ledger.total(day: "2026-11-22") == UsageTotals(requests: 2, promptTokens: 3, completionTokens: 3, costUSD: 0.25, unpricedRequests: 1))
        #expect(ledger.total(month: "2026-11") == UsageTotals(requests: 3, promptTokens: 13, completionTokens: 8, costUSD: 0.75, unpricedRequests: 1))
        #expect(ledger.months["2026-11"]?["anthropic/c"]?.requests == 2)
        ledger.dropDays(before: "2026-11-22")
        #expect(ledger.days.keys.sorted() == ["2026-11-22"])
        #expect(ledger.total(month: "2026-11").requests == 3)
    }

    @Test func periodsInATimeZone() throws {
        let date = Date(timeIntervalSince1970: 1_764_547_200)  // 2025-12-01 00:00 UTC
        #expect(UsageStore.periods(of: date, timeZone: try #require(TimeZone(identifier: "UTC"))) == ("2025-12-01", "2025-12"))
        #expect(UsageStore.periods(of: date, timeZone: try #require(TimeZone(identifier: "America/New_York"))) == ("2025-11-30", "2025-11"))
    }
}

@Suite struct UsageStoreTests {
    @Test func defaultPathFollowsXDG() {
        #expect(UsageStore.defaultPath(environment: ["XDG_STATE_HOME": "/s"], home: "/h") == "/s/assist/usage.json")
        #expect(UsageStore.defaultPath(environment: ["XDG_STATE_HOME": "relative"], home: "/h") == "/h/.local/state/assist/usage.json")
        #expect(UsageStore.defaultPath(environment: [:], home: "/h") == "/h/.local/state/assist/usage.json")
    }

    @Test func persistsAcrossStores() {
        let path = temporaryPath()
        let date = Date()
        #expect(UsageStore(path: path).record(TokenUsage(promptTokens: 100, completionTokens: 20), cost: 0.01, backend: "openai", model: "g", date: date) == nil)
        #expect(UsageStore(path: path).record(TokenUsage(promptTokens: 1, completionTokens: 2), cost: nil, backend: "local", model: "q", date: date) == nil)
        let (ledger, problem) = UsageStore(path: path).load()
        #expect(problem == nil)
        let periods = UsageStore.periods(of: date)
        #expect(ledger.total(day: periods.day) == UsageTotals(requests: 2, promptTokens: 101, completionTokens: 22, costUSD: 0.01, unpricedRequests: 1))
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test(arguments: ["{not json", "", "{\"version\": 99, \"days\": {}, \"months\": {}}", "[1,2,3]"])
    func corruptFileIsReportedAndRestarted(content: String) throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        let store = UsageStore(path: path)
        let problem = store.record(TokenUsage(promptTokens: 1, completionTokens: 1), cost: 1, backend: "b", model: "m")
        #expect(problem?.contains("corrupt") == true)
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
        // Until the user removes the corrupt file, spending is unknown: the problem stays, and the cloud is refused.
        let (ledger, again) = store.load()
        #expect(again?.contains("no request goes to a cloud backend") == true)
        #expect(ledger.total(month: UsageStore.periods(of: Date()).month).requests == 1)
        #expect(throws: UsageError.self) { try store.cloudSpending().get() }
        try FileManager.default.removeItem(atPath: path + ".corrupt")
        #expect(store.load().problem == nil)
        #expect((try? store.cloudSpending().get()) != nil)
    }

    /// Four stores of one file (as four processes would have) recording at once lose no update: each
    /// read-modify-write holds the file lock.
    @Test func concurrentWritersLoseNoUpdate() async throws {
        let path = temporaryPath()
        let stores = (0..<4).map { _ in UsageStore(path: path) }
        await withTaskGroup(of: Void.self) { group in
            for store in stores {
                group.addTask {
                    for _ in 0..<50 { store.record(TokenUsage(promptTokens: 1, completionTokens: 1), cost: 0.01, backend: "openai", model: "g") }
                }
            }
        }
        let (ledger, problem) = UsageStore(path: path).load()
        #expect(problem == nil)
        #expect(ledger.total(month: UsageStore.periods(of: Date()).month).requests == 200)
    }

    @Test func oneStorePerFileInAProcess() {
        let path = temporaryPath()
        #expect(UsageStore.shared(path: path) === UsageStore.shared(path: path))
    }

    @Test func unwritableDirectoryIsAProblemNotACrash() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("assist-file-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let store = UsageStore(path: file + "/usage.json")
        #expect(store.record(TokenUsage(promptTokens: 1, completionTokens: 1), cost: nil, backend: "b", model: "m")?.contains("cannot write") == true)
    }
}

@Suite struct AccountingBackendTests {
    @Test func everyAnswerIsCountedAndPriced() async throws {
        let server = try await StandInServer.start(script: [
            .streamed(openAIStream(["a"], prompt: 1_000, completion: 500)), .streamed(openAIStream(["b"], prompt: 2_000, completion: 0)),
        ])
        let path = temporaryPath()
        let backend = AccountingBackend(
            OpenAICompatibleBackend(settings: testSettings(server)), store: UsageStore(path: path),
            prices: PriceTable(prices: ["test-model": ModelPrice(inputPerMillion: 2, outputPerMillion: 10)]))
        let first = try await backend.complete(hello)
        let second = try await backend.complete(hello)
        await server.stop()
        #expect(first.text == "a" && second.text == "b")
        let (ledger, _) = UsageStore(path: path).load()
        let totals = ledger.total(day: UsageStore.periods(of: Date()).day)
        #expect(totals.requests == 2)
        #expect(totals.promptTokens == 3_000)
        #expect(abs(totals.costUSD - 0.011) < 1e-12)
        #expect(ledger.days.values.first?.keys.sorted() == ["openai/test-model"])
    }
}
