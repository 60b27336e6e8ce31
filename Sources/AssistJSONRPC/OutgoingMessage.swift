import AssistProtocol
import Foundation

/// A message the daemon writes: a response, a request or notification of its own, or a batch's answers.
public enum OutgoingMessage: Sendable {
    /// A response; `id` is `nil` only for errors about a message whose id could not be read.
    case response(id: RequestID?, result: Result<any Encodable & Sendable, ResponseError>)
    case request(id: RequestID, method: String, params: any Encodable & Sendable)
    case notification(method: String, params: any Encodable & Sendable)
    /// The responses to one batch, written as one JSON array in one frame.
    case batch([OutgoingMessage])

    /// Encodes the message as a JSON body (keys sorted, so output is stable).
    ///
    /// - Returns: The UTF-8 JSON bytes.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encodedBody() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(Envelope(message: self)))
    }

    private struct Envelope: Encodable {
        var message: OutgoingMessage

        enum Key: String, CodingKey { case jsonrpc, id, result, error, method, params }

        func encode(to encoder: any Encoder) throws {
            if case .batch(let messages) = message {
                var container = encoder.unkeyedContainer()
                for message in messages { try container.encode(Envelope(message: message)) }
                return
            }
            var container = encoder.container(keyedBy: Key.self)
            try container.encode("2.0", forKey: .jsonrpc)
            switch message {
            case .response(let id, let result):
                if let id { try container.encode(id, forKey: .id) } else { try container.encodeNil(forKey: .id) }
                switch result {
                case .success(let value): try container.encode(AnyEncodable(value), forKey: .result)
                case .failure(let error): try container.encode(error, forKey: .error)
                }
            case .request(let id, let method, let params):
                try container.encode(id, forKey: .id)
                try container.encode(method, forKey: .method)
                try container.encode(AnyEncodable(params), forKey: .params)
            case .notification(let method, let params):
                try container.encode(method, forKey: .method)
                try container.encode(AnyEncodable(params), forKey: .params)
            case .batch:
                break
            }
        }
    }

    private struct AnyEncodable: Encodable {
        var value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }
}
