/// The text of a configuration file that the caller has read, and where it was read from.
public struct ConfigFileText: Sendable, Equatable {
    /// The file's path, as diagnostics should show it.
    public var path: String
    /// The file's contents.
    public var text: String

    /// Creates a file text.
    /// - Parameters:
    ///   - path: The file's path, as diagnostics should show it.
    ///   - text: The file's contents.
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// Turns configuration texts, environment variables and client options into checked layers.
///
/// The loader does no IO: callers read the files and pass their text. Every function returns a
/// layer together with diagnostics; an entry with an error is left out of the layer and the rest
/// still applies. See ``Configuration`` for how layers combine.
public enum ConfigLoader {
    /// The path of the user file.
    /// - Parameters:
    ///   - environment: The process environment; `XDG_CONFIG_HOME` is used when it is an
    ///     absolute path, as the XDG Base Directory specification asks.
    ///   - home: The user's home directory.
    /// - Returns: `$XDG_CONFIG_HOME/assist/config.toml`, else `home/.config/assist/config.toml`.
    public static func userFilePath(environment: [String: String], home: String) -> String {
        if let configHome = environment["XDG_CONFIG_HOME"], configHome.hasPrefix("/") {
            return joined(configHome, "assist/config.toml")
        }
        return joined(home, ".config/assist/config.toml")
    }

    /// The path of the repository file.
    /// - Parameter repositoryRoot: The repository's root directory (its work tree).
    /// - Returns: `.assist.toml` in the repository root.
    public static func repositoryFilePath(repositoryRoot: String) -> String {
        joined(repositoryRoot, ".assist.toml")
    }

