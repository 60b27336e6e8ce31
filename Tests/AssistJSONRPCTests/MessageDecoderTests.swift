import AssistProtocol
import Testing

@testable import AssistJSONRPC

private func decode(_ text: String) -> DecodedBody { MessageDecoder.decode(Array(text.utf8)) }

private func errorCode(_ body: DecodedBody) -> (RequestID?, ErrorCode)? {
    guard case .single(.failure(let invalid)) = body else { return nil }
    return (invalid.id, invalid.error.code)
}

@Suite("JSON-RPC messages")
struct MessageDecoderTests {
    @Test func requestWithNumberID() {
        #expect(decode(#"{"jsonrpc":"2.0","id":1,"method":"assist/status"}"#)
            == .single(.success(.request(id: .number(1), method: "assist/status", params: nil))))
    }

    @Test func requestWithStringIDAndParams() {
        #expect(decode(#"{"jsonrpc":"2.0","id":"a-1","method":"m","params":{"x":[1,2.5,null,true]}}"#)
            == .single(.success(.request(id: .string("a-1"), method: "m", params: ["x": [1, 2.5, nil, true]]))))
    }

    @Test func notification() {
        #expect(decode(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
            == .single(.success(.notification(method: "initialized", params: [:]))))
    }

    @Test func errorResponseWithNullID() {
        #expect(decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#)
            == .single(.success(.response(id: nil, result: .failure(ResponseError(.parseError, "parse error"))))))
        // A successful result needs an id; a request may not have a null one.
        #expect(errorCode(decode(#"{"jsonrpc":"2.0","id":null,"result":1}"#))?.1 == .invalidRequest)
        #expect(errorCode(decode(#"{"jsonrpc":"2.0","id":null,"method":"m"}"#))?.1 == .invalidRequest)
    }

    @Test func parseErrorMessagesAreDeterministic() throws {
        let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"m"#.utf8) + [0x01] + Array(#"","params":[1e400]}"#.utf8)
        let messages = Set((0..<6).compactMap { _ -> String? in
            guard case .single(.failure(let invalid)) = MessageDecoder.decode(body) else { return nil }
            return invalid.error.message
        })
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.hasPrefix("the body is not valid JSON") == true)
    }

    @Test func responses() {
        #expect(decode(#"{"jsonrpc":"2.0","id":3,"result":null}"#) == .single(.success(.response(id: .number(3), result: .success(.null)))))
        #expect(decode(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}"#)
            == .single(.success(.response(id: .number(3), result: .failure(ResponseError(.methodNotFound, "no"))))))
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var body: String
        var id: RequestID?
        var code: ErrorCode
        var testDescription: String { body }
    }

    @Test(arguments: [
        BadCase(body: "{", id: nil, code: .parseError),
        BadCase(body: "", id: nil, code: .parseError),
        BadCase(body: "not json", id: nil, code: .parseError),
        BadCase(body: "[]", id: nil, code: .invalidRequest),
        BadCase(body: "42", id: nil, code: .invalidRequest),
        BadCase(body: #""hello""#, id: nil, code: .invalidRequest),
        BadCase(body: #"{"foo":1}"#, id: nil, code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"1.0","id":5,"method":"m"}"#, id: .number(5), code: .invalidRequest),
        BadCase(body: #"{"id":5,"method":"m"}"#, id: .number(5), code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"2.0","id":{"a":1},"method":"m"}"#, id: nil, code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, id: nil, code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"2.0","id":7,"method":42}"#, id: .number(7), code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"2.0","id":8,"method":"m","params":"x"}"#, id: .number(8), code: .invalidRequest),
        BadCase(body: #"{"jsonrpc":"2.0","result":1}"#, id: nil, code: .invalidRequest),
    ])
    func invalidBodies(_ bad: BadCase) throws {
        let (id, code) = try #require(errorCode(decode(bad.body)))
        #expect(id == bad.id)
        #expect(code == bad.code)
    }

    @Test func invalidUTF8IsAParseError() throws {
        let body: [UInt8] = Array(#"{"jsonrpc":"2.0","method":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        guard case .single(.failure(let invalid)) = MessageDecoder.decode(body) else {
            Issue.record("expected a failure")
            return
        }
        #expect(invalid.error.code == .parseError)
        #expect(invalid.error.message.contains("UTF-8"))
    }

    @Test func batchMixingGoodAndBad() {
        guard case .batch(let entries) = decode(#"[{"jsonrpc":"2.0","id":1,"method":"a"},1,{"jsonrpc":"2.0","method":"n"}]"#) else {
            Issue.record("expected a batch")
            return
        }
        #expect(entries.count == 3)
        #expect(entries[0] == .success(.request(id: .number(1), method: "a", params: nil)))
        if case .failure(let invalid) = entries[1] { #expect(invalid.error.code == .invalidRequest) } else { Issue.record("entry 1 should fail") }
        #expect(entries[2] == .success(.notification(method: "n", params: nil)))
    }

    @Test func errorPathsNameTheField() async throws {
        struct Inner: Decodable { var uri: String }
        struct Outer: Decodable { var textDocument: Inner }
        do {
            _ = try JSONDecoder().decode(Outer.self, from: Data(#"{"textDocument":{"uri":5}}"#.utf8))
            Issue.record("should not decode")
        } catch {
            #expect(MessageDecoder.describe(error).hasPrefix("textDocument.uri: expected a string"))
        }
        do {
            _ = try JSONDecoder().decode(Outer.self, from: Data(#"{"textDocument":{}}"#.utf8))
            Issue.record("should not decode")
        } catch {
            #expect(MessageDecoder.describe(error) == "textDocument.uri: required field is missing")
        }
    }

    @Test func outgoingEncoding() async throws {
        let response = OutgoingMessage.response(id: nil, result: .failure(ResponseError(.parseError, "bad")))
        #expect(String(decoding: try response.encodedBody(), as: UTF8.self)
            == #"{"error":{"code":-32700,"message":"bad"},"id":null,"jsonrpc":"2.0"}"#)
        let batch = OutgoingMessage.batch([.response(id: .number(1), result: .success(VoidResponse())), .response(id: .string("x"), result: .success(["a": 1] as JSONValue))])
        #expect(String(decoding: try batch.encodedBody(), as: UTF8.self)
            == #"[{"id":1,"jsonrpc":"2.0","result":null},{"id":"x","jsonrpc":"2.0","result":{"a":1}}]"#)
    }
}

import Foundation
