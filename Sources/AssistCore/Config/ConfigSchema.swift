/// The description of one configuration key: its name, type, default and rules.
public struct ConfigKey: Sendable, Equatable {
    /// The dotted name, for example `server.maxMessageBytes`.
    public var name: String
    /// The type of the key's value.
    public var type: ConfigValueType
    /// The built-in default, or `nil` when the key is unset unless configured.
    public var defaultValue: ConfigValue?
    /// A one-line summary of what the key does.
    public var summary: String
    /// The strings the value may take (each element, for a string array), or `nil` for any.
    public var allowedValues: [String]?
    /// The smallest allowed integer value, or `nil` for no minimum.
    public var minimum: Int?
    /// Whether the value is a secret: it is masked when shown and never quoted in diagnostics.
    public var isSecret: Bool
    /// Whether the key is refused in the repository file, so that a repository cannot set it.
    public var isUserOnly: Bool
    /// Environment variables read for this key besides ``environmentVariable``, for example
    /// `OPENAI_API_KEY`; the generic variable wins when both are set.
    public var environmentAliases: [String]
    /// For the keys that decide what leaves the machine: how a value from a layer the user does not
    /// control (the repository file, `initializationOptions`) combines with the user's, so that such
    /// a layer can only make the setting stricter. `nil`: the ordinary precedence.
    public var tightening: ConfigTightening?

    /// Creates a key description.
    /// - Parameters:
    ///   - name: The dotted name.
    ///   - type: The type of the key's value.
    ///   - defaultValue: The built-in default, or `nil` for none.
    ///   - summary: A one-line summary of what the key does.
    ///   - allowedValues: The strings the value may take, or `nil` for any.
    ///   - minimum: The smallest allowed integer value, or `nil` for no minimum.
    ///   - isSecret: Whether the value is a secret.
    ///   - isUserOnly: Whether the key is refused in the repository file.
    ///   - environmentAliases: Environment variables read besides the generic one.
    ///   - tightening: How the repository file and `initializationOptions` may change the value.
    public init(
        name: String, type: ConfigValueType, defaultValue: ConfigValue? = nil, summary: String,
        allowedValues: [String]? = nil, minimum: Int? = nil, isSecret: Bool = false,
        isUserOnly: Bool = false, environmentAliases: [String] = [], tightening: ConfigTightening? = nil
    ) {
        self.tightening = tightening
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
        self.allowedValues = allowedValues
        self.minimum = minimum
        self.isSecret = isSecret
        self.isUserOnly = isUserOnly
        self.environmentAliases = environmentAliases
    }

    /// Whether a value of this key that fails its checks must refuse every cloud request (rather
    /// than be left out, which would fail open): `privacy.localOnly`.
    public var refusesCloudWhenInvalid: Bool { tightening == .union }

    /// The generic environment variable: `ASSIST_` and the name in upper snake case, so
    /// `server.maxMessageBytes` is read from `ASSIST_SERVER_MAX_MESSAGE_BYTES`.
    public var environmentVariable: String {
        ConfigKey.environmentVariable(for: name)
    }

    /// All environment variables read for this key, the generic one first.
    public var environmentVariables: [String] {
        [environmentVariable] + environmentAliases
    }

    /// The generic environment variable for a dotted key name.
    /// - Parameter name: A dotted key name, for example `log.level`.
    /// - Returns: `ASSIST_` and the name in upper snake case, for example `ASSIST_LOG_LEVEL`.
    public static func environmentVariable(for name: String) -> String {
        var result = "ASSIST"
        for component in name.split(separator: ".", omittingEmptySubsequences: false) {
            result += "_" + upperSnakeCase(component)
        }
        return result
    }

    /// `maxMessageBytes` → `MAX_MESSAGE_BYTES`, `baseURLPath` → `BASE_URL_PATH`.
    private static func upperSnakeCase(_ word: Substring) -> String {
        let characters = Array(word)
        var result = ""
        for (i, character) in characters.enumerated() {
            if character == "-" {
                result += "_"
                continue
            }
            if i > 0, character.isUppercase {
                let previous = characters[i - 1]
                let nextIsLower = i + 1 < characters.count && characters[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    result += "_"
                }
            }
            result += character.uppercased()
        }
        return result
    }