    private static func joined(_ directory: String, _ relative: String) -> String {
        var directory = Substring(directory)
        while directory.count > 1, directory.hasSuffix("/") { directory = directory.dropLast() }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// Reads the layer of a configuration file.
    ///
    /// Syntax errors, values of the wrong type, values that are not allowed or below the minimum,
    /// and user-only keys (the API keys) in the repository file are errors; unknown keys are
    /// warnings with a "did you mean" suggestion when a known key is close.
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - path: The file's path, for sources and diagnostics.
    ///   - origin: Whether this is the user file or the repository file.
    ///   - schema: The keys to accept.
    /// - Returns: The layer of the well-formed, known, valid entries, and the diagnostics.
    public static func fileLayer(
        text: String, path: String, origin: ConfigFileOrigin, schema: ConfigSchema = .standard
    ) -> (ConfigLayer, [ConfigDiagnostic]) {
        let parsed = ConfigFileParser.parse(text)
        var layer = ConfigLayer(kind: origin == .user ? .userFile : .repositoryFile)
        var problems: [(line: Int, diagnostic: ConfigDiagnostic)] = parsed.errors.map { error in
            (error.line, ConfigDiagnostic(
                severity: .error, location: .file(path: path, line: error.line), key: error.key, message: error.message))
        }
        for entry in parsed.entries {
            let location = ConfigDiagnostic.Location.file(path: path, line: entry.line)
            func report(_ severity: ConfigDiagnostic.Severity, _ message: String) {
                problems.append((entry.line, ConfigDiagnostic(severity: severity, location: location, key: entry.key, message: message)))
            }
            guard let key = schema.key(named: entry.key) else {
                report(.warning, unknownKeyMessage(entry.key, schema: schema))
                continue
            }
            if origin == .repository, key.isUserOnly {
                report(.error, repositoryRefusalMessage(key))
                continue
            }
            let value: ConfigValue
            switch convert(entry.value, to: key) {
            case .success(let converted): value = converted
            case .failure(let problem):
                report(.error, problem.message)
                continue
            }
            if let problem = check(value, for: key) {
                report(.error, problem)
                if key.refusesCloudWhenInvalid { layer.cloudRefusals.append("\(path):\(entry.line): \(key.name): \(problem)") }
                continue
            }
            let source: ConfigSource = origin == .user
                ? .userFile(path: path, line: entry.line) : .repositoryFile(path: path, line: entry.line)
            layer.entries[key.name] = ConfigLayer.Entry(value: value, source: source)
        }
        // Report in the order of the file (a stable sort keeps the order within a line).
        let diagnostics = problems.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map(\.element.diagnostic)
        return (layer, diagnostics)
    }

    /// Reads the layer of the environment.
    ///
    /// Every key is read from its generic variable (`ASSIST_` and the name in upper snake case,
    /// see ``ConfigKey/environmentVariable``) and from its aliases (`OPENAI_API_KEY`, …); the first
    /// valid one of those, in that order, wins. An empty variable counts as unset. Values are
    /// parsed by the key's type: integers and numbers as written; booleans from `true`/`false`,
    /// `yes`/`no` or `1`/`0` (any case); string arrays from comma-separated text, with spaces
    /// around the items trimmed and empty items dropped. An `ASSIST_` variable that no key reads
    /// gets a warning only when it is close to one that does, since other tools may use the prefix.
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - schema: The keys to read.
    /// - Returns: The layer of the valid values, and the diagnostics.
    public static func environmentLayer(
        _ environment: [String: String], schema: ConfigSchema = .standard
    ) -> (ConfigLayer, [ConfigDiagnostic]) {
        var layer = ConfigLayer(kind: .environment)
        var diagnostics: [ConfigDiagnostic] = []
        for key in schema.keys {
            for variable in key.environmentVariables {
                guard let raw = environment[variable], !raw.isEmpty else { continue }
                func report(_ message: String) {
                    diagnostics.append(ConfigDiagnostic(
                        severity: .error, location: .environment(variable: variable), key: key.name, message: message))
                }
                let value: ConfigValue
                switch parseEnvironmentValue(raw, for: key) {
                case .success(let parsed): value = parsed
                case .failure(let problem):
                    report(problem.message)
                    continue
                }
                if let problem = check(value, for: key) {
                    report(problem)
                    if key.refusesCloudWhenInvalid { layer.cloudRefusals.append("environment variable \(variable): \(key.name): \(problem)") }
                    continue
                }
                if layer.entries[key.name] == nil {
                    layer.entries[key.name] = ConfigLayer.Entry(value: value, source: .environment(variable: variable))
                }
            }
        }
        let known = Set(schema.keys.flatMap(\.environmentVariables))
        for variable in environment.keys.sorted() where variable.hasPrefix("ASSIST_") && !known.contains(variable) {
            if let suggestion = schema.environmentSuggestion(for: variable) {
                diagnostics.append(ConfigDiagnostic(
                    severity: .warning, location: .environment(variable: variable), key: nil,
                    message: "no configuration key reads this variable; did you mean \(suggestion)?"))
            }
        }
        return (layer, diagnostics)
    }

    /// Reads the layer of the LSP `initializationOptions`.
    ///
    /// The server flattens the JSON object into dotted keys before calling this, so
    /// `{"log": {"level": "debug"}}` arrives as `["log.level": .string("debug")]`. A number
    /// with no fraction is accepted for an integer key, and an integer for a number key.
    /// - Parameters:
    ///   - options: The flattened options.
    ///   - schema: The keys to accept.
    /// - Returns: The layer of the known, valid values, and the diagnostics.
    public static func optionsLayer(
        _ options: [String: ConfigValue], schema: ConfigSchema = .standard
    ) -> (ConfigLayer, [ConfigDiagnostic]) {
        var layer = ConfigLayer(kind: .initializationOptions)
        var diagnostics: [ConfigDiagnostic] = []
        for name in options.keys.sorted() {
            guard let value = options[name] else { continue }
            func report(_ severity: ConfigDiagnostic.Severity, _ message: String) {
                diagnostics.append(ConfigDiagnostic(
                    severity: severity, location: .initializationOptions, key: name, message: message))
            }
            guard let key = schema.key(named: name) else {
                report(.warning, unknownKeyMessage(name, schema: schema))
                continue
            }
            if key.isUserOnly {
                // Editor settings can live in the repository (workspace settings), so user-only
                // keys are refused here as they are in the repository file.
                report(.error, optionsRefusalMessage(key))
                continue
            }
            guard let converted = coerce(value, to: key.type) else {
                report(.error, "expected \(key.type), found \(value.type)")
                continue
            }
            if let problem = check(converted, for: key) {
                report(.error, problem)
                if key.refusesCloudWhenInvalid { layer.cloudRefusals.append("initializationOptions: \(key.name): \(problem)") }
                continue
            }
            layer.entries[name] = ConfigLayer.Entry(value: converted, source: .initializationOptions)
        }
        return (layer, diagnostics)
    }

    /// Reads every layer and combines them.
    /// - Parameters:
    ///   - userFile: The user file's text, or `nil` when there is none.
    ///   - repositoryFile: The repository file's text, or `nil` when there is none.
    ///   - environment: The process environment.
    ///   - initializationOptions: The flattened LSP `initializationOptions`, if any.
    ///   - schema: The keys to accept.
    /// - Returns: The configuration and the diagnostics of all layers, lowest precedence first.
    public static func load(
        userFile: ConfigFileText?, repositoryFile: ConfigFileText?, environment: [String: String],
        initializationOptions: [String: ConfigValue] = [:], schema: ConfigSchema = .standard
    ) -> (Configuration, [ConfigDiagnostic]) {
        var layers: [ConfigLayer] = []
        var diagnostics: [ConfigDiagnostic] = []
        func add(_ result: (ConfigLayer, [ConfigDiagnostic])) {
            layers.append(result.0)
            diagnostics += result.1
        }
        if let userFile {
            add(fileLayer(text: userFile.text, path: userFile.path, origin: .user, schema: schema))
        }
        if let repositoryFile {
            add(fileLayer(text: repositoryFile.text, path: repositoryFile.path, origin: .repository, schema: schema))
        }
        add(environmentLayer(environment, schema: schema))
        add(optionsLayer(initializationOptions, schema: schema))
        return (Configuration(layers: layers, schema: schema), diagnostics)
    }

    // MARK: - Checks shared by all layers

    struct Problem: Error {
        var message: String
    }

    static func unknownKeyMessage(_ name: String, schema: ConfigSchema) -> String {
        if let suggestion = schema.suggestion(for: name) {
            return "unknown key; did you mean \(suggestion)?"
        }
        return "unknown key"
    }

    static func optionsRefusalMessage(_ key: ConfigKey) -> String {
        let variables = key.environmentVariables.joined(separator: " or ")
        return "not accepted from initializationOptions, which may come from workspace settings; "
            + "put it in your user file (~/.config/assist/config.toml) or in the environment (\(variables))"
    }

    static func repositoryRefusalMessage(_ key: ConfigKey) -> String {
        let variables = key.environmentVariables.joined(separator: " or ")
        return "not accepted from the repository file, so that a repository cannot set it; "
            + "put it in your user file (~/.config/assist/config.toml) or in the environment (\(variables))"
    }

    /// A file value as a value of the key's type.
    static func convert(_ value: ConfigFileValue, to key: ConfigKey) -> Result<ConfigValue, Problem> {
        switch (key.type, value) {
        case (.string, .string(let string)): return .success(.string(string))
        case (.integer, .integer(let integer)): return .success(.integer(integer))
        case (.double, .double(let double)): return .success(.double(double))
        case (.double, .integer(let integer)): return .success(.double(Double(integer)))
        case (.bool, .bool(let bool)): return .success(.bool(bool))
        case (.strings, .array(let elements)):
            var strings: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    return .failure(Problem(
                        message: "expected an array of strings, but element \(index + 1) is \(element.kindDescription)"))
                }
                strings.append(string)
            }
            return .success(.strings(strings))
        default:
            return .failure(Problem(message: "expected \(key.type), found \(value.kindDescription)"))
        }
    }

