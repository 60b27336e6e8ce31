import AssistCore
import Testing

private let userPath = "/home/u/.config/assist/config.toml"
private let repoPath = "/work/repo/.assist.toml"

/// The configuration of a user file, a repository file, the environment and editor options.
private func resolve(
    user: String = "", repository: String = "", environment: [String: String] = [:], options: [String: ConfigValue] = [:]
) -> (Configuration, [ConfigDiagnostic]) {
    ConfigLoader.load(
        userFile: ConfigFileText(path: userPath, text: user), repositoryFile: ConfigFileText(path: repoPath, text: repository),
        environment: environment, initializationOptions: options)
}

/// One case: what the user set, what the repository (or the editor) offered, what is in force.
struct TighteningCase: Sendable, CustomTestStringConvertible {
    var name: String
    var user: String
    var repository: String = ""
    var environment: [String: String] = [:]
    var options: [String: ConfigValue] = [:]
    var key: String
    var expected: ConfigValue?
    /// Whether the untrusted layer's value is reported as not taken.
    var notTaken: Bool
    var testDescription: String { name }
}

private let cases: [TighteningCase] = [
    TighteningCase(name: "the repository cannot turn offline mode off", user: "routing.offline = true", repository: "[routing]\noffline = false",
                   key: "routing.offline", expected: .bool(true), notTaken: true),
    TighteningCase(name: "the repository can turn offline mode on", user: "routing.offline = false", repository: "routing.offline = true",
                   key: "routing.offline", expected: .bool(true), notTaken: false),
    TighteningCase(name: "editor options cannot turn offline mode off", user: "routing.offline = true", options: ["routing.offline": .bool(false)],
                   key: "routing.offline", expected: .bool(true), notTaken: true),
    TighteningCase(name: "the user's environment still decides over the user file", user: "routing.offline = true",
                   environment: ["ASSIST_ROUTING_OFFLINE": "false"], key: "routing.offline", expected: .bool(false), notTaken: false),
    TighteningCase(name: "the repository's offline mode wins over the user's environment", user: "",
                   repository: "routing.offline = true", environment: ["ASSIST_ROUTING_OFFLINE": "false"],
                   key: "routing.offline", expected: .bool(true), notTaken: false),
    TighteningCase(name: "an empty localOnly in the repository removes nothing", user: "privacy.localOnly = [\"Internal/\"]",
                   repository: "[privacy]\nlocalOnly = []", key: "privacy.localOnly", expected: .strings(["Internal/"]), notTaken: true),
    TighteningCase(name: "the repository adds localOnly patterns", user: "privacy.localOnly = [\"Internal/\"]",
                   repository: "privacy.localOnly = [\"Secret/\", \"Internal/\"]", key: "privacy.localOnly",
                   expected: .strings(["Internal/", "Secret/"]), notTaken: false),
    TighteningCase(name: "secrets: the repository cannot go from local to redact", user: "privacy.secrets = \"local\"",
                   repository: "privacy.secrets = \"redact\"", key: "privacy.secrets", expected: .string("local"), notTaken: true),
    TighteningCase(name: "secrets: the repository can go from redact to local", user: "",
                   repository: "privacy.secrets = \"local\"", key: "privacy.secrets", expected: .string("local"), notTaken: false),
    TighteningCase(name: "escalation: off wins", user: "routing.escalate = false", repository: "routing.escalate = true",
                   key: "routing.escalate", expected: .bool(false), notTaken: true),
    TighteningCase(name: "localMaxTokens is only raised", user: "routing.localMaxTokens = 8000", repository: "routing.localMaxTokens = 1",
                   key: "routing.localMaxTokens", expected: .integer(8000), notTaken: true),
    TighteningCase(name: "localMaxTokens can be raised", user: "", repository: "routing.localMaxTokens = 20000",
                   key: "routing.localMaxTokens", expected: .integer(20000), notTaken: false),
    TighteningCase(name: "the classifier's wait is only shortened", user: "", repository: "routing.classifierTimeoutSeconds = 3600.0",
                   key: "routing.classifierTimeoutSeconds", expected: .double(15), notTaken: true),
    TighteningCase(name: "the classifier's wait can be shortened", user: "", repository: "routing.classifierTimeoutSeconds = 2.0",
                   key: "routing.classifierTimeoutSeconds", expected: .double(2), notTaken: false),
    TighteningCase(name: "a budget is only lowered", user: "budget.dailyUSD = 5.0", repository: "budget.dailyUSD = 50.0",
                   key: "budget.dailyUSD", expected: .double(5), notTaken: true),
    TighteningCase(name: "a budget can be lowered", user: "budget.monthlyUSD = 50.0", repository: "budget.monthlyUSD = 10.0",
                   key: "budget.monthlyUSD", expected: .double(10), notTaken: false),
    TighteningCase(name: "a budget can be set where the user has none", user: "", options: ["budget.dailyUSD": .double(2)],
                   key: "budget.dailyUSD", expected: .double(2), notTaken: false),
]

@Suite("settings that decide what leaves the machine only tighten")
struct ConfigTighteningTests {
    @Test(arguments: cases)
    func tightens(_ test: TighteningCase) {
        let (configuration, _) = resolve(user: test.user, repository: test.repository, environment: test.environment, options: test.options)
        #expect(configuration.value(test.key) == test.expected)
        #expect(configuration.notTaken.contains { $0.key == test.key } == test.notTaken, "\(configuration.notTaken)")
    }

    @Test func configSaysWhatWasNotTakenAndWhy() {
        let (configuration, _) = resolve(user: "routing.offline = true", repository: "[routing]\noffline = false")
        #expect(configuration.source("routing.offline") == .userFile(path: userPath, line: 1))
        let text = configuration.rendered()
        #expect(text.contains("routing.offline = true  # user file \(userPath):1"))
        #expect(text.contains("#   not taken: routing.offline = false from the repository file \(repoPath):2: the repository file can turn it on, never off"), "\(text)")
    }

    @Test func anInvalidLocalOnlyPatternRefusesTheCloudNamingItsPlace() {
        let (configuration, diagnostics) = resolve(user: "privacy.localOnly = [\"Internal/\"]", repository: "\n[privacy]\nlocalOnly = [\"src/[\"]")
        #expect(diagnostics.contains { $0.severity == .error && $0.line == 3 && $0.message.contains("src/[") })
        #expect(configuration.cloudRefusals.count == 1)
        #expect(configuration.cloudRefusals.first?.hasPrefix("\(repoPath):3: privacy.localOnly") == true, "\(configuration.cloudRefusals)")
        #expect(configuration.strings("privacy.localOnly") == ["Internal/"], "the user's patterns stay")
        let (fromEnvironment, _) = resolve(environment: ["ASSIST_PRIVACY_LOCAL_ONLY": "a/**,b/["])
        #expect(fromEnvironment.cloudRefusals.first?.contains("ASSIST_PRIVACY_LOCAL_ONLY") == true)
    }
}