    /// A value as it may be shown to the user: secrets are masked.
    ///
    /// A secret shows as `****` followed by its last four characters when it is at least twelve
    /// characters long, and as `****` alone otherwise.
    /// - Parameter value: A value of this key.
    /// - Returns: The value itself, or for a secret a masked string.
    public func displayed(_ value: ConfigValue) -> ConfigValue {
        guard isSecret else { return value }
        switch value {
        case .string(let string): return .string(ConfigKey.mask(string))
        case .strings(let strings): return .strings(strings.map(ConfigKey.mask))
        default: return .string("****")
        }
    }

    /// Masks a secret string.
    /// - Parameter secret: The secret.
    /// - Returns: `****` and the last four characters when the secret has at least twelve
    ///   characters, else `****`.
    public static func mask(_ secret: String) -> String {
        secret.count >= 12 ? "****" + secret.suffix(4) : "****"
    }
}

/// The set of configuration keys that the configuration accepts.
///
/// A schema is a value, so tests and tools can use their own; the daemon uses ``standard``.
public struct ConfigSchema: Sendable, Equatable {
    /// The keys, in the order they were given (a repeated name keeps its first description).
    public let keys: [ConfigKey]
    private let indexByName: [String: Int]

    /// Creates a schema.
    /// - Parameter keys: The keys; when a name repeats, the first description wins.
    public init(keys: [ConfigKey]) {
        var unique: [ConfigKey] = []
        var indexByName: [String: Int] = [:]
        for key in keys where indexByName[key.name] == nil {
            indexByName[key.name] = unique.count
            unique.append(key)
        }
        self.keys = unique
        self.indexByName = indexByName
    }

    /// The description of a key.
    /// - Parameter name: A dotted key name.
    /// - Returns: The key's description, or `nil` when the schema has no such key.
    public func key(named name: String) -> ConfigKey? {
        indexByName[name].map { keys[$0] }
    }

    /// The closest key name to a misspelt one, for a "did you mean" hint.
    ///
    /// Names are compared ignoring case, `_` and `-`, by edit distance; a name is suggested
    /// when it is at most a third of the misspelt name's length away (at least 1, at most 3).
    /// - Parameter name: A name that is not in the schema.
    /// - Returns: The closest key name, or `nil` when none is close enough.
    public func suggestion(for name: String) -> String? {
        let target = ConfigSchema.normalized(name)
        let limit = min(3, max(1, target.count / 3))
        var best: (distance: Int, name: String)?
        for key in keys {
            let distance = ConfigSchema.editDistance(target, ConfigSchema.normalized(key.name))
            if distance <= limit, best.map({ distance < $0.distance }) ?? true {
                best = (distance, key.name)
            }
        }
        return best?.name
    }

    /// The key whose generic environment variable is closest to an unknown `ASSIST_` variable.
    /// - Parameter variable: An environment variable name that no key reads.
    /// - Returns: The closest generic variable name, or `nil` when none is close enough.
    public func environmentSuggestion(for variable: String) -> String? {
        // Compare what follows the shared `ASSIST_` prefix, so the prefix does not dilute the limit.
        func suffix(_ name: String) -> [Character] {
            ConfigSchema.normalized(name.hasPrefix("ASSIST_") ? String(name.dropFirst(7)) : name)
        }
        let target = suffix(variable)
        let limit = min(3, max(1, target.count / 3))
        var best: (distance: Int, name: String)?
        for key in keys {
            let variable = key.environmentVariable
            let distance = ConfigSchema.editDistance(target, suffix(variable))
            if distance <= limit, best.map({ distance < $0.distance }) ?? true {
                best = (distance, variable)
            }
        }
        return best?.name
    }