    /// A client value as a value of the given type, converting between integers and numbers.
    static func coerce(_ value: ConfigValue, to type: ConfigValueType) -> ConfigValue? {
        switch (type, value) {
        case (.integer, .double(let double)):
            guard double.rounded() == double, let integer = Int(exactly: double) else { return nil }
            return .integer(integer)
        case (.double, .integer(let integer)):
            return .double(Double(integer))
        default:
            return value.type == type ? value : nil
        }
    }

    /// An environment variable's text as a value of the key's type.
    static func parseEnvironmentValue(_ raw: String, for key: ConfigKey) -> Result<ConfigValue, Problem> {
        let trimmed = trimmingSpaces(raw)
        let found = key.isSecret ? "" : ", found \(ConfigValue.quoted(raw))"
        switch key.type {
        case .string:
            return .success(.string(raw))
        case .integer:
            guard let integer = Int(trimmed) else { return .failure(Problem(message: "expected an integer\(found)")) }
            return .success(.integer(integer))
        case .double:
            guard let double = Double(trimmed) else { return .failure(Problem(message: "expected a number\(found)")) }
            return .success(.double(double))
        case .bool:
            switch trimmed.lowercased() {
            case "true", "yes", "1": return .success(.bool(true))
            case "false", "no", "0": return .success(.bool(false))
            default: return .failure(Problem(message: "expected a boolean (true, false, yes, no, 1 or 0)\(found)"))
            }
        case .strings:
            let items = raw.split(separator: ",", omittingEmptySubsequences: false)
                .map(trimmingSpaces)
                .filter { !$0.isEmpty }
            return .success(.strings(items))
        }
    }

    /// The text without leading and trailing spaces and tabs.
    static func trimmingSpaces<S: StringProtocol>(_ text: S) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
            let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }

    /// Why a value of the right type is not allowed for a key, or `nil` when it is.
    ///
    /// The message quotes the value only when the key is not secret.
    static func check(_ value: ConfigValue, for key: ConfigKey) -> String? {
        guard value.type == key.type else { return "expected \(key.type), found \(value.type)" }
        if let allowed = key.allowedValues {
            let strings: [String]
            switch value {
            case .string(let string): strings = [string]
            case .strings(let items): strings = items
            default: strings = []
            }
            for string in strings where !allowed.contains(string) {
                let shown = key.isSecret ? "the value" : ConfigValue.quoted(string)
                return "\(shown) is not one of \(allowed.joined(separator: ", "))"
            }
        }
        if let minimum = key.minimum, case .integer(let integer) = value, integer < minimum {
            let shown = key.isSecret ? "the value" : String(integer)
            return "\(shown) is below the minimum, \(minimum)"
        }
        if key.refusesCloudWhenInvalid, case .strings(let patterns) = value {
            for pattern in patterns {
                do {
                    _ = try PathGlob(pattern)
                } catch {
                    return "the pattern \(ConfigValue.quoted(pattern)) is invalid (\(error)); no request goes to a cloud backend until it is fixed"
                }
            }
        }
        return nil
    }
}
