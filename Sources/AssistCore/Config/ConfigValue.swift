/// The type of a configuration key's value.
public enum ConfigValueType: Sendable, Equatable, CustomStringConvertible {
    /// A string.
    case string
    /// A signed integer.
    case integer
    /// A floating-point number; integers are accepted and converted.
    case double
    /// A boolean.
    case bool
    /// An array of strings.
    case strings

    /// The type with an article, as diagnostics name it, for example "an integer".
    public var description: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        case .strings: return "an array of strings"
        }
    }
}

/// A configuration value.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    /// A string.
    case string(String)
    /// A signed integer.
    case integer(Int)
    /// A floating-point number.
    case double(Double)
    /// A boolean.
    case bool(Bool)
    /// An array of strings.
    case strings([String])

    /// The value's type.
    public var type: ConfigValueType {
        switch self {
        case .string: return .string
        case .integer: return .integer
        case .double: return .double
        case .bool: return .bool
        case .strings: return .strings
        }
    }

    /// The value written as in a configuration file, for example `"info"`, `42` or `["a", "b"]`.
    public var description: String {
        switch self {
        case .string(let string): return ConfigValue.quoted(string)
        case .integer(let integer): return String(integer)
        case .double(let double): return ConfigValue.format(double)
        case .bool(let bool): return bool ? "true" : "false"
        case .strings(let strings): return "[" + strings.map(ConfigValue.quoted).joined(separator: ", ") + "]"
        }
    }

    /// A string in double quotes with the configuration file's escapes.
    static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A double as the configuration file writes it: always with a fraction or an exponent.
    static func format(_ double: Double) -> String {
        if double.isNaN { return "nan" }
        if double.isInfinite { return double < 0 ? "-inf" : "inf" }
        let text = String(double)
        return text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? text : text + ".0"
    }
}
