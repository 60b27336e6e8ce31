/// The effective configuration: the value of every key, and where it came from.
///
/// ## Precedence
///
/// This is the one precedence of `assist`'s configuration, lowest first; a higher layer wins
/// for every key it sets:
///
/// 1. built-in defaults, from the ``ConfigSchema``;
/// 2. the user file, `$XDG_CONFIG_HOME/assist/config.toml`, else `~/.config/assist/config.toml`
///    (see ``ConfigLoader/userFilePath(environment:home:)``);
/// 3. the repository file, `.assist.toml` at the repository root, which may not set user-only
///    keys such as API keys;
/// 4. the environment: `ASSIST_` variables, then aliases such as `OPENAI_API_KEY`;
/// 5. the LSP `initializationOptions` sent by the editor.
///
/// The layers are applied in this order whatever order they are given in; two layers of the
/// same kind apply in the order given, so the later one wins.
public struct Configuration: Sendable {
    /// The keys this configuration knows.
    public let schema: ConfigSchema
    /// The winning value of every key that some layer sets.
    private var entries: [String: ConfigLayer.Entry] = [:]
    /// Values that a layer set but that were not taken because they would have loosened a setting
    /// that decides what leaves the machine.
    public private(set) var notTaken: [NotTaken] = []
    /// Problems that keep every request on this machine until they are fixed, each naming its place.
    public private(set) var cloudRefusals: [String] = []

    /// A value a layer set that was not taken, and why.
    public struct NotTaken: Sendable, Equatable {
        /// The dotted key.
        public var key: String
        /// The value the layer set.
        public var value: ConfigValue
        /// Where it was set.
        public var source: ConfigSource
        /// Why it was not taken.
        public var reason: String
    }

    /// One key's effective value and source, as `assist config --json` shows it.
    public struct Entry: Sendable, Equatable {
        /// The dotted key.
        public var key: String
        /// The value (masked, for a secret, when asked), or `nil` when the key is unset.
        public var value: ConfigValue?
        /// Where the value came from.
        public var source: ConfigSource
        /// Whether the key is a secret.
        public var isSecret: Bool

        /// Creates an entry.
        /// - Parameters:
        ///   - key: The dotted key.
        ///   - value: The value, or `nil` when unset.
        ///   - source: Where the value came from.
        ///   - isSecret: Whether the key is a secret.
        public init(key: String, value: ConfigValue?, source: ConfigSource, isSecret: Bool) {
            self.key = key
            self.value = value
            self.source = source
            self.isSecret = isSecret
        }
    }

    /// Combines layers by the precedence described in ``Configuration``.
    ///
    /// Entries for keys that `schema` does not know, or whose value does not fit the key, are
    /// ignored; ``ConfigLoader`` reports those as diagnostics when it makes the layers.
    /// - Parameters:
    ///   - layers: The layers, in any order.
    ///   - schema: The keys and their defaults.
    public init(layers: [ConfigLayer], schema: ConfigSchema = .standard) {
        self.schema = schema
        let ordered = layers.enumerated().sorted { ($0.element.kind, $0.offset) < ($1.element.kind, $1.offset) }
        // Keys that decide what leaves the machine take the user's layers first, by precedence;
        // the others can then only tighten them.
        var untrusted: [(key: ConfigKey, rule: ConfigTightening, value: ConfigValue, source: ConfigSource, kind: ConfigLayer.Kind)] = []
        for (_, layer) in ordered {
            cloudRefusals += layer.cloudRefusals
            for name in layer.entries.keys.sorted() {
                let entry = layer.entries[name]!
                guard let key = schema.key(named: name),
                    let value = ConfigLoader.coerce(entry.value, to: key.type),
                    ConfigLoader.check(value, for: key) == nil
                else { continue }
                if let rule = key.tightening, !layer.isUsers {
                    untrusted.append((key, rule, value, entry.source, layer.kind))
                    continue
                }
                entries[name] = ConfigLayer.Entry(value: value, source: entry.source)
            }
        }
        for (key, rule, value, source, kind) in untrusted {
            let current = entries[key.name]?.value ?? key.defaultValue
            let combined = rule.combine(current, value)
            if combined == current, value != current {
                notTaken.append(NotTaken(
                    key: key.name, value: value, source: source,
                    reason: "the \(kind) \(rule.rule): it may make what leaves the machine stricter, never looser"))
            } else if combined != current {
                entries[key.name] = ConfigLayer.Entry(value: combined, source: source)
            }
        }
    }

