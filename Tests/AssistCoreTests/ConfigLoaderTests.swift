import AssistCore
import Testing

private let userPath = "/home/u/.config/assist/config.toml"
private let repoPath = "/work/repo/.assist.toml"

/// A schema with one key of every type, for tests that need more than the standard keys.
private let testSchema = ConfigSchema(keys: [
    ConfigKey(name: "log.level", type: .string, defaultValue: .string("info"), summary: "Level.",
              allowedValues: ["debug", "info"]),
    ConfigKey(name: "server.maxMessageBytes", type: .integer, defaultValue: .integer(4096), summary: "Size.",
              minimum: 1024),
    ConfigKey(name: "router.cloudShare", type: .double, defaultValue: .double(0.5), summary: "Share."),
    ConfigKey(name: "offline", type: .bool, defaultValue: .bool(false), summary: "Offline."),
    ConfigKey(name: "privacy.localOnly", type: .strings, defaultValue: .strings([]), summary: "Globs."),
    ConfigKey(name: "features.enabled", type: .strings, summary: "Features.", allowedValues: ["a", "b"]),
    ConfigKey(name: "vault.pin", type: .integer, summary: "A secret number.", minimum: 1000, isSecret: true),
    ConfigKey(name: "vault.token", type: .string, summary: "A secret token.", allowedValues: ["ok-token-value"],
              isSecret: true, isUserOnly: true, environmentAliases: ["VAULT_TOKEN"]),
])

private func userLayer(_ text: String, schema: ConfigSchema = .standard) -> (ConfigLayer, [ConfigDiagnostic]) {
    ConfigLoader.fileLayer(text: text, path: userPath, origin: .user, schema: schema)
}

private func repoLayer(_ text: String, schema: ConfigSchema = .standard) -> (ConfigLayer, [ConfigDiagnostic]) {
    ConfigLoader.fileLayer(text: text, path: repoPath, origin: .repository, schema: schema)
}

@Suite("ConfigLoader")
struct ConfigLoaderTests {
    // MARK: Paths

    @Test("user file path follows XDG_CONFIG_HOME, else the home directory", arguments: [
        (["XDG_CONFIG_HOME": "/xdg"], "/home/u", "/xdg/assist/config.toml"),
        (["XDG_CONFIG_HOME": "/xdg/"], "/home/u", "/xdg/assist/config.toml"),
        (["XDG_CONFIG_HOME": ""], "/home/u", "/home/u/.config/assist/config.toml"),
        (["XDG_CONFIG_HOME": "relative/dir"], "/home/u", "/home/u/.config/assist/config.toml"),
        ([:], "/home/u", "/home/u/.config/assist/config.toml"),
        ([:], "/home/u/", "/home/u/.config/assist/config.toml"),
        ([:], "/", "/.config/assist/config.toml"),
    ])
    func userFilePath(environment: [String: String], home: String, expected: String) {
        #expect(ConfigLoader.userFilePath(environment: environment, home: home) == expected)
    }

    @Test("repository file path")
    func repositoryFilePath() {
        #expect(ConfigLoader.repositoryFilePath(repositoryRoot: "/work/repo") == "/work/repo/.assist.toml")
        #expect(ConfigLoader.repositoryFilePath(repositoryRoot: "/work/repo/") == "/work/repo/.assist.toml")
        #expect(ConfigLoader.repositoryFilePath(repositoryRoot: "/") == "/.assist.toml")
    }

    // MARK: File diagnostics

