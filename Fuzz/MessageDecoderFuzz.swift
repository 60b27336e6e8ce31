// libFuzzer target for `MessageDecoder` (JSON-RPC 2.0 envelopes) and the replies `OutgoingMessage`
// encodes for them. Built by `scripts/fuzz`. The input is one frame's body.
//
// Properties checked, each with a trap that libFuzzer reports as a crash:
//   1. `MessageDecoder.decode` never crashes, answers the same twice (but for the text of a parse
//      error), and never gives an empty batch;
//   2. the reply the daemon would write for each entry (an error response for a request or an
//      invalid entry, echoing the request's params as the error's `data`), encoded through
//      `OutgoingMessage` (one response, or one batch array for a batch), decodes back with
//      `MessageDecoder` as responses with the same ids and error objects, in order (a reply with no
//      id is written as `"id": null` and decodes as a response without an id);
//   3. a decoded request, notification or response, re-encoded through `OutgoingMessage`, decodes
//      back to the same message.

import AssistJSONRPC
import AssistProtocol
import Foundation

/// Traps with a message (kept in -O builds, unlike `precondition`'s).
@inline(never)
private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("MessageDecoder property violated: \(message())") }
}

private func encode(_ message: OutgoingMessage) -> [UInt8] {
    do {
        return try message.encodedBody()
    } catch {
        fatalError("MessageDecoder property violated: OutgoingMessage could not encode \(message): \(error)")
    }
}

/// The reply the daemon writes for one entry, if any, and the response it must decode back to.
private func reply(to entry: Result<IncomingMessage, InvalidMessage>) -> (OutgoingMessage, id: RequestID?, ResponseError)? {
    switch entry {
    case .success(.request(let id, let method, let params)):
        let error = ResponseError(.methodNotFound, "method not found: \(method)", data: params)
        return (.response(id: id, result: .failure(error)), id, error)
    case .success(.notification), .success(.response):
        return nil
    case .failure(let invalid):
        return (.response(id: invalid.id, result: .failure(invalid.error)), invalid.id, invalid.error)
    }
}

/// Checks that `decoded` (one entry of a decoded reply) is the response `expected` describes.
private func checkReply(_ decoded: Result<IncomingMessage, InvalidMessage>, raw: JSONValue?, id: RequestID?, error: ResponseError, body: [UInt8]) {
    // A reply with no id is written as `"id": null`, which decodes as a response without an id.
    check(decoded == .success(.response(id: id, result: .failure(error))),
          "the reply \(String(decoding: body, as: UTF8.self)) decoded as \(decoded), expected an error response with id \(id.map(String.init(describing:)) ?? "null") and \(error)")
    if id == nil { check(raw?["id"] == .null, "the id-less reply \(String(decoding: body, as: UTF8.self)) has no \"id\": null") }
}

/// Property 3: the message re-encoded as the peer would send it decodes back to itself.
private func checkReencoding(_ message: IncomingMessage) {
    let outgoing: OutgoingMessage
    switch message {
    case .request(let id, let method, let params): outgoing = .request(id: id, method: method, params: params)
    case .notification(let method, let params): outgoing = .notification(method: method, params: params)
    case .response(let id, .success(let value)): outgoing = .response(id: id, result: .success(value))
    case .response(let id, .failure(let error)): outgoing = .response(id: id, result: .failure(error))
    }
    let body = encode(outgoing)
    let decoded = MessageDecoder.decode(body)
    check(decoded == .single(.success(message)),
          "\(message) re-encoded as \(String(decoding: body, as: UTF8.self)) decoded as \(decoded)")
}

/// `decoded` with the text of parse errors blanked: when a body has several values JSONValue cannot
/// hold, which one the text names depends on dictionary order, which differs from call to call.
private func withoutParseErrorText(_ decoded: DecodedBody) -> DecodedBody {
    func blank(_ entry: Result<IncomingMessage, InvalidMessage>) -> Result<IncomingMessage, InvalidMessage> {
        guard case .failure(var invalid) = entry, invalid.error.code == .parseError else { return entry }
        invalid.error.message = ""
        return .failure(invalid)
    }
    switch decoded {
    case .single(let entry): return .single(blank(entry))
    case .batch(let entries): return .batch(entries.map(blank))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let decoded = MessageDecoder.decode(body)
    let again = MessageDecoder.decode(body)
    check(withoutParseErrorText(again) == withoutParseErrorText(decoded),
          "decoding the same body twice gave different answers: \(decoded) and \(again)")

    switch decoded {
    case .single(let entry):
        if case .success(let message) = entry { checkReencoding(message) }
        guard let (message, id, error) = reply(to: entry) else { return 0 }
        let replyBody = encode(message)
        let raw = try? JSONDecoder().decode(JSONValue.self, from: Data(replyBody))
        guard case .single(let answer) = MessageDecoder.decode(replyBody) else {
            check(false, "the reply \(String(decoding: replyBody, as: UTF8.self)) decoded as a batch")
            return 0
        }
        checkReply(answer, raw: raw, id: id, error: error, body: replyBody)

    case .batch(let entries):
        check(!entries.isEmpty, "an empty batch was returned as a batch")
        for case .success(let message) in entries { checkReencoding(message) }
        let replies = entries.compactMap(reply(to:))
        guard !replies.isEmpty else { return 0 }
        let replyBody = encode(.batch(replies.map(\.0)))
        let raw = try? JSONDecoder().decode(JSONValue.self, from: Data(replyBody))
        guard case .batch(let answers) = MessageDecoder.decode(replyBody), answers.count == replies.count,
            case .array(let rawEntries)? = raw, rawEntries.count == replies.count
        else {
            check(false, "the batch reply \(String(decoding: replyBody, as: UTF8.self)) did not decode as \(replies.count) entries")
            return 0
        }
        for (index, answer) in answers.enumerated() {
            checkReply(answer, raw: rawEntries[index], id: replies[index].id, error: replies[index].2, body: replyBody)
        }
    }
    return 0
}