    /// The effective value of a key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The value from the highest layer that sets it, else the default, else `nil`.
    public func value(_ key: String) -> ConfigValue? {
        entries[key]?.value ?? schema.key(named: key)?.defaultValue
    }

    /// Where the effective value of a key came from.
    /// - Parameter key: A dotted key name.
    /// - Returns: The source of the winning value; ``ConfigSource/defaultValue`` when no layer
    ///   sets the key (including when it is unset and has no default).
    public func source(_ key: String) -> ConfigSource {
        entries[key]?.source ?? .defaultValue
    }

    /// The effective value of a string key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The string, or `nil` when the key is unset or not a string key.
    public func string(_ key: String) -> String? {
        if case .string(let string)? = value(key) { return string }
        return nil
    }

    /// The effective value of an integer key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The integer, or `nil` when the key is unset or not an integer key.
    public func integer(_ key: String) -> Int? {
        if case .integer(let integer)? = value(key) { return integer }
        return nil
    }

    /// The effective value of a number key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The number, or `nil` when the key is unset or not a number key.
    public func double(_ key: String) -> Double? {
        if case .double(let double)? = value(key) { return double }
        return nil
    }

    /// The effective value of a boolean key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The boolean, or `nil` when the key is unset or not a boolean key.
    public func bool(_ key: String) -> Bool? {
        if case .bool(let bool)? = value(key) { return bool }
        return nil
    }

    /// The effective value of a string-array key.
    /// - Parameter key: A dotted key name.
    /// - Returns: The strings, or `nil` when the key is unset or not a string-array key.
    public func strings(_ key: String) -> [String]? {
        if case .strings(let strings)? = value(key) { return strings }
        return nil
    }

    /// Every key of the schema with its effective value and source, for `assist config --json`.
    /// - Parameter masked: Whether to mask secrets (see ``ConfigKey/mask(_:)``).
    /// - Returns: The entries by dotted key.
    public func snapshot(masked: Bool = true) -> [String: Entry] {
        var result: [String: Entry] = [:]
        for key in schema.keys {
            let value = value(key.name).map { masked ? key.displayed($0) : $0 }
            result[key.name] = Entry(key: key.name, value: value, source: source(key.name), isSecret: key.isSecret)
        }
        return result
    }

    /// The configuration as TOML-like lines, one per key in schema order: `key = value  # source`,
    /// or `# key is unset  # source` for a key without a value.
    /// - Parameter masked: Whether to mask secrets (see ``ConfigKey/mask(_:)``).
    /// - Returns: The lines, each ending with a line break.
    public func rendered(masked: Bool = true) -> String {
        var result = ""
        for key in schema.keys {
            let source = source(key.name)
            if let value = value(key.name) {
                let shown = masked ? key.displayed(value) : value
                result += "\(key.name) = \(shown)  # \(source)\n"
            } else {
                result += "# \(key.name) is unset  # \(source)\n"
            }
            for item in notTaken where item.key == key.name {
                let shown = masked ? key.displayed(item.value) : item.value
                result += "#   not taken: \(key.name) = \(shown) from the \(item.source): \(item.reason)\n"
            }
        }
        for refusal in cloudRefusals {
            result += "# cloud requests refused until fixed: \(refusal)\n"
        }
        return result
    }
}