    @Test("wrong type names path, line and key")
    func wrongType() {
        let (layer, diagnostics) = userLayer("[log]\nlevel = \"debug\"\n\n[server]\nmaxMessageBytes = \"big\"\n")
        #expect(diagnostics.count == 1)
        let diagnostic = diagnostics[0]
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.path == userPath)
        #expect(diagnostic.line == 5)
        #expect(diagnostic.key == "server.maxMessageBytes")
        #expect(diagnostic.description == "\(userPath):5: server.maxMessageBytes: expected an integer, found a string")
        // The rest of the file still applies.
        #expect(layer.entries["log.level"]?.value == .string("debug"))
        #expect(layer.entries["server.maxMessageBytes"] == nil)
    }

    @Test("value not allowed, and below the minimum")
    func constraints() {
        let (layer, diagnostics) = userLayer("log.level = \"verbose\"\nserver.maxMessageBytes = 100\nlog.file = 'x.log'")
        #expect(diagnostics.map(\.description) == [
            "\(userPath):1: log.level: \"verbose\" is not one of trace, debug, info, notice, warning, error, critical",
            "\(userPath):2: server.maxMessageBytes: 100 is below the minimum, 1024",
        ])
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        #expect(layer.entries.keys.sorted() == ["log.file"])
    }

    @Test("types of a custom schema: number, boolean, string array, allowed array items")
    func customTypes() {
        let text = """
            router.cloudShare = 1
            offline = true
            privacy.localOnly = ["secrets/**", "*.pem"]
            features.enabled = ["a", "c"]
            [router]
            """
        let (layer, diagnostics) = userLayer(text + "\n", schema: testSchema)
        #expect(layer.entries["router.cloudShare"]?.value == .double(1))
        #expect(layer.entries["offline"]?.value == .bool(true))
        #expect(layer.entries["privacy.localOnly"]?.value == .strings(["secrets/**", "*.pem"]))
        #expect(diagnostics.map(\.description) == ["\(userPath):4: features.enabled: \"c\" is not one of a, b"])

        let (_, mixed) = userLayer("privacy.localOnly = ['a', 2]\noffline = 'yes'", schema: testSchema)
        #expect(mixed.map(\.description) == [
            "\(userPath):1: privacy.localOnly: expected an array of strings, but element 2 is an integer",
            "\(userPath):2: offline: expected a boolean, found a string",
        ])
    }

    @Test("a user-only key in the repository file is an error telling where to put it")
    func userOnlyInRepository() {
        let secret = "sk-live-abcdefghijklmnop"
        let text = "[log]\nlevel = 'debug'\n[providers.openai]\napiKey = \"\(secret)\"\n"
        let (layer, diagnostics) = repoLayer(text)
        #expect(diagnostics.count == 1)
        let diagnostic = diagnostics[0]
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.path == repoPath)
        #expect(diagnostic.line == 4)
        #expect(diagnostic.key == "providers.openai.apiKey")
        #expect(diagnostic.message.contains("user file"))
        #expect(diagnostic.message.contains("OPENAI_API_KEY"))
        #expect(!diagnostic.description.contains(secret))
        #expect(layer.entries["providers.openai.apiKey"] == nil)
        #expect(layer.entries["log.level"]?.value == .string("debug"))
        // The same key is fine in the user file.
        let (userLayer, userDiagnostics) = userLayer(text)
        #expect(userDiagnostics == [])
        #expect(userLayer.entries["providers.openai.apiKey"]?.value == .string(secret))
        #expect(userLayer.entries["providers.openai.apiKey"]?.source == .userFile(path: userPath, line: 4))
    }

    @Test("syntax errors become diagnostics with path, line and key")
    func syntaxErrors() {
        let (layer, diagnostics) = repoLayer("log.level = 'debug'\nlog.file = { path = 'x' }\n[server]\nmaxMessageBytes = 2048\nmaxMessageBytes = 4096")
        #expect(diagnostics.map(\.description) == [
            "\(repoPath):2: log.file: inline tables are not supported; use a [table] header",
            "\(repoPath):5: server.maxMessageBytes: duplicate key: set on line 4 and again on line 5",
        ])
        #expect(layer.entries["server.maxMessageBytes"]?.value == .integer(2048))
        #expect(layer.entries["server.maxMessageBytes"]?.source == .repositoryFile(path: repoPath, line: 4))
    }

    @Test("diagnostics come in the order of the file")
    func diagnosticOrder() {
        let (_, diagnostics) = userLayer("log.levl = 'x'\na = {}\nserver.maxMessageBytes = 1\n")
        #expect(diagnostics.map(\.line) == [1, 2, 3])
        #expect(diagnostics.map(\.severity) == [.warning, .error, .error])
    }

    // MARK: Unknown keys and suggestions

    @Test("an unknown key is a warning with a suggestion when a key is close", arguments: [
        ("log.levle = 'debug'", "log.levle", "log.level"),
        ("[log]\nlvl = 'debug'", "log.lvl", "log.level"),
        ("[sever]\nmaxMessageBytes = 2048", "sever.maxMessageBytes", "server.maxMessageBytes"),
        ("server.max_message_bytes = 2048", "server.max_message_bytes", "server.maxMessageBytes"),
        ("providers.opanai.apiKey = 'k'", "providers.opanai.apiKey", "providers.openai.apiKey"),
        ("providers.gemini.api_key = 'k'", "providers.gemini.api_key", "providers.gemini.apiKey"),
        ("LOG.FILE = 'x'", "LOG.FILE", "log.file"),
    ])
    func unknownKeyWithSuggestion(text: String, key: String, suggestion: String) {
        let (layer, diagnostics) = userLayer(text)
        #expect(layer.entries.isEmpty)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.severity == .warning)
        #expect(diagnostics.first?.key == key)
        #expect(diagnostics.first?.path == userPath)
        #expect(diagnostics.first?.message == "unknown key; did you mean \(suggestion)?")
    }

    @Test("an unknown key far from every key gets no suggestion")
    func unknownKeyWithoutSuggestion() {
        let (_, diagnostics) = userLayer("\ncolour = 'red'\nlog = 'x'")
        #expect(diagnostics.map(\.description) == [
            "\(userPath):2: colour: unknown key", "\(userPath):3: log: unknown key",
        ])
        #expect(ConfigSchema.standard.suggestion(for: "model.name") == nil)
    }

    // MARK: Environment

    @Test("environment variable names are ASSIST_ and the key in upper snake case", arguments: [
        ("log.level", "ASSIST_LOG_LEVEL"),
        ("log.file", "ASSIST_LOG_FILE"),
        ("server.maxMessageBytes", "ASSIST_SERVER_MAX_MESSAGE_BYTES"),
        ("providers.openai.apiKey", "ASSIST_PROVIDERS_OPENAI_API_KEY"),
        ("http.baseURLPath", "ASSIST_HTTP_BASE_URL_PATH"),
        ("net.http2Port", "ASSIST_NET_HTTP2_PORT"),
        ("index.max-files", "ASSIST_INDEX_MAX_FILES"),
        ("offline", "ASSIST_OFFLINE"),
    ])
    func environmentNames(key: String, variable: String) {
        #expect(ConfigKey.environmentVariable(for: key) == variable)
    }

    @Test("standard keys read their aliases")
    func standardAliases() {
        #expect(ConfigKey.openAIAPIKey.environmentVariables == ["ASSIST_PROVIDERS_OPENAI_API_KEY", "OPENAI_API_KEY"])
        #expect(ConfigKey.anthropicAPIKey.environmentVariables == ["ASSIST_PROVIDERS_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"])
        #expect(ConfigKey.geminiAPIKey.environmentVariables == ["ASSIST_PROVIDERS_GEMINI_API_KEY", "GEMINI_API_KEY"])
    }

    @Test("environment values are parsed by the key's type", arguments: [
        ("ASSIST_SERVER_MAX_MESSAGE_BYTES", " 2048 ", "server.maxMessageBytes", ConfigValue.integer(2048)),
        ("ASSIST_ROUTER_CLOUD_SHARE", "0.25", "router.cloudShare", .double(0.25)),
        ("ASSIST_ROUTER_CLOUD_SHARE", "2", "router.cloudShare", .double(2)),
        ("ASSIST_OFFLINE", "true", "offline", .bool(true)),
        ("ASSIST_OFFLINE", "YES", "offline", .bool(true)),
        ("ASSIST_OFFLINE", "1", "offline", .bool(true)),
        ("ASSIST_OFFLINE", "False", "offline", .bool(false)),
        ("ASSIST_OFFLINE", "no", "offline", .bool(false)),
        ("ASSIST_OFFLINE", "0", "offline", .bool(false)),
        ("ASSIST_PRIVACY_LOCAL_ONLY", "secrets/**, *.pem,,  ", "privacy.localOnly", .strings(["secrets/**", "*.pem"])),
        ("ASSIST_LOG_LEVEL", "debug", "log.level", .string("debug")),
    ])
    func environmentParsing(variable: String, raw: String, key: String, expected: ConfigValue) {
        let (layer, diagnostics) = ConfigLoader.environmentLayer([variable: raw], schema: testSchema)
        #expect(diagnostics == [])
        #expect(layer.entries[key]?.value == expected)
        #expect(layer.entries[key]?.source == .environment(variable: variable))
    }

    @Test("bad environment values are errors naming the variable and key", arguments: [
        ("ASSIST_SERVER_MAX_MESSAGE_BYTES", "lots", "server.maxMessageBytes",
         "environment variable ASSIST_SERVER_MAX_MESSAGE_BYTES: server.maxMessageBytes: expected an integer, found \"lots\""),
        ("ASSIST_SERVER_MAX_MESSAGE_BYTES", "10", "server.maxMessageBytes",
         "environment variable ASSIST_SERVER_MAX_MESSAGE_BYTES: server.maxMessageBytes: 10 is below the minimum, 1024"),
        ("ASSIST_OFFLINE", "maybe", "offline",
         "environment variable ASSIST_OFFLINE: offline: expected a boolean (true, false, yes, no, 1 or 0), found \"maybe\""),
        ("ASSIST_ROUTER_CLOUD_SHARE", "half", "router.cloudShare",
         "environment variable ASSIST_ROUTER_CLOUD_SHARE: router.cloudShare: expected a number, found \"half\""),
        ("ASSIST_LOG_LEVEL", "loud", "log.level",
         "environment variable ASSIST_LOG_LEVEL: log.level: \"loud\" is not one of debug, info"),
    ])
    func environmentErrors(variable: String, raw: String, key: String, expected: String) {
        let (layer, diagnostics) = ConfigLoader.environmentLayer([variable: raw, "ASSIST_SLOW_TESTS": "1"], schema: testSchema)
        #expect(layer.entries[key] == nil)
        #expect(diagnostics.map(\.description) == [expected])
        #expect(diagnostics.first?.location == .environment(variable: variable))
        #expect(diagnostics.first?.key == key)
        #expect(diagnostics.first?.path == nil)
    }

    @Test("aliases: the generic variable wins, an empty variable is unset, a bad one falls through")
    func environmentAliases() {
        let (both, _) = ConfigLoader.environmentLayer([
            "ASSIST_PROVIDERS_OPENAI_API_KEY": "generic-key", "OPENAI_API_KEY": "alias-key",
        ])
        #expect(both.entries["providers.openai.apiKey"]?.value == .string("generic-key"))
        #expect(both.entries["providers.openai.apiKey"]?.source == .environment(variable: "ASSIST_PROVIDERS_OPENAI_API_KEY"))

        let (alias, _) = ConfigLoader.environmentLayer(["ASSIST_PROVIDERS_ANTHROPIC_API_KEY": "", "ANTHROPIC_API_KEY": "a-key"])
        #expect(alias.entries["providers.anthropic.apiKey"]?.value == .string("a-key"))
        #expect(alias.entries["providers.anthropic.apiKey"]?.source == .environment(variable: "ANTHROPIC_API_KEY"))

        let (empty, emptyDiagnostics) = ConfigLoader.environmentLayer(["ASSIST_LOG_LEVEL": "", "GEMINI_API_KEY": ""])
        #expect(empty.entries.isEmpty)
        #expect(emptyDiagnostics.isEmpty)

        let (fallThrough, diagnostics) = ConfigLoader.environmentLayer(
            ["ASSIST_VAULT_TOKEN": "wrong-token-value", "VAULT_TOKEN": "ok-token-value"], schema: testSchema)
        #expect(fallThrough.entries["vault.token"]?.source == .environment(variable: "VAULT_TOKEN"))
        #expect(diagnostics.map(\.location) == [.environment(variable: "ASSIST_VAULT_TOKEN")])
    }

    @Test("an unknown ASSIST_ variable gets a warning only when it is close to a known one")
    func unknownEnvironmentVariables() {
        let (layer, diagnostics) = ConfigLoader.environmentLayer([
            "ASSIST_LOG_LEVL": "debug", "ASSIST_SLOW_TESTS": "1", "HOME": "/home/u", "ASSIST_SERVER_MAX_MESAGE_BYTES": "1",
        ])
        #expect(layer.entries.isEmpty)
        #expect(diagnostics.map(\.description) == [
            "environment variable ASSIST_LOG_LEVL: no configuration key reads this variable; did you mean ASSIST_LOG_LEVEL?",
            "environment variable ASSIST_SERVER_MAX_MESAGE_BYTES: no configuration key reads this variable; did you mean ASSIST_SERVER_MAX_MESSAGE_BYTES?",
        ])
        #expect(diagnostics.allSatisfy { $0.severity == .warning })
    }

    // MARK: initializationOptions

    @Test("initializationOptions refuse user-only keys, secrets unechoed")
    func optionsRefuseUserOnlyKeys() {
        let secret = "sk-from-workspace-settings-0001"
        let (layer, diagnostics) = ConfigLoader.optionsLayer([
            "providers.openai.apiKey": .string(secret),
            "log.file": .string("/tmp/elsewhere.log"),
            "log.level": .string("debug"),
        ])
        #expect(layer.entries["providers.openai.apiKey"] == nil)
        #expect(layer.entries["log.file"] == nil)
        #expect(layer.entries["log.level"]?.value == .string("debug"))
        #expect(diagnostics.map(\.key) == ["log.file", "providers.openai.apiKey"])
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.message.contains("not accepted from initializationOptions") })
        #expect(diagnostics.allSatisfy { !$0.description.contains(secret) })
    }

    @Test("initializationOptions: types, JSON numbers, unknown keys")
    func options() {
        let (layer, diagnostics) = ConfigLoader.optionsLayer([
            "log.level": .string("debug"),
            "server.maxMessageBytes": .double(2048),
            "router.cloudShare": .integer(1),
            "offline": .string("true"),
            "privacy.localOnly": .strings(["*.key"]),
            "log.levle": .string("x"),
        ], schema: testSchema)
        #expect(layer.entries["log.level"]?.value == .string("debug"))
        #expect(layer.entries["log.level"]?.source == .initializationOptions)
        #expect(layer.entries["server.maxMessageBytes"]?.value == .integer(2048))
        #expect(layer.entries["router.cloudShare"]?.value == .double(1))
        #expect(layer.entries["privacy.localOnly"]?.value == .strings(["*.key"]))
        #expect(layer.entries["offline"] == nil)
        #expect(diagnostics.map(\.description) == [
            "initializationOptions: log.levle: unknown key; did you mean log.level?",
            "initializationOptions: offline: expected a boolean, found a string",
        ])
        #expect(diagnostics.map(\.severity) == [.warning, .error])

        let (_, fractional) = ConfigLoader.optionsLayer(["server.maxMessageBytes": .double(2048.5)])
        #expect(fractional.map(\.description) == [
            "initializationOptions: server.maxMessageBytes: expected an integer, found a number"
        ])
        let (_, small) = ConfigLoader.optionsLayer(["server.maxMessageBytes": .integer(1)])
        #expect(small.map(\.message) == ["1 is below the minimum, 1024"])
    }

    // MARK: Secrets

    @Test("masking shows the last four characters of secrets of twelve characters or more", arguments: [
        ("sk-abcdefghijklmnop", "****mnop"),
        ("123456789012", "****9012"),
        ("12345678901", "****"),
        ("short", "****"),
        ("", "****"),
    ])
    func masking(secret: String, masked: String) {
        #expect(ConfigKey.mask(secret) == masked)
        #expect(ConfigKey.openAIAPIKey.displayed(.string(secret)) == .string(masked))
        #expect(ConfigKey.logLevel.displayed(.string(secret)) == .string(secret))
    }

    @Test("secrets never appear in diagnostics")
    func secretsNeverInDiagnostics() {
        let secret = "sk-live-TOPSECRET-0123456789"
        var diagnostics: [ConfigDiagnostic] = []
        let files = [
            "providers.openai.apiKey = \"\(secret)\"",
            "[providers.anthropic]\napiKey = '\(secret)'",
            "providers.openai.apiKey = \(secret)",
            "providers.openai.apiKey = \"\(secret)",
            "providers.openai.apiKey = [\"\(secret)\"]",
            "providers.openai.apikee = \"\(secret)\"",
            "vault.token = \"\(secret)\"",
            "vault.pin = 12",
        ]
        for text in files {
            diagnostics += repoLayer(text, schema: testSchema).1
            diagnostics += userLayer(text, schema: testSchema).1
            diagnostics += repoLayer(text).1
        }
        diagnostics += ConfigLoader.environmentLayer(
            ["ASSIST_VAULT_PIN": secret, "ASSIST_VAULT_TOKEN": secret, "VAULT_TOKEN": secret], schema: testSchema).1
        diagnostics += ConfigLoader.optionsLayer(
            ["vault.token": .string(secret), "vault.pin": .string(secret), "providers.openai.apiKey": .strings([secret])],
            schema: testSchema
        ).1
        diagnostics += ConfigLoader.optionsLayer(["providers.openai.apiKey": .strings([secret])]).1
        #expect(diagnostics.count >= 20)
        for diagnostic in diagnostics {
            #expect(!diagnostic.description.contains("TOPSECRET"), "\(diagnostic)")
        }
        // A secret below its minimum is reported without its value.
        let (_, pin) = userLayer("vault.pin = 12", schema: testSchema)
        #expect(pin.map(\.message) == ["the value is below the minimum, 1000"])
    }

    // MARK: Values and diagnostics as text

    @Test("values print as in a configuration file")
    func valueDescriptions() {
        #expect(ConfigValue.string("a \"b\"\n\\").description == #""a \"b\"\n\\""#)
        #expect(ConfigValue.integer(-3).description == "-3")
        #expect(ConfigValue.double(2).description == "2.0")
        #expect(ConfigValue.double(0.5).description == "0.5")
        #expect(ConfigValue.double(-.infinity).description == "-inf")
        #expect(ConfigValue.bool(false).description == "false")
        #expect(ConfigValue.strings(["a", "b"]).description == #"["a", "b"]"#)
        #expect(ConfigValue.string("\u{1}").description == #""\u0001""#)
    }

    @Test("printed values parse back to the same values", arguments: [
        ConfigValue.string("tab\there \"quoted\" back\\slash é😀 \u{7F}"), .integer(Int.min), .double(1e300),
        .double(-0.125), .bool(true), .strings(["x", "y,z", ""]),
    ])
    func valuesRoundTrip(_ value: ConfigValue) {
        let parsed = ConfigFileParser.parse("k = \(value)")
        #expect(parsed.errors == [])
        let fileValue: ConfigFileValue
        switch value {
        case .string(let s): fileValue = .string(s)
        case .integer(let i): fileValue = .integer(i)
        case .double(let d): fileValue = .double(d)
        case .bool(let b): fileValue = .bool(b)
        case .strings(let items): fileValue = .array(items.map { .string($0) })
        }
        #expect(parsed.entries.first?.value == fileValue)
    }

    @Test("diagnostic descriptions")
    func diagnosticDescriptions() {
        #expect(ConfigDiagnostic(severity: .error, location: .file(path: "/a.toml", line: 3), key: "k", message: "bad").description
            == "/a.toml:3: k: bad")
        #expect(ConfigDiagnostic(severity: .error, location: .file(path: "/a.toml", line: nil), key: nil, message: "bad").description
            == "/a.toml: bad")
        #expect(ConfigDiagnostic(severity: .warning, location: nil, key: "k", message: "bad").description == "k: bad")
        #expect(ConfigDiagnostic(severity: .warning, location: .initializationOptions, key: nil, message: "bad").line == nil)
    }
}
