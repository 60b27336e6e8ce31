import AssistProtocol
import Foundation

/// A message read from the peer, after JSON-RPC validation.
public enum IncomingMessage: Sendable, Hashable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    /// A response; `id` is `nil` for the peer's error about a message whose id it could not read.
    case response(id: RequestID?, result: Result<JSONValue, ResponseError>)
}

/// A body entry that is not a valid JSON-RPC message, with the id to answer to when one was found.
public struct InvalidMessage: Error, Sendable, Hashable {
    public var id: RequestID?
    public var error: ResponseError
    public init(id: RequestID?, error: ResponseError) {
        self.id = id
        self.error = error
    }
}

/// What one frame's body holds.
public enum DecodedBody: Sendable, Hashable {
    /// One message, or why it is not one.
    case single(Result<IncomingMessage, InvalidMessage>)
    /// A JSON-RPC batch: an array of messages, each checked on its own.
    case batch([Result<IncomingMessage, InvalidMessage>])
}

/// Turns a frame's body into JSON-RPC messages. Pure: no IO, never throws; bad input becomes an
/// `InvalidMessage` carrying the error object to answer with.
public enum MessageDecoder {
    /// Decodes one body.
    ///
    /// - Parameter body: The bytes of one frame's body.
    /// - Returns: The message or batch it holds; an empty batch, invalid UTF-8 and invalid JSON come
    ///   back as a single `InvalidMessage` with no id.
    public static func decode(_ body: [UInt8]) -> DecodedBody {
        guard String(validating: body, as: UTF8.self) != nil else {
            return .single(.failure(InvalidMessage(id: nil, error: ResponseError(.parseError, "the body is not valid UTF-8"))))
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            // JSONDecoder's error names whichever type it tried last; JSONSerialization names the
            // first offending position, deterministically.
            let reason: String
            do {
                _ = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
                reason = describe(error)
            } catch {
                reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            }
            return .single(.failure(InvalidMessage(id: nil, error: ResponseError(.parseError, "the body is not valid JSON: \(reason)"))))
        }
        if case .array(let entries) = value {
            if entries.isEmpty {
                return .single(.failure(InvalidMessage(id: nil, error: ResponseError(.invalidRequest, "empty batch"))))
            }
            return .batch(entries.map(message(from:)))
        }
        return .single(message(from: value))
    }

    /// Validates one JSON value as a JSON-RPC 2.0 request, notification or response.
    ///
    /// - Parameter value: A decoded JSON value.
    /// - Returns: The message, or why it is not one.
    public static func message(from value: JSONValue) -> Result<IncomingMessage, InvalidMessage> {
        guard case .object(let object) = value else {
            return .failure(InvalidMessage(id: nil, error: ResponseError(.invalidRequest, "expected a JSON-RPC object, got \(value.typeDescription)")))
        }
        var id: RequestID?
        if let rawID = object["id"] {
            switch rawID {
            case .integer(let number): id = .number(number)
            case .string(let string): id = .string(string)
            case .null where object["method"] == nil && object["error"] != nil:
                break  // An error response about a message whose id could not be read.
            default:
                return .failure(InvalidMessage(id: nil, error: ResponseError(.invalidRequest, "'id' must be a number or a string, got \(rawID.typeDescription)")))
            }
        }
        func invalid(_ message: String) -> Result<IncomingMessage, InvalidMessage> {
            .failure(InvalidMessage(id: id, error: ResponseError(.invalidRequest, message)))
        }
        guard object["jsonrpc"] == .string("2.0") else { return invalid("'jsonrpc' must be \"2.0\"") }
        if let rawMethod = object["method"] {
            guard case .string(let method) = rawMethod else {
                return invalid("'method' must be a string, got \(rawMethod.typeDescription)")
            }
            let params = object["params"]
            switch params {
            case nil, .object?, .array?: break
            case .null?: break  // Tolerated: treated as absent.
            case let other?: return invalid("'params' must be an object or an array, got \(other.typeDescription)")
            }
            let cleanParams = params == .null ? nil : params
            if let id { return .success(.request(id: id, method: method, params: cleanParams)) }
            return .success(.notification(method: method, params: cleanParams))
        }
        if object["result"] != nil || object["error"] != nil {
            guard object["id"] != nil else { return invalid("a response needs an 'id'") }
            if id == nil, object["result"] != nil { return invalid("a successful response needs a number or string 'id'") }
            if let rawError = object["error"], rawError != .null {
                guard let code = rawError["code"]?.integerValue, let message = rawError["message"]?.stringValue else {
                    return invalid("'error' must be an object with 'code' and 'message'")
                }
                return .success(.response(id: id, result: .failure(ResponseError(ErrorCode(rawValue: code), message, data: rawError["data"]))))
            }
            return .success(.response(id: id, result: .success(object["result"] ?? .null)))
        }
        return invalid("not a request, notification or response: no 'method', 'result' or 'error'")
    }

    /// A one-line description of a decoding error, without Foundation's debug noise.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)); \(context.debugDescription)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        default:
            return String(describing: error)
        }
    }

    /// A dotted path for a coding path: `textDocument.contentChanges[0].text`.
    public static func path(_ codingPath: [any CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return result.isEmpty ? "params" : result
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            if "\(type)".hasPrefix("Array") { "an array" }
            else if "\(type)".hasPrefix("Dictionary") { "an object" }
            else { "\(type)" }
        }
    }
}