    private static func normalized(_ name: String) -> [Character] {
        Array(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// The Levenshtein distance between two strings.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Compares the keys of two schemas.
    /// - Parameters:
    ///   - lhs: The first schema.
    ///   - rhs: The second schema.
    /// - Returns: `true` when both schemas have the same keys in the same order.
    public static func == (lhs: ConfigSchema, rhs: ConfigSchema) -> Bool {
        lhs.keys == rhs.keys
    }
}

extension ConfigKey {
    /// `log.level`: the least severe level of log messages that are written.
    public static let logLevel = ConfigKey(
        name: "log.level", type: .string, defaultValue: .string("info"),
        summary: "The least severe level of log messages that are written.",
        allowedValues: ["trace", "debug", "info", "notice", "warning", "error", "critical"])

    /// `log.file`: the file logs are appended to; unset means standard error.
    public static let logFile = ConfigKey(
        name: "log.file", type: .string,
        summary: "The file logs are appended to; unset means standard error. User file or environment only, so that a repository cannot choose where the daemon writes.",
        isUserOnly: true)

    /// `server.maxMessageBytes`: the largest JSON-RPC message the daemon accepts.
    public static let serverMaxMessageBytes = ConfigKey(
        name: "server.maxMessageBytes", type: .integer, defaultValue: .integer(64 * 1024 * 1024),
        summary: "The largest JSON-RPC message the daemon accepts, in bytes.", minimum: 1024)

    /// `providers.openai.apiKey`: the OpenAI API key.
    public static let openAIAPIKey = ConfigKey(
        name: "providers.openai.apiKey", type: .string, summary: "The OpenAI API key.",
        isSecret: true, isUserOnly: true, environmentAliases: ["OPENAI_API_KEY"])

    /// `providers.anthropic.apiKey`: the Anthropic API key.
    public static let anthropicAPIKey = ConfigKey(
        name: "providers.anthropic.apiKey", type: .string, summary: "The Anthropic API key.",
        isSecret: true, isUserOnly: true, environmentAliases: ["ANTHROPIC_API_KEY"])

    /// `providers.gemini.apiKey`: the Gemini API key.
    public static let geminiAPIKey = ConfigKey(
        name: "providers.gemini.apiKey", type: .string, summary: "The Gemini API key.",
        isSecret: true, isUserOnly: true, environmentAliases: ["GEMINI_API_KEY"])
}

/// The model providers `assist` can talk to, as their configuration keys name them.
public enum ProviderName: String, Sendable, CaseIterable {
    /// An OpenAI-compatible local server (llama.cpp `llama-server`, vLLM, LM Studio).
    case local
    /// OpenAI's API (Chat Completions).
    case openai
    /// Anthropic's Messages API.
    case anthropic
    /// An Ollama server.
    case ollama
    /// Google's Gemini API.
    case gemini

    /// The base URL used when `providers.NAME.baseURL` is unset; `nil` for `local`, whose server
    /// is the managed `llama-server` unless one is configured.
    public var defaultBaseURL: String? {
        switch self {
        case .local: return nil
        case .openai: return "https://api.openai.com/v1"
        case .anthropic: return "https://api.anthropic.com"
        case .ollama: return "http://127.0.0.1:11434"
        case .gemini: return "https://generativelanguage.googleapis.com/v1beta"
        }
    }

    /// The model used when `providers.NAME.model` is unset, or `nil` when one must be configured.
    public var defaultModel: String? {
        switch self {
        case .local: return "default"
        case .ollama: return "qwen2.5-coder:0.5b"
        case .openai, .anthropic, .gemini: return nil
        }
    }

    /// The configuration key of the provider's API key, for example `providers.anthropic.apiKey`.
    public var apiKeyName: String { "providers.\(rawValue).apiKey" }
}

extension ConfigKey {
    /// `providers.local.apiKey`: the key of an OpenAI-compatible local server that wants one.
    public static let localAPIKey = ConfigKey(
        name: "providers.local.apiKey", type: .string,
        summary: "The API key of the OpenAI-compatible local server, if it wants one.",
        isSecret: true, isUserOnly: true)

    /// `providers.ollama.apiKey`: a bearer token for an Ollama server behind a proxy that wants one.
    public static let ollamaAPIKey = ConfigKey(
        name: "providers.ollama.apiKey", type: .string,
        summary: "A bearer token for an Ollama server behind a proxy that wants one.",
        isSecret: true, isUserOnly: true)

    /// `backends.connectTimeoutSeconds`: how long to wait for a connection to a backend.
    public static let backendsConnectTimeout = ConfigKey(
        name: "backends.connectTimeoutSeconds", type: .double, defaultValue: .double(10),
        summary: "How long to wait for a connection to a model backend, in seconds.")

    /// `backends.readTimeoutSeconds`: how long to wait for the first byte of an answer and between bytes.
    public static let backendsReadTimeout = ConfigKey(
        name: "backends.readTimeoutSeconds", type: .double, defaultValue: .double(120),
        summary: "How long to wait for the first byte of a backend's answer, and between its bytes, in seconds.")

    /// `backends.maxRetries`: retries of a request after HTTP 429/503/529 or a failed connection.
    public static let backendsMaxRetries = ConfigKey(
        name: "backends.maxRetries", type: .integer, defaultValue: .integer(3),
        summary: "Retries of a backend request after HTTP 429, 503 or 529, or a connection failure before the answer began.",
        minimum: 0)

    /// `backends.maxRetryDelaySeconds`: the longest wait before a retry.
    public static let backendsMaxRetryDelay = ConfigKey(
        name: "backends.maxRetryDelaySeconds", type: .double, defaultValue: .double(30),
        summary: "The longest wait before a retry, in seconds; a Retry-After beyond it fails the request at once.")

    /// The per-provider keys: base URL, model, context window, concurrency and prices.
    /// - Parameter provider: The provider.
    /// - Returns: Its keys.
    public static func providerKeys(_ provider: ProviderName) -> [ConfigKey] {
        let prefix = "providers.\(provider.rawValue)."
        return [
            ConfigKey(
                name: prefix + "baseURL", type: .string, defaultValue: provider.defaultBaseURL.map { .string($0) },
                summary: provider == .local
                    ? "The base URL of an OpenAI-compatible local server, ending in /v1; unset means the managed llama-server."
                    : "The base URL of the \(provider.rawValue) API. User file or environment only, so that a repository cannot send code or keys elsewhere.",
                isUserOnly: true),
            ConfigKey(
                name: prefix + "model", type: .string, defaultValue: provider.defaultModel.map { .string($0) },
                summary: "The model asked of \(provider.rawValue)."),
            ConfigKey(
                name: prefix + "contextWindow", type: .integer,
                summary: provider == .ollama
                    ? "The largest num_ctx sent (default: the model's context length from /api/show). Each request sends what its prompt and answer need, 8192 or the next doubling, so that Ollama does not reload the model for every size."
                    : "The context window in tokens, used when the server cannot be asked.",
                minimum: 1),
            ConfigKey(
                name: prefix + "maxConcurrentRequests", type: .integer, defaultValue: .integer(provider == .local ? 1 : 4),
                summary: "The most requests at once to \(provider.rawValue); the others wait.", minimum: 1),
            ConfigKey(
                name: prefix + "prices", type: .strings, defaultValue: .strings([]),
                summary: "Prices per model as \"MODEL=INPUT,OUTPUT\" (or \"MODEL=INPUT/OUTPUT\", as the environment needs), in US dollars per million prompt and completion tokens. User file or environment only.",
                isUserOnly: true),
        ]
    }
}

extension ConfigKey {
    /// `routing.offline`: nothing leaves the machine.
    public static let routingOffline = ConfigKey(
        name: "routing.offline", type: .bool, defaultValue: .bool(false),
        summary: "Offline mode: no request goes to a cloud backend. The repository file and editor settings can turn it on, never off.",
        tightening: .enableOnly)

    /// `routing.cloudProvider`: the cloud backend multi-file work and escalations go to.
    public static let routingCloudProvider = ConfigKey(
        name: "routing.cloudProvider", type: .string,
        summary: "The cloud backend for multi-file work and escalations (its API key must be set); unset means none. User file or environment only, so that a repository cannot send its code out.",
        allowedValues: ["anthropic", "openai", "gemini"], isUserOnly: true)

    /// `routing.localProvider`: what runs the local model.
    public static let routingLocalProvider = ConfigKey(
        name: "routing.localProvider", type: .string, defaultValue: .string("llama-server"),
        summary: "What runs the local model: \"llama-server\" (the managed one, or the server at providers.local.baseURL) or \"ollama\" (Ollama's /api/chat at providers.ollama.baseURL, model providers.ollama.model, kept loaded for local.keepAliveSeconds). User file or environment only.",
        allowedValues: ["llama-server", "ollama"], isUserOnly: true)

    /// `routing.localMaxTokens`: the largest refactor prompt the kind rule keeps local.
    public static let routingLocalMaxTokens = ConfigKey(
        name: "routing.localMaxTokens", type: .integer, defaultValue: .integer(8_000),
        summary: "Refactors with prompts up to this many tokens go to the local model; larger ones prefer the cloud. The repository file and editor settings can only raise it.",
        minimum: 1, tightening: .higher)

    /// `routing.escalate`: whether the cascade may send a failed local answer's request to the cloud.
    public static let routingEscalate = ConfigKey(
        name: "routing.escalate", type: .bool, defaultValue: .bool(true),
        summary: "Whether a request whose local answer fails validation twice may go to the cloud backend (when policy allows). The repository file and editor settings can turn it off, never on.",
        tightening: .disableOnly)

    /// `routing.classifierModel`: whether classification asks the local model when the rules are unsure.
    public static let routingClassifierModel = ConfigKey(
        name: "routing.classifierModel", type: .bool, defaultValue: .bool(true),
        summary: "Whether classifying a request the rules are unsure of (confidence below 0.6) asks the local model for a second opinion, constrained to the kinds and cached per request. Nothing leaves the machine.")

    /// `routing.classifierTimeoutSeconds`: the longest classification waits for the model's opinion.
    public static let routingClassifierTimeout = ConfigKey(
        name: "routing.classifierTimeoutSeconds", type: .double, defaultValue: .double(15),
        summary: "The longest classification waits for the local model's second opinion, its start included, in seconds; past it the rules decide. The repository file and editor settings can only lower it.",
        tightening: .lower)

    /// `local.keepAliveSeconds`: how long the shared model host waits for a request before it stops.
    public static let localKeepAlive = ConfigKey(
        name: "local.keepAliveSeconds", type: .integer, defaultValue: .integer(600),
        summary: "Seconds the shared local model host (one llama-server per user and model, started by the first command that needs it) waits without a request before it stops; 0 runs a server inside each command instead. With routing.localProvider = \"ollama\", sent as keep_alive. User file or environment only.",
        minimum: 0, isUserOnly: true)

    /// `local.parallel`: the slots of the shared model host.
    public static let localParallel = ConfigKey(
        name: "local.parallel", type: .integer, defaultValue: .integer(4),
        summary: "Requests the local model host answers at once (llama-server slots with continuous batching); docstrings of a file and of a commit keep this many in flight. Takes effect when a host starts (`assist model stop` ends the running one). With Ollama, the requests kept in flight (its OLLAMA_NUM_PARALLEL decides how many run at once). User file or environment only.",
        minimum: 1, isUserOnly: true)

    /// `privacy.localOnly`: path globs whose files never go to a cloud backend.
    public static let privacyLocalOnly = ConfigKey(
        name: "privacy.localOnly", type: .strings, defaultValue: .strings([]),
        summary: "Path globs (.gitignore-like) of files that never go to a cloud backend: a request about one stays local, and other requests leave them out of cloud-bound context. The repository file and editor settings add to the user's patterns, never remove them; an invalid pattern refuses every cloud request until it is fixed.",
        tightening: .union)

    /// `privacy.secrets`: what to do with secrets found in cloud-bound context.
    public static let privacySecrets = ConfigKey(
        name: "privacy.secrets", type: .string, defaultValue: .string("redact"),
        summary: "Secrets found in cloud-bound context: \"redact\" replaces each with a marker; \"local\" keeps the request on this machine. The repository file and editor settings can only choose the stricter.",
        allowedValues: ["redact", "local"], tightening: .stricter(["redact", "local"]))

    /// `budget.dailyUSD`: the most cloud spending per day.
    public static let budgetDaily = ConfigKey(
        name: "budget.dailyUSD", type: .double,
        summary: "The most spent on cloud requests per day, in US dollars; over it the cloud is refused. The repository file and editor settings can only lower it.",
        tightening: .lower)

    /// `budget.monthlyUSD`: the most cloud spending per month.
    public static let budgetMonthly = ConfigKey(
        name: "budget.monthlyUSD", type: .double,
        summary: "The most spent on cloud requests per month, in US dollars; over it the cloud is refused. The repository file and editor settings can only lower it.",
        tightening: .lower)
}

extension ConfigSchema {
    /// The keys `assist` understands today.
    public static let standard = ConfigSchema(
        keys: [
            .logLevel, .logFile, .serverMaxMessageBytes, .openAIAPIKey, .anthropicAPIKey, .geminiAPIKey,
            .localAPIKey, .ollamaAPIKey, .backendsConnectTimeout, .backendsReadTimeout, .backendsMaxRetries,
            .backendsMaxRetryDelay, .routingOffline, .routingCloudProvider, .routingLocalProvider, .routingLocalMaxTokens, .routingEscalate,
            .routingClassifierModel, .routingClassifierTimeout, .localKeepAlive, .localParallel,
            .privacyLocalOnly, .privacySecrets, .budgetDaily, .budgetMonthly,
        ] + ProviderName.allCases.flatMap(ConfigKey.providerKeys))
}

/// How a layer the user does not control may change a setting that decides what leaves the
/// machine: only towards the stricter value. Combining never loosens what the user set.
public enum ConfigTightening: Sendable, Equatable {
    /// A boolean that such a layer can turn on, never off (`routing.offline`).
    case enableOnly
    /// A boolean that such a layer can turn off, never on (`routing.escalate`).
    case disableOnly
    /// A list that such a layer adds to (`privacy.localOnly`).
    case union
    /// One of these strings, loosest first; the stricter of the two wins (`privacy.secrets`).
    case stricter([String])
    /// A number where lower is stricter, unset meaning no limit (the budgets).
    case lower
    /// An integer where higher is stricter (`routing.localMaxTokens`).
    case higher

    /// The value in force when `current` (the user's, or the default) meets `offered`.
    ///
    /// - Parameters:
    ///   - current: The value so far, or `nil` when unset.
    ///   - offered: The value the layer sets.
    /// - Returns: The combined value; equal to `current` when `offered` would loosen it.
    public func combine(_ current: ConfigValue?, _ offered: ConfigValue) -> ConfigValue {
        switch (self, current, offered) {
        case (.enableOnly, .bool(let a)?, .bool(let b)): return .bool(a || b)
        case (.disableOnly, .bool(let a)?, .bool(let b)): return .bool(a && b)
        case (.union, .strings(let a)?, .strings(let b)): return .strings(a + b.filter { !a.contains($0) })
        case (.stricter(let order), .string(let a)?, .string(let b)):
            return (order.firstIndex(of: b) ?? 0) > (order.firstIndex(of: a) ?? 0) ? .string(b) : .string(a)
        case (.lower, nil, _): return offered
        case (.lower, .double(let a)?, .double(let b)): return .double(min(a, b))
        case (.higher, .integer(let a)?, .integer(let b)): return .integer(max(a, b))
        case (_, nil, _): return offered
        default: return current ?? offered
        }
    }

    /// What such a layer may do, in words, for `assist config`.
    public var rule: String {
        switch self {
        case .enableOnly: "can turn it on, never off"
        case .disableOnly: "can turn it off, never on"
        case .union: "can add patterns, never remove the user's"
        case .stricter(let order): "can only choose the stricter (\(order.joined(separator: " < ")))"
        case .lower: "can only lower it"
        case .higher: "can only raise it"
        }
    }
}
