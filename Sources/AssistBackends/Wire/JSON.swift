import AssistCore
import Foundation

/// Small helpers over `JSONSerialization` values for the wire formats.
enum JSON {
    /// Serialises a JSON object.
    static func encode(_ object: [String: Any]) -> [UInt8] {
        // JSONSerialization only fails for values that are not JSON; callers build JSON values only.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Parses a JSON object, or returns `nil` when the bytes are not one.
    static func object(_ bytes: some Sequence<UInt8>) -> [String: Any]? {
        let data = Data(bytes)
        return (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
    }

    /// Parses a JSON value from a JSON text given as a string (for example a schema from a request).
    static func value(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    static func int(_ value: Any?) -> Int? {
        if let number = value as? NSNumber, !(value is Bool) { return number.intValue }
        return value as? Int
    }
}

/// A problem in a response body, before the transport adds the backend's name.
struct WireError: Error, Equatable {
    var kind: BackendError.Kind
    var message: String

    static func malformed(_ what: String) -> WireError {
        WireError(kind: .malformedResponse, message: "the server sent \(what)")
    }

    static let cut = WireError(kind: .streamCut, message: "the answer was cut off before its end")
}

/// Turns a provider's response body into chat events, piece by piece.
protocol ResponseDecoder: Sendable {
    /// Feeds bytes of the body.
    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent]
    /// Ends the body; throws ``WireError/cut`` when the answer is incomplete.
    mutating func finish() throws(WireError) -> [ChatEvent]
}

/// Collects a whole (non-streamed) body and decodes it at the end.
struct WholeBodyDecoder: ResponseDecoder {
    var body: [UInt8] = []
    let decode: @Sendable ([UInt8]) throws(WireError) -> [ChatEvent]

    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [ChatEvent] {
        body += bytes
        return []
    }

    mutating func finish() throws(WireError) -> [ChatEvent] {
        try decode(body)
    }
}

/// An error sent by the server, as its error body says it.
struct ServerErrorBody: Equatable {
    /// The provider's error type, for example `overloaded_error`, if given.
    var type: String?
    /// The provider's message.
    var message: String
}
