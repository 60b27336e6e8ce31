/// The error codes the daemon answers with: JSON-RPC 2.0's standard codes and the LSP ones.
public struct ErrorCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Invalid JSON was received (JSON-RPC), or a frame could not be read.
    public static let parseError = ErrorCode(rawValue: -32700)
    /// The JSON sent is not a valid request object.
    public static let invalidRequest = ErrorCode(rawValue: -32600)
    /// The method does not exist.
    public static let methodNotFound = ErrorCode(rawValue: -32601)
    /// The parameters do not fit the method.
    public static let invalidParams = ErrorCode(rawValue: -32602)
    /// The daemon failed while answering.
    public static let internalError = ErrorCode(rawValue: -32603)
    /// A request arrived before `initialize` (LSP).
    public static let serverNotInitialized = ErrorCode(rawValue: -32002)
    /// The request was cancelled with `$/cancelRequest` (LSP).
    public static let requestCancelled = ErrorCode(rawValue: -32800)
    /// The content the request was about changed while it ran (LSP).
    public static let contentModified = ErrorCode(rawValue: -32801)
    /// The request was well formed but could not be carried out, e.g. no repository (LSP).
    public static let requestFailed = ErrorCode(rawValue: -32803)

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The code and its standard name, e.g. `-32601 (method not found)`.
    public var description: String {
        let name: String? = switch self {
        case .parseError: "parse error"
        case .invalidRequest: "invalid request"
        case .methodNotFound: "method not found"
        case .invalidParams: "invalid params"
        case .internalError: "internal error"
        case .serverNotInitialized: "server not initialized"
        case .requestCancelled: "request cancelled"
        case .contentModified: "content modified"
        case .requestFailed: "request failed"
        default: nil
        }
        return name.map { "\(rawValue) (\($0))" } ?? String(rawValue)
    }
}

/// A JSON-RPC error object: what a failed request answers.
public struct ResponseError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    /// Creates an error object.
    ///
    /// - Parameters:
    ///   - code: The JSON-RPC or LSP error code.
    ///   - message: One sentence for a person, naming what was wrong.
    ///   - data: Optional structured detail.
    public init(_ code: ErrorCode, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    public static func methodNotFound(_ method: String) -> ResponseError {
        ResponseError(.methodNotFound, "method not found: \(method)")
    }

    public static func invalidParams(_ message: String) -> ResponseError {
        ResponseError(.invalidParams, "invalid params: \(message)")
    }

    public static let cancelled = ResponseError(.requestCancelled, "request cancelled")
    public static let notInitialized = ResponseError(
        .serverNotInitialized, "the server is not initialized: send 'initialize' first")
}
