import AssistCore
import Logging

/// Makes backends from the effective configuration.
public enum BackendFactory {
    /// The settings of a provider from the configuration: `providers.NAME.*` and `backends.*`.
    /// - Parameters:
    ///   - provider: The provider.
    ///   - configuration: The effective configuration.
    ///   - baseURL: A base URL that wins over the configured one (the managed server's), if any.
    /// - Returns: The settings.
    /// - Throws: ``BackendError`` of kind `configuration` when the provider has no base URL or no model.
    public static func settings(
        for provider: ProviderName, configuration: Configuration, baseURL: String? = nil
    ) throws(BackendError) -> BackendSettings {
        let prefix = "providers.\(provider.rawValue)."
        guard let url = baseURL ?? configuration.string(prefix + "baseURL"), !url.isEmpty else {
            throw BackendError(.configuration, backend: provider.rawValue, message: "no base URL; set \(prefix)baseURL")
        }
        guard let model = configuration.string(prefix + "model"), !model.isEmpty else {
            throw BackendError(.configuration, backend: provider.rawValue, message: "no model; set \(prefix)model")
        }
        let keyName = provider.apiKeyName
        let variables = configuration.schema.key(named: keyName)?.environmentAliases ?? []
        let keySource = (variables + [keyName]).joined(separator: " or ")
        let apiKey = configuration.string(keyName).flatMap { $0.isEmpty ? nil : $0 }
        func seconds(_ key: String, _ fallback: Double) -> Duration {
            let value = configuration.double(key) ?? fallback
            return .milliseconds(Int64(max(0.001, value.isFinite ? value : fallback) * 1000))
        }
        let retry = RetryPolicy(
            maxRetries: configuration.integer("backends.maxRetries") ?? 3,
            baseDelay: .milliseconds(500),
            maxDelay: seconds("backends.maxRetryDelaySeconds", 30))
        return BackendSettings(
            name: provider.rawValue, baseURL: url, model: model, apiKey: apiKey, keySource: keySource,
            connectTimeout: seconds("backends.connectTimeoutSeconds", 10),
            readTimeout: seconds("backends.readTimeoutSeconds", 120), retry: retry,
            maxConcurrentRequests: configuration.integer(prefix + "maxConcurrentRequests") ?? 4,
            contextWindow: configuration.integer(prefix + "contextWindow"))
    }

    /// Makes the backend for a provider.
    /// - Parameters:
    ///   - provider: The provider.
    ///   - configuration: The effective configuration.
    ///   - baseURL: A base URL that wins over the configured one, if any.
    ///   - logger: Where the backend logs.
    /// - Returns: The backend.
    /// - Throws: ``BackendError`` of kind `configuration` when the provider is not configured.
    public static func make(
        _ provider: ProviderName, configuration: Configuration, baseURL: String? = nil,
        logger: Logger = Logger(label: "assist.backend")
    ) throws(BackendError) -> any ChatBackend {
        let settings = try settings(for: provider, configuration: configuration, baseURL: baseURL)
        return make(provider, settings: settings, logger: logger)
    }

    /// Makes the backend for a provider from explicit settings.
    /// - Parameters:
    ///   - provider: Which wire format to speak.
    ///   - settings: The settings.
    ///   - logger: Where the backend logs.
    /// - Returns: The backend.
    public static func make(_ provider: ProviderName, settings: BackendSettings, logger: Logger = Logger(label: "assist.backend")) -> any ChatBackend {
        switch provider {
        case .local: return OpenAICompatibleBackend(settings: settings, dialect: .server, logger: logger)
        case .openai: return OpenAICompatibleBackend(settings: settings, dialect: .openAI, logger: logger)
        case .anthropic: return AnthropicBackend(settings: settings, logger: logger)
        case .ollama: return OllamaBackend(settings: settings, logger: logger)
        case .gemini: return GeminiBackend(settings: settings, logger: logger)
        }
    }

    /// The price table of a provider from `providers.NAME.prices`.
    /// - Parameters:
    ///   - provider: The provider.
    ///   - configuration: The effective configuration.
    /// - Returns: The table and a message for each entry that could not be read.
    public static func prices(for provider: ProviderName, configuration: Configuration) -> (table: PriceTable, problems: [String]) {
        PriceTable.parse(configuration.strings("providers.\(provider.rawValue).prices") ?? [])
    }
}
